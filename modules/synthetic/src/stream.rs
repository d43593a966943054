//! Streaming: channel paths `random_walk[/<ms>]` and `sine[/<ms>]`, and their one-row ticks.

use std::time::Duration;

use quarry_guest::{Field, Frame, Time};

use crate::scenario::Series;

/// The tick interval when the path names none.
const DEFAULT_INTERVAL_MS: u64 = 1000;
/// Shorter intervals are raised to this.
const MIN_INTERVAL_MS: u64 = 10;

/// A parsed channel path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StreamPath {
    pub(crate) series: Series,
    pub(crate) interval: Duration,
}

impl StreamPath {
    /// Parses `random_walk`, `sine`, optionally followed by `/<interval ms>`; `None` for anything
    /// else.
    pub(crate) fn parse(path: &str) -> Option<Self> {
        let (scenario, interval) = match path.split_once('/') {
            Some((scenario, interval)) => (scenario, Some(interval)),
            None => (path, None),
        };
        let series = match scenario {
            "random_walk" => Series::RandomWalk,
            "sine" => Series::Sine,
            _ => return None,
        };
        let interval_ms = match interval {
            None => DEFAULT_INTERVAL_MS,
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                digits.parse::<u64>().ok()?.max(MIN_INTERVAL_MS)
            }
            Some(_) => return None,
        };
        Some(Self {
            series,
            interval: Duration::from_millis(interval_ms),
        })
    }

    /// The scenario's name, which is also the stream's frame name.
    pub(crate) fn name(self) -> &'static str {
        match self.series {
            Series::RandomWalk => "random_walk",
            Series::Sine => "sine",
        }
    }

    /// The stream's schema: `time` and `value` with no rows.
    pub(crate) fn schema(self) -> Frame {
        Frame::new(self.name())
            .with_field(Field::new("time", Vec::<Time>::new()))
            .with_field(Field::new("value", Vec::<f64>::new()))
    }

    /// One tick's frame: a single row.
    pub(crate) fn tick(self, time: Time, value: f64) -> Frame {
        Frame::new(self.name())
            .with_field(Field::new("time", vec![time]))
            .with_field(Field::new("value", vec![value]))
    }
}

#[cfg(test)]
mod tests {
    use quarry_guest::Column;

    use super::*;

    #[test]
    fn paths() {
        let ms = Duration::from_millis;
        let cases = [
            ("random_walk", Some((Series::RandomWalk, ms(1000)))),
            ("sine", Some((Series::Sine, ms(1000)))),
            ("random_walk/100", Some((Series::RandomWalk, ms(100)))),
            ("sine/10", Some((Series::Sine, ms(10)))),
            ("sine/9", Some((Series::Sine, ms(10)))),
            ("sine/0", Some((Series::Sine, ms(10)))),
            ("sine/", None),
            ("sine/abc", None),
            ("sine/-5", None),
            ("sine/+5", None),
            ("sine/100/x", None),
            ("sine/99999999999999999999999", None),
            ("all_types", None),
            ("echo", None),
            ("", None),
            ("Sine", None),
        ];
        for (path, want) in cases {
            let got = StreamPath::parse(path).map(|p| (p.series, p.interval));
            assert_eq!(got, want, "{path:?}");
        }
    }

    #[test]
    fn schema_and_tick_frames() {
        let path = StreamPath::parse("sine/50").unwrap();
        let schema = path.schema();
        assert_eq!(schema.name(), "sine");
        assert_eq!(schema.row_count(), Some(0));
        assert_eq!(
            schema.field("time").unwrap().values(),
            &Column::Time(vec![])
        );

        let tick = path.tick(Time::from_millis(5), 0.25);
        assert_eq!(tick.name(), "sine");
        assert_eq!(
            tick.field("time").unwrap().values(),
            &Column::Time(vec![5_000_000])
        );
        assert_eq!(
            tick.field("value").unwrap().values(),
            &Column::Float64(vec![0.25])
        );
    }
}
