//! Datasource instances: one live module instance per Grafana datasource, created on first use,
//! recreated when Grafana's settings change, and hot-reloaded when its `.wasm` file changes.
//!
//! Mirrors the Go SDK's instance manager: keyed by org, id and uid, rebuilt when `lastUpdatedMS`
//! or the Grafana config changes. A replaced instance is disposed when its last in-flight call
//! releases it (each call holds an `Arc`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::handler::{DatasourceSettings, PluginContext};
use crate::policy::{ModulePolicy, PolicyError};
use crate::runtime::{CompiledModule, FileStamp, GuestError, GuestPool, ModuleError, Runtime};

/// How often a live instance checks whether its module file changed on disk.
const RELOAD_CHECK_INTERVAL: Duration = Duration::from_millis(500);

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
    #[error("datasource {uid:?}: {source}")]
    Module { uid: String, source: ModuleError },
    /// The module refused the settings or failed while creating its instance.
    #[error("datasource {uid:?}: creating the module instance failed: {source}")]
    Create { uid: String, source: GuestError },
}

/// A live datasource instance.
pub struct DatasourceInstance {
    pub settings: DatasourceSettings,
    grafana_config: BTreeMap<String, String>,
    pub guests: Arc<GuestPool>,
    next_reload_check: Mutex<Instant>,
    /// The last hot-reload failure, shown in health checks while the old module keeps serving,
    /// and the file version that failed, which is not retried until the file changes again.
    reload_error: Mutex<Option<(String, Option<FileStamp>)>>,
    active: Arc<AtomicI64>,
}

impl std::fmt::Debug for DatasourceInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatasourceInstance")
            .field("settings", &self.settings)
            .field("module", &self.module().name())
            .finish_non_exhaustive()
    }
}

impl DatasourceInstance {
    pub fn module(&self) -> &Arc<CompiledModule> {
        self.guests.module()
    }

    pub fn reload_error(&self) -> Option<String> {
        let failed = self.reload_error.lock().expect("reload error lock");
        failed.as_ref().map(|(message, _)| message.clone())
    }

    /// Whether the module file changed since it was compiled and this version has not
    /// already failed to load.
    fn module_file_changed(&self) -> bool {
        if self.module().is_current() {
            return false;
        }
        let now = FileStamp::of(self.module().path()).ok();
        let failed = self.reload_error.lock().expect("reload error lock");
        !matches!(&*failed, Some((_, stamp)) if *stamp == now)
    }

    fn due_for_reload_check(&self) -> bool {
        let mut next = self.next_reload_check.lock().expect("reload check lock");
        let now = Instant::now();
        if now < *next {
            return false;
        }
        *next = now + RELOAD_CHECK_INTERVAL;
        true
    }
}

impl Drop for DatasourceInstance {
    fn drop(&mut self) {
        self.active.fetch_sub(1, Ordering::Relaxed);
        tracing::debug!(
            dsUid = %self.settings.uid,
            module = %self.module().name(),
            "disposed datasource instance"
        );
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<Arc<DatasourceInstance>>>>;

/// Finds or builds the live instance for a request's datasource.
#[derive(Debug)]
pub struct InstanceManager {
    runtime: Runtime,
    slots: Mutex<HashMap<String, Slot>>,
    active: Arc<AtomicI64>,
}

impl InstanceManager {
    pub fn new(runtime: Runtime) -> Self {
        InstanceManager {
            runtime,
            slots: Mutex::default(),
            active: Arc::default(),
        }
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Number of live datasource instances.
    pub fn active(&self) -> i64 {
        self.active.load(Ordering::Relaxed)
    }

    /// The instance for this request, creating or replacing it as needed.
    pub async fn get(&self, ctx: &PluginContext) -> Result<Arc<DatasourceInstance>, InstanceError> {
        let settings = ctx.datasource.as_ref().ok_or(InstanceError::NoDatasource)?;
        // A uid is unique only within an org, so the org is part of the key (the Go SDK keys
        // by the numeric id, which newer Grafana may leave at 0).
        let key = format!("{}/{}/{}", ctx.org_id, settings.id, settings.uid);
        let slot = self
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
                if live.due_for_reload_check() && live.module_file_changed() {
                    self.hot_reload(&mut current, ctx).await;
                }
                return Ok(current.as_ref().expect("instance present").clone());
            }
            let why = if live.settings.updated_ms != settings.updated_ms {
                "settings changed (lastUpdatedMS)"
            } else {
                "Grafana config changed"
            };
            tracing::info!(dsUid = %settings.uid, reason = why, "recreating datasource instance");
        }
        let fresh = self.create(settings, &ctx.grafana_config).await?;
        *current = Some(fresh.clone());
        Ok(fresh)
    }

    /// Swaps in a rebuilt instance for a changed module file; keeps the old one if the new
    /// module fails to compile or instantiate.
    async fn hot_reload(&self, current: &mut Option<Arc<DatasourceInstance>>, ctx: &PluginContext) {
        let live = current.as_ref().expect("instance present").clone();
        let stamp = FileStamp::of(live.module().path()).ok();
        match self.create(&live.settings, &ctx.grafana_config).await {
            Ok(fresh) => {
                tracing::info!(
                    dsUid = %live.settings.uid,
                    module = %fresh.module().name(),
                    "module file changed: reloaded"
                );
                *current = Some(fresh);
            }
            Err(e) => {
                tracing::error!(
                    dsUid = %live.settings.uid,
                    error = %e,
                    "module file changed but the new version failed; still serving the previous one"
                );
                *live.reload_error.lock().expect("reload error lock") =
                    Some((e.to_string(), stamp));
            }
        }
    }

    async fn create(
        &self,
        settings: &DatasourceSettings,
        grafana_config: &BTreeMap<String, String>,
    ) -> Result<Arc<DatasourceInstance>, InstanceError> {
        let policy =
            ModulePolicy::from_settings(settings).map_err(|source| InstanceError::Settings {
                uid: settings.uid.clone(),
                source,
            })?;
        let name = policy
            .module_name()
            .map_err(|source| InstanceError::Settings {
                uid: settings.uid.clone(),
                source,
            })?
            .to_string();
        let module = self
            .runtime
            .load(&name)
            .await
            .map_err(|source| InstanceError::Module {
                uid: settings.uid.clone(),
                source,
            })?;
        let guests = self
            .runtime
            .instantiate(module, settings, &policy)
            .await
            .map_err(|source| InstanceError::Create {
                uid: settings.uid.clone(),
                source,
            })?;
        self.active.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(dsUid = %settings.uid, module = %name, "created datasource instance");
        Ok(Arc::new(DatasourceInstance {
            settings: settings.clone(),
            grafana_config: grafana_config.clone(),
            guests,
            next_reload_check: Mutex::new(Instant::now() + RELOAD_CHECK_INTERVAL),
            reload_error: Mutex::new(None),
            active: self.active.clone(),
        }))
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
