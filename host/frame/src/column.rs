//! Typed column storage, one `Vec` per Grafana field type.

use std::fmt;

/// The values of one field. Each variant owns its values so encoding can hand the
/// buffer to Arrow without copying it again.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Nanoseconds since the Unix epoch.
    Time(Vec<i64>),
    Int8(Vec<i8>),
    Int16(Vec<i16>),
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    UInt8(Vec<u8>),
    UInt16(Vec<u16>),
    UInt32(Vec<u32>),
    UInt64(Vec<u64>),
    Float32(Vec<f32>),
    Float64(Vec<f64>),
    Bool(Vec<bool>),
    String(Vec<String>),
    /// Each cell is one JSON document (text).
    Json(Vec<String>),
    /// Indices into the field config's `type.enum.text`.
    Enum(Vec<u16>),
}

/// The Grafana field type of a column, without its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Time,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float32,
    Float64,
    Bool,
    String,
    Json,
    Enum,
}

impl Column {
    /// The number of values (rows).
    pub fn len(&self) -> usize {
        match self {
            Column::Time(v) | Column::Int64(v) => v.len(),
            Column::Int8(v) => v.len(),
            Column::Int16(v) => v.len(),
            Column::Int32(v) => v.len(),
            Column::UInt8(v) => v.len(),
            Column::UInt16(v) | Column::Enum(v) => v.len(),
            Column::UInt32(v) => v.len(),
            Column::UInt64(v) => v.len(),
            Column::Float32(v) => v.len(),
            Column::Float64(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::String(v) | Column::Json(v) => v.len(),
        }
    }

    /// `true` when the column holds no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The Grafana field type of these values.
    pub fn field_type(&self) -> FieldType {
        match self {
            Column::Time(_) => FieldType::Time,
            Column::Int8(_) => FieldType::Int8,
            Column::Int16(_) => FieldType::Int16,
            Column::Int32(_) => FieldType::Int32,
            Column::Int64(_) => FieldType::Int64,
            Column::UInt8(_) => FieldType::UInt8,
            Column::UInt16(_) => FieldType::UInt16,
            Column::UInt32(_) => FieldType::UInt32,
            Column::UInt64(_) => FieldType::UInt64,
            Column::Float32(_) => FieldType::Float32,
            Column::Float64(_) => FieldType::Float64,
            Column::Bool(_) => FieldType::Bool,
            Column::String(_) => FieldType::String,
            Column::Json(_) => FieldType::Json,
            Column::Enum(_) => FieldType::Enum,
        }
    }

    /// An empty column of the given type.
    pub fn empty(field_type: FieldType) -> Column {
        match field_type {
            FieldType::Time => Column::Time(Vec::new()),
            FieldType::Int8 => Column::Int8(Vec::new()),
            FieldType::Int16 => Column::Int16(Vec::new()),
            FieldType::Int32 => Column::Int32(Vec::new()),
            FieldType::Int64 => Column::Int64(Vec::new()),
            FieldType::UInt8 => Column::UInt8(Vec::new()),
            FieldType::UInt16 => Column::UInt16(Vec::new()),
            FieldType::UInt32 => Column::UInt32(Vec::new()),
            FieldType::UInt64 => Column::UInt64(Vec::new()),
            FieldType::Float32 => Column::Float32(Vec::new()),
            FieldType::Float64 => Column::Float64(Vec::new()),
            FieldType::Bool => Column::Bool(Vec::new()),
            FieldType::String => Column::String(Vec::new()),
            FieldType::Json => Column::Json(Vec::new()),
            FieldType::Enum => Column::Enum(Vec::new()),
        }
    }

    /// The size of the values in bytes, as they are laid out in Arrow (booleans count one
    /// byte each; strings count their UTF-8 bytes plus a 4-byte offset).
    pub fn byte_size(&self) -> usize {
        fn strings(v: &[String]) -> usize {
            v.iter().map(|s| s.len() + 4).sum()
        }
        match self {
            Column::String(v) | Column::Json(v) => strings(v),
            other => other.len() * other.field_type().fixed_width().unwrap_or(1),
        }
    }
}

impl FieldType {
    /// Every field type, in declaration order.
    pub const ALL: [FieldType; 15] = [
        FieldType::Time,
        FieldType::Int8,
        FieldType::Int16,
        FieldType::Int32,
        FieldType::Int64,
        FieldType::UInt8,
        FieldType::UInt16,
        FieldType::UInt32,
        FieldType::UInt64,
        FieldType::Float32,
        FieldType::Float64,
        FieldType::Bool,
        FieldType::String,
        FieldType::Json,
        FieldType::Enum,
    ];

    /// Grafana's TypeScript type name: the Arrow field metadata `tstype` and the frame
    /// JSON `type` (`time`, `number`, `boolean`, `string`, `enum` or `other`).
    pub fn tstype(self) -> &'static str {
        match self {
            FieldType::Time => "time",
            FieldType::Int8
            | FieldType::Int16
            | FieldType::Int32
            | FieldType::Int64
            | FieldType::UInt8
            | FieldType::UInt16
            | FieldType::UInt32
            | FieldType::UInt64
            | FieldType::Float32
            | FieldType::Float64 => "number",
            FieldType::Bool => "boolean",
            FieldType::String => "string",
            FieldType::Json => "other",
            FieldType::Enum => "enum",
        }
    }

    /// The Go SDK's item type name, written as `typeInfo.frame` in frame JSON
    /// (`time.Time`, `int8`, …, `json.RawMessage`, `enum`).
    pub fn frame_type_name(self) -> &'static str {
        match self {
            FieldType::Time => "time.Time",
            FieldType::Json => "json.RawMessage",
            other => other.short_name(),
        }
    }

    /// `true` for the integer and floating-point types.
    pub fn is_numeric(self) -> bool {
        self.tstype() == "number"
    }

    /// A short lower-case name (`time`, `int8`, …, `float64`, `bool`, `string`, `json`,
    /// `enum`), also used by [`Display`](fmt::Display).
    pub fn short_name(self) -> &'static str {
        match self {
            FieldType::Time => "time",
            FieldType::Int8 => "int8",
            FieldType::Int16 => "int16",
            FieldType::Int32 => "int32",
            FieldType::Int64 => "int64",
            FieldType::UInt8 => "uint8",
            FieldType::UInt16 => "uint16",
            FieldType::UInt32 => "uint32",
            FieldType::UInt64 => "uint64",
            FieldType::Float32 => "float32",
            FieldType::Float64 => "float64",
            FieldType::Bool => "bool",
            FieldType::String => "string",
            FieldType::Json => "json",
            FieldType::Enum => "enum",
        }
    }

    /// Bytes per value for fixed-width types; `None` for strings and JSON.
    fn fixed_width(self) -> Option<usize> {
        Some(match self {
            FieldType::Int8 | FieldType::UInt8 | FieldType::Bool => 1,
            FieldType::Int16 | FieldType::UInt16 | FieldType::Enum => 2,
            FieldType::Int32 | FieldType::UInt32 | FieldType::Float32 => 4,
            FieldType::Time | FieldType::Int64 | FieldType::UInt64 | FieldType::Float64 => 8,
            FieldType::String | FieldType::Json => return None,
        })
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

macro_rules! column_from_vec {
    ($($t:ty => $variant:ident),* $(,)?) => {
        $(
            impl From<Vec<$t>> for Column {
                fn from(values: Vec<$t>) -> Self {
                    Column::$variant(values)
                }
            }
        )*
    };
}

// `Vec<i64>` becomes `Int64` and `Vec<u16>` becomes `UInt16`: build `Column::Time` and
// `Column::Enum` explicitly.
column_from_vec! {
    i8 => Int8,
    i16 => Int16,
    i32 => Int32,
    i64 => Int64,
    u8 => UInt8,
    u16 => UInt16,
    u32 => UInt32,
    u64 => UInt64,
    f32 => Float32,
    f64 => Float64,
    bool => Bool,
    String => String,
}

impl From<Vec<&str>> for Column {
    fn from(values: Vec<&str>) -> Self {
        Column::String(values.into_iter().map(str::to_owned).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_per_type() {
        let table: [(FieldType, &str, &str, &str); 15] = [
            (FieldType::Time, "time", "time.Time", "time"),
            (FieldType::Int8, "number", "int8", "int8"),
            (FieldType::Int16, "number", "int16", "int16"),
            (FieldType::Int32, "number", "int32", "int32"),
            (FieldType::Int64, "number", "int64", "int64"),
            (FieldType::UInt8, "number", "uint8", "uint8"),
            (FieldType::UInt16, "number", "uint16", "uint16"),
            (FieldType::UInt32, "number", "uint32", "uint32"),
            (FieldType::UInt64, "number", "uint64", "uint64"),
            (FieldType::Float32, "number", "float32", "float32"),
            (FieldType::Float64, "number", "float64", "float64"),
            (FieldType::Bool, "boolean", "bool", "bool"),
            (FieldType::String, "string", "string", "string"),
            (FieldType::Json, "other", "json.RawMessage", "json"),
            (FieldType::Enum, "enum", "enum", "enum"),
        ];
        for (ty, tstype, frame, display) in table {
            assert_eq!(ty.tstype(), tstype, "{ty:?}");
            assert_eq!(ty.frame_type_name(), frame, "{ty:?}");
            assert_eq!(ty.to_string(), display, "{ty:?}");
            assert_eq!(Column::empty(ty).field_type(), ty);
            assert!(Column::empty(ty).is_empty());
        }
        assert_eq!(FieldType::ALL.len(), table.len());
    }

    #[test]
    fn len_and_size() {
        assert_eq!(Column::Time(vec![1, 2, 3]).len(), 3);
        assert_eq!(Column::Time(vec![1, 2, 3]).byte_size(), 24);
        assert_eq!(Column::Bool(vec![true; 5]).byte_size(), 5);
        assert_eq!(Column::from(vec!["ab", "c"]).byte_size(), 3 + 8);
        assert_eq!(Column::from(vec![1u16]).field_type(), FieldType::UInt16);
        assert_eq!(Column::from(vec![1i64]).field_type(), FieldType::Int64);
    }
}
