//! `many_labels`: one field with 100,000 labels.

use quarry_guest::{Field, Frame};

pub(crate) fn frames() -> Vec<Frame> {
    let labels: Vec<(String, String)> = (0..100_000)
        .map(|i| (format!("k{i}"), format!("v{i}")))
        .collect();
    vec![Frame::new("labels").with_field(Field::new("v", vec![1.0]).with_labels(labels))]
}
