//! A small blocking HTTP client over `wasi:http/outgoing-handler`: requests go through the host,
//! which lets a module reach its datasource's allowed hosts only.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use quarry_guest::http::{self, encode_component};
//!
//! #[derive(serde::Deserialize)]
//! struct Latest {
//!     value: f64,
//! }
//!
//! # fn main() -> Result<(), quarry_guest::Error> {
//! let url = format!("https://metrics.local/latest?metric={}", encode_component("cpu load"));
//! let response = http::Request::get(url)
//!     .header("Accept", "application/json")
//!     .timeout(Duration::from_secs(10))
//!     .send()?;
//! if response.status == 200 {
//!     let latest: Latest = response.json()?;
//!     println!("{}", latest.value);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # What the host does
//!
//! - It checks every request against the datasource's allowed hosts; a refused request fails with
//!   [`HttpError::Host`] naming the host and what is allowed.
//! - It attaches the credentials the module declared with
//!   [`SecretGrant::bearer_token`](crate::SecretGrant::bearer_token) or
//!   [`SecretGrant::header`](crate::SecretGrant::header), so the module never holds them.
//! - It caps timeouts and the response size.
//!
//! Redirects are followed here, one new request per hop, so the host checks every hop like any
//! other request. Requests ask for `Accept-Encoding: gzip, deflate` (unless the module sets its
//! own) and such responses are decoded before [`Request::send`] returns them, with
//! `Content-Encoding` and `Content-Length` removed.
//!
//! Off wasm (a module's native unit tests) there is no host: [`Request::send`] fails with
//! [`HttpError::Unavailable`] unless the test installs a fake transport with
//! [`testing::fake_transport`], which then answers every request the module makes.

mod encoding;
mod error;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
mod url;
#[cfg(target_arch = "wasm32")]
mod wasi;

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;

pub use self::encoding::MAX_DECODED_BYTES;
pub use self::error::{HttpError, TimeoutPhase};
pub use self::url::{Url, decode_component, decode_query_component, encode_component};
use crate::Error;

/// The redirects [`Request::send`] follows unless told otherwise.
pub const DEFAULT_MAX_REDIRECTS: u32 = 5;

/// Request headers a cross-origin redirect does not carry on.
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

/// An HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`.
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method's name, `GET`, `POST`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An HTTP request, built step by step and sent with [`send`](Self::send).
///
/// `Debug` prints header names only: a module that reads a secret may put it in a header.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    timeout: Option<Duration>,
    max_redirects: u32,
}

impl Request {
    /// A `method` request to `url` (an absolute `http://` or `https://` URL), with no headers and
    /// no body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout: None,
            max_redirects: DEFAULT_MAX_REDIRECTS,
        }
    }

    /// A `GET` request to `url`.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    /// A `POST` request to `url` with `body` (set `Content-Type` with [`header`](Self::header)).
    pub fn post(url: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        Self::new(Method::Post, url).body(body)
    }

    /// Adds a header (a repeated name adds another value).
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Limits each wait of each request (redirect hops included): connecting, the first byte of
    /// the response, and the gaps between the bytes of the body. The host may cap it further.
    ///
    /// # Default
    ///
    /// None of its own: the host's limits apply.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How many redirects (301, 302, 303, 307, 308 with a `Location`) to follow; `0` returns the
    /// redirect response itself.
    ///
    /// # Default
    ///
    /// [`DEFAULT_MAX_REDIRECTS`] (5).
    #[must_use]
    pub fn max_redirects(mut self, max: u32) -> Self {
        self.max_redirects = max;
        self
    }

    /// Sends the request and reads the whole response, following redirects.
    ///
    /// Each redirect hop is a new request (so the host checks it like any other). A 303, and a
    /// 301 or 302 answering a `POST`, turn the next request into a `GET` without a body. A hop to
    /// another scheme, host or port drops the `Authorization`, `Cookie` and
    /// `Proxy-Authorization` headers the module set (the host's own credentials are attached
    /// per allowed host anyway).
    ///
    /// A response with any status is `Ok`; check [`Response::status`].
    ///
    /// # Errors
    ///
    /// An [`HttpError`] when the URL is invalid, the request could not be made or answered, or
    /// redirects went on for longer than [`max_redirects`](Self::max_redirects).
    pub fn send(&self) -> Result<Response, HttpError> {
        let mut url = Url::parse(&self.url)?;
        let mut method = self.method;
        let mut body: &[u8] = &self.body;
        let mut headers: Cow<'_, [(String, String)]> = Cow::Borrowed(&self.headers);
        if !has_header(&headers, "accept-encoding") {
            headers.to_mut().push((
                "Accept-Encoding".to_owned(),
                encoding::ACCEPT_ENCODING.to_owned(),
            ));
        }
        let mut followed = 0;
        loop {
            let mut response = transport(method, &url, &headers, body, self.timeout)?;
            let Some((location, next_method)) = redirect(&response, method, self.max_redirects)
            else {
                encoding::decode(&mut response)?;
                return Ok(response);
            };
            if followed == self.max_redirects {
                return Err(HttpError::TooManyRedirects {
                    url: self.url.clone(),
                    max: self.max_redirects,
                });
            }
            followed += 1;
            let next = url.join(location)?;
            if next_method != method {
                body = &[];
                headers = Cow::Owned(without(&headers, &["content-type", "content-length"]));
            }
            if !next.same_origin(&url) {
                headers = Cow::Owned(without(&headers, &CREDENTIAL_HEADERS));
            }
            method = next_method;
            url = next;
        }
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(name, _)| name)
                    .collect::<Vec<_>>(),
            )
            .field("body_bytes", &self.body.len())
            .field("timeout", &self.timeout)
            .field("max_redirects", &self.max_redirects)
            .finish()
    }
}

/// If `response` is a redirect to follow, its `Location` and the next request's method.
fn redirect(response: &Response, method: Method, max_redirects: u32) -> Option<(&str, Method)> {
    if max_redirects == 0 {
        return None;
    }
    let next_method = match (response.status, method) {
        (303, Method::Head) => Method::Head,
        (303, _) | (301 | 302, Method::Post) => Method::Get,
        (301 | 302 | 307 | 308, method) => method,
        _ => return None,
    };
    Some((response.header("location")?, next_method))
}

fn has_header(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// `headers` without those named (case-insensitively) in `names`.
fn without(headers: &[(String, String)], names: &[&str]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| !names.iter().any(|n| name.eq_ignore_ascii_case(n)))
        .cloned()
        .collect()
}

/// One request, no redirects: through `wasi:http` inside the host.
#[cfg(target_arch = "wasm32")]
fn transport(
    method: Method,
    url: &Url,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Option<Duration>,
) -> Result<Response, HttpError> {
    wasi::send(method, url, headers, body, timeout)
}

/// One request, no redirects: off wasm there is no host, only a test's fake transport.
#[cfg(not(target_arch = "wasm32"))]
fn transport(
    method: Method,
    url: &Url,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Option<Duration>,
) -> Result<Response, HttpError> {
    testing::send(testing::SentRequest {
        method,
        url: url.to_string(),
        headers: headers.to_vec(),
        body: body.to_vec(),
        timeout,
    })
}

/// An HTTP response, read whole.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers in the order received; names are lower case as the host passes them.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The URL that answered: the last one of a redirect chain.
    pub url: String,
}

impl Response {
    /// A response with `status` and `body` and no headers, as a fake transport answers.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
            url: String::new(),
        }
    }

    /// A `status` response whose body is `value` as JSON, with `content-type:
    /// application/json`.
    ///
    /// # Panics
    ///
    /// When `value` cannot be serialized (a map with non-string keys, say).
    pub fn from_json(status: u16, value: &impl serde::Serialize) -> Self {
        let body = serde_json::to_vec(value).expect("a fake response body must serialize");
        Self::new(status, body).with_header("content-type", "application/json")
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The standard reason phrase of the status (`Service Unavailable` for 503), if it has one.
    pub fn reason(&self) -> Option<&'static str> {
        reason_phrase(self.status)
    }

    /// The body as text; invalid UTF-8 becomes `U+FFFD`.
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// Parses the body as JSON.
    ///
    /// ```
    /// use quarry_guest::http::Response;
    ///
    /// let response = Response {
    ///     status: 200,
    ///     headers: Vec::new(),
    ///     body: b"<html>".to_vec(),
    ///     url: "http://h/".into(),
    /// };
    /// let err = response.json::<serde_json::Value>().unwrap_err();
    /// assert_eq!(err.to_string(), "response is not valid JSON: expected value at line 1 column 1");
    /// ```
    ///
    /// # Errors
    ///
    /// A downstream error naming what was wrong: `response is not valid JSON: ...` for a syntax
    /// error, `unexpected response JSON: ...` (such as `missing field `values``) when the JSON
    /// does not fit `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|err| {
            use serde_json::error::Category;

            let what = match err.classify() {
                Category::Data => "unexpected response JSON",
                Category::Syntax | Category::Eof | Category::Io => "response is not valid JSON",
            };
            Error::downstream(format!("{what}: {err}"))
        })
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_bytes", &self.body.len())
            .field("url", &self.url)
            .finish()
    }
}

/// The standard reason phrase of an HTTP status code.
fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        511 => "Network Authentication Required",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|&(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
            url: "http://h/".into(),
        }
    }

    #[test]
    fn builder() {
        let request = Request::post("http://h/x", "{}")
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer s3cret")
            .timeout(Duration::from_secs(3))
            .max_redirects(0);
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.body, b"{}");
        assert_eq!(request.headers.len(), 2);
        assert_eq!(request.timeout, Some(Duration::from_secs(3)));
        assert_eq!(request.max_redirects, 0);
        let debug = format!("{request:?}");
        assert!(debug.contains("Authorization"), "{debug}");
        assert!(!debug.contains("s3cret"), "{debug}");

        let get = Request::get("http://h/");
        assert_eq!((get.method, get.max_redirects), (Method::Get, 5));
        assert!(get.body.is_empty());
        assert_eq!(Method::Delete.to_string(), "DELETE");
    }

    #[test]
    fn send_off_wasm_is_unavailable() {
        let err = Request::get("http://h/").send().unwrap_err();
        assert_eq!(err, HttpError::Unavailable);
        assert!(
            Error::from(err)
                .to_string()
                .starts_with("HTTP is only available inside the Quarry host"),
        );
        // The URL is checked first.
        let err = Request::get("h/").send().unwrap_err();
        assert!(matches!(err, HttpError::InvalidUrl { .. }), "{err:?}");
    }

    #[test]
    fn redirects_to_follow() {
        use Method::{Get, Head, Post, Put};

        let cases: &[(u16, Method, Option<Method>)] = &[
            (301, Get, Some(Get)),
            (302, Get, Some(Get)),
            (303, Get, Some(Get)),
            (307, Get, Some(Get)),
            (308, Get, Some(Get)),
            (301, Post, Some(Get)),
            (302, Post, Some(Get)),
            (303, Post, Some(Get)),
            (307, Post, Some(Post)),
            (308, Post, Some(Post)),
            (303, Put, Some(Get)),
            (301, Put, Some(Put)),
            (303, Head, Some(Head)),
            (300, Get, None),
            (304, Get, None),
            (305, Get, None),
            (200, Get, None),
            (404, Get, None),
        ];
        for &(status, method, want) in cases {
            let with_location = response(status, &[("Location", "/next")], "");
            let got = redirect(&with_location, method, 5);
            assert_eq!(got, want.map(|m| ("/next", m)), "{status} after {method}");
            // Without a Location, or with redirects off, the response is the answer.
            assert_eq!(redirect(&response(status, &[], ""), method, 5), None);
            assert_eq!(redirect(&with_location, method, 0), None);
        }
    }

    #[test]
    fn headers_dropped_on_hops() {
        let headers = vec![
            ("Authorization".to_owned(), "x".to_owned()),
            ("COOKIE".to_owned(), "c".to_owned()),
            ("Content-Type".to_owned(), "t".to_owned()),
            ("Accept".to_owned(), "a".to_owned()),
        ];
        let kept: Vec<_> = without(&headers, &CREDENTIAL_HEADERS)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(kept, ["Content-Type", "Accept"]);
        let kept: Vec<_> = without(&headers, &["content-type", "content-length"])
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(kept, ["Authorization", "COOKIE", "Accept"]);
    }

    #[test]
    fn response_helpers() {
        let r = response(
            503,
            &[
                ("content-type", "application/json"),
                ("X-A", "1"),
                ("x-a", "2"),
            ],
            r#"{"a": 1}"#,
        );
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        assert_eq!(r.header("x-a"), Some("1"));
        assert_eq!(r.header("missing"), None);
        assert!(!r.is_success());
        assert!(response(204, &[], "").is_success());
        assert_eq!(r.reason(), Some("Service Unavailable"));
        assert_eq!(response(599, &[], "").reason(), None);
        assert_eq!(r.text(), r#"{"a": 1}"#);
        let value: serde_json::Value = r.json().unwrap();
        assert_eq!(value, serde_json::json!({"a": 1}));
        let debug = format!("{r:?}");
        assert!(debug.contains("body_bytes: 8"), "{debug}");
    }

    #[test]
    fn json_errors_name_the_problem() {
        #[derive(Debug, serde::Deserialize)]
        struct Shape {
            #[expect(dead_code, reason = "only its presence is checked")]
            values: Vec<f64>,
        }

        let cases = [
            (
                "",
                "response is not valid JSON: EOF while parsing a value at line 1 column 0",
            ),
            (
                "<html>",
                "response is not valid JSON: expected value at line 1 column 1",
            ),
            (
                "{\"values\": [1,",
                "response is not valid JSON: EOF while parsing a value at line 1 column 14",
            ),
            (
                "{}",
                "unexpected response JSON: missing field `values` at line 1 column 2",
            ),
            (
                "{\"values\": \"x\"}",
                "unexpected response JSON: invalid type: string \"x\", expected a sequence at line 1 column 14",
            ),
        ];
        for (body, message) in cases {
            let err = response(200, &[], body).json::<Shape>().unwrap_err();
            assert_eq!(
                (err.kind(), err.message()),
                (ErrorKind::Downstream, message),
                "{body:?}"
            );
        }
        let text = response(200, &[], "").text().into_owned();
        assert_eq!(text, "");
        let lossy = Response {
            body: vec![b'a', 0xFF],
            ..response(200, &[], "")
        };
        assert_eq!(lossy.text(), "a\u{FFFD}");
    }
}
