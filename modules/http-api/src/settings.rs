//! The module's `jsonData` settings: `endpoint` (required) and `timeout` (seconds).

use std::time::Duration;

use quarry_guest::http::{HttpError, Url};
use quarry_guest::{Error, InstanceSettings};
use serde::Deserialize;

/// The timeout when `jsonData.timeout` is not set.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A JSON number or a string, for query-model values the API takes as text.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub(crate) enum Scalar {
    Number(serde_json::Number),
    Text(String),
}

impl Scalar {
    /// The value as text, `None` when it is an empty (or blank) string.
    pub(crate) fn to_text(&self) -> Option<String> {
        match self {
            Scalar::Number(number) => Some(number.to_string()),
            Scalar::Text(text) => Some(text.trim().to_owned()).filter(|t| !t.is_empty()),
        }
    }
}

/// `jsonData` as Grafana sends it (other keys, such as the host's `module`, are ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawSettings {
    endpoint: Option<String>,
    /// Seconds. The host reads the same key for its own per-request limit.
    timeout: Option<f64>,
}

/// The validated settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Config {
    /// The API's base URL without a trailing `/`; request paths are appended to it.
    pub(crate) endpoint: String,
    /// Each wait of each request: connecting, the first byte, between bytes.
    pub(crate) timeout: Duration,
}

impl Config {
    /// Reads and checks `jsonData`.
    ///
    /// # Errors
    ///
    /// A bad-request error naming the setting that is missing or invalid.
    pub(crate) fn from_settings(settings: &InstanceSettings) -> Result<Self, Error> {
        let raw: RawSettings = settings.json_data()?;
        let endpoint = raw
            .endpoint
            .as_deref()
            .map(str::trim)
            .filter(|endpoint| !endpoint.is_empty())
            .ok_or_else(|| {
                Error::bad_request(
                    "jsonData.endpoint is required: the base URL of the metrics API, such as \
                     https://metrics.example.com/api",
                )
            })?;
        let url = Url::parse(endpoint).map_err(|err| {
            let reason = match err {
                HttpError::InvalidUrl { reason, .. } => reason,
                other => other.to_string(),
            };
            Error::bad_request(format!(
                "jsonData.endpoint {endpoint:?} is not a valid URL: {reason}"
            ))
        })?;
        if url.path_and_query().contains('?') {
            return Err(Error::bad_request(format!(
                "jsonData.endpoint {endpoint:?} must not have a query string"
            )));
        }
        let timeout = match raw.timeout {
            None => DEFAULT_TIMEOUT,
            Some(secs) => parse_timeout(secs)?,
        };
        Ok(Self {
            endpoint: url.to_string().trim_end_matches('/').to_owned(),
            timeout,
        })
    }
}

fn parse_timeout(secs: f64) -> Result<Duration, Error> {
    Some(secs)
        .filter(|secs| *secs > 0.0)
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| {
            Error::bad_request(format!(
                "jsonData.timeout must be a positive number of seconds, not {secs}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use quarry_guest::ErrorKind;

    use super::*;

    fn config(json: &str) -> Result<Config, Error> {
        Config::from_settings(&InstanceSettings {
            raw_json_data: json.into(),
            ..Default::default()
        })
    }

    #[test]
    fn valid_settings() {
        let secs = Duration::from_secs;
        let cases = [
            (
                r#"{"endpoint":"http://api.local"}"#,
                "http://api.local",
                secs(10),
            ),
            (
                r#"{"endpoint":"https://api.local/v1/","timeout":3}"#,
                "https://api.local/v1",
                secs(3),
            ),
            (
                r#"{"endpoint":" http://API.local:8080/x ","timeout":2.5}"#,
                "http://api.local:8080/x",
                Duration::from_millis(2500),
            ),
            (
                r#"{"endpoint":"http://api.local","timeout":null,"module":"http-api"}"#,
                "http://api.local",
                secs(10),
            ),
        ];
        for (json, endpoint, timeout) in cases {
            let config = config(json).unwrap();
            assert_eq!(
                (config.endpoint.as_str(), config.timeout),
                (endpoint, timeout),
                "{json}"
            );
        }
    }

    #[test]
    fn invalid_settings_name_the_key() {
        let cases = [
            ("{}", "jsonData.endpoint is required"),
            ("", "jsonData.endpoint is required"),
            (r#"{"endpoint":"  "}"#, "jsonData.endpoint is required"),
            (
                r#"{"endpoint":"api.local"}"#,
                r#"jsonData.endpoint "api.local" is not a valid URL: it has no scheme"#,
            ),
            (
                r#"{"endpoint":"ftp://api.local"}"#,
                r#"jsonData.endpoint "ftp://api.local" is not a valid URL: unsupported scheme "ftp""#,
            ),
            (
                r#"{"endpoint":"http://api.local/?k=v"}"#,
                r#"jsonData.endpoint "http://api.local/?k=v" must not have a query string"#,
            ),
            (
                r#"{"endpoint":"http://a","timeout":0}"#,
                "jsonData.timeout must be a positive number of seconds, not 0",
            ),
            (
                r#"{"endpoint":"http://a","timeout":-1.5}"#,
                "jsonData.timeout must be a positive number of seconds, not -1.5",
            ),
            (
                r#"{"endpoint":"http://a","timeout":1e300}"#,
                "jsonData.timeout must be a positive number of seconds, not 1000000",
            ),
        ];
        for (json, start) in cases {
            let err = config(json).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BadRequest, "{json}");
            assert!(err.message().starts_with(start), "{json}: {err}");
        }
        for json in [
            r#"{"endpoint":5}"#,
            r#"{"endpoint":"http://a","timeout":"10"}"#,
        ] {
            let err = config(json).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BadRequest, "{json}");
            assert_eq!(
                err.context_lines(),
                ["invalid datasource jsonData"],
                "{json}"
            );
        }
    }

    #[test]
    fn scalars_as_text() {
        let parse = |json: &str| serde_json::from_str::<Scalar>(json).unwrap().to_text();
        assert_eq!(parse("1000"), Some("1000".into()));
        assert_eq!(parse("1.5"), Some("1.5".into()));
        assert_eq!(parse(r#"" 1m ""#), Some("1m".into()));
        assert_eq!(parse(r#""""#), None);
    }
}
