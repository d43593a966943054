//! Cell types ([`Time`], [`EnumIndex`], and the Rust scalars) and how a list of them becomes a column.

use std::time::{Duration, SystemTime};

use crate::Column;

/// `value * factor` (`factor` > 0), saturated at the bounds of `i64`.
///
/// Compares against the bounds instead of calling `saturating_mul`: WebAssembly has no
/// overflow-checked multiply, so `saturating_mul` becomes a call to a 128-bit multiply routine,
/// which was the larger part of a module's time building a 1,000,000-point time column.
pub(crate) const fn scale(value: i64, factor: i64) -> i64 {
    if value > i64::MAX / factor {
        i64::MAX
    } else if value < i64::MIN / factor {
        i64::MIN
    } else {
        value * factor
    }
}

/// An instant as nanoseconds since the Unix epoch: the cell type of Grafana `time` fields.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use quarry_guest::Time;
///
/// let t = Time::from_millis(1_700_000_000_000);
/// assert_eq!(t, Time(1_700_000_000_000_000_000));
/// assert_eq!(t.to_system_time(), SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub i64);

impl Time {
    /// The Unix epoch.
    pub const UNIX_EPOCH: Time = Time(0);

    /// `nanos` nanoseconds since the Unix epoch.
    pub const fn from_nanos(nanos: i64) -> Self {
        Self(nanos)
    }

    /// `millis` milliseconds since the Unix epoch (saturating outside about ±292 years).
    pub const fn from_millis(millis: i64) -> Self {
        Self(scale(millis, 1_000_000))
    }

    /// `secs` seconds since the Unix epoch (saturating outside about ±292 years).
    pub const fn from_secs(secs: i64) -> Self {
        Self(scale(secs, 1_000_000_000))
    }

    /// The current wall-clock time.
    pub fn now() -> Self {
        SystemTime::now().into()
    }

    /// Nanoseconds since the Unix epoch.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Milliseconds since the Unix epoch, rounded towards negative infinity.
    pub const fn as_millis(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// The same instant as a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        let offset = Duration::from_nanos(self.0.unsigned_abs());
        if self.0 >= 0 {
            SystemTime::UNIX_EPOCH + offset
        } else {
            SystemTime::UNIX_EPOCH - offset
        }
    }
}

impl From<SystemTime> for Time {
    /// Saturates at the ends of the `i64` nanosecond range.
    fn from(time: SystemTime) -> Self {
        match time.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => Self(i64::try_from(after.as_nanos()).unwrap_or(i64::MAX)),
            Err(before) => Self(
                i64::try_from(before.duration().as_nanos())
                    .map(|nanos| -nanos)
                    .unwrap_or(i64::MIN),
            ),
        }
    }
}

impl From<Time> for SystemTime {
    fn from(time: Time) -> Self {
        time.to_system_time()
    }
}

/// An index into the field config's [`enum_text`](crate::FieldConfig::enum_text): the cell type
/// of Grafana `enum` fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnumIndex(pub u16);

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that can be the cell type of a [`Field`](crate::Field).
///
/// | Rust | Grafana field type |
/// |---|---|
/// | [`Time`], [`SystemTime`] | time |
/// | `i8`, `i16`, `i32`, `i64` | int8 … int64 |
/// | `u8`, `u16`, `u32`, `u64` | uint8 … uint64 |
/// | `f32`, `f64` | float32, float64 |
/// | `bool` | bool |
/// | `String`, `&str` | string |
/// | [`serde_json::Value`] | json |
/// | [`EnumIndex`] | enum |
///
/// Sealed: the set of column types is fixed by the WIT contract.
pub trait FieldType: Sized + sealed::Sealed {
    /// The value stored under a null cell (the validity list marks it null).
    #[doc(hidden)]
    fn placeholder() -> Self;

    /// Moves the cells into the matching column variant.
    #[doc(hidden)]
    fn into_column(cells: Vec<Self>) -> Column;
}

macro_rules! scalar_field_types {
    ($($ty:ty => $variant:ident),* $(,)?) => {$(
        impl sealed::Sealed for $ty {}

        impl FieldType for $ty {
            fn placeholder() -> Self {
                <$ty>::default()
            }

            fn into_column(cells: Vec<Self>) -> Column {
                Column::$variant(cells)
            }
        }
    )*};
}

scalar_field_types! {
    i8 => Int8,
    i16 => Int16,
    i32 => Int32,
    i64 => Int64,
    u8 => Uint8,
    u16 => Uint16,
    u32 => Uint32,
    u64 => Uint64,
    f32 => Float32,
    f64 => Float64,
    bool => Bool,
    String => String,
}

impl sealed::Sealed for Time {}

impl FieldType for Time {
    fn placeholder() -> Self {
        Time::UNIX_EPOCH
    }

    fn into_column(cells: Vec<Self>) -> Column {
        Column::Time(cells.into_iter().map(Time::as_nanos).collect())
    }
}

impl sealed::Sealed for SystemTime {}

impl FieldType for SystemTime {
    fn placeholder() -> Self {
        SystemTime::UNIX_EPOCH
    }

    fn into_column(cells: Vec<Self>) -> Column {
        Column::Time(
            cells
                .into_iter()
                .map(|t| Time::from(t).as_nanos())
                .collect(),
        )
    }
}

impl sealed::Sealed for &str {}

impl FieldType for &str {
    fn placeholder() -> Self {
        ""
    }

    fn into_column(cells: Vec<Self>) -> Column {
        Column::String(cells.into_iter().map(str::to_owned).collect())
    }
}

impl sealed::Sealed for serde_json::Value {}

impl FieldType for serde_json::Value {
    fn placeholder() -> Self {
        serde_json::Value::Null
    }

    fn into_column(cells: Vec<Self>) -> Column {
        Column::Json(cells.iter().map(serde_json::Value::to_string).collect())
    }
}

impl sealed::Sealed for EnumIndex {}

impl FieldType for EnumIndex {
    fn placeholder() -> Self {
        EnumIndex(0)
    }

    fn into_column(cells: Vec<Self>) -> Column {
        Column::Enum(cells.into_iter().map(|EnumIndex(i)| i).collect())
    }
}

/// The values of a [`Field`](crate::Field): a `Vec` or array of a [`FieldType`], or of
/// `Option<FieldType>` for a nullable field.
pub trait IntoValues {
    /// The column, plus the validity list (`false` = null) of a nullable field.
    #[doc(hidden)]
    fn into_values(self) -> (Column, Option<Vec<bool>>);
}

impl<T: FieldType> IntoValues for Vec<T> {
    fn into_values(self) -> (Column, Option<Vec<bool>>) {
        (T::into_column(self), None)
    }
}

impl<T: FieldType> IntoValues for Vec<Option<T>> {
    fn into_values(self) -> (Column, Option<Vec<bool>>) {
        let validity = self.iter().map(Option::is_some).collect();
        let cells = self
            .into_iter()
            .map(|cell| cell.unwrap_or_else(T::placeholder))
            .collect();
        (T::into_column(cells), Some(validity))
    }
}

impl<T: FieldType, const N: usize> IntoValues for [T; N] {
    fn into_values(self) -> (Column, Option<Vec<bool>>) {
        Vec::from(self).into_values()
    }
}

impl<T: FieldType, const N: usize> IntoValues for [Option<T>; N] {
    fn into_values(self) -> (Column, Option<Vec<bool>>) {
        Vec::from(self).into_values()
    }
}

/// The number of rows in a column.
pub(crate) fn column_len(column: &Column) -> usize {
    match column {
        Column::Time(v) | Column::Int64(v) => v.len(),
        Column::Int8(v) => v.len(),
        Column::Int16(v) => v.len(),
        Column::Int32(v) => v.len(),
        Column::Uint8(v) => v.len(),
        Column::Uint16(v) | Column::Enum(v) => v.len(),
        Column::Uint32(v) => v.len(),
        Column::Uint64(v) => v.len(),
        Column::Float32(v) => v.len(),
        Column::Float64(v) => v.len(),
        Column::Bool(v) => v.len(),
        Column::String(v) | Column::Json(v) => v.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scaling_saturates_exactly_where_saturating_mul_does() {
        for f in [1_000, 1_000_000, 1_000_000_000] {
            let values = [
                0,
                1,
                -1,
                1_700_000_000_123,
                -1_700_000_000_123,
                i64::MAX,
                i64::MIN,
                i64::MAX / f,
                i64::MAX / f + 1,
                i64::MIN / f,
                i64::MIN / f - 1,
            ];
            for v in values {
                assert_eq!(scale(v, f), v.saturating_mul(f), "{v} * {f}");
            }
        }
        assert_eq!(Time::from_millis(i64::MAX), Time(i64::MAX));
        assert_eq!(
            Time::from_secs(i64::MIN / 1_000_000_000 - 1),
            Time(i64::MIN)
        );
    }

    #[test]
    fn every_cell_type_maps_to_its_column() {
        let t = Time(5);
        let cases: Vec<(Column, Column)> = vec![
            (vec![t].into_values().0, Column::Time(vec![5])),
            (
                vec![SystemTime::UNIX_EPOCH + Duration::from_nanos(7)]
                    .into_values()
                    .0,
                Column::Time(vec![7]),
            ),
            (vec![-1i8].into_values().0, Column::Int8(vec![-1])),
            (vec![-1i16].into_values().0, Column::Int16(vec![-1])),
            (vec![-1i32].into_values().0, Column::Int32(vec![-1])),
            (vec![-1i64].into_values().0, Column::Int64(vec![-1])),
            (vec![1u8].into_values().0, Column::Uint8(vec![1])),
            (vec![1u16].into_values().0, Column::Uint16(vec![1])),
            (vec![1u32].into_values().0, Column::Uint32(vec![1])),
            (vec![1u64].into_values().0, Column::Uint64(vec![1])),
            (vec![0.5f32].into_values().0, Column::Float32(vec![0.5])),
            (vec![0.5f64].into_values().0, Column::Float64(vec![0.5])),
            (vec![true].into_values().0, Column::Bool(vec![true])),
            (
                vec![String::from("s")].into_values().0,
                Column::String(vec!["s".into()]),
            ),
            (vec!["s"].into_values().0, Column::String(vec!["s".into()])),
            (
                vec![json!({"a": [1]})].into_values().0,
                Column::Json(vec![r#"{"a":[1]}"#.into()]),
            ),
            (vec![EnumIndex(2)].into_values().0, Column::Enum(vec![2])),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn nullable_values_carry_validity_and_placeholders() {
        let (column, validity) = vec![Some(1.5), None, Some(3.0)].into_values();
        assert_eq!(column, Column::Float64(vec![1.5, 0.0, 3.0]));
        assert_eq!(validity, Some(vec![true, false, true]));

        let (column, validity) = [None, Some("x")].into_values();
        assert_eq!(column, Column::String(vec![String::new(), "x".into()]));
        assert_eq!(validity, Some(vec![false, true]));

        let (column, validity) = vec![None::<serde_json::Value>].into_values();
        assert_eq!(column, Column::Json(vec!["null".into()]));
        assert_eq!(validity, Some(vec![false]));

        let (_, validity) = [1u8, 2].into_values();
        assert_eq!(validity, None);
    }

    #[test]
    fn time_conversions() {
        assert_eq!(Time::from_secs(2), Time(2_000_000_000));
        assert_eq!(Time::from_millis(-1).as_millis(), -1);
        assert_eq!(Time(-1).as_millis(), -1);
        assert_eq!(Time(1_999_999).as_millis(), 1);
        let before = SystemTime::UNIX_EPOCH - Duration::from_nanos(3);
        assert_eq!(Time::from(before), Time(-3));
        assert_eq!(Time(-3).to_system_time(), before);
        assert_eq!(Time::from(Time(42).to_system_time()), Time(42));
        assert_eq!(Time::from_millis(i64::MAX), Time(i64::MAX));
    }

    #[test]
    fn column_len_counts_rows() {
        assert_eq!(column_len(&[1u16, 2, 3].into_values().0), 3);
        assert_eq!(column_len(&Vec::<&str>::new().into_values().0), 0);
    }
}
