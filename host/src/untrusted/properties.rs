//! Property tests of the trust boundary: whatever a module returns, the checks never panic, and
//! everything they accept is what Grafana accepts — frames encode to Arrow and decode back the
//! same, headers are HTTP headers, texts are within their caps.

use proptest::prelude::*;
use quarry_frame::FrameLimits;

use super::*;
use crate::policy::limits::MAX_TEXT_BYTES;

/// Text with the characters that break parsers and protocols over-represented.
fn nasty_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("\r\n".to_string()),
            Just("\0".to_string()),
            Just("[".to_string()),
            Just("{\"a\":".to_string()),
            Just("]".to_string()),
            Just("\"".to_string()),
            Just("é🦥".to_string()),
            "[a-z0-9 ]{0,8}",
        ],
        0..max,
    )
    .prop_map(|parts| parts.concat())
}

fn column(len: usize) -> impl Strategy<Value = wit_types::Column> {
    use wit_types::Column as C;
    prop_oneof![
        proptest::collection::vec(any::<i64>(), len).prop_map(C::Time),
        proptest::collection::vec(any::<i8>(), len).prop_map(C::Int8),
        proptest::collection::vec(any::<u64>(), len).prop_map(C::Uint64),
        proptest::collection::vec(any::<f64>(), len).prop_map(C::Float64),
        proptest::collection::vec(any::<bool>(), len).prop_map(C::Bool),
        proptest::collection::vec(nasty_text(4), len).prop_map(C::String),
        proptest::collection::vec(nasty_text(6), len).prop_map(C::Json),
        proptest::collection::vec(0u16..4, len).prop_map(C::Enum),
    ]
}

fn field() -> impl Strategy<Value = wit_types::Field> {
    (0usize..6, 0usize..6).prop_flat_map(|(len, vlen)| {
        (
            nasty_text(3),
            proptest::collection::vec((nasty_text(2), nasty_text(2)), 0..4),
            proptest::option::of(prop_oneof![
                nasty_text(6),
                Just(r#"{"type":{"enum":{"text":["a","b"]}}}"#.to_string()),
                Just(r#"{"unit":"ms","decimals":2}"#.to_string()),
            ]),
            column(len),
            proptest::option::of(proptest::collection::vec(any::<bool>(), vlen)),
        )
            .prop_map(
                |(name, labels, config, values, validity)| wit_types::Field {
                    name,
                    labels: labels
                        .into_iter()
                        .map(|(key, value)| wit_types::KeyValue { key, value })
                        .collect(),
                    config,
                    values,
                    validity,
                },
            )
    })
}

fn frame() -> impl Strategy<Value = wit_types::Frame> {
    (
        nasty_text(3),
        proptest::option::of(prop_oneof![
            nasty_text(8),
            Just(r#"{"executedQueryString":"q","custom":{"x":[1,2]}}"#.to_string()),
        ]),
        proptest::collection::vec(field(), 0..4),
    )
        .prop_map(|(name, meta, fields)| wit_types::Frame { name, meta, fields })
}

proptest! {
    #[test]
    fn accepted_frames_are_frames_grafana_decodes(
        frames in proptest::collection::vec(frame(), 0..4),
        ref_id in "[A-Z]{0,3}",
    ) {
        let limits = FrameLimits::default();
        if let Ok(checked) = super::frames(frames, &ref_id, &limits) {
            for f in checked {
                let rows = f.rows();
                for field in &f.fields {
                    prop_assert_eq!(field.values.len(), rows);
                    if let Some(v) = &field.validity {
                        prop_assert_eq!(v.len(), rows);
                    }
                }
                let frame = f.frame().clone();
                let bytes = quarry_frame::to_arrow(f).expect("accepted frames encode");
                let back = quarry_frame::from_arrow(&bytes).expect("and decode");
                prop_assert_eq!(back.name, frame.name);
                prop_assert_eq!(back.ref_id, frame.ref_id);
                prop_assert_eq!(back.fields.len(), frame.fields.len());
            }
        }
    }

    #[test]
    fn accepted_resource_headers_are_http_headers(
        headers in proptest::collection::vec((nasty_text(3), proptest::collection::vec(nasty_text(3), 0..3)), 0..6),
        status in any::<u16>(),
    ) {
        let r = wit_types::ResourceResponse { status, headers, body: vec![] };
        if let Ok(ok) = resource_response(r) {
            prop_assert!((100..600).contains(&ok.status));
            for (name, values) in ok.headers {
                prop_assert!(http::HeaderName::from_bytes(name.as_bytes()).is_ok());
                for v in values {
                    prop_assert!(http::HeaderValue::from_str(&v).is_ok());
                }
            }
        }
    }

    #[test]
    fn module_errors_are_cut_to_their_cap(
        message in nasty_text(64),
        context in proptest::collection::vec(nasty_text(64), 0..40),
        repeat in 1usize..600,
    ) {
        let e = module_error(wit_types::Error {
            kind: wit_types::ErrorKind::Internal,
            message: message.repeat(repeat),
            context,
        });
        let total: usize = e.message.len() + e.context.iter().map(String::len).sum::<usize>();
        prop_assert!(total <= MAX_TEXT_BYTES.value as usize + 64);
    }

    #[test]
    fn json_is_parsed_only_within_bounds(text in nasty_text(40)) {
        if let Ok(v) = bounded_json("x", &text) {
            prop_assert!(quarry_frame::json_depth(&v.to_string()) <= 32);
        }
    }
}
