//! `panic`: a Rust panic, which aborts (traps) the component.

pub(crate) fn run() -> ! {
    panic!("hostile panic");
}
