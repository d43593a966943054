//! `too_many_frames`: 100 000 frames without fields.

use quarry_guest::Frame;

const FRAMES: usize = 100_000;

pub(crate) fn frames() -> Vec<Frame> {
    (0..FRAMES).map(|_| Frame::new("empty")).collect()
}
