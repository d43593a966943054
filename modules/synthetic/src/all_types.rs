//! The `all_types` scenario: one small table with every field type, plain and nullable.

use quarry_guest::{
    EnumIndex, Field, FieldConfig, FieldType, Frame, FrameMeta, FrameType, Notice, Time,
};
use serde_json::{Value, json};

/// The `all_types` frame (3 rows; each nullable twin has row 1 null).
pub(crate) fn all_types_frame() -> Frame {
    let float64_labels = [("host", "a"), ("dc", "x")];
    let float64_config = FieldConfig {
        unit: Some("ms".into()),
        display_name: Some("Float Sixty-Four".into()),
        decimals: Some(2),
        min: Some(-10.0),
        max: Some(10.0),
        ..Default::default()
    };
    let enum_config = FieldConfig {
        enum_text: Some(vec!["low".into(), "mid".into(), "high".into()]),
        ..Default::default()
    };
    let json_values: [Value; 3] = [json!({"a": 1}), json!([1, 2]), Value::Null];

    Frame::new("all_types")
        .with_meta(FrameMeta {
            frame_type: Some(FrameType::Table),
            type_version: Some([0, 0]),
            executed_query_string: Some("all_types".into()),
            custom: Some(json!({"rows": 3})),
            notices: vec![Notice::info("synthetic all types")],
            ..Default::default()
        })
        .with_fields(pair(
            "time",
            [
                Time(1_700_000_000_000_000_000),
                Time(1_700_000_000_001_000_001),
                Time(1_700_000_000_002_000_002),
            ],
        ))
        .with_fields(pair("int8", [i8::MIN, 0, i8::MAX]))
        .with_fields(pair("int16", [i16::MIN, 0, i16::MAX]))
        .with_fields(pair("int32", [i32::MIN, 0, i32::MAX]))
        .with_fields(pair("int64", [i64::MIN, 0, i64::MAX]))
        .with_fields(pair("uint8", [0, 1, u8::MAX]))
        .with_fields(pair("uint16", [0, 1, u16::MAX]))
        .with_fields(pair("uint32", [0, 1, u32::MAX]))
        .with_fields(pair("uint64", [0, 1, u64::MAX]))
        .with_fields(pair("float32", [-1.5f32, 0.0, 3.25]))
        .with_fields(pair("float64", [-1.5f64, 0.0, 1e300]).map(|field| {
            field
                .with_labels(float64_labels)
                .with_config(float64_config.clone())
        }))
        .with_fields(pair("bool", [true, false, true]))
        .with_fields(pair("string", ["a", "", "ünïcode"]))
        .with_fields(pair("json", json_values))
        .with_fields(
            pair("enum", [EnumIndex(0), EnumIndex(1), EnumIndex(2)])
                .map(|field| field.with_config(enum_config.clone())),
        )
}

/// The field `name` and its twin `nullable_<name>`, whose row 1 is null.
fn pair<T: FieldType + Clone>(name: &str, values: [T; 3]) -> [Field; 2] {
    let [a, _, c] = values.clone();
    [
        Field::new(name, values),
        Field::new(format!("nullable_{name}"), [Some(a), None, Some(c)]),
    ]
}

#[cfg(test)]
mod tests {
    use quarry_guest::Column;

    use super::*;

    #[test]
    fn field_order_and_types() {
        let frame = all_types_frame();
        let names: Vec<_> = frame.fields().iter().map(Field::name).collect();
        let mut want = Vec::new();
        for base in [
            "time", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
            "float32", "float64", "bool", "string", "json", "enum",
        ] {
            want.push(base.to_owned());
            want.push(format!("nullable_{base}"));
        }
        assert_eq!(names, want);
        for field in frame.fields() {
            assert_eq!(field.len(), 3, "{}", field.name());
            let nullable = field.name().starts_with("nullable_");
            assert_eq!(field.is_nullable(), nullable, "{}", field.name());
            if nullable {
                assert_eq!(field.validity(), Some(&[true, false, true][..]));
            }
        }
    }

    #[test]
    fn meta() {
        assert_eq!(
            serde_json::to_value(all_types_frame().meta().unwrap()).unwrap(),
            json!({
                "type": "table",
                "typeVersion": [0, 0],
                "executedQueryString": "all_types",
                "custom": {"rows": 3},
                "notices": [{"severity": "info", "text": "synthetic all types"}],
            })
        );
    }

    #[test]
    fn values() {
        let frame = all_types_frame();
        let values = |name: &str| frame.field(name).unwrap().values().clone();
        assert_eq!(
            values("time"),
            Column::Time(vec![
                1_700_000_000_000_000_000,
                1_700_000_000_001_000_001,
                1_700_000_000_002_000_002
            ])
        );
        assert_eq!(values("nullable_int8"), Column::Int8(vec![-128, 0, 127]));
        assert_eq!(values("uint64"), Column::Uint64(vec![0, 1, u64::MAX]));
        assert_eq!(values("float32"), Column::Float32(vec![-1.5, 0.0, 3.25]));
        assert_eq!(values("float64"), Column::Float64(vec![-1.5, 0.0, 1e300]));
        assert_eq!(
            values("string"),
            Column::String(vec!["a".into(), String::new(), "ünïcode".into()])
        );
        assert_eq!(
            values("json"),
            Column::Json(vec![r#"{"a":1}"#.into(), "[1,2]".into(), "null".into()])
        );
        assert_eq!(values("nullable_enum"), Column::Enum(vec![0, 0, 2]));
    }

    #[test]
    fn labels_and_configs() {
        let frame = all_types_frame();
        for name in ["float64", "nullable_float64"] {
            let field = frame.field(name).unwrap();
            assert_eq!(field.labels().get("host").map(String::as_str), Some("a"));
            assert_eq!(field.labels().get("dc").map(String::as_str), Some("x"));
            assert_eq!(
                serde_json::to_value(field.config().unwrap()).unwrap(),
                json!({"unit": "ms", "displayName": "Float Sixty-Four", "decimals": 2, "min": -10, "max": 10})
            );
        }
        for name in ["enum", "nullable_enum"] {
            assert_eq!(
                serde_json::to_value(frame.field(name).unwrap().config().unwrap()).unwrap(),
                json!({"type": {"enum": {"text": ["low", "mid", "high"]}}})
            );
        }
        assert!(frame.field("int8").unwrap().config().is_none());
        assert!(frame.field("int8").unwrap().labels().is_empty());
    }
}
