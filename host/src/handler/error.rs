//! Per-query errors with the HTTP-like status and error source Grafana records.

use std::fmt;

/// Who is to blame for a failed query (Grafana's `errorSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorSource {
    /// The plugin or its module.
    Plugin,
    /// The service the module talks to.
    Downstream,
}

impl ErrorSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorSource::Plugin => "plugin",
            ErrorSource::Downstream => "downstream",
        }
    }
}

/// One query's failure: a message for the user, a status and a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub message: String,
    pub status: u16,
    pub source: ErrorSource,
}

impl QueryError {
    pub fn new(status: u16, source: ErrorSource, message: impl Into<String>) -> Self {
        QueryError {
            message: message.into(),
            status,
            source,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, ErrorSource::Plugin, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, ErrorSource::Plugin, message)
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for QueryError {}
