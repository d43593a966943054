//! [`InstanceSettings`]: the datasource settings Grafana sent, with typed `jsonData` parsing.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;

use crate::{Context, Error};

/// The settings of one Grafana datasource instance, as [`Datasource::new`](crate::Datasource::new)
/// receives them.
///
/// `Debug` prints the names of the secure settings, never their values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct InstanceSettings {
    /// The datasource's unique id.
    pub uid: String,
    /// The datasource's display name.
    pub name: String,
    /// The URL configured on the datasource, if any (may be empty).
    pub url: String,
    /// The datasource's `jsonData` object as JSON text; see [`json_data`](Self::json_data).
    pub raw_json_data: String,
    /// Decrypted secure settings the host passed on, by key: only those the module declared with
    /// [`SecretGrant::read`](crate::SecretGrant::read); see [`secure`](Self::secure).
    pub secure_json_data: BTreeMap<String, String>,
    /// When Grafana last changed these settings, epoch milliseconds.
    pub updated_ms: i64,
}

impl InstanceSettings {
    /// Parses `jsonData` into the module's own settings type. Empty text parses as `{}`, so a
    /// settings type whose fields all have defaults works for a datasource saved without any.
    ///
    /// ```
    /// use quarry_guest::InstanceSettings;
    ///
    /// #[derive(serde::Deserialize)]
    /// #[serde(rename_all = "camelCase")]
    /// struct Settings {
    ///     #[serde(default)]
    ///     default_bucket: Option<String>,
    /// }
    ///
    /// let settings = InstanceSettings {
    ///     raw_json_data: r#"{"defaultBucket": "metrics"}"#.into(),
    ///     ..Default::default()
    /// };
    /// let parsed: Settings = settings.json_data()?;
    /// assert_eq!(parsed.default_bucket.as_deref(), Some("metrics"));
    /// # Ok::<(), quarry_guest::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A bad-request error naming serde's complaint when the JSON does not fit `T`.
    pub fn json_data<T: DeserializeOwned>(&self) -> Result<T, Error> {
        parse_object(&self.raw_json_data).context("invalid datasource jsonData")
    }

    /// The decrypted secure setting `key`, if the host passed one on.
    ///
    /// The host passes only the keys the module declared with
    /// [`SecretGrant::read`](crate::SecretGrant::read) in
    /// [`Datasource::secure_settings`](crate::Datasource::secure_settings). Keys granted as
    /// [`bearer_token`](crate::SecretGrant::bearer_token) or [`header`](crate::SecretGrant::header)
    /// are attached to HTTP requests by the host and are never here.
    pub fn secure(&self, key: &str) -> Option<&str> {
        self.secure_json_data.get(key).map(String::as_str)
    }
}

impl fmt::Debug for InstanceSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InstanceSettings")
            .field("uid", &self.uid)
            .field("name", &self.name)
            .field("url", &self.url)
            .field("raw_json_data", &self.raw_json_data)
            .field(
                "secure_json_data",
                &RedactedKeys(self.secure_json_data.keys()),
            )
            .field("updated_ms", &self.updated_ms)
            .finish()
    }
}

/// Prints `{"key": "<redacted>", ...}`.
struct RedactedKeys<'a, I>(I)
where
    I: Iterator<Item = &'a String> + Clone;

impl<'a, I> fmt::Debug for RedactedKeys<'a, I>
where
    I: Iterator<Item = &'a String> + Clone,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.clone().map(|key| (key, "<redacted>")))
            .finish()
    }
}

/// Parses a JSON object the host passed as text, reading empty text as `{}`.
pub(crate) fn parse_object<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    Ok(serde_json::from_str(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Settings {
        #[serde(default)]
        series_prefix: Option<String>,
        #[serde(default)]
        health_fail: bool,
    }

    fn settings(json: &str) -> InstanceSettings {
        InstanceSettings {
            raw_json_data: json.into(),
            ..Default::default()
        }
    }

    #[test]
    fn json_data_parses_camel_case() {
        let parsed: Settings = settings(r#"{"seriesPrefix":"s","healthFail":true,"other":1}"#)
            .json_data()
            .unwrap();
        assert_eq!(
            parsed,
            Settings {
                series_prefix: Some("s".into()),
                health_fail: true,
            }
        );
    }

    #[test]
    fn empty_json_data_is_an_empty_object() {
        for text in ["", "  ", "{}"] {
            let parsed: Settings = settings(text).json_data().unwrap();
            assert_eq!(
                parsed,
                Settings {
                    series_prefix: None,
                    health_fail: false,
                }
            );
        }
    }

    #[test]
    fn malformed_json_data_is_a_bad_request() {
        let err = settings(r#"{"healthFail":"yes"}"#)
            .json_data::<Settings>()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        assert_eq!(err.context_lines(), ["invalid datasource jsonData"]);
        assert!(err.message().contains("invalid type"), "{err}");
    }

    #[test]
    fn debug_redacts_secrets() {
        let mut settings = settings("{}");
        settings
            .secure_json_data
            .insert("apiKey".into(), "hunter2".into());
        assert_eq!(settings.secure("apiKey"), Some("hunter2"));
        assert_eq!(settings.secure("password"), None);
        let debug = format!("{settings:?}");
        assert!(debug.contains(r#""apiKey": "<redacted>""#), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }
}
