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
}

impl AllowedHost {
    /// Parses `host`, `host:port`, `host:*` or a URL (`http://host[:port]/…`, whose scheme gives
    /// the default port). A bare host allows ports 80 and 443 only.
    pub fn parse(entry: &str) -> Result<Vec<AllowedHost>, String> {
        let entry = entry.trim();
        let (rest, default_port) = if let Some(r) = entry.strip_prefix("https://") {
            (r, Some(443))
        } else if let Some(r) = entry.strip_prefix("http://") {
            (r, Some(80))
        } else {
            (entry, None)
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

    fn matches(&self, host: &str, port: u16) -> bool {
        self.host == host && self.port.is_none_or(|p| p == port)
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

    /// Why a request to `host:port` is refused, if it is.
    pub fn check(&self, host: &str, port: u16) -> Result<(), String> {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if self.allowed.iter().any(|a| a.matches(&host, port)) {
            return Ok(());
        }
        Err(format!(
            "host {host}:{port} is not allowed for datasource {:?} (allowed: {})",
            self.datasource_uid,
            if self.allowed.is_empty() {
                "none; set the datasource URL, jsonData.endpoint or jsonData.allowedHosts"
                    .to_string()
            } else {
                self.allowed
                    .iter()
                    .map(|a| match a.port {
                        Some(p) => format!("{}:{p}", a.host),
                        None => format!("{}:*", a.host),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ))
    }
}

/// The `WasiHttpHooks` of one module store: enforces the store's current policy.
#[derive(Debug, Clone, Default)]
pub(crate) struct PolicyHooks {
    pub(crate) policy: Arc<HttpPolicy>,
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
        Box::new(async move {
            let uri = request.uri();
            let Some(host) = uri.host().map(str::to_string) else {
                return Err(HttpError::HttpRequestUriInvalid);
            };
            let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
            let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
            if let Err(why) = policy.check(&host, port) {
                tracing::warn!(dsUid = %policy.datasource_uid, "{why}");
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
            assert_eq!(p.check(host, port).is_ok(), want, "{host}:{port}");
        }
    }

    #[test]
    fn refusal_names_host_and_datasource() {
        let err = policy(&["a.local:1"]).check("b.local", 2).unwrap_err();
        assert!(
            err.contains("host b.local:2 is not allowed for datasource \"ds\""),
            "{err}"
        );
        let none = HttpPolicy::default()
            .with_datasource("x")
            .check("b.local", 2)
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
                    port: Some(81)
                }
        );
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
