//! Modules from an OCI registry: `oci://<registry>/<repository>:<tag>` or `…@sha256:<digest>`.
//!
//! - [`OciRef`]: the reference grammar (`reference.rs`).
//! - [`OciSettings`]: allowed registries, plain-HTTP registries, plugin-level credentials, the
//!   store directory, size and time limits (`settings.rs`).
//! - [`OciClient`]: resolve a tag to a manifest digest, fetch the module a digest names (from the
//!   local store when it is there, so a plugin starts offline), push a module.
//! - `layout.rs`: the CNCF Wasm artifact layout, checked before anything is downloaded.
//! - `store.rs`: the content-addressed store, written atomically and verified on every read.
//! - `registry.rs`: the network side, every body read under a cap.
//!
//! A registry is untrusted input: the registry must be in the operator's allow-list before any
//! request is made, every manifest and module is verified against the digest that names it, and
//! sizes and times are bounded. Credentials come from the datasource's secure settings or the
//! plugin's settings, never from a module.

mod error;
mod layout;
mod reference;
mod registry;
mod settings;
mod store;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use error::OciError;
pub use layout::{WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE};
pub use reference::{DEFAULT_TAG, OciRef};
pub use settings::{OciSettings, OciTimeouts, RegistryCredentials};

use layout::LayoutError;
use registry::Registry;
use store::{BlobKind, Store, sha256_digest};

/// A module fetched from a registry (or found in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// `sha256:<hex>` of the manifest.
    pub manifest_digest: String,
    /// The `.wasm` file in the store; it is never rewritten in place.
    pub path: PathBuf,
    /// Lower-case hex SHA-256 of the module's bytes (the runtime's module digest).
    pub sha256: String,
}

/// Resolves, fetches and pushes modules. Cheap to clone: clones share the store, the HTTP
/// connections and the registry logins.
#[derive(Clone)]
pub struct OciClient {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Arc<OciSettings>,
    store: Store,
    registry: Registry,
}

impl std::fmt::Debug for OciClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OciClient")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl OciClient {
    /// A client for `settings`. Nothing is read or written until it is used.
    pub fn new(settings: OciSettings) -> Self {
        // The registry clients use rustls without a built-in crypto provider; the host's is ring.
        // Installing fails only when a provider is already installed, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let settings = Arc::new(settings);
        let store = Store::new(settings.store_dir.clone());
        store.remove_stale_temporaries();
        OciClient {
            inner: Arc::new(Inner {
                registry: Registry::new(settings.clone()),
                store,
                settings,
            }),
        }
    }

    /// The settings this client was made with.
    pub fn settings(&self) -> &OciSettings {
        &self.inner.settings
    }

    /// The manifest digest `r` names now (a digest reference answers itself without the network
    /// once stored).
    ///
    /// # Errors
    /// The registry is not allowed, unreachable or refuses; the tag or manifest does not exist.
    pub async fn resolve(
        &self,
        r: &OciRef,
        creds: Option<&RegistryCredentials>,
    ) -> Result<String, OciError> {
        self.check_allowed(r)?;
        let creds = self.credentials(r, creds);
        if let Some(digest) = &r.digest {
            if self.stored_manifest(r, digest)?.is_none() {
                self.pull_manifest(r, digest, creds, "resolving").await?;
            }
            return Ok(digest.clone());
        }
        let tag = r.tag_to_resolve().unwrap_or(DEFAULT_TAG);
        let (digest, manifest) = self
            .timed(
                r,
                "resolving",
                self.inner.registry.resolve_tag(r, tag, creds),
            )
            .await?;
        if let Some(manifest) = manifest {
            self.put(r, &digest, BlobKind::Manifest, &manifest)?;
        }
        Ok(digest)
    }

    /// Asks the registry whether these credentials may read the manifest a digest reference
    /// names, even when the store already holds it: the store is shared by every datasource, and
    /// one without access must not run what another one's login pulled. A tag reference is
    /// checked by [`resolve`](Self::resolve) already.
    ///
    /// # Errors
    /// As [`resolve`](Self::resolve); `Unreachable` and `Timeout` when the registry cannot say.
    pub async fn check_access(
        &self,
        r: &OciRef,
        creds: Option<&RegistryCredentials>,
    ) -> Result<(), OciError> {
        self.check_allowed(r)?;
        let Some(digest) = &r.digest else {
            return Ok(());
        };
        let creds = self.credentials(r, creds);
        self.pull_manifest(r, digest, creds, "checking access")
            .await
    }

    /// Fetches manifest `digest` from the registry (verified against it) into the store.
    async fn pull_manifest(
        &self,
        r: &OciRef,
        digest: &str,
        creds: Option<&RegistryCredentials>,
        during: &str,
    ) -> Result<(), OciError> {
        let manifest = self
            .timed(r, during, self.inner.registry.manifest(r, digest, creds))
            .await?;
        self.put(r, digest, BlobKind::Manifest, &manifest)
    }

    /// The last manifest digest recorded for this tag by [`remember`](Self::remember), persisted
    /// in the store: for starting offline. A digest reference answers its own digest.
    pub fn last_known(&self, r: &OciRef) -> Option<String> {
        if let Some(d) = &r.digest {
            return Some(d.clone());
        }
        self.inner.store.tag(&tag_key(r))
    }

    /// The module for manifest `digest`: from the store when present (offline), else pulled; the
    /// manifest's and the wasm layer's digests verified; stored content-addressed, written
    /// atomically.
    ///
    /// # Errors
    /// As [`resolve`](Self::resolve); also an artifact that is not a single wasm layer, a module
    /// over `max_module_bytes`, content that does not match its digest, or a store that cannot be
    /// written.
    pub async fn fetch(
        &self,
        r: &OciRef,
        manifest_digest: &str,
        creds: Option<&RegistryCredentials>,
    ) -> Result<Pulled, OciError> {
        reference::check_digest(manifest_digest).map_err(|reason| OciError::InvalidReference {
            reference: format!("{r} (manifest {manifest_digest})"),
            reason,
        })?;
        if let Some(pinned) = &r.digest
            && pinned != manifest_digest
        {
            return Err(OciError::DigestMismatch {
                reference: r.to_string(),
                what: "the manifest asked for".into(),
                expected: pinned.clone(),
                actual: manifest_digest.to_string(),
            });
        }
        self.check_allowed(r)?;
        let creds = self.credentials(r, creds);
        let pulled = match self.stored_module(r, manifest_digest).await? {
            Some(p) => p,
            None => {
                self.timed(r, "pulling", self.pull(r, manifest_digest, creds))
                    .await?
            }
        };
        Ok(pulled)
    }

    /// Records that tag reference `r` now serves `manifest_digest`: what
    /// [`last_known`](Self::last_known) answers when the registry cannot be reached. The plugin
    /// calls it only for a version it accepted, so an offline start never brings back a version
    /// a rollout refused. A digest reference records nothing.
    ///
    /// # Errors
    /// The store cannot be written.
    pub fn remember(&self, r: &OciRef, manifest_digest: &str) -> Result<(), OciError> {
        if r.digest.is_some() {
            return Ok(());
        }
        self.inner
            .store
            .record_tag(&tag_key(r), manifest_digest)
            .map_err(|e| OciError::store(r, self.inner.store.dir(), e))
    }

    /// Publishes the module file `wasm` as `r` (a tag; `latest` when none) in the CNCF Wasm
    /// layout, and returns the manifest digest.
    ///
    /// # Errors
    /// `r` pins a digest; the file is missing, too large or not WebAssembly; the registry is not
    /// allowed, unreachable or refuses.
    pub async fn push(
        &self,
        r: &OciRef,
        wasm: &Path,
        creds: Option<&RegistryCredentials>,
    ) -> Result<String, OciError> {
        let Some(tag) = r.tag_to_resolve() else {
            return Err(OciError::InvalidReference {
                reference: r.to_string(),
                reason: "a push names a tag (the digest is computed): drop the @sha256:… part"
                    .into(),
            });
        };
        self.check_allowed(r)?;
        let creds = self.credentials(r, creds);
        let bytes = read_module(wasm, self.inner.settings.max_module_bytes)?;
        let layer_digest = sha256_digest(&bytes);
        let title = wasm
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "module.wasm".into());
        let artifact = layout::push_artifact(&bytes, &layer_digest, &title);
        let digest = sha256_digest(&artifact.manifest);
        self.timed(
            r,
            "pushing",
            self.inner.registry.push(
                r,
                tag,
                &artifact,
                bytes::Bytes::from(bytes),
                &layer_digest,
                creds,
            ),
        )
        .await?;
        Ok(digest)
    }

    fn check_allowed(&self, r: &OciRef) -> Result<(), OciError> {
        let s = &self.inner.settings;
        if s.allows(&r.registry) {
            return Ok(());
        }
        let allowed = if s.allowed_registries.is_empty() {
            "is empty, so no registry may be used: list the registries to pull from, comma separated".to_string()
        } else {
            format!(
                "allows only {}; add {} to it to use this registry",
                s.allowed_registries.join(", "),
                r.registry
            )
        };
        Err(OciError::NotAllowed {
            reference: r.to_string(),
            registry: r.registry.clone(),
            allowed,
        })
    }

    /// The datasource's login, else the plugin's for this registry.
    fn credentials<'a>(
        &'a self,
        r: &OciRef,
        creds: Option<&'a RegistryCredentials>,
    ) -> Option<&'a RegistryCredentials> {
        creds.or_else(|| self.inner.settings.credentials_for(&r.registry))
    }

    fn stored_manifest(&self, r: &OciRef, digest: &str) -> Result<Option<Vec<u8>>, OciError> {
        self.inner
            .store
            .read(digest, BlobKind::Manifest)
            .map_err(|e| OciError::store(r, self.inner.store.dir(), e))
    }

    fn put(&self, r: &OciRef, digest: &str, kind: BlobKind, bytes: &[u8]) -> Result<(), OciError> {
        self.inner
            .store
            .put(digest, kind, bytes)
            .map(|_| ())
            .map_err(|e| OciError::store(r, self.inner.store.dir(), e))
    }

    /// The module from the store when its manifest and module are both there and intact.
    async fn stored_module(&self, r: &OciRef, digest: &str) -> Result<Option<Pulled>, OciError> {
        let Some(manifest) = self.stored_manifest(r, digest)? else {
            return Ok(None);
        };
        let layer = self.wasm_layer(r, &manifest)?;
        let store = self.inner.store.clone();
        let layer_digest = layer.digest.clone();
        // Hashing a large module takes a moment: off the async threads.
        let path = tokio::task::spawn_blocking(move || {
            store.verified_path(&layer_digest, BlobKind::Module)
        })
        .await
        .expect("hashing a stored module does not panic")
        .map_err(|e| OciError::store(r, self.inner.store.dir(), e))?;
        Ok(path.map(|path| Pulled {
            manifest_digest: digest.to_string(),
            path,
            sha256: hex_of(&layer.digest),
        }))
    }

    async fn pull(
        &self,
        r: &OciRef,
        digest: &str,
        creds: Option<&RegistryCredentials>,
    ) -> Result<Pulled, OciError> {
        let manifest = match self.stored_manifest(r, digest)? {
            Some(m) => m,
            None => {
                let m = self.inner.registry.manifest(r, digest, creds).await?;
                self.put(r, digest, BlobKind::Manifest, &m)?;
                m
            }
        };
        let layer = self.wasm_layer(r, &manifest)?;
        let store_err = |e| OciError::store(r, self.inner.store.dir(), e);
        let mut writer = self
            .inner
            .store
            .writer(&layer.digest, BlobKind::Module)
            .map_err(store_err)?;
        self.inner
            .registry
            .blob(r, &layer.digest, layer.size, creds, &mut writer)
            .await?;
        let path = writer
            .commit(&layer.digest)
            .map_err(store_err)?
            .map_err(|actual| OciError::DigestMismatch {
                reference: r.to_string(),
                what: format!("module layer {}", layer.digest),
                expected: layer.digest.clone(),
                actual,
            })?;
        Ok(Pulled {
            manifest_digest: digest.to_string(),
            path,
            sha256: hex_of(&layer.digest),
        })
    }

    fn wasm_layer(&self, r: &OciRef, manifest: &[u8]) -> Result<layout::WasmLayer, OciError> {
        let max = self.inner.settings.max_module_bytes;
        layout::wasm_layer(manifest, max).map_err(|e| match e {
            LayoutError::Bad(reason) => OciError::BadArtifact {
                reference: r.to_string(),
                reason,
            },
            LayoutError::TooLarge { size } => OciError::TooLarge {
                reference: r.to_string(),
                what: format!("module ({size} bytes)"),
                limit: max,
                hint: MAX_MODULE_HINT.into(),
            },
        })
    }

    /// Runs `op` under the whole-operation deadline.
    async fn timed<T>(
        &self,
        r: &OciRef,
        during: &str,
        op: impl Future<Output = Result<T, OciError>>,
    ) -> Result<T, OciError> {
        let after = self.inner.registry.operation_timeout();
        tokio::time::timeout(after, op).await.unwrap_or_else(|_| {
            Err(OciError::Timeout {
                reference: r.to_string(),
                registry: r.registry.clone(),
                during: during.to_string(),
                after,
            })
        })
    }
}

const MAX_MODULE_HINT: &str =
    ": raise max_module_mb in the plugin settings (GF_PLUGIN_MAX_MODULE_MB)";

/// The record a tag's last digest is kept under: the reference without digest, tag spelled out.
fn tag_key(r: &OciRef) -> String {
    format!(
        "oci://{}/{}:{}",
        r.registry.to_ascii_lowercase(),
        r.repository,
        r.tag.as_deref().unwrap_or(DEFAULT_TAG)
    )
}

fn hex_of(digest: &str) -> String {
    digest.strip_prefix("sha256:").unwrap_or(digest).to_string()
}

/// Reads a module file to push: at most `max` bytes, and WebAssembly.
fn read_module(path: &Path, max: u64) -> Result<Vec<u8>, OciError> {
    let file_err = |reason: String| OciError::File {
        path: path.to_path_buf(),
        reason,
    };
    let len = std::fs::metadata(path)
        .map_err(|e| file_err(format!("cannot be read: {e}")))?
        .len();
    if len > max {
        return Err(file_err(format!(
            "is {len} bytes, larger than the {max} bytes a module may be{MAX_MODULE_HINT}"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| file_err(format!("cannot be read: {e}")))?;
    if !bytes.starts_with(b"\0asm") {
        return Err(file_err(
            "is not a WebAssembly file (it does not start with \\0asm)".into(),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(dir: &Path, allowed: &[&str]) -> OciClient {
        let mut s = OciSettings::new(dir);
        s.allowed_registries = allowed.iter().map(|a| a.to_string()).collect();
        OciClient::new(s)
    }

    #[tokio::test]
    async fn a_registry_not_allowed_is_refused_before_any_request() {
        let dir = tempfile::tempdir().unwrap();
        // 127.0.0.1:9 (discard) would fail differently if contacted.
        let r: OciRef = "oci://127.0.0.1:9/m:v1".parse().unwrap();
        for allowed in [&[][..], &["ghcr.io"][..]] {
            let c = client(dir.path(), allowed);
            let err = c.resolve(&r, None).await.unwrap_err();
            assert!(matches!(err, OciError::NotAllowed { .. }), "{err}");
            assert!(err.to_string().contains("oci_allowed_registries"), "{err}");
            let digest = format!("sha256:{}", "a".repeat(64));
            assert!(matches!(
                c.fetch(&r, &digest, None).await,
                Err(OciError::NotAllowed { .. })
            ));
        }
    }

    #[tokio::test]
    async fn a_stored_module_is_served_without_the_network_and_a_corrupt_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        // Nothing listens on this port: any request would fail as unreachable.
        let c = client(dir.path(), &["127.0.0.1:9"]);
        let wasm = b"\0asm\x0d\0\x01\0module".to_vec();
        let layer = sha256_digest(&wasm);
        let artifact = layout::push_artifact(&wasm, &layer, "m.wasm");
        let digest = sha256_digest(&artifact.manifest);
        let store = Store::new(dir.path());
        store
            .put(&digest, BlobKind::Manifest, &artifact.manifest)
            .unwrap();
        let module_path = store.put(&layer, BlobKind::Module, &wasm).unwrap();

        let r: OciRef = "oci://127.0.0.1:9/m:v1".parse().unwrap();
        assert_eq!(c.last_known(&r), None);
        let pinned = r.pinned(&digest);
        assert_eq!(c.resolve(&pinned, None).await.unwrap(), digest);
        let pulled = c.fetch(&r, &digest, None).await.unwrap();
        assert_eq!(pulled.path, module_path);
        assert_eq!(pulled.sha256, hex_of(&layer));
        assert_eq!(c.last_known(&r), None, "fetching alone records nothing");
        c.remember(&r, &digest).unwrap();
        assert_eq!(
            c.last_known(&r),
            Some(digest.clone()),
            "recorded for offline starts"
        );
        assert_eq!(
            c.last_known(&"oci://127.0.0.1:9/m:v2".parse().unwrap()),
            None
        );

        // A flipped byte: the store no longer serves it, so the registry is asked (and here it
        // cannot be reached).
        let mut bad = wasm.clone();
        bad[9] ^= 0xff;
        std::fs::write(&module_path, &bad).unwrap();
        let err = c.fetch(&r, &digest, None).await.unwrap_err();
        assert!(matches!(err, OciError::Unreachable { .. }), "{err}");
        assert!(!module_path.exists(), "the corrupt module was removed");
    }

    #[tokio::test]
    async fn push_refuses_a_digest_reference_and_a_file_that_is_not_wasm() {
        let dir = tempfile::tempdir().unwrap();
        let c = client(dir.path(), &["127.0.0.1:9"]);
        let file = dir.path().join("x.wasm");
        std::fs::write(&file, b"#!/bin/sh").unwrap();
        let r: OciRef = "oci://127.0.0.1:9/m".parse().unwrap();
        let err = c.push(&r, &file, None).await.unwrap_err();
        assert!(err.to_string().contains("not a WebAssembly file"), "{err}");
        let pinned = r.pinned(&format!("sha256:{}", "a".repeat(64)));
        let err = c.push(&pinned, &file, None).await.unwrap_err();
        assert!(matches!(err, OciError::InvalidReference { .. }), "{err}");
    }
}
