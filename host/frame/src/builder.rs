//! Constructors and small accessors for [`Frame`] and [`Field`].

use crate::{Column, Field, FieldType, Frame};

impl Frame {
    /// An empty frame (no fields, no meta, empty refId) named `name`.
    ///
    /// ```
    /// use quarry_frame::{Column, Field, Frame};
    ///
    /// let frame = Frame::new("cpu")
    ///     .with_ref_id("A")
    ///     .with_field(Field::new("time", Column::Time(vec![0, 1_000_000_000])))
    ///     .with_field(Field::new("value", vec![0.5, 0.75]).with_label("host", "a"));
    /// assert_eq!(frame.rows(), 2);
    /// ```
    pub fn new(name: impl Into<String>) -> Frame {
        Frame {
            name: name.into(),
            ref_id: String::new(),
            meta: None,
            fields: Vec::new(),
        }
    }

    /// Sets the refId (the query this frame answers).
    #[must_use]
    pub fn with_ref_id(mut self, ref_id: impl Into<String>) -> Frame {
        self.ref_id = ref_id.into();
        self
    }

    /// Sets the `FrameMeta` JSON object.
    #[must_use]
    pub fn with_meta(mut self, meta: serde_json::Value) -> Frame {
        self.meta = Some(meta);
        self
    }

    /// Appends a field.
    #[must_use]
    pub fn with_field(mut self, field: Field) -> Frame {
        self.fields.push(field);
        self
    }

    /// Appends several fields.
    #[must_use]
    pub fn with_fields(mut self, fields: impl IntoIterator<Item = Field>) -> Frame {
        self.fields.extend(fields);
        self
    }

    /// The number of rows: the length of the first field, or 0 without fields.
    ///
    /// Only a checked frame guarantees that every field has this length.
    pub fn rows(&self) -> usize {
        self.fields.first().map_or(0, Field::len)
    }
}

impl Field {
    /// A non-nullable field without labels or config.
    pub fn new(name: impl Into<String>, values: impl Into<Column>) -> Field {
        Field {
            name: name.into(),
            labels: Default::default(),
            config: None,
            values: values.into(),
            validity: None,
        }
    }

    /// A nullable field built from optional values; `None` becomes a null whose slot holds
    /// the type's default value.
    pub fn from_options<T>(name: impl Into<String>, values: Vec<Option<T>>) -> Field
    where
        T: Default,
        Vec<T>: Into<Column>,
    {
        let validity = values.iter().map(Option::is_some).collect();
        let values: Vec<T> = values.into_iter().map(Option::unwrap_or_default).collect();
        Field::new(name, values).with_validity(validity)
    }

    /// Adds one label.
    #[must_use]
    pub fn with_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Field {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Adds several labels.
    #[must_use]
    pub fn with_labels<K, V>(mut self, labels: impl IntoIterator<Item = (K, V)>) -> Field
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.labels
            .extend(labels.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Sets the `FieldConfig` JSON object.
    #[must_use]
    pub fn with_config(mut self, config: serde_json::Value) -> Field {
        self.config = Some(config);
        self
    }

    /// Makes the field nullable: one entry per row, `false` marks a null.
    #[must_use]
    pub fn with_validity(mut self, validity: Vec<bool>) -> Field {
        self.validity = Some(validity);
        self
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// `true` without values.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The Grafana field type of the values.
    pub fn field_type(&self) -> FieldType {
        self.values.field_type()
    }

    /// `true` when the field is declared nullable (it has a validity list).
    pub fn is_nullable(&self) -> bool {
        self.validity.is_some()
    }

    /// `true` when `row` is null. Rows past the end of the validity list are not null.
    pub fn is_null(&self, row: usize) -> bool {
        self.validity
            .as_ref()
            .is_some_and(|v| v.get(row).is_some_and(|valid| !valid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders() {
        let field = Field::from_options("v", vec![Some(1i32), None, Some(3)]);
        assert_eq!(field.values, Column::Int32(vec![1, 0, 3]));
        assert_eq!(field.validity, Some(vec![true, false, true]));
        assert!(field.is_null(1) && !field.is_null(0) && !field.is_null(7));
        assert!(field.is_nullable());

        let frame = Frame::new("f").with_ref_id("A").with_field(field);
        assert_eq!(frame.rows(), 3);
        assert_eq!(Frame::new("empty").rows(), 0);
    }
}
