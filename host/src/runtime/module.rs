//! `.wasm` bytes → a compiled, linked, contract-checked module, cached per file version.
//!
//! Compilation is bounded: files larger than the host's cap are refused unread, each compile
//! runs on a blocking thread under a deadline, at most `compile_concurrency` run at once, and
//! each file has its own lock, so a huge module delays only the datasources that use it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker};

use super::disk_cache::{DiskCache, Lookup};
use super::exports::ModulePre;
use super::linker;
use super::state::HostState;
use crate::bindings::{CONTRACT_PACKAGE, CONTRACT_VERSION, Contract};
use crate::policy::HostLimits;

/// Until a module has been instantiated once, a new store reserves this much of the process
/// budget before instantiating it.
const DEFAULT_FOOTPRINT: usize = 4 << 20;

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
    /// Larger than the host compiles.
    #[error(
        "module {path} is {size_mib} MiB, larger than the {limit_mib} MiB this host compiles (max_module_mb in [plugin.quarry-wasm-datasource])"
    )]
    TooLarge {
        path: PathBuf,
        size_mib: u64,
        limit_mib: u64,
    },
    /// The bytes are not a WebAssembly component wasmtime accepts.
    #[error("cannot compile module {path}: {reason}")]
    Compile { path: PathBuf, reason: String },
    /// Compiling took longer than the host allows.
    #[error(
        "module {path} did not compile within {seconds} s (compile_timeout_s in [plugin.quarry-wasm-datasource]); it is not retried until the file changes"
    )]
    CompileTimeout { path: PathBuf, seconds: u64 },
    /// Built against a version of the WIT contract this host does not load.
    #[error(
        "module {path} is built for {found}, but this host speaks {CONTRACT_PACKAGE}@{CONTRACT_VERSION} (and loads 0.2 modules): rebuild it against a matching quarry-guest"
    )]
    ContractVersion { path: PathBuf, found: String },
    /// Does not export the datasource interface at all.
    #[error(
        "module {path} does not export {CONTRACT_PACKAGE}/datasource (exports: {exports}); a Rust module needs crate-type = [\"cdylib\"] and quarry_guest::export!(YourType)"
    )]
    NoContract { path: PathBuf, exports: String },
    /// Its exports do not match the contract it names.
    #[error("module {path} does not match the contract it names: {reason}")]
    Link { path: PathBuf, reason: String },
}

/// A compiled module, ready to instantiate any number of times.
pub struct CompiledModule {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    pub(crate) pre: ModulePre,
    stamp: FileStamp,
    /// The contract it was built for.
    pub(crate) contract: Contract,
    /// `quarry:datasource@<version>` as the module names it.
    pub contract_name: String,
    /// Size of the `.wasm` file, bytes.
    pub size: u64,
    /// SHA-256 of the `.wasm` file, lower-case hex.
    pub sha256: String,
    /// When it was compiled (or loaded).
    pub loaded_at: SystemTime,
    /// The descriptor editors use, asked of the module once.
    pub(crate) descriptor: std::sync::OnceLock<Result<Option<serde_json::Value>, String>>,
    /// Bytes a fresh store held after instantiation, the largest seen: what admission reserves.
    footprint: AtomicUsize,
}

impl std::fmt::Debug for CompiledModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledModule")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("contract", &self.contract_name)
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

    pub(crate) fn footprint(&self) -> usize {
        self.footprint.load(Ordering::Relaxed)
    }

    pub(crate) fn observe_footprint(&self, bytes: usize) {
        self.footprint.fetch_max(bytes, Ordering::Relaxed);
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

    /// The file's size, bytes.
    pub fn size(&self) -> u64 {
        self.len
    }
}

/// How a module's versions were loaded since the process started.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoadStats {
    /// Compiled by Cranelift.
    pub compiles: u64,
    /// Loaded from the compiled-module cache (or the shipped precompiled entries).
    pub cache_hits: u64,
    /// Cache entries refused (truncated, corrupt, another engine's) and rebuilt.
    pub cache_rejects: u64,
    /// Seconds spent compiling.
    pub compile_seconds: f64,
}

/// Compiles each module file once and hands out the compiled form while the file is unchanged,
/// keeping the compiled form on disk so the next process loads it instead.
#[derive(Clone)]
pub struct ModuleCache {
    engine: Engine,
    linker: Arc<Linker<HostState>>,
    limits: HostLimits,
    disk: DiskCache,
    stats: Arc<Mutex<std::collections::BTreeMap<String, LoadStats>>>,
    compiled: Arc<Mutex<HashMap<PathBuf, Arc<CompiledModule>>>>,
    /// One lock per file, so one file is never compiled twice at once and other files wait
    /// for nothing but a compile slot.
    file_locks: Arc<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>>,
    /// File versions that failed, not compiled again until the file changes.
    failed: Arc<Mutex<HashMap<PathBuf, (FileStamp, ModuleError)>>>,
    slots: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for ModuleCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleCache").finish_non_exhaustive()
    }
}

impl ModuleCache {
    pub(crate) fn new(engine: Engine, linker: Linker<HostState>, limits: HostLimits) -> Self {
        let disk = DiskCache::new(
            &engine,
            limits.cache_dir.clone(),
            limits.precompiled_dirs.clone(),
        );
        ModuleCache {
            disk,
            stats: Arc::default(),
            engine,
            linker: Arc::new(linker),
            slots: Arc::new(tokio::sync::Semaphore::new(
                limits.compile_concurrency.max(1),
            )),
            limits,
            compiled: Arc::default(),
            file_locks: Arc::default(),
            failed: Arc::default(),
        }
    }

    /// The compiled module for `path`, compiling it (on a blocking thread, under the compile
    /// deadline) if the file is new or changed since it was last compiled.
    pub async fn load(&self, name: &str, path: &Path) -> Result<Arc<CompiledModule>, ModuleError> {
        if let Some(hit) = self.cached(path) {
            return Ok(hit);
        }
        let lock = self
            .file_locks
            .lock()
            .expect("file locks")
            .entry(path.to_path_buf())
            .or_default()
            .clone();
        let _guard = lock.lock().await;
        if let Some(hit) = self.cached(path) {
            return Ok(hit);
        }
        let stamp = FileStamp::of(path).map_err(|e| missing_or_unreadable(name, path, e))?;
        if let Some((failed_stamp, e)) = self.failed.lock().expect("failed").get(path)
            && *failed_stamp == stamp
        {
            return Err(e.clone());
        }
        let result = self.compile_bounded(name, path, stamp).await;
        match &result {
            Ok(m) => {
                self.failed.lock().expect("failed").remove(path);
                self.compiled
                    .lock()
                    .expect("module cache lock")
                    .insert(path.to_path_buf(), m.clone());
            }
            Err(e) => {
                self.failed
                    .lock()
                    .expect("failed")
                    .insert(path.to_path_buf(), (stamp, e.clone()));
            }
        }
        result
    }

    async fn compile_bounded(
        &self,
        name: &str,
        path: &Path,
        stamp: FileStamp,
    ) -> Result<Arc<CompiledModule>, ModuleError> {
        if stamp.len > self.limits.max_module_bytes {
            return Err(ModuleError::TooLarge {
                path: path.to_path_buf(),
                size_mib: stamp.len.div_ceil(1 << 20),
                limit_mib: self.limits.max_module_bytes >> 20,
            });
        }
        let timeout = || ModuleError::CompileTimeout {
            path: path.to_path_buf(),
            seconds: self.limits.compile_timeout.as_secs(),
        };
        // Waiting for a slot is queueing, not this module's compile time: the deadline starts
        // when the compile does.
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("compile slots are never closed");
        let deadline = Instant::now() + self.limits.compile_timeout;
        let this = self.clone();
        let (name_owned, path_owned) = (name.to_string(), path.to_path_buf());
        // The slot is held by the compiling thread: a compile past its deadline cannot be
        // stopped, but it keeps its slot until it ends, so compiles never pile up.
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            this.compile_stamped(&name_owned, &path_owned, stamp)
        });
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left.max(Duration::from_millis(1)), task).await {
            Err(_) => {
                tracing::error!(module = name, path = %path.display(), "module compile exceeded its deadline");
                Err(timeout())
            }
            Ok(Err(e)) => Err(ModuleError::Compile {
                path: path.to_path_buf(),
                reason: format!("the compiler failed: {e}"),
            }),
            Ok(Ok(r)) => r.map(Arc::new),
        }
    }

    fn cached(&self, path: &Path) -> Option<Arc<CompiledModule>> {
        let map = self.compiled.lock().expect("module cache lock");
        map.get(path).filter(|m| m.is_current()).cloned()
    }

    /// Compiles synchronously, without the cache's bounds; for tools that have no cache to share.
    pub fn compile(&self, name: &str, path: &Path) -> Result<CompiledModule, ModuleError> {
        let stamp = FileStamp::of(path).map_err(|e| missing_or_unreadable(name, path, e))?;
        self.compile_stamped(name, path, stamp)
    }

    /// How each module was loaded since the process started (for CollectMetrics).
    pub fn stats(&self) -> Vec<(String, LoadStats)> {
        let map = self.stats.lock().expect("stats lock");
        map.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }

    /// The compiled-module cache directory in use, if any.
    pub fn cache_dir(&self) -> Option<&Path> {
        self.disk.dir()
    }

    fn count(&self, name: &str, f: impl FnOnce(&mut LoadStats)) {
        f(self
            .stats
            .lock()
            .expect("stats lock")
            .entry(name.to_string())
            .or_default());
    }

    /// The compiled component for `bytes`: from the disk cache when it holds a verified,
    /// compatible entry, else compiled now and written there.
    fn component(
        &self,
        name: &str,
        path: &Path,
        bytes: &[u8],
        sha256: &str,
    ) -> Result<Component, ModuleError> {
        match self.disk.lookup(&self.engine, sha256) {
            Lookup::Hit(component) => {
                self.count(name, |s| s.cache_hits += 1);
                tracing::debug!(module = name, "loaded compiled module from the cache");
                return Ok(component);
            }
            Lookup::Rejected => self.count(name, |s| s.cache_rejects += 1),
            Lookup::Miss => {}
        }
        let started = Instant::now();
        let component = Component::new(&self.engine, bytes).map_err(|e| ModuleError::Compile {
            path: path.to_path_buf(),
            reason: describe_compile_error(&e, bytes),
        })?;
        let seconds = started.elapsed().as_secs_f64();
        self.count(name, |s| {
            s.compiles += 1;
            s.compile_seconds += seconds;
        });
        tracing::info!(module = name, path = %path.display(), compile_ms = (seconds * 1000.0) as u64, "compiled module");
        self.disk.store(sha256, &component);
        Ok(component)
    }

    /// Writes the compiled form of `path` where `dir` can ship it (`cargo xtask dist`); returns
    /// the entry's file name.
    pub fn precompile_into(&self, path: &Path, dir: &Path) -> Result<PathBuf, ModuleError> {
        let bytes = std::fs::read(path).map_err(|e| missing_or_unreadable("", path, e))?;
        let component = Component::new(&self.engine, &bytes).map_err(|e| ModuleError::Compile {
            path: path.to_path_buf(),
            reason: describe_compile_error(&e, &bytes),
        })?;
        check_contract(&self.engine, &component, path)?;
        let out = dir.join(format!(
            "{}-{}.cwasm",
            sha256_hex(&bytes),
            self.disk.engine_key()
        ));
        let serialized = component.serialize().map_err(|e| ModuleError::Compile {
            path: path.to_path_buf(),
            reason: format!("{e:#}"),
        })?;
        super::disk_cache::write_entry(&out, &serialized).map_err(|reason| ModuleError::Read {
            path: out.clone(),
            reason,
        })?;
        Ok(out)
    }

    fn compile_stamped(
        &self,
        name: &str,
        path: &Path,
        stamp: FileStamp,
    ) -> Result<CompiledModule, ModuleError> {
        let bytes = std::fs::read(path).map_err(|e| missing_or_unreadable(name, path, e))?;
        let sha256 = sha256_hex(&bytes);
        let component = self.component(name, path, &bytes, &sha256)?;
        let (contract, contract_name) = check_contract(&self.engine, &component, path)?;
        let link_err = |e: wasmtime::Error| ModuleError::Link {
            path: path.to_path_buf(),
            reason: format!("{e:#}"),
        };
        let linker = linker::stub_unknown_imports(&self.linker, &component).map_err(link_err)?;
        let pre = linker.instantiate_pre(&component).map_err(link_err)?;
        let pre = ModulePre::new(contract, pre).map_err(link_err)?;
        tracing::info!(
            module = name,
            path = %path.display(),
            contract = %contract_name,
            "module ready"
        );
        Ok(CompiledModule {
            name: name.to_string(),
            path: path.to_path_buf(),
            pre,
            stamp,
            contract,
            contract_name,
            size: bytes.len() as u64,
            sha256,
            loaded_at: SystemTime::now(),
            descriptor: std::sync::OnceLock::new(),
            footprint: AtomicUsize::new(DEFAULT_FOOTPRINT),
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
            contract: check_contract(&self.engine, &component, path).map(|(_, name)| name),
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

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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

/// Finds the `quarry:datasource/datasource@X` export and checks X against the versions the host
/// loads.
fn check_contract(
    engine: &Engine,
    component: &Component,
    path: &Path,
) -> Result<(Contract, String), ModuleError> {
    let ty = component.component_type();
    let prefix = format!("{CONTRACT_PACKAGE}/datasource@");
    let mut names = Vec::new();
    for (name, item) in ty.exports(engine) {
        if let (Some(version), ComponentItem::ComponentInstance(_)) =
            (name.strip_prefix(&prefix), &item.ty)
        {
            let found = format!("{CONTRACT_PACKAGE}@{version}");
            return match Contract::from_version(version) {
                Some(c) => Ok((c, found)),
                None => Err(ModuleError::ContractVersion {
                    path: path.to_path_buf(),
                    found,
                }),
            };
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
