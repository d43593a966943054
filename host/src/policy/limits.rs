//! Every limit the host applies, with its default, its cap and the setting that changes it, in
//! one place. The README's security-model table is checked against [`DATASOURCE_LIMITS`] and
//! [`FIXED_LIMITS`] by a unit test, so the documentation cannot drift from the code.

use std::time::Duration;

use quarry_frame::FrameLimits;

/// A limit a datasource may set in its `jsonData`, within the host's cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The `jsonData` key.
    pub key: &'static str,
    /// What it bounds.
    pub what: &'static str,
    pub default: u64,
    /// The largest value the host accepts; larger values are lowered to it.
    pub cap: u64,
    pub unit: &'static str,
}

/// Deadline of one module call, instantiation included.
pub const CALL_TIMEOUT_MS: Setting = Setting {
    key: "callTimeoutMs",
    what: "deadline of one module call (instantiation, waiting for HTTP and output checks included)",
    default: 30_000,
    cap: 120_000,
    unit: "ms",
};

/// The per-call memory budget.
pub const MEMORY_LIMIT_MB: Setting = Setting {
    key: "memoryLimitMb",
    what: "memory budget of one module call: all linear memories, all tables, and what the host holds for the module (resources, HTTP headers and bodies, copied output)",
    default: 256,
    cap: 2048,
    unit: "MiB",
};

/// Calls into one datasource's module at once.
pub const MAX_CONCURRENT_CALLS: Setting = Setting {
    key: "maxConcurrentCalls",
    what: "module calls of one datasource running at once (stream ticks included); more wait within their deadline",
    default: 16,
    cap: 64,
    unit: "calls",
};

/// Live streams of one datasource.
pub const MAX_STREAMS: Setting = Setting {
    key: "maxStreams",
    what: "streams (RunStream calls) of one datasource running at once; more are refused",
    default: 100,
    cap: 1000,
    unit: "streams",
};

/// Per-request HTTP timeout.
pub const HTTP_TIMEOUT_S: Setting = Setting {
    key: "timeout",
    what: "each wait of one outgoing HTTP request (connect, first byte, between bytes); never past the call deadline",
    default: 10,
    cap: 300,
    unit: "s",
};

/// Largest HTTP response body.
pub const MAX_RESPONSE_BYTES: Setting = Setting {
    key: "maxResponseBytes",
    what: "body of one HTTP response a module receives",
    default: 16 << 20,
    cap: 256 << 20,
    unit: "bytes",
};

/// Outgoing HTTP requests in flight per call.
pub const MAX_CONNECTIONS: Setting = Setting {
    key: "maxConnections",
    what: "outgoing HTTP requests of one module call in flight at once; more are refused",
    default: 8,
    cap: 32,
    unit: "requests",
};

/// Every limit a datasource can change, in the order the README lists them.
pub const DATASOURCE_LIMITS: &[Setting] = &[
    CALL_TIMEOUT_MS,
    MEMORY_LIMIT_MB,
    MAX_CONCURRENT_CALLS,
    MAX_STREAMS,
    HTTP_TIMEOUT_S,
    MAX_RESPONSE_BYTES,
    MAX_CONNECTIONS,
];

/// A limit no datasource can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fixed {
    pub what: &'static str,
    pub value: u64,
    pub unit: &'static str,
}

/// Core instances one module may create.
pub const MAX_INSTANCES: Fixed = Fixed {
    what: "core instances one module creates",
    value: 64,
    unit: "instances",
};
/// Linear memories one module may create.
pub const MAX_MEMORIES: Fixed = Fixed {
    what: "linear memories one module creates",
    value: 16,
    unit: "memories",
};
/// Tables one module may create.
pub const MAX_TABLES: Fixed = Fixed {
    what: "tables one module creates",
    value: 64,
    unit: "tables",
};
/// Bytes a table element is counted as in the budget.
pub const TABLE_ELEMENT_BYTES: usize = 8;
/// Live host resources (WASI streams, HTTP requests, fields, bodies) one module may hold.
pub const MAX_RESOURCES: Fixed = Fixed {
    what: "live host resources (streams, HTTP requests, header fields, bodies) one module holds",
    value: 10_000,
    unit: "handles",
};
/// Log lines per call.
pub const MAX_LOG_LINES: Fixed = Fixed {
    what: "log lines one call writes",
    value: 1000,
    unit: "lines",
};
/// Bytes of one log line (message and fields).
pub const MAX_LOG_LINE_BYTES: Fixed = Fixed {
    what: "bytes of one log line (message and fields, longer ones are cut)",
    value: 8 << 10,
    unit: "bytes",
};
/// Bytes of all log lines of one call.
pub const MAX_LOG_CALL_BYTES: Fixed = Fixed {
    what: "bytes of all log lines of one call",
    value: 256 << 10,
    unit: "bytes",
};
/// Fields of one log line.
pub const MAX_LOG_FIELDS: Fixed = Fixed {
    what: "fields of one log line",
    value: 32,
    unit: "fields",
};
/// Bytes of an error, health or context text a module returns.
pub const MAX_TEXT_BYTES: Fixed = Fixed {
    what: "bytes of an error message (with its context) or a health message (longer ones are cut)",
    value: 16 << 10,
    unit: "bytes",
};
/// Bytes of one JSON document (frame meta, field config, health details).
pub const MAX_JSON_BYTES: Fixed = Fixed {
    what: "bytes of one frame meta, field config or health details JSON document",
    value: 1 << 20,
    unit: "bytes",
};
/// Nesting depth of any JSON a module returns.
pub const MAX_JSON_DEPTH: Fixed = Fixed {
    what: "nesting depth of any JSON a module returns (meta, config, details, JSON cells)",
    value: 32,
    unit: "levels",
};
/// Headers of one resource response.
pub const MAX_RESOURCE_HEADERS: Fixed = Fixed {
    what: "headers of one resource response",
    value: 100,
    unit: "headers",
};
/// Bytes of all headers of one resource response.
pub const MAX_RESOURCE_HEADER_BYTES: Fixed = Fixed {
    what: "bytes of all headers of one resource response",
    value: 64 << 10,
    unit: "bytes",
};
/// Bytes of one resource response body.
pub const MAX_RESOURCE_BODY_BYTES: Fixed = Fixed {
    what: "bytes of one resource response body (sent to Grafana in 1 MiB messages)",
    value: 64 << 20,
    unit: "bytes",
};

/// Bytes one `wasi:http` header map may hold.
pub const MAX_HTTP_FIELDS_BYTES: Fixed = Fixed {
    what: "bytes of one wasi:http header map a module builds",
    value: 64 << 10,
    unit: "bytes",
};
/// Bytes of a module's stderr the host keeps (quoted in crash messages).
pub const STDERR_BYTES: Fixed = Fixed {
    what: "bytes of a module's stderr kept per instance (the last 2 KiB are quoted when it crashes)",
    value: 64 << 10,
    unit: "bytes",
};
/// A store is kept for the next call only below this size.
pub const IDLE_STORE_BYTES: Fixed = Fixed {
    what: "memories and tables of an instance kept idle for the next call (larger ones are dropped)",
    value: 32 << 20,
    unit: "bytes",
};
/// Bytes of a gRPC status message (a stream's error) sent to Grafana.
pub const MAX_STATUS_MESSAGE_BYTES: Fixed = Fixed {
    what: "bytes of a stream's error as Grafana receives it (a gRPC status message)",
    value: 4 << 10,
    unit: "bytes",
};
/// Settings or query properties one descriptor may list.
pub const MAX_DESCRIPTOR_FIELDS: Fixed = Fixed {
    what: "settings, and query properties, one module descriptor lists",
    value: 200,
    unit: "fields",
};

/// Every limit no datasource can change, in the order the README lists them.
pub const FIXED_LIMITS: &[Fixed] = &[
    MAX_INSTANCES,
    MAX_MEMORIES,
    MAX_TABLES,
    MAX_RESOURCES,
    MAX_LOG_LINES,
    MAX_LOG_LINE_BYTES,
    MAX_LOG_CALL_BYTES,
    MAX_LOG_FIELDS,
    MAX_TEXT_BYTES,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    MAX_RESOURCE_HEADERS,
    MAX_RESOURCE_HEADER_BYTES,
    MAX_RESOURCE_BODY_BYTES,
    MAX_HTTP_FIELDS_BYTES,
    STDERR_BYTES,
    IDLE_STORE_BYTES,
    MAX_STATUS_MESSAGE_BYTES,
    MAX_DESCRIPTOR_FIELDS,
];

/// What one call into a datasource's module may consume.
///
/// # Default
/// The defaults of [`DATASOURCE_LIMITS`]: 30 s per call, a 256 MiB memory budget, 16 calls and
/// 100 streams at once, and [`FrameLimits::default`] (its byte limit lowered to the budget) for
/// the frames a module returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLimits {
    pub call_timeout: Duration,
    /// The memory budget of one call, bytes.
    pub memory_bytes: usize,
    pub max_concurrent_calls: usize,
    pub max_streams: usize,
    pub frames: FrameLimits,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            call_timeout: Duration::from_millis(CALL_TIMEOUT_MS.default),
            memory_bytes: (MEMORY_LIMIT_MB.default as usize) << 20,
            max_concurrent_calls: MAX_CONCURRENT_CALLS.default as usize,
            max_streams: MAX_STREAMS.default as usize,
            frames: FrameLimits::default(),
        }
        .with_frames_within_budget()
    }
}

impl CallLimits {
    pub fn with_call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    pub fn with_memory_bytes(mut self, bytes: usize) -> Self {
        self.memory_bytes = bytes;
        self.with_frames_within_budget()
    }

    /// Output is copied out of the module's memory: it can never be larger than the budget.
    fn with_frames_within_budget(mut self) -> Self {
        let max = self.frames.max_bytes().min(self.memory_bytes);
        self.frames = self.frames.clone().with_max_bytes(max);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_within_caps_and_keys_unique() {
        let mut keys = std::collections::BTreeSet::new();
        for s in DATASOURCE_LIMITS {
            assert!(s.default <= s.cap, "{}", s.key);
            assert!(keys.insert(s.key), "{} listed twice", s.key);
        }
    }

    #[test]
    fn frame_bytes_never_exceed_the_budget() {
        let small = CallLimits::default().with_memory_bytes(16 << 20);
        assert_eq!(small.frames.max_bytes(), 16 << 20);
    }

    /// The README documents every limit; a limit added here without a README line fails.
    #[test]
    fn readme_lists_every_limit() {
        let readme = include_str!("../../../README.md");
        for s in DATASOURCE_LIMITS {
            assert!(
                readme.contains(&format!("`{}`", s.key)),
                "README does not document jsonData.{}",
                s.key
            );
        }
        for h in super::super::host::HOST_SETTINGS {
            assert!(
                readme.contains(&format!("`{}`", h.key)),
                "README does not document [plugin.quarry-wasm-datasource] {}",
                h.key
            );
        }
        for f in FIXED_LIMITS {
            assert!(
                readme.contains(f.what),
                "README does not document the fixed limit on {}",
                f.what
            );
        }
    }
}
