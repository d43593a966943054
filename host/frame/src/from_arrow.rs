//! Decodes an Arrow IPC file into a [`Frame`] the way Grafana's Go decoder
//! (`data.UnmarshalArrowFrame`) does: for tests, the CLI and the demo client.
//!
//! - The Arrow *nullable flag* decides whether a field is nullable; the validity bitmap of a
//!   field declared non-nullable is ignored (its null slots read as whatever the buffer holds).
//! - Types: Timestamp of any unit or timezone → `time`, its raw values taken as nanoseconds
//!   (as Grafana does); UInt16 with field metadata `tstype=enum` → `enum`; Binary → `json`;
//!   Utf8 and Utf8View → `string`; integers, floats and Boolean as themselves. Anything else is
//!   refused, as Grafana refuses it.
//! - `labels` must be a JSON object of strings; `meta` and `config` must pass the same rules
//!   Grafana's strict decoding applies (see [`Frame::check`]). A JSON `null` in them reads as
//!   absent.
//! - All record batches are read and concatenated.

use std::collections::BTreeMap;
use std::io::Cursor;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrowPrimitiveType};
use arrow_ipc::reader::FileReader;
use arrow_schema::{ArrowError, DataType, Field as ArrowField, TimeUnit};
use serde_json::Value;

use crate::check::FrameError;
use crate::json_rules::{self, shorten};
use crate::to_arrow::{
    METADATA_CONFIG, METADATA_LABELS, METADATA_META, METADATA_NAME, METADATA_REF_ID,
    METADATA_TSTYPE,
};
use crate::{Column, Field, FieldType, Frame};

/// Decodes one Arrow IPC file (one entry of `DataResponse.frames`) into a frame.
///
/// The result is not checked: call [`Frame::check`] to apply limits.
///
/// # Errors
///
/// [`FrameError::Decode`] for bytes that are not an Arrow IPC file,
/// [`FrameError::UnsupportedArrowType`] for a column type Grafana does not accept, and
/// [`FrameError::InvalidLabels`], [`FrameError::InvalidMeta`] or [`FrameError::InvalidConfig`]
/// for metadata Grafana would refuse.
pub fn from_arrow(bytes: &[u8]) -> Result<Frame, FrameError> {
    let reader = FileReader::try_new(Cursor::new(bytes), None).map_err(FrameError::Decode)?;
    let schema = reader.schema();
    let metadata = schema.metadata();
    let name = metadata.get(METADATA_NAME).cloned().unwrap_or_default();
    let ref_id = metadata.get(METADATA_REF_ID).cloned().unwrap_or_default();
    let meta = match metadata.get(METADATA_META) {
        Some(text) => {
            let meta = parse_json(text).map_err(|reason| FrameError::InvalidMeta { reason })?;
            if let Some(meta) = &meta {
                json_rules::validate_meta(meta)
                    .map_err(|reason| FrameError::InvalidMeta { reason })?;
            }
            meta
        }
        None => None,
    };

    let mut fields = schema
        .fields()
        .iter()
        .map(|f| empty_field(f))
        .collect::<Result<Vec<_>, _>>()?;

    for batch in reader {
        let batch = batch.map_err(FrameError::Decode)?;
        for (field, column) in fields.iter_mut().zip(batch.columns()) {
            append(field, column.as_ref())?;
        }
    }

    Ok(Frame {
        name,
        ref_id,
        meta,
        fields,
    })
}

/// A field with the name, labels, config and type of `arrow`, and no values yet.
fn empty_field(arrow: &ArrowField) -> Result<Field, FrameError> {
    let name = arrow.name().clone();
    let metadata = arrow.metadata();
    let shown = || shorten(&name, 64);

    let labels = match metadata.get(METADATA_LABELS) {
        Some(text) => serde_json::from_str::<Option<BTreeMap<String, String>>>(text)
            .map_err(|e| FrameError::InvalidLabels {
                field: shown(),
                reason: e.to_string(),
            })?
            .unwrap_or_default(),
        None => BTreeMap::new(),
    };
    let config = match metadata.get(METADATA_CONFIG) {
        Some(text) => {
            let invalid = |reason| FrameError::InvalidConfig {
                field: shown(),
                reason,
            };
            let config = parse_json(text).map_err(invalid)?;
            if let Some(config) = &config {
                json_rules::validate_config(config).map_err(invalid)?;
            }
            config
        }
        None => None,
    };
    let is_enum = metadata.get(METADATA_TSTYPE).map(String::as_str) == Some("enum");
    let field_type = match arrow.data_type() {
        DataType::Timestamp(_, _) => FieldType::Time,
        DataType::Int8 => FieldType::Int8,
        DataType::Int16 => FieldType::Int16,
        DataType::Int32 => FieldType::Int32,
        DataType::Int64 => FieldType::Int64,
        DataType::UInt8 => FieldType::UInt8,
        DataType::UInt16 if is_enum => FieldType::Enum,
        DataType::UInt16 => FieldType::UInt16,
        DataType::UInt32 => FieldType::UInt32,
        DataType::UInt64 => FieldType::UInt64,
        DataType::Float32 => FieldType::Float32,
        DataType::Float64 => FieldType::Float64,
        DataType::Boolean => FieldType::Bool,
        DataType::Utf8 | DataType::Utf8View => FieldType::String,
        DataType::Binary => FieldType::Json,
        other => {
            return Err(FrameError::UnsupportedArrowType {
                field: shown(),
                data_type: other.to_string(),
            });
        }
    };

    Ok(Field {
        labels,
        config,
        values: Column::empty(field_type),
        validity: arrow.is_nullable().then(Vec::new),
        name,
    })
}

/// Appends one batch's column to a field.
fn append(field: &mut Field, array: &dyn Array) -> Result<(), FrameError> {
    let mismatch = || {
        FrameError::Decode(ArrowError::SchemaError(format!(
            "column {:?} does not match its schema type",
            shorten(&field.name, 64)
        )))
    };
    let validity = field.validity.as_mut();
    let nullable = validity.is_some();
    let len = array.len();
    match &mut field.values {
        Column::Time(v) => match array.data_type() {
            DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                extend::<TimestampNanosecondType>(v, array)
            }
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                extend::<TimestampMicrosecondType>(v, array)
            }
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                extend::<TimestampMillisecondType>(v, array)
            }
            DataType::Timestamp(TimeUnit::Second, _) => extend::<TimestampSecondType>(v, array),
            _ => None,
        },
        Column::Int8(v) => extend::<Int8Type>(v, array),
        Column::Int16(v) => extend::<Int16Type>(v, array),
        Column::Int32(v) => extend::<Int32Type>(v, array),
        Column::Int64(v) => extend::<Int64Type>(v, array),
        Column::UInt8(v) => extend::<UInt8Type>(v, array),
        Column::UInt16(v) | Column::Enum(v) => extend::<UInt16Type>(v, array),
        Column::UInt32(v) => extend::<UInt32Type>(v, array),
        Column::UInt64(v) => extend::<UInt64Type>(v, array),
        Column::Float32(v) => extend::<Float32Type>(v, array),
        Column::Float64(v) => extend::<Float64Type>(v, array),
        Column::Bool(v) => array.as_boolean_opt().map(|a| v.extend(a.values().iter())),
        Column::String(v) => {
            if let Some(a) = array.as_string_opt::<i32>() {
                v.extend((0..len).map(|i| a.value(i).to_owned()));
                Some(())
            } else if let Some(a) = array.as_string_view_opt() {
                v.extend((0..len).map(|i| a.value(i).to_owned()));
                Some(())
            } else {
                None
            }
        }
        Column::Json(v) => match array.as_binary_opt::<i32>() {
            Some(a) => {
                v.reserve(len);
                for i in 0..len {
                    match String::from_utf8(a.value(i).to_vec()) {
                        Ok(text) => v.push(text),
                        // What sits under a null does not matter.
                        Err(_) if nullable && a.is_null(i) => v.push(String::new()),
                        Err(_) => {
                            return Err(FrameError::InvalidUtf8 {
                                field: shorten(&field.name, 64),
                                row: v.len(),
                            });
                        }
                    }
                }
                Some(())
            }
            None => None,
        },
    }
    .ok_or_else(mismatch)?;
    if let Some(validity) = validity {
        validity.extend((0..len).map(|i| array.is_valid(i)));
    }
    Ok(())
}

/// Appends the raw values of a primitive array; `None` if the array has another type.
fn extend<T: ArrowPrimitiveType>(out: &mut Vec<T::Native>, array: &dyn Array) -> Option<()> {
    out.extend_from_slice(array.as_primitive_opt::<T>()?.values());
    Some(())
}

/// Parses metadata JSON; `null` reads as absent.
fn parse_json(text: &str) -> Result<Option<Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Null) => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{
        ArrayRef, BinaryArray, LargeStringArray, RecordBatch, StringViewArray,
        TimestampMillisecondArray, UInt16Array,
    };
    use arrow_ipc::writer::{FileWriter, StreamWriter};
    use arrow_schema::{Metadata, Schema};
    use std::sync::Arc;

    /// Writes an Arrow file the way some other producer might.
    fn write(schema: Schema, batches: Vec<Vec<ArrayRef>>) -> Vec<u8> {
        let schema = Arc::new(schema);
        let mut writer = FileWriter::try_new(Vec::new(), &schema).expect("writer");
        for columns in batches {
            let batch = RecordBatch::try_new(schema.clone(), columns).expect("batch");
            writer.write(&batch).expect("write");
        }
        writer.finish().expect("finish");
        writer.into_inner().expect("bytes")
    }

    #[test]
    fn reads_all_batches_and_other_units() {
        let schema = Schema::new(vec![
            ArrowField::new(
                "t",
                DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
                false,
            ),
            ArrowField::new("s", DataType::Utf8View, true),
        ]);
        let batch = |t: i64, s: Option<&str>| -> Vec<ArrayRef> {
            vec![
                Arc::new(TimestampMillisecondArray::from(vec![t]).with_timezone("UTC")),
                Arc::new(StringViewArray::from(vec![s])),
            ]
        };
        let bytes = write(schema, vec![batch(5, Some("a")), batch(6, None)]);
        let frame = from_arrow(&bytes).expect("decodes");
        // Grafana takes the raw values as nanoseconds whatever the unit.
        assert_eq!(frame.fields[0].values, Column::Time(vec![5, 6]));
        assert_eq!(frame.fields[0].validity, None);
        assert_eq!(
            frame.fields[1].values,
            Column::String(vec!["a".into(), String::new()])
        );
        assert_eq!(frame.fields[1].validity, Some(vec![true, false]));
        assert_eq!(frame.name, "");
        assert_eq!(frame.ref_id, "");
    }

    #[test]
    fn nullable_flag_decides() {
        // Non-nullable in the schema: nulls in the data are ignored, as Grafana does.
        let schema = Schema::new(vec![ArrowField::new("v", DataType::Int64, false)]);
        let values = arrow_array::Int64Array::from(vec![Some(1), None]);
        let schema_nullable = Schema::new(vec![ArrowField::new("v", DataType::Int64, true)]);
        let bytes = write(schema_nullable, vec![vec![Arc::new(values.clone())]]);
        let frame = from_arrow(&bytes).expect("decodes");
        assert_eq!(frame.fields[0].validity, Some(vec![true, false]));
        // arrow-rs refuses to build a batch with nulls in a non-nullable column, so the
        // non-nullable case is only checked on the schema side.
        let bytes = write(
            schema,
            vec![vec![Arc::new(arrow_array::Int64Array::from(vec![1, 2]))]],
        );
        assert_eq!(
            from_arrow(&bytes).expect("decodes").fields[0].validity,
            None
        );
    }

    #[test]
    fn uint16_is_enum_only_with_tstype() {
        let enum_md = Metadata::new().with("tstype", "enum");
        let schema = Schema::new(vec![
            ArrowField::new("e", DataType::UInt16, false).with_metadata(enum_md),
            ArrowField::new("u", DataType::UInt16, false),
        ]);
        let col = || -> ArrayRef { Arc::new(UInt16Array::from(vec![1u16])) };
        let frame = from_arrow(&write(schema, vec![vec![col(), col()]])).expect("decodes");
        assert_eq!(frame.fields[0].values, Column::Enum(vec![1]));
        assert_eq!(frame.fields[1].values, Column::UInt16(vec![1]));
    }

    #[test]
    fn rejections() {
        let field = |md: Metadata| ArrowField::new("v", DataType::Binary, false).with_metadata(md);
        let bin = || -> ArrayRef { Arc::new(BinaryArray::from(vec![b"1".as_slice()])) };
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "large utf8",
                write(
                    Schema::new(vec![ArrowField::new("s", DataType::LargeUtf8, false)]),
                    vec![vec![Arc::new(LargeStringArray::from(vec!["a"]))]],
                ),
                r#"field "s" has arrow type LargeUtf8, which Grafana does not accept"#,
            ),
            (
                "labels not strings",
                write(
                    Schema::new(vec![field(Metadata::new().with("labels", r#"{"a":1}"#))]),
                    vec![vec![bin()]],
                ),
                r#"field "v" has invalid labels: invalid type: integer `1`, expected a string at line 1 column 6"#,
            ),
            (
                "bad config",
                write(
                    Schema::new(vec![field(
                        Metadata::new().with("config", r#"{"decimals":-2}"#),
                    )]),
                    vec![vec![bin()]],
                ),
                r#"field "v" has invalid config: decimals: expected an integer in 0..=65535, got -2"#,
            ),
            (
                "bad meta",
                write(
                    Schema::new_with_metadata(
                        vec![field(Metadata::new())],
                        Metadata::new().with("meta", r#"{"notices":[{"severity":"debug"}]}"#),
                    ),
                    vec![vec![bin()]],
                ),
                r#"invalid frame meta: notices[0].severity: expected "info", "warning" or "error", got "debug""#,
            ),
            (
                "not utf-8 json",
                write(
                    Schema::new(vec![field(Metadata::new())]),
                    vec![vec![Arc::new(BinaryArray::from(vec![b"\xff".as_slice()]))]],
                ),
                r#"field "v" row 0 is not UTF-8"#,
            ),
        ];
        for (name, bytes, want) in cases {
            let err = from_arrow(&bytes).expect_err(name);
            assert_eq!(err.to_string(), want, "{name}");
        }
    }

    #[test]
    fn stream_format_is_not_a_file() {
        let schema = Arc::new(Schema::new(vec![ArrowField::new(
            "v",
            DataType::Int8,
            false,
        )]));
        let mut writer = StreamWriter::try_new(Vec::new(), &schema).expect("writer");
        writer.finish().expect("finish");
        let bytes = writer.into_inner().expect("bytes");
        let err = from_arrow(&bytes).expect_err("stream format");
        assert!(matches!(err, FrameError::Decode(_)), "{err}");
        assert!(matches!(from_arrow(b"nope"), Err(FrameError::Decode(_))));
    }

    #[test]
    fn null_metadata_reads_as_absent() {
        let schema = Schema::new_with_metadata(
            vec![
                ArrowField::new("v", DataType::Int8, false).with_metadata(
                    Metadata::new()
                        .with("labels", "null")
                        .with("config", "null"),
                ),
            ],
            Metadata::new().with("meta", "null"),
        );
        let bytes = write(
            schema,
            vec![vec![Arc::new(arrow_array::Int8Array::from(vec![1i8]))]],
        );
        let frame = from_arrow(&bytes).expect("decodes");
        assert_eq!(frame.meta, None);
        assert_eq!(frame.fields[0].config, None);
        assert!(frame.fields[0].labels.is_empty());
    }
}
