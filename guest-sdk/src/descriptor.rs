//! [`Descriptor`]: what a module tells Grafana's editors about itself — the settings it reads,
//! its query model, its streams, and whether it answers template-variable and annotation
//! queries. Quarry generates the datasource's config page and query editor from it, so a new
//! module brings its own UI. Built with builders, never with hand-written JSON.
//!
//! ```
//! use quarry_guest::{Descriptor, QueryField, Setting};
//!
//! let d = Descriptor::new("Metrics from the in-house API")
//!     .with_setting(
//!         Setting::string("endpoint")
//!             .title("Endpoint")
//!             .placeholder("https://metrics.example.com/api")
//!             .required(),
//!     )
//!     .with_setting(Setting::string("apiKey").title("API key").secret())
//!     .with_query_field(QueryField::string("metricName").title("Metric").main().required())
//!     .with_query_field(QueryField::enumeration("agg", [("avg", "Average"), ("max", "Maximum")]).default("avg"))
//!     .with_default_query(serde_json::json!({"metricName": "cpu"}))
//!     .with_stream("latest/{metric}", "The newest value of a metric, every second");
//! assert_eq!(d.settings().len(), 2);
//! assert!(d.settings()[1].is_secret());
//! ```

use serde::Serialize;
use serde_json::Value;

/// What a setting or query property holds, and so how an editor shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// Text.
    String,
    /// A number.
    Number,
    /// A whole number.
    Integer,
    /// A switch.
    Boolean,
    /// One of the listed values.
    Enum(Vec<EnumOption>),
    /// A list of strings.
    StringList,
    /// An object of string values.
    StringMap,
}

/// One choice of an [`Kind::Enum`] field.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumOption {
    pub value: String,
    pub label: String,
    pub description: String,
}

impl<V: Into<String>, L: Into<String>> From<(V, L)> for EnumOption {
    fn from((value, label): (V, L)) -> Self {
        EnumOption {
            value: value.into(),
            label: label.into(),
            description: String::new(),
        }
    }
}

/// The parts every field has, shared by [`Setting`] and [`QueryField`].
#[derive(Clone, Debug, PartialEq)]
struct Common {
    key: String,
    kind: Kind,
    title: String,
    description: String,
    default: Option<Value>,
    required: bool,
    placeholder: Option<String>,
}

impl Common {
    fn new(key: impl Into<String>, kind: Kind) -> Self {
        Common {
            key: key.into(),
            kind,
            title: String::new(),
            description: String::new(),
            default: None,
            required: false,
            placeholder: None,
        }
    }
}

/// Builder methods both field kinds share.
macro_rules! common_builders {
    ($ty:ident) => {
        impl $ty {
            /// A text field.
            pub fn string(key: impl Into<String>) -> Self {
                Self::with_kind(key, Kind::String)
            }
            /// A number field.
            pub fn number(key: impl Into<String>) -> Self {
                Self::with_kind(key, Kind::Number)
            }
            /// A whole-number field.
            pub fn integer(key: impl Into<String>) -> Self {
                Self::with_kind(key, Kind::Integer)
            }
            /// A switch.
            pub fn boolean(key: impl Into<String>) -> Self {
                Self::with_kind(key, Kind::Boolean)
            }
            /// One of `options`, each `(value, label)`.
            pub fn enumeration<O: Into<EnumOption>>(
                key: impl Into<String>,
                options: impl IntoIterator<Item = O>,
            ) -> Self {
                Self::with_kind(
                    key,
                    Kind::Enum(options.into_iter().map(Into::into).collect()),
                )
            }
            /// A list of strings.
            pub fn string_list(key: impl Into<String>) -> Self {
                Self::with_kind(key, Kind::StringList)
            }
            /// An object of string values (labels, headers).
            pub fn string_map(key: impl Into<String>) -> Self {
                Self::with_kind(key, Kind::StringMap)
            }
            /// The label an editor shows (the key when unset).
            pub fn title(mut self, title: impl Into<String>) -> Self {
                self.common.title = title.into();
                self
            }
            /// A sentence on what the field does.
            pub fn description(mut self, description: impl Into<String>) -> Self {
                self.common.description = description.into();
                self
            }
            /// The value used when the field is absent.
            ///
            /// # Panics
            /// When `value` cannot be represented as JSON (a map with non-string keys, say).
            pub fn default(mut self, value: impl Serialize) -> Self {
                self.common.default =
                    Some(serde_json::to_value(value).expect("a default must serialize to JSON"));
                self
            }
            /// The field must be filled in.
            pub fn required(mut self) -> Self {
                self.common.required = true;
                self
            }
            /// A hint shown in the empty input.
            pub fn placeholder(mut self, placeholder: impl Into<String>) -> Self {
                self.common.placeholder = Some(placeholder.into());
                self
            }
            /// The key in JSON.
            pub fn key(&self) -> &str {
                &self.common.key
            }
            /// What the field holds.
            pub fn kind(&self) -> &Kind {
                &self.common.kind
            }
            /// The value used when the field is absent, if one is declared.
            pub fn default_value(&self) -> Option<&Value> {
                self.common.default.as_ref()
            }
            /// Whether the field must be filled in.
            pub fn is_required(&self) -> bool {
                self.common.required
            }
            /// The hint shown in the empty input, if any.
            pub fn placeholder_text(&self) -> Option<&str> {
                self.common.placeholder.as_deref()
            }
        }
    };
}

/// One key of the datasource settings the module reads: `jsonData.<key>`, or
/// `secureJsonData.<key>` when [`secret`](Self::secret).
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    common: Common,
    secret: bool,
}

impl Setting {
    fn with_kind(key: impl Into<String>, kind: Kind) -> Self {
        Setting {
            common: Common::new(key, kind),
            secret: false,
        }
    }

    /// Kept in `secureJsonData`: write-only in Grafana, never sent back to the browser. Declare
    /// how the module uses it in [`Datasource::secure_settings`](crate::Datasource::secure_settings).
    pub fn secret(mut self) -> Self {
        self.secret = true;
        self
    }

    pub fn is_secret(&self) -> bool {
        self.secret
    }
}

common_builders!(Setting);

/// One property of the module's query model (the panel's query JSON).
#[derive(Clone, Debug, PartialEq)]
pub struct QueryField {
    common: Common,
    main: bool,
    multiline: bool,
}

impl QueryField {
    fn with_kind(key: impl Into<String>, kind: Kind) -> Self {
        QueryField {
            common: Common::new(key, kind),
            main: false,
            multiline: false,
        }
    }

    /// The query's main text (an expression, a metric name): shown first and widest.
    pub fn main(mut self) -> Self {
        self.main = true;
        self
    }

    /// Long text (a script, a query language): edited in a code editor.
    pub fn multiline(mut self) -> Self {
        self.multiline = true;
        self
    }

    /// Whether this is the query's main text.
    pub fn is_main(&self) -> bool {
        self.main
    }

    /// Whether this is long text edited in a code editor.
    pub fn is_multiline(&self) -> bool {
        self.multiline
    }
}

common_builders!(QueryField);

/// What a module tells Grafana's editors about itself; see the [module docs](self).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Descriptor {
    description: String,
    settings: Vec<Setting>,
    query: Vec<QueryField>,
    default_query: Option<Value>,
    streams: Vec<(String, String)>,
    variable_query_type: Option<String>,
    annotation_query_type: Option<String>,
}

impl Descriptor {
    /// A descriptor with one line on what the module fetches.
    pub fn new(description: impl Into<String>) -> Self {
        Descriptor {
            description: description.into(),
            ..Default::default()
        }
    }

    /// Adds a setting; editors show them in this order.
    pub fn with_setting(mut self, setting: Setting) -> Self {
        self.settings.push(setting);
        self
    }

    /// Adds a property of the query model; editors show them in this order.
    pub fn with_query_field(mut self, field: QueryField) -> Self {
        self.query.push(field);
        self
    }

    /// The query a new panel starts with.
    ///
    /// # Panics
    /// When `query` does not serialize to a JSON object.
    pub fn with_default_query(mut self, query: impl Serialize) -> Self {
        let value = serde_json::to_value(query).expect("the default query must serialize");
        assert!(value.is_object(), "the default query must be a JSON object");
        self.default_query = Some(value);
        self
    }

    /// A Grafana Live channel the module streams (`ds/<uid>/<path>`; `{name}` marks a variable
    /// part).
    pub fn with_stream(mut self, path: impl Into<String>, description: impl Into<String>) -> Self {
        self.streams.push((path.into(), description.into()));
        self
    }

    /// The module answers template-variable queries: queries with this `queryType`, answered
    /// with a frame whose first string field lists the values.
    pub fn with_variable_query_type(mut self, query_type: impl Into<String>) -> Self {
        self.variable_query_type = Some(query_type.into());
        self
    }

    /// The module answers annotation queries: queries with this `queryType`, answered with frames
    /// of `time`, optional `timeEnd`, `text` and `tags` fields.
    pub fn with_annotation_query_type(mut self, query_type: impl Into<String>) -> Self {
        self.annotation_query_type = Some(query_type.into());
        self
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    pub fn settings(&self) -> &[Setting] {
        &self.settings
    }

    pub fn query_fields(&self) -> &[QueryField] {
        &self.query
    }

    pub fn default_query(&self) -> Option<&Value> {
        self.default_query.as_ref()
    }

    /// The setting with key `key`.
    pub fn setting(&self, key: &str) -> Option<&Setting> {
        self.settings.iter().find(|s| s.key() == key)
    }

    /// The query property with key `key`.
    pub fn query_field(&self, key: &str) -> Option<&QueryField> {
        self.query.iter().find(|q| q.key() == key)
    }

    /// The stream paths, in order.
    pub fn stream_paths(&self) -> Vec<&str> {
        self.streams.iter().map(|(path, _)| path.as_str()).collect()
    }

    /// The `queryType` of template-variable queries, if the module answers them.
    pub fn variable_query_type(&self) -> Option<&str> {
        self.variable_query_type.as_deref()
    }

    /// The `queryType` of annotation queries, if the module answers them.
    pub fn annotation_query_type(&self) -> Option<&str> {
        self.annotation_query_type.as_deref()
    }
}

mod wit {
    use super::{Common, Descriptor, Kind};
    use crate::bindings::quarry::datasource::types as wit_types;

    fn kind(k: Kind) -> wit_types::ValueKind {
        match k {
            Kind::String => wit_types::ValueKind::String,
            Kind::Number => wit_types::ValueKind::Number,
            Kind::Integer => wit_types::ValueKind::Integer,
            Kind::Boolean => wit_types::ValueKind::Boolean,
            Kind::StringList => wit_types::ValueKind::StringList,
            Kind::StringMap => wit_types::ValueKind::StringMap,
            Kind::Enum(options) => wit_types::ValueKind::Enum(
                options
                    .into_iter()
                    .map(|o| wit_types::EnumOption {
                        value: o.value,
                        label: o.label,
                        description: o.description,
                    })
                    .collect(),
            ),
        }
    }

    fn default(c: &Common) -> Option<String> {
        c.default.as_ref().map(ToString::to_string)
    }

    impl From<Descriptor> for wit_types::Descriptor {
        fn from(d: Descriptor) -> Self {
            wit_types::Descriptor {
                description: d.description,
                settings: d
                    .settings
                    .into_iter()
                    .map(|s| wit_types::SettingField {
                        default: default(&s.common),
                        key: s.common.key,
                        kind: kind(s.common.kind),
                        title: s.common.title,
                        description: s.common.description,
                        required: s.common.required,
                        secret: s.secret,
                        placeholder: s.common.placeholder,
                    })
                    .collect(),
                query: d
                    .query
                    .into_iter()
                    .map(|q| wit_types::QueryField {
                        default: default(&q.common),
                        key: q.common.key,
                        kind: kind(q.common.kind),
                        title: q.common.title,
                        description: q.common.description,
                        required: q.common.required,
                        placeholder: q.common.placeholder,
                        main: q.main,
                        multiline: q.multiline,
                    })
                    .collect(),
                default_query: d.default_query.map(|v| v.to_string()),
                streams: d
                    .streams
                    .into_iter()
                    .map(|(path, description)| wit_types::StreamPath { path, description })
                    .collect(),
                variable_query_type: d.variable_query_type,
                annotation_query_type: d.annotation_query_type,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::quarry::datasource::types as wit_types;

    #[test]
    fn builds_the_contract_record() {
        let d = Descriptor::new("d")
            .with_setting(Setting::integer("n").default(3).required())
            .with_query_field(QueryField::string_map("labels"))
            .with_query_field(
                QueryField::enumeration("s", [("a", "A")])
                    .main()
                    .multiline(),
            )
            .with_variable_query_type("vars");
        let w: wit_types::Descriptor = d.into();
        assert_eq!(w.settings[0].default.as_deref(), Some("3"));
        assert!(w.settings[0].required && !w.settings[0].secret);
        assert!(matches!(w.query[0].kind, wit_types::ValueKind::StringMap));
        assert!(w.query[1].main && w.query[1].multiline);
        assert!(matches!(&w.query[1].kind, wit_types::ValueKind::Enum(o) if o[0].label == "A"));
        assert_eq!(w.variable_query_type.as_deref(), Some("vars"));
    }

    #[test]
    #[should_panic(expected = "JSON object")]
    fn default_query_must_be_an_object() {
        let _ = Descriptor::new("d").with_default_query(3);
    }
}
