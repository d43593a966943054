//! `enum_oob`: an enum field whose index points past its two names.

use quarry_guest::{EnumIndex, Field, FieldConfig, Frame};

pub(crate) fn frames() -> Vec<Frame> {
    vec![Frame::new("enum").with_field(
        Field::new("state", vec![EnumIndex(0), EnumIndex(7)]).with_config(FieldConfig {
            enum_text: Some(vec!["ok".into(), "bad".into()]),
            ..Default::default()
        }),
    )]
}
