//! `hold_memory`: grows linear memory by `mb` MiB (touching every page), holds it for `ms`
//! milliseconds, then answers normally.

use std::hint::black_box;
use std::time::Duration;

use quarry_guest::Frame;

pub(crate) fn frames(mb: usize, ms: u64) -> Vec<Frame> {
    let held = black_box(vec![0x5Au8; mb << 20]);
    std::thread::sleep(Duration::from_millis(ms));
    black_box(&held);
    super::ok::frames()
}
