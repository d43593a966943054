//! `bad_meta`: frame meta with a notice of severity `critical`, which Grafana does not know.

use quarry_guest::{Field, Frame, FrameMeta};
use serde_json::json;

pub(crate) fn frames() -> Vec<Frame> {
    // The typed `Notice` only has Grafana's severities, so the bad one goes in as raw JSON.
    let meta = FrameMeta {
        extra: [(
            "notices".to_owned(),
            json!([{"severity": "critical", "text": "hostile notice"}]),
        )]
        .into_iter()
        .collect(),
        ..Default::default()
    };
    vec![
        Frame::new("bad_meta")
            .with_meta(meta)
            .with_field(Field::new("value", vec![42i64])),
    ]
}
