//! Logging through the host, which tags each message with the datasource and module.
//!
//! ```
//! quarry_guest::log::info("fetched series", &[("count", "3"), ("ms", "12")]);
//! ```
//!
//! Off wasm (in a module's native unit tests) messages go to stderr instead.

pub use crate::bindings::quarry::datasource::log::Level;

/// Logs `message` at `level` with structured `fields`.
pub fn log(level: Level, message: &str, fields: &[(&str, &str)]) {
    #[cfg(target_arch = "wasm32")]
    {
        use crate::bindings::quarry::datasource::{log, types::KeyValue};

        let fields: Vec<KeyValue> = fields
            .iter()
            .map(|&(key, value)| KeyValue {
                key: key.to_owned(),
                value: value.to_owned(),
            })
            .collect();
        log::log(level, message, &fields);
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::fmt::Write as _;

        let mut line = format!("{level:?} {message}");
        for (key, value) in fields {
            let _ = write!(line, " {key}={value:?}");
        }
        eprintln!("{line}");
    }
}

/// Logs at [`Level::Trace`].
pub fn trace(message: &str, fields: &[(&str, &str)]) {
    log(Level::Trace, message, fields);
}

/// Logs at [`Level::Debug`].
pub fn debug(message: &str, fields: &[(&str, &str)]) {
    log(Level::Debug, message, fields);
}

/// Logs at [`Level::Info`].
pub fn info(message: &str, fields: &[(&str, &str)]) {
    log(Level::Info, message, fields);
}

/// Logs at [`Level::Warn`].
pub fn warn(message: &str, fields: &[(&str, &str)]) {
    log(Level::Warn, message, fields);
}

/// Logs at [`Level::Error`].
pub fn error(message: &str, fields: &[(&str, &str)]) {
    log(Level::Error, message, fields);
}
