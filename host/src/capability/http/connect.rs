//! Sending one request the allow-list let through. The host resolves the name itself, refuses
//! addresses the allow-list did not name (loopback, link-local, cloud metadata services), and
//! connects to exactly an address it checked, so no second lookup (DNS rebinding) can change
//! where the request goes.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::Frame;
use http_body_util::BodyExt as _;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use wasmtime_wasi_http::Error as HttpError;

use super::Body;
use crate::policy::http::{AllowedHost, HttpPolicy};
use crate::runtime::Meter;

/// Each wait of one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub(crate) connect: Duration,
    pub(crate) first_byte: Duration,
    pub(crate) between_bytes: Duration,
}

/// A response as the hooks hand it back, and the connection's I/O.
pub(crate) type Sent = (
    http::Response<Body>,
    Pin<Box<dyn Future<Output = Result<(), HttpError>> + Send>>,
);

/// The addresses of `host` a request may go to, in resolver order, or why none may.
pub(crate) fn permitted(
    policy: &HttpPolicy,
    host: &str,
    entry: &AllowedHost,
    resolved: &[SocketAddr],
) -> Result<Vec<SocketAddr>, String> {
    let mut refusal = None;
    let ok: Vec<SocketAddr> = resolved
        .iter()
        .copied()
        .filter(|a| match policy.check_address(host, entry, a.ip()) {
            Ok(()) => true,
            Err(why) => {
                refusal.get_or_insert(why);
                false
            }
        })
        .collect();
    if ok.is_empty() {
        return Err(refusal.unwrap_or_else(|| format!("host {host} has no address")));
    }
    Ok(ok)
}

/// Sends `request` to an address of its host that `policy` permits.
pub(crate) async fn send(
    mut request: http::Request<Body>,
    policy: &HttpPolicy,
    entry: &AllowedHost,
    timeouts: Timeouts,
    meter: Arc<Meter>,
    max_response_bytes: u64,
) -> Result<Sent, HttpError> {
    let uri = request.uri().clone();
    let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
    let raw_host = uri.host().ok_or(HttpError::HttpRequestUriInvalid)?;
    let host = crate::policy::http::normalize_host(raw_host);
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });

    let resolved: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => {
            match tokio::time::timeout(
                timeouts.connect,
                tokio::net::lookup_host((host.as_str(), port)),
            )
            .await
            {
                Err(_) => return Err(HttpError::DnsTimeout),
                Ok(Err(e)) => {
                    return Err(HttpError::DnsError {
                        rcode: Some(e.to_string()),
                        info_code: None,
                    });
                }
                Ok(Ok(addrs)) => addrs.collect(),
            }
        }
    };
    let addrs = permitted(policy, &host, entry, &resolved)
        .map_err(|why| HttpError::InternalError(Some(why)))?;

    let stream = connect_any(&addrs, timeouts.connect).await?;
    let io: Box<dyn Io> = if https {
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|_| HttpError::HttpRequestUriInvalid)?;
        let tls = tokio_rustls::TlsConnector::from(tls_config())
            .connect(name, stream)
            .await
            .map_err(|e| {
                if e.to_string().contains("certificate") {
                    HttpError::TlsCertificateError
                } else {
                    HttpError::TlsProtocolError
                }
            })?;
        Box::new(tls)
    } else {
        Box::new(stream)
    };
    let (mut sender, conn) = tokio::time::timeout(
        timeouts.connect,
        hyper::client::conn::http1::Builder::new().handshake(TokioIo::new(io)),
    )
    .await
    .map_err(|_| HttpError::ConnectionTimeout)?
    .map_err(|_| HttpError::ConnectionTerminated)?;

    // Origin form on the wire: the Host header (set by wasi-http) carries the authority.
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    *request.uri_mut() = path.parse().map_err(|_| HttpError::HttpRequestUriInvalid)?;
    let request = request.map(|body| {
        SentBody {
            inner: body,
            meter: meter.clone(),
        }
        .boxed_unsync()
    });

    // The connection is driven while the response is awaited, then handed back as the I/O.
    enum Outcome {
        Response(http::Response<hyper::body::Incoming>),
        Timeout,
        Failed,
    }
    let mut conn = Box::pin(conn);
    let mut conn_done = false;
    let outcome = {
        let send = tokio::time::timeout(timeouts.first_byte, sender.send_request(request));
        let mut send = std::pin::pin!(send);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(r) = send.as_mut().poll(cx) {
                return Poll::Ready(match r {
                    Err(_) => Outcome::Timeout,
                    Ok(Err(_)) => Outcome::Failed,
                    Ok(Ok(r)) => Outcome::Response(r),
                });
            }
            if !conn_done && let Poll::Ready(r) = conn.as_mut().poll(cx) {
                conn_done = true;
                if r.is_err() {
                    return Poll::Ready(Outcome::Failed);
                }
            }
            Poll::Pending
        })
        .await
    };
    let response = match outcome {
        Outcome::Timeout => return Err(HttpError::ConnectionReadTimeout),
        Outcome::Failed => return Err(HttpError::ConnectionTerminated),
        Outcome::Response(r) => r,
    };
    let io: Pin<Box<dyn Future<Output = Result<(), HttpError>> + Send>> = if conn_done {
        Box::pin(async { Ok(()) })
    } else {
        Box::pin(async move {
            conn.await.map_err(|e| {
                if e.is_timeout() {
                    HttpError::HttpResponseTimeout
                } else {
                    HttpError::ConnectionTerminated
                }
            })
        })
    };
    let response = response.map(|incoming| {
        ReceivedBody {
            inner: incoming,
            remaining: max_response_bytes,
            max: max_response_bytes,
            meter,
            idle: Box::pin(tokio::time::sleep(timeouts.between_bytes)),
            between_bytes: timeouts.between_bytes,
        }
        .boxed_unsync()
    });
    Ok((response, io))
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static> Io for T {}

async fn connect_any(addrs: &[SocketAddr], timeout: Duration) -> Result<TcpStream, HttpError> {
    let mut last = HttpError::DestinationUnavailable;
    for addr in addrs {
        match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(e)) => {
                last = match e.kind() {
                    std::io::ErrorKind::ConnectionRefused => HttpError::ConnectionRefused,
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => {
                        HttpError::ConnectionTerminated
                    }
                    _ => HttpError::DestinationUnavailable,
                }
            }
            Err(_) => last = HttpError::ConnectionTimeout,
        }
    }
    Err(last)
}

/// One TLS configuration for the process: the Mozilla roots `webpki-roots` ships.
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.into(),
            };
            Arc::new(
                rustls::ClientConfig::builder_with_provider(Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))
                .with_safe_default_protocol_versions()
                .expect("ring supports the default TLS versions")
                .with_root_certificates(roots)
                .with_no_client_auth(),
            )
        })
        .clone()
}

/// The module's request body on its way out: bytes the module wrote (counted while it ran) stop
/// counting once the I/O task takes them.
struct SentBody {
    inner: Body,
    meter: Arc<Meter>,
}

impl http_body::Body for SentBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(f)) = &frame
            && let Some(data) = f.data_ref()
        {
            self.meter.discharge(data.len());
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// A response body on its way in: capped at the datasource's size limit, stopped after the
/// between-bytes timeout, and counted against the module's budget as it arrives.
struct ReceivedBody {
    inner: hyper::body::Incoming,
    remaining: u64,
    max: u64,
    meter: Arc<Meter>,
    idle: Pin<Box<tokio::time::Sleep>>,
    between_bytes: Duration,
}

impl http_body::Body for ReceivedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(if e.is_timeout() {
                HttpError::HttpResponseTimeout
            } else {
                HttpError::ConnectionTerminated
            }))),
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let len = data.len() as u64;
                    if len > self.remaining {
                        return Poll::Ready(Some(Err(HttpError::HttpResponseBodySize(Some(
                            self.max,
                        )))));
                    }
                    self.remaining -= len;
                    // Allocated by the I/O task, released while the module reads it.
                    self.meter.charge(data.len());
                }
                let next = tokio::time::Instant::now() + self.between_bytes;
                self.idle.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(self.idle.as_mut().poll(cx));
                Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_permitted_addresses_are_tried() {
        let policy = HttpPolicy::default()
            .with_datasource("ds")
            .with_allowed(AllowedHost::parse("api.example").unwrap());
        let entry = policy.check("api.example", 80, false).unwrap().clone();
        let metadata: SocketAddr = "169.254.169.254:80".parse().unwrap();
        let public: SocketAddr = "203.0.113.7:80".parse().unwrap();
        // A name that resolves only to the metadata service is refused, naming why.
        let err = permitted(&policy, "api.example", &entry, &[metadata]).unwrap_err();
        assert!(
            err.contains("169.254.169.254") && err.contains("link-local"),
            "{err}"
        );
        // A mixed answer keeps only the ordinary address.
        assert_eq!(
            permitted(&policy, "api.example", &entry, &[metadata, public]).unwrap(),
            vec![public]
        );
        assert!(permitted(&policy, "api.example", &entry, &[]).is_err());
    }
}
