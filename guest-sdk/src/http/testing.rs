//! A fake transport for a module's native unit tests: the module's HTTP code runs unchanged,
//! and the test answers its requests (redirects and `Content-Encoding` are handled as inside
//! the host, since they live above the transport).
//!
//! ```
//! use quarry_guest::http::{self, Response, testing};
//!
//! let _fake = testing::fake_transport(|request| {
//!     assert_eq!(request.header("accept"), Some("application/json"));
//!     match request.path() {
//!         "/latest?metric=cpu" => Ok(Response::from_json(200, &serde_json::json!({"value": 0.5}))),
//!         _ => Ok(Response::new(404, "no such metric")),
//!     }
//! });
//! let response = http::Request::get("http://metrics.local/latest?metric=cpu")
//!     .header("Accept", "application/json")
//!     .send()?;
//! assert_eq!(response.json::<serde_json::Value>()?["value"], 0.5);
//! assert_eq!(testing::requests_sent(), 1);
//! # Ok::<(), quarry_guest::Error>(())
//! ```
//!
//! The fake belongs to the test's thread (Rust runs each test on its own thread), and is removed
//! when the returned guard is dropped. Only available off wasm.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::time::Duration;

use super::{HttpError, Method, Response};

type Handler = Box<dyn Fn(&SentRequest) -> Result<Response, HttpError>>;

thread_local! {
    static FAKE: RefCell<Option<Handler>> = const { RefCell::new(None) };
    static SENT: Cell<usize> = const { Cell::new(0) };
}

/// One request as the module sent it: one hop, after the client added its headers.
#[derive(Clone, PartialEq, Eq)]
pub struct SentRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL, normalized (`http://host/path?query`).
    pub url: String,
    /// The headers in order, `Accept-Encoding` included.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The timeout the module set, if any.
    pub timeout: Option<Duration>,
}

impl SentRequest {
    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The path and query of the URL (`/query?metric=cpu`).
    pub fn path(&self) -> &str {
        let after_scheme = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, r)| r);
        after_scheme.find('/').map_or("/", |i| &after_scheme[i..])
    }
}

impl fmt::Debug for SentRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// Removes the fake transport when dropped (restoring the one installed before, if any).
#[must_use = "the fake transport is removed when the guard is dropped"]
pub struct FakeTransport {
    previous: Option<Handler>,
}

impl fmt::Debug for FakeTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeTransport").finish_non_exhaustive()
    }
}

impl Drop for FakeTransport {
    fn drop(&mut self) {
        let previous = self.previous.take();
        FAKE.with(|fake| *fake.borrow_mut() = previous);
    }
}

/// Answers every HTTP request this thread's module code makes with `answer`, until the guard is
/// dropped. Return `Err` (such as [`HttpError::ConnectionRefused`]) to simulate a failure.
pub fn fake_transport(
    answer: impl Fn(&SentRequest) -> Result<Response, HttpError> + 'static,
) -> FakeTransport {
    SENT.with(|sent| sent.set(0));
    let previous = FAKE.with(|fake| fake.borrow_mut().replace(Box::new(answer)));
    FakeTransport { previous }
}

/// How many requests (redirect hops included) reached the fake transport since it was installed.
pub fn requests_sent() -> usize {
    SENT.with(Cell::get)
}

/// Sends one request to the fake transport, or fails as unavailable without one.
pub(super) fn send(request: SentRequest) -> Result<Response, HttpError> {
    FAKE.with(|fake| {
        let fake = fake.borrow();
        let answer = fake.as_ref().ok_or(HttpError::Unavailable)?;
        SENT.with(|sent| sent.set(sent.get() + 1));
        let mut response = answer(&request)?;
        if response.url.is_empty() {
            response.url = request.url.clone();
        }
        Ok(response)
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::http::Request;

    #[test]
    fn redirects_and_gzip_go_through_the_fake() {
        let _fake = fake_transport(|request| {
            Ok(match request.path() {
                "/old" => Response::new(301, "").with_header("Location", "/new"),
                "/new" => {
                    assert_eq!(request.header("accept-encoding"), Some("gzip, deflate"));
                    let mut gz =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    gz.write_all(b"hello, compressed").unwrap();
                    Response::new(200, gz.finish().unwrap()).with_header("Content-Encoding", "gzip")
                }
                other => panic!("unexpected {other}"),
            })
        });
        let response = Request::get("http://api.local/old").send().unwrap();
        assert_eq!(response.text(), "hello, compressed");
        assert_eq!(response.url, "http://api.local/new");
        assert_eq!(response.header("content-encoding"), None);
        assert_eq!(requests_sent(), 2);
    }

    #[test]
    fn module_headers_win_and_errors_pass_through() {
        let _fake = fake_transport(|request| {
            assert_eq!(request.header("accept-encoding"), Some("identity"));
            assert_eq!(request.method, Method::Post);
            assert_eq!(request.body, b"{}");
            Err(HttpError::ConnectionRefused {
                authority: "api.local:80".into(),
            })
        });
        let err = Request::post("http://api.local/x", "{}")
            .header("Accept-Encoding", "identity")
            .send()
            .unwrap_err();
        assert_eq!(err.to_string(), "connection refused by api.local:80");
    }

    #[test]
    fn guards_restore_the_previous_fake() {
        let _outer = fake_transport(|_| Ok(Response::new(200, "outer")));
        {
            let _inner = fake_transport(|_| Ok(Response::new(200, "inner")));
            assert_eq!(Request::get("http://h/").send().unwrap().text(), "inner");
        }
        assert_eq!(Request::get("http://h/").send().unwrap().text(), "outer");
        drop(_outer);
        assert_eq!(
            Request::get("http://h/").send().unwrap_err(),
            HttpError::Unavailable
        );
    }
}
