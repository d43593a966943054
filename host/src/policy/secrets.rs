//! Secrets by the operator's grant. A module declares which secure settings it wants and how
//! (`secure-settings` in the contract); the datasource's `jsonData.secretGrants` says what it may
//! have. Nothing is granted by asking: reading a value needs `read: true`, and a credential the
//! host attaches goes only to the origins in `attachTo` — by default the origins of the
//! datasource URL and `jsonData.endpoint`, scheme included, so an `https` endpoint's token never
//! travels over plain HTTP.

use std::collections::BTreeMap;
use std::fmt;

use http::{HeaderName, HeaderValue};

/// `secureJsonData.registryPassword`: the datasource's OCI registry password. It belongs to the
/// host (it pulls the module); no grant can hand it to a module.
pub const REGISTRY_PASSWORD_KEY: &str = "registryPassword";

/// An HTTP origin: scheme, lower-case host and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    pub https: bool,
    /// Lower-case host name or IP literal (IPv6 without brackets).
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// Parses `http(s)://host[:port][/…]`; the port defaults to the scheme's.
    pub fn parse(url: &str) -> Result<Origin, String> {
        let url = url.trim();
        let (rest, https) = if let Some(r) = strip_prefix_ci(url, "https://") {
            (r, true)
        } else if let Some(r) = strip_prefix_ci(url, "http://") {
            (r, false)
        } else {
            return Err(format!(
                "{url:?} is not an origin: write scheme://host[:port], such as https://api.example.com"
            ));
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.contains('@') {
            return Err(format!("{url:?} must not carry credentials"));
        }
        let (host, port) = super::http::split_host_port(authority);
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(format!("{url:?} names no host"));
        }
        let port = match port {
            None | Some("") => {
                if https {
                    443
                } else {
                    80
                }
            }
            Some(p) => p
                .parse()
                .map_err(|_| format!("{url:?} has an invalid port {p:?}"))?,
        };
        Ok(Origin {
            https,
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// The operator's grant for one secure setting, `jsonData.secretGrants.<key>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    /// The module may receive the value itself.
    pub read: bool,
    /// Where the host may attach it as a credential; `None` means the default origins.
    pub attach_to: Option<Vec<Origin>>,
}

/// How a module says it uses a secure setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretUse {
    Read,
    BearerToken,
    Header(String),
}

/// One secure setting a module asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRequest {
    pub key: String,
    pub usage: SecretUse,
}

/// A header the host adds to the module's requests to `origins`, never seen by the module.
#[derive(Clone)]
pub struct Credential {
    /// The secure setting it comes from.
    pub key: String,
    pub header: HeaderName,
    pub value: HeaderValue,
    pub origins: Vec<Origin>,
}

impl fmt::Debug for Credential {
    // The value is a secret: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("key", &self.key)
            .field("header", &self.header)
            .field("origins", &self.origins)
            .finish_non_exhaustive()
    }
}

/// What a module gets of its datasource's secrets once its requests are checked.
#[derive(Default)]
pub struct GrantedSecrets {
    /// Keys and values the module may read.
    pub readable: Vec<(String, String)>,
    pub credentials: Vec<Credential>,
}

impl fmt::Debug for GrantedSecrets {
    // Values are secrets: only keys are printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrantedSecrets")
            .field(
                "readable_keys",
                &self.readable.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("credentials", &self.credentials)
            .finish()
    }
}

/// Why a module's request for a secret is refused; the module's instance is not created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GrantError {
    #[error(
        "the module asks to read secure setting {key:?}, which this datasource does not grant: to allow it, set jsonData.secretGrants.{key}.read to true"
    )]
    ReadNotGranted { key: String },
    #[error(
        "the module asks the host to send secure setting {key:?} as a credential, but this datasource grants it to no origin: set the datasource URL or jsonData.endpoint, or list origins in jsonData.secretGrants.{key}.attachTo"
    )]
    NoOrigin { key: String },
    #[error("secure setting {key:?}: {reason}")]
    BadHeader { key: String, reason: String },
    #[error(
        "the module asks for secure setting {key:?}, which belongs to the host (the registry login it pulls modules with) and is never given to a module"
    )]
    HostOwned { key: String },
}

/// A datasource's grants: explicit ones from `jsonData.secretGrants`, and the default origins
/// credentials may go to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretGrants {
    pub grants: BTreeMap<String, Grant>,
    /// The origins of the datasource URL and `jsonData.endpoint`.
    pub default_origins: Vec<Origin>,
}

impl SecretGrants {
    /// Checks what the module asks for against the grants and hands out what may go.
    ///
    /// A requested key the datasource has no value for is skipped: modules may declare optional
    /// secrets.
    ///
    /// # Errors
    /// The first request the grants do not cover.
    pub fn grant(
        &self,
        requests: &[SecretRequest],
        secure_json_data: &BTreeMap<String, String>,
    ) -> Result<GrantedSecrets, GrantError> {
        let mut out = GrantedSecrets::default();
        for req in requests {
            if req.key == REGISTRY_PASSWORD_KEY {
                return Err(GrantError::HostOwned {
                    key: req.key.clone(),
                });
            }
            let Some(value) = secure_json_data.get(&req.key) else {
                continue;
            };
            let grant = self.grants.get(&req.key).cloned().unwrap_or_default();
            let (header, value) = match &req.usage {
                SecretUse::Read => {
                    if !grant.read {
                        return Err(GrantError::ReadNotGranted {
                            key: req.key.clone(),
                        });
                    }
                    out.readable.push((req.key.clone(), value.clone()));
                    continue;
                }
                SecretUse::BearerToken => (http::header::AUTHORIZATION, format!("Bearer {value}")),
                SecretUse::Header(name) => {
                    let bad = |reason: &str| GrantError::BadHeader {
                        key: req.key.clone(),
                        reason: reason.to_string(),
                    };
                    let name = HeaderName::try_from(name.as_str())
                        .map_err(|_| bad("the module names an invalid header"))?;
                    if is_host_header(&name) {
                        return Err(bad("the module names a header modules may not set"));
                    }
                    (name, value.clone())
                }
            };
            let origins = grant
                .attach_to
                .unwrap_or_else(|| self.default_origins.clone());
            if origins.is_empty() {
                return Err(GrantError::NoOrigin {
                    key: req.key.clone(),
                });
            }
            let mut value = HeaderValue::try_from(value).map_err(|_| GrantError::BadHeader {
                key: req.key.clone(),
                reason: "the value cannot be sent in an HTTP header".to_string(),
            })?;
            value.set_sensitive(true);
            out.credentials.push(Credential {
                key: req.key.clone(),
                header,
                value,
                origins,
            });
        }
        Ok(out)
    }
}

/// Headers that frame or route a request belong to the host, never to a secret.
fn is_host_header(name: &HeaderName) -> bool {
    use http::header;
    [
        header::CONNECTION,
        header::CONTENT_LENGTH,
        header::HOST,
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ]
    .contains(name)
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
        || name.as_str() == "http2-settings"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(s: &str) -> Origin {
        Origin::parse(s).unwrap()
    }

    fn secrets() -> BTreeMap<String, String> {
        [("apiKey", "k"), ("password", "p"), ("tenant", "t")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn req(key: &str, usage: SecretUse) -> SecretRequest {
        SecretRequest {
            key: key.into(),
            usage,
        }
    }

    #[test]
    fn the_registry_password_is_never_granted() {
        let mut g = SecretGrants {
            default_origins: vec![origin("https://a")],
            ..Default::default()
        };
        g.grants.insert(
            REGISTRY_PASSWORD_KEY.into(),
            Grant {
                read: true,
                attach_to: None,
            },
        );
        let mut secrets = secrets();
        secrets.insert(REGISTRY_PASSWORD_KEY.into(), "pw".into());
        for usage in [SecretUse::Read, SecretUse::BearerToken] {
            let err = g
                .grant(&[req(REGISTRY_PASSWORD_KEY, usage)], &secrets)
                .unwrap_err();
            assert!(matches!(err, GrantError::HostOwned { .. }), "{err}");
            assert!(err.to_string().contains("never given to a module"));
        }
    }

    #[test]
    fn origins_parse_with_default_ports() {
        assert_eq!(
            origin("https://API.example.com/v1?x"),
            Origin {
                https: true,
                host: "api.example.com".into(),
                port: 443
            }
        );
        assert_eq!(origin("http://h:8080").port, 8080);
        assert_eq!(origin("http://[::1]:9").to_string(), "http://[::1]:9");
        for bad in [
            "api.example.com",
            "ftp://x",
            "https://",
            "https://u:p@h",
            "http://h:x",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_go_to_the_default_origins_unless_granted_elsewhere() {
        let g = SecretGrants {
            grants: BTreeMap::new(),
            default_origins: vec![origin("https://api.example.com")],
        };
        let out = g
            .grant(&[req("apiKey", SecretUse::BearerToken)], &secrets())
            .unwrap();
        assert_eq!(out.credentials.len(), 1);
        assert_eq!(
            out.credentials[0].origins,
            vec![origin("https://api.example.com")]
        );
        assert_eq!(out.credentials[0].value.as_bytes(), b"Bearer k");
        assert!(out.readable.is_empty());

        let mut explicit = g.clone();
        explicit.grants.insert(
            "apiKey".into(),
            Grant {
                read: false,
                attach_to: Some(vec![origin("https://other.example.com:8443")]),
            },
        );
        let out = explicit
            .grant(
                &[req("apiKey", SecretUse::Header("X-Key".into()))],
                &secrets(),
            )
            .unwrap();
        assert_eq!(out.credentials[0].header.as_str(), "x-key");
        assert_eq!(
            out.credentials[0].origins,
            vec![origin("https://other.example.com:8443")]
        );
    }

    #[test]
    fn reading_needs_an_explicit_grant() {
        let mut g = SecretGrants::default();
        let err = g
            .grant(&[req("password", SecretUse::Read)], &secrets())
            .unwrap_err();
        assert_eq!(
            err,
            GrantError::ReadNotGranted {
                key: "password".into()
            }
        );
        assert!(
            err.to_string()
                .contains("jsonData.secretGrants.password.read")
        );
        g.grants.insert(
            "password".into(),
            Grant {
                read: true,
                attach_to: None,
            },
        );
        let out = g
            .grant(&[req("password", SecretUse::Read)], &secrets())
            .unwrap();
        assert_eq!(
            out.readable,
            vec![("password".to_string(), "p".to_string())]
        );
    }

    #[test]
    fn attaching_needs_an_origin_and_a_harmless_header() {
        let g = SecretGrants::default();
        assert!(matches!(
            g.grant(&[req("apiKey", SecretUse::BearerToken)], &secrets()),
            Err(GrantError::NoOrigin { .. })
        ));
        let g = SecretGrants {
            default_origins: vec![origin("https://a")],
            ..Default::default()
        };
        for bad in [
            "Host",
            "content-length",
            "not a header",
            "Transfer-Encoding",
        ] {
            assert!(
                matches!(
                    g.grant(&[req("tenant", SecretUse::Header(bad.into()))], &secrets()),
                    Err(GrantError::BadHeader { .. })
                ),
                "{bad}"
            );
        }
        // Secrets the datasource does not have are skipped, not refused.
        assert!(
            g.grant(&[req("absent", SecretUse::Read)], &secrets())
                .unwrap()
                .readable
                .is_empty()
        );
    }

    #[test]
    fn debug_never_shows_values() {
        let g = SecretGrants {
            default_origins: vec![origin("https://a")],
            ..Default::default()
        };
        let out = g
            .grant(&[req("apiKey", SecretUse::BearerToken)], &secrets())
            .unwrap();
        assert!(!format!("{out:?}").contains("Bearer k"));
        let mut g = g;
        g.grants.insert(
            "password".into(),
            Grant {
                read: true,
                attach_to: None,
            },
        );
        let out = g
            .grant(&[req("password", SecretUse::Read)], &secrets())
            .unwrap();
        let shown = format!("{out:?}");
        assert!(
            shown.contains("password") && !shown.contains("\"p\""),
            "{shown}"
        );
    }
}
