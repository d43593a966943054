//! `bad_frame`: a frame whose fields have different lengths (2 and 3 rows).

use quarry_guest::{Field, Frame};

pub(crate) fn frames() -> Vec<Frame> {
    vec![
        Frame::new("bad_frame")
            .with_field(Field::new("two", vec![1i64, 2]))
            .with_field(Field::new("three", vec![1i64, 2, 3])),
    ]
}
