//! [`Error`]: what a module answers when something goes wrong, with its [`ErrorKind`] and context.

use std::fmt;

/// What went wrong, so the host can pick Grafana's status code and error source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The query or settings are invalid (400, source plugin).
    BadRequest,
    /// Something named does not exist (404, source downstream).
    NotFound,
    /// Credentials were missing or refused (401, source downstream).
    Unauthorized,
    /// Access was denied (403, source downstream).
    Forbidden,
    /// A downstream call took too long (504, source downstream).
    Timeout,
    /// The downstream service failed (502, source downstream).
    Downstream,
    /// The module does not implement this (501, source plugin).
    NotImplemented,
    /// A bug or unexpected state in the module (500, source plugin).
    Internal,
}

/// An error a module returns to the host: a kind, a message and context lines.
///
/// Build one with the constructor named after its kind and add context on the way out:
///
/// ```
/// use quarry_guest::{Error, ErrorKind};
///
/// let err = Error::not_found("no metric cpu_total").context("query A");
/// assert_eq!(err.kind(), ErrorKind::NotFound);
/// assert_eq!(err.to_string(), "query A: no metric cpu_total");
/// ```
///
/// A [`serde_json::Error`] converts into a [`bad_request`](Error::bad_request) error whose message
/// is serde's description of the problem, so `?` works on JSON parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
    /// Outermost first.
    pub(crate) context: Vec<String>,
}

impl Error {
    /// An error of `kind` with `message` and no context.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            context: Vec::new(),
        }
    }

    /// The query or settings are invalid.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    /// Something named does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// Credentials were missing or refused.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized, message)
    }

    /// Access was denied.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }

    /// A downstream call took too long.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Timeout, message)
    }

    /// The downstream service failed.
    pub fn downstream(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Downstream, message)
    }

    /// The module does not implement this.
    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotImplemented, message)
    }

    /// A bug or unexpected state in the module.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// Adds an outer context line, such as what the module was doing when the error happened.
    #[must_use]
    pub fn context(mut self, context: impl Into<String>) -> Self {
        self.context.insert(0, context.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The innermost description, without context.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The context lines, outermost first.
    pub fn context_lines(&self) -> &[String] {
        &self.context
    }
}

impl fmt::Display for Error {
    /// `outer: inner: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.context {
            write!(f, "{line}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Self::bad_request(err.to_string())
    }
}

/// Adds [`Error::context`] to any `Result` whose error converts into an [`Error`].
///
/// ```
/// use quarry_guest::{Context, Error};
///
/// fn parse(text: &str) -> Result<serde_json::Value, Error> {
///     serde_json::from_str(text).context("invalid filter")
/// }
///
/// let err = parse("{").unwrap_err();
/// assert_eq!(err.kind(), quarry_guest::ErrorKind::BadRequest);
/// assert!(err.to_string().starts_with("invalid filter: EOF while parsing"));
/// ```
pub trait Context<T> {
    /// Converts the error into an [`Error`] and adds `context` as its outermost line.
    ///
    /// # Errors
    ///
    /// The converted error, when `self` is an error.
    fn context(self, context: impl Into<String>) -> Result<T, Error>;
}

impl<T, E: Into<Error>> Context<T> for Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T, Error> {
        self.map_err(|err| err.into().context(context))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_is_outermost_first() {
        let err = Error::timeout("no answer after 5s")
            .context("fetching series")
            .context("query B");
        assert_eq!(err.context_lines(), ["query B", "fetching series"]);
        assert_eq!(err.message(), "no answer after 5s");
        assert_eq!(
            err.to_string(),
            "query B: fetching series: no answer after 5s"
        );
    }

    #[test]
    fn constructors_set_their_kind() {
        let cases = [
            (Error::bad_request("m"), ErrorKind::BadRequest),
            (Error::not_found("m"), ErrorKind::NotFound),
            (Error::unauthorized("m"), ErrorKind::Unauthorized),
            (Error::forbidden("m"), ErrorKind::Forbidden),
            (Error::timeout("m"), ErrorKind::Timeout),
            (Error::downstream("m"), ErrorKind::Downstream),
            (Error::not_implemented("m"), ErrorKind::NotImplemented),
            (Error::internal("m"), ErrorKind::Internal),
        ];
        for (err, kind) in cases {
            assert_eq!(err.kind(), kind);
        }
    }

    #[test]
    fn serde_errors_are_bad_requests_naming_the_cause() {
        let err: Error = serde_json::from_str::<u8>("300").unwrap_err().into();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        assert!(err.message().contains("expected u8"), "{err}");
    }

    #[test]
    fn result_context() {
        let result: Result<(), Error> = Err(Error::internal("boom"));
        let err = result.context("outer").unwrap_err();
        assert_eq!(err.to_string(), "outer: boom");
    }
}
