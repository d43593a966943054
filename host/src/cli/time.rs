//! Time arguments: epoch ms, RFC 3339, `now`, `now-<n><unit>`.

use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub(crate) fn parse(text: &str, now: i64) -> anyhow::Result<i64> {
    let t = text.trim();
    if let Ok(ms) = t.parse::<i64>() {
        return Ok(ms);
    }
    if t == "now" {
        return Ok(now);
    }
    if let Some(rest) = t.strip_prefix("now-") {
        let split = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (n, unit) = rest.split_at(split);
        let n: i64 = n
            .parse()
            .map_err(|_| anyhow::anyhow!("time {text:?}: expected now-<number><s|m|h|d>"))?;
        let unit_ms = match unit {
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => anyhow::bail!("time {text:?}: unit must be s, m, h or d"),
        };
        return Ok(now - n * unit_ms);
    }
    let parsed = humantime::parse_rfc3339_weak(t).map_err(|e| {
        anyhow::anyhow!("time {text:?}: not epoch ms, now[-N<unit>] or RFC 3339 ({e})")
    })?;
    Ok(parsed
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_every_form() {
        let now = 10_000_000;
        assert_eq!(parse("123", now).unwrap(), 123);
        assert_eq!(parse("now", now).unwrap(), now);
        assert_eq!(parse("now-5m", now).unwrap(), now - 300_000);
        assert_eq!(parse("now-1h", now).unwrap(), now - 3_600_000);
        assert_eq!(parse("1970-01-01T00:00:01Z", now).unwrap(), 1000);
        assert!(parse("now-5x", now).is_err());
        assert!(parse("yesterday", now).is_err());
    }
}
