//! The query model and the `random_walk` and `sine` scenarios.

use std::collections::BTreeMap;

use quarry_guest::{DataQuery, Error, Field, FieldConfig, Frame, FrameMeta, FrameType, Time};
use serde::Deserialize;

use crate::generate::{RandomWalk, TimeAxis, sine};

/// The most series one query may ask for: the host's default limit of frames per response.
pub(crate) const MAX_SERIES: i64 = 100;
/// The most points one series may have: the host's default limit of rows per frame.
pub(crate) const MAX_POINTS: i64 = 1_000_000;

/// Every scenario, in the order `GET scenarios` lists them.
pub(crate) const SCENARIOS: [&str; 4] = ["random_walk", "sine", "all_types", "error"];

/// The panel's query model.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Model {
    pub(crate) scenario: String,
    pub(crate) series_count: i64,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) seed: u64,
    pub(crate) start_value: f64,
    pub(crate) spread: f64,
    pub(crate) amplitude: f64,
    pub(crate) period_seconds: f64,
    pub(crate) points: Option<i64>,
}

impl Default for Model {
    fn default() -> Self {
        Self {
            scenario: "random_walk".into(),
            series_count: 1,
            labels: BTreeMap::new(),
            seed: 0,
            start_value: 0.0,
            spread: 1.0,
            amplitude: 1.0,
            period_seconds: 60.0,
            points: None,
        }
    }
}

/// How a series' values are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Series {
    RandomWalk,
    Sine,
}

impl Model {
    /// Checks the numeric inputs of a `random_walk` or `sine` query.
    ///
    /// # Errors
    ///
    /// A bad-request error naming the field, the allowed range and the value sent.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if !(1..=MAX_SERIES).contains(&self.series_count) {
            return Err(Error::bad_request(format!(
                "seriesCount must be between 1 and {MAX_SERIES}, not {}",
                self.series_count
            )));
        }
        if let Some(points) = self.points
            && !(1..=MAX_POINTS).contains(&points)
        {
            return Err(Error::bad_request(format!(
                "points must be between 1 and {MAX_POINTS}, not {points}"
            )));
        }
        // NaN is refused too (JSON cannot carry one, but the check does not rely on that).
        if self.period_seconds.is_nan() || self.period_seconds <= 0.0 {
            return Err(Error::bad_request(format!(
                "periodSeconds must be greater than 0, not {}",
                self.period_seconds
            )));
        }
        Ok(())
    }
}

/// The frames of a `random_walk` or `sine` query: one per series.
///
/// # Errors
///
/// A bad-request error when a numeric input is out of range ([`Model::check`]), or when the
/// time range, interval and point budget give more than [`MAX_POINTS`] points.
pub(crate) fn series_frames(
    kind: Series,
    model: &Model,
    query: &DataQuery,
    series_prefix: &str,
) -> Result<Vec<Frame>, Error> {
    model.check()?;
    let axis = TimeAxis::new(
        query.time_range.from_ms(),
        query.time_range.to_ms(),
        query.interval_ms,
        query.max_data_points,
        model.points,
    );
    if axis.len > MAX_POINTS as usize {
        return Err(Error::bad_request(format!(
            "the time range holds {} points {} ms apart, more than {MAX_POINTS}: raise intervalMs, \
             set maxDataPoints or set points",
            axis.len, axis.step_ms
        )));
    }
    let times_ms: Vec<i64> = axis.times_ms().collect();
    let series_count = u64::try_from(model.series_count).unwrap_or(0);
    Ok((0..series_count)
        .map(|i| {
            let values = match kind {
                Series::RandomWalk => {
                    RandomWalk::new(model.seed, i, model.start_value, model.spread)
                        .take(times_ms.len())
                }
                Series::Sine => times_ms
                    .iter()
                    .map(|&t| sine(t, i, model.amplitude, model.period_seconds))
                    .collect(),
            };
            series_frame(
                &format!("{series_prefix}-{i}"),
                i,
                &model.labels,
                &times_ms,
                values,
            )
        })
        .collect())
}

fn series_frame(
    name: &str,
    series: u64,
    labels: &BTreeMap<String, String>,
    times_ms: &[i64],
    values: Vec<f64>,
) -> Frame {
    let times: Vec<Time> = times_ms.iter().map(|&t| Time::from_millis(t)).collect();
    Frame::new(name)
        .with_meta(FrameMeta {
            frame_type: Some(FrameType::TimeseriesMulti),
            type_version: Some([0, 1]),
            ..Default::default()
        })
        .with_field(Field::new("time", times))
        .with_field(
            Field::new("value", values)
                .with_label("series", series.to_string())
                .with_labels(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .with_config(FieldConfig {
                    display_name: Some(name.to_owned()),
                    ..Default::default()
                }),
        )
}

#[cfg(test)]
mod tests {
    use quarry_guest::{Column, TimeRange};
    use serde_json::json;

    use super::*;

    fn query(from_ms: i64, to_ms: i64, interval_ms: i64) -> DataQuery {
        DataQuery {
            time_range: TimeRange::from_millis(from_ms, to_ms),
            interval_ms,
            ..Default::default()
        }
    }

    #[test]
    fn model_defaults_and_camel_case() {
        let model: Model = serde_json::from_value(json!({})).unwrap();
        assert_eq!(model, Model::default());
        let model: Model = serde_json::from_value(json!({
            "refId": "A",
            "scenario": "sine",
            "seriesCount": 3,
            "labels": {"a": "b"},
            "seed": 9,
            "startValue": 1.5,
            "spread": 2,
            "amplitude": 3,
            "periodSeconds": 10,
            "points": 7,
        }))
        .unwrap();
        assert_eq!(model.scenario, "sine");
        assert_eq!(model.series_count, 3);
        assert_eq!(model.labels["a"], "b");
        assert_eq!(model.seed, 9);
        assert_eq!(
            (
                model.start_value,
                model.spread,
                model.amplitude,
                model.period_seconds
            ),
            (1.5, 2.0, 3.0, 10.0)
        );
        assert_eq!(model.points, Some(7));
    }

    #[test]
    fn series_frames_shape() {
        let model = Model {
            series_count: 2,
            labels: [("env".to_owned(), "test".to_owned())].into(),
            ..Default::default()
        };
        let frames = series_frames(Series::RandomWalk, &model, &query(0, 2_000, 0), "s").unwrap();
        assert_eq!(frames.len(), 2);
        let frame = &frames[1];
        assert_eq!(frame.name(), "s-1");
        assert_eq!(
            serde_json::to_value(frame.meta().unwrap()).unwrap(),
            json!({"type": "timeseries-multi", "typeVersion": [0, 1]})
        );
        let names: Vec<_> = frame.fields().iter().map(Field::name).collect();
        assert_eq!(names, ["time", "value"]);
        let time = frame.field("time").unwrap();
        assert_eq!(
            time.values(),
            &Column::Time(vec![0, 1_000_000_000, 2_000_000_000])
        );
        assert!(time.labels().is_empty());
        let value = frame.field("value").unwrap();
        assert_eq!(value.len(), 3);
        let labels: Vec<_> = value.labels().iter().collect();
        assert_eq!(
            labels,
            [
                (&"env".to_owned(), &"test".to_owned()),
                (&"series".to_owned(), &"1".to_owned())
            ]
        );
        assert_eq!(
            serde_json::to_value(value.config().unwrap()).unwrap(),
            json!({"displayName": "s-1"})
        );
    }

    #[test]
    fn random_walk_values() {
        let model = Model {
            seed: 3,
            start_value: 5.0,
            spread: 0.5,
            series_count: 2,
            ..Default::default()
        };
        let frames = series_frames(Series::RandomWalk, &model, &query(0, 3_000, 0), "s").unwrap();
        for (i, frame) in frames.iter().enumerate() {
            let want = RandomWalk::new(3, i as u64, 5.0, 0.5).take(4);
            assert_eq!(
                frame.field("value").unwrap().values(),
                &Column::Float64(want)
            );
        }
    }

    #[test]
    fn sine_values_follow_time() {
        let model = Model {
            amplitude: 2.0,
            period_seconds: 4.0,
            series_count: 1,
            ..Default::default()
        };
        let frames = series_frames(Series::Sine, &model, &query(0, 3_000, 0), "s").unwrap();
        let Column::Float64(values) = frames[0].field("value").unwrap().values() else {
            panic!("not float64");
        };
        let want = [0.0, 2.0, 0.0, -2.0];
        for (got, want) in values.iter().zip(want) {
            assert!((got - want).abs() < 1e-12, "{values:?}");
        }
    }

    #[test]
    fn points_and_series_count_edge_cases() {
        let forced = Model {
            points: Some(2),
            ..Default::default()
        };
        let frames = series_frames(Series::Sine, &forced, &query(0, 60_000, 0), "s").unwrap();
        assert_eq!(frames[0].row_count(), Some(2));

        let hundred = Model {
            series_count: 100,
            points: Some(1),
            ..Default::default()
        };
        let frames = series_frames(Series::Sine, &hundred, &query(0, 1, 0), "s").unwrap();
        assert_eq!(frames.len(), 100);
    }

    #[test]
    fn out_of_range_inputs_are_bad_requests_naming_the_field() {
        let cases = [
            (
                json!({"seriesCount": -1}),
                "seriesCount must be between 1 and 100, not -1",
            ),
            (
                json!({"seriesCount": 0}),
                "seriesCount must be between 1 and 100, not 0",
            ),
            (
                json!({"seriesCount": 101}),
                "seriesCount must be between 1 and 100, not 101",
            ),
            (
                json!({"points": -5}),
                "points must be between 1 and 1000000, not -5",
            ),
            (
                json!({"points": 0}),
                "points must be between 1 and 1000000, not 0",
            ),
            (
                json!({"points": 1_000_001}),
                "points must be between 1 and 1000000, not 1000001",
            ),
            (
                json!({"periodSeconds": 0}),
                "periodSeconds must be greater than 0, not 0",
            ),
            (
                json!({"periodSeconds": -2.5}),
                "periodSeconds must be greater than 0, not -2.5",
            ),
        ];
        for (model, message) in cases {
            let model: Model = serde_json::from_value(model).unwrap();
            for kind in [Series::RandomWalk, Series::Sine] {
                let err = series_frames(kind, &model, &query(0, 10_000, 0), "s").unwrap_err();
                assert_eq!(err.kind(), quarry_guest::ErrorKind::BadRequest);
                assert_eq!(err.message(), message);
            }
        }
        // One millisecond apart over a day, with no point budget: 86,400,001 points.
        let err = series_frames(
            Series::Sine,
            &Model::default(),
            &query(0, 86_400_000, 1),
            "s",
        )
        .unwrap_err();
        assert_eq!(
            err.message(),
            "the time range holds 86400001 points 1 ms apart, more than 1000000: raise \
             intervalMs, set maxDataPoints or set points"
        );
    }
}
