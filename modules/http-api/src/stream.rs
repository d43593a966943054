//! Streaming channel paths: `latest/<name>` or `latest/<name>/<interval ms>` (`metric/` is
//! accepted in place of `latest/`, the prefix of earlier versions).

use std::time::Duration;

/// The tick interval when the path names none.
const DEFAULT_INTERVAL_MS: u64 = 1000;
/// Shorter intervals are raised to this.
const MIN_INTERVAL_MS: u64 = 100;

/// A parsed channel path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StreamPath {
    pub(crate) metric: String,
    pub(crate) interval: Duration,
}

impl StreamPath {
    /// Parses `latest/<name>[/<interval ms>]` (or `metric/…`); `None` for anything else. A name
    /// may contain `/` (`latest/disk/io`), but no empty segment; a last segment of digits is the
    /// interval.
    pub(crate) fn parse(path: &str) -> Option<Self> {
        let rest = path
            .strip_prefix("latest/")
            .or_else(|| path.strip_prefix("metric/"))?;
        let (metric, interval_ms) = match rest.rsplit_once('/') {
            Some((metric, digits))
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (metric, digits.parse::<u64>().ok()?.max(MIN_INTERVAL_MS))
            }
            _ => (rest, DEFAULT_INTERVAL_MS),
        };
        if metric.split('/').any(str::is_empty) {
            return None;
        }
        Some(Self {
            metric: metric.to_owned(),
            interval: Duration::from_millis(interval_ms),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let ms = Duration::from_millis;
        let cases = [
            ("latest/cpu", Some(("cpu", ms(1000)))),
            ("latest/cpu/250", Some(("cpu", ms(250)))),
            ("latest/disk/io", Some(("disk/io", ms(1000)))),
            ("latest/", None),
            ("latest", None),
            ("metric/cpu", Some(("cpu", ms(1000)))),
            ("metric/cpu/250", Some(("cpu", ms(250)))),
            ("metric/cpu/100", Some(("cpu", ms(100)))),
            ("metric/cpu/99", Some(("cpu", ms(100)))),
            ("metric/cpu/0", Some(("cpu", ms(100)))),
            ("metric/disk/io", Some(("disk/io", ms(1000)))),
            ("metric/disk/io/5000", Some(("disk/io", ms(5000)))),
            ("metric/42/1000", Some(("42", ms(1000)))),
            ("metric/cpu.total_1", Some(("cpu.total_1", ms(1000)))),
            ("metric/cpu/99999999999999999999999", None),
            ("metric/cpu/", None),
            ("metric//100", None),
            ("metric/", None),
            ("metric/a//b", None),
            ("metric", None),
            ("metrics/cpu", None),
            ("cpu", None),
            ("", None),
        ];
        for (path, want) in cases {
            let got = StreamPath::parse(path);
            let got = got.as_ref().map(|p| (p.metric.as_str(), p.interval));
            assert_eq!(got, want, "{path:?}");
        }
    }
}
