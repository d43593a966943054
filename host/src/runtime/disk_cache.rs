//! Compiled modules on disk, so no start and no restart compiles a module it compiled before.
//!
//! An entry is `<module sha256>-<engine key>.cwasm` with a `.sha256` sidecar holding the digest
//! of the compiled bytes. The engine key hashes everything wasmtime says makes compiled code
//! compatible (its version, compiler settings, target), so an entry of another engine
//! configuration is never even looked at. Entries are written beside their final name and
//! renamed into place (a reader sees a whole entry or none), verified against their digest before
//! they are mapped, and refused by wasmtime if they were made for another engine anyway; a
//! truncated, corrupt or foreign entry is removed and rebuilt.
//!
//! Lookups also try read-only directories of entries shipped with the plugin (`precompiled/`
//! beside the executable, made by `cargo xtask dist`); they are used only when compatible.

use std::hash::{Hash as _, Hasher as _};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

use super::module::sha256_hex;

/// The cache directory is trimmed to this size, oldest-used entries first.
const MAX_CACHE_BYTES: u64 = 2 << 30;

/// The outcome of one lookup.
pub(crate) enum Lookup {
    /// A verified, compatible entry.
    Hit(Component),
    /// No entry.
    Miss,
    /// An entry that failed verification or that wasmtime refused (logged with the reason);
    /// removed if writable.
    Rejected,
}

/// The compiled-module cache of one engine.
#[derive(Debug, Clone)]
pub(crate) struct DiskCache {
    /// Where entries are written; `None` when caching is off or the directory is unusable.
    dir: Option<PathBuf>,
    /// Read-only directories of shipped entries.
    shipped: Vec<PathBuf>,
    engine_key: String,
}

impl DiskCache {
    /// A cache in `dir` (created if needed) that also reads `shipped`. A directory that cannot
    /// be written is reported once, as a warning, and the host runs without a cache.
    pub(crate) fn new(engine: &Engine, dir: Option<PathBuf>, shipped: Vec<PathBuf>) -> Self {
        let dir = dir.and_then(|d| match usable(&d) {
            Ok(()) => Some(d),
            Err(e) => {
                tracing::warn!(
                    dir = %d.display(),
                    error = %e,
                    "the compiled-module cache directory is not writable: running without a cache (set cache_dir in [plugin.quarry-wasm-datasource])"
                );
                None
            }
        });
        DiskCache {
            dir,
            shipped,
            engine_key: engine_key(engine),
        }
    }

    pub(crate) fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    pub(crate) fn engine_key(&self) -> &str {
        &self.engine_key
    }

    fn file_name(&self, sha256: &str) -> String {
        format!("{sha256}-{}.cwasm", self.engine_key)
    }

    /// The compiled form of the module with digest `sha256`, if a verified, compatible entry
    /// exists.
    pub(crate) fn lookup(&self, engine: &Engine, sha256: &str) -> Lookup {
        let name = self.file_name(sha256);
        let mut rejected = false;
        for (dir, writable) in self
            .dir
            .iter()
            .map(|d| (d, true))
            .chain(self.shipped.iter().map(|d| (d, false)))
        {
            let path = dir.join(&name);
            if !path.exists() {
                continue;
            }
            match verify_and_map(engine, &path) {
                Ok(component) => {
                    if writable {
                        // Last use, for trimming.
                        let _ = std::fs::File::options()
                            .write(true)
                            .open(&path)
                            .and_then(|f| f.set_modified(std::time::SystemTime::now()));
                    }
                    return Lookup::Hit(component);
                }
                Err(why) => {
                    tracing::warn!(entry = %path.display(), reason = %why, "compiled-module cache entry refused; rebuilding it");
                    if writable {
                        let _ = std::fs::remove_file(&path);
                        let _ = std::fs::remove_file(sidecar(&path));
                    }
                    rejected = true;
                }
            }
        }
        if rejected {
            Lookup::Rejected
        } else {
            Lookup::Miss
        }
    }

    /// Writes the compiled form of the module with digest `sha256`; failures are logged, never
    /// fatal.
    pub(crate) fn store(&self, sha256: &str, component: &Component) {
        let Some(dir) = &self.dir else { return };
        let result = component
            .serialize()
            .map_err(|e| format!("{e:#}"))
            .and_then(|bytes| write_entry(&dir.join(self.file_name(sha256)), &bytes));
        if let Err(e) = result {
            tracing::warn!(dir = %dir.display(), error = %e, "could not write a compiled-module cache entry");
        }
        trim(dir, MAX_CACHE_BYTES);
    }
}

/// Removes the least recently used entries until the directory holds at most `max` bytes.
fn trim(dir: &Path, max: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some((m.modified().ok()?, m.len(), e.path()))
        })
        .collect();
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    files.sort();
    for (_, len, path) in files {
        if total <= max {
            break;
        }
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(sidecar(&path));
        total = total.saturating_sub(len);
    }
}

/// Writes `bytes` as `path` and its digest as the sidecar, each beside its final name and then
/// renamed into place.
pub(crate) fn write_entry(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let put = |target: &Path, data: &[u8]| -> std::io::Result<()> {
        let tmp = target.with_extension(format!("tmp{}", std::process::id()));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, target)
    };
    put(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    put(&sidecar(path), sha256_hex(bytes).as_bytes())
        .map_err(|e| format!("{}: {e}", sidecar(path).display()))
}

fn sidecar(path: &Path) -> PathBuf {
    path.with_extension("cwasm.sha256")
}

/// Checks an entry against its digest, then maps it (wasmtime refuses entries of another
/// engine configuration).
fn verify_and_map(engine: &Engine, path: &Path) -> Result<Component, String> {
    let want =
        std::fs::read_to_string(sidecar(path)).map_err(|_| "it has no digest".to_string())?;
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    if sha256_hex(&bytes) != want.trim() {
        return Err("its content does not match its digest (truncated or corrupt)".into());
    }
    drop(bytes);
    // SAFETY: the file is one this host (or `cargo xtask dist` with the same engine settings)
    // wrote through `Component::serialize`, checked against the digest written beside it; the
    // cache directory belongs to the operator. wasmtime also checks the engine it was made for.
    unsafe { Component::deserialize_file(engine, path) }.map_err(|e| format!("{e:#}"))
}

/// What makes compiled code compatible with `engine`, as a short key for file names.
pub(crate) fn engine_key(engine: &Engine) -> String {
    let mut h = std::hash::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Whether `dir` can hold entries: it exists (or can be made) and a file can be written in it.
fn usable(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".probe{}", std::process::id()));
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming_removes_the_least_recently_used_entries() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("a-k.cwasm");
        let new = dir.path().join("b-k.cwasm");
        write_entry(&old, &[0u8; 600]).unwrap();
        write_entry(&new, &[0u8; 600]).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(std::time::SystemTime::UNIX_EPOCH)
            .unwrap();
        trim(dir.path(), 1000);
        assert!(!old.exists() && !sidecar(&old).exists());
        assert!(new.exists() && sidecar(&new).exists());
    }
}
