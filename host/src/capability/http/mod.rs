//! Outbound HTTP for modules (`wasi:http/outgoing-handler`), with the host in control: every
//! request — each redirect hop is a new request — goes only to the datasource's allowed hosts,
//! and only to addresses the allow-list permits after DNS, under the datasource's timeout,
//! response-size cap and in-flight limit, with credentials the host attaches for the origins the
//! operator granted them to, so the module never holds them.

mod connect;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Semaphore;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiHttpHooks};

use crate::policy::http::HttpPolicy;
use crate::policy::secrets::Origin;
use crate::runtime::Meter;

/// A body as wasmtime-wasi-http passes it around.
pub(crate) type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, HttpError>;
type SendResult = wasmtime_wasi_http::Result<(
    http::Response<Body>,
    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
)>;

/// Refused requests logged per store; later ones still fail, just not in the log.
const MAX_REFUSALS_LOGGED: u32 = 10;

/// The `WasiHttpHooks` of one module store: enforces the datasource's policy.
#[derive(Debug)]
pub(crate) struct PolicyHooks {
    pub(crate) policy: Arc<HttpPolicy>,
    /// Requests in flight, at most `policy.max_connections`.
    in_flight: Arc<Semaphore>,
    /// The store's meter: response bytes count against the module's budget.
    meter: Arc<Meter>,
    refusals_logged: u32,
}

/// What the allow-list decided about one request.
struct Admitted {
    entry: crate::policy::http::AllowedHost,
    origin: Origin,
}

impl PolicyHooks {
    pub(crate) fn new(policy: Arc<HttpPolicy>, meter: Arc<Meter>) -> Self {
        let in_flight = Arc::new(Semaphore::new(policy.max_connections));
        PolicyHooks {
            policy,
            in_flight,
            meter,
            refusals_logged: 0,
        }
    }

    /// Replaces the policy (the first store of a datasource starts without credentials).
    pub(crate) fn set_policy(&mut self, policy: Arc<HttpPolicy>) {
        self.in_flight = Arc::new(Semaphore::new(policy.max_connections));
        self.policy = policy;
    }

    /// The allow-list entry and origin of a request that may leave the host, or why it may not.
    fn admit(&self, request: &http::Request<Body>) -> Result<Admitted, String> {
        let method = request.method();
        if method == http::Method::TRACE || method == http::Method::CONNECT {
            // TRACE would echo the credentials the host attaches back into the module.
            return Err(format!("HTTP method {method} is not allowed for modules"));
        }
        let uri = request.uri();
        let Some(host) = uri.host() else {
            return Err("the request URL has no host".to_string());
        };
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err("credentials in the request URL are not allowed".to_string());
        }
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") | None => false,
            Some(other) => return Err(format!("URL scheme {other:?} is not allowed")),
        };
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let entry = self.policy.check(host, port, https)?.clone();
        Ok(Admitted {
            entry,
            origin: Origin {
                https,
                host: crate::policy::http::normalize_host(host),
                port,
            },
        })
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
        let admitted = self.admit(&request).and_then(|a| {
            self.in_flight
                .clone()
                .try_acquire_owned()
                .map(|permit| (a, permit))
                .map_err(|_| {
                    format!(
                        "the module already has {} HTTP requests in flight (jsonData.maxConnections)",
                        policy.max_connections
                    )
                })
        });
        if let Err(why) = &admitted
            && self.refusals_logged < MAX_REFUSALS_LOGGED
        {
            self.refusals_logged += 1;
            tracing::warn!(dsUid = %policy.datasource_uid, "module HTTP request refused: {why}");
        }
        let meter = self.meter.clone();
        Box::new(async move {
            let (admitted, permit) = admitted.map_err(|why| HttpError::InternalError(Some(why)))?;
            // Nothing the module set may pose as the host's credential.
            for credential in &policy.credentials {
                request.headers_mut().remove(&credential.header);
            }
            for credential in policy.credentials_for(&admitted.origin) {
                request
                    .headers_mut()
                    .insert(credential.header.clone(), credential.value.clone());
            }
            let cap = |t: Option<Duration>| t.map_or(policy.timeout, |t| t.min(policy.timeout));
            let timeouts = connect::Timeouts {
                connect: cap(options.and_then(|o| o.connect_timeout)),
                first_byte: cap(options.and_then(|o| o.first_byte_timeout)),
                between_bytes: cap(options.and_then(|o| o.between_bytes_timeout)),
            };
            let (response, io) = connect::send(
                request,
                &policy,
                &admitted.entry,
                timeouts,
                meter,
                policy.max_response_bytes,
            )
            .await?;
            // The request holds its in-flight slot until its connection is done.
            let io = async move {
                let r = io.await;
                drop(permit);
                r
            };
            Ok((response, Box::new(io) as Box<dyn Future<Output = _> + Send>))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::http::AllowedHost;
    use http_body_util::BodyExt as _;

    fn hooks(entries: &[&str]) -> PolicyHooks {
        let mut p = HttpPolicy::default().with_datasource("ds");
        for e in entries {
            p = p.with_allowed(AllowedHost::parse(e).unwrap());
        }
        PolicyHooks::new(Arc::new(p), Arc::default())
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
        let hooks = hooks(&["https://api.local", "plain.local"]);
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
            (http::Method::GET, "ftp://plain.local/x", Some("scheme")),
        ];
        for (method, uri, want) in table {
            let got = hooks.admit(&request(method.clone(), uri)).err();
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
    fn the_origin_of_a_request_is_scheme_host_and_port() {
        let hooks = hooks(&["API.local:*"]);
        let a = hooks
            .admit(&request(http::Method::GET, "https://API.local/x"))
            .unwrap();
        assert_eq!(a.origin, Origin::parse("https://api.local:443").unwrap());
    }
}
