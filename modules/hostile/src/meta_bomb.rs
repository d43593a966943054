//! `meta_bomb`: three frames, each with an 8 MiB `meta` document.

use quarry_guest::{Field, Frame, FrameMeta};

const META_BYTES: usize = 8 << 20;

pub(crate) fn frames() -> Vec<Frame> {
    let custom = serde_json::Value::String("m".repeat(META_BYTES));
    (0..3)
        .map(|i| {
            Frame::new(format!("meta_bomb_{i}"))
                .with_meta(FrameMeta {
                    custom: Some(custom.clone()),
                    ..Default::default()
                })
                .with_field(Field::new("v", vec![1.0]))
        })
        .collect()
}
