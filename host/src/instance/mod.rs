//! Datasource instances: one live module instance per Grafana datasource, created on first use,
//! recreated when Grafana's settings change, moved to a new module version only by a rollout
//! that accepted it, and disposed when unused.
//!
//! Mirrors the Go SDK's instance manager: keyed by org, id and uid, rebuilt when `lastUpdatedMS`
//! or the Grafana config changes. Each call holds the module pool it started on, so a rollout
//! never disturbs a call in flight; the pool is freed when its last call ends.

mod reference;
mod rollout;
mod source;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Instant, SystemTime};

pub use reference::{ModuleRef, ReferenceError};
pub use rollout::RollbackError;
use source::LoadError;
pub(crate) use source::{Rejected, Source, Version};

use crate::handler::{DatasourceSettings, PluginContext};
use crate::oci::{OciClient, OciError};
use crate::policy::{ModulePolicy, PolicyError};
use crate::runtime::{
    CompiledModule, DatasourceSlots, GuestError, GuestPool, ModuleError, Runtime,
};
use source::{Origin, Sources};

/// Why a datasource instance could not be had.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum InstanceError {
    /// The request carried no datasource settings (a plugin-level call).
    #[error("the request carries no datasource instance settings")]
    NoDatasource,
    /// `jsonData` is not what the host needs.
    #[error("datasource {uid:?}: {source}")]
    Settings { uid: String, source: PolicyError },
    /// `jsonData.module` is not a reference the host understands.
    #[error("datasource {uid:?}: {source}")]
    Reference { uid: String, source: ReferenceError },
    #[error("datasource {uid:?}: {source}")]
    Module { uid: String, source: ModuleError },
    /// The module's registry refused, failed, or could not be reached with nothing stored.
    #[error("datasource {uid:?}: {source}")]
    Registry { uid: String, source: OciError },
    /// The module refused the settings or failed while creating its instance.
    #[error("datasource {uid:?}: creating the module instance failed: {source}")]
    Create { uid: String, source: GuestError },
}

/// A live datasource instance.
pub struct DatasourceInstance {
    pub org_id: i64,
    pub settings: DatasourceSettings,
    grafana_config: BTreeMap<String, String>,
    policy: ModulePolicy,
    source: Arc<Source>,
    /// The version serving this datasource; a rollout swaps it.
    serving: Mutex<Serving>,
    /// When this datasource started running the version it runs now.
    since: Mutex<SystemTime>,
    last_used: Mutex<Instant>,
    active: Arc<AtomicI64>,
}

impl std::fmt::Debug for DatasourceInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatasourceInstance")
            .field("settings", &self.settings)
            .field("module", &self.source.reference)
            .finish_non_exhaustive()
    }
}

/// The module pool a datasource's calls start on, and the registry manifest it came from.
struct Serving {
    pool: Arc<GuestPool>,
    manifest: Option<String>,
}

impl DatasourceInstance {
    /// The pool calls start on now; a call keeps it to the end even if a rollout swaps it.
    pub fn guests(&self) -> Arc<GuestPool> {
        self.serving.lock().expect("serving lock").pool.clone()
    }

    /// The manifest digest of the version serving, when it came from a registry.
    pub fn manifest(&self) -> Option<String> {
        self.serving.lock().expect("serving lock").manifest.clone()
    }

    /// The version serving now.
    pub fn module(&self) -> Arc<CompiledModule> {
        self.guests().module().clone()
    }

    /// `jsonData.module` as the datasource wrote it.
    pub fn reference(&self) -> &str {
        &self.source.reference
    }

    /// The module's name (metrics and logs).
    pub fn module_name(&self) -> &str {
        self.source.name()
    }

    /// When this datasource started running the version it runs now.
    pub fn since(&self) -> SystemTime {
        *self.since.lock().expect("since lock")
    }

    /// The last version of this datasource's module that was refused, and why.
    pub(crate) fn rejected(&self) -> Option<Rejected> {
        self.source.rejected()
    }

    /// The version a rollback would go back to.
    pub(crate) fn previous(&self) -> Option<Version> {
        self.source.previous()
    }

    /// The last refusal, as health checks and status show it.
    pub fn reload_error(&self) -> Option<String> {
        self.rejected().map(|r| r.reason)
    }

    fn touch(&self) {
        *self.last_used.lock().expect("last used lock") = Instant::now();
    }

    /// How long since the last call.
    pub fn idle_for(&self) -> std::time::Duration {
        self.last_used.lock().expect("last used lock").elapsed()
    }

    /// Moves this datasource to `pool` (a rollout accepted its version).
    fn serve(&self, pool: Arc<GuestPool>, manifest: Option<String>) {
        *self.serving.lock().expect("serving lock") = Serving { pool, manifest };
        *self.since.lock().expect("since lock") = SystemTime::now();
    }
}

impl Drop for DatasourceInstance {
    fn drop(&mut self) {
        self.active.fetch_sub(1, Ordering::Relaxed);
        tracing::debug!(
            dsUid = %self.settings.uid,
            module = %self.source.reference,
            "disposed datasource instance"
        );
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<Arc<DatasourceInstance>>>>;

struct Inner {
    runtime: Runtime,
    /// Made on first use of an `oci://` module (it prepares the store directory).
    oci: std::sync::OnceLock<OciClient>,
    slots: Mutex<HashMap<String, Slot>>,
    sources: Sources,
    active: Arc<AtomicI64>,
}

/// Finds or builds the live instance for a request's datasource; a background task looks for
/// new module versions and rolls them out (see [`rollout`]).
pub struct InstanceManager {
    inner: Arc<Inner>,
    watching: AtomicBool,
}

impl std::fmt::Debug for InstanceManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceManager")
            .field("active", &self.active())
            .finish_non_exhaustive()
    }
}

impl InstanceManager {
    pub fn new(runtime: Runtime) -> Self {
        InstanceManager {
            inner: Arc::new(Inner {
                runtime,
                oci: std::sync::OnceLock::new(),
                slots: Mutex::default(),
                sources: Sources::default(),
                active: Arc::default(),
            }),
            watching: AtomicBool::new(false),
        }
    }

    pub fn runtime(&self) -> &Runtime {
        &self.inner.runtime
    }

    /// Number of live datasource instances.
    pub fn active(&self) -> i64 {
        self.inner.active.load(Ordering::Relaxed)
    }

    /// Every live datasource instance (those being created right now excepted).
    pub fn live(&self) -> Vec<Arc<DatasourceInstance>> {
        self.inner.live()
    }

    /// How many live instances run each module version: `(module, sha256, count)`.
    pub fn versions(&self) -> Vec<(String, String, usize)> {
        let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
        for inst in self.live() {
            let key = (inst.module_name().to_string(), inst.module().sha256.clone());
            *counts.entry(key).or_default() += 1;
        }
        counts.into_iter().map(|((m, d), n)| (m, d, n)).collect()
    }

    /// The instance for this request, creating or replacing it as needed.
    pub async fn get(&self, ctx: &PluginContext) -> Result<Arc<DatasourceInstance>, InstanceError> {
        self.watch();
        let settings = ctx.datasource.as_ref().ok_or(InstanceError::NoDatasource)?;
        // A uid is unique only within an org, so the org is part of the key (the Go SDK keys
        // by the numeric id, which newer Grafana may leave at 0).
        let key = format!("{}/{}/{}", ctx.org_id, settings.id, settings.uid);
        let slot = self
            .inner
            .slots
            .lock()
            .expect("instance slots lock")
            .entry(key)
            .or_default()
            .clone();
        // Per-key lock: concurrent first requests build the instance once.
        let mut current = slot.lock().await;
        if let Some(live) = current.as_ref() {
            if live.settings.updated_ms == settings.updated_ms
                && live.grafana_config == ctx.grafana_config
            {
                live.touch();
                return Ok(live.clone());
            }
            let why = if live.settings.updated_ms != settings.updated_ms {
                "settings changed (lastUpdatedMS)"
            } else {
                "Grafana config changed"
            };
            tracing::info!(dsUid = %settings.uid, reason = why, "recreating datasource instance");
        }
        let fresh = self
            .inner
            .create(ctx.org_id, settings, &ctx.grafana_config)
            .await?;
        *current = Some(fresh.clone());
        Ok(fresh)
    }

    /// Goes back to the version the datasource's module ran before the current one, for every
    /// datasource on that module; the version left is refused from then on.
    ///
    /// # Errors
    /// When there is no previous version, or it cannot be instantiated again.
    pub(crate) async fn roll_back(
        &self,
        inst: &DatasourceInstance,
    ) -> Result<(Version, Version), RollbackError> {
        rollout::roll_back(&self.inner.runtime, self.inner.oci(), &inst.source).await
    }

    /// Starts the background task that looks for new versions and disposes idle instances, once,
    /// from inside the runtime.
    fn watch(&self) {
        if self.watching.swap(true, Ordering::Relaxed) {
            return;
        }
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let interval = self.inner.runtime.limits().module_poll_interval;
        tokio::spawn(rollout::watch(weak, interval));
    }
}

impl Inner {
    fn oci(&self) -> &OciClient {
        self.oci
            .get_or_init(|| OciClient::new(self.runtime.limits().oci_settings()))
    }

    fn live(&self) -> Vec<Arc<DatasourceInstance>> {
        let slots: Vec<Slot> = self
            .slots
            .lock()
            .expect("instance slots lock")
            .values()
            .cloned()
            .collect();
        slots
            .iter()
            .filter_map(|s| s.try_lock().ok().and_then(|g| g.clone()))
            .collect()
    }

    /// Disposes instances nobody called for `ttl` and nobody holds (a running stream or call
    /// keeps its instance alive).
    fn dispose_idle(&self, ttl: std::time::Duration) {
        let mut slots = self.slots.lock().expect("instance slots lock");
        slots.retain(|_, slot| {
            let Ok(mut guard) = slot.try_lock() else {
                return true;
            };
            let idle = guard
                .as_ref()
                .is_some_and(|i| i.idle_for() >= ttl && Arc::strong_count(i) == 1);
            if idle {
                let inst = guard.take().expect("checked above");
                tracing::info!(
                    dsUid = %inst.settings.uid,
                    idle_s = inst.idle_for().as_secs(),
                    "datasource instance idle: disposing it"
                );
            }
            guard.is_some()
        });
    }

    async fn create(
        &self,
        org_id: i64,
        settings: &DatasourceSettings,
        grafana_config: &BTreeMap<String, String>,
    ) -> Result<Arc<DatasourceInstance>, InstanceError> {
        let uid = || settings.uid.clone();
        let policy = ModulePolicy::from_settings(settings)
            .map_err(|source| InstanceError::Settings { uid: uid(), source })?;
        let text = policy
            .module_name()
            .map_err(|source| InstanceError::Settings { uid: uid(), source })?;
        let reference = ModuleRef::parse(text)
            .map_err(|source| InstanceError::Reference { uid: uid(), source })?;
        let (key, origin) = match &reference {
            ModuleRef::File { name, pin } => (
                reference.to_string(),
                Origin::File {
                    name: name.clone(),
                    path: self
                        .runtime
                        .module_path(name)
                        .map_err(|source| InstanceError::Module { uid: uid(), source })?,
                    pin: pin.clone(),
                },
            ),
            ModuleRef::Oci(r) => {
                let creds = policy.registry_credentials().cloned();
                // Datasources share a source only when they log in alike: one without access
                // never rides on another's login.
                let login = creds.as_ref().map_or_else(String::new, |c| {
                    crate::runtime::sha256_hex(format!("{}\0{}", c.username, c.password).as_bytes())
                });
                (
                    format!("{r}\0{login}"),
                    Origin::Oci {
                        name: reference.name().to_string(),
                        reference: r.clone(),
                        creds,
                    },
                )
            }
        };
        let source = self.sources.get(&key, &reference.to_string(), || origin);
        // A rollout of this source in progress finishes first, so the new instance is either
        // counted among its users or created on the version it accepted.
        let _rollout = source.rollout.lock().await;
        let version = source
            .version(&self.runtime, self.oci())
            .await
            .map_err(|e| match e {
                LoadError::Module(source) => InstanceError::Module { uid: uid(), source },
                LoadError::Registry(source) => InstanceError::Registry { uid: uid(), source },
            })?;
        let guests = self
            .runtime
            .instantiate(
                version.module.clone(),
                settings,
                &policy,
                DatasourceSlots::new(&policy.limits),
            )
            .await
            .map_err(|source| InstanceError::Create { uid: uid(), source })?;
        self.active.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(dsUid = %settings.uid, module = %source.reference, "created datasource instance");
        let inst = Arc::new(DatasourceInstance {
            org_id,
            settings: settings.clone(),
            grafana_config: grafana_config.clone(),
            policy,
            source: source.clone(),
            serving: Mutex::new(Serving {
                pool: guests,
                manifest: version.manifest.clone(),
            }),
            since: Mutex::new(SystemTime::now()),
            last_used: Mutex::new(Instant::now()),
            active: self.active.clone(),
        });
        source.add_user(&inst);
        Ok(inst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(json: &str) -> DatasourceSettings {
        DatasourceSettings {
            uid: "ds1".into(),
            json_data: json.into(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn settings_errors_name_the_datasource() {
        let dir = tempfile::tempdir().unwrap();
        let runtime = Runtime::new(dir.path().to_path_buf(), Default::default()).unwrap();
        let manager = InstanceManager::new(runtime);
        for (json, needle) in [
            ("{}", "names no module"),
            (r#"{"module": 3}"#, "jsonData.module"),
            ("not json", "not valid JSON"),
            (r#"{"module":"absent"}"#, "not found"),
            (r#"{"module":"absent@sha256:12"}"#, "64 hex digits"),
        ] {
            let ctx = PluginContext {
                datasource: Some(settings(json)),
                ..Default::default()
            };
            let err = manager.get(&ctx).await.unwrap_err().to_string();
            assert!(err.contains("ds1") && err.contains(needle), "{json}: {err}");
        }
    }
}
