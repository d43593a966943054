//! `trap`: executes the wasm `unreachable` instruction.

pub(crate) fn run() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    std::process::abort();
}
