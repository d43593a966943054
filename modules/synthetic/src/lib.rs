//! Quarry's bundled example module: random walks, sine waves and every field type, without
//! network access. `README.md` beside this crate specifies its behaviour exactly; every value is
//! deterministic apart from the wall-clock time of stream ticks.
//!
//! - `scenario` parses the query model and builds `random_walk` and `sine` frames.
//! - `all_types` builds the `all_types` table.
//! - `generate` holds the pure computations: time axis, splitmix64, random walk, sine.
//! - `resource` answers `CallResource`, `stream` parses channel paths and builds ticks.

mod all_types;
mod describe;
mod generate;
mod resource;
mod scenario;
mod settings;
mod stream;

use std::cell::RefCell;
use std::collections::HashMap;

use quarry_guest::{
    DataQuery, Datasource, Descriptor, Error, Frame, Health, InstanceSettings, PublishResponse,
    ResourceRequest, ResourceResponse, SubscribeRequest, SubscribeResponse, Subscription, Time,
};

use crate::generate::{RandomWalk, sine};
use crate::scenario::{Model, SCENARIOS, Series};
use crate::settings::Settings;
use crate::stream::StreamPath;

/// One synthetic datasource instance.
#[derive(Debug)]
pub struct Synthetic {
    settings: InstanceSettings,
    config: Settings,
    /// Each `random_walk` stream path's walk, continued from tick to tick.
    walks: RefCell<HashMap<String, RandomWalk>>,
}

impl Datasource for Synthetic {
    fn describe() -> Descriptor {
        describe::descriptor()
    }

    fn new(settings: InstanceSettings) -> Result<Self, Error> {
        let config: Settings = settings.json_data()?;
        if config.fail_create {
            return Err(Error::bad_request(
                "instance creation failure requested by settings",
            ));
        }
        Ok(Self {
            settings,
            config,
            walks: RefCell::default(),
        })
    }

    fn query(&self, query: DataQuery) -> Result<Vec<Frame>, Error> {
        let model: Model = query.model()?;
        let prefix = &self.config.series_prefix;
        match model.scenario.as_str() {
            "random_walk" => scenario::series_frames(Series::RandomWalk, &model, &query, prefix),
            "sine" => scenario::series_frames(Series::Sine, &model, &query, prefix),
            "all_types" => Ok(vec![all_types::all_types_frame()]),
            "error" => Err(Error::bad_request("synthetic error requested")),
            other => Err(Error::bad_request(format!("unknown scenario \"{other}\""))),
        }
    }

    fn check_health(&self) -> Health {
        if self.config.health_fail {
            Health::error("health failure requested by settings")
        } else {
            Health::ok(format!(
                "synthetic module ready: {} scenarios",
                SCENARIOS.len()
            ))
        }
    }

    fn call_resource(&self, request: ResourceRequest) -> Result<ResourceResponse, Error> {
        resource::call(&self.settings, request)
    }

    fn subscribe_stream(&self, request: SubscribeRequest) -> Result<SubscribeResponse, Error> {
        Ok(match StreamPath::parse(&request.path) {
            Some(path) => SubscribeResponse::Ok(
                Subscription::every(path.interval).with_initial(path.schema()),
            ),
            None => SubscribeResponse::NotFound,
        })
    }

    fn stream_tick(&self, path: &str, _data: &str) -> Result<Vec<Frame>, Error> {
        let stream =
            StreamPath::parse(path).ok_or_else(|| Error::not_found(format!("no stream {path}")))?;
        // Whole milliseconds, so the time field and the sine formula agree exactly.
        let now = Time::from_millis(Time::now().as_millis());
        let value = match stream.series {
            Series::RandomWalk => self
                .walks
                .borrow_mut()
                .entry(path.to_owned())
                .or_insert_with(|| RandomWalk::new(0, 0, 0.0, 1.0))
                .next_value(),
            Series::Sine => sine(now.as_millis(), 0, 1.0, 60.0),
        };
        Ok(vec![stream.tick(now, value)])
    }

    fn publish_stream(&self, path: &str, data: &str) -> Result<PublishResponse, Error> {
        Ok(match path {
            "echo" => PublishResponse::Ok(Some(data.to_owned())),
            _ => PublishResponse::PermissionDenied,
        })
    }
}

quarry_guest::export!(Synthetic);

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use quarry_guest::{Column, ErrorKind, HealthStatus, TimeRange};

    use super::*;

    fn synthetic(json_data: &str) -> Synthetic {
        Synthetic::new(InstanceSettings {
            raw_json_data: json_data.into(),
            ..Default::default()
        })
        .unwrap()
    }

    fn query(json: &str) -> DataQuery {
        DataQuery {
            ref_id: "A".into(),
            time_range: TimeRange::from_millis(0, 10_000),
            json: json.into(),
            ..Default::default()
        }
    }

    fn subscribe(datasource: &Synthetic, path: &str) -> SubscribeResponse {
        datasource
            .subscribe_stream(SubscribeRequest {
                path: path.into(),
                data: String::new(),
            })
            .unwrap()
    }

    #[test]
    fn creation_settings() {
        assert_eq!(synthetic("").config, Settings::default());
        assert_eq!(
            synthetic(r#"{"module":"synthetic","seriesPrefix":"x","unknown":[1]}"#)
                .config
                .series_prefix,
            "x"
        );
        let err = Synthetic::new(InstanceSettings {
            raw_json_data: r#"{"failCreate":true}"#.into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        assert_eq!(
            err.to_string(),
            "instance creation failure requested by settings"
        );
        let err = Synthetic::new(InstanceSettings {
            raw_json_data: r#"{"healthFail":"yes"}"#.into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
    }

    #[test]
    fn health() {
        assert_eq!(
            synthetic("{}").check_health(),
            Health::ok("synthetic module ready: 4 scenarios")
        );
        let failing = synthetic(r#"{"healthFail":true}"#).check_health();
        assert_eq!(failing.status, HealthStatus::Error);
        assert_eq!(failing.message, "health failure requested by settings");
    }

    #[test]
    fn query_scenarios() {
        let ds = synthetic(r#"{"seriesPrefix":"p"}"#);
        let frames = ds.query(query("{}")).unwrap();
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].name(), "p-0");
        assert_eq!(frames[0].row_count(), Some(11));

        let frames = ds
            .query(query(r#"{"scenario":"sine","seriesCount":3}"#))
            .unwrap();
        let names: Vec<_> = frames.iter().map(Frame::name).collect();
        assert_eq!(names, ["p-0", "p-1", "p-2"]);

        let frames = ds.query(query(r#"{"scenario":"all_types"}"#)).unwrap();
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].name(), "all_types");
    }

    #[test]
    fn query_errors() {
        let ds = synthetic("{}");
        let err = ds.query(query(r#"{"scenario":"error"}"#)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        assert_eq!(err.to_string(), "synthetic error requested");

        let err = ds.query(query(r#"{"scenario":"nope"}"#)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        assert_eq!(err.to_string(), r#"unknown scenario "nope""#);

        let err = ds.query(query(r#"{"scenario":"#)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        assert!(err.to_string().contains("EOF while parsing"), "{err}");

        let err = ds.query(query(r#"{"seriesCount":"two"}"#)).unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");

        let err = ds.query(query(r#"{"seriesCount":-1}"#)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        assert_eq!(
            err.to_string(),
            "seriesCount must be between 1 and 100, not -1"
        );
    }

    #[test]
    fn streaming() {
        let ds = synthetic("{}");
        let SubscribeResponse::Ok(subscription) = subscribe(&ds, "random_walk/100") else {
            panic!("not accepted");
        };
        assert_eq!(subscription.interval, Duration::from_millis(100));
        let initial = subscription.initial.unwrap();
        assert_eq!(initial.name(), "random_walk");
        assert_eq!(initial.row_count(), Some(0));
        assert_eq!(subscribe(&ds, "nope"), SubscribeResponse::NotFound);

        // Each random_walk path continues its own seed-0 walk.
        let mut walk = RandomWalk::new(0, 0, 0.0, 1.0);
        let want: Vec<f64> = (0..3).map(|_| walk.next_value()).collect();
        let value = |path: &str| {
            let frames = ds.stream_tick(path, "").unwrap();
            assert_eq!(frames.len(), 1);
            assert_eq!(frames[0].row_count(), Some(1));
            let Column::Float64(values) = frames[0].field("value").unwrap().values().clone() else {
                panic!("not float64");
            };
            values[0]
        };
        let a: Vec<f64> = (0..3).map(|_| value("random_walk/100")).collect();
        let b = value("random_walk");
        assert_eq!(a, want);
        assert_eq!(b, want[0]);

        // Sine ticks follow their own time.
        let frames = ds.stream_tick("sine", "").unwrap();
        let Column::Time(times) = frames[0].field("time").unwrap().values().clone() else {
            panic!("not time");
        };
        let t_ms = times[0] / 1_000_000;
        assert_eq!(times[0] % 1_000_000, 0);
        assert_eq!(
            frames[0].field("value").unwrap().values(),
            &Column::Float64(vec![sine(t_ms, 0, 1.0, 60.0)])
        );

        let err = ds.stream_tick("nope", "").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn publish() {
        let ds = synthetic("{}");
        assert_eq!(
            ds.publish_stream("echo", r#"{"a":1}"#).unwrap(),
            PublishResponse::Ok(Some(r#"{"a":1}"#.into()))
        );
        assert_eq!(
            ds.publish_stream("sine", "{}").unwrap(),
            PublishResponse::PermissionDenied
        );
    }
}
