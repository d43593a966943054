//! Outbound HTTP for modules (`wasi:http/outgoing-handler`), with the host in control: every
//! request — each redirect hop is a new request — goes only to the datasource's allowed hosts,
//! under the datasource's timeout and response-size cap, with credentials the host attaches so
//! the module never holds them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use http_body_util::BodyExt as _;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiHttpHooks};

/// A body as wasmtime-wasi-http passes it around.
type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, HttpError>;
type SendResult = wasmtime_wasi_http::Result<(
    http::Response<Body>,
    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
)>;

/// One host (and port) a datasource's module may connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// Lower-case host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// `None` allows any port.
    pub port: Option<u16>,
    /// Set for URL entries (`Some(true)` = https only): `https://api` cannot then be reached,
    /// and sent credentials, over plain `http://api:443`.
    pub https: Option<bool>,
}

impl AllowedHost {
    /// Parses `host`, `host:port`, `host:*` or a URL (`http://host[:port]/…`, whose scheme gives
    /// the default port and is then required). A bare host allows ports 80 and 443 only.
    pub fn parse(entry: &str) -> Result<Vec<AllowedHost>, String> {
        let entry = entry.trim();
        let (rest, default_port, https) = if let Some(r) = entry.strip_prefix("https://") {
            (r, Some(443), Some(true))
        } else if let Some(r) = entry.strip_prefix("http://") {
            (r, Some(80), Some(false))
        } else {
            (entry, None, None)
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let (host, port) = split_host_port(authority);
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(format!("{entry:?} names no host"));
        }
        let host = host.to_ascii_lowercase();
        let one = |port| AllowedHost {
            host: host.clone(),
            port,
            https,
        };
        match (port, default_port) {
            (Some("*"), _) => Ok(vec![one(None)]),
            (Some(p), _) => p
                .parse()
                .map(|p| vec![one(Some(p))])
                .map_err(|_| format!("{entry:?} has an invalid port {p:?}")),
            (None, Some(d)) => Ok(vec![one(Some(d))]),
            (None, None) => Ok(vec![one(Some(80)), one(Some(443))]),
        }
    }

    fn matches(&self, host: &str, port: u16, https: bool) -> bool {
        self.host == host
            && self.port.is_none_or(|p| p == port)
            && self.https.is_none_or(|s| s == https)
    }

    fn describe(&self) -> String {
        let scheme = match self.https {
            Some(true) => "https://",
            Some(false) => "http://",
            None => "",
        };
        match self.port {
            Some(p) => format!("{scheme}{}:{p}", self.host),
            None => format!("{scheme}{}:*", self.host),
        }
    }
}

/// Splits `host[:port]`, understanding `[v6]:port`.
fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if let Some(rest) = authority.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((h, tail)) => (h, tail.strip_prefix(':')),
            None => (rest, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (authority, None),
    }
}

/// What a datasource's module may do over HTTP.
///
/// # Default
/// Nothing: no allowed hosts (every request is refused), 30 s per request, 16 MiB per response
/// body, no credentials.
#[derive(Clone)]
pub struct HttpPolicy {
    pub(crate) datasource_uid: String,
    pub(crate) allowed: Vec<AllowedHost>,
    pub(crate) timeout: Duration,
    pub(crate) max_response_bytes: u64,
    /// Headers the host adds to every allowed request (values come from secure settings).
    pub(crate) credentials: Vec<(HeaderName, HeaderValue)>,
}

impl std::fmt::Debug for HttpPolicy {
    // Credential values are secrets: only the header names are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpPolicy")
            .field("datasource_uid", &self.datasource_uid)
            .field("allowed", &self.allowed)
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field(
                "credential_headers",
                &self.credentials.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy {
            datasource_uid: String::new(),
            allowed: Vec::new(),
            timeout: Duration::from_secs(30),
            max_response_bytes: 16 << 20,
            credentials: Vec::new(),
        }
    }
}

impl HttpPolicy {
    pub fn with_datasource(mut self, uid: impl Into<String>) -> Self {
        self.datasource_uid = uid.into();
        self
    }

    pub fn with_allowed(mut self, hosts: impl IntoIterator<Item = AllowedHost>) -> Self {
        self.allowed.extend(hosts);
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn with_max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    pub fn with_credential(mut self, name: HeaderName, mut value: HeaderValue) -> Self {
        value.set_sensitive(true);
        self.credentials.push((name, value));
        self
    }

    /// Why a request to `host:port` (over https or not) is refused, if it is.
    pub fn check(&self, host: &str, port: u16, https: bool) -> Result<(), String> {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if self.allowed.iter().any(|a| a.matches(&host, port, https)) {
            return Ok(());
        }
        let scheme = if https { "https" } else { "http" };
        let allowed = if self.allowed.is_empty() {
            "none; set the datasource URL, jsonData.endpoint or jsonData.allowedHosts".to_string()
        } else {
            let all: Vec<String> = self.allowed.iter().map(AllowedHost::describe).collect();
            all.join(", ")
        };
        Err(format!(
            "host {host}:{port} ({scheme}) is not allowed for datasource {:?} (allowed: {allowed})",
            self.datasource_uid,
        ))
    }
}

/// The `WasiHttpHooks` of one module store: enforces the store's current policy.
#[derive(Debug, Clone, Default)]
pub(crate) struct PolicyHooks {
    pub(crate) policy: Arc<HttpPolicy>,
    /// Refusals logged by this store, so a looping module cannot flood Grafana's log.
    refusals_logged: u32,
}

/// Refused requests logged per store; later ones still fail, just not in the log.
const MAX_REFUSALS_LOGGED: u32 = 10;

impl PolicyHooks {
    pub(crate) fn new(policy: Arc<HttpPolicy>) -> Self {
        PolicyHooks {
            policy,
            refusals_logged: 0,
        }
    }

    /// Why this request may not leave the host, if so.
    fn refuse(&self, request: &http::Request<Body>) -> Option<String> {
        let method = request.method();
        if method == http::Method::TRACE || method == http::Method::CONNECT {
            // TRACE would echo the credentials the host attaches back into the module.
            return Some(format!("HTTP method {method} is not allowed for modules"));
        }
        let uri = request.uri();
        let Some(host) = uri.host() else {
            return Some("the request URL has no host".to_string());
        };
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Some("credentials in the request URL are not allowed".to_string());
        }
        let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        self.policy.check(host, port, https).err()
    }
}

impl WasiHttpHooks for PolicyHooks {
    fn send_request(
        &mut self,
        mut request: http::Request<Body>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        drop(fut);
        let policy = self.policy.clone();
        let refused = self.refuse(&request);
        if let Some(why) = &refused
            && self.refusals_logged < MAX_REFUSALS_LOGGED
        {
            self.refusals_logged += 1;
            tracing::warn!(dsUid = %policy.datasource_uid, "module HTTP request refused: {why}");
        }
        Box::new(async move {
            if let Some(why) = refused {
                return Err(HttpError::InternalError(Some(why)));
            }
            for (name, value) in &policy.credentials {
                request.headers_mut().insert(name.clone(), value.clone());
            }
            let cap =
                |t: Option<Duration>| Some(t.map_or(policy.timeout, |t| t.min(policy.timeout)));
            let options = RequestOptions {
                connect_timeout: cap(options.and_then(|o| o.connect_timeout)),
                first_byte_timeout: cap(options.and_then(|o| o.first_byte_timeout)),
                between_bytes_timeout: cap(options.and_then(|o| o.between_bytes_timeout)),
            };
            let (response, io) =
                wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
            let max = policy.max_response_bytes;
            let response = response.map(|body| {
                http_body_util::Limited::new(body, usize::try_from(max).unwrap_or(usize::MAX))
                    .map_err(move |e| match e.downcast::<HttpError>() {
                        Ok(inner) => *inner,
                        Err(_) => HttpError::HttpResponseBodySize(Some(max)),
                    })
                    .boxed_unsync()
            });
            Ok((response, Box::new(io) as Box<dyn Future<Output = _> + Send>))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(entries: &[&str]) -> HttpPolicy {
        let mut p = HttpPolicy::default().with_datasource("ds");
        for e in entries {
            p = p.with_allowed(AllowedHost::parse(e).unwrap());
        }
        p
    }

    #[test]
    fn allow_list_matches_host_and_port() {
        let p = policy(&[
            "http://api.local:8080/v1",
            "https://secure.local",
            "plain.local",
            "any.local:*",
            "[::1]:9000",
        ]);
        let table = [
            ("api.local", 8080, true),
            ("API.local", 8080, true),
            ("api.local", 80, false),
            ("secure.local", 443, true),
            ("secure.local", 80, false),
            ("plain.local", 80, true),
            ("plain.local", 443, true),
            ("plain.local", 8080, false),
            ("any.local", 1, true),
            ("::1", 9000, true),
            ("[::1]", 9000, true),
            ("evil.local", 80, false),
            ("api.local.evil", 8080, false),
        ];
        for (host, port, want) in table {
            let https = port == 443;
            assert_eq!(p.check(host, port, https).is_ok(), want, "{host}:{port}");
        }
        // URL entries pin their scheme: no plain HTTP to an https endpoint's port.
        assert!(p.check("secure.local", 443, false).is_err());
        assert!(p.check("api.local", 8080, true).is_err());
        assert!(p.check("plain.local", 443, false).is_ok());
    }

    #[test]
    fn refusal_names_host_and_datasource() {
        let err = policy(&["a.local:1"])
            .check("b.local", 2, false)
            .unwrap_err();
        assert!(
            err.contains("host b.local:2 (http) is not allowed for datasource \"ds\""),
            "{err}"
        );
        let none = HttpPolicy::default()
            .with_datasource("x")
            .check("b.local", 2, false)
            .unwrap_err();
        assert!(none.contains("allowed: none"), "{none}");
    }

    #[test]
    fn bad_entries_are_reported() {
        assert!(AllowedHost::parse("").is_err());
        assert!(AllowedHost::parse("host:notaport").is_err());
        assert!(
            AllowedHost::parse("http://user:pw@h.local:81/x").unwrap()[0]
                == AllowedHost {
                    host: "h.local".into(),
                    port: Some(81),
                    https: Some(false),
                }
        );
    }

    fn request(method: http::Method, uri: &str) -> http::Request<Body> {
        let body = http_body_util::Empty::<Bytes>::new()
            .map_err(|never| match never {})
            .boxed_unsync();
        http::Request::builder()
            .method(method)
            .uri(uri)
            .body(body)
            .unwrap()
    }

    #[test]
    fn hooks_refuse_what_could_leak_or_escape() {
        let hooks = PolicyHooks::new(Arc::new(policy(&["https://api.local", "plain.local"])));
        let table = [
            (http::Method::GET, "https://api.local/x", None),
            (http::Method::POST, "http://plain.local/x", None),
            (
                http::Method::TRACE,
                "https://api.local/x",
                Some("method TRACE"),
            ),
            (
                http::Method::CONNECT,
                "https://api.local/x",
                Some("method CONNECT"),
            ),
            (
                http::Method::GET,
                "https://user:pw@api.local/x",
                Some("credentials in the request URL"),
            ),
            (
                http::Method::GET,
                "http://api.local:443/x",
                Some("(http) is not allowed"),
            ),
            (
                http::Method::GET,
                "https://other.local/x",
                Some("host other.local:443 (https) is not allowed"),
            ),
        ];
        for (method, uri, want) in table {
            let got = hooks.refuse(&request(method.clone(), uri));
            match want {
                None => assert_eq!(got, None, "{method} {uri}"),
                Some(w) => assert!(
                    got.as_deref().is_some_and(|g| g.contains(w)),
                    "{method} {uri}: {got:?}"
                ),
            }
        }
    }

    #[test]
    fn debug_hides_credential_values() {
        let p = HttpPolicy::default().with_credential(
            http::header::AUTHORIZATION,
            HeaderValue::from_static("Bearer s3cret"),
        );
        assert!(!format!("{p:?}").contains("s3cret"));
    }
}
