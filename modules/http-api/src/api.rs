//! The metrics API, as plain functions: request paths, status checks, response parsing and the
//! frames built from responses. Nothing here touches the network.

use std::collections::BTreeMap;

use quarry_guest::http::{Response, encode_component};
use quarry_guest::{Error, Field, FieldConfig, Frame, FrameMeta, FrameType, Time};
use serde::Deserialize;

/// The health check's path.
pub(crate) const HEALTH_PATH: &str = "/health";

/// The most characters of an error response's body quoted in the error.
const EXCERPT_CHARS: usize = 200;

/// `/query?metric=NAME&from=MS&to=MS`, then `&aggregation=..` and `&interval=..` when given.
pub(crate) fn query_path(
    metric: &str,
    from_ms: i64,
    to_ms: i64,
    aggregation: Option<&str>,
    interval: Option<&str>,
) -> String {
    let mut path = format!(
        "/query?metric={}&from={from_ms}&to={to_ms}",
        encode_component(metric)
    );
    for (key, value) in [("aggregation", aggregation), ("interval", interval)] {
        if let Some(value) = value {
            path.push_str(&format!("&{key}={}", encode_component(value)));
        }
    }
    path
}

/// `/latest?metric=NAME`.
pub(crate) fn latest_path(metric: &str) -> String {
    format!("/latest?metric={}", encode_component(metric))
}

/// Turns an answer to `path` that is not 2xx into the module's error.
///
/// # Errors
///
/// 401: unauthorized; 404: not found; anything else: downstream. The message names the status
/// and quotes the start of the body.
pub(crate) fn check_status(path: &str, response: &Response) -> Result<(), Error> {
    if response.is_success() {
        return Ok(());
    }
    if response.status == 401 {
        return Err(Error::unauthorized("API refused the credentials (401)"));
    }
    let mut message = format!("API answered {}", response.status);
    if let Some(reason) = response.reason() {
        message.push(' ');
        message.push_str(reason);
    }
    message.push_str(" for ");
    message.push_str(path);
    if let Some(excerpt) = excerpt(&response.text()) {
        message.push_str(": ");
        message.push_str(&excerpt);
    }
    Err(match response.status {
        404 => Error::not_found(message),
        _ => Error::downstream(message),
    })
}

/// The body's first characters with whitespace runs collapsed, `None` for a blank body.
fn excerpt(body: &str) -> Option<String> {
    let words: Vec<&str> = body.split_whitespace().collect();
    let text = words.join(" ");
    if text.is_empty() {
        return None;
    }
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => Some(format!("{}…", &text[..cut])),
        None => Some(text),
    }
}

/// The answer of `/query`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(crate) struct Series {
    /// Milliseconds since the Unix epoch.
    pub(crate) timestamps: Vec<i64>,
    /// `null` for a gap.
    pub(crate) values: Vec<Option<f64>>,
    #[serde(default)]
    pub(crate) labels: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) unit: Option<String>,
}

/// The answer of `/latest`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(crate) struct Latest {
    /// Milliseconds since the Unix epoch.
    pub(crate) timestamp: i64,
    /// `null` when there is no value.
    pub(crate) value: Option<f64>,
}

/// Parses and checks a `/query` answer.
///
/// # Errors
///
/// A downstream error `response from /query ...` naming what is wrong: not JSON, a missing or
/// mistyped key, or timestamps and values of different lengths.
pub(crate) fn parse_series(response: &Response) -> Result<Series, Error> {
    let series: Series = parse(response, "/query")?;
    if series.timestamps.len() != series.values.len() {
        return Err(Error::downstream(format!(
            "response from /query has {} timestamps but {} values",
            series.timestamps.len(),
            series.values.len()
        )));
    }
    Ok(series)
}

/// Parses a `/latest` answer.
///
/// # Errors
///
/// A downstream error `response from /latest: ...` naming what is wrong.
pub(crate) fn parse_latest(response: &Response) -> Result<Latest, Error> {
    parse(response, "/latest")
}

fn parse<T: serde::de::DeserializeOwned>(response: &Response, endpoint: &str) -> Result<T, Error> {
    response
        .json()
        .map_err(|err| Error::downstream(format!("response from {endpoint}: {}", err.message())))
}

/// The frame of one `/query` answer: `time` and `value`, named after the metric.
pub(crate) fn series_frame(metric: &str, executed: &str, series: Series) -> Frame {
    let time: Vec<Time> = series
        .timestamps
        .iter()
        .map(|&ms| Time::from_millis(ms))
        .collect();
    Frame::new(metric)
        .with_meta(FrameMeta {
            frame_type: Some(FrameType::TimeseriesMulti),
            type_version: Some([0, 1]),
            executed_query_string: Some(executed.to_owned()),
            ..Default::default()
        })
        .with_field(Field::new("time", time))
        .with_field(
            value_field(series.values)
                .with_labels(series.labels)
                .with_config(value_config(
                    metric,
                    series.unit.filter(|unit| !unit.is_empty()),
                )),
        )
}

/// The stream's first frame: the schema, no rows.
pub(crate) fn stream_schema(metric: &str) -> Frame {
    Frame::new(metric)
        .with_field(Field::new("time", Vec::<Time>::new()))
        .with_field(Field::new("value", Vec::<f64>::new()).with_config(value_config(metric, None)))
}

/// One stream tick: the `/latest` answer as a one-row frame.
pub(crate) fn latest_frame(metric: &str, latest: Latest) -> Frame {
    Frame::new(metric)
        .with_field(Field::new(
            "time",
            vec![Time::from_millis(latest.timestamp)],
        ))
        .with_field(value_field(vec![latest.value]).with_config(value_config(metric, None)))
}

/// A float64 `value` field, nullable only when some value is null.
fn value_field(values: Vec<Option<f64>>) -> Field {
    if values.iter().all(Option::is_some) {
        Field::new("value", values.into_iter().flatten().collect::<Vec<f64>>())
    } else {
        Field::new("value", values)
    }
}

fn value_config(metric: &str, unit: Option<String>) -> FieldConfig {
    FieldConfig {
        display_name: Some(metric.to_owned()),
        unit,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use quarry_guest::{Column, ErrorKind};

    use super::*;

    fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            url: "http://api.local/x".into(),
        }
    }

    #[test]
    fn paths() {
        assert_eq!(
            query_path("cpu", 1, 2, None, None),
            "/query?metric=cpu&from=1&to=2"
        );
        assert_eq!(
            query_path(
                "cpu load/1m",
                -5,
                1_700_000_000_000,
                Some("avg"),
                Some("1m")
            ),
            "/query?metric=cpu%20load%2F1m&from=-5&to=1700000000000&aggregation=avg&interval=1m"
        );
        assert_eq!(
            query_path("m", 0, 0, None, Some("1000")),
            "/query?metric=m&from=0&to=0&interval=1000"
        );
        assert_eq!(latest_path("a&b=c"), "/latest?metric=a%26b%3Dc");
    }

    #[test]
    fn statuses() {
        let cases = [
            (200, "", None),
            (204, "", None),
            (
                401,
                "nope",
                Some((ErrorKind::Unauthorized, "API refused the credentials (401)")),
            ),
            (
                404,
                "no such metric\n",
                Some((
                    ErrorKind::NotFound,
                    "API answered 404 Not Found for /p: no such metric",
                )),
            ),
            (
                503,
                "  upstream\n\t down ",
                Some((
                    ErrorKind::Downstream,
                    "API answered 503 Service Unavailable for /p: upstream down",
                )),
            ),
            (
                500,
                "",
                Some((
                    ErrorKind::Downstream,
                    "API answered 500 Internal Server Error for /p",
                )),
            ),
            (
                400,
                r#"{"error":"bad from"}"#,
                Some((
                    ErrorKind::Downstream,
                    r#"API answered 400 Bad Request for /p: {"error":"bad from"}"#,
                )),
            ),
            (
                599,
                "x",
                Some((ErrorKind::Downstream, "API answered 599 for /p: x")),
            ),
            (
                302,
                "",
                Some((ErrorKind::Downstream, "API answered 302 Found for /p")),
            ),
        ];
        for (status, body, want) in cases {
            let got = check_status("/p", &response(status, body))
                .err()
                .map(|err| (err.kind(), err.message().to_owned()));
            assert_eq!(
                got,
                want.map(|(kind, message)| (kind, message.to_owned())),
                "{status}"
            );
        }
    }

    #[test]
    fn long_bodies_are_cut() {
        let body = "é".repeat(500);
        let err = check_status("/p", &response(502, &body)).unwrap_err();
        let quoted = err
            .message()
            .strip_prefix("API answered 502 Bad Gateway for /p: ")
            .unwrap();
        assert_eq!(quoted, format!("{}…", "é".repeat(EXCERPT_CHARS)));
    }

    #[test]
    fn series_parsing() {
        let series = parse_series(&response(
            200,
            r#"{"timestamps":[1000,2000],"values":[1.5,null],"labels":{"host":"a"},"unit":"percent","extra":1}"#,
        ))
        .unwrap();
        assert_eq!(
            series,
            Series {
                timestamps: vec![1000, 2000],
                values: vec![Some(1.5), None],
                labels: [("host".to_owned(), "a".to_owned())].into(),
                unit: Some("percent".into()),
            }
        );
        let bare = parse_series(&response(200, r#"{"timestamps":[],"values":[]}"#)).unwrap();
        assert_eq!((bare.labels.len(), &bare.unit), (0, &None));
        let frame = series_frame(
            "m",
            "/q",
            Series {
                unit: Some(String::new()),
                ..bare
            },
        );
        assert_eq!(frame.field("value").unwrap().config().unwrap().unit, None);
    }

    #[test]
    fn bad_series_name_what_is_wrong() {
        let cases = [
            (
                r#"{"timestamps":[1,2,3],"values":[1,2]}"#,
                "response from /query has 3 timestamps but 2 values",
            ),
            (
                r#"{"values":[1]}"#,
                "response from /query: unexpected response JSON: missing field `timestamps` at line 1 column 14",
            ),
            (
                r#"{"timestamps":[1]}"#,
                "response from /query: unexpected response JSON: missing field `values` at line 1 column 18",
            ),
            (
                r#"{"timestamps":["a"],"values":[1]}"#,
                "response from /query: unexpected response JSON: invalid type: string \"a\", expected i64 at line 1 column 18",
            ),
            (
                "<html>oops</html>",
                "response from /query: response is not valid JSON: expected value at line 1 column 1",
            ),
        ];
        for (body, message) in cases {
            let err = parse_series(&response(200, body)).unwrap_err();
            assert_eq!(
                (err.kind(), err.message()),
                (ErrorKind::Downstream, message),
                "{body}"
            );
        }
    }

    #[test]
    fn latest_parsing() {
        let latest = parse_latest(&response(200, r#"{"timestamp":5,"value":0.5}"#)).unwrap();
        assert_eq!(
            latest,
            Latest {
                timestamp: 5,
                value: Some(0.5)
            }
        );
        let err = parse_latest(&response(200, r#"{"value":1}"#)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Downstream);
        assert_eq!(
            err.message(),
            "response from /latest: unexpected response JSON: missing field `timestamp` at line 1 column 11"
        );
    }

    #[test]
    fn frames() {
        let series = Series {
            timestamps: vec![1000, 2000],
            values: vec![Some(1.5), Some(2.5)],
            labels: [("host".to_owned(), "a".to_owned())].into(),
            unit: Some("percent".into()),
        };
        let frame = series_frame("cpu", "/query?metric=cpu&from=1&to=2", series);
        assert_eq!(frame.name(), "cpu");
        let meta = frame.meta().unwrap();
        assert_eq!(meta.frame_type, Some(FrameType::TimeseriesMulti));
        assert_eq!(meta.type_version, Some([0, 1]));
        assert_eq!(
            meta.executed_query_string.as_deref(),
            Some("/query?metric=cpu&from=1&to=2")
        );
        assert_eq!(
            frame.field("time").unwrap().values(),
            &Column::Time(vec![1_000_000_000, 2_000_000_000])
        );
        let value = frame.field("value").unwrap();
        assert_eq!(value.values(), &Column::Float64(vec![1.5, 2.5]));
        assert!(!value.is_nullable());
        assert_eq!(value.labels().get("host").map(String::as_str), Some("a"));
        let config = value.config().unwrap();
        assert_eq!(config.display_name.as_deref(), Some("cpu"));
        assert_eq!(config.unit.as_deref(), Some("percent"));

        let gappy = series_frame(
            "m",
            "/q",
            Series {
                timestamps: vec![1, 2],
                values: vec![None, Some(1.0)],
                labels: BTreeMap::new(),
                unit: None,
            },
        );
        let value = gappy.field("value").unwrap();
        assert_eq!(value.validity(), Some(&[false, true][..]));
        assert_eq!(value.config().unwrap().unit, None);

        let schema = stream_schema("cpu");
        assert_eq!((schema.name(), schema.row_count()), ("cpu", Some(0)));
        let tick = latest_frame(
            "cpu",
            Latest {
                timestamp: 7,
                value: Some(0.25),
            },
        );
        assert_eq!(
            tick.field("time").unwrap().values(),
            &Column::Time(vec![7_000_000])
        );
        assert_eq!(
            tick.field("value").unwrap().values(),
            &Column::Float64(vec![0.25])
        );
    }
}
