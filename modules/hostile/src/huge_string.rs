//! `huge_string`: one string field whose single value is 64 MiB.

use quarry_guest::{Field, Frame};

const STRING_BYTES: usize = 64 << 20;

pub(crate) fn frames() -> Vec<Frame> {
    let huge = "x".repeat(STRING_BYTES);
    vec![Frame::new("huge_string").with_field(Field::new("value", vec![huge]))]
}
