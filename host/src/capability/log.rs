//! The `log` import: a module's log lines go to Grafana's log through the host's logger, tagged
//! with the datasource and module, bounded per line and per call, and with the module's own
//! fields nested under one `guest` key so they can never pose as the host's (`dsUid`, `level`,
//! `logger`, `traceID`, …).

use crate::bindings::{current, v0_2, wit_types};
use crate::policy::limits::{
    MAX_LOG_CALL_BYTES, MAX_LOG_FIELDS, MAX_LOG_LINE_BYTES, MAX_LOG_LINES,
};
use crate::runtime::GuestIdentity;

/// Longest field key kept; longer keys are cut.
const MAX_KEY_BYTES: usize = 64;

/// One store's log: what its current call has written so far.
#[derive(Debug)]
pub(crate) struct GuestLog {
    identity: GuestIdentity,
    lines: u64,
    bytes: u64,
    warned: bool,
}

/// The level of a module's log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl GuestLog {
    pub(crate) fn new(identity: GuestIdentity) -> Self {
        GuestLog {
            identity,
            lines: 0,
            bytes: 0,
            warned: false,
        }
    }

    pub(crate) fn begin_call(&mut self) {
        self.lines = 0;
        self.bytes = 0;
        self.warned = false;
    }

    /// Writes one line if the call's budget allows it; the first line over budget is replaced by
    /// one warning from the host.
    pub(crate) fn write(&mut self, level: Level, message: &str, fields: &[wit_types::KeyValue]) {
        let Some((message, guest)) = self.bounded(message, fields) else {
            return;
        };
        let uid = &self.identity.datasource_uid;
        let module = &self.identity.module;
        match level {
            Level::Trace => {
                tracing::trace!(dsUid = %uid, module = %module, guest = %guest, "{message}")
            }
            Level::Debug => {
                tracing::debug!(dsUid = %uid, module = %module, guest = %guest, "{message}")
            }
            Level::Info => {
                tracing::info!(dsUid = %uid, module = %module, guest = %guest, "{message}")
            }
            Level::Warn => {
                tracing::warn!(dsUid = %uid, module = %module, guest = %guest, "{message}")
            }
            Level::Error => {
                tracing::error!(dsUid = %uid, module = %module, guest = %guest, "{message}")
            }
        }
    }

    /// The line as it will be written (message, and the fields as one JSON object), cut to the
    /// per-line limit; `None` when the call's budget is spent.
    fn bounded(
        &mut self,
        message: &str,
        fields: &[wit_types::KeyValue],
    ) -> Option<(String, String)> {
        if self.lines >= MAX_LOG_LINES.value || self.bytes >= MAX_LOG_CALL_BYTES.value {
            if !self.warned {
                self.warned = true;
                tracing::warn!(
                    dsUid = %self.identity.datasource_uid,
                    module = %self.identity.module,
                    max_lines = MAX_LOG_LINES.value,
                    max_bytes = MAX_LOG_CALL_BYTES.value,
                    "module log budget for this call exceeded; further lines dropped"
                );
            }
            return None;
        }
        let line_max = MAX_LOG_LINE_BYTES.value as usize;
        let message = cut(message, line_max / 2);
        let mut room = line_max.saturating_sub(message.len());
        let mut guest = serde_json::Map::new();
        for kv in fields.iter().take(MAX_LOG_FIELDS.value as usize) {
            if room == 0 {
                break;
            }
            let key = cut(&kv.key, MAX_KEY_BYTES.min(room));
            room = room.saturating_sub(key.len());
            let value = cut(&kv.value, room);
            room = room.saturating_sub(value.len());
            guest.insert(key, value.into());
        }
        if fields.len() > MAX_LOG_FIELDS.value as usize {
            guest.insert(
                "_dropped_fields".into(),
                (fields.len() - MAX_LOG_FIELDS.value as usize).into(),
            );
        }
        let guest = serde_json::Value::Object(guest).to_string();
        self.lines += 1;
        self.bytes += (message.len() + guest.len()) as u64;
        Some((message, guest))
    }
}

/// `s` cut to at most `max` bytes on a character boundary, marked with `…` when cut.
pub(crate) fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    if max < '…'.len_utf8() {
        return String::new();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

impl current::quarry::datasource::log::Host for crate::runtime::HostState {
    fn log(
        &mut self,
        level: current::quarry::datasource::log::Level,
        message: String,
        fields: Vec<wit_types::KeyValue>,
    ) {
        use current::quarry::datasource::log::Level as L;
        let level = match level {
            L::Trace => Level::Trace,
            L::Debug => Level::Debug,
            L::Info => Level::Info,
            L::Warn => Level::Warn,
            L::Error => Level::Error,
        };
        self.log.write(level, &message, &fields);
    }
}

impl v0_2::quarry::datasource::log::Host for crate::runtime::HostState {
    fn log(
        &mut self,
        level: v0_2::quarry::datasource::log::Level,
        message: String,
        fields: Vec<wit_types::KeyValue>,
    ) {
        use v0_2::quarry::datasource::log::Level as L;
        let level = match level {
            L::Trace => Level::Trace,
            L::Debug => Level::Debug,
            L::Info => Level::Info,
            L::Warn => Level::Warn,
            L::Error => Level::Error,
        };
        self.log.write(level, &message, &fields);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> GuestLog {
        GuestLog::new(GuestIdentity {
            datasource_uid: "ds".into(),
            module: "m".into(),
        })
    }

    fn kv(k: &str, v: &str) -> wit_types::KeyValue {
        wit_types::KeyValue {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn a_line_is_cut_to_its_limit() {
        let mut l = log();
        let big = "x".repeat(8 << 10);
        let fields: Vec<_> = (0..100).map(|i| kv(&format!("k{i}"), &big)).collect();
        let (message, guest) = l.bounded(&big, &fields).unwrap();
        assert!(message.len() + guest.len() <= MAX_LOG_LINE_BYTES.value as usize + 200);
        let parsed: serde_json::Value = serde_json::from_str(&guest).unwrap();
        assert_eq!(parsed["_dropped_fields"], 68);
    }

    #[test]
    fn a_call_is_cut_to_its_budget() {
        let mut l = log();
        let big = "x".repeat(8 << 10);
        let mut written = 0;
        while l.bounded(&big, &[kv("a", &big)]).is_some() {
            written += 1;
            assert!(written < 10_000);
        }
        assert!(l.bytes <= MAX_LOG_CALL_BYTES.value + MAX_LOG_LINE_BYTES.value * 2);
        assert!(l.bounded("small", &[]).is_none(), "budget spent");
        l.begin_call();
        assert!(
            l.bounded("small", &[]).is_some(),
            "a new call starts afresh"
        );
        for _ in 0..MAX_LOG_LINES.value {
            l.bounded("", &[]);
        }
        assert!(l.bounded("", &[]).is_none(), "line count capped");
    }

    #[test]
    fn cut_respects_char_boundaries() {
        assert_eq!(cut("héllo", 4), "h…");
        assert_eq!(cut("héllo", 5), "h…");
        assert_eq!(cut("abc", 3), "abc");
    }
}
