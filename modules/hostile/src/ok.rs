//! `ok`: no attack at all, the baseline the other attacks are compared with.

use quarry_guest::{Field, Frame};

pub(crate) fn frames() -> Vec<Frame> {
    vec![Frame::new("ok").with_field(Field::new("value", vec![42i64]))]
}
