//! Module sources: where a datasource's module comes from (a file in the modules directory,
//! pinned or not on its digest; an OCI reference) and which version of it serves.
//!
//! A source is shared by every datasource naming the same reference. It holds the version
//! serving now, the one before it (for rollback) and the last version refused. A new version
//! (a changed file, a tag moved to a new digest) is never served until a rollout accepted it, so
//! a datasource created after a bad version landed still gets the good one.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Instant, SystemTime};

use super::DatasourceInstance;
use crate::oci::{OciClient, OciError, OciRef, RegistryCredentials};
use crate::runtime::{CompiledModule, FileStamp, ModuleError, Runtime, sha256_hex};

/// Where a source's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// `<modules dir>/<name>.wasm`, pinned to a digest when `pin` is set.
    File {
        name: String,
        path: PathBuf,
        pin: Option<String>,
    },
    /// A module in an OCI registry, by tag (followed) or by digest (fixed).
    Oci {
        name: String,
        reference: OciRef,
        /// The datasource's registry login (the plugin's own is added by the client).
        creds: Option<RegistryCredentials>,
    },
}

/// Why a source has no version to give.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum LoadError {
    #[error(transparent)]
    Module(#[from] ModuleError),
    #[error(transparent)]
    Registry(#[from] OciError),
}

/// One version of a module: compiled, with the digest of its bytes (and, from a registry, the
/// manifest digest it was pulled by).
#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub(crate) module: Arc<CompiledModule>,
    pub(crate) manifest: Option<String>,
}

impl Version {
    pub(crate) fn digest(&self) -> &str {
        &self.module.sha256
    }
}

/// A version refused by a rollout, and why.
#[derive(Debug, Clone)]
pub(crate) struct Rejected {
    /// The module's sha256 (for a registry version that never compiled: its manifest digest).
    pub(crate) digest: String,
    /// The manifest digest, for a version from a registry.
    pub(crate) manifest: Option<String>,
    pub(crate) reason: String,
    pub(crate) at: SystemTime,
}

#[derive(Debug, Default)]
struct State {
    current: Option<Version>,
    previous: Option<Version>,
    rejected: Option<Rejected>,
    /// Every digest ever refused: not tried again until another one appears.
    refused: HashSet<String>,
    /// The file stamp last looked at, so an unchanged file is not hashed again.
    seen: Option<FileStamp>,
    /// The manifest digest a registry tag last resolved to, so an unmoved tag costs one request.
    seen_manifest: Option<String>,
    /// When the registry was last asked (tags are polled at their own, slower interval).
    last_resolved: Option<Instant>,
}

/// A module reference shared by the datasources naming it.
#[derive(Debug)]
pub(crate) struct Source {
    /// The reference as datasources write it.
    pub(crate) reference: String,
    pub(crate) origin: Origin,
    state: Mutex<State>,
    /// One rollout at a time; instance creation waits for one in progress.
    pub(crate) rollout: tokio::sync::Mutex<()>,
    /// Held while the origin is being looked at, so a slow compile is never started twice.
    pub(crate) checking: Arc<tokio::sync::Mutex<()>>,
    /// The datasource instances running this source's version.
    users: Mutex<Vec<Weak<DatasourceInstance>>>,
}

/// What a look at the origin found.
#[derive(Debug)]
pub(crate) enum Change {
    /// Nothing new.
    None,
    /// A version no rollout has seen yet: compiled, ready to be tried.
    Candidate(Version),
    /// A new version that can never serve (pinned digest differs, does not compile), refused.
    Refused(Rejected),
}

impl Source {
    pub(crate) fn new(reference: String, origin: Origin) -> Self {
        Source {
            reference,
            origin,
            state: Mutex::default(),
            rollout: tokio::sync::Mutex::new(()),
            checking: Arc::default(),
            users: Mutex::default(),
        }
    }

    /// The module's name, as metrics and logs show it.
    pub(crate) fn name(&self) -> &str {
        match &self.origin {
            Origin::File { name, .. } | Origin::Oci { name, .. } => name,
        }
    }

    pub(crate) fn current(&self) -> Option<Version> {
        self.state.lock().expect("source lock").current.clone()
    }

    pub(crate) fn previous(&self) -> Option<Version> {
        self.state.lock().expect("source lock").previous.clone()
    }

    pub(crate) fn rejected(&self) -> Option<Rejected> {
        self.state.lock().expect("source lock").rejected.clone()
    }

    /// Makes `version` the one serving (the one it replaces is kept for rollback) and, for a
    /// registry tag, records it as the version to start with when the registry is unreachable.
    pub(crate) fn accept_from(&self, version: Version, oci: &OciClient) {
        self.remember(&version, oci);
        self.accept(version);
    }

    /// Records a registry tag's serving version in the store (see [`OciClient::remember`]).
    pub(crate) fn remember(&self, version: &Version, oci: &OciClient) {
        if let (Origin::Oci { reference, .. }, Some(manifest)) = (&self.origin, &version.manifest)
            && let Err(e) = oci.remember(reference, manifest)
        {
            tracing::warn!(module = %self.reference, error = %e, "could not record the version serving for offline starts");
        }
    }

    /// Makes `version` the one serving; the one it replaces is kept for rollback.
    fn accept(&self, version: Version) {
        let mut s = self.state.lock().expect("source lock");
        if s.current
            .as_ref()
            .is_some_and(|c| c.digest() == version.digest())
        {
            return;
        }
        s.previous = s.current.replace(version);
    }

    /// Records that `digest` was refused, and why; it is not tried again.
    pub(crate) fn refuse(&self, digest: &str, reason: String) -> Rejected {
        self.refuse_keys(digest, None, reason)
    }

    /// Records that `version` was refused: neither its bytes nor (from a registry) its manifest
    /// are tried again.
    pub(crate) fn refuse_version(&self, version: &Version, reason: String) -> Rejected {
        self.refuse_keys(version.digest(), version.manifest.as_deref(), reason)
    }

    fn refuse_keys(&self, digest: &str, manifest: Option<&str>, reason: String) -> Rejected {
        let rejected = Rejected {
            digest: digest.to_string(),
            manifest: manifest.map(str::to_string),
            reason,
            at: SystemTime::now(),
        };
        let mut s = self.state.lock().expect("source lock");
        s.refused.insert(digest.to_string());
        if let Some(m) = manifest {
            s.refused.insert(m.to_string());
        }
        s.rejected = Some(rejected.clone());
        rejected
    }

    /// Swaps back to the previous version; the one rolled back from is refused from now on (and is
    /// not a version to roll back to).
    pub(crate) fn roll_back(&self) -> Option<(Version, Version)> {
        let mut s = self.state.lock().expect("source lock");
        let previous = s.previous.take()?;
        let current = s.current.replace(previous.clone())?;
        s.refused.insert(current.digest().to_string());
        if let Some(m) = &current.manifest {
            s.refused.insert(m.clone());
        }
        s.rejected = Some(Rejected {
            digest: current.digest().to_string(),
            manifest: current.manifest.clone(),
            reason: "rolled back by an operator".into(),
            at: SystemTime::now(),
        });
        // The version left is refused, so it is no rollback target: nothing is left to go back to.
        s.previous = None;
        Some((current, previous))
    }

    /// Counts `instance` among the users a rollout must move.
    pub(crate) fn add_user(&self, instance: &Arc<DatasourceInstance>) {
        let mut users = self.users.lock().expect("source users lock");
        users.retain(|u| u.strong_count() > 0);
        users.push(Arc::downgrade(instance));
    }

    /// The live instances running this source.
    pub(crate) fn users(&self) -> Vec<Arc<DatasourceInstance>> {
        let mut users = self.users.lock().expect("source users lock");
        users.retain(|u| u.strong_count() > 0);
        users.iter().filter_map(Weak::upgrade).collect()
    }

    /// The version to create a new datasource instance with: the one serving, or — for a source
    /// nothing has served yet — the origin's version now, which then serves.
    ///
    /// # Errors
    /// When the origin has no usable version (missing file, compile error, pin mismatch, a
    /// registry that refuses or cannot be reached with nothing stored).
    pub(crate) async fn version(
        &self,
        runtime: &Runtime,
        oci: &OciClient,
    ) -> Result<Version, LoadError> {
        if let Some(v) = self.current() {
            return Ok(v);
        }
        let version = match &self.origin {
            Origin::File { .. } => self.load_file(runtime).await?,
            Origin::Oci {
                reference, creds, ..
            } => {
                // The store may hold a pinned manifest another datasource's login pulled: the
                // registry decides whether this datasource may run it, when it can be asked.
                match oci.check_access(reference, creds.as_ref()).await {
                    Ok(()) => {}
                    Err(e) if transient(&e) => tracing::warn!(
                        module = %self.reference,
                        error = %e,
                        "registry unreachable: serving the pinned module from the local store"
                    ),
                    Err(e) => return Err(e.into()),
                }
                let manifest = match oci.resolve(reference, creds.as_ref()).await {
                    Ok(d) => d,
                    // Offline: the version this tag last had, if the store holds it. A registry
                    // that answers (no access, no such tag) is obeyed instead.
                    Err(e) if transient(&e) => match oci.last_known(reference) {
                        Some(d) => {
                            tracing::warn!(
                                module = %self.reference,
                                manifest = %d,
                                error = %e,
                                "registry unreachable: serving the version this tag last resolved to, from the local store"
                            );
                            d
                        }
                        None => return Err(e.into()),
                    },
                    Err(e) => return Err(e.into()),
                };
                self.state.lock().expect("source lock").last_resolved = Some(Instant::now());
                self.load_oci(runtime, oci, &manifest).await?
            }
        };
        self.accept_from(version.clone(), oci);
        Ok(version)
    }

    /// Loads the modules directory's file now.
    async fn load_file(&self, runtime: &Runtime) -> Result<Version, ModuleError> {
        let Origin::File { name, path, pin } = &self.origin else {
            unreachable!("load_file on a file origin only");
        };
        let stamp = FileStamp::of(path).ok();
        let module = runtime.cache().load(name, path).await?;
        if let Some(pin) = pin
            && module.sha256 != *pin
        {
            return Err(ModuleError::PinMismatch {
                path: path.clone(),
                pinned: pin.clone(),
                found: module.sha256.clone(),
            });
        }
        self.state.lock().expect("source lock").seen = stamp;
        Ok(Version {
            module,
            manifest: None,
        })
    }

    /// Fetches (from the store, or the registry) and compiles the module `manifest` names.
    async fn load_oci(
        &self,
        runtime: &Runtime,
        oci: &OciClient,
        manifest: &str,
    ) -> Result<Version, LoadError> {
        let Origin::Oci {
            name,
            reference,
            creds,
        } = &self.origin
        else {
            unreachable!("load_oci on a registry origin only");
        };
        let pulled = oci.fetch(reference, manifest, creds.as_ref()).await?;
        let module = runtime.cache().load(name, &pulled.path).await?;
        self.state.lock().expect("source lock").seen_manifest = Some(manifest.to_string());
        Ok(Version {
            module,
            manifest: Some(manifest.to_string()),
        })
    }

    /// Looks at the origin for a version other than the one serving (off the request path).
    pub(crate) async fn check(&self, runtime: &Runtime, oci: &OciClient) -> Change {
        match &self.origin {
            Origin::File { .. } => self.check_file(runtime).await,
            Origin::Oci { .. } => self.check_oci(runtime, oci).await,
        }
    }

    async fn check_file(&self, runtime: &Runtime) -> Change {
        let Origin::File { path, pin, .. } = &self.origin else {
            return Change::None;
        };
        let Ok(stamp) = FileStamp::of(path) else {
            return Change::None;
        };
        {
            let s = self.state.lock().expect("source lock");
            if s.seen == Some(stamp) {
                return Change::None;
            }
        }
        let Ok(bytes) = std::fs::read(path) else {
            return Change::None;
        };
        let digest = sha256_hex(&bytes);
        drop(bytes);
        {
            let mut s = self.state.lock().expect("source lock");
            s.seen = Some(stamp);
            if s.current.as_ref().is_some_and(|c| c.digest() == digest)
                || s.refused.contains(&digest)
            {
                return Change::None;
            }
        }
        if let Some(pin) = pin
            && *pin != digest
        {
            return Change::Refused(self.refuse(
                &digest,
                format!(
                    "the file {} changed to sha256:{digest}, but the datasource pins sha256:{pin}: it is not loaded",
                    path.display()
                ),
            ));
        }
        match self.load_file(runtime).await {
            Ok(v) if v.digest() == digest => Change::Candidate(v),
            // Changed again while compiling: the next look takes the newest.
            Ok(_) => Change::None,
            Err(e) => Change::Refused(self.refuse(&digest, e.to_string())),
        }
    }

    /// Resolves the tag again (at most every `oci_poll_interval`); a digest not seen before is
    /// pulled and compiled into a candidate. A digest reference never changes.
    async fn check_oci(&self, runtime: &Runtime, oci: &OciClient) -> Change {
        let Origin::Oci {
            reference, creds, ..
        } = &self.origin
        else {
            return Change::None;
        };
        if reference.digest.is_some() {
            return Change::None;
        }
        {
            let mut s = self.state.lock().expect("source lock");
            if s.current.is_none()
                || s.last_resolved
                    .is_some_and(|t| t.elapsed() < runtime.limits().oci_poll_interval)
            {
                return Change::None;
            }
            s.last_resolved = Some(Instant::now());
        }
        let manifest = match oci.resolve(reference, creds.as_ref()).await {
            Ok(d) => d,
            Err(e) => {
                // The version serving goes on; the next poll asks again.
                tracing::warn!(module = %self.reference, error = %e, "resolving the module's tag failed");
                return Change::None;
            }
        };
        {
            let s = self.state.lock().expect("source lock");
            if s.seen_manifest.as_deref() == Some(manifest.as_str())
                || s.refused.contains(&manifest)
            {
                return Change::None;
            }
        }
        match self.load_oci(runtime, oci, &manifest).await {
            Ok(v) => {
                let s = self.state.lock().expect("source lock");
                let same = s.current.as_ref().is_some_and(|c| c.digest() == v.digest());
                if same || s.refused.contains(v.digest()) {
                    // Re-pushed bytes already serving (or refused) under a new manifest.
                    Change::None
                } else {
                    Change::Candidate(v)
                }
            }
            Err(LoadError::Registry(e)) if transient(&e) => {
                tracing::warn!(module = %self.reference, manifest = %manifest, error = %e, "pulling the module's new version failed; trying again at the next poll");
                Change::None
            }
            Err(e) => Change::Refused(self.refuse_keys(&manifest, Some(&manifest), e.to_string())),
        }
    }
}

/// A registry failure that may pass: the version serving goes on and the next look retries.
fn transient(e: &OciError) -> bool {
    matches!(e, OciError::Unreachable { .. } | OciError::Timeout { .. })
}

/// Every source in use, by reference.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    map: Mutex<std::collections::HashMap<String, Arc<Source>>>,
}

impl Sources {
    /// The source under `key` (the reference, and for a registry the login), created on first
    /// use.
    pub(crate) fn get(
        &self,
        key: &str,
        reference: &str,
        origin: impl FnOnce() -> Origin,
    ) -> Arc<Source> {
        self.map
            .lock()
            .expect("sources lock")
            .entry(key.to_string())
            .or_insert_with(|| Arc::new(Source::new(reference.to_string(), origin())))
            .clone()
    }

    pub(crate) fn all(&self) -> Vec<Arc<Source>> {
        self.map
            .lock()
            .expect("sources lock")
            .values()
            .cloned()
            .collect()
    }
}
