//! [`RowFrame`]: build a frame one row at a time, with each row a typed tuple — the Rust
//! counterpart of the Go SDK's `data.NewFrame` + `frame.AppendRow`.

use std::collections::BTreeMap;

use super::{Field, FieldConfig, Frame, FrameMeta, IntoValues};

/// A row of a [`RowFrame`]: a tuple of up to 12 cells, each a [`FieldType`](crate::FieldType)
/// or an `Option` of one (a nullable column).
///
/// Implemented for tuples; the column types come from the tuple's element types.
pub trait Row: Sized {
    /// The columns being filled: one `Vec` per tuple element.
    #[doc(hidden)]
    type Columns: Default;
    /// How many cells a row has.
    #[doc(hidden)]
    const WIDTH: usize;
    /// Appends this row's cells to the columns.
    #[doc(hidden)]
    fn push_into(self, columns: &mut Self::Columns);
    /// Turns the columns into fields, in tuple order.
    #[doc(hidden)]
    fn into_fields(columns: Self::Columns, names: Vec<String>) -> Vec<Field>;
}

macro_rules! tuple_rows {
    ($width:literal => $($ty:ident $idx:tt),+) => {
        impl<$($ty),+> Row for ($($ty,)+)
        where
            $(Vec<$ty>: IntoValues,)+
        {
            type Columns = ($(Vec<$ty>,)+);
            const WIDTH: usize = $width;

            fn push_into(self, columns: &mut Self::Columns) {
                $(columns.$idx.push(self.$idx);)+
            }

            fn into_fields(columns: Self::Columns, names: Vec<String>) -> Vec<Field> {
                let mut names = names.into_iter();
                vec![$(Field::new(names.next().unwrap_or_default(), columns.$idx)),+]
            }
        }
    };
}

tuple_rows!(1 => A 0);
tuple_rows!(2 => A 0, B 1);
tuple_rows!(3 => A 0, B 1, C 2);
tuple_rows!(4 => A 0, B 1, C 2, D 3);
tuple_rows!(5 => A 0, B 1, C 2, D 3, E 4);
tuple_rows!(6 => A 0, B 1, C 2, D 3, E 4, F 5);
tuple_rows!(7 => A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_rows!(8 => A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_rows!(9 => A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_rows!(10 => A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_rows!(11 => A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_rows!(12 => A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

/// A frame built row by row: the column types are the row tuple's types, so every row has
/// every column and the columns can never be ragged.
///
/// ```
/// use quarry_guest::{Column, FieldConfig, RowFrame, Time};
///
/// // time, value (nullable), host
/// let mut rows = RowFrame::<(Time, Option<f64>, String)>::new("cpu", ["time", "value", "host"])
///     .with_config("value", FieldConfig { unit: Some("percent".into()), ..Default::default() })
///     .with_labels("value", [("dc", "eu-1")]);
/// rows.append_row((Time::from_secs(0), Some(0.5), "a".into()));
/// rows.append_row((Time::from_secs(60), None, "b".into()));
/// assert_eq!(rows.len(), 2);
///
/// let frame = rows.finish();
/// assert_eq!(frame.row_count(), Some(2));
/// let value = frame.field("value").unwrap();
/// assert_eq!(value.values(), &Column::Float64(vec![0.5, 0.0]));
/// assert!(value.is_null(1));
/// assert_eq!(value.labels()["dc"], "eu-1");
/// frame.validate()?;
/// # Ok::<(), quarry_guest::Error>(())
/// ```
///
/// Rows also come from an iterator: `rows.extend(records.iter().map(|r| (r.time, r.value)))`.
#[derive(Debug)]
pub struct RowFrame<R: Row> {
    name: String,
    names: Vec<String>,
    meta: Option<FrameMeta>,
    labels: Vec<BTreeMap<String, String>>,
    configs: Vec<Option<FieldConfig>>,
    columns: R::Columns,
    rows: usize,
}

impl<R: Row> RowFrame<R> {
    /// An empty frame named `name` whose columns are named `names`, in tuple order.
    ///
    /// # Panics
    ///
    /// When the number of names differs from the number of cells in `R`.
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        names: impl IntoIterator<Item = S>,
    ) -> Self {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        assert_eq!(
            names.len(),
            R::WIDTH,
            "RowFrame: {} column names for rows of {} cells",
            names.len(),
            R::WIDTH
        );
        Self {
            name: name.into(),
            meta: None,
            labels: vec![BTreeMap::new(); names.len()],
            configs: vec![None; names.len()],
            names,
            columns: R::Columns::default(),
            rows: 0,
        }
    }

    fn index(&self, column: &str) -> usize {
        self.names
            .iter()
            .position(|name| name == column)
            .unwrap_or_else(|| {
                panic!(
                    "RowFrame {:?} has no column {column:?} (columns: {})",
                    self.name,
                    self.names.join(", ")
                )
            })
    }

    /// Sets the frame's metadata.
    #[must_use]
    pub fn with_meta(mut self, meta: FrameMeta) -> Self {
        self.meta = Some(meta);
        self
    }

    /// Sets the display config of the column named `column`.
    ///
    /// # Panics
    ///
    /// When there is no such column.
    #[must_use]
    pub fn with_config(mut self, column: &str, config: FieldConfig) -> Self {
        let index = self.index(column);
        self.configs[index] = Some(config);
        self
    }

    /// Adds labels to the column named `column`.
    ///
    /// # Panics
    ///
    /// When there is no such column.
    #[must_use]
    pub fn with_labels<K: Into<String>, V: Into<String>>(
        mut self,
        column: &str,
        labels: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let index = self.index(column);
        self.labels[index].extend(labels.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Appends one row.
    pub fn append_row(&mut self, row: R) {
        row.push_into(&mut self.columns);
        self.rows += 1;
    }

    /// The number of rows appended so far.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row was appended yet.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The finished frame.
    pub fn finish(self) -> Frame {
        let fields = R::into_fields(self.columns, self.names)
            .into_iter()
            .zip(self.labels)
            .zip(self.configs)
            .map(|((mut field, labels), config)| {
                field.labels = labels;
                field.config = config;
                field
            })
            .collect();
        Frame {
            name: self.name,
            meta: self.meta.map(Box::new),
            fields,
        }
    }
}

impl<R: Row> Extend<R> for RowFrame<R> {
    fn extend<I: IntoIterator<Item = R>>(&mut self, rows: I) {
        for row in rows {
            self.append_row(row);
        }
    }
}

impl<R: Row> From<RowFrame<R>> for Frame {
    fn from(rows: RowFrame<R>) -> Frame {
        rows.finish()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{Column, EnumIndex, Time};

    #[test]
    fn columns_follow_the_tuple_types() {
        let mut rows =
            RowFrame::<(Time, i64, Option<&str>, bool, serde_json::Value, EnumIndex)>::new(
                "t",
                ["time", "n", "s", "b", "j", "e"],
            );
        assert!(rows.is_empty());
        rows.append_row((Time(1), 1, Some("x"), true, json!({"a": 1}), EnumIndex(0)));
        rows.extend([(Time(2), 2, None, false, json!(null), EnumIndex(1))]);
        let frame = rows.with_meta(FrameMeta::default()).finish();
        assert!(frame.meta().is_some());
        let values: Vec<&Column> = frame.fields().iter().map(Field::values).collect();
        assert_eq!(
            values,
            [
                &Column::Time(vec![1, 2]),
                &Column::Int64(vec![1, 2]),
                &Column::String(vec!["x".into(), String::new()]),
                &Column::Bool(vec![true, false]),
                &Column::Json(vec![r#"{"a":1}"#.into(), "null".into()]),
                &Column::Enum(vec![0, 1]),
            ]
        );
        assert_eq!(
            frame.field("s").unwrap().validity(),
            Some(&[true, false][..])
        );
        assert!(!frame.field("n").unwrap().is_nullable());
    }

    #[test]
    fn an_empty_frame_keeps_its_schema() {
        let frame: Frame = RowFrame::<(Time, f64)>::new("empty", ["time", "value"]).into();
        assert_eq!(frame.row_count(), Some(0));
        assert_eq!(
            frame.field("value").unwrap().values(),
            &Column::Float64(vec![])
        );
    }

    #[test]
    #[should_panic(expected = "RowFrame: 1 column names for rows of 2 cells")]
    fn names_must_match_the_row_width() {
        let _ = RowFrame::<(Time, f64)>::new("x", ["time"]);
    }

    #[test]
    #[should_panic(expected = r#"RowFrame "x" has no column "valu" (columns: time, value)"#)]
    fn config_names_an_existing_column() {
        let _ = RowFrame::<(Time, f64)>::new("x", ["time", "value"])
            .with_config("valu", FieldConfig::default());
    }
}
