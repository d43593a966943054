//! `deep_json`: a JSON cell nested 1000 levels deep.

use quarry_guest::{Field, Frame};
use serde_json::Value;

pub(crate) fn frames() -> Vec<Frame> {
    let mut v = Value::Null;
    for _ in 0..1000 {
        v = Value::Array(vec![v]);
    }
    vec![Frame::new("deep").with_field(Field::new("j", vec![v]))]
}
