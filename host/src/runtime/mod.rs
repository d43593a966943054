//! The WebAssembly side: engine, module cache, linker, budgets and the per-datasource guest pools.
//!
//! This is the only module that touches wasmtime; it speaks the handler's domain types.

mod budget;
mod convert;
mod disk_cache;
mod engine;
mod exports;
mod guest;
mod linker;
mod module;
mod state;

pub(crate) use budget::Meter;
pub use budget::{Busy, CountingAllocator, HostBudget, Usage, counting_installed};
pub use guest::{DatasourceSlots, GuestError, GuestPool, Streamer};
pub use module::{
    CompiledModule, FileStamp, LoadStats, ModuleCache, ModuleDescription, ModuleError, sha256_hex,
};
pub(crate) use state::{GuestIdentity, HostState};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use crate::handler::DatasourceSettings;
use crate::policy::{HostLimits, ModulePolicy};

/// Owns the engine, the compiled modules and the process-wide budget; creates guest pools for
/// datasource instances.
#[derive(Debug, Clone)]
pub struct Runtime {
    modules_dir: PathBuf,
    cache: ModuleCache,
    limits: HostLimits,
    budget: Arc<HostBudget>,
    /// Every live pool, so idle stores can be dropped when the process budget runs short.
    pools: Arc<Mutex<Vec<Weak<GuestPool>>>>,
}

/// Failure to set the runtime up at all (not per module).
#[derive(Debug, thiserror::Error)]
#[error("cannot start the WebAssembly runtime: {0}")]
pub struct RuntimeInitError(String);

impl Runtime {
    pub fn new(modules_dir: PathBuf, limits: HostLimits) -> Result<Self, RuntimeInitError> {
        let engine =
            engine::new_engine(limits.opt_level).map_err(|e| RuntimeInitError(format!("{e:#}")))?;
        let linker = linker::new_linker(&engine).map_err(|e| RuntimeInitError(format!("{e:#}")))?;
        let budget = Arc::new(HostBudget::new(&limits));
        let pools: Arc<Mutex<Vec<Weak<GuestPool>>>> = Arc::default();
        let weak_pools = Arc::downgrade(&pools);
        budget.memory.set_evictor(Box::new(move || {
            let Some(pools) = weak_pools.upgrade() else {
                return;
            };
            let live: Vec<Arc<GuestPool>> = pools
                .lock()
                .expect("pool registry")
                .iter()
                .filter_map(Weak::upgrade)
                .collect();
            for pool in live {
                pool.evict_idle();
            }
        }));
        Ok(Runtime {
            modules_dir,
            cache: ModuleCache::new(engine, linker, limits.clone()),
            limits,
            budget,
            pools,
        })
    }

    pub fn modules_dir(&self) -> &Path {
        &self.modules_dir
    }

    pub fn limits(&self) -> &HostLimits {
        &self.limits
    }

    pub fn budget(&self) -> &Arc<HostBudget> {
        &self.budget
    }

    pub fn cache(&self) -> &ModuleCache {
        &self.cache
    }

    /// Where the module called `name` lives.
    pub fn module_path(&self, name: &str) -> Result<PathBuf, ModuleError> {
        let valid = !name.is_empty()
            && name.len() <= 128
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(ModuleError::InvalidName {
                name: name.to_string(),
            });
        }
        Ok(self.modules_dir.join(format!("{name}.wasm")))
    }

    /// The compiled module called `name`, compiled now if needed.
    pub async fn load(&self, name: &str) -> Result<Arc<CompiledModule>, ModuleError> {
        let path = self.module_path(name)?;
        self.cache.load(name, &path).await
    }

    /// Compiles every `.wasm` in the modules directory ahead of the first request, a few at a
    /// time, so Grafana's calls do not wait for compilation.
    pub async fn precompile_all(&self) {
        let Ok(entries) = std::fs::read_dir(&self.modules_dir) else {
            tracing::warn!(dir = %self.modules_dir.display(), "modules directory is not readable");
            return;
        };
        let mut tasks = tokio::task::JoinSet::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "wasm")
                && let Some(name) = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .map(str::to_string)
            {
                let cache = self.cache.clone();
                tasks.spawn(async move {
                    if let Err(e) = cache.load(&name, &path).await {
                        tracing::warn!(error = %e, "module failed to compile ahead of time");
                    }
                });
            }
        }
        while tasks.join_next().await.is_some() {}
    }

    /// The module's descriptor as editors use it (JSON), asked once of a throwaway instance
    /// with no settings and remembered; `None` for modules built for contract 0.2.
    pub async fn descriptor(
        &self,
        module: &Arc<CompiledModule>,
    ) -> Result<Option<serde_json::Value>, String> {
        if let Some(known) = module.descriptor.get() {
            return known.clone();
        }
        let asked = self.ask_descriptor(module).await.map_err(|e| e.to_string());
        if asked.is_ok() {
            let _ = module.descriptor.set(asked.clone());
        }
        asked
    }

    async fn ask_descriptor(
        &self,
        module: &Arc<CompiledModule>,
    ) -> Result<Option<serde_json::Value>, GuestError> {
        if module.contract == crate::bindings::Contract::V0_2 {
            return Ok(None);
        }
        let Some(d) = guest::describe(module, &self.budget).await? else {
            return Ok(None);
        };
        crate::untrusted::descriptor_json(d)
            .map(Some)
            .map_err(|e| GuestError::InvalidOutput {
                module: module.name().to_string(),
                reason: e.to_string(),
            })
    }

    /// Creates the guest side of a datasource instance under `policy`; `slots` are the
    /// datasource's (new ones for a new datasource, the serving version's for a rollout).
    pub async fn instantiate(
        &self,
        module: Arc<CompiledModule>,
        settings: &DatasourceSettings,
        policy: &ModulePolicy,
        slots: DatasourceSlots,
    ) -> Result<Arc<GuestPool>, GuestError> {
        let pool = Arc::new(
            GuestPool::new(
                module,
                convert::settings(settings),
                &settings.secure_json_data,
                policy,
                self.budget.clone(),
                slots,
            )
            .await?,
        );
        let mut pools = self.pools.lock().expect("pool registry");
        pools.retain(|p| p.strong_count() > 0);
        pools.push(Arc::downgrade(&pool));
        Ok(pool)
    }
}
