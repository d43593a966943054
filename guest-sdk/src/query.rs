//! [`DataQuery`] and [`TimeRange`]: one query of a QueryData request, with typed model parsing.

use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;

use crate::settings::parse_object;
use crate::{Context, Error, Time};

/// One query of a QueryData request, as [`Datasource::query`](crate::Datasource::query) receives it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataQuery {
    /// The query's id within the panel (`A`, `B`, ...).
    pub ref_id: String,
    /// Grafana's optional query type.
    pub query_type: String,
    /// The dashboard's time range.
    pub time_range: TimeRange,
    /// The suggested distance between points in milliseconds (0 when Grafana sent none).
    pub interval_ms: i64,
    /// The most points the panel can show (0 when Grafana sent no limit).
    pub max_data_points: i64,
    /// The panel's query model as JSON text; see [`model`](Self::model).
    pub json: String,
}

impl DataQuery {
    /// Parses the query model (the panel's query JSON) into the module's own type. Empty text
    /// parses as `{}`. Grafana's own keys (`refId`, `datasource`, ...) are in the JSON too, so
    /// don't use `deny_unknown_fields`.
    ///
    /// ```
    /// use quarry_guest::DataQuery;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Model {
    ///     metric: String,
    /// }
    ///
    /// let query = DataQuery {
    ///     json: r#"{"refId": "A", "metric": "cpu"}"#.into(),
    ///     ..Default::default()
    /// };
    /// assert_eq!(query.model::<Model>()?.metric, "cpu");
    /// # Ok::<(), quarry_guest::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A bad-request error naming serde's complaint when the JSON does not fit `T`.
    pub fn model<T: DeserializeOwned>(&self) -> Result<T, Error> {
        parse_object(&self.json).context("invalid query model")
    }

    /// The suggested distance between points, if Grafana sent one.
    pub fn interval(&self) -> Option<Duration> {
        u64::try_from(self.interval_ms)
            .ok()
            .filter(|&ms| ms > 0)
            .map(Duration::from_millis)
    }

    /// The most points the panel can show, if Grafana sent a limit.
    pub fn max_data_points(&self) -> Option<u64> {
        u64::try_from(self.max_data_points).ok().filter(|&n| n > 0)
    }
}

/// A closed time interval, both ends in nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TimeRange {
    /// The start, nanoseconds since the Unix epoch.
    pub from_ns: i64,
    /// The end, nanoseconds since the Unix epoch.
    pub to_ns: i64,
}

impl TimeRange {
    /// A range between two instants given in milliseconds since the Unix epoch.
    pub fn from_millis(from_ms: i64, to_ms: i64) -> Self {
        Self {
            from_ns: crate::frame::scale(from_ms, 1_000_000),
            to_ns: crate::frame::scale(to_ms, 1_000_000),
        }
    }

    /// The start in milliseconds since the Unix epoch (rounded towards negative infinity).
    pub fn from_ms(&self) -> i64 {
        self.from_ns.div_euclid(1_000_000)
    }

    /// The end in milliseconds since the Unix epoch (rounded towards negative infinity).
    pub fn to_ms(&self) -> i64 {
        self.to_ns.div_euclid(1_000_000)
    }

    /// The start as a [`Time`].
    pub fn from(&self) -> Time {
        Time::from_nanos(self.from_ns)
    }

    /// The end as a [`Time`].
    pub fn to(&self) -> Time {
        Time::from_nanos(self.to_ns)
    }

    /// The start as a [`SystemTime`].
    pub fn from_system_time(&self) -> SystemTime {
        self.from().to_system_time()
    }

    /// The end as a [`SystemTime`].
    pub fn to_system_time(&self) -> SystemTime {
        self.to().to_system_time()
    }

    /// How long the range is (zero when `to` is before `from`).
    pub fn duration(&self) -> Duration {
        u64::try_from(self.to_ns.saturating_sub(self.from_ns))
            .map(Duration::from_nanos)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Model {
        #[serde(default)]
        series_count: u32,
    }

    fn query(json: &str) -> DataQuery {
        DataQuery {
            json: json.into(),
            ..Default::default()
        }
    }

    #[test]
    fn model_parses_and_ignores_grafana_keys() {
        let model: Model = query(r#"{"refId":"A","datasource":{"uid":"x"},"seriesCount":3}"#)
            .model()
            .unwrap();
        assert_eq!(model.series_count, 3);
        assert_eq!(query("").model::<Model>().unwrap().series_count, 0);
    }

    #[test]
    fn malformed_model_is_a_bad_request_naming_the_cause() {
        let err = query(r#"{"seriesCount":"x"}"#)
            .model::<Model>()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        assert!(
            err.to_string()
                .starts_with("invalid query model: invalid type: string \"x\", expected u32"),
            "{err}"
        );
    }

    #[test]
    fn interval_and_max_data_points() {
        let mut q = query("{}");
        assert_eq!(q.interval(), None);
        assert_eq!(q.max_data_points(), None);
        q.interval_ms = 250;
        q.max_data_points = 100;
        assert_eq!(q.interval(), Some(Duration::from_millis(250)));
        assert_eq!(q.max_data_points(), Some(100));
        q.interval_ms = -1;
        assert_eq!(q.interval(), None);
    }

    #[test]
    fn time_range_helpers() {
        let range = TimeRange::from_millis(1_000, 61_000);
        assert_eq!(range.from_ns, 1_000_000_000);
        assert_eq!((range.from_ms(), range.to_ms()), (1_000, 61_000));
        assert_eq!(range.duration(), Duration::from_secs(60));
        assert_eq!(
            range.from_system_time(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(1)
        );
        let negative = TimeRange {
            from_ns: -1,
            to_ns: -2,
        };
        assert_eq!(negative.from_ms(), -1);
        assert_eq!(negative.duration(), Duration::ZERO);
    }
}
