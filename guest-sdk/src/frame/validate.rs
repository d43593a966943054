//! [`Frame::validate`]: the host's checks of a returned frame, run natively so a module's unit
//! tests catch what the host would refuse, with a message saying what to fix.

use std::collections::BTreeMap;

use super::{Field, Frame};
use crate::{Column, Error};

/// The host's default limits (`quarry-frame`'s `FrameLimits`), mirrored.
const MAX_FIELDS: usize = 1_000;
const MAX_ROWS: usize = 1_000_000;
const MAX_NAME_BYTES: usize = 1 << 10;
const MAX_STRING_BYTES: usize = 1 << 20;
const MAX_LABELS: usize = 128;
const MAX_JSON_DEPTH: usize = 32;

impl Frame {
    /// Checks the frame the way the host checks every frame a module returns, so a native unit
    /// test finds what the host would refuse: fields of different lengths, validity lists that
    /// do not match, enum indices without a name in the field's `enum_text`, JSON cells that
    /// nest deeper than 32 levels, the same labels on two fields of the same name, `extra`
    /// keys that repeat a typed key of [`FrameMeta`](crate::FrameMeta) or
    /// [`FieldConfig`](crate::FieldConfig), and the host's default size limits (1,000 fields,
    /// 1,000,000 rows, 128 labels per field, 1 KiB names, 1 MiB strings).
    ///
    /// ```
    /// use quarry_guest::{Field, Frame, Time};
    ///
    /// let frame = Frame::new("cpu")
    ///     .with_field(Field::new("time", vec![Time::from_secs(0), Time::from_secs(60)]))
    ///     .with_field(Field::new("value", vec![0.5, 0.7, 0.9]));
    /// let err = frame.validate().unwrap_err();
    /// assert_eq!(
    ///     err.message(),
    ///     "frame \"cpu\": field \"value\" has 3 values but field \"time\" has 2: every field \
    ///      of a frame needs one value per row (push to every field for each row, or build the \
    ///      frame with RowFrame)"
    /// );
    /// ```
    ///
    /// The host also limits a whole response (100 frames, 128 MiB by default) and may be
    /// configured with lower limits than these defaults.
    ///
    /// # Errors
    ///
    /// An internal error (a bug in the module) naming the frame, the field and what to change.
    pub fn validate(&self) -> Result<(), Error> {
        self.problem().map_or(Ok(()), |problem| {
            Err(Error::internal(format!("frame {:?}: {problem}", self.name)))
        })
    }

    fn problem(&self) -> Option<String> {
        if let Some(problem) = name_problem("the frame name", &self.name) {
            return Some(problem);
        }
        if self.fields.len() > MAX_FIELDS {
            return Some(format!(
                "{} fields, more than the {MAX_FIELDS} the host accepts: split it into several frames",
                self.fields.len()
            ));
        }
        if let Some(meta) = &self.meta {
            let typed = crate::FrameMeta {
                extra: serde_json::Map::new(),
                ..(**meta).clone()
            };
            if let Some(key) = repeated_key(&typed, &meta.extra) {
                return Some(format!(
                    "meta.extra has key {key:?}, which a typed FrameMeta field already writes: set that field instead"
                ));
            }
        }
        let first = self.fields.first()?;
        let rows = first.len();
        if rows > MAX_ROWS {
            return Some(format!(
                "{rows} rows, more than the {MAX_ROWS} the host accepts: ask for fewer points"
            ));
        }
        let mut series: BTreeMap<(&str, &BTreeMap<String, String>), usize> = BTreeMap::new();
        for (index, field) in self.fields.iter().enumerate() {
            if let Some(problem) = field_problem(field, first, rows) {
                return Some(problem);
            }
            if !field.labels.is_empty()
                && let Some(other) = series.insert((&field.name, &field.labels), index)
            {
                return Some(format!(
                    "fields {other} and {index} are both {:?} with labels {}: Grafana cannot tell \
                     the two series apart; give them different labels or names",
                    field.name,
                    display_labels(&field.labels)
                ));
            }
        }
        None
    }
}

fn field_problem(field: &Field, first: &Field, rows: usize) -> Option<String> {
    if let Some(problem) = name_problem("the field name", &field.name) {
        return Some(problem);
    }
    let named = |problem: String| Some(format!("field {:?}: {problem}", field.name));
    if field.len() != rows {
        return Some(format!(
            "field {:?} has {} values but field {:?} has {rows}: every field of a frame needs one \
             value per row (push to every field for each row, or build the frame with RowFrame)",
            field.name,
            field.len(),
            first.name
        ));
    }
    if let Some(validity) = &field.validity
        && validity.len() != rows
    {
        return named(format!(
            "{} validity entries for {rows} values: build nullable fields from a Vec<Option<_>>",
            validity.len()
        ));
    }
    if field.labels.len() > MAX_LABELS {
        return named(format!(
            "{} labels, more than the {MAX_LABELS} the host accepts",
            field.labels.len()
        ));
    }
    for (key, value) in &field.labels {
        if let Some(problem) = name_problem("a label key", key) {
            return named(problem);
        }
        if value.len() > MAX_STRING_BYTES {
            return named(format!(
                "label {key:?} is {} bytes, more than the {MAX_STRING_BYTES} the host accepts",
                value.len()
            ));
        }
    }
    if let Column::String(cells) | Column::Json(cells) = &field.values {
        for (row, cell) in cells.iter().enumerate() {
            if cell.len() > MAX_STRING_BYTES {
                return named(format!(
                    "row {row} is {} bytes, more than the {MAX_STRING_BYTES} the host accepts in one cell",
                    cell.len()
                ));
            }
            if matches!(field.values, Column::Json(_)) && !field.is_null(row) {
                if let Err(err) = serde_json::from_str::<serde::de::IgnoredAny>(cell) {
                    return named(format!("row {row} is not valid JSON: {err}"));
                }
                if json_depth(cell) > MAX_JSON_DEPTH {
                    return named(format!(
                        "row {row} nests JSON deeper than the {MAX_JSON_DEPTH} levels the host accepts"
                    ));
                }
            }
        }
    }
    let enum_text = field.config.as_ref().and_then(|c| c.enum_text.as_ref());
    if let (Column::Enum(indices), Some(names)) = (&field.values, enum_text)
        && let Some((row, index)) = indices
            .iter()
            .enumerate()
            .find(|&(row, &index)| usize::from(index) >= names.len() && !field.is_null(row))
    {
        return named(format!(
            "row {row} is EnumIndex({index}), but config.enum_text has {} names (indices 0 to {}): \
             add the name to enum_text or fix the index",
            names.len(),
            names.len().saturating_sub(1)
        ));
    }
    if let Some(config) = &field.config {
        let typed = crate::FieldConfig {
            extra: serde_json::Map::new(),
            ..config.clone()
        };
        if let Some(key) = repeated_key(&typed, &config.extra) {
            return named(format!(
                "config.extra has key {key:?}, which a typed FieldConfig field already writes: set that field instead"
            ));
        }
    }
    None
}

fn name_problem(what: &str, name: &str) -> Option<String> {
    (name.len() > MAX_NAME_BYTES).then(|| {
        format!(
            "{what} is {} bytes, more than the {MAX_NAME_BYTES} the host accepts",
            name.len()
        )
    })
}

/// An `extra` key that a typed field also writes, so the JSON would hold it twice.
fn repeated_key<'a, T: serde::Serialize>(
    without_extra: &T,
    extra: &'a serde_json::Map<String, serde_json::Value>,
) -> Option<&'a str> {
    let typed = serde_json::to_value(without_extra).ok()?;
    let typed = typed.as_object()?;
    extra
        .keys()
        .map(String::as_str)
        .find(|key| typed.contains_key(*key))
}

fn display_labels(labels: &BTreeMap<String, String>) -> String {
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", pairs.join(", "))
}

/// The nesting depth of a JSON text (0 for a scalar).
fn json_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for b in text.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{EnumIndex, ErrorKind, FieldConfig, FrameMeta, FrameType, Time};

    fn message(frame: &Frame) -> String {
        let err = frame.validate().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Internal);
        err.message().to_owned()
    }

    fn time(n: usize) -> Field {
        Field::new(
            "time",
            (0..n as i64).map(Time::from_secs).collect::<Vec<_>>(),
        )
    }

    #[test]
    fn good_frames_pass() {
        Frame::new("empty").validate().unwrap();
        Frame::new("f")
            .with_meta(FrameMeta {
                frame_type: Some(FrameType::TimeseriesMulti),
                extra: [("stats".to_owned(), json!([]))].into_iter().collect(),
                ..Default::default()
            })
            .with_field(time(2))
            .with_field(Field::new("value", vec![Some(1.0), None]).with_label("host", "a"))
            .with_field(Field::new("value", vec![1.0, 2.0]).with_label("host", "b"))
            .with_field(Field::new("value", vec![1.0, 2.0]))
            .with_field(Field::new("value", vec![1.0, 2.0]))
            .with_field(Field::new("j", vec![json!({"a": [1]}), json!(null)]))
            .with_field(
                Field::new("e", vec![Some(EnumIndex(1)), None]).with_config(FieldConfig {
                    enum_text: Some(vec!["a".into(), "b".into()]),
                    ..Default::default()
                }),
            )
            .with_field(Field::new("raw_enum", vec![EnumIndex(9), EnumIndex(0)]))
            .validate()
            .unwrap();
    }

    #[test]
    fn each_refusal_says_what_to_fix() {
        let deep = (0..40).fold(json!(1), |v, _| json!([v]));
        let cases: Vec<(Frame, &str)> = vec![
            (
                Frame::new("f")
                    .with_field(time(2))
                    .with_field(Field::new("v", [1.0])),
                "frame \"f\": field \"v\" has 1 values but field \"time\" has 2: every field of a frame needs one value per row",
            ),
            (
                Frame::new("f").with_field(
                    Field::new("e", vec![EnumIndex(0), EnumIndex(2)]).with_config(FieldConfig {
                        enum_text: Some(vec!["low".into(), "high".into()]),
                        ..Default::default()
                    }),
                ),
                "frame \"f\": field \"e\": row 1 is EnumIndex(2), but config.enum_text has 2 names (indices 0 to 1): add the name to enum_text or fix the index",
            ),
            (
                Frame::new("f").with_field(Field::new("j", vec![deep])),
                "frame \"f\": field \"j\": row 0 nests JSON deeper than the 32 levels the host accepts",
            ),
            (
                Frame::new("f")
                    .with_field(Field::new("value", [1.0]).with_label("host", "a"))
                    .with_field(Field::new("value", [2.0]).with_label("host", "a")),
                "frame \"f\": fields 0 and 1 are both \"value\" with labels {host=\"a\"}: Grafana cannot tell the two series apart",
            ),
            (
                Frame::new("f").with_meta(FrameMeta {
                    frame_type: Some(FrameType::Table),
                    extra: [("type".to_owned(), json!("x"))].into_iter().collect(),
                    ..Default::default()
                }),
                "frame \"f\": meta.extra has key \"type\", which a typed FrameMeta field already writes",
            ),
            (
                Frame::new("f").with_field(Field::new("v", [1]).with_config(FieldConfig {
                    unit: Some("ms".into()),
                    extra: [("unit".to_owned(), json!("s"))].into_iter().collect(),
                    ..Default::default()
                })),
                "frame \"f\": field \"v\": config.extra has key \"unit\"",
            ),
            (
                Frame::new("f").with_field(
                    Field::new("v", [1]).with_labels((0..129).map(|i| (format!("k{i}"), "v"))),
                ),
                "frame \"f\": field \"v\": 129 labels, more than the 128 the host accepts",
            ),
            (
                Frame::new("x".repeat(1025)),
                "the frame name is 1025 bytes, more than the 1024 the host accepts",
            ),
            (
                Frame::new("f").with_field(Field::new("s", vec!["x".repeat((1 << 20) + 1)])),
                "frame \"f\": field \"s\": row 0 is 1048577 bytes",
            ),
        ];
        for (frame, want) in cases {
            let got = message(&frame);
            assert!(got.contains(want), "{got}\nwant: {want}");
        }
    }

    #[test]
    fn broken_internals_are_caught() {
        // Not reachable through the builders, but the check must not trust them.
        let mut field = Field::new("v", vec![Some(1), None]);
        field.validity = Some(vec![true]);
        let frame = Frame::new("f").with_field(field);
        assert!(message(&frame).contains("1 validity entries for 2 values"));
        let mut field = Field::new("j", vec![json!(1)]);
        field.values = Column::Json(vec!["{".into()]);
        assert!(message(&Frame::new("f").with_field(field)).contains("row 0 is not valid JSON"));
    }

    #[test]
    fn depth_counts_brackets_outside_strings() {
        assert_eq!(json_depth("1"), 0);
        assert_eq!(json_depth(r#"{"a":[1,{"b":"]]]"}]}"#), 3);
        assert_eq!(json_depth(r#"["\"["]"#), 1);
    }
}
