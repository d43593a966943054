//! The local store of pulled modules, content-addressed so it can serve offline:
//!
//! ```text
//! <store>/blobs/sha256/<hex>.json   manifests
//! <store>/blobs/sha256/<hex>.wasm   modules (wasm layers)
//! <store>/tags/<sha256 of "registry/repository:tag">   "<reference>\n<manifest digest>\n"
//! ```
//!
//! Everything is written beside its final name and renamed into place, so a reader never sees a
//! half-written file, and everything is hashed again when read: a blob that no longer matches its
//! name (a bad disk, a truncated copy) is removed and reported as absent, so it is pulled again.

use std::fs;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest as _, Sha256};

/// `sha256:<hex>` of `bytes`.
pub(crate) fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", crate::runtime::sha256_hex(bytes))
}

/// The kinds of blob kept, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlobKind {
    Manifest,
    Module,
}

impl BlobKind {
    fn extension(self) -> &'static str {
        match self {
            BlobKind::Manifest => "json",
            BlobKind::Module => "wasm",
        }
    }
}

/// A content-addressed directory of manifests and modules, and the tags last resolved.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    dir: PathBuf,
}

impl Store {
    pub(crate) fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the blob named `digest` (`sha256:<hex>`, already checked) lives.
    pub(crate) fn blob_path(&self, digest: &str, kind: BlobKind) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        self.dir
            .join("blobs")
            .join("sha256")
            .join(format!("{hex}.{}", kind.extension()))
    }

    /// The blob's bytes when present and intact; a blob that no longer hashes to its name is
    /// removed and reported absent.
    ///
    /// # Errors
    /// Reading fails for another reason than absence.
    pub(crate) fn read(&self, digest: &str, kind: BlobKind) -> io::Result<Option<Vec<u8>>> {
        let path = self.blob_path(digest, kind);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if sha256_digest(&bytes) != digest {
            discard_corrupt(&path, digest);
            return Ok(None);
        }
        Ok(Some(bytes))
    }

    /// The path of the module named `digest` when present and intact (hashed as it is read, so
    /// large modules are not held in memory); a corrupt one is removed and reported absent.
    ///
    /// # Errors
    /// Reading fails for another reason than absence.
    pub(crate) fn verified_path(
        &self,
        digest: &str,
        kind: BlobKind,
    ) -> io::Result<Option<PathBuf>> {
        let path = self.blob_path(digest, kind);
        let mut file = match fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let actual = format!("sha256:{}", hex(&hasher.finalize()));
        if actual != digest {
            discard_corrupt(&path, digest);
            return Ok(None);
        }
        Ok(Some(path))
    }

    /// Stores `bytes` as the blob named `digest` (the caller has checked they match).
    ///
    /// # Errors
    /// The directory cannot be created or written.
    pub(crate) fn put(&self, digest: &str, kind: BlobKind, bytes: &[u8]) -> io::Result<PathBuf> {
        let path = self.blob_path(digest, kind);
        write_atomic(&path, bytes)?;
        Ok(path)
    }

    /// Starts writing a blob whose bytes arrive in pieces; [`BlobWriter::commit`] checks the
    /// digest and renames it into place.
    ///
    /// # Errors
    /// The directory cannot be created or written.
    pub(crate) fn writer(&self, digest: &str, kind: BlobKind) -> io::Result<BlobWriter> {
        let path = self.blob_path(digest, kind);
        let (file, tmp) = temp_beside(&path)?;
        Ok(BlobWriter {
            file,
            tmp,
            path,
            hasher: Sha256::new(),
            written: 0,
        })
    }

    fn tag_path(&self, reference: &str) -> PathBuf {
        let key = crate::runtime::sha256_hex(reference.as_bytes());
        self.dir.join("tags").join(key)
    }

    /// Remembers that `reference` (a tag reference, no digest) resolved to `digest`.
    ///
    /// # Errors
    /// The directory cannot be created or written.
    pub(crate) fn record_tag(&self, reference: &str, digest: &str) -> io::Result<()> {
        write_atomic(
            &self.tag_path(reference),
            format!("{reference}\n{digest}\n").as_bytes(),
        )
    }

    /// The digest `reference` last resolved to, if recorded (and the record is for it).
    pub(crate) fn tag(&self, reference: &str) -> Option<String> {
        let text = fs::read_to_string(self.tag_path(reference)).ok()?;
        let mut lines = text.lines();
        (lines.next()? == reference)
            .then(|| lines.next())
            .flatten()
            .filter(|d| super::reference::check_digest(d).is_ok())
            .map(str::to_string)
    }

    /// Removes temporary files a killed process left behind (older than an hour, so a writer
    /// of another running process is never disturbed).
    pub(crate) fn remove_stale_temporaries(&self) {
        let dir = self.dir.join("blobs").join("sha256");
        let Ok(entries) = fs::read_dir(&dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 3600);
            if name.to_string_lossy().ends_with(".tmp") && stale {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// A blob being written: hashed as it is written, renamed into place only when it matches.
#[derive(Debug)]
pub(crate) struct BlobWriter {
    file: fs::File,
    tmp: PathBuf,
    path: PathBuf,
    hasher: Sha256,
    written: u64,
}

impl BlobWriter {
    /// Appends `bytes`.
    ///
    /// # Errors
    /// The file cannot be written.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        self.written += bytes.len() as u64;
        self.file.write_all(bytes)
    }

    /// Bytes written so far.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// The digest of what was written; when it is `expected` the blob is synced and renamed into
    /// place and its path returned, else it is discarded and `Err(actual digest)` returned.
    ///
    /// # Errors
    /// `Ok(Err(actual))` on a mismatch; `Err` when the file cannot be synced or renamed.
    pub(crate) fn commit(mut self, expected: &str) -> io::Result<Result<PathBuf, String>> {
        let actual = format!("sha256:{}", hex(&self.hasher.finalize_reset()));
        if actual != expected {
            let _ = fs::remove_file(&self.tmp);
            return Ok(Err(actual));
        }
        self.file.sync_all()?;
        fs::rename(&self.tmp, &self.path)?;
        Ok(Ok(self.path.clone()))
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        // After a successful commit the temporary no longer exists; this cleans up abandoned ones.
        let _ = fs::remove_file(&self.tmp);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn discard_corrupt(path: &Path, digest: &str) {
    tracing::warn!(
        path = %path.display(),
        digest,
        "a stored OCI blob no longer matches its digest; removed, it will be pulled again"
    );
    let _ = fs::remove_file(path);
}

/// A new temporary file beside `path`, unique to this process and call.
fn temp_beside(path: &Path) -> io::Result<(fs::File, PathBuf)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().expect("store paths have a parent");
    fs::create_dir_all(dir)?;
    let name = path.file_name().expect("store paths name a file");
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    Ok((file, tmp))
}

/// Writes `bytes` beside `path`, syncs and renames it into place.
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (mut file, tmp) = temp_beside(path)?;
    let result = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_written_atomically_and_read_back_verified() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let bytes = b"\0asm module bytes";
        let digest = sha256_digest(bytes);
        assert_eq!(store.read(&digest, BlobKind::Module).unwrap(), None);
        let path = store.put(&digest, BlobKind::Module, bytes).unwrap();
        assert!(path.ends_with(format!(
            "blobs/sha256/{}.wasm",
            digest.strip_prefix("sha256:").unwrap()
        )));
        assert_eq!(
            store.read(&digest, BlobKind::Module).unwrap().as_deref(),
            Some(&bytes[..])
        );
        assert_eq!(
            store.verified_path(&digest, BlobKind::Module).unwrap(),
            Some(path.clone())
        );
        // Nothing but the blob itself is left in the directory.
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![path.file_name().unwrap().to_owned()]);
        // Overwriting an existing blob replaces it whole.
        store.put(&digest, BlobKind::Module, bytes).unwrap();
        assert_eq!(fs::read(&path).unwrap(), bytes);
    }

    #[test]
    fn a_corrupt_blob_is_removed_and_reported_absent() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let bytes = vec![7u8; 200_000];
        let digest = sha256_digest(&bytes);
        for (kind, truncate) in [(BlobKind::Module, false), (BlobKind::Manifest, true)] {
            let path = store.put(&digest, kind, &bytes).unwrap();
            let mut bad = bytes.clone();
            if truncate {
                bad.truncate(100);
            } else {
                bad[123_456] ^= 1;
            }
            fs::write(&path, &bad).unwrap();
            let found = match kind {
                BlobKind::Module => store.verified_path(&digest, kind).unwrap(),
                BlobKind::Manifest => store.read(&digest, kind).unwrap().map(|_| path.clone()),
            };
            assert_eq!(found, None, "{kind:?}");
            assert!(!path.exists(), "the corrupt {kind:?} is removed");
        }
    }

    #[test]
    fn a_writer_commits_only_matching_content() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let digest = sha256_digest(b"hello world");
        let mut w = store.writer(&digest, BlobKind::Module).unwrap();
        w.write(b"hello ").unwrap();
        assert!(
            !store.blob_path(&digest, BlobKind::Module).exists(),
            "nothing at the final name before commit"
        );
        w.write(b"world").unwrap();
        assert_eq!(w.written(), 11);
        let path = w.commit(&digest).unwrap().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"hello world");

        let other = sha256_digest(b"other");
        let mut w = store.writer(&other, BlobKind::Module).unwrap();
        w.write(b"not other").unwrap();
        assert_eq!(w.commit(&other).unwrap(), Err(sha256_digest(b"not other")));
        assert!(!store.blob_path(&other, BlobKind::Module).exists());
        // An abandoned writer leaves no temporary behind.
        let mut w = store.writer(&other, BlobKind::Module).unwrap();
        w.write(b"partial").unwrap();
        drop(w);
        let left: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");
    }

    #[test]
    fn tags_remember_their_last_digest() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let r = "oci://127.0.0.1:5000/m:v1";
        assert_eq!(store.tag(r), None);
        let d1 = sha256_digest(b"1");
        let d2 = sha256_digest(b"2");
        store.record_tag(r, &d1).unwrap();
        store.record_tag(r, &d2).unwrap();
        assert_eq!(store.tag(r), Some(d2.clone()));
        assert_eq!(store.tag("oci://127.0.0.1:5000/m:v2"), None);
        // A record that is not for this reference, or holds no digest, is ignored.
        fs::write(store.tag_path(r), "oci://other/m:v1\nsha256:00\n").unwrap();
        assert_eq!(store.tag(r), None);
    }
}
