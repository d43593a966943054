//! Quarry example module: wraps an in-house metrics API over `wasi:http`. `README.md` beside this
//! crate specifies its behaviour exactly.
//!
//! The API key is declared with [`SecretGrant::bearer_token`]: the host sends
//! `Authorization: Bearer <apiKey>` on every request to the datasource's allowed hosts, and the
//! module never sees the key.
//!
//! - `settings` validates `jsonData` (`endpoint`, `timeout`).
//! - `api` holds the pure logic: request paths, status checks, response parsing, frames.
//! - `stream` parses the streaming channel paths.
//!
//! Only this file talks to the network, through [`quarry_guest::http`].

mod api;
mod describe;
mod settings;
mod stream;

use quarry_guest::http::{self, HttpError, Response};
use quarry_guest::{
    DataQuery, Datasource, Descriptor, Error, Frame, Health, InstanceSettings, ResourceRequest,
    ResourceResponse, SecretGrant, SubscribeRequest, SubscribeResponse, Subscription,
};
use serde::Deserialize;

use crate::settings::{Config, Scalar};
use crate::stream::StreamPath;

/// The query model (`DataQuery.json`, camelCase; Grafana's own keys are ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Model {
    metric_name: Option<String>,
    query_text: Option<String>,
    aggregation: Option<String>,
    interval: Option<Scalar>,
}

impl Model {
    /// `metricName`, else `queryText`.
    fn metric(&self) -> Result<&str, Error> {
        [&self.metric_name, &self.query_text]
            .into_iter()
            .find_map(|text| non_blank(text.as_deref()))
            .ok_or_else(|| {
                Error::bad_request("the query names no metric: set metricName (or queryText)")
            })
    }

    /// `aggregation` when set, one of the descriptor's values.
    fn aggregation(&self) -> Result<Option<&str>, Error> {
        let Some(aggregation) = non_blank(self.aggregation.as_deref()) else {
            return Ok(None);
        };
        if describe::AGGREGATIONS
            .iter()
            .any(|(value, _)| *value == aggregation)
        {
            return Ok(Some(aggregation));
        }
        let allowed: Vec<&str> = describe::AGGREGATIONS
            .iter()
            .map(|(value, _)| *value)
            .collect();
        Err(Error::bad_request(format!(
            "aggregation must be one of {}, not {aggregation:?}",
            allowed.join(", ")
        )))
    }
}

fn non_blank(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|text| !text.is_empty())
}

/// One datasource instance: the API's endpoint and timeout.
#[derive(Debug)]
pub struct HttpApi {
    config: Config,
}

impl HttpApi {
    /// `GET {endpoint}{path}`, whatever the status.
    fn get(&self, path: &str) -> Result<Response, HttpError> {
        http::Request::get(format!("{}{path}", self.config.endpoint))
            .header("Accept", "application/json")
            .timeout(self.config.timeout)
            .send()
    }

    /// `GET {endpoint}{path}`, answered with a 2xx.
    fn fetch(&self, path: &str) -> Result<Response, Error> {
        let response = self.get(path)?;
        api::check_status(path, &response)?;
        Ok(response)
    }
}

impl Datasource for HttpApi {
    fn describe() -> Descriptor {
        describe::descriptor()
    }

    fn secure_settings() -> Vec<SecretGrant> {
        vec![SecretGrant::bearer_token("apiKey")]
    }

    fn new(settings: InstanceSettings) -> Result<Self, Error> {
        Ok(Self {
            config: Config::from_settings(&settings)?,
        })
    }

    fn query(&self, query: DataQuery) -> Result<Vec<Frame>, Error> {
        let model: Model = query.model()?;
        let metric = model.metric()?;
        let interval = model.interval.as_ref().and_then(Scalar::to_text);
        let path = api::query_path(
            metric,
            query.time_range.from_ms(),
            query.time_range.to_ms(),
            model.aggregation()?,
            interval.as_deref(),
        );
        let response = self.fetch(&path)?;
        let series = api::parse_series(&response)?;
        Ok(vec![api::series_frame(metric, &path, series)])
    }

    fn check_health(&self) -> Health {
        let checked = self
            .get(api::HEALTH_PATH)
            .map_err(Error::from)
            .and_then(|response| api::check_status(api::HEALTH_PATH, &response));
        match checked {
            Ok(()) => Health::ok(format!("API reachable at {}", self.config.endpoint)),
            Err(err) => Health::error(err.message()),
        }
    }

    fn call_resource(&self, request: ResourceRequest) -> Result<ResourceResponse, Error> {
        ResourceResponse::json(
            404,
            &serde_json::json!({"error": format!("no resource {}", request.path)}),
        )
    }

    fn subscribe_stream(&self, request: SubscribeRequest) -> Result<SubscribeResponse, Error> {
        Ok(match StreamPath::parse(&request.path) {
            Some(path) => SubscribeResponse::Ok(
                Subscription::every(path.interval).with_initial(api::stream_schema(&path.metric)),
            ),
            None => SubscribeResponse::NotFound,
        })
    }

    fn stream_tick(&self, path: &str, _data: &str) -> Result<Vec<Frame>, Error> {
        let stream =
            StreamPath::parse(path).ok_or_else(|| Error::not_found(format!("no stream {path}")))?;
        let response = self.fetch(&api::latest_path(&stream.metric))?;
        let latest = api::parse_latest(&response)?;
        Ok(vec![api::latest_frame(&stream.metric, latest)])
    }
}

quarry_guest::export!(HttpApi);

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use quarry_guest::http::testing;
    use quarry_guest::{ErrorKind, HealthStatus, PublishResponse, SecretUse, TimeRange};

    use super::*;

    fn http_api() -> HttpApi {
        HttpApi::new(InstanceSettings {
            raw_json_data: r#"{"endpoint":"http://api.local:8080/"}"#.into(),
            ..Default::default()
        })
        .unwrap()
    }

    fn query(json: &str) -> DataQuery {
        DataQuery {
            ref_id: "A".into(),
            time_range: TimeRange::from_millis(1, 2),
            json: json.into(),
            ..Default::default()
        }
    }

    fn subscribe(path: &str) -> SubscribeResponse {
        http_api()
            .subscribe_stream(SubscribeRequest {
                path: path.into(),
                data: String::new(),
            })
            .unwrap()
    }

    #[test]
    fn declares_only_the_api_key_as_a_bearer_token() {
        let grants = HttpApi::secure_settings();
        assert_eq!(grants, [SecretGrant::bearer_token("apiKey")]);
        assert_eq!(grants[0].usage, SecretUse::BearerToken);
    }

    #[test]
    fn creation_needs_an_endpoint() {
        assert_eq!(http_api().config.endpoint, "http://api.local:8080");
        assert_eq!(http_api().config.timeout, Duration::from_secs(10));
        let err = HttpApi::new(InstanceSettings::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        assert!(
            err.message().starts_with("jsonData.endpoint is required"),
            "{err}"
        );
    }

    #[test]
    fn metric_names() {
        let metric = |json: &str| {
            serde_json::from_str::<Model>(json)
                .unwrap()
                .metric()
                .map(str::to_owned)
        };
        assert_eq!(metric(r#"{"metricName":"cpu"}"#).unwrap(), "cpu");
        assert_eq!(metric(r#"{"queryText":" mem "}"#).unwrap(), "mem");
        assert_eq!(
            metric(r#"{"metricName":"cpu","queryText":"mem"}"#).unwrap(),
            "cpu"
        );
        assert_eq!(
            metric(r#"{"metricName":"","queryText":"mem"}"#).unwrap(),
            "mem"
        );
        for json in ["{}", r#"{"metricName":"  ","queryText":""}"#] {
            let err = metric(json).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BadRequest);
            assert_eq!(
                err.message(),
                "the query names no metric: set metricName (or queryText)"
            );
        }
    }

    #[test]
    fn query_errors_before_and_at_the_network() {
        let ds = http_api();
        let err = ds.query(query(r#"{"refId":"A"}"#)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        let err = ds.query(query(r#"{"metricName":5}"#)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        let err = ds
            .query(query(r#"{"metricName":"cpu","aggregation":"median"}"#))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        assert_eq!(
            err.message(),
            r#"aggregation must be one of avg, min, max, sum, not "median""#
        );
        // Natively there is no host to send the request (without a fake transport).
        let err = ds.query(query(r#"{"metricName":"cpu"}"#)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Internal);
        assert!(
            err.message()
                .starts_with("HTTP is only available inside the Quarry host"),
            "{err}"
        );
    }

    #[test]
    fn query_through_a_fake_api() {
        let _api = testing::fake_transport(|request| {
            assert_eq!(request.header("accept"), Some("application/json"));
            assert_eq!(
                request.url,
                "http://api.local:8080/query?metric=cpu&from=1&to=2&aggregation=max&interval=60"
            );
            Ok(Response::from_json(
                200,
                &serde_json::json!({"timestamps": [1000, 2000], "values": [0.5, null], "unit": "percent"}),
            ))
        });
        let frames = http_api()
            .query(query(
                r#"{"metricName":"cpu","aggregation":"max","interval":60}"#,
            ))
            .unwrap();
        assert_eq!(frames.len(), 1);
        frames[0].validate().unwrap();
        let value = frames[0].field("value").unwrap();
        assert_eq!(value.validity(), Some(&[true, false][..]));
        assert_eq!(testing::requests_sent(), 1);
    }

    #[test]
    fn health_reports_what_failed() {
        let _down = testing::fake_transport(|_| {
            Err(HttpError::ConnectionRefused {
                authority: "api.local:8080".into(),
            })
        });
        let health = http_api().check_health();
        assert_eq!(health.status, HealthStatus::Error);
        assert_eq!(health.message, "connection refused by api.local:8080");

        let _up = testing::fake_transport(|request| {
            assert_eq!(request.path(), "/health");
            Ok(Response::new(204, ""))
        });
        assert_eq!(
            http_api().check_health(),
            quarry_guest::Health::ok("API reachable at http://api.local:8080")
        );

        let _unauthorized = testing::fake_transport(|_| Ok(Response::new(401, "no")));
        assert_eq!(
            http_api().check_health().message,
            "API refused the credentials (401)"
        );
    }

    #[test]
    fn streaming() {
        let SubscribeResponse::Ok(subscription) = subscribe("latest/cpu/250") else {
            panic!("not accepted");
        };
        assert_eq!(subscription.interval, Duration::from_millis(250));
        let initial = subscription.initial.unwrap();
        assert_eq!((initial.name(), initial.row_count()), ("cpu", Some(0)));
        assert_eq!(subscribe("random_walk"), SubscribeResponse::NotFound);

        let err = http_api().stream_tick("nope", "").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = http_api().stream_tick("metric/cpu", "").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Internal);
    }

    #[test]
    fn publish_and_resources() {
        let ds = http_api();
        assert_eq!(
            ds.publish_stream("metric/cpu", "{}").unwrap(),
            PublishResponse::PermissionDenied
        );
        let response = ds
            .call_resource(ResourceRequest::new("GET", "metrics"))
            .unwrap();
        assert_eq!(response.status, 404);
        assert_eq!(response.body, br#"{"error":"no resource metrics"}"#);
    }
}
