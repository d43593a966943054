//! Talking to a registry. The token handshake and blob uploads are `oci-client`'s; manifests and
//! blobs are read here, because a registry is untrusted and `oci-client` reads whole bodies
//! without a cap: every body is read in chunks and refused past its limit.
//!
//! One `oci_client::Client` is kept per registry and login: that client remembers the first
//! credentials it sees for a registry and caches tokens by repository, so sharing one between
//! datasources with different logins would lend one's access to the other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Reference, RegistryOperation};
use reqwest::StatusCode;

use super::layout::MANIFEST_ACCEPT;
use super::reference::check_digest;
use super::store::{BlobWriter, sha256_digest};
use super::{OciError, OciRef, OciSettings, RegistryCredentials};

/// At most this many `oci_client::Client`s are kept; past it the map starts again (an operator
/// rotating passwords must not grow it without end).
const MAX_CLIENTS: usize = 64;
/// How much of an error answer is quoted.
const MAX_ERROR_BODY: usize = 4096;

/// The network side of an [`super::OciClient`].
pub(crate) struct Registry {
    settings: Arc<OciSettings>,
    http: reqwest::Client,
    clients: Mutex<HashMap<ClientKey, oci_client::Client>>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    registry: String,
    /// Username and the SHA-256 of the password: the map never holds the password itself.
    login: Option<(String, String)>,
}

/// What a request carries to prove who it is.
enum Authorization {
    None,
    Bearer(String),
    Basic(String, String),
}

impl Registry {
    pub(crate) fn new(settings: Arc<OciSettings>) -> Registry {
        let http = reqwest::Client::builder()
            .connect_timeout(settings.timeouts.connect)
            .read_timeout(settings.timeouts.read)
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!("quarry/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with a crypto provider installed builds");
        Registry {
            settings,
            http,
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn scheme(&self, registry: &str) -> &'static str {
        if self.settings.plain_http(registry) {
            "http"
        } else {
            "https"
        }
    }

    fn client(&self, registry: &str, creds: Option<&RegistryCredentials>) -> oci_client::Client {
        let key = ClientKey {
            registry: registry.to_ascii_lowercase(),
            login: creds.map(|c| {
                (
                    c.username.clone(),
                    crate::runtime::sha256_hex(c.password.as_bytes()),
                )
            }),
        };
        let mut clients = self
            .clients
            .lock()
            .expect("the client map is never poisoned");
        if let Some(c) = clients.get(&key) {
            return c.clone();
        }
        if clients.len() >= MAX_CLIENTS {
            clients.clear();
        }
        let protocol = if self.settings.plain_http(registry) {
            oci_client::client::ClientProtocol::Http
        } else {
            oci_client::client::ClientProtocol::Https
        };
        let client = oci_client::Client::new(oci_client::client::ClientConfig {
            protocol,
            connect_timeout: Some(self.settings.timeouts.connect),
            read_timeout: Some(self.settings.timeouts.read),
            user_agent: concat!("quarry/", env!("CARGO_PKG_VERSION")),
            ..Default::default()
        });
        clients.insert(key, client.clone());
        client
    }

    /// Runs the token handshake for `op` and says how requests must authenticate.
    async fn authorize(
        &self,
        r: &OciRef,
        creds: Option<&RegistryCredentials>,
        op: RegistryOperation,
    ) -> Result<(oci_client::Client, Authorization), OciError> {
        let client = self.client(&r.registry, creds);
        let auth = match creds {
            Some(c) => RegistryAuth::Basic(c.username.clone(), c.password.clone()),
            None => RegistryAuth::Anonymous,
        };
        let reference =
            Reference::with_tag(r.registry.clone(), r.repository.clone(), "latest".into());
        let token = client
            .auth(&reference, &auth, op)
            .await
            .map_err(|e| self.map_client_error(r, creds, e))?;
        let authorization = match (token, creds) {
            (Some(t), _) => Authorization::Bearer(t),
            (None, Some(c)) => Authorization::Basic(c.username.clone(), c.password.clone()),
            (None, None) => Authorization::None,
        };
        Ok((client, authorization))
    }

    /// The digest a tag names now: a HEAD request, or a GET of the manifest when the registry
    /// sends no digest header (the manifest is then returned too, already hashed).
    pub(crate) async fn resolve_tag(
        &self,
        r: &OciRef,
        tag: &str,
        creds: Option<&RegistryCredentials>,
    ) -> Result<(String, Option<Vec<u8>>), OciError> {
        let (_, auth) = self.authorize(r, creds, RegistryOperation::Pull).await?;
        let url = self.manifest_url(r, tag);
        let what = format!("tag {tag:?}");
        let response = self
            .send(
                r,
                creds,
                &what,
                self.http
                    .head(&url)
                    .header(reqwest::header::ACCEPT, MANIFEST_ACCEPT.join(", ")),
                &auth,
            )
            .await?;
        let header = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|d| check_digest(d).is_ok())
            .map(str::to_string);
        if let Some(digest) = header {
            return Ok((digest, None));
        }
        let bytes = self.get_manifest(r, tag, &what, creds, &auth).await?;
        Ok((sha256_digest(&bytes), Some(bytes)))
    }

    /// The manifest named `digest`, verified against it.
    pub(crate) async fn manifest(
        &self,
        r: &OciRef,
        digest: &str,
        creds: Option<&RegistryCredentials>,
    ) -> Result<Vec<u8>, OciError> {
        let (_, auth) = self.authorize(r, creds, RegistryOperation::Pull).await?;
        let what = format!("manifest {digest}");
        let bytes = self.get_manifest(r, digest, &what, creds, &auth).await?;
        let actual = sha256_digest(&bytes);
        if actual != digest {
            return Err(OciError::DigestMismatch {
                reference: r.to_string(),
                what,
                expected: digest.to_string(),
                actual,
            });
        }
        Ok(bytes)
    }

    async fn get_manifest(
        &self,
        r: &OciRef,
        reference: &str,
        what: &str,
        creds: Option<&RegistryCredentials>,
        auth: &Authorization,
    ) -> Result<Vec<u8>, OciError> {
        let url = self.manifest_url(r, reference);
        let request = self
            .http
            .get(&url)
            .header(reqwest::header::ACCEPT, MANIFEST_ACCEPT.join(", "));
        let mut response = self.send(r, creds, what, request, auth).await?;
        let limit = super::layout::MAX_MANIFEST_BYTES;
        let mut body = Vec::new();
        while let Some(chunk) = self.chunk(r, what, &mut response).await? {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(OciError::TooLarge {
                    reference: r.to_string(),
                    what: what.to_string(),
                    limit,
                    hint: String::new(),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Streams the blob `digest` of `size` declared bytes into `out`; the caller commits it.
    pub(crate) async fn blob(
        &self,
        r: &OciRef,
        digest: &str,
        size: u64,
        creds: Option<&RegistryCredentials>,
        out: &mut BlobWriter,
    ) -> Result<(), OciError> {
        let (_, auth) = self.authorize(r, creds, RegistryOperation::Pull).await?;
        let url = format!(
            "{}://{}/v2/{}/blobs/{digest}",
            self.scheme(&r.registry),
            r.registry,
            r.repository
        );
        let what = format!("module layer {digest}");
        let mut response = self
            .send(r, creds, &what, self.http.get(&url), &auth)
            .await?;
        while let Some(chunk) = self.chunk(r, &what, &mut response).await? {
            if out.written() + chunk.len() as u64 > size {
                return Err(OciError::Registry {
                    reference: r.to_string(),
                    detail: format!(
                        "the registry sent more than the {size} bytes the manifest declares for {what}"
                    ),
                });
            }
            out.write(&chunk)
                .map_err(|e| OciError::store(r, &self.settings.store_dir, e))?;
        }
        Ok(())
    }

    /// Uploads a module (config, layer, manifest) as `r`'s tag.
    pub(crate) async fn push(
        &self,
        r: &OciRef,
        tag: &str,
        artifact: &super::layout::PushArtifact,
        wasm: bytes::Bytes,
        layer_digest: &str,
        creds: Option<&RegistryCredentials>,
    ) -> Result<(), OciError> {
        let (client, _) = self.authorize(r, creds, RegistryOperation::Push).await?;
        let reference = Reference::with_tag(r.registry.clone(), r.repository.clone(), tag.into());
        let err = |e| self.map_client_error(r, creds, e);
        let config_digest = sha256_digest(&artifact.config);
        client
            .push_blob(&reference, artifact.config.clone(), &config_digest)
            .await
            .map_err(err)?;
        client
            .push_blob(&reference, wasm, layer_digest)
            .await
            .map_err(err)?;
        client
            .push_manifest_raw(
                &reference,
                artifact.manifest.clone(),
                reqwest::header::HeaderValue::from_static(super::layout::OCI_MANIFEST_MEDIA_TYPE),
            )
            .await
            .map_err(err)?;
        Ok(())
    }

    fn manifest_url(&self, r: &OciRef, reference: &str) -> String {
        format!(
            "{}://{}/v2/{}/manifests/{reference}",
            self.scheme(&r.registry),
            r.registry,
            r.repository
        )
    }

    /// Sends `request` with `auth`; a non-success answer becomes the error it means.
    async fn send(
        &self,
        r: &OciRef,
        creds: Option<&RegistryCredentials>,
        what: &str,
        request: reqwest::RequestBuilder,
        auth: &Authorization,
    ) -> Result<reqwest::Response, OciError> {
        let request = match auth {
            Authorization::None => request,
            Authorization::Bearer(t) => request.bearer_auth(t),
            Authorization::Basic(u, p) => request.basic_auth(u, Some(p)),
        };
        let mut response = request
            .send()
            .await
            .map_err(|e| self.transport_error(r, what, &e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        // Quote the start of the answer; never read more of it.
        let mut detail = Vec::new();
        while detail.len() < MAX_ERROR_BODY {
            match response.chunk().await {
                Ok(Some(c)) => detail.extend_from_slice(&c),
                _ => break,
            }
        }
        detail.truncate(MAX_ERROR_BODY);
        let text = String::from_utf8_lossy(&detail).trim().to_string();
        Err(self.status_error(r, creds, what, status, &text))
    }

    async fn chunk(
        &self,
        r: &OciRef,
        what: &str,
        response: &mut reqwest::Response,
    ) -> Result<Option<bytes::Bytes>, OciError> {
        response
            .chunk()
            .await
            .map_err(|e| self.transport_error(r, what, &e))
    }

    fn status_error(
        &self,
        r: &OciRef,
        creds: Option<&RegistryCredentials>,
        what: &str,
        status: StatusCode,
        body: &str,
    ) -> OciError {
        let reference = r.to_string();
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => OciError::Unauthorized {
                reference,
                detail: format!("HTTP {} for {what}", status.as_u16()),
                hint: self.auth_hint(r, creds, status == StatusCode::FORBIDDEN),
            },
            StatusCode::NOT_FOUND => OciError::NotFound {
                reference,
                what: what.to_string(),
            },
            _ => OciError::Registry {
                reference,
                detail: if body.is_empty() {
                    format!("HTTP {} for {what}", status.as_u16())
                } else {
                    format!("HTTP {} for {what}: {body}", status.as_u16())
                },
            },
        }
    }

    fn auth_hint(&self, r: &OciRef, creds: Option<&RegistryCredentials>, denied: bool) -> String {
        match creds {
            _ if denied => format!(
                "the login is valid but may not use {}; grant it access in the registry",
                r.name()
            ),
            None => format!(
                "{} needs a login: set jsonData.registryUsername and secureJsonData.registryPassword on the datasource, or oci_credentials in the plugin settings",
                r.registry
            ),
            Some(c) => format!(
                "the username {:?} or its password is wrong for {}",
                c.username, r.registry
            ),
        }
    }

    fn transport_error(&self, r: &OciRef, what: &str, e: &reqwest::Error) -> OciError {
        if e.is_timeout() {
            return OciError::Timeout {
                reference: r.to_string(),
                registry: r.registry.clone(),
                during: what.to_string(),
                after: if e.is_connect() {
                    self.settings.timeouts.connect
                } else {
                    self.settings.timeouts.read
                },
            };
        }
        let mut cause = error_chain(e);
        // An HTTPS handshake answered in plain HTTP: the classic loopback-registry mistake.
        if !self.settings.plain_http(&r.registry)
            && (cause.contains("InvalidContentType") || cause.contains("corrupt message"))
        {
            cause.push_str(&format!(
                " (the registry seems to speak plain HTTP: list {} in oci_plain_http_registries, or pass --plain-http to the CLI)",
                r.registry
            ));
        }
        OciError::Unreachable {
            reference: r.to_string(),
            registry: r.registry.clone(),
            cause,
        }
    }

    fn map_client_error(
        &self,
        r: &OciRef,
        creds: Option<&RegistryCredentials>,
        e: OciDistributionError,
    ) -> OciError {
        let reference = r.to_string();
        let unauthorized = |detail: String| OciError::Unauthorized {
            reference: reference.clone(),
            detail,
            hint: self.auth_hint(r, creds, false),
        };
        match e {
            OciDistributionError::RequestError(e) => self.transport_error(r, "the request", &e),
            OciDistributionError::AuthenticationFailure(reason) => {
                unauthorized(format!("the token service refused: {}", reason.trim()))
            }
            OciDistributionError::UnauthorizedError { url } => {
                unauthorized(format!("HTTP 401 for {url}"))
            }
            OciDistributionError::ServerError { code, url, message } => {
                let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
                self.status_error(r, creds, &url, status, &message)
            }
            OciDistributionError::RegistryError { envelope, url } => {
                let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
                let detail = format!("{url}: {envelope}");
                if codes
                    .iter()
                    .any(|c| matches!(c, OciErrorCode::Unauthorized | OciErrorCode::Denied))
                {
                    OciError::Unauthorized {
                        reference,
                        detail,
                        hint: self.auth_hint(
                            r,
                            creds,
                            codes.iter().any(|c| matches!(c, OciErrorCode::Denied)),
                        ),
                    }
                } else if codes.iter().any(|c| {
                    matches!(
                        c,
                        OciErrorCode::NameUnknown
                            | OciErrorCode::ManifestUnknown
                            | OciErrorCode::BlobUnknown
                            | OciErrorCode::NotFound
                    )
                }) {
                    OciError::NotFound {
                        reference,
                        what: detail,
                    }
                } else {
                    OciError::Registry { reference, detail }
                }
            }
            other => OciError::Registry {
                reference,
                detail: other.to_string(),
            },
        }
    }

    pub(crate) fn operation_timeout(&self) -> Duration {
        self.settings.timeouts.operation
    }
}

/// `e` and its causes, joined: reqwest's own message alone ("error sending request") hides
/// the reason (connection refused, certificate, DNS).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    //! Against a registry that misbehaves: a hand-written HTTP server on loopback.

    use std::time::Duration;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    use super::super::{OciClient, OciError, OciSettings};

    /// Answers `/v2/` with 200, a HEAD of any manifest with no digest header, a GET of
    /// `big`'s manifest with an endless chunked body, and never answers anything of `slow`.
    async fn hostile_registry() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    loop {
                        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                            let Ok(n) = conn.read(&mut buf).await else {
                                return;
                            };
                            if n == 0 {
                                return;
                            }
                            head.extend_from_slice(&buf[..n]);
                        }
                        let text = String::from_utf8_lossy(&head).into_owned();
                        head.clear();
                        let line = text.lines().next().unwrap_or("").to_string();
                        if line.contains("/slow/") {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                            return;
                        }
                        if line.starts_with("GET /v2/ ") {
                            let _ = conn
                                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
                                .await;
                        } else if line.starts_with("HEAD ") {
                            let _ = conn
                                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                                .await;
                        } else {
                            let _ = conn
                                .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                                .await;
                            let chunk = format!("10000\r\n{}\r\n", "a".repeat(0x10000));
                            // Bounded: 64 MiB at most, far past the 4 MiB cap.
                            for _ in 0..1024 {
                                if conn.write_all(chunk.as_bytes()).await.is_err() {
                                    return;
                                }
                            }
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    fn client(addr: &str, dir: &std::path::Path, read_timeout: Duration) -> OciClient {
        let mut s = OciSettings::new(dir);
        s.allowed_registries = vec![addr.to_string()];
        s.plain_http_registries = vec![addr.to_string()];
        s.timeouts.read = read_timeout;
        OciClient::new(s)
    }

    #[tokio::test]
    async fn an_endless_manifest_is_cut_at_the_cap() {
        let addr = hostile_registry().await;
        let dir = tempfile::tempdir().unwrap();
        let c = client(&addr, dir.path(), Duration::from_secs(30));
        let r = format!("oci://{addr}/big:v1").parse().unwrap();
        // No digest header on HEAD, so the manifest is read to name it.
        let err = c.resolve(&r, None).await.unwrap_err();
        assert!(
            matches!(&err, OciError::TooLarge { limit, .. } if *limit == 4 << 20),
            "{err}"
        );
        assert!(err.to_string().contains("tag \"v1\""), "{err}");
    }

    #[tokio::test]
    async fn a_registry_that_never_answers_times_out() {
        let addr = hostile_registry().await;
        let dir = tempfile::tempdir().unwrap();
        // Short, so the test does not wait long; a slow machine only makes it time out sooner.
        let c = client(&addr, dir.path(), Duration::from_millis(300));
        let r = format!("oci://{addr}/slow:v1").parse().unwrap();
        let err = c.resolve(&r, None).await.unwrap_err();
        assert!(matches!(err, OciError::Timeout { .. }), "{err}");
        assert!(err.to_string().contains("did not answer"), "{err}");
    }
}
