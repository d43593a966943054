//! `busy_loop`: spins forever; `black_box` keeps the optimiser from removing the loop.

use std::hint::black_box;

pub(crate) fn run() -> ! {
    let mut spins: u64 = 0;
    loop {
        spins = black_box(spins.wrapping_add(1));
    }
}
