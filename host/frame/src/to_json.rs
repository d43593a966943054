//! Grafana's frame JSON: the format of streaming packets, initial stream data and
//! `format=JSON` responses (Go SDK `data.FrameToJSON`).
//!
//! ```text
//! {"schema":{"name"?,"refId"?,"meta"?,"fields":[{"name"?,"type","typeInfo":{"frame","nullable"?},"labels"?,"config"?}]},
//!  "data":{"values":[[…],…],"entities"?:[…],"nanos"?:[…]}}
//! ```
//!
//! - `time` values are epoch milliseconds (rounded down); a sub-millisecond remainder goes in
//!   `nanos`, one entry per field: `null`, or for a field with any remainder an array with one
//!   nanosecond offset per row.
//! - Float NaN, +Inf and −Inf are written as `null` and recorded in `entities`, one entry per
//!   field: `null` or `{"NaN":[rows],"Inf":[rows],"NegInf":[rows]}` (empty lists left out).
//! - Nulls are `null`, JSON cells are embedded as they are, enums are their indices, 64-bit
//!   integers are plain JSON numbers.
//! - `entities` and `nanos` appear only when some field needs them.

use std::fmt::{self, Write as _};

use serde_json::Value;

use crate::{Column, Field, Frame};

/// Which parts of the frame JSON to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Include {
    /// `{"schema":…,"data":…}`.
    #[default]
    All,
    /// `{"schema":…}`.
    SchemaOnly,
    /// `{"data":…}`: only for a receiver that already has this frame's schema.
    DataOnly,
}

/// Writes a frame as Grafana frame JSON.
///
/// Written for frames that passed [`Frame::check`] (its refs deref to [`Frame`]). On an
/// unchecked frame, a JSON cell that is not valid JSON is written as `null`, so the output
/// is always valid JSON.
///
/// ```
/// use quarry_frame::{Column, Field, Frame, Include, to_json};
///
/// let frame = Frame::new("cpu")
///     .with_field(Field::new("time", Column::Time(vec![1_500_000])))
///     .with_field(Field::new("value", vec![f64::NAN]));
/// assert_eq!(
///     to_json(&frame, Include::DataOnly),
///     r#"{"data":{"values":[[1],[null]],"entities":[null,{"NaN":[0]}],"nanos":[[500000],null]}}"#
/// );
/// ```
pub fn to_json(frame: &Frame, include: Include) -> String {
    let mut out = String::with_capacity(256 + frame.rows() * frame.fields.len() * 8);
    out.push('{');
    if matches!(include, Include::All | Include::SchemaOnly) {
        out.push_str(r#""schema":"#);
        write_schema(&mut out, frame);
    }
    if include == Include::All {
        out.push(',');
    }
    if matches!(include, Include::All | Include::DataOnly) {
        out.push_str(r#""data":"#);
        write_data(&mut out, frame);
    }
    out.push('}');
    out
}

/// The schema part of a frame's JSON, for telling whether two frames share a schema (name,
/// refId, meta, and each field's name, type, nullability, labels and config).
///
/// A streamer keeps the signature of the last frame it sent and sends
/// [`Include::DataOnly`] while the signature stays the same.
///
/// ```
/// use quarry_frame::{Field, Frame, schema_signature};
///
/// let a = Frame::new("f").with_field(Field::new("v", vec![1.0]));
/// let b = Frame::new("f").with_field(Field::new("v", vec![2.0, 3.0]));
/// let c = Frame::new("f").with_field(Field::new("v", vec![1.0]).with_label("k", "v"));
/// assert_eq!(schema_signature(&a), schema_signature(&b));
/// assert_ne!(schema_signature(&a), schema_signature(&c));
/// ```
pub fn schema_signature(frame: &Frame) -> SchemaSignature {
    let mut out = String::new();
    write_schema(&mut out, frame);
    SchemaSignature(out)
}

/// What [`schema_signature`] returns: equal exactly when the schemas are equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaSignature(String);

impl SchemaSignature {
    /// The schema JSON object this signature was made from.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn write_schema(out: &mut String, frame: &Frame) {
    out.push('{');
    if !frame.name.is_empty() {
        out.push_str(r#""name":"#);
        push_str_json(out, &frame.name);
        out.push(',');
    }
    if !frame.ref_id.is_empty() {
        out.push_str(r#""refId":"#);
        push_str_json(out, &frame.ref_id);
        out.push(',');
    }
    if let Some(meta) = &frame.meta {
        out.push_str(r#""meta":"#);
        push_value(out, meta);
        out.push(',');
    }
    out.push_str(r#""fields":["#);
    for (i, field) in frame.fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_field_schema(out, field);
    }
    out.push_str("]}");
}

fn write_field_schema(out: &mut String, field: &Field) {
    let field_type = field.field_type();
    out.push('{');
    if !field.name.is_empty() {
        out.push_str(r#""name":"#);
        push_str_json(out, &field.name);
        out.push(',');
    }
    out.push_str(r#""type":"#);
    push_str_json(out, field_type.tstype());
    out.push_str(r#","typeInfo":{"frame":"#);
    push_str_json(out, field_type.frame_type_name());
    if field.is_nullable() {
        out.push_str(r#","nullable":true"#);
    }
    out.push('}');
    if !field.labels.is_empty() {
        out.push_str(r#","labels":{"#);
        for (i, (k, v)) in field.labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_str_json(out, k);
            out.push(':');
            push_str_json(out, v);
        }
        out.push('}');
    }
    if let Some(config) = &field.config {
        out.push_str(r#","config":"#);
        push_value(out, config);
    }
    out.push('}');
}

/// Rows with NaN, +Inf and −Inf in one float field.
#[derive(Default)]
struct Entities {
    nan: Vec<usize>,
    inf: Vec<usize>,
    neg_inf: Vec<usize>,
}

impl Entities {
    fn is_empty(&self) -> bool {
        self.nan.is_empty() && self.inf.is_empty() && self.neg_inf.is_empty()
    }
}

fn write_data(out: &mut String, frame: &Frame) {
    let mut entities: Vec<Option<Entities>> = Vec::with_capacity(frame.fields.len());
    let mut nanos: Vec<Option<Vec<i64>>> = Vec::with_capacity(frame.fields.len());
    out.push_str(r#"{"values":["#);
    for (i, field) in frame.fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        let (e, n) = write_values(out, field);
        out.push(']');
        entities.push(e.filter(|e| !e.is_empty()));
        nanos.push(n);
    }
    out.push(']');

    if entities.iter().any(Option::is_some) {
        out.push_str(r#","entities":["#);
        for (i, e) in entities.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match e {
                None => out.push_str("null"),
                Some(e) => {
                    out.push('{');
                    let mut first = true;
                    for (key, rows) in [("NaN", &e.nan), ("Inf", &e.inf), ("NegInf", &e.neg_inf)] {
                        if rows.is_empty() {
                            continue;
                        }
                        if !first {
                            out.push(',');
                        }
                        first = false;
                        push_str_json(out, key);
                        out.push(':');
                        push_list(out, rows);
                    }
                    out.push('}');
                }
            }
        }
        out.push(']');
    }

    if nanos.iter().any(Option::is_some) {
        out.push_str(r#","nanos":["#);
        for (i, n) in nanos.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match n {
                None => out.push_str("null"),
                Some(n) => push_list(out, n),
            }
        }
        out.push(']');
    }
    out.push('}');
}

/// Writes one field's values (without the brackets); returns its float entities and, for a
/// time field with sub-millisecond remainders, the per-row remainders.
fn write_values(out: &mut String, field: &Field) -> (Option<Entities>, Option<Vec<i64>>) {
    let valid = |row: usize| !field.is_null(row);
    match &field.values {
        Column::Time(v) => {
            let mut nanos: Option<Vec<i64>> = None;
            cells(out, v, valid, |out, row, &ns| {
                push_display(out, ns.div_euclid(1_000_000));
                let rem = ns.rem_euclid(1_000_000);
                if rem != 0 {
                    nanos.get_or_insert_with(|| vec![0; v.len()])[row] = rem;
                }
            });
            return (None, nanos);
        }
        Column::Int8(v) => cells(out, v, valid, |out, _, x| push_display(out, x)),
        Column::Int16(v) => cells(out, v, valid, |out, _, x| push_display(out, x)),
        Column::Int32(v) => cells(out, v, valid, |out, _, x| push_display(out, x)),
        Column::Int64(v) => cells(out, v, valid, |out, _, x| push_display(out, x)),
        Column::UInt8(v) => cells(out, v, valid, |out, _, x| push_display(out, x)),
        Column::UInt16(v) | Column::Enum(v) => {
            cells(out, v, valid, |out, _, x| push_display(out, x))
        }
        Column::UInt32(v) => cells(out, v, valid, |out, _, x| push_display(out, x)),
        Column::UInt64(v) => cells(out, v, valid, |out, _, x| push_display(out, x)),
        Column::Float32(v) => {
            let mut entities = Entities::default();
            cells(out, v, valid, |out, row, &x| {
                float(out, &mut entities, row, x)
            });
            return (Some(entities), None);
        }
        Column::Float64(v) => {
            let mut entities = Entities::default();
            cells(out, v, valid, |out, row, &x| {
                float(out, &mut entities, row, x)
            });
            return (Some(entities), None);
        }
        Column::Bool(v) => cells(out, v, valid, |out, _, x| push_display(out, x)),
        Column::String(v) => cells(out, v, valid, |out, _, s| push_str_json(out, s)),
        Column::Json(v) => cells(out, v, valid, |out, _, s| push_raw_json(out, s)),
    }
    (None, None)
}

/// Writes comma-separated cells, `null` where the row is null.
fn cells<T>(
    out: &mut String,
    values: &[T],
    valid: impl Fn(usize) -> bool,
    mut write: impl FnMut(&mut String, usize, &T),
) {
    for (row, value) in values.iter().enumerate() {
        if row > 0 {
            out.push(',');
        }
        if valid(row) {
            write(out, row, value);
        } else {
            out.push_str("null");
        }
    }
}

/// A float cell: `null` plus an entity for NaN/±Inf; else, as Go writes floats, the shortest
/// decimal that reads back as the same `T` (`1` for 1.0), with an exponent below 1e-6 and
/// from 1e21 on.
fn float<T>(out: &mut String, entities: &mut Entities, row: usize, value: T)
where
    T: Copy + Into<f64> + fmt::Display + fmt::LowerExp,
{
    let x: f64 = value.into();
    if x.is_nan() {
        entities.nan.push(row);
    } else if x == f64::INFINITY {
        entities.inf.push(row);
    } else if x == f64::NEG_INFINITY {
        entities.neg_inf.push(row);
    } else {
        if x == 0.0 || (1e-6..1e21).contains(&x.abs()) {
            push_display(out, value);
        } else {
            push_display(out, format_args!("{value:e}"));
        }
        return;
    }
    out.push_str("null");
}

/// Embeds a JSON cell; one that does not parse becomes `null`.
fn push_raw_json(out: &mut String, text: &str) {
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
        out.push_str(text.trim_matches([' ', '\t', '\n', '\r']));
    } else {
        out.push_str("null");
    }
}

fn push_list<T: fmt::Display>(out: &mut String, items: &[T]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_display(out, item);
    }
    out.push(']');
}

fn push_display(out: &mut String, value: impl fmt::Display) {
    // Writing into a `String` cannot fail.
    let _ = write!(out, "{value}");
}

fn push_str_json(out: &mut String, s: &str) {
    push_display(out, Value::from(s));
}

fn push_value(out: &mut String, value: &Value) {
    push_display(out, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_frames::{all_types, golden, indent_json};
    use crate::{FrameLimits, from_arrow, to_arrow};
    use serde_json::json;

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap_or_else(|e| panic!("invalid JSON {e}: {s}"))
    }

    #[test]
    fn nanos_entities_nulls() {
        let frame = Frame::new("f")
            .with_ref_id("A")
            .with_field(Field::new(
                "time",
                Column::Time(vec![1_000_000_000, 1_000_000_001, -1]),
            ))
            .with_field(Field::new(
                "ms",
                Column::Time(vec![0, 1_000_000, 2_000_000]),
            ))
            .with_field(Field::new(
                "f",
                vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY],
            ))
            .with_field(
                Field::new("g", vec![f32::NAN, 0.1, f32::INFINITY])
                    .with_validity(vec![false, true, true]),
            )
            .with_field(Field::from_options(
                "s",
                vec![Some("a".to_owned()), None, Some("\"q\"\n".to_owned())],
            ))
            .with_field(Field::new("big", vec![u64::MAX, 0, 1]));
        let want = concat!(
            r#"{"schema":{"name":"f","refId":"A","fields":["#,
            r#"{"name":"time","type":"time","typeInfo":{"frame":"time.Time"}},"#,
            r#"{"name":"ms","type":"time","typeInfo":{"frame":"time.Time"}},"#,
            r#"{"name":"f","type":"number","typeInfo":{"frame":"float64"}},"#,
            r#"{"name":"g","type":"number","typeInfo":{"frame":"float32","nullable":true}},"#,
            r#"{"name":"s","type":"string","typeInfo":{"frame":"string","nullable":true}},"#,
            r#"{"name":"big","type":"number","typeInfo":{"frame":"uint64"}}]},"#,
            r#""data":{"values":[[1000,1000,-1],[0,1,2],[null,null,null],[null,0.1,null],["a",null,"\"q\"\n"],[18446744073709551615,0,1]],"#,
            r#""entities":[null,null,{"NaN":[0],"Inf":[1],"NegInf":[2]},{"Inf":[2]},null,null],"#,
            r#""nanos":[[0,1,999999],null,null,null,null,null]}}"#,
        );
        let got = to_json(&frame, Include::All);
        assert_eq!(got, want);
        parse(&got);
    }

    #[test]
    fn include_modes() {
        let frame = Frame::new("")
            .with_meta(json!({"type": "table"}))
            .with_field(
                Field::new("", vec![true])
                    .with_label("k", "v")
                    .with_config(json!({"unit": "x"})),
            );
        let schema = r#"{"meta":{"type":"table"},"fields":[{"type":"boolean","typeInfo":{"frame":"bool"},"labels":{"k":"v"},"config":{"unit":"x"}}]}"#;
        let data = r#"{"values":[[true]]}"#;
        assert_eq!(
            to_json(&frame, Include::All),
            format!(r#"{{"schema":{schema},"data":{data}}}"#)
        );
        assert_eq!(
            to_json(&frame, Include::SchemaOnly),
            format!(r#"{{"schema":{schema}}}"#)
        );
        assert_eq!(
            to_json(&frame, Include::DataOnly),
            format!(r#"{{"data":{data}}}"#)
        );
        assert_eq!(schema_signature(&frame).as_str(), schema);
    }

    #[test]
    fn float_forms() {
        let frame = Frame::new("")
            .with_field(Field::new(
                "d",
                vec![
                    1.0,
                    -0.0,
                    0.1,
                    1e20,
                    1e21,
                    1.5e-7,
                    5e-324,
                    f64::MAX,
                    123.456,
                ],
            ))
            .with_field(Field::new(
                "f",
                vec![
                    1.0f32,
                    0.0,
                    0.1,
                    1e20,
                    1e21,
                    1.5e-7,
                    1e-45,
                    f32::MAX,
                    123.456,
                ],
            ));
        assert_eq!(
            to_json(&frame, Include::DataOnly),
            concat!(
                r#"{"data":{"values":["#,
                r#"[1,-0,0.1,100000000000000000000,1e21,1.5e-7,5e-324,1.7976931348623157e308,123.456],"#,
                r#"[1,0,0.1,100000000000000000000,1e21,1.5e-7,1e-45,3.4028235e38,123.456]]}}"#
            )
        );
    }

    #[test]
    fn empty_frame() {
        assert_eq!(
            to_json(&Frame::new("e"), Include::All),
            r#"{"schema":{"name":"e","fields":[]},"data":{"values":[]}}"#
        );
    }

    #[test]
    fn json_cells_embedded_raw() {
        let frame = Frame::new("j").with_field(
            Field::new(
                "j",
                Column::Json(vec![
                    " {\"a\": [1, 2]}\n".into(),
                    "not json".into(),
                    "\"s\"".into(),
                    "ignored".into(),
                ]),
            )
            .with_validity(vec![true, true, true, false]),
        );
        assert_eq!(
            to_json(&frame, Include::DataOnly),
            r#"{"data":{"values":[[{"a": [1, 2]},null,"s",null]]}}"#
        );
    }

    #[test]
    fn signature_tracks_schema_changes() {
        let base = Frame::new("f").with_field(Field::new("v", vec![1i32]));
        let same = base.clone().with_field(Field::new("w", vec![1i32]));
        let sig = schema_signature(&base);
        let changes = [
            same,
            Frame::new("g").with_field(Field::new("v", vec![1i32])),
            base.clone().with_ref_id("B"),
            base.clone().with_meta(json!({})),
            Frame::new("f").with_field(Field::new("v", vec![1i64])),
            Frame::new("f").with_field(Field::new("v", vec![1i32]).with_validity(vec![true])),
            Frame::new("f").with_field(Field::new("v", vec![1i32]).with_config(json!({}))),
        ];
        for changed in changes {
            assert_ne!(schema_signature(&changed), sig, "{changed:?}");
        }
        let more_rows = Frame::new("f").with_field(Field::new("v", vec![5i32, 6, 7]));
        assert_eq!(schema_signature(&more_rows), sig);
    }

    #[test]
    fn golden_all_types() {
        let checked = all_types().check(&FrameLimits::default()).expect("valid");
        let text = to_json(&checked, Include::All);
        parse(&text);
        golden("all_types.golden.json", indent_json(&text).as_bytes());

        // The Arrow file decodes back to the same JSON.
        let decoded = from_arrow(&to_arrow(checked).expect("encodes")).expect("decodes");
        assert_eq!(to_json(&decoded, Include::All), text);
    }
}
