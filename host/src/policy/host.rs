//! The process-wide budgets an operator sets for the whole plugin, in `grafana.ini`:
//!
//! ```ini
//! [plugin.quarry-wasm-datasource]
//! memory_budget_mb = 2048
//! ```
//!
//! Grafana passes each key of that section to the plugin as `GF_PLUGIN_<KEY>`; `QUARRY_<KEY>` is
//! read too, for the CLI and for running the plugin by hand.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::oci::{OciSettings, RegistryCredentials};

/// A process-wide setting: its `grafana.ini` key, what it bounds and its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostSetting {
    /// The key in `[plugin.quarry-wasm-datasource]`.
    pub key: &'static str,
    pub what: &'static str,
    /// The default, in `unit`s; `0` for the memory budget means "derived from the machine".
    pub default: u64,
    pub unit: &'static str,
}

pub const MEMORY_BUDGET_MB: HostSetting = HostSetting {
    key: "memory_budget_mb",
    what: "memory all module calls and idle module instances of the process may hold together; calls wait for room, then fail as \"host busy\" (default: half the machine's or container's memory, at most 8192)",
    default: 0,
    unit: "MiB",
};
pub const MAX_CONCURRENT_CALLS: HostSetting = HostSetting {
    key: "max_concurrent_calls",
    what: "module calls of all datasources running at once (stream ticks included); more wait within their deadline, then fail as \"host busy\"",
    default: 64,
    unit: "calls",
};
pub const MAX_STREAMS: HostSetting = HostSetting {
    key: "max_streams",
    what: "streams of all datasources running at once; more are refused",
    default: 2000,
    unit: "streams",
};
pub const MAX_MODULE_MB: HostSetting = HostSetting {
    key: "max_module_mb",
    what: "size of a .wasm file the host will compile",
    default: 100,
    unit: "MiB",
};
pub const COMPILE_TIMEOUT_S: HostSetting = HostSetting {
    key: "compile_timeout_s",
    what: "time one module may take to compile; a module that takes longer is refused until its file changes",
    default: 120,
    unit: "s",
};
pub const COMPILE_CONCURRENCY: HostSetting = HostSetting {
    key: "compile_concurrency",
    what: "modules compiled at once, one core each (each compile is per file: a slow module delays only its own datasources)",
    default: 2,
    unit: "compiles",
};
pub const MODULE_POLL_INTERVAL_MS: HostSetting = HostSetting {
    key: "module_poll_interval_ms",
    what: "how often module files in use are looked at for a new version, which is then compiled and health-checked off the request path before it serves",
    default: 1000,
    unit: "ms",
};
pub const OCI_POLL_INTERVAL_MS: HostSetting = HostSetting {
    key: "oci_poll_interval_ms",
    what: "how often the tag of each `oci://` module in use is resolved again; a tag moved to a new digest is pulled, compiled and health-checked off the request path before it serves",
    default: 30_000,
    unit: "ms",
};
pub const IDLE_INSTANCE_TTL_S: HostSetting = HostSetting {
    key: "idle_instance_ttl_s",
    what: "a datasource instance not called for this long is disposed and its memory returned; the next call creates it again",
    default: 3600,
    unit: "s",
};

/// Every process-wide numeric setting, in the order the README lists them.
pub const HOST_SETTINGS: &[HostSetting] = &[
    MEMORY_BUDGET_MB,
    MAX_CONCURRENT_CALLS,
    MAX_STREAMS,
    MAX_MODULE_MB,
    COMPILE_TIMEOUT_S,
    COMPILE_CONCURRENCY,
    MODULE_POLL_INTERVAL_MS,
    OCI_POLL_INTERVAL_MS,
    IDLE_INSTANCE_TTL_S,
];

/// `cache_dir`: where compiled modules are kept; `off` disables the cache.
pub const CACHE_DIR_KEY: &str = "cache_dir";
/// `opt_level`: how hard Cranelift optimizes (`speed`, the default, or `none`: faster compiles,
/// slower modules). Compiled modules of one level are never used by another.
pub const OPT_LEVEL_KEY: &str = "opt_level";

/// `oci_allowed_registries`: the registries datasources may pull modules from (`host` or
/// `host:port`, comma separated); empty refuses every `oci://` module, naming this setting.
pub const OCI_ALLOWED_REGISTRIES_KEY: &str = "oci_allowed_registries";
/// `oci_plain_http_registries`: registries reached over plain HTTP (a registry on loopback).
pub const OCI_PLAIN_HTTP_REGISTRIES_KEY: &str = "oci_plain_http_registries";
/// `oci_credentials`: the plugin's own registry logins, a JSON object
/// `{"<registry>": {"username": "…", "password": "…"}}`.
pub const OCI_CREDENTIALS_KEY: &str = "oci_credentials";
/// `oci_store_dir`: where pulled modules are kept (default `<cache_dir>/oci`).
pub const OCI_STORE_DIR_KEY: &str = "oci_store_dir";

/// How hard the compiler works on modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OptLevel {
    #[default]
    Speed,
    None,
}

/// The process-wide limits.
///
/// # Default
/// See [`HOST_SETTINGS`]; [`HostLimits::from_env`] reads the operator's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostLimits {
    pub memory_budget_bytes: usize,
    pub max_concurrent_calls: usize,
    pub max_streams: usize,
    pub max_module_bytes: u64,
    pub compile_timeout: Duration,
    pub compile_concurrency: usize,
    /// The compiled-module cache; `None` disables it.
    pub cache_dir: Option<PathBuf>,
    /// Read-only directories of compiled modules shipped with the plugin.
    pub precompiled_dirs: Vec<PathBuf>,
    pub opt_level: OptLevel,
    /// How often sources in use are looked at for a new version.
    pub module_poll_interval: Duration,
    /// How often registry tags in use are resolved again.
    pub oci_poll_interval: Duration,
    /// How long an unused datasource instance lives.
    pub idle_instance_ttl: Duration,
    /// Registries `oci://` modules may come from.
    pub oci_allowed_registries: Vec<String>,
    /// Registries reached over plain HTTP.
    pub oci_plain_http_registries: Vec<String>,
    /// The plugin's registry logins, by registry.
    pub oci_credentials: HashMap<String, RegistryCredentials>,
    /// Where pulled modules are kept; `None` means beside the compiled-module cache.
    pub oci_store_dir: Option<PathBuf>,
}

impl Default for HostLimits {
    fn default() -> Self {
        HostLimits {
            memory_budget_bytes: (default_memory_budget_mb() as usize) << 20,
            max_concurrent_calls: MAX_CONCURRENT_CALLS.default as usize,
            max_streams: MAX_STREAMS.default as usize,
            max_module_bytes: MAX_MODULE_MB.default << 20,
            compile_timeout: Duration::from_secs(COMPILE_TIMEOUT_S.default),
            compile_concurrency: COMPILE_CONCURRENCY.default as usize,
            cache_dir: beside_executable("cache"),
            precompiled_dirs: beside_executable("precompiled").into_iter().collect(),
            opt_level: OptLevel::Speed,
            module_poll_interval: Duration::from_millis(MODULE_POLL_INTERVAL_MS.default),
            oci_poll_interval: Duration::from_millis(OCI_POLL_INTERVAL_MS.default),
            idle_instance_ttl: Duration::from_secs(IDLE_INSTANCE_TTL_S.default),
            oci_allowed_registries: Vec::new(),
            oci_plain_http_registries: Vec::new(),
            oci_credentials: HashMap::new(),
            oci_store_dir: None,
        }
    }
}

/// `<directory of this executable>/<name>`.
fn beside_executable(name: &str) -> Option<PathBuf> {
    Some(std::env::current_exe().ok()?.parent()?.join(name))
}

/// Why a process-wide setting is unusable; the plugin refuses to start rather than guess.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}={value:?}: {key} must be {expected}")]
pub struct HostSettingError {
    pub var: String,
    pub value: String,
    pub key: &'static str,
    pub expected: String,
}

impl HostLimits {
    /// Reads `GF_PLUGIN_<KEY>` (or `QUARRY_<KEY>`) for every setting through `lookup`.
    ///
    /// # Errors
    /// A set variable that is not a positive whole number.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, HostSettingError> {
        let raw = |key: &str| -> Option<(String, String)> {
            ["GF_PLUGIN_", "QUARRY_"].iter().find_map(|prefix| {
                let var = format!("{prefix}{}", key.to_ascii_uppercase());
                lookup(&var)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (var, v))
            })
        };
        let read = |s: &HostSetting| -> Result<Option<u64>, HostSettingError> {
            let Some((var, value)) = raw(s.key) else {
                return Ok(None);
            };
            match value.trim().parse::<u64>() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => Err(HostSettingError {
                    var,
                    value,
                    key: s.key,
                    expected: format!("a whole number of {} greater than 0", s.unit),
                }),
            }
        };
        let mut l = HostLimits::default();
        if let Some(mb) = read(&MEMORY_BUDGET_MB)? {
            l.memory_budget_bytes = (mb as usize) << 20;
        }
        if let Some(n) = read(&MAX_CONCURRENT_CALLS)? {
            l.max_concurrent_calls = n as usize;
        }
        if let Some(n) = read(&MAX_STREAMS)? {
            l.max_streams = n as usize;
        }
        if let Some(mb) = read(&MAX_MODULE_MB)? {
            l.max_module_bytes = mb << 20;
        }
        if let Some(s) = read(&COMPILE_TIMEOUT_S)? {
            l.compile_timeout = Duration::from_secs(s);
        }
        if let Some(n) = read(&COMPILE_CONCURRENCY)? {
            l.compile_concurrency = n as usize;
        }
        if let Some(ms) = read(&MODULE_POLL_INTERVAL_MS)? {
            l.module_poll_interval = Duration::from_millis(ms);
        }
        if let Some(ms) = read(&OCI_POLL_INTERVAL_MS)? {
            l.oci_poll_interval = Duration::from_millis(ms);
        }
        if let Some(s) = read(&IDLE_INSTANCE_TTL_S)? {
            l.idle_instance_ttl = Duration::from_secs(s);
        }
        if let Some((_, dir)) = raw(CACHE_DIR_KEY) {
            let dir = dir.trim();
            l.cache_dir = (!matches!(dir, "off" | "none" | "false")).then(|| PathBuf::from(dir));
        }
        if let Some((var, value)) = raw(OPT_LEVEL_KEY) {
            l.opt_level = match value.trim() {
                "speed" => OptLevel::Speed,
                "none" => OptLevel::None,
                _ => {
                    return Err(HostSettingError {
                        var,
                        value,
                        key: OPT_LEVEL_KEY,
                        expected: "speed or none".into(),
                    });
                }
            };
        }
        if let Some((_, v)) = raw(OCI_ALLOWED_REGISTRIES_KEY) {
            l.oci_allowed_registries = comma_list(&v);
        }
        if let Some((_, v)) = raw(OCI_PLAIN_HTTP_REGISTRIES_KEY) {
            l.oci_plain_http_registries = comma_list(&v);
        }
        if let Some((var, value)) = raw(OCI_CREDENTIALS_KEY) {
            l.oci_credentials = parse_credentials(&value).map_err(|expected| HostSettingError {
                var,
                // The value holds passwords: never echoed.
                value: "<redacted>".into(),
                key: OCI_CREDENTIALS_KEY,
                expected,
            })?;
        }
        if let Some((_, dir)) = raw(OCI_STORE_DIR_KEY) {
            l.oci_store_dir = Some(PathBuf::from(dir.trim()));
        }
        Ok(l)
    }

    /// The registry settings for [`crate::oci::OciClient`]: the store defaults to `oci/` inside
    /// the compiled-module cache directory (beside the executable when the cache is off).
    pub fn oci_settings(&self) -> OciSettings {
        let store_dir = self
            .oci_store_dir
            .clone()
            .or_else(|| self.cache_dir.as_ref().map(|d| d.join("oci")))
            .or_else(|| beside_executable("oci"))
            .unwrap_or_else(|| PathBuf::from("oci"));
        OciSettings {
            allowed_registries: self.oci_allowed_registries.clone(),
            plain_http_registries: self.oci_plain_http_registries.clone(),
            credentials: self.oci_credentials.clone(),
            max_module_bytes: self.max_module_bytes,
            ..OciSettings::new(store_dir)
        }
    }

    /// [`from_lookup`](Self::from_lookup) over the process environment.
    ///
    /// # Errors
    /// As [`from_lookup`](Self::from_lookup).
    pub fn from_env() -> Result<Self, HostSettingError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }
}

fn comma_list(v: &str) -> Vec<String> {
    v.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// `{"<registry>": {"username": "…", "password": "…"}}`; the error says what is expected without
/// quoting the value.
fn parse_credentials(text: &str) -> Result<HashMap<String, RegistryCredentials>, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Login {
        username: String,
        password: String,
    }
    let expected = "a JSON object of logins by registry, such as {\"ghcr.io\": {\"username\": \"…\", \"password\": \"…\"}}";
    // serde's messages can quote the input (a password): only the position is reported.
    let map: HashMap<String, Login> = serde_json::from_str(text).map_err(|e| {
        format!(
            "{expected}; the value does not parse as one (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    Ok(map
        .into_iter()
        .map(|(registry, l)| {
            (
                registry.trim().to_string(),
                RegistryCredentials {
                    username: l.username,
                    password: l.password,
                },
            )
        })
        .collect())
}

/// Half of the memory this process may use: the container's limit (cgroup v2 or v1) when there is
/// one, else the machine's; between 256 MiB and 8 GiB.
fn default_memory_budget_mb() -> u64 {
    let total = cgroup_limit().or_else(mem_total).unwrap_or(4 << 30);
    ((total / 2) >> 20).clamp(256, 8192)
}

fn cgroup_limit() -> Option<u64> {
    for path in [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ] {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(n) = text.trim().parse::<u64>()
            // cgroup v1 reports "no limit" as a huge number.
            && n < (1 << 50)
        {
            return Some(n);
        }
    }
    None
}

fn mem_total() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib << 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_from_grafana_ini_keys() {
        let env = [
            ("GF_PLUGIN_MEMORY_BUDGET_MB", "300"),
            ("QUARRY_MAX_CONCURRENT_CALLS", "5"),
            ("GF_PLUGIN_COMPILE_TIMEOUT_S", " 7 "),
        ];
        let l = HostLimits::from_lookup(|k| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
        .unwrap();
        assert_eq!(l.memory_budget_bytes, 300 << 20);
        assert_eq!(l.max_concurrent_calls, 5);
        assert_eq!(l.compile_timeout, Duration::from_secs(7));
        assert_eq!(l.max_streams, MAX_STREAMS.default as usize);
        assert!(l.cache_dir.is_some(), "a cache by default");
        let off =
            HostLimits::from_lookup(|k| (k == "GF_PLUGIN_CACHE_DIR").then(|| "off".to_string()))
                .unwrap();
        assert_eq!(off.cache_dir, None);
        let none =
            HostLimits::from_lookup(|k| (k == "QUARRY_OPT_LEVEL").then(|| "none".into())).unwrap();
        assert_eq!(none.opt_level, OptLevel::None);
        assert!(
            HostLimits::from_lookup(|k| (k == "QUARRY_OPT_LEVEL").then(|| "max".into())).is_err()
        );
        let err =
            HostLimits::from_lookup(|k| (k == "GF_PLUGIN_MAX_STREAMS").then(|| "many".into()))
                .unwrap_err();
        assert!(err.to_string().contains("GF_PLUGIN_MAX_STREAMS"), "{err}");
    }

    #[test]
    fn registry_settings_are_read_and_passwords_never_echoed() {
        let env = [
            (
                "GF_PLUGIN_OCI_ALLOWED_REGISTRIES",
                "ghcr.io, 127.0.0.1:5000",
            ),
            ("GF_PLUGIN_OCI_PLAIN_HTTP_REGISTRIES", "127.0.0.1:5000"),
            (
                "GF_PLUGIN_OCI_CREDENTIALS",
                r#"{"ghcr.io": {"username": "robot", "password": "s3cret"}}"#,
            ),
            ("GF_PLUGIN_CACHE_DIR", "/var/cache/quarry"),
        ];
        let lookup = |k: &str| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        let l = HostLimits::from_lookup(lookup).unwrap();
        let s = l.oci_settings();
        assert_eq!(s.allowed_registries, ["ghcr.io", "127.0.0.1:5000"]);
        assert!(s.plain_http("127.0.0.1:5000") && !s.plain_http("ghcr.io"));
        assert_eq!(s.credentials_for("ghcr.io").unwrap().password, "s3cret");
        assert_eq!(s.store_dir, PathBuf::from("/var/cache/quarry/oci"));
        assert_eq!(s.max_module_bytes, l.max_module_bytes);
        assert!(!format!("{l:?}").contains("s3cret"));

        let explicit = HostLimits::from_lookup(|k| {
            (k == "QUARRY_OCI_STORE_DIR").then(|| "/srv/oci".to_string())
        })
        .unwrap();
        assert_eq!(explicit.oci_settings().store_dir, PathBuf::from("/srv/oci"));
        assert!(
            HostLimits::default()
                .oci_settings()
                .allowed_registries
                .is_empty()
        );

        let err = HostLimits::from_lookup(|k| {
            (k == "GF_PLUGIN_OCI_CREDENTIALS")
                .then(|| r#"{"ghcr.io": {"username": "robot", "pasword": "s3cret"}}"#.into())
        })
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("GF_PLUGIN_OCI_CREDENTIALS"), "{msg}");
        assert!(!msg.contains("s3cret"), "{msg}");
    }

    /// The README's settings table names every registry setting.
    #[test]
    fn readme_lists_the_registry_settings() {
        let readme = include_str!("../../../README.md");
        for key in [
            OCI_ALLOWED_REGISTRIES_KEY,
            OCI_PLAIN_HTTP_REGISTRIES_KEY,
            OCI_CREDENTIALS_KEY,
            OCI_STORE_DIR_KEY,
        ] {
            assert!(
                readme.contains(&format!("| `{key}` |")),
                "README does not document [plugin.quarry-wasm-datasource] {key}"
            );
        }
    }

    #[test]
    fn the_default_budget_is_bounded() {
        let mb = default_memory_budget_mb();
        assert!((256..=8192).contains(&mb), "{mb}");
    }
}
