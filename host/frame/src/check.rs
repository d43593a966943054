//! The trust boundary for frames: [`Frame::check`] turns a frame (usually built from a
//! module's untrusted output) into a [`CheckedFrame`] that the encoders accept.
//!
//! A frame that passes is one Grafana's Go decoder accepts: fields of equal length, validity
//! lists that match, JSON cells that parse, `meta` and field `config` objects of the shapes
//! Grafana's strict JSON decoding requires, and everything within [`FrameLimits`].

use std::ops::Deref;

use arrow_schema::ArrowError;
use serde_json::Value;

use crate::json_rules::{self, json_depth, shorten};
use crate::{Column, Frame};

/// How large the frames of one response may be.
///
/// # Default
///
/// | limit | default |
/// |---|---|
/// | frames per response | 100 |
/// | fields per frame | 1,000 |
/// | rows per frame | 1,000,000 |
/// | total bytes (one frame, and all frames of a response) | 128 MiB |
/// | bytes per string, JSON cell or label value | 1 MiB |
/// | bytes per name (frame name, refId, field name, label key) | 1 KiB |
/// | labels per field | 128 |
/// | nesting depth of a JSON cell, `meta` or field `config` | 32 |
///
/// Bytes are counted as the values take up in Arrow (8 per `time`/`int64`/`float64`, one per
/// `bool`, UTF-8 bytes plus a 4-byte offset per string) plus names, labels and JSON text.
///
/// ```
/// use quarry_frame::FrameLimits;
///
/// let limits = FrameLimits::default().with_max_rows(10_000).with_max_frames(10);
/// assert_eq!(limits.max_rows(), 10_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameLimits {
    max_frames: usize,
    max_fields: usize,
    max_rows: usize,
    max_bytes: usize,
    max_string_len: usize,
    max_name_len: usize,
    max_labels: usize,
    max_json_depth: usize,
}

impl Default for FrameLimits {
    fn default() -> Self {
        FrameLimits {
            max_frames: 100,
            max_fields: 1_000,
            max_rows: 1_000_000,
            max_bytes: 128 << 20,
            max_string_len: 1 << 20,
            max_name_len: 1 << 10,
            max_labels: 128,
            max_json_depth: 32,
        }
    }
}

impl FrameLimits {
    /// The most frames one response may hold.
    pub fn with_max_frames(mut self, n: usize) -> Self {
        self.max_frames = n;
        self
    }
    /// The most fields one frame may hold.
    pub fn with_max_fields(mut self, n: usize) -> Self {
        self.max_fields = n;
        self
    }
    /// The most rows one frame may hold.
    pub fn with_max_rows(mut self, n: usize) -> Self {
        self.max_rows = n;
        self
    }
    /// The most bytes one frame, and all frames of one response together, may take.
    pub fn with_max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = n;
        self
    }
    /// The longest string, JSON cell or label value, in bytes.
    pub fn with_max_string_len(mut self, n: usize) -> Self {
        self.max_string_len = n;
        self
    }
    /// The longest frame name, refId, field name or label key, in bytes.
    pub fn with_max_name_len(mut self, n: usize) -> Self {
        self.max_name_len = n;
        self
    }
    /// The most labels one field may carry.
    pub fn with_max_labels(mut self, n: usize) -> Self {
        self.max_labels = n;
        self
    }

    /// The limit on frames per response.
    pub fn max_frames(&self) -> usize {
        self.max_frames
    }
    /// The limit on fields per frame.
    pub fn max_fields(&self) -> usize {
        self.max_fields
    }
    /// The limit on rows per frame.
    pub fn max_rows(&self) -> usize {
        self.max_rows
    }
    /// The limit on bytes per frame and per response.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }
    /// The limit on bytes per string, JSON cell or label value.
    pub fn max_string_len(&self) -> usize {
        self.max_string_len
    }
    /// The limit on bytes per name.
    pub fn max_name_len(&self) -> usize {
        self.max_name_len
    }
    /// The limit on labels per field.
    pub fn max_labels(&self) -> usize {
        self.max_labels
    }
    /// The deepest nesting a JSON cell, `meta` or field `config` may have.
    pub fn with_max_json_depth(mut self, n: usize) -> Self {
        self.max_json_depth = n;
        self
    }
    /// The limit on JSON nesting depth.
    pub fn max_json_depth(&self) -> usize {
        self.max_json_depth
    }
}

/// Why a frame was refused, or could not be encoded or decoded.
///
/// Field names in messages are cut to 64 characters.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A field's length differs from the first field's.
    #[error(
        "field {field:?} has {len} values, expected {expected} (all fields of a frame must have equal length)"
    )]
    FieldLengthMismatch {
        field: String,
        index: usize,
        len: usize,
        expected: usize,
    },
    /// A nullable field's validity list does not have one entry per value.
    #[error("field {field:?} has {validity} validity entries for {values} values")]
    ValidityLengthMismatch {
        field: String,
        index: usize,
        validity: usize,
        values: usize,
    },
    /// More frames than [`FrameLimits::max_frames`].
    #[error("too many frames: limit={limit}, got={got}")]
    TooManyFrames { limit: usize, got: usize },
    /// More fields than [`FrameLimits::max_fields`].
    #[error("too many fields in frame: limit={limit}, got={got}")]
    TooManyFields { limit: usize, got: usize },
    /// More rows than [`FrameLimits::max_rows`].
    #[error("too many rows in frame: limit={limit}, got={got}")]
    TooManyRows { limit: usize, got: usize },
    /// One frame exceeds [`FrameLimits::max_bytes`].
    #[error("frame too large: limit={limit} bytes, got={got} bytes")]
    FrameTooLarge { limit: usize, got: usize },
    /// All frames of a response together exceed [`FrameLimits::max_bytes`].
    #[error("response too large: limit={limit} bytes, got={got} bytes")]
    ResponseTooLarge { limit: usize, got: usize },
    /// A frame name, refId, field name or label key exceeds [`FrameLimits::max_name_len`].
    #[error("{what} too long: limit={limit} bytes, got={got} bytes")]
    NameTooLong {
        what: &'static str,
        limit: usize,
        got: usize,
    },
    /// A string or JSON cell exceeds [`FrameLimits::max_string_len`].
    #[error("field {field:?} row {row}: value too long: limit={limit} bytes, got={got} bytes")]
    StringTooLong {
        field: String,
        row: usize,
        limit: usize,
        got: usize,
    },
    /// A label value exceeds [`FrameLimits::max_string_len`].
    #[error(
        "field {field:?} label {label:?}: value too long: limit={limit} bytes, got={got} bytes"
    )]
    LabelValueTooLong {
        field: String,
        label: String,
        limit: usize,
        got: usize,
    },
    /// More labels than [`FrameLimits::max_labels`].
    #[error("field {field:?} has too many labels: limit={limit}, got={got}")]
    TooManyLabels {
        field: String,
        limit: usize,
        got: usize,
    },
    /// A (non-null) JSON cell is not one valid JSON document.
    #[error("field {field:?} row {row} is not valid JSON: {reason}")]
    InvalidJsonCell {
        field: String,
        row: usize,
        reason: String,
    },
    /// A JSON cell nests deeper than [`FrameLimits::max_json_depth`].
    #[error("field {field:?} row {row}: JSON nested too deep: limit={limit} levels")]
    JsonTooDeep {
        field: String,
        row: usize,
        limit: usize,
    },
    /// An enum cell indexes past the names in the field's `config.type.enum.text`.
    #[error(
        "field {field:?} row {row}: enum index {index} has no name (config.type.enum.text has {names})"
    )]
    EnumIndexOutOfRange {
        field: String,
        row: usize,
        index: u16,
        names: usize,
    },
    /// The frame `meta` is not a `FrameMeta` object Grafana can decode.
    #[error("invalid frame meta: {reason}")]
    InvalidMeta { reason: String },
    /// A field `config` is not a `FieldConfig` object Grafana can decode.
    #[error("field {field:?} has invalid config: {reason}")]
    InvalidConfig { field: String, reason: String },
    /// Field `labels` metadata is not a JSON object of strings (decoding only).
    #[error("field {field:?} has invalid labels: {reason}")]
    InvalidLabels { field: String, reason: String },
    /// A string or JSON column holds more bytes than a 32-bit-offset Arrow column can.
    #[error(
        "field {field:?} holds {got} bytes of text, more than an Arrow Utf8/Binary column can (limit=2147483647)"
    )]
    ColumnTooLarge { field: String, got: usize },
    /// An Arrow column type Grafana does not decode (decoding only).
    #[error("field {field:?} has arrow type {data_type}, which Grafana does not accept")]
    UnsupportedArrowType { field: String, data_type: String },
    /// A JSON (Binary) cell is not UTF-8 (decoding only).
    #[error("field {field:?} row {row} is not UTF-8")]
    InvalidUtf8 { field: String, row: usize },
    /// The frame at `index` of a response was refused.
    #[error("frame {index}: {source}")]
    InFrame {
        index: usize,
        #[source]
        source: Box<FrameError>,
    },
    /// The Arrow writer failed.
    #[error("arrow encoding failed: {0}")]
    Encode(#[source] ArrowError),
    /// The bytes are not a readable Arrow IPC file.
    #[error("not an arrow IPC file grafana can read: {0}")]
    Decode(#[source] ArrowError),
}

/// A frame that passed [`Frame::check`]: the only input the Arrow encoder accepts.
///
/// It dereferences to the [`Frame`]; [`CheckedFrame::into_inner`] gives it back.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedFrame {
    frame: Frame,
    /// `meta` serialized, with `typeVersion` made explicit.
    meta_json: Option<String>,
    /// Each field's `config` serialized.
    configs_json: Vec<Option<String>>,
    rows: usize,
    byte_size: usize,
}

impl CheckedFrame {
    /// The checked frame.
    pub fn frame(&self) -> &Frame {
        &self.frame
    }

    /// Gives the frame back.
    pub fn into_inner(self) -> Frame {
        self.frame
    }

    /// The number of rows (every field has this many values).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The size counted against [`FrameLimits::max_bytes`].
    pub fn byte_size(&self) -> usize {
        self.byte_size
    }

    /// The frame, its meta JSON and its fields' config JSON, for the encoder.
    pub(crate) fn into_parts(self) -> (Frame, Option<String>, Vec<Option<String>>) {
        (self.frame, self.meta_json, self.configs_json)
    }
}

impl Deref for CheckedFrame {
    type Target = Frame;

    fn deref(&self) -> &Frame {
        &self.frame
    }
}

impl AsRef<Frame> for CheckedFrame {
    fn as_ref(&self) -> &Frame {
        &self.frame
    }
}

impl Frame {
    /// Checks the frame against `limits` and Grafana's decoding rules.
    ///
    /// If `meta` is present and has no `typeVersion`, `[0,0]` is inserted, as Go writes it.
    ///
    /// # Errors
    ///
    /// The first violation found, as a [`FrameError`]: unequal field lengths, a validity list
    /// of the wrong length, an exceeded limit, a JSON cell that does not parse, or `meta` /
    /// `config` that Grafana's strict decoding would refuse.
    pub fn check(mut self, limits: &FrameLimits) -> Result<CheckedFrame, FrameError> {
        let mut bytes = 0usize;
        bytes += name_len("frame name", &self.name, limits)?;
        bytes += name_len("refId", &self.ref_id, limits)?;
        if self.fields.len() > limits.max_fields {
            return Err(FrameError::TooManyFields {
                limit: limits.max_fields,
                got: self.fields.len(),
            });
        }

        let rows = self.rows();
        if rows > limits.max_rows {
            return Err(FrameError::TooManyRows {
                limit: limits.max_rows,
                got: rows,
            });
        }
        let mut configs_json = Vec::with_capacity(self.fields.len());
        for (index, field) in self.fields.iter().enumerate() {
            // Checked first: every later message may quote the name.
            bytes += name_len("field name", &field.name, limits)?;
            let name = || shorten(&field.name, 64);
            if field.len() != rows {
                return Err(FrameError::FieldLengthMismatch {
                    field: name(),
                    index,
                    len: field.len(),
                    expected: rows,
                });
            }
            if let Some(validity) = &field.validity {
                if validity.len() != rows {
                    return Err(FrameError::ValidityLengthMismatch {
                        field: name(),
                        index,
                        validity: validity.len(),
                        values: rows,
                    });
                }
                bytes += rows.div_ceil(8);
            }

            if field.labels.len() > limits.max_labels {
                return Err(FrameError::TooManyLabels {
                    field: name(),
                    limit: limits.max_labels,
                    got: field.labels.len(),
                });
            }
            for (key, value) in &field.labels {
                bytes += name_len("label key", key, limits)?;
                if value.len() > limits.max_string_len {
                    return Err(FrameError::LabelValueTooLong {
                        field: name(),
                        label: key.clone(),
                        limit: limits.max_string_len,
                        got: value.len(),
                    });
                }
                bytes += value.len();
            }

            if let Column::String(cells) | Column::Json(cells) = &field.values {
                let is_json = matches!(field.values, Column::Json(_));
                for (row, cell) in cells.iter().enumerate() {
                    if cell.len() > limits.max_string_len {
                        return Err(FrameError::StringTooLong {
                            field: name(),
                            row,
                            limit: limits.max_string_len,
                            got: cell.len(),
                        });
                    }
                    if is_json && !field.is_null(row) && json_depth(cell) > limits.max_json_depth {
                        return Err(FrameError::JsonTooDeep {
                            field: name(),
                            row,
                            limit: limits.max_json_depth,
                        });
                    }
                    if is_json
                        && !field.is_null(row)
                        && let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(cell)
                    {
                        return Err(FrameError::InvalidJsonCell {
                            field: name(),
                            row,
                            reason: e.to_string(),
                        });
                    }
                }
            }
            // An enum with names must index them; one without shows its raw numbers.
            if let Column::Enum(indices) = &field.values
                && let Some(names) = json_rules::enum_names(field.config.as_ref())
                && let Some((row, &index)) = indices
                    .iter()
                    .enumerate()
                    .find(|(row, i)| usize::from(**i) >= names && !field.is_null(*row))
            {
                return Err(FrameError::EnumIndexOutOfRange {
                    field: name(),
                    row,
                    index,
                    names,
                });
            }
            bytes += field.values.byte_size();

            let config_json = match &field.config {
                Some(config) => {
                    json_rules::validate_config(config).map_err(|reason| {
                        FrameError::InvalidConfig {
                            field: name(),
                            reason,
                        }
                    })?;
                    let text = config.to_string();
                    bytes += text.len();
                    Some(text)
                }
                None => None,
            };
            configs_json.push(config_json);
        }
        let meta_json = match &mut self.meta {
            Some(meta) => {
                json_rules::validate_meta(meta)
                    .map_err(|reason| FrameError::InvalidMeta { reason })?;
                if let Value::Object(map) = meta {
                    json_rules::normalize_type_version(map);
                }
                let text = meta.to_string();
                bytes += text.len();
                Some(text)
            }
            None => None,
        };

        if bytes > limits.max_bytes {
            return Err(FrameError::FrameTooLarge {
                limit: limits.max_bytes,
                got: bytes,
            });
        }
        Ok(CheckedFrame {
            frame: self,
            meta_json,
            configs_json,
            rows,
            byte_size: bytes,
        })
    }
}

/// Checks the response-level limits over frames that each passed [`Frame::check`]: the frame
/// count and the total bytes.
///
/// # Errors
///
/// [`FrameError::TooManyFrames`] or [`FrameError::ResponseTooLarge`].
pub fn check_response(frames: &[CheckedFrame], limits: &FrameLimits) -> Result<(), FrameError> {
    if frames.len() > limits.max_frames {
        return Err(FrameError::TooManyFrames {
            limit: limits.max_frames,
            got: frames.len(),
        });
    }
    let total = frames
        .iter()
        .fold(0usize, |sum, f| sum.saturating_add(f.byte_size));
    if total > limits.max_bytes {
        return Err(FrameError::ResponseTooLarge {
            limit: limits.max_bytes,
            got: total,
        });
    }
    Ok(())
}

/// Checks every frame of one response, then the response-level limits
/// ([`check_response`]). The frame count is checked before any frame.
///
/// # Errors
///
/// A frame's error wrapped in [`FrameError::InFrame`] with its index, or a response-level
/// error.
pub fn check_frames(
    frames: Vec<Frame>,
    limits: &FrameLimits,
) -> Result<Vec<CheckedFrame>, FrameError> {
    if frames.len() > limits.max_frames {
        return Err(FrameError::TooManyFrames {
            limit: limits.max_frames,
            got: frames.len(),
        });
    }
    let checked = frames
        .into_iter()
        .enumerate()
        .map(|(index, frame)| {
            frame.check(limits).map_err(|e| FrameError::InFrame {
                index,
                source: Box::new(e),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_response(&checked, limits)?;
    Ok(checked)
}

fn name_len(what: &'static str, name: &str, limits: &FrameLimits) -> Result<usize, FrameError> {
    if name.len() > limits.max_name_len {
        return Err(FrameError::NameTooLong {
            what,
            limit: limits.max_name_len,
            got: name.len(),
        });
    }
    Ok(name.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Field;
    use serde_json::json;

    #[test]
    fn enum_indices_need_names_and_json_depth_is_bounded() {
        let named = |indices: Vec<u16>| {
            Frame::new("e").with_field(
                Field::new("level", Column::Enum(indices))
                    .with_config(json!({"Type": {"enum": {"text": ["ok", "warn"]}}})),
            )
        };
        assert!(named(vec![0, 1]).check(&FrameLimits::default()).is_ok());
        let err = named(vec![0, 2])
            .check(&FrameLimits::default())
            .unwrap_err();
        assert!(
            matches!(
                err,
                FrameError::EnumIndexOutOfRange {
                    row: 1,
                    index: 2,
                    names: 2,
                    ..
                }
            ),
            "{err}"
        );
        let bare = Frame::new("e").with_field(Field::new("level", Column::Enum(vec![7])));
        assert!(
            bare.check(&FrameLimits::default()).is_ok(),
            "no names: raw numbers"
        );

        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        let frame = Frame::new("j").with_field(Field::new("j", Column::Json(vec![deep])));
        let err = frame.check(&FrameLimits::default()).unwrap_err();
        assert!(
            matches!(err, FrameError::JsonTooDeep { limit: 32, .. }),
            "{err}"
        );
        assert_eq!(json_depth(r#"{"a": "[[[[", "b": [1, {"c": 2}]}"#), 3);
        assert_eq!(json_depth(r#""\"[""#), 0);
        assert_eq!(json_depth("17"), 0);
    }

    fn two_rows() -> Frame {
        Frame::new("f")
            .with_ref_id("A")
            .with_field(Field::new("time", Column::Time(vec![1, 2])))
            .with_field(Field::new("value", vec![1.0, 2.0]))
    }

    #[test]
    fn rejections() {
        let small = FrameLimits::default()
            .with_max_fields(3)
            .with_max_rows(4)
            .with_max_bytes(1_000)
            .with_max_string_len(8)
            .with_max_name_len(10)
            .with_max_labels(2);
        let cases: Vec<(&str, Frame, &str)> = vec![
            (
                "unequal lengths",
                two_rows().with_field(Field::new("x", vec![1i8, 2, 3])),
                r#"field "x" has 3 values, expected 2 (all fields of a frame must have equal length)"#,
            ),
            (
                "validity length",
                two_rows().with_field(Field::new("x", vec![1i8, 2]).with_validity(vec![true])),
                r#"field "x" has 1 validity entries for 2 values"#,
            ),
            (
                "too many fields",
                two_rows()
                    .with_field(Field::new("a", vec![1u8, 2]))
                    .with_field(Field::new("b", vec![1u8, 2])),
                "too many fields in frame: limit=3, got=4",
            ),
            (
                "too many rows",
                Frame::new("f").with_field(Field::new("v", vec![0u8; 5])),
                "too many rows in frame: limit=4, got=5",
            ),
            (
                "too many bytes",
                Frame::new("f").with_field(
                    Field::new("v", vec!["12345678"; 4])
                        .with_config(json!({ "description": "x".repeat(1000) })),
                ),
                "frame too large: limit=1000 bytes, got=1068 bytes",
            ),
            (
                "long string",
                Frame::new("f").with_field(Field::new("s", vec!["ok", "123456789"])),
                r#"field "s" row 1: value too long: limit=8 bytes, got=9 bytes"#,
            ),
            (
                "long frame name",
                Frame::new("a frame name that is long"),
                "frame name too long: limit=10 bytes, got=25 bytes",
            ),
            (
                "long refId",
                Frame::new("f").with_ref_id("ABCDEFGHIJK"),
                "refId too long: limit=10 bytes, got=11 bytes",
            ),
            (
                "long field name",
                Frame::new("f").with_field(Field::new("a long field", vec![1u8])),
                "field name too long: limit=10 bytes, got=12 bytes",
            ),
            (
                "long label key",
                Frame::new("f")
                    .with_field(Field::new("v", vec![1u8]).with_label("a long key!", "v")),
                "label key too long: limit=10 bytes, got=11 bytes",
            ),
            (
                "long label value",
                Frame::new("f").with_field(Field::new("v", vec![1u8]).with_label("k", "123456789")),
                r#"field "v" label "k": value too long: limit=8 bytes, got=9 bytes"#,
            ),
            (
                "too many labels",
                Frame::new("f").with_field(Field::new("v", vec![1u8]).with_labels([
                    ("a", "1"),
                    ("b", "2"),
                    ("c", "3"),
                ])),
                r#"field "v" has too many labels: limit=2, got=3"#,
            ),
            (
                "invalid json cell",
                Frame::new("f").with_field(Field::new("j", Column::Json(vec!["{".into()]))),
                r#"field "j" row 0 is not valid JSON: EOF while parsing an object at line 1 column 1"#,
            ),
            (
                "trailing json",
                Frame::new("f").with_field(Field::new("j", Column::Json(vec!["1 2".into()]))),
                r#"field "j" row 0 is not valid JSON: trailing characters at line 1 column 3"#,
            ),
            (
                "meta not an object",
                Frame::new("f").with_meta(json!("table")),
                r#"invalid frame meta: expected a JSON object, got "table""#,
            ),
            (
                "notice severity",
                Frame::new("f")
                    .with_meta(json!({"notices": [{"severity": "critical", "text": "x"}]})),
                r#"invalid frame meta: notices[0].severity: expected "info", "warning" or "error", got "critical""#,
            ),
            (
                "inspect string",
                Frame::new("f")
                    .with_meta(json!({"notices": [{"severity": "info", "inspect": "meta"}]})),
                r#"invalid frame meta: notices[0].inspect: expected an integer, got "meta""#,
            ),
            (
                "typeVersion",
                Frame::new("f").with_meta(json!({"typeVersion": [0, 1, 2]})),
                "invalid frame meta: typeVersion: expected [major, minor] with non-negative integers, got an array of 3 elements",
            ),
            (
                "config decimals",
                Frame::new("f")
                    .with_field(Field::new("v", vec![1u8]).with_config(json!({"decimals": 1.5}))),
                r#"field "v" has invalid config: decimals: expected an integer in 0..=65535, got 1.5"#,
            ),
            (
                "config mapping type",
                Frame::new("f").with_field(
                    Field::new("v", vec![1u8])
                        .with_config(json!({"mappings": [{"type": "nope", "options": {}}]})),
                ),
                r#"field "v" has invalid config: mappings[0].type: expected "value", "range" or "special", got "nope""#,
            ),
            (
                "config thresholds mode",
                Frame::new("f").with_field(
                    Field::new("v", vec![1u8]).with_config(json!({"thresholds": {"mode": "abs"}})),
                ),
                r#"field "v" has invalid config: thresholds.mode: expected "absolute" or "percentage", got "abs""#,
            ),
            (
                "config not an object",
                Frame::new("f").with_field(Field::new("v", vec![1u8]).with_config(json!([]))),
                r#"field "v" has invalid config: expected a JSON object, got an array of 0 elements"#,
            ),
        ];
        for (name, frame, want) in cases {
            match frame.check(&small) {
                Ok(_) => panic!("{name}: accepted"),
                Err(e) => assert_eq!(e.to_string(), want, "{name}"),
            }
        }
    }

    #[test]
    fn accepts_and_normalizes() {
        let frame = two_rows()
            .with_meta(json!({"type": "timeseries-wide"}))
            .with_field(
                Field::new("j", Column::Json(vec!["{}".into(), "not json".into()]))
                    .with_validity(vec![true, false]),
            );
        let checked = frame.check(&FrameLimits::default()).expect("valid");
        assert_eq!(
            checked.meta,
            Some(json!({"type": "timeseries-wide", "typeVersion": [0, 0]}))
        );
        assert_eq!(checked.rows(), 2);
        assert_eq!(checked.fields.len(), 3);
        // Names, values (the null JSON cell included), one validity byte, the meta JSON.
        let meta_len = r#"{"type":"timeseries-wide","typeVersion":[0,0]}"#.len();
        let time = 4 + 16;
        let value = 5 + 16;
        let json = 1 + (2 + 4) + (8 + 4) + 1;
        assert_eq!(checked.byte_size(), 1 + 1 + time + value + json + meta_len);
        assert_eq!(checked.into_inner().name, "f");
    }

    #[test]
    fn empty_frames_pass() {
        let checked = Frame::new("")
            .check(&FrameLimits::default())
            .expect("valid");
        assert_eq!(checked.rows(), 0);
        let checked = Frame::new("x")
            .with_field(Field::new("t", Column::Time(vec![])))
            .check(&FrameLimits::default())
            .expect("valid");
        assert_eq!(checked.rows(), 0);
    }

    #[test]
    fn response_limits() {
        let limits = FrameLimits::default().with_max_frames(2).with_max_bytes(80);
        let err = check_frames(vec![two_rows(), two_rows(), two_rows()], &limits).unwrap_err();
        assert_eq!(err.to_string(), "too many frames: limit=2, got=3");

        let err = check_frames(vec![two_rows(), two_rows()], &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            "response too large: limit=80 bytes, got=86 bytes"
        );

        let bad = Frame::new("f").with_meta(json!({"typeVersion": "1"}));
        let err = check_frames(vec![two_rows(), bad], &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"frame 1: invalid frame meta: typeVersion: expected [major, minor] with non-negative integers, got "1""#
        );

        let ok = check_frames(vec![two_rows()], &limits).expect("fits");
        assert_eq!(ok.len(), 1);
        assert!(check_response(&ok, &limits).is_ok());
    }

    #[test]
    fn long_names_are_cut_in_messages() {
        let name = "n".repeat(200);
        let frame = two_rows().with_field(Field::new(name, vec![1u8]));
        let msg = frame
            .check(&FrameLimits::default())
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with(&format!("field \"{}…\" has 1 values", "n".repeat(64))),
            "{msg}"
        );
    }
}
