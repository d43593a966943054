//! [`HttpError`]: why a request failed, in words a Grafana user can act on, mapped from the
//! `wasi:http` error codes the host reports.

use std::fmt;
use std::time::Duration;

use wasip2::http::types::ErrorCode;

use super::Url;
use crate::Error;

/// Why an HTTP request failed.
///
/// Its `Display` is written for the person configuring the datasource, e.g.
/// `cannot resolve host metrics.local`, `connection refused by metrics.local:8080` or
/// `no answer from metrics.local:8080 within 10 s (first byte timeout)`. Converted into an
/// [`Error`] (with `?`) it keeps that message and gets a fitting [`ErrorKind`](crate::ErrorKind):
///
/// | variant | kind |
/// |---|---|
/// | [`InvalidUrl`](Self::InvalidUrl), [`InvalidHeader`](Self::InvalidHeader) | bad request |
/// | [`Dns`](Self::Dns), [`ConnectionRefused`](Self::ConnectionRefused), [`TooManyRedirects`](Self::TooManyRedirects), [`Decode`](Self::Decode), [`Other`](Self::Other) | downstream |
/// | [`Timeout`](Self::Timeout) | timeout |
/// | [`Denied`](Self::Denied), [`Host`](Self::Host) | forbidden |
/// | [`Unavailable`](Self::Unavailable) | internal |
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL (or a redirect's `Location`) cannot be requested.
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A request header's name or value is invalid, or one the host does not let modules set.
    InvalidHeader {
        /// The header's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The host name could not be resolved (`DNS-error`, `DNS-timeout`).
    Dns {
        /// The host name.
        host: String,
        /// The DNS response code, if the host reported one.
        rcode: Option<String>,
    },
    /// The server refused the connection.
    ConnectionRefused {
        /// `host:port`.
        authority: String,
    },
    /// The server did not answer in time.
    Timeout {
        /// `host:port`.
        authority: String,
        /// Which wait ran out.
        phase: TimeoutPhase,
        /// The limit set with [`Request::timeout`](super::Request::timeout), if any.
        limit: Option<Duration>,
    },
    /// The host denied the request (`HTTP-request-denied`).
    Denied {
        /// `host:port`.
        authority: String,
    },
    /// The host refused or failed the request and said why (`internal-error` with a message),
    /// shown verbatim. The Quarry host uses it for a request its policy does not allow, e.g.
    /// `host 10.0.0.1:80 is not allowed for datasource "abc" (allowed: ...)`.
    Host(String),
    /// A redirect chain was longer than [`Request::max_redirects`](super::Request::max_redirects).
    TooManyRedirects {
        /// The URL first requested.
        url: String,
        /// The limit.
        max: u32,
    },
    /// The response's `Content-Encoding` (gzip or deflate) could not be decoded.
    Decode {
        /// The URL that answered.
        url: String,
        /// The encoding, as the response named it.
        encoding: String,
        /// What went wrong.
        reason: String,
    },
    /// Not running inside the Quarry host (a module's native unit tests without a fake
    /// transport, see [`testing`](super::testing)): no HTTP at all.
    Unavailable,
    /// Any other failure, with the `wasi:http` error code as the host reported it.
    Other {
        /// `host:port`.
        authority: String,
        /// The error code, in its `Debug` form.
        code: String,
    },
}

/// Which wait of a request ran out, for [`HttpError::Timeout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeoutPhase {
    /// Connecting to the server.
    Connect,
    /// Waiting for the response's status and headers.
    FirstByte,
    /// Waiting for more of the response body, or sending the request body.
    Read,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::FirstByte => "first byte",
            Self::Read => "read",
        })
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl { url, reason } => write!(f, "invalid URL {url:?}: {reason}"),
            Self::InvalidHeader { name, reason } => {
                write!(f, "invalid request header {name:?}: {reason}")
            }
            Self::Dns { host, rcode } => {
                write!(f, "cannot resolve host {host}")?;
                match rcode {
                    Some(rcode) => write!(f, " ({rcode})"),
                    None => Ok(()),
                }
            }
            Self::ConnectionRefused { authority } => {
                write!(f, "connection refused by {authority}")
            }
            Self::Timeout {
                authority,
                phase,
                limit,
            } => {
                write!(f, "no answer from {authority}")?;
                if let Some(limit) = limit {
                    write!(f, " within {}", DisplayDuration(*limit))?;
                }
                write!(f, " ({phase} timeout)")
            }
            Self::Denied { authority } => write!(f, "the host denied the request to {authority}"),
            Self::Host(message) => f.write_str(message),
            Self::TooManyRedirects { url, max } => {
                write!(f, "too many redirects (more than {max}) from {url}")
            }
            Self::Decode {
                url,
                encoding,
                reason,
            } => write!(
                f,
                "cannot decode the {encoding} response from {url}: {reason}"
            ),
            Self::Unavailable => f.write_str(
                "HTTP is only available inside the Quarry host (in a native unit test, install a \
                 fake transport with quarry_guest::http::testing::fake_transport)",
            ),
            Self::Other { authority, code } => {
                write!(f, "HTTP request to {authority} failed: {code}")
            }
        }
    }
}

impl std::error::Error for HttpError {}

impl From<HttpError> for Error {
    fn from(err: HttpError) -> Self {
        let message = err.to_string();
        match err {
            HttpError::InvalidUrl { .. } | HttpError::InvalidHeader { .. } => {
                Error::bad_request(message)
            }
            HttpError::Dns { .. }
            | HttpError::ConnectionRefused { .. }
            | HttpError::TooManyRedirects { .. }
            | HttpError::Decode { .. }
            | HttpError::Other { .. } => Error::downstream(message),
            HttpError::Timeout { .. } => Error::timeout(message),
            HttpError::Denied { .. } | HttpError::Host(_) => Error::forbidden(message),
            HttpError::Unavailable => Error::internal(message),
        }
    }
}

/// `10 s`, `1500 ms`: whole seconds when exact.
struct DisplayDuration(Duration);

impl fmt::Display for DisplayDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d.subsec_nanos() == 0 {
            write!(f, "{} s", d.as_secs())
        } else if d.subsec_nanos().is_multiple_of(1_000_000) {
            write!(f, "{} ms", d.as_millis())
        } else {
            write!(f, "{d:?}")
        }
    }
}

/// Where in a request an error code was reported: the host reports a first-byte timeout and a
/// stalled body alike as `connection-read-timeout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    all(not(target_arch = "wasm32"), not(test)),
    expect(dead_code, reason = "only the wasm transport reports error codes")
)]
pub(crate) enum Stage {
    /// Sending the request and waiting for the response head.
    Response,
    /// Reading the response body.
    Body,
}

/// Maps a `wasi:http` error code for a request to `url` to an [`HttpError`].
#[cfg_attr(
    all(not(target_arch = "wasm32"), not(test)),
    expect(dead_code, reason = "only the wasm transport reports error codes")
)]
pub(crate) fn from_code(
    code: ErrorCode,
    url: &Url,
    limit: Option<Duration>,
    stage: Stage,
) -> HttpError {
    let authority = url.host_port();
    let timeout = |phase| HttpError::Timeout {
        authority: authority.clone(),
        phase,
        limit,
    };
    match code {
        ErrorCode::DnsTimeout => HttpError::Dns {
            host: url.host().to_owned(),
            rcode: Some("timed out".into()),
        },
        ErrorCode::DnsError(payload) => HttpError::Dns {
            host: url.host().to_owned(),
            rcode: payload.rcode,
        },
        ErrorCode::ConnectionRefused => HttpError::ConnectionRefused { authority },
        ErrorCode::ConnectionTimeout => timeout(TimeoutPhase::Connect),
        ErrorCode::HttpResponseTimeout => timeout(TimeoutPhase::FirstByte),
        ErrorCode::ConnectionReadTimeout | ErrorCode::ConnectionWriteTimeout => match stage {
            Stage::Response => timeout(TimeoutPhase::FirstByte),
            Stage::Body => timeout(TimeoutPhase::Read),
        },
        ErrorCode::HttpRequestDenied => HttpError::Denied { authority },
        ErrorCode::HttpRequestUriInvalid => HttpError::InvalidUrl {
            url: url.to_string(),
            reason: "the host refused it as invalid".into(),
        },
        ErrorCode::InternalError(Some(message)) => HttpError::Host(message),
        other => HttpError::Other {
            authority,
            code: format!("{other:?}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use wasip2::http::types::DnsErrorPayload;

    use super::*;
    use crate::ErrorKind;

    #[test]
    fn codes_map_to_readable_errors() {
        let url = Url::parse("http://metrics.local:8080/x").unwrap();
        let limit = Some(Duration::from_secs(10));
        let cases = [
            (
                ErrorCode::DnsError(DnsErrorPayload {
                    rcode: Some("NXDOMAIN".into()),
                    info_code: None,
                }),
                Stage::Response,
                "cannot resolve host metrics.local (NXDOMAIN)",
                ErrorKind::Downstream,
            ),
            (
                ErrorCode::DnsError(DnsErrorPayload {
                    rcode: None,
                    info_code: Some(3),
                }),
                Stage::Response,
                "cannot resolve host metrics.local",
                ErrorKind::Downstream,
            ),
            (
                ErrorCode::DnsTimeout,
                Stage::Response,
                "cannot resolve host metrics.local (timed out)",
                ErrorKind::Downstream,
            ),
            (
                ErrorCode::ConnectionRefused,
                Stage::Response,
                "connection refused by metrics.local:8080",
                ErrorKind::Downstream,
            ),
            (
                ErrorCode::ConnectionTimeout,
                Stage::Response,
                "no answer from metrics.local:8080 within 10 s (connect timeout)",
                ErrorKind::Timeout,
            ),
            (
                ErrorCode::HttpResponseTimeout,
                Stage::Response,
                "no answer from metrics.local:8080 within 10 s (first byte timeout)",
                ErrorKind::Timeout,
            ),
            (
                ErrorCode::ConnectionReadTimeout,
                Stage::Response,
                "no answer from metrics.local:8080 within 10 s (first byte timeout)",
                ErrorKind::Timeout,
            ),
            (
                ErrorCode::ConnectionReadTimeout,
                Stage::Body,
                "no answer from metrics.local:8080 within 10 s (read timeout)",
                ErrorKind::Timeout,
            ),
            (
                ErrorCode::HttpRequestDenied,
                Stage::Response,
                "the host denied the request to metrics.local:8080",
                ErrorKind::Forbidden,
            ),
            (
                ErrorCode::InternalError(Some(
                    "host 10.0.0.1:80 is not allowed for datasource \"abc\"".into(),
                )),
                Stage::Response,
                "host 10.0.0.1:80 is not allowed for datasource \"abc\"",
                ErrorKind::Forbidden,
            ),
            (
                ErrorCode::HttpRequestUriInvalid,
                Stage::Response,
                "invalid URL \"http://metrics.local:8080/x\": the host refused it as invalid",
                ErrorKind::BadRequest,
            ),
            (
                ErrorCode::TlsCertificateError,
                Stage::Response,
                "HTTP request to metrics.local:8080 failed: ErrorCode::TlsCertificateError",
                ErrorKind::Downstream,
            ),
            (
                ErrorCode::InternalError(None),
                Stage::Body,
                "HTTP request to metrics.local:8080 failed: ErrorCode::InternalError(None)",
                ErrorKind::Downstream,
            ),
        ];
        for (code, stage, message, kind) in cases {
            let debug = format!("{code:?}");
            let http = from_code(code, &url, limit, stage);
            assert_eq!(http.to_string(), message, "{debug}");
            let err = Error::from(http);
            assert_eq!((err.kind(), err.message()), (kind, message), "{debug}");
        }
    }

    #[test]
    fn timeouts_without_a_limit_and_odd_limits() {
        let url = Url::parse("https://h/").unwrap();
        let err = from_code(ErrorCode::ConnectionTimeout, &url, None, Stage::Response);
        assert_eq!(err.to_string(), "no answer from h:443 (connect timeout)");
        let err = from_code(
            ErrorCode::ConnectionTimeout,
            &url,
            Some(Duration::from_millis(1500)),
            Stage::Response,
        );
        assert_eq!(
            err.to_string(),
            "no answer from h:443 within 1500 ms (connect timeout)"
        );
        let err = from_code(
            ErrorCode::ConnectionTimeout,
            &url,
            Some(Duration::from_micros(1)),
            Stage::Response,
        );
        assert_eq!(
            err.to_string(),
            "no answer from h:443 within 1µs (connect timeout)"
        );
    }

    #[test]
    fn sdk_side_errors() {
        let cases = [
            (
                HttpError::TooManyRedirects {
                    url: "http://a/".into(),
                    max: 5,
                },
                "too many redirects (more than 5) from http://a/",
                ErrorKind::Downstream,
            ),
            (
                HttpError::Unavailable,
                "HTTP is only available inside the Quarry host (in a native unit test, install a \
                 fake transport with quarry_guest::http::testing::fake_transport)",
                ErrorKind::Internal,
            ),
            (
                HttpError::Decode {
                    url: "http://a/x".into(),
                    encoding: "gzip".into(),
                    reason: "invalid gzip header".into(),
                },
                "cannot decode the gzip response from http://a/x: invalid gzip header",
                ErrorKind::Downstream,
            ),
            (
                HttpError::InvalidHeader {
                    name: "host".into(),
                    reason: "the host does not let modules set it".into(),
                },
                "invalid request header \"host\": the host does not let modules set it",
                ErrorKind::BadRequest,
            ),
        ];
        for (http, message, kind) in cases {
            assert_eq!(http.to_string(), message);
            let err = Error::from(http);
            assert_eq!((err.kind(), err.message()), (kind, message));
        }
    }
}
