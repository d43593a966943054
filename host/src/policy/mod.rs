//! What may this datasource's module do? This module answers that question, once per datasource
//! instance: every host-owned `jsonData` key is parsed here into one [`ModulePolicy`] the runtime
//! enforces. Everything else in `jsonData` belongs to the module.
//!
//! - [`limits`]: every limit with its default, cap and setting (the README's table).
//! - [`http`]: the allow-list, egress address rules, timeouts and credentials for outbound HTTP.
//! - [`secrets`]: which secure settings a module may read or have attached, by the operator's grant.
//! - [`host`]: the process-wide budgets an operator sets for the whole plugin.

pub mod host;
pub mod http;
pub mod limits;
pub mod secrets;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::handler::DatasourceSettings;
use crate::oci::RegistryCredentials;
use http::{AllowedHost, HttpPolicy};
use limits::{CallLimits, Setting};
use secrets::{Grant, Origin, SecretGrants};

pub use host::HostLimits;

/// Why a datasource's settings cannot be turned into a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("jsonData.{key}: {reason}")]
pub struct PolicyError {
    pub key: String,
    pub reason: String,
}

fn bad(key: &str, reason: impl Into<String>) -> PolicyError {
    PolicyError {
        key: key.to_string(),
        reason: reason.into(),
    }
}

/// Everything the host lets one datasource's module do.
#[derive(Debug, Clone)]
pub struct ModulePolicy {
    /// `jsonData.module`, trimmed; `None` when the datasource names no module.
    pub module: Option<String>,
    pub limits: CallLimits,
    pub http: HttpPolicy,
    pub secrets: SecretGrants,
    /// `jsonData.registryUsername` with `secureJsonData.registryPassword`: the datasource's login
    /// for its module's OCI registry. Host-owned: the password is never granted to the module.
    registry_credentials: Option<RegistryCredentials>,
}

impl ModulePolicy {
    /// Parses the host's keys of a datasource's `jsonData`.
    ///
    /// Numbers may be JSON numbers or numeric strings (Grafana's forms store either); `null`
    /// means unset; values above a limit's cap are lowered to the cap.
    ///
    /// # Errors
    /// The first key whose value the host cannot use, naming it.
    pub fn from_settings(settings: &DatasourceSettings) -> Result<Self, PolicyError> {
        let json = parse_object(&settings.json_data)?;
        let get = |key: &str| json.get(key).filter(|v| !v.is_null());

        let module = match get("module") {
            None => None,
            Some(Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Some(other) => return Err(bad("module", format!("must be a string, got {other}"))),
        };

        let call_timeout = Duration::from_millis(setting(&json, &limits::CALL_TIMEOUT_MS)?);
        let memory_mb = setting(&json, &limits::MEMORY_LIMIT_MB)?;
        let limits = CallLimits {
            max_concurrent_calls: setting(&json, &limits::MAX_CONCURRENT_CALLS)? as usize,
            max_streams: setting(&json, &limits::MAX_STREAMS)? as usize,
            ..CallLimits::default()
        }
        .with_call_timeout(call_timeout)
        .with_memory_bytes((memory_mb as usize) << 20);

        let endpoint = match get("endpoint") {
            None => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(other) => {
                return Err(bad(
                    "endpoint",
                    format!("must be a URL string, got {other}"),
                ));
            }
        };
        let url = Some(settings.url.trim()).filter(|u| !u.is_empty());

        let mut http = HttpPolicy::default().with_datasource(settings.uid.clone());
        let mut default_origins = Vec::new();
        for (key, entry) in [("url", url), ("endpoint", endpoint.as_deref())] {
            let Some(entry) = entry else { continue };
            let hosts = AllowedHost::parse(entry).map_err(|e| {
                let key = if key == "url" {
                    "url (the datasource URL)"
                } else {
                    key
                };
                bad(key, format!("cannot allow HTTP to it: {e}"))
            })?;
            http = http.with_allowed(hosts);
            if let Ok(origin) = Origin::parse(entry) {
                default_origins.push(origin);
            }
        }
        for entry in string_list(&json, "allowedHosts")? {
            http =
                http.with_allowed(AllowedHost::parse(&entry).map_err(|e| bad("allowedHosts", e))?);
        }
        let timeout_s = seconds(&json, &limits::HTTP_TIMEOUT_S)?;
        http = http
            .with_timeout(timeout_s.min(call_timeout))
            .with_max_response_bytes(
                setting(&json, &limits::MAX_RESPONSE_BYTES)?.min(limits.memory_bytes as u64),
            )
            .with_max_connections(setting(&json, &limits::MAX_CONNECTIONS)? as usize);

        let secrets = SecretGrants {
            grants: grants(get("secretGrants"))?,
            default_origins,
        };
        let registry_credentials = registry_credentials(
            get(REGISTRY_USERNAME_KEY),
            settings
                .secure_json_data
                .get(secrets::REGISTRY_PASSWORD_KEY),
        )?;
        Ok(ModulePolicy {
            module,
            limits,
            http,
            secrets,
            registry_credentials,
        })
    }

    /// The datasource's registry login, when it has one; otherwise the plugin's own (by
    /// registry) or none is used.
    pub fn registry_credentials(&self) -> Option<&RegistryCredentials> {
        self.registry_credentials.as_ref()
    }

    /// The module the datasource names.
    ///
    /// # Errors
    /// When `jsonData.module` is missing or empty.
    pub fn module_name(&self) -> Result<&str, PolicyError> {
        self.module.as_deref().ok_or_else(|| {
            bad(
                "module",
                "the datasource names no module: set \"module\" to the name of a .wasm file in the modules directory",
            )
        })
    }
}

/// `jsonData.registryUsername`: the user of the datasource's registry login.
pub const REGISTRY_USERNAME_KEY: &str = "registryUsername";

/// Both halves of a login, or neither.
fn registry_credentials(
    username: Option<&Value>,
    password: Option<&String>,
) -> Result<Option<RegistryCredentials>, PolicyError> {
    let username = match username {
        None => None,
        Some(Value::String(u)) => Some(u.trim()).filter(|u| !u.is_empty()),
        Some(other) => {
            return Err(bad(
                REGISTRY_USERNAME_KEY,
                format!("must be a string, got {}", kind(other)),
            ));
        }
    };
    let password = password.filter(|p| !p.is_empty());
    match (username, password) {
        (None, None) => Ok(None),
        (Some(u), Some(p)) => Ok(Some(RegistryCredentials {
            username: u.to_string(),
            password: p.clone(),
        })),
        (Some(_), None) => Err(bad(
            REGISTRY_USERNAME_KEY,
            format!(
                "is set but secureJsonData.{} is not: set the registry password too, or clear the username",
                secrets::REGISTRY_PASSWORD_KEY
            ),
        )),
        (None, Some(_)) => Err(bad(
            REGISTRY_USERNAME_KEY,
            format!(
                "is not set but secureJsonData.{} is: a registry login needs both",
                secrets::REGISTRY_PASSWORD_KEY
            ),
        )),
    }
}

fn parse_object(text: &str) -> Result<Map<String, Value>, PolicyError> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(bad(
            "",
            format!("jsonData must be a JSON object, got {}", kind(&other)),
        )),
        Err(e) => Err(bad("", format!("jsonData is not valid JSON: {e}"))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A whole-number setting: default when unset, lowered to its cap, at least 1.
fn setting(json: &Map<String, Value>, s: &Setting) -> Result<u64, PolicyError> {
    let Some(v) = json.get(s.key).filter(|v| !v.is_null()) else {
        return Ok(s.default);
    };
    let n = match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0)
                .map(|f| f as u64)
        }),
        Value::String(t) if t.trim().is_empty() => return Ok(s.default),
        Value::String(t) => t.trim().parse::<u64>().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        bad(
            s.key,
            format!(
                "must be a whole number of {} (default {}), got {v}",
                s.unit, s.default
            ),
        )
    })?;
    if n == 0 {
        return Err(bad(s.key, format!("must be at least 1 {}", s.unit)));
    }
    Ok(n.min(s.cap))
}

/// A duration setting in (possibly fractional) seconds.
fn seconds(json: &Map<String, Value>, s: &Setting) -> Result<Duration, PolicyError> {
    let Some(v) = json.get(s.key).filter(|v| !v.is_null()) else {
        return Ok(Duration::from_secs(s.default));
    };
    let secs = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(t) if t.trim().is_empty() => return Ok(Duration::from_secs(s.default)),
        Value::String(t) => t.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|f| f.is_finite() && *f > 0.0)
    .ok_or_else(|| {
        bad(
            s.key,
            format!(
                "must be a positive number of seconds (default {}), got {v}",
                s.default
            ),
        )
    })?;
    Ok(Duration::from_secs_f64(secs.min(s.cap as f64)))
}

fn string_list(json: &Map<String, Value>, key: &str) -> Result<Vec<String>, PolicyError> {
    match json.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                other => Err(bad(key, format!("entries must be strings, got {other}"))),
            })
            .filter(|r| r.as_ref().map_or(true, |s| !s.trim().is_empty()))
            .collect(),
        // A comma-separated string, as a plain text input would store it.
        Some(Value::String(s)) => Ok(s
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()),
        Some(other) => Err(bad(key, format!("must be a list of strings, got {other}"))),
    }
}

/// `secretGrants`: `{"<key>": {"read": bool, "attachTo": ["https://host:port", …]}}`.
fn grants(v: Option<&Value>) -> Result<BTreeMap<String, Grant>, PolicyError> {
    let Some(v) = v else {
        return Ok(BTreeMap::new());
    };
    let Value::Object(map) = v else {
        return Err(bad(
            "secretGrants",
            format!("must be an object of grants by secure key, got {}", kind(v)),
        ));
    };
    let mut out = BTreeMap::new();
    for (key, g) in map {
        let path = format!("secretGrants.{key}");
        let Value::Object(fields) = g else {
            return Err(bad(&path, "must be an object such as {\"read\": true}"));
        };
        let mut grant = Grant::default();
        for (field, value) in fields {
            match (field.as_str(), value) {
                ("read", Value::Bool(b)) => grant.read = *b,
                ("read", Value::Null) => {}
                ("attachTo", Value::Null) => {}
                ("attachTo", Value::Array(items)) => {
                    let mut origins = Vec::new();
                    for item in items {
                        let Value::String(s) = item else {
                            return Err(bad(&path, "attachTo entries must be origin strings"));
                        };
                        if s.trim().is_empty() {
                            continue;
                        }
                        origins.push(
                            Origin::parse(s).map_err(|e| bad(&format!("{path}.attachTo"), e))?,
                        );
                    }
                    grant.attach_to = Some(origins);
                }
                (other, _) => {
                    return Err(bad(
                        &format!("{path}.{other}"),
                        "unknown or mistyped: a grant has \"read\" (boolean) and \"attachTo\" (list of origins)",
                    ));
                }
            }
        }
        out.insert(key.clone(), grant);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::secrets::{SecretRequest, SecretUse};
    use super::*;

    fn settings(url: &str, json: Value) -> DatasourceSettings {
        DatasourceSettings {
            uid: "ds1".into(),
            url: url.into(),
            json_data: json.to_string(),
            ..Default::default()
        }
    }

    fn policy(json: Value) -> Result<ModulePolicy, PolicyError> {
        ModulePolicy::from_settings(&settings("", json))
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let p = policy(serde_json::json!({"module": " synthetic "})).unwrap();
        assert_eq!(p.module_name().unwrap(), "synthetic");
        assert_eq!(p.limits, CallLimits::default());
        assert!(p.http.allowed.is_empty());
        assert!(p.secrets.grants.is_empty() && p.secrets.default_origins.is_empty());
        assert_eq!(p.http.timeout(), Duration::from_secs(10));
    }

    #[test]
    fn limits_are_parsed_capped_and_named_in_errors() {
        let p = policy(serde_json::json!({
            "callTimeoutMs": "1500", "memoryLimitMb": 99999, "maxStreams": 3, "timeout": 2.5,
            "maxResponseBytes": null,
        }))
        .unwrap();
        assert_eq!(p.limits.call_timeout, Duration::from_millis(1500));
        assert_eq!(p.limits.memory_bytes, 2048 << 20);
        assert_eq!(p.limits.max_streams, 3);
        assert_eq!(
            p.http.timeout(),
            Duration::from_millis(1500),
            "never past the call deadline"
        );
        for (json, key) in [
            (
                serde_json::json!({"callTimeoutMs": "soon"}),
                "callTimeoutMs",
            ),
            (serde_json::json!({"memoryLimitMb": 0}), "memoryLimitMb"),
            (serde_json::json!({"memoryLimitMb": -3}), "memoryLimitMb"),
            (serde_json::json!({"timeout": 0}), "timeout"),
            (serde_json::json!({"module": 3}), "module"),
            (serde_json::json!({"allowedHosts": "h:x"}), "allowedHosts"),
            (serde_json::json!({"allowedHosts": [1]}), "allowedHosts"),
            (
                serde_json::json!({"secretGrants": {"k": {"raed": true}}}),
                "secretGrants.k.raed",
            ),
            (
                serde_json::json!({"secretGrants": {"k": {"attachTo": ["nope"]}}}),
                "secretGrants.k.attachTo",
            ),
        ] {
            let err = policy(json.clone()).unwrap_err();
            assert_eq!(err.key, key, "{json}: {err}");
            assert!(
                err.to_string().starts_with(&format!("jsonData.{key}")),
                "{err}"
            );
        }
        assert!(
            ModulePolicy::from_settings(&DatasourceSettings {
                json_data: "[1]".into(),
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            policy(serde_json::json!({}))
                .unwrap()
                .module_name()
                .is_err()
        );
    }

    #[test]
    fn the_url_and_endpoint_are_allowed_and_receive_credentials_by_default() {
        let p = ModulePolicy::from_settings(&settings(
            "https://grafana-url.example",
            serde_json::json!({
                "endpoint": "http://127.0.0.1:9000/api",
                "allowedHosts": ["echo.example:8080"],
            }),
        ))
        .unwrap();
        assert!(p.http.check("grafana-url.example", 443, true).is_ok());
        assert!(p.http.check("127.0.0.1", 9000, false).is_ok());
        assert!(p.http.check("echo.example", 8080, false).is_ok());
        let origins: Vec<String> = p
            .secrets
            .default_origins
            .iter()
            .map(|o| o.to_string())
            .collect();
        assert_eq!(
            origins,
            ["https://grafana-url.example:443", "http://127.0.0.1:9000"]
        );
        let secrets = [("apiKey".to_string(), "k".to_string())]
            .into_iter()
            .collect();
        let granted = p
            .secrets
            .grant(
                &[SecretRequest {
                    key: "apiKey".into(),
                    usage: SecretUse::BearerToken,
                }],
                &secrets,
            )
            .unwrap();
        let echo = Origin::parse("http://echo.example:8080").unwrap();
        let endpoint = Origin::parse("http://127.0.0.1:9000").unwrap();
        let mut http = p.http.clone();
        http = http.with_credentials(granted.credentials);
        assert_eq!(http.credentials_for(&endpoint).count(), 1);
        assert_eq!(
            http.credentials_for(&echo).count(),
            0,
            "allowed is not granted"
        );
    }

    #[test]
    fn a_registry_login_needs_both_halves_and_never_prints_its_password() {
        let with = |json: Value, password: Option<&str>| {
            let mut s = settings("", json);
            if let Some(p) = password {
                s.secure_json_data
                    .insert("registryPassword".into(), p.to_string());
            }
            ModulePolicy::from_settings(&s)
        };
        let p = with(
            serde_json::json!({"registryUsername": " robot "}),
            Some("pa55"),
        )
        .unwrap();
        let c = p.registry_credentials().unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("robot", "pa55")
        );
        assert!(!format!("{p:?}").contains("pa55"));
        assert!(
            with(serde_json::json!({}), None)
                .unwrap()
                .registry_credentials()
                .is_none()
        );
        for (json, password, says) in [
            (
                serde_json::json!({"registryUsername": "robot"}),
                None,
                "secureJsonData.registryPassword is not",
            ),
            (
                serde_json::json!({}),
                Some("pa55"),
                "a registry login needs both",
            ),
            (
                serde_json::json!({"registryUsername": 7}),
                Some("pa55"),
                "must be a string",
            ),
        ] {
            let err = with(json, password).unwrap_err();
            assert_eq!(err.key, "registryUsername");
            assert!(err.to_string().contains(says), "{err}");
        }
    }

    #[test]
    fn grants_parse() {
        let p = policy(serde_json::json!({"secretGrants": {
            "password": {"read": true},
            "apiKey": {"attachTo": ["https://a.example", ""]},
        }}))
        .unwrap();
        assert!(p.secrets.grants["password"].read);
        assert_eq!(
            p.secrets.grants["apiKey"].attach_to.as_deref().unwrap(),
            &[Origin::parse("https://a.example").unwrap()]
        );
    }
}
