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
use std::time::SystemTime;

use super::DatasourceInstance;
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
}

/// One version of a module: compiled, with the digest of its bytes.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub(crate) module: Arc<CompiledModule>,
}

impl Version {
    pub(crate) fn digest(&self) -> &str {
        &self.module.sha256
    }
}

/// A version refused by a rollout, and why.
#[derive(Debug, Clone)]
pub(crate) struct Rejected {
    pub(crate) digest: String,
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
            Origin::File { name, .. } => name,
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

    /// Makes `version` the one serving; the one it replaces is kept for rollback.
    pub(crate) fn accept(&self, version: Version) {
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
        let rejected = Rejected {
            digest: digest.to_string(),
            reason,
            at: SystemTime::now(),
        };
        let mut s = self.state.lock().expect("source lock");
        s.refused.insert(digest.to_string());
        s.rejected = Some(rejected.clone());
        rejected
    }

    /// Swaps back to the previous version; the one rolled back from is refused from now on.
    pub(crate) fn roll_back(&self) -> Option<(Version, Version)> {
        let mut s = self.state.lock().expect("source lock");
        let previous = s.previous.take()?;
        let current = s.current.replace(previous.clone())?;
        s.refused.insert(current.digest().to_string());
        s.rejected = Some(Rejected {
            digest: current.digest().to_string(),
            reason: "rolled back by an operator".into(),
            at: SystemTime::now(),
        });
        s.previous = Some(current.clone());
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
    /// When the origin has no usable version (missing file, compile error, pin mismatch).
    pub(crate) async fn version(&self, runtime: &Runtime) -> Result<Version, ModuleError> {
        if let Some(v) = self.current() {
            return Ok(v);
        }
        let version = self.load(runtime).await?;
        self.accept(version.clone());
        Ok(version)
    }

    /// Loads the origin's version now.
    async fn load(&self, runtime: &Runtime) -> Result<Version, ModuleError> {
        match &self.origin {
            Origin::File { name, path, pin } => {
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
                Ok(Version { module })
            }
        }
    }

    /// Looks at the origin for a version other than the one serving (off the request path).
    pub(crate) async fn check(&self, runtime: &Runtime) -> Change {
        match &self.origin {
            Origin::File { path, pin, .. } => {
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
                match self.load(runtime).await {
                    Ok(v) if v.digest() == digest => Change::Candidate(v),
                    // Changed again while compiling: the next look takes the newest.
                    Ok(_) => Change::None,
                    Err(e) => Change::Refused(self.refuse(&digest, e.to_string())),
                }
            }
        }
    }
}

/// Every source in use, by reference.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    map: Mutex<std::collections::HashMap<String, Arc<Source>>>,
}

impl Sources {
    /// The source of `reference`, created on first use.
    pub(crate) fn get(&self, reference: &str, origin: impl FnOnce() -> Origin) -> Arc<Source> {
        self.map
            .lock()
            .expect("sources lock")
            .entry(reference.to_string())
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
