//! [`Frame`] and [`Field`] builders: what a query or stream tick returns.

mod meta;
mod rows;
mod validate;
mod values;

pub(crate) use values::scale;

use std::collections::BTreeMap;

pub use meta::{FieldConfig, FrameMeta, FrameType, Notice, Severity};
pub use rows::{Row, RowFrame};
pub use values::{EnumIndex, FieldType, IntoValues, Time};

use crate::Column;

/// A data frame: a name, optional [`FrameMeta`] and typed [`Field`]s of equal length.
///
/// ```
/// use quarry_guest::{Field, FieldConfig, Frame, FrameMeta, FrameType, Time};
///
/// let frame = Frame::new("cpu")
///     .with_meta(FrameMeta {
///         frame_type: Some(FrameType::TimeseriesMulti),
///         type_version: Some([0, 1]),
///         ..Default::default()
///     })
///     .with_field(Field::new("time", vec![Time::from_secs(0), Time::from_secs(60)]))
///     .with_field(
///         Field::new("value", vec![Some(0.5), None])
///             .with_labels([("host", "a")])
///             .with_config(FieldConfig {
///                 unit: Some("percent".into()),
///                 ..Default::default()
///             }),
///     );
/// assert_eq!(frame.row_count(), Some(2));
/// assert_eq!(frame.field("value").unwrap().validity(), Some(&[true, false][..]));
/// ```
///
/// The builders don't check that the fields have equal lengths; the host checks every frame it
/// receives and fails the query if they differ. [`Frame::validate`] runs the host's checks in a
/// native unit test, and [`RowFrame`] builds a frame row by row so its columns cannot differ.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub(crate) name: String,
    /// Boxed: a `FrameMeta` is large and most frames have none.
    pub(crate) meta: Option<Box<FrameMeta>>,
    pub(crate) fields: Vec<Field>,
}

impl Frame {
    /// A frame named `name` with no fields.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            meta: None,
            fields: Vec::new(),
        }
    }

    /// Sets the frame's metadata.
    #[must_use]
    pub fn with_meta(mut self, meta: FrameMeta) -> Self {
        self.meta = Some(Box::new(meta));
        self
    }

    /// Appends a field.
    #[must_use]
    pub fn with_field(mut self, field: Field) -> Self {
        self.fields.push(field);
        self
    }

    /// Appends several fields.
    #[must_use]
    pub fn with_fields(mut self, fields: impl IntoIterator<Item = Field>) -> Self {
        self.fields.extend(fields);
        self
    }

    /// Appends a field to a frame built step by step.
    pub fn push_field(&mut self, field: Field) {
        self.fields.push(field);
    }

    /// The frame's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The frame's metadata, if set.
    pub fn meta(&self) -> Option<&FrameMeta> {
        self.meta.as_deref()
    }

    /// The fields, in order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The first field named `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// The first field named `name`, to change its labels or config after building.
    pub fn field_mut(&mut self, name: &str) -> Option<&mut Field> {
        self.fields.iter_mut().find(|field| field.name == name)
    }

    /// The number of rows: the length of the first field, or `None` for a frame without fields.
    pub fn row_count(&self) -> Option<usize> {
        self.fields.first().map(Field::len)
    }
}

/// One named, typed column of a [`Frame`], with labels and display config.
///
/// [`Field::new`] takes a `Vec` (or array) of any [`FieldType`]; a `Vec<Option<_>>` makes a
/// nullable field, `None` being null:
///
/// ```
/// use quarry_guest::{Column, EnumIndex, Field, FieldConfig};
///
/// let level = Field::new("level", vec![Some(EnumIndex(0)), None, Some(EnumIndex(1))])
///     .with_config(FieldConfig {
///         enum_text: Some(vec!["low".into(), "high".into()]),
///         ..Default::default()
///     });
/// assert_eq!(level.values(), &Column::Enum(vec![0, 0, 1]));
/// assert_eq!(level.validity(), Some(&[true, false, true][..]));
/// assert_eq!(level.is_null(1), true);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub(crate) name: String,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) config: Option<FieldConfig>,
    pub(crate) values: Column,
    pub(crate) validity: Option<Vec<bool>>,
}

impl Field {
    /// A field named `name` holding `values`.
    pub fn new(name: impl Into<String>, values: impl IntoValues) -> Self {
        let (values, validity) = values.into_values();
        Self {
            name: name.into(),
            labels: BTreeMap::new(),
            config: None,
            values,
            validity,
        }
    }

    /// Adds labels, replacing the value of a label that is already set.
    #[must_use]
    pub fn with_labels<K, V>(mut self, labels: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.labels
            .extend(labels.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Adds one label, replacing its value if it is already set.
    #[must_use]
    pub fn with_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Sets the field's display config.
    #[must_use]
    pub fn with_config(mut self, config: FieldConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Sets the display config of a field already in a frame (see [`Frame::field_mut`]).
    pub fn set_config(&mut self, config: FieldConfig) {
        self.config = Some(config);
    }

    /// Adds one label to a field already in a frame, replacing its value if it is already set.
    pub fn set_label(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.labels.insert(key.into(), value.into());
    }

    /// The field's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The field's labels, sorted by key.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    /// The field's display config, if set.
    pub fn config(&self) -> Option<&FieldConfig> {
        self.config.as_ref()
    }

    /// The cells (null cells hold a placeholder: zero, `false`, `""` or JSON `null`).
    pub fn values(&self) -> &Column {
        &self.values
    }

    /// For a nullable field, one entry per row, `false` where the cell is null.
    pub fn validity(&self) -> Option<&[bool]> {
        self.validity.as_deref()
    }

    /// Whether the field was built from `Option`s.
    pub fn is_nullable(&self) -> bool {
        self.validity.is_some()
    }

    /// Whether row `row` is null (`false` for a row past the end).
    pub fn is_null(&self, row: usize) -> bool {
        self.validity
            .as_ref()
            .and_then(|validity| validity.get(row))
            .is_some_and(|valid| !valid)
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        values::column_len(&self.values)
    }

    /// Whether the field has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_sorted_and_later_values_win() {
        let field = Field::new("v", [1i64])
            .with_label("series", "0")
            .with_labels([("series", "override"), ("dc", "x")]);
        let labels: Vec<_> = field
            .labels()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(labels, [("dc", "x"), ("series", "override")]);
    }

    #[test]
    fn frame_accessors() {
        let mut frame = Frame::new("f").with_fields([
            Field::new("a", [1u8, 2]),
            Field::new("b", vec![Some(true), None]),
        ]);
        frame.push_field(Field::new("c", Vec::<f64>::new()));
        assert_eq!(frame.name(), "f");
        assert_eq!(frame.meta(), None);
        assert_eq!(frame.fields().len(), 3);
        assert_eq!(frame.row_count(), Some(2));
        assert!(frame.field("c").unwrap().is_empty());
        assert!(frame.field("missing").is_none());
        let b = frame.field("b").unwrap();
        assert!(b.is_nullable());
        assert!(!b.is_null(0));
        assert!(b.is_null(1));
        assert!(!b.is_null(2));
        assert!(!frame.field("a").unwrap().is_null(1));
        assert_eq!(Frame::new("empty").row_count(), None);
    }
}
