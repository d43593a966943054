//! `.wasm` bytes → a compiled, linked, contract-checked module, cached per file version.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker};

use super::state::HostState;
use crate::bindings::{CONTRACT_PACKAGE, CONTRACT_VERSION, ModulePre};

/// Why a module could not be loaded.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ModuleError {
    /// The module name has characters that cannot name a file in the modules directory.
    #[error(
        "invalid module name {name:?}: use letters, digits, '-' and '_' (the host looks for <name>.wasm in the modules directory)"
    )]
    InvalidName { name: String },
    /// No `<name>.wasm` in the modules directory.
    #[error("module {name:?} not found: looked for {path}")]
    NotFound { name: String, path: PathBuf },
    #[error("cannot read module {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    /// The bytes are not a WebAssembly component wasmtime accepts.
    #[error("cannot compile module {path}: {reason}")]
    Compile { path: PathBuf, reason: String },
    /// Built against another version of the WIT contract.
    #[error(
        "module {path} is built for {found}, but this host speaks {CONTRACT_PACKAGE}@{CONTRACT_VERSION}: rebuild it against a matching quarry-guest"
    )]
    ContractVersion { path: PathBuf, found: String },
    /// Does not export the datasource interface at all.
    #[error(
        "module {path} does not export {CONTRACT_PACKAGE}/datasource (exports: {exports}); build it with quarry-guest's export! macro"
    )]
    NoContract { path: PathBuf, exports: String },
    /// Imports something the host does not provide.
    #[error("module {path} needs an import this host does not grant: {reason}")]
    Link { path: PathBuf, reason: String },
}

/// A compiled module, ready to instantiate any number of times.
#[derive(Clone)]
pub struct CompiledModule {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    pub(crate) pre: ModulePre<HostState>,
    stamp: FileStamp,
    /// The contract version the module was built for.
    pub contract: String,
}

impl std::fmt::Debug for CompiledModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledModule")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("contract", &self.contract)
            .finish_non_exhaustive()
    }
}

impl CompiledModule {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file on disk still is the one this was compiled from.
    pub fn is_current(&self) -> bool {
        FileStamp::of(&self.path).is_ok_and(|s| s == self.stamp)
    }
}

/// Identifies one version of a file without reading it. The inode and change time catch
/// replacements that keep size and modification time (`cp -p`, `rsync -t`, image layers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
    changed: (i64, i64),
}

impl FileStamp {
    pub fn of(path: &Path) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        #[cfg(unix)]
        let (inode, changed) = {
            use std::os::unix::fs::MetadataExt as _;
            (meta.ino(), (meta.ctime(), meta.ctime_nsec()))
        };
        #[cfg(not(unix))]
        let (inode, changed) = (0, (0, 0));
        Ok(FileStamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode,
            changed,
        })
    }
}

/// Compiles each module file once and hands out the compiled form while the file is unchanged.
#[derive(Clone)]
pub struct ModuleCache {
    engine: Engine,
    linker: Arc<Linker<HostState>>,
    compiled: Arc<Mutex<HashMap<PathBuf, Arc<CompiledModule>>>>,
    /// Serialises compilation so one file is never compiled twice at once.
    compiling: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for ModuleCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleCache").finish_non_exhaustive()
    }
}

impl ModuleCache {
    pub(crate) fn new(engine: Engine, linker: Linker<HostState>) -> Self {
        ModuleCache {
            engine,
            linker: Arc::new(linker),
            compiled: Arc::default(),
            compiling: Arc::default(),
        }
    }

    /// The compiled module for `path`, compiling it (off the async runtime) if the file is new
    /// or changed since it was last compiled.
    pub async fn load(&self, name: &str, path: &Path) -> Result<Arc<CompiledModule>, ModuleError> {
        if let Some(hit) = self.cached(path) {
            return Ok(hit);
        }
        let _guard = self.compiling.lock().await;
        if let Some(hit) = self.cached(path) {
            return Ok(hit);
        }
        let this = self.clone();
        let (name, path) = (name.to_string(), path.to_path_buf());
        let compiled = tokio::task::spawn_blocking(move || this.compile(&name, &path))
            .await
            .map_err(|e| ModuleError::Compile {
                path: PathBuf::new(),
                reason: format!("compiler task failed: {e}"),
            })??;
        let compiled = Arc::new(compiled);
        self.compiled
            .lock()
            .expect("module cache lock")
            .insert(compiled.path.clone(), compiled.clone());
        Ok(compiled)
    }

    fn cached(&self, path: &Path) -> Option<Arc<CompiledModule>> {
        let map = self.compiled.lock().expect("module cache lock");
        map.get(path).filter(|m| m.is_current()).cloned()
    }

    /// Compiles synchronously; used by `load` and by tools that have no cache to share.
    pub fn compile(&self, name: &str, path: &Path) -> Result<CompiledModule, ModuleError> {
        let stamp = FileStamp::of(path).map_err(|e| missing_or_unreadable(name, path, e))?;
        let bytes = std::fs::read(path).map_err(|e| missing_or_unreadable(name, path, e))?;
        let component = Component::new(&self.engine, &bytes).map_err(|e| ModuleError::Compile {
            path: path.to_path_buf(),
            reason: describe_compile_error(&e, &bytes),
        })?;
        let contract = check_contract(&self.engine, &component, path)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| ModuleError::Link {
                path: path.to_path_buf(),
                reason: format!("{e:#}"),
            })?;
        let pre = ModulePre::new(pre).map_err(|e| ModuleError::Link {
            path: path.to_path_buf(),
            reason: format!("{e:#}"),
        })?;
        tracing::info!(module = name, path = %path.display(), contract = %contract, "compiled module");
        Ok(CompiledModule {
            name: name.to_string(),
            path: path.to_path_buf(),
            pre,
            stamp,
            contract,
        })
    }

    /// Names of the module's exports and imports, for `quarry inspect`.
    pub fn describe(&self, path: &Path) -> Result<ModuleDescription, ModuleError> {
        let bytes = std::fs::read(path).map_err(|e| missing_or_unreadable("", path, e))?;
        let component = Component::new(&self.engine, &bytes).map_err(|e| ModuleError::Compile {
            path: path.to_path_buf(),
            reason: describe_compile_error(&e, &bytes),
        })?;
        let ty = component.component_type();
        Ok(ModuleDescription {
            exports: ty
                .exports(&self.engine)
                .map(|(n, _)| n.to_string())
                .collect(),
            imports: ty
                .imports(&self.engine)
                .map(|(n, _)| n.to_string())
                .collect(),
            contract: check_contract(&self.engine, &component, path),
        })
    }
}

/// What `quarry inspect` prints.
#[derive(Debug)]
pub struct ModuleDescription {
    pub exports: Vec<String>,
    pub imports: Vec<String>,
    pub contract: Result<String, ModuleError>,
}

fn missing_or_unreadable(name: &str, path: &Path, e: std::io::Error) -> ModuleError {
    if e.kind() == std::io::ErrorKind::NotFound {
        ModuleError::NotFound {
            name: name.to_string(),
            path: path.to_path_buf(),
        }
    } else {
        ModuleError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    }
}

fn describe_compile_error(e: &wasmtime::Error, bytes: &[u8]) -> String {
    // A core module (version 1) instead of a component (layer 1) is the usual mistake.
    if bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[4..8] == [1, 0, 0, 0] {
        return "this is a core WebAssembly module, not a component: build it for wasm32-wasip2"
            .to_string();
    }
    if bytes.len() < 4 || bytes[..4] != *b"\0asm" {
        return "not a WebAssembly file (missing \\0asm magic)".to_string();
    }
    format!("{e:#}")
}

/// Finds the `quarry:datasource/datasource@X` export and checks X against ours.
fn check_contract(
    engine: &Engine,
    component: &Component,
    path: &Path,
) -> Result<String, ModuleError> {
    let ty = component.component_type();
    let prefix = format!("{CONTRACT_PACKAGE}/datasource@");
    let mut names = Vec::new();
    for (name, item) in ty.exports(engine) {
        if let (Some(version), ComponentItem::ComponentInstance(_)) =
            (name.strip_prefix(&prefix), &item.ty)
        {
            let found = format!("{CONTRACT_PACKAGE}@{version}");
            if compatible(version, CONTRACT_VERSION) {
                return Ok(found);
            }
            return Err(ModuleError::ContractVersion {
                path: path.to_path_buf(),
                found,
            });
        }
        names.push(name.to_string());
    }
    Err(ModuleError::NoContract {
        path: path.to_path_buf(),
        exports: if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        },
    })
}

/// Semver compatibility: same major, or for 0.x the same minor.
fn compatible(found: &str, ours: &str) -> bool {
    fn parts(v: &str) -> Option<(u64, u64)> {
        let mut it = v.split('.');
        Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
    }
    match (parts(found), parts(ours)) {
        (Some((0, a)), Some((0, b))) => a == b,
        (Some((a, _)), Some((b, _))) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::compatible;

    #[test]
    fn contract_versions_follow_semver() {
        let table = [
            ("0.1.0", "0.1.0", true),
            ("0.1.3", "0.1.0", true),
            ("0.2.0", "0.1.0", false),
            ("1.0.0", "0.1.0", false),
            ("1.4.0", "1.0.0", true),
            ("2.0.0", "1.0.0", false),
            ("garbage", "0.1.0", false),
        ];
        for (found, ours, want) in table {
            assert_eq!(compatible(found, ours), want, "{found} vs {ours}");
        }
    }
}
