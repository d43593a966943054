//! Typed Grafana `FrameMeta` and `FieldConfig`, serialized to the JSON text the WIT records carry.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// Grafana frame metadata: how to read a frame, what ran, and notices for the user.
///
/// Every field is optional and left out of the JSON when unset:
///
/// ```
/// use quarry_guest::{FrameMeta, FrameType, Notice};
///
/// let meta = FrameMeta {
///     frame_type: Some(FrameType::TimeseriesMulti),
///     type_version: Some([0, 1]),
///     notices: vec![Notice::warning("results truncated")],
///     ..Default::default()
/// };
/// assert_eq!(
///     serde_json::to_value(&meta)?,
///     serde_json::json!({
///         "type": "timeseries-multi",
///         "typeVersion": [0, 1],
///         "notices": [{"severity": "warning", "text": "results truncated"}],
///     }),
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameMeta {
    /// The data-plane frame type (`type`).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub frame_type: Option<FrameType>,
    /// The version of the frame type's contract, `[major, minor]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_version: Option<[u32; 2]>,
    /// Module-specific metadata, passed through to the frontend.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<Value>,
    /// Messages Grafana shows next to the panel.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<Notice>,
    /// The Grafana Live channel this frame streams on, e.g. `ds/<uid>/<path>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The panel type Grafana should prefer (`graph`, `table`, `logs`, `trace`, `nodeGraph`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_visualisation_type: Option<String>,
    /// The query as the downstream service ran it, shown in the query inspector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executed_query_string: Option<String>,
    /// Other `FrameMeta` keys this struct does not model (such as `stats` or `path`), written as
    /// they are. Keys that duplicate a field above produce duplicate JSON keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A data-plane frame type, the `type` of [`FrameMeta`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FrameType {
    /// `timeseries-wide`: one time field, several value fields.
    TimeseriesWide,
    /// `timeseries-long`: one time field, value and dimension columns, rows sorted by time.
    TimeseriesLong,
    /// `timeseries-multi`: one series per frame.
    TimeseriesMulti,
    /// `numeric-wide`.
    NumericWide,
    /// `numeric-multi`.
    NumericMulti,
    /// `numeric-long`.
    NumericLong,
    /// `log-lines`.
    LogLines,
    /// `table`: no particular shape.
    Table,
    /// `directory-listing`.
    DirectoryListing,
    /// Any other type name, written as it is.
    #[serde(untagged)]
    Other(String),
}

/// A message Grafana shows the user next to the data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// How serious it is.
    pub severity: Severity,
    /// What to show.
    pub text: String,
}

impl Notice {
    /// An informational notice.
    pub fn info(text: impl Into<String>) -> Self {
        Self {
            severity: Severity::Info,
            text: text.into(),
        }
    }

    /// A warning.
    pub fn warning(text: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            text: text.into(),
        }
    }

    /// An error notice (the query still returns its frames).
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            text: text.into(),
        }
    }
}

/// The severity of a [`Notice`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// `info`.
    Info,
    /// `warning`.
    Warning,
    /// `error`.
    Error,
}

/// Grafana field config: how the frontend should display a field.
///
/// Every field is optional and left out of the JSON when unset. Whole `min`/`max` values are
/// written without a fraction (`10`, not `10.0`), as Go's encoder does.
///
/// ```
/// use quarry_guest::FieldConfig;
///
/// let config = FieldConfig {
///     unit: Some("ms".into()),
///     max: Some(10.0),
///     enum_text: Some(vec!["low".into(), "high".into()]),
///     ..Default::default()
/// };
/// assert_eq!(
///     serde_json::to_string(&config)?,
///     r#"{"unit":"ms","max":10,"type":{"enum":{"text":["low","high"]}}}"#,
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldConfig {
    /// The name shown instead of the field name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// A Grafana unit id (`ms`, `bytes`, `percent`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// How many decimals to show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u16>,
    /// The lowest value of the display range.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_number"
    )]
    pub min: Option<f64>,
    /// The highest value of the display range.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_number"
    )]
    pub max: Option<f64>,
    /// The names of an `enum` field's values, indexed by [`EnumIndex`](crate::EnumIndex)
    /// (`type.enum.text`).
    #[serde(
        rename = "type",
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_enum_text"
    )]
    pub enum_text: Option<Vec<String>>,
    /// Panel-plugin-specific settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<Value>,
    /// Other `FieldConfig` keys this struct does not model (such as `noValue` or `thresholds`),
    /// written as they are. Keys that duplicate a field above produce duplicate JSON keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Writes whole numbers as integers, like Go's `encoding/json` does for a `float64`.
fn serialize_number<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    // 2^53: every whole f64 below it is exactly an i64.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match *value {
        // Whole and within ±2^53, so the cast is exact.
        Some(v) if v.fract() == 0.0 && v.abs() < EXACT => serializer.serialize_i64(v as i64),
        Some(v) => serializer.serialize_f64(v),
        None => serializer.serialize_none(),
    }
}

/// Writes `["a", "b"]` as `{"enum": {"text": ["a", "b"]}}`.
fn serialize_enum_text<S: Serializer>(
    text: &Option<Vec<String>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct TypeConfig<'a> {
        #[serde(rename = "enum")]
        enum_config: EnumConfig<'a>,
    }

    #[derive(Serialize)]
    struct EnumConfig<'a> {
        text: &'a [String],
    }

    match text {
        Some(text) => TypeConfig {
            enum_config: EnumConfig { text },
        }
        .serialize(serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_meta_and_config_are_empty_objects() {
        assert_eq!(serde_json::to_string(&FrameMeta::default()).unwrap(), "{}");
        assert_eq!(
            serde_json::to_string(&FieldConfig::default()).unwrap(),
            "{}"
        );
    }

    #[test]
    fn full_meta() {
        let meta = FrameMeta {
            frame_type: Some(FrameType::Table),
            type_version: Some([0, 0]),
            custom: Some(json!({"rows": 3})),
            notices: vec![Notice::info("i"), Notice::warning("w"), Notice::error("e")],
            channel: Some("ds/abc/random_walk".into()),
            preferred_visualisation_type: Some("table".into()),
            executed_query_string: Some("all_types".into()),
            extra: [("path".to_owned(), json!("/x"))].into_iter().collect(),
        };
        assert_eq!(
            serde_json::to_value(&meta).unwrap(),
            json!({
                "type": "table",
                "typeVersion": [0, 0],
                "custom": {"rows": 3},
                "notices": [
                    {"severity": "info", "text": "i"},
                    {"severity": "warning", "text": "w"},
                    {"severity": "error", "text": "e"},
                ],
                "channel": "ds/abc/random_walk",
                "preferredVisualisationType": "table",
                "executedQueryString": "all_types",
                "path": "/x",
            })
        );
    }

    #[test]
    fn frame_types_use_grafana_names() {
        let cases = [
            (FrameType::TimeseriesWide, "timeseries-wide"),
            (FrameType::TimeseriesLong, "timeseries-long"),
            (FrameType::TimeseriesMulti, "timeseries-multi"),
            (FrameType::NumericWide, "numeric-wide"),
            (FrameType::NumericMulti, "numeric-multi"),
            (FrameType::NumericLong, "numeric-long"),
            (FrameType::LogLines, "log-lines"),
            (FrameType::Table, "table"),
            (FrameType::DirectoryListing, "directory-listing"),
            (FrameType::Other("heatmap-cells".into()), "heatmap-cells"),
        ];
        for (frame_type, name) in cases {
            assert_eq!(serde_json::to_value(&frame_type).unwrap(), json!(name));
        }
    }

    #[test]
    fn full_config() {
        let config = FieldConfig {
            display_name: Some("Float Sixty-Four".into()),
            unit: Some("ms".into()),
            decimals: Some(2),
            min: Some(-10.0),
            max: Some(2.5),
            enum_text: Some(vec!["low".into(), "mid".into(), "high".into()]),
            custom: Some(json!({"lineWidth": 2})),
            extra: [("noValue".to_owned(), json!("n/a"))].into_iter().collect(),
        };
        assert_eq!(
            serde_json::to_string(&config).unwrap(),
            concat!(
                r#"{"displayName":"Float Sixty-Four","unit":"ms","decimals":2,"min":-10,"max":2.5,"#,
                r#""type":{"enum":{"text":["low","mid","high"]}},"custom":{"lineWidth":2},"#,
                r#""noValue":"n/a"}"#
            )
        );
    }

    #[test]
    fn numbers_outside_the_exact_range_stay_floats() {
        let config = FieldConfig {
            min: Some(1e300),
            max: Some(f64::NAN),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&config).unwrap(),
            r#"{"min":1e+300,"max":null}"#
        );
    }
}
