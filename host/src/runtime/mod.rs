//! The WebAssembly side: engine, module cache, limits, linker and the per-datasource guest pools.
//!
//! This is the only module that touches wasmtime; it speaks the handler's domain types.

mod convert;
mod engine;
mod guest;
mod limits;
mod module;
mod state;

pub use guest::{GuestError, GuestPool, Streamer};
pub use limits::ModuleLimits;
pub use module::{CompiledModule, FileStamp, ModuleCache, ModuleDescription, ModuleError};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker};

use crate::capability::http::HttpPolicy;
use crate::handler::DatasourceSettings;
use state::HostState;

/// Owns the engine and the compiled modules; creates guest pools for datasource instances.
#[derive(Debug, Clone)]
pub struct Runtime {
    modules_dir: PathBuf,
    cache: ModuleCache,
    limits: ModuleLimits,
}

/// Failure to set the runtime up at all (not per module).
#[derive(Debug, thiserror::Error)]
#[error("cannot start the WebAssembly runtime: {0}")]
pub struct RuntimeInitError(String);

impl Runtime {
    pub fn new(modules_dir: PathBuf, limits: ModuleLimits) -> Result<Self, RuntimeInitError> {
        let engine = engine::new_engine().map_err(|e| RuntimeInitError(format!("{e:#}")))?;
        let mut linker = Linker::<HostState>::new(&engine);
        // Linked: WASI p2 (with a context that grants nothing, see HostState::new) because the
        // Rust standard library imports it, and our own `log` interface.
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| RuntimeInitError(format!("{e:#}")))?;
        // wasi:http/outgoing-handler and its types; every send goes through PolicyHooks.
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(|e| RuntimeInitError(format!("{e:#}")))?;
        crate::bindings::Module::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
            .map_err(|e| RuntimeInitError(format!("{e:#}")))?;
        Ok(Runtime {
            modules_dir,
            cache: ModuleCache::new(engine, linker),
            limits,
        })
    }

    pub fn modules_dir(&self) -> &Path {
        &self.modules_dir
    }

    pub fn limits(&self) -> &ModuleLimits {
        &self.limits
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

    /// Compiles every `.wasm` in the modules directory ahead of the first request, so Grafana's
    /// calls do not wait for compilation.
    pub async fn precompile_all(&self) {
        let Ok(entries) = std::fs::read_dir(&self.modules_dir) else {
            tracing::warn!(dir = %self.modules_dir.display(), "modules directory is not readable");
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "wasm")
                && let Some(name) = path.file_stem().and_then(|s| s.to_str())
                && let Err(e) = self.cache.load(name, &path).await
            {
                tracing::warn!(error = %e, "module failed to compile ahead of time");
            }
        }
    }

    /// Creates the guest side of a datasource instance.
    pub async fn instantiate(
        &self,
        module: Arc<CompiledModule>,
        settings: &DatasourceSettings,
        limits: ModuleLimits,
        http: HttpPolicy,
    ) -> Result<GuestPool, GuestError> {
        GuestPool::new(module, convert::settings(settings), limits, http).await
    }
}
