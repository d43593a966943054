//! `memory_bomb`: allocates 16 MiB chunks forever, writing every byte and keeping every chunk.

use std::hint::black_box;

const CHUNK_BYTES: usize = 16 << 20;

pub(crate) fn run() -> ! {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    loop {
        // A non-zero fill writes every page, so fresh memory cannot stay untouched.
        let chunk = vec![0xA5u8; CHUNK_BYTES];
        chunks.push(black_box(chunk));
        black_box(&chunks);
    }
}
