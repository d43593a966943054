//! Reading the instants APIs send: RFC 3339 text and epoch numbers in seconds, milliseconds,
//! microseconds or nanoseconds, into a [`Time`]; and writing a [`Time`] back as RFC 3339.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Time};

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// The unit of an epoch timestamp, for [`Time::from_epoch`] and [`Time::parse_epoch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EpochUnit {
    /// Seconds since the Unix epoch (Unix time, Prometheus).
    Seconds,
    /// Milliseconds (JavaScript, Grafana's time ranges).
    Millis,
    /// Microseconds.
    Micros,
    /// Nanoseconds (InfluxDB, Grafana's `time` fields).
    Nanos,
}

impl EpochUnit {
    const fn nanos(self) -> i64 {
        match self {
            Self::Seconds => NANOS_PER_SEC,
            Self::Millis => 1_000_000,
            Self::Micros => 1_000,
            Self::Nanos => 1,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Self::Seconds => "seconds",
            Self::Millis => "milliseconds",
            Self::Micros => "microseconds",
            Self::Nanos => "nanoseconds",
        }
    }
}

impl Time {
    /// `micros` microseconds since the Unix epoch (saturating outside about ±292 years).
    pub const fn from_micros(micros: i64) -> Self {
        Self(crate::frame::scale(micros, 1_000))
    }

    /// `value` in `unit` since the Unix epoch (saturating outside about ±292 years).
    ///
    /// ```
    /// use quarry_guest::{EpochUnit, Time};
    ///
    /// assert_eq!(Time::from_epoch(1_700_000_000, EpochUnit::Seconds), Time::from_secs(1_700_000_000));
    /// assert_eq!(Time::from_epoch(5, EpochUnit::Micros), Time(5_000));
    /// ```
    pub const fn from_epoch(value: i64, unit: EpochUnit) -> Self {
        Self(crate::frame::scale(value, unit.nanos()))
    }

    /// Fractional seconds since the Unix epoch (`1700000000.25`), rounded to the nearest
    /// nanosecond; `None` for NaN, infinities and instants outside about ±292 years.
    ///
    /// `f64` holds about 16 significant digits, so today's instants keep microseconds, not
    /// nanoseconds; parse text with [`parse_epoch`](Self::parse_epoch) to keep every digit.
    pub fn from_secs_f64(secs: f64) -> Option<Self> {
        let nanos = (secs * 1e9).round();
        // i64::MAX as f64 rounds up to 2^63, so `<` keeps the cast in range.
        (nanos.is_finite() && nanos >= i64::MIN as f64 && nanos < i64::MAX as f64)
            .then_some(Self(nanos as i64))
    }

    /// Parses an epoch number in `unit`, as text: an integer (`1700000000`), optionally with a
    /// fraction (`1700000000.123456789`, exact to the nanosecond) and a sign.
    ///
    /// ```
    /// use quarry_guest::{EpochUnit, Time};
    ///
    /// assert_eq!(Time::parse_epoch("1700000000.5", EpochUnit::Seconds)?, Time(1_700_000_000_500_000_000));
    /// assert_eq!(Time::parse_epoch("1700000000123", EpochUnit::Millis)?, Time::from_millis(1_700_000_000_123));
    /// let err = Time::parse_epoch("soon", EpochUnit::Seconds).unwrap_err();
    /// assert_eq!(err.message(), r#"invalid epoch time "soon": expected a number of seconds, such as 1700000000 or 1700000000.5"#);
    /// # Ok::<(), quarry_guest::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A bad-request error quoting the text, saying what was expected.
    pub fn parse_epoch(text: &str, unit: EpochUnit) -> Result<Self, Error> {
        let invalid = || {
            Error::bad_request(format!(
                "invalid epoch time {text:?}: expected a number of {}, such as 1700000000 or 1700000000.5",
                unit.name()
            ))
        };
        let trimmed = text.trim();
        let (negative, digits) = match trimmed.as_bytes().first() {
            Some(b'-') => (true, &trimmed[1..]),
            Some(b'+') => (false, &trimmed[1..]),
            _ => (false, trimmed),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return Err(invalid());
        }
        let out_of_range = || {
            Error::bad_request(format!(
                "epoch time {text:?} ({}) is outside the years 1678 to 2262 a Grafana time field holds",
                unit.name()
            ))
        };
        let whole: i128 = whole.parse().map_err(|_| out_of_range())?;
        let per_unit = i128::from(unit.nanos());
        let mut nanos = whole.checked_mul(per_unit).ok_or_else(out_of_range)?;
        // Each fraction digit is worth a tenth of the one before; digits below a nanosecond are cut.
        let mut place = per_unit;
        for digit in fraction.bytes() {
            place /= 10;
            if place == 0 {
                break;
            }
            nanos += i128::from(digit - b'0') * place;
        }
        if negative {
            nanos = -nanos;
        }
        i64::try_from(nanos).map(Self).map_err(|_| out_of_range())
    }

    /// Parses an RFC 3339 timestamp: `2024-05-01T12:00:00Z`, with an optional fraction of up
    /// to nanoseconds and an offset `Z` or `±HH:MM`. A space or lower-case `t` may separate date
    /// and time, and `z` may be lower case, as RFC 3339 allows.
    ///
    /// ```
    /// use quarry_guest::Time;
    ///
    /// let t = Time::parse_rfc3339("2023-11-14T22:13:20.5+01:00")?;
    /// assert_eq!(t, Time::from_millis(1_699_996_400_500));
    /// assert_eq!(t.to_rfc3339(), "2023-11-14T21:13:20.5Z");
    /// # Ok::<(), quarry_guest::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A bad-request error quoting the text and naming what is wrong with it.
    pub fn parse_rfc3339(text: &str) -> Result<Self, Error> {
        parse_rfc3339(text.trim()).map_err(|reason| {
            Error::bad_request(format!(
                "invalid RFC 3339 time {text:?}: {reason} (expected e.g. 2024-05-01T12:00:00Z)"
            ))
        })
    }

    /// The instant as RFC 3339 in UTC, with as many fraction digits as it needs (none for a
    /// whole second): `2023-11-14T22:13:20Z`, `2023-11-14T22:13:20.123Z`.
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }
}

impl FromStr for Time {
    type Err = Error;

    /// [`Time::parse_rfc3339`].
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse_rfc3339(text)
    }
}

impl fmt::Display for Time {
    /// RFC 3339 in UTC, as [`Time::to_rfc3339`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(NANOS_PER_SEC);
        let nanos = self.0.rem_euclid(NANOS_PER_SEC);
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            of_day / 3600,
            of_day / 60 % 60,
            of_day % 60
        )?;
        if nanos != 0 {
            let digits = format!("{nanos:09}");
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

fn parse_rfc3339(s: &str) -> Result<Time, &'static str> {
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Result<i64, &'static str> {
        let part = b.get(range).ok_or("it is too short")?;
        if !part.iter().all(u8::is_ascii_digit) {
            return Err("a date or time part is not a number");
        }
        Ok(part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let sep = |i: usize, allowed: &[u8], what: &'static str| match b.get(i) {
        Some(c) if allowed.contains(c) => Ok(()),
        _ => Err(what),
    };
    let year = num(0..4)?;
    sep(4, b"-", "the date is not YYYY-MM-DD")?;
    let month = num(5..7)?;
    sep(7, b"-", "the date is not YYYY-MM-DD")?;
    let day = num(8..10)?;
    sep(10, b"Tt ", "date and time are not separated by T")?;
    let hour = num(11..13)?;
    sep(13, b":", "the time is not HH:MM:SS")?;
    let minute = num(14..16)?;
    sep(16, b":", "the time is not HH:MM:SS")?;
    // 60 is a leap second; it is read as the next second's start.
    let second = num(17..19)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err("no such date");
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err("no such time of day");
    }
    let mut i = 19;
    let mut nanos = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 9 {
                nanos += i64::from(b[i] - b'0') * 10i64.pow(8 - (i - start) as u32);
            }
            i += 1;
        }
        if i == start {
            return Err("the fraction of a second has no digits");
        }
    }
    let offset_secs = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() => {
            sep(i + 3, b":", "the offset is not ±HH:MM")?;
            let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if h > 23 || m > 59 {
                return Err("no such offset");
            }
            let secs = h * 3600 + m * 60;
            if sign == b'-' { -secs } else { secs }
        }
        None => return Err("it has no offset (add Z for UTC)"),
        _ => return Err("unexpected text after the time"),
    };
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_secs;
    let total = i128::from(secs) * i128::from(NANOS_PER_SEC) + i128::from(nanos);
    i64::try_from(total)
        .map(Time)
        .map_err(|_| "it is outside the years 1678 to 2262 a Grafana time field holds")
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01 (the inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn rfc3339_forms() {
        let cases = [
            ("1970-01-01T00:00:00Z", 0),
            ("1970-01-01T00:00:01.5Z", 1_500_000_000),
            ("2023-11-14T22:13:20Z", 1_700_000_000_000_000_000),
            ("2023-11-14t22:13:20z", 1_700_000_000_000_000_000),
            ("2023-11-14 22:13:20Z", 1_700_000_000_000_000_000),
            ("2023-11-14T23:13:20+01:00", 1_700_000_000_000_000_000),
            ("2023-11-14T17:43:20-04:30", 1_700_000_000_000_000_000),
            ("2023-11-14T22:13:20.123456789Z", 1_700_000_000_123_456_789),
            ("2023-11-14T22:13:20.1234567891Z", 1_700_000_000_123_456_789),
            ("1969-12-31T23:59:59.999Z", -1_000_000),
            ("2000-02-29T00:00:00Z", 951_782_400_000_000_000),
            ("  2000-02-29T00:00:00Z ", 951_782_400_000_000_000),
        ];
        for (text, nanos) in cases {
            assert_eq!(Time::parse_rfc3339(text).unwrap(), Time(nanos), "{text}");
        }
    }

    #[test]
    fn rfc3339_errors_say_what_is_wrong() {
        let cases = [
            ("", "it is too short"),
            ("2023-11-14", "date and time are not separated by T"),
            ("2023-11-14T22:13:20", "it has no offset (add Z for UTC)"),
            ("2023-11-14T22:13:20+0100", "unexpected text after the time"),
            ("2023-02-29T00:00:00Z", "no such date"),
            ("2023-13-01T00:00:00Z", "no such date"),
            ("2023-11-14T24:00:00Z", "no such time of day"),
            (
                "2023-11-14T22:13:20.Z",
                "the fraction of a second has no digits",
            ),
            ("2023/11/14T22:13:20Z", "the date is not YYYY-MM-DD"),
            (
                "20x3-11-14T22:13:20Z",
                "a date or time part is not a number",
            ),
            (
                "3000-01-01T00:00:00Z",
                "it is outside the years 1678 to 2262",
            ),
        ];
        for (text, reason) in cases {
            let err = Time::parse_rfc3339(text).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BadRequest);
            assert!(
                err.message()
                    .starts_with(&format!("invalid RFC 3339 time {text:?}: {reason}")),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn rfc3339_round_trips() {
        for nanos in [
            0,
            1,
            -1,
            1_700_000_000_123_000_000,
            -86_400_000_000_000,
            951_782_400_000_000_000,
            i64::MAX,
            i64::MIN,
        ] {
            let text = Time(nanos).to_rfc3339();
            assert_eq!(text.parse::<Time>().unwrap(), Time(nanos), "{text}");
        }
        assert_eq!(Time(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Time(-1).to_string(), "1969-12-31T23:59:59.999999999Z");
    }

    #[test]
    fn epoch_units() {
        let cases = [
            ("1700000000", EpochUnit::Seconds, 1_700_000_000_000_000_000),
            (
                "1700000000.25",
                EpochUnit::Seconds,
                1_700_000_000_250_000_000,
            ),
            (
                "1700000000.123456789123",
                EpochUnit::Seconds,
                1_700_000_000_123_456_789,
            ),
            ("-1.5", EpochUnit::Seconds, -1_500_000_000),
            ("+2", EpochUnit::Millis, 2_000_000),
            (
                "1700000000123",
                EpochUnit::Millis,
                1_700_000_000_123_000_000,
            ),
            ("1.5", EpochUnit::Micros, 1_500),
            (" 42 ", EpochUnit::Nanos, 42),
            ("42.9", EpochUnit::Nanos, 42),
        ];
        for (text, unit, nanos) in cases {
            assert_eq!(
                Time::parse_epoch(text, unit).unwrap(),
                Time(nanos),
                "{text}"
            );
        }
        for text in ["", "-", "1e9", "1.2.3", "0x10", ".5", "1,5"] {
            let err = Time::parse_epoch(text, EpochUnit::Seconds).unwrap_err();
            assert!(
                err.message().starts_with("invalid epoch time"),
                "{text}: {err}"
            );
        }
        let err = Time::parse_epoch("99999999999", EpochUnit::Seconds).unwrap_err();
        assert!(err.message().contains("outside the years"), "{err}");
        assert_eq!(Time::from_epoch(3, EpochUnit::Millis), Time::from_millis(3));
        assert_eq!(
            Time::from_epoch(i64::MAX, EpochUnit::Seconds),
            Time(i64::MAX)
        );
        assert_eq!(Time::from_micros(7), Time(7_000));
        assert_eq!(Time::from_secs_f64(1.25), Some(Time(1_250_000_000)));
        assert_eq!(Time::from_secs_f64(f64::NAN), None);
        assert_eq!(Time::from_secs_f64(1e300), None);
    }
}
