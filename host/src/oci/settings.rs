//! What the operator decides about registries: which may be used, which are reached over plain
//! HTTP, the plugin's own credentials, where pulled modules are kept, and how long to wait.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// A registry login. The password is never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryCredentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for RegistryCredentials {
    // The password is a secret: only the username is printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryCredentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// How long registry requests may take.
///
/// # Default
/// Connecting 10 s; waiting for the next bytes of an answer 30 s; one whole resolve, pull or push
/// 300 s (a 100 MiB module over a slow link).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OciTimeouts {
    pub connect: Duration,
    pub read: Duration,
    pub operation: Duration,
}

impl Default for OciTimeouts {
    fn default() -> Self {
        OciTimeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
            operation: Duration::from_secs(300),
        }
    }
}

/// The operator's registry settings (`HostLimits::oci_settings` builds them from `grafana.ini`).
///
/// # Default
/// [`OciSettings::new`] allows no registry (every reference is refused, naming the setting),
/// reaches every registry over HTTPS, has no credentials, caps modules at 100 MiB and uses
/// [`OciTimeouts::default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciSettings {
    /// Where pulled manifests and modules are kept, content-addressed.
    pub store_dir: PathBuf,
    /// `host` or `host:port` entries; a reference's registry must be one of them.
    pub allowed_registries: Vec<String>,
    /// Registries reached over plain HTTP (a registry on loopback); every other is HTTPS.
    pub plain_http_registries: Vec<String>,
    /// Plugin-level credentials by registry (`host[:port]`); a datasource's own win.
    pub credentials: HashMap<String, RegistryCredentials>,
    /// The largest module (wasm layer) accepted, in bytes.
    pub max_module_bytes: u64,
    pub timeouts: OciTimeouts,
}

impl OciSettings {
    /// Settings that keep modules in `store_dir` and allow nothing yet.
    pub fn new(store_dir: impl Into<PathBuf>) -> Self {
        OciSettings {
            store_dir: store_dir.into(),
            allowed_registries: Vec::new(),
            plain_http_registries: Vec::new(),
            credentials: HashMap::new(),
            max_module_bytes: 100 << 20,
            timeouts: OciTimeouts::default(),
        }
    }

    /// Whether `registry` is allowed (host names compare case-insensitively).
    pub fn allows(&self, registry: &str) -> bool {
        contains(&self.allowed_registries, registry)
    }

    /// Whether `registry` is reached over plain HTTP.
    pub fn plain_http(&self, registry: &str) -> bool {
        contains(&self.plain_http_registries, registry)
    }

    /// The plugin-level login for `registry`.
    pub fn credentials_for(&self, registry: &str) -> Option<&RegistryCredentials> {
        self.credentials
            .iter()
            .find(|(r, _)| r.eq_ignore_ascii_case(registry))
            .map(|(_, c)| c)
    }
}

fn contains(list: &[String], registry: &str) -> bool {
    list.iter().any(|r| r.trim().eq_ignore_ascii_case(registry))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_password() {
        let c = RegistryCredentials {
            username: "robot".into(),
            password: "hunter2-secret".into(),
        };
        let mut s = OciSettings::new("/tmp/x");
        s.credentials.insert("ghcr.io".into(), c.clone());
        for text in [format!("{c:?}"), format!("{s:?}"), format!("{c:#?}")] {
            assert!(text.contains("robot"), "{text}");
            assert!(!text.contains("hunter2"), "{text}");
        }
    }

    #[test]
    fn registries_compare_case_insensitively() {
        let mut s = OciSettings::new("/tmp/x");
        s.allowed_registries = vec!["GHCR.io".into(), " 127.0.0.1:5000 ".into()];
        assert!(s.allows("ghcr.io"));
        assert!(s.allows("127.0.0.1:5000"));
        assert!(!s.allows("127.0.0.1:5001"));
        assert!(!s.allows("ghcr.io.evil.example"));
    }
}
