//! The module's descriptor, as `README.md` ("Descriptor") specifies it for every port.

use quarry_guest::{Descriptor, QueryField, Setting};
use serde_json::json;

/// The aggregations the API knows, in the order editors list them.
pub(crate) const AGGREGATIONS: [(&str, &str); 4] = [
    ("avg", "Average"),
    ("min", "Minimum"),
    ("max", "Maximum"),
    ("sum", "Sum"),
];

pub(crate) fn descriptor() -> Descriptor {
    Descriptor::new("Metrics from an in-house HTTP API (/query, /latest, /health)")
        .with_setting(
            Setting::string("endpoint")
                .title("Endpoint")
                .description("Base URL of the metrics API (http or https, no query string)")
                .placeholder("https://metrics.example.com/api")
                .required(),
        )
        .with_setting(
            Setting::number("timeout")
                .title("Timeout (s)")
                .description("Seconds each wait of a request may take: connect, first byte, between bytes")
                .default(10),
        )
        .with_setting(
            Setting::string("apiKey")
                .title("API key")
                .description("Sent by the host as Authorization: Bearer <key>; the module never sees it")
                .secret(),
        )
        .with_query_field(
            QueryField::string("metricName")
                .title("Metric")
                .description("The metric to query; required unless queryText is set")
                .placeholder("cpu")
                .main()
                .required(),
        )
        .with_query_field(
            QueryField::string("queryText")
                .title("Query text")
                .description("Used as the metric when metricName is empty")
                .multiline(),
        )
        .with_query_field(
            QueryField::enumeration("aggregation", AGGREGATIONS)
                .title("Aggregation")
                .description("How the API aggregates points within an interval; none when unset"),
        )
        .with_query_field(
            QueryField::string("interval")
                .title("Interval")
                .description("Passed to the API as interval= (e.g. 1m); a number is sent as written")
                .placeholder("1m"),
        )
        .with_default_query(json!({"metricName": ""}))
        .with_stream(
            "latest/{metric}",
            "The metric's newest value, polled from /latest every second (latest/{metric}/{intervalMs} for another interval, at least 100 ms)",
        )
}

#[cfg(test)]
mod tests {
    use quarry_guest::{Datasource, Kind};

    use super::*;
    use crate::HttpApi;

    #[test]
    fn descriptor_key_facts() {
        let d = HttpApi::describe();
        let keys: Vec<&str> = d.settings().iter().map(|s| s.key()).collect();
        assert_eq!(keys, ["endpoint", "timeout", "apiKey"]);
        let endpoint = d.setting("endpoint").unwrap();
        assert_eq!(
            (
                endpoint.kind(),
                endpoint.is_required(),
                endpoint.placeholder_text()
            ),
            (&Kind::String, true, Some("https://metrics.example.com/api"))
        );
        let timeout = d.setting("timeout").unwrap();
        assert_eq!(
            (timeout.kind(), timeout.default_value()),
            (&Kind::Number, Some(&json!(10)))
        );
        let api_key = d.setting("apiKey").unwrap();
        assert!(api_key.is_secret() && !api_key.is_required());
        // The secret setting is the one the module asks the host to attach.
        assert_eq!(HttpApi::secure_settings()[0].key, "apiKey");

        let keys: Vec<&str> = d.query_fields().iter().map(|q| q.key()).collect();
        assert_eq!(keys, ["metricName", "queryText", "aggregation", "interval"]);
        let metric = d.query_field("metricName").unwrap();
        assert!(metric.is_main() && metric.is_required() && !metric.is_multiline());
        assert!(d.query_field("queryText").unwrap().is_multiline());
        let aggregation = d.query_field("aggregation").unwrap();
        assert!(!aggregation.is_required());
        let Kind::Enum(options) = aggregation.kind() else {
            panic!("aggregation is not an enum");
        };
        let values: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(values, ["avg", "min", "max", "sum"]);
        assert_eq!(d.query_field("interval").unwrap().kind(), &Kind::String);
        assert_eq!(d.default_query(), Some(&json!({"metricName": ""})));
        assert_eq!(d.stream_paths(), ["latest/{metric}"]);
        assert!(crate::stream::StreamPath::parse("latest/cpu").is_some());
    }
}
