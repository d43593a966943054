//! The one Grafana Arrow encoder: a [`CheckedFrame`] becomes one Arrow IPC *file*, the bytes
//! of one entry of `DataResponse.frames`.
//!
//! The contract, as Grafana's Go decoder reads it:
//!
//! - IPC file format (`ARROW1` magic at both ends), no body compression, no dictionaries;
//!   exactly one record batch for a frame with fields and rows, none otherwise.
//! - Schema metadata: `name` and `refId` always, `meta` (FrameMeta JSON) when present.
//! - Per field: the Arrow name is the field name; nullable exactly when the field has a
//!   validity list (Grafana reads nulls only from fields declared nullable); metadata
//!   `tstype` always, `labels` (JSON object) when there are labels, `config` (FieldConfig
//!   JSON) when present.
//! - Types: `time` → Timestamp(ns, no timezone), integers and floats → the same-width Arrow
//!   type, `bool` → Boolean, `string` → Utf8 (never Utf8View or LargeUtf8, which older
//!   Grafana rejects), `json` → Binary holding the JSON text, `enum` → UInt16 with
//!   `tstype=enum`.

use std::sync::Arc;

use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimestampNanosecondType,
    UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    ArrayRef, ArrowPrimitiveType, BinaryArray, BooleanArray, PrimitiveArray, RecordBatch,
    StringArray,
};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_ipc::writer::{FileWriter, IpcWriteOptions};
use arrow_schema::{DataType, Field as ArrowField, Metadata, Schema};

use crate::check::{CheckedFrame, FrameError};
use crate::json_rules::shorten;
use crate::{Column, Field};

/// Schema metadata key for the frame name.
pub const METADATA_NAME: &str = "name";
/// Schema metadata key for the refId.
pub const METADATA_REF_ID: &str = "refId";
/// Schema metadata key for the FrameMeta JSON.
pub const METADATA_META: &str = "meta";
/// Field metadata key for the TypeScript type (`time`, `number`, …, `enum`).
pub const METADATA_TSTYPE: &str = "tstype";
/// Field metadata key for the labels JSON object.
pub const METADATA_LABELS: &str = "labels";
/// Field metadata key for the FieldConfig JSON.
pub const METADATA_CONFIG: &str = "config";

/// Encodes a checked frame as the Arrow IPC file Grafana expects.
///
/// Takes the frame by value so `time`, integer and float columns become Arrow buffers
/// without a copy.
///
/// ```
/// use quarry_frame::{Column, Field, Frame, FrameLimits, from_arrow, to_arrow};
///
/// let frame = Frame::new("cpu")
///     .with_ref_id("A")
///     .with_field(Field::new("time", Column::Time(vec![1_000_000, 2_000_000])))
///     .with_field(Field::new("value", vec![0.5, 0.75]));
/// let bytes = to_arrow(frame.clone().check(&FrameLimits::default())?)?;
/// assert!(bytes.starts_with(b"ARROW1\0\0"));
/// assert_eq!(from_arrow(&bytes)?, frame);
/// # Ok::<(), quarry_frame::FrameError>(())
/// ```
///
/// # Errors
///
/// [`FrameError::ColumnTooLarge`] when a string or JSON column holds more than 2 GiB of text
/// (beyond what Utf8/Binary offsets address), [`FrameError::Encode`] if the Arrow writer fails.
pub fn to_arrow(frame: CheckedFrame) -> Result<Vec<u8>, FrameError> {
    let rows = frame.rows();
    let capacity = frame.byte_size() + 1024 + 256 * frame.fields.len();
    let (frame, meta_json, configs_json) = frame.into_parts();

    let mut schema_metadata = Metadata::new()
        .with(METADATA_NAME, frame.name)
        .with(METADATA_REF_ID, frame.ref_id);
    if let Some(meta) = meta_json {
        schema_metadata.insert(METADATA_META, meta);
    }

    let mut fields = Vec::with_capacity(frame.fields.len());
    let mut columns = Vec::with_capacity(frame.fields.len());
    for (field, config) in frame.fields.into_iter().zip(configs_json) {
        let (arrow_field, column) = field_to_arrow(field, config)?;
        fields.push(arrow_field);
        columns.push(column);
    }
    let schema = Arc::new(Schema::new_with_metadata(fields, schema_metadata));

    let options = IpcWriteOptions::default();
    let mut writer =
        FileWriter::try_new_with_options(Vec::with_capacity(capacity), &schema, options)
            .map_err(FrameError::Encode)?;
    if rows > 0 && !columns.is_empty() {
        let batch = RecordBatch::try_new(schema.clone(), columns).map_err(FrameError::Encode)?;
        writer.write(&batch).map_err(FrameError::Encode)?;
    }
    writer.finish().map_err(FrameError::Encode)?;
    writer.into_inner().map_err(FrameError::Encode)
}

fn field_to_arrow(
    field: Field,
    config_json: Option<String>,
) -> Result<(ArrowField, ArrayRef), FrameError> {
    let field_type = field.values.field_type();
    let mut metadata = Metadata::new().with(METADATA_TSTYPE, field_type.tstype());
    if !field.labels.is_empty() {
        metadata.insert(METADATA_LABELS, labels_json(&field.labels));
    }
    if let Some(config) = config_json {
        metadata.insert(METADATA_CONFIG, config);
    }

    let nullable = field.validity.is_some();
    // A nullable field without nulls needs no validity bitmap.
    let nulls = field
        .validity
        .map(NullBuffer::from)
        .filter(|nulls| nulls.null_count() > 0);
    let array: ArrayRef = match field.values {
        Column::Time(v) => primitive::<TimestampNanosecondType>(v, nulls),
        Column::Int8(v) => primitive::<Int8Type>(v, nulls),
        Column::Int16(v) => primitive::<Int16Type>(v, nulls),
        Column::Int32(v) => primitive::<Int32Type>(v, nulls),
        Column::Int64(v) => primitive::<Int64Type>(v, nulls),
        Column::UInt8(v) => primitive::<UInt8Type>(v, nulls),
        Column::UInt16(v) | Column::Enum(v) => primitive::<UInt16Type>(v, nulls),
        Column::UInt32(v) => primitive::<UInt32Type>(v, nulls),
        Column::UInt64(v) => primitive::<UInt64Type>(v, nulls),
        Column::Float32(v) => primitive::<Float32Type>(v, nulls),
        Column::Float64(v) => primitive::<Float64Type>(v, nulls),
        Column::Bool(v) => Arc::new(BooleanArray::new(BooleanBuffer::from(v), nulls)),
        Column::String(v) => {
            let (offsets, values) = text_parts(&field.name, &v)?;
            Arc::new(StringArray::try_new(offsets, values, nulls).map_err(FrameError::Encode)?)
        }
        Column::Json(v) => {
            let (offsets, values) = text_parts(&field.name, &v)?;
            Arc::new(BinaryArray::try_new(offsets, values, nulls).map_err(FrameError::Encode)?)
        }
    };
    let data_type = array.data_type().clone();
    debug_assert_eq!(data_type, arrow_type(field_type));
    let arrow_field = ArrowField::new(field.name, data_type, nullable).with_metadata(metadata);
    Ok((arrow_field, array))
}

/// The Arrow type a field type is written as.
pub fn arrow_type(field_type: crate::FieldType) -> DataType {
    use crate::FieldType as T;
    match field_type {
        T::Time => TimestampNanosecondType::DATA_TYPE,
        T::Int8 => DataType::Int8,
        T::Int16 => DataType::Int16,
        T::Int32 => DataType::Int32,
        T::Int64 => DataType::Int64,
        T::UInt8 => DataType::UInt8,
        T::UInt16 | T::Enum => DataType::UInt16,
        T::UInt32 => DataType::UInt32,
        T::UInt64 => DataType::UInt64,
        T::Float32 => DataType::Float32,
        T::Float64 => DataType::Float64,
        T::Bool => DataType::Boolean,
        T::String => DataType::Utf8,
        T::Json => DataType::Binary,
    }
}

/// Moves the `Vec` into an Arrow buffer (no copy).
fn primitive<T: ArrowPrimitiveType>(values: Vec<T::Native>, nulls: Option<NullBuffer>) -> ArrayRef {
    Arc::new(PrimitiveArray::<T>::new(ScalarBuffer::from(values), nulls))
}

/// The 32-bit offsets and the concatenated bytes of a text column.
fn text_parts(name: &str, cells: &[String]) -> Result<(OffsetBuffer<i32>, Buffer), FrameError> {
    let total: usize = cells.iter().map(String::len).sum();
    if i32::try_from(total).is_err() {
        return Err(FrameError::ColumnTooLarge {
            field: shorten(name, 64),
            got: total,
        });
    }
    let mut offsets = Vec::with_capacity(cells.len() + 1);
    let mut values = Vec::with_capacity(total);
    offsets.push(0i32);
    for cell in cells {
        values.extend_from_slice(cell.as_bytes());
        // Cannot truncate: the total was checked above.
        offsets.push(values.len() as i32);
    }
    Ok((
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        Buffer::from_vec(values),
    ))
}

fn labels_json(labels: &std::collections::BTreeMap<String, String>) -> String {
    serde_json::Value::Object(
        labels
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    )
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_frames::all_types;
    use crate::{FieldType, Frame, FrameLimits, from_arrow};
    use arrow_ipc::reader::FileReader;
    use serde_json::json;
    use std::io::Cursor;

    fn encode(frame: Frame) -> Vec<u8> {
        to_arrow(frame.check(&FrameLimits::default()).expect("valid")).expect("encodes")
    }

    fn read(bytes: &[u8]) -> (Arc<Schema>, Vec<RecordBatch>) {
        let reader = FileReader::try_new(Cursor::new(bytes), None).expect("arrow file");
        let schema = reader.schema();
        let batches = reader.collect::<Result<Vec<_>, _>>().expect("batches");
        (schema, batches)
    }

    #[test]
    fn round_trip_all_types() {
        let frame = all_types();
        let bytes = encode(frame.clone());
        let mut want = frame;
        if let Some(serde_json::Value::Object(meta)) = &mut want.meta {
            meta.entry("typeVersion").or_insert(json!([0, 0]));
        }
        assert_eq!(from_arrow(&bytes).expect("decodes"), want);
    }

    #[test]
    fn every_type_round_trips_alone() {
        for ty in FieldType::ALL {
            let values = crate::test_frames::sample_column(ty);
            let rows = values.len();
            let mut validity = vec![true; rows];
            validity[1] = false;
            let frame = Frame::new("one")
                .with_field(Field::new("plain", values.clone()))
                .with_field(Field::new("nullable", values).with_validity(validity));
            let bytes = encode(frame.clone());
            assert_eq!(from_arrow(&bytes).expect("decodes"), frame, "{ty}");
        }
    }

    #[test]
    fn schema_layout() {
        let bytes = encode(all_types());
        assert_eq!(&bytes[..8], b"ARROW1\0\0");
        assert_eq!(&bytes[bytes.len() - 6..], b"ARROW1");

        let (schema, batches) = read(&bytes);
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].num_rows(), 3);

        let md = schema.metadata();
        assert_eq!(md.get("name").map(String::as_str), Some("all_types"));
        assert_eq!(md.get("refId").map(String::as_str), Some("A"));
        let meta: serde_json::Value =
            serde_json::from_str(md.get("meta").expect("meta")).expect("json");
        assert_eq!(meta["typeVersion"], json!([0, 1]));
        assert_eq!(md.len(), 3);

        for field in schema.fields() {
            let name = field.name().as_str();
            let ty = field.metadata().get("tstype").map(String::as_str);
            let want: (DataType, &str) = match name.trim_start_matches("nullable_") {
                "time" => (TimestampNanosecondType::DATA_TYPE, "time"),
                "int8" => (DataType::Int8, "number"),
                "int16" => (DataType::Int16, "number"),
                "int32" => (DataType::Int32, "number"),
                "int64" => (DataType::Int64, "number"),
                "uint8" => (DataType::UInt8, "number"),
                "uint16" => (DataType::UInt16, "number"),
                "uint32" => (DataType::UInt32, "number"),
                "uint64" => (DataType::UInt64, "number"),
                "float32" => (DataType::Float32, "number"),
                "float64" => (DataType::Float64, "number"),
                "bool" => (DataType::Boolean, "boolean"),
                "string" => (DataType::Utf8, "string"),
                "json" => (DataType::Binary, "other"),
                "enum" => (DataType::UInt16, "enum"),
                other => panic!("unexpected field {other}"),
            };
            assert_eq!(field.data_type(), &want.0, "{name}");
            assert_eq!(ty, Some(want.1), "{name}");
            assert_eq!(field.is_nullable(), name.starts_with("nullable_"), "{name}");
        }

        let time = schema.field_with_name("time").expect("time");
        assert_eq!(
            time.metadata().get("labels").map(String::as_str),
            None,
            "no labels, no key"
        );
        assert_eq!(
            time.metadata().get("config").map(String::as_str),
            Some(r#"{"interval":1000}"#)
        );
        let float = schema.field_with_name("float64").expect("float64");
        assert_eq!(
            float.metadata().get("labels").map(String::as_str),
            Some(r#"{"host":"a","region":"eu"}"#)
        );
        assert_eq!(float.metadata().get("config"), None);
        let en = schema.field_with_name("enum").expect("enum");
        let config: serde_json::Value =
            serde_json::from_str(en.metadata().get("config").expect("config")).expect("json");
        assert_eq!(
            config["type"]["enum"]["text"],
            json!(["ok", "warn", "crit"])
        );
    }

    #[test]
    fn nulls_in_batch() {
        let (_, batches) = read(&encode(all_types()));
        let batch = &batches[0];
        for (i, field) in batch.schema().fields().iter().enumerate() {
            let nulls = batch.column(i).null_count();
            if field.name().starts_with("nullable_") {
                assert_eq!(nulls, 1, "{}", field.name());
            } else {
                assert_eq!(nulls, 0, "{}", field.name());
            }
        }
    }

    #[test]
    fn batches_per_shape() {
        let cases: Vec<(&str, Frame, usize)> = vec![
            ("no fields", Frame::new("x"), 0),
            (
                "no rows",
                Frame::new("x").with_field(Field::new("t", Column::Time(vec![]))),
                0,
            ),
            (
                "one row",
                Frame::new("x").with_field(Field::new("t", Column::Time(vec![1]))),
                1,
            ),
        ];
        for (name, frame, want) in cases {
            let n_fields = frame.fields.len();
            let (schema, batches) = read(&encode(frame.clone()));
            assert_eq!(batches.len(), want, "{name}");
            assert_eq!(schema.fields().len(), n_fields, "{name}");
            assert_eq!(schema.metadata().get("name").map(String::as_str), Some("x"));
            assert_eq!(schema.metadata().get("refId").map(String::as_str), Some(""));
            assert_eq!(schema.metadata().get("meta"), None, "{name}");
            assert_eq!(from_arrow(&encode(frame.clone())).expect("decodes"), frame);
        }
    }

    #[test]
    fn duplicate_field_names_are_kept() {
        let frame = Frame::new("dup")
            .with_field(Field::new("t", Column::Time(vec![1])))
            .with_field(Field::new("t", Column::Time(vec![2])));
        let (schema, _) = read(&encode(frame.clone()));
        assert_eq!(schema.field(0).name(), "t");
        assert_eq!(schema.field(1).name(), "t");
        assert_eq!(from_arrow(&encode(frame.clone())).expect("decodes"), frame);
    }

    #[test]
    fn golden_arrow() {
        let bytes = encode(all_types());
        crate::test_frames::golden("all_types.golden.arrow", &bytes);
    }

    #[test]
    fn million_rows() {
        const N: usize = 1_000_000;
        let time: Vec<i64> = (0..N as i64)
            .map(|i| 1_700_000_000_000_000_000 + i * 1_000_000_000)
            .collect();
        let value: Vec<f64> = (0..N).map(|i| i as f64 * 0.5).collect();
        let frame = Frame::new("big")
            .with_field(Field::new("time", Column::Time(time)))
            .with_field(Field::new("value", value));
        let bytes = encode(frame);
        assert!(bytes.len() > N * 16, "{}", bytes.len());
        let (_, batches) = read(&bytes);
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].num_rows(), N);
        let decoded = from_arrow(&bytes).expect("decodes");
        assert_eq!(decoded.rows(), N);
        assert_eq!(
            decoded.fields[1].values,
            Column::Float64((0..N).map(|i| i as f64 * 0.5).collect())
        );
    }
}
