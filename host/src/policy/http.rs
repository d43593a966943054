//! Outbound HTTP policy: which hosts a datasource's module may reach, under which timeouts and
//! size caps, which addresses are refused even when a name resolves to them, and which
//! credentials the host attaches for which origins. `capability::http` enforces it.

use std::net::IpAddr;
use std::time::Duration;

use super::limits;
use super::secrets::{Credential, Origin};

/// One host (and port) a datasource's module may connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// Lower-case host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// `None` allows any port.
    pub port: Option<u16>,
    /// Set for URL entries (`Some(true)` = https only): `https://api` cannot then be reached over
    /// plain `http://api:443`.
    pub https: Option<bool>,
}

impl AllowedHost {
    /// Parses `host`, `host:port`, `host:*` or a URL (`http://host[:port]/…`, whose scheme gives
    /// the default port and is then required). A bare host allows ports 80 and 443 only.
    pub fn parse(entry: &str) -> Result<Vec<AllowedHost>, String> {
        let entry = entry.trim();
        let lower = entry.to_ascii_lowercase();
        let (rest, default_port, https) = if lower.starts_with("https://") {
            (&entry[8..], Some(443), Some(true))
        } else if lower.starts_with("http://") {
            (&entry[7..], Some(80), Some(false))
        } else {
            (entry, None, None)
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let (host, port) = split_host_port(authority);
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(format!("{entry:?} names no host"));
        }
        let host = host.to_ascii_lowercase();
        let one = |port| AllowedHost {
            host: host.clone(),
            port,
            https,
        };
        match (port, default_port) {
            (Some("*"), _) => Ok(vec![one(None)]),
            (Some(p), _) => p
                .parse()
                .map(|p| vec![one(Some(p))])
                .map_err(|_| format!("{entry:?} has an invalid port {p:?}")),
            (None, Some(d)) => Ok(vec![one(Some(d))]),
            (None, None) => Ok(vec![one(Some(80)), one(Some(443))]),
        }
    }

    pub(crate) fn matches(&self, host: &str, port: u16, https: bool) -> bool {
        self.host == host
            && self.port.is_none_or(|p| p == port)
            && self.https.is_none_or(|s| s == https)
    }

    /// Whether the entry names an address rather than a name: the operator then chose that
    /// address, special or not.
    pub(crate) fn names_address(&self) -> bool {
        self.host.parse::<IpAddr>().is_ok()
    }

    fn describe(&self) -> String {
        let scheme = match self.https {
            Some(true) => "https://",
            Some(false) => "http://",
            None => "",
        };
        match self.port {
            Some(p) => format!("{scheme}{}:{p}", self.host),
            None => format!("{scheme}{}:*", self.host),
        }
    }
}

/// Splits `host[:port]`, understanding `[v6]:port`.
pub(crate) fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if let Some(rest) = authority.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((h, tail)) => (h, tail.strip_prefix(':')),
            None => (rest, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (authority, None),
    }
}

/// Why an address a host name resolved to is refused, if it is: addresses that reach the
/// machine itself or a cloud provider's metadata service are off limits unless an operator
/// names them as such (an IP literal in the allow-list; `localhost` for loopback).
pub fn special_address(ip: IpAddr) -> Option<&'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_link_local() {
                Some("link-local (169.254.0.0/16, where cloud metadata services live)")
            } else if v4.is_loopback() {
                Some("loopback (127.0.0.0/8)")
            } else if o[0] == 0 {
                Some("\"this host\" (0.0.0.0/8)")
            } else if matches!(
                o,
                [100, 100, 100, 200] | [168, 63, 129, 16] | [192, 0, 0, 192]
            ) {
                Some("a cloud metadata service")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if v6.is_loopback() {
                Some("loopback (::1)")
            } else if v6.is_unspecified() {
                Some("unspecified (::)")
            } else if s[0] & 0xffc0 == 0xfe80 {
                Some("link-local (fe80::/10)")
            } else if s[0] == 0xfd00 && s[1] == 0x0ec2 {
                Some("a cloud metadata service (fd00:ec2::/32)")
            } else {
                None
            }
        }
    }
}

/// What a datasource's module may do over HTTP.
///
/// # Default
/// Nothing: no allowed hosts (every request is refused), no credentials, and the defaults of
/// [`limits::HTTP_TIMEOUT_S`], [`limits::MAX_RESPONSE_BYTES`] and [`limits::MAX_CONNECTIONS`].
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    pub(crate) datasource_uid: String,
    pub(crate) allowed: Vec<AllowedHost>,
    pub(crate) timeout: Duration,
    pub(crate) max_response_bytes: u64,
    pub(crate) max_connections: usize,
    /// Headers the host adds for their origins (values come from secure settings; `Credential`'s
    /// `Debug` never shows them).
    pub(crate) credentials: Vec<Credential>,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy {
            datasource_uid: String::new(),
            allowed: Vec::new(),
            timeout: Duration::from_secs(limits::HTTP_TIMEOUT_S.default),
            max_response_bytes: limits::MAX_RESPONSE_BYTES.default,
            max_connections: limits::MAX_CONNECTIONS.default as usize,
            credentials: Vec::new(),
        }
    }
}

impl HttpPolicy {
    pub fn with_datasource(mut self, uid: impl Into<String>) -> Self {
        self.datasource_uid = uid.into();
        self
    }

    pub fn with_allowed(mut self, hosts: impl IntoIterator<Item = AllowedHost>) -> Self {
        self.allowed.extend(hosts);
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn with_max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    pub fn with_max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    pub fn with_credentials(mut self, credentials: impl IntoIterator<Item = Credential>) -> Self {
        self.credentials.extend(credentials);
        self
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The allow-list entry that lets a request to `host:port` (over https or not) through, or
    /// why it is refused.
    pub fn check(&self, host: &str, port: u16, https: bool) -> Result<&AllowedHost, String> {
        let host = normalize_host(host);
        if let Some(entry) = self.allowed.iter().find(|a| a.matches(&host, port, https)) {
            return Ok(entry);
        }
        let scheme = if https { "https" } else { "http" };
        let allowed = if self.allowed.is_empty() {
            "none; set the datasource URL, jsonData.endpoint or jsonData.allowedHosts".to_string()
        } else {
            let all: Vec<String> = self.allowed.iter().map(AllowedHost::describe).collect();
            all.join(", ")
        };
        Err(format!(
            "host {host}:{port} ({scheme}) is not allowed for datasource {:?} (allowed: {allowed})",
            self.datasource_uid,
        ))
    }

    /// Whether an address `host` resolved to may be connected to, given the entry that allowed
    /// the request.
    pub fn check_address(&self, host: &str, entry: &AllowedHost, ip: IpAddr) -> Result<(), String> {
        if entry.names_address() {
            return Ok(());
        }
        let host = normalize_host(host);
        match special_address(ip) {
            None => Ok(()),
            Some(kind) if kind.starts_with("loopback") && host == "localhost" => Ok(()),
            Some(kind) => Err(format!(
                "host {host} resolves to {ip}, a {kind} address, which modules may not reach by name; an operator who means it can list the address itself in jsonData.allowedHosts"
            )),
        }
    }

    /// The credentials to attach to a request for this origin.
    pub fn credentials_for(&self, origin: &Origin) -> impl Iterator<Item = &Credential> {
        self.credentials
            .iter()
            .filter(move |c| c.origins.contains(origin))
    }
}

pub(crate) fn normalize_host(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(entries: &[&str]) -> HttpPolicy {
        let mut p = HttpPolicy::default().with_datasource("ds");
        for e in entries {
            p = p.with_allowed(AllowedHost::parse(e).unwrap());
        }
        p
    }

    #[test]
    fn allow_list_matches_host_and_port() {
        let p = policy(&[
            "http://api.local:8080/v1",
            "https://secure.local",
            "plain.local",
            "any.local:*",
            "[::1]:9000",
        ]);
        let table = [
            ("api.local", 8080, true),
            ("API.local", 8080, true),
            ("api.local.", 8080, true),
            ("api.local", 80, false),
            ("secure.local", 443, true),
            ("secure.local", 80, false),
            ("plain.local", 80, true),
            ("plain.local", 443, true),
            ("plain.local", 8080, false),
            ("any.local", 1, true),
            ("::1", 9000, true),
            ("[::1]", 9000, true),
            ("evil.local", 80, false),
            ("api.local.evil", 8080, false),
        ];
        for (host, port, want) in table {
            let https = port == 443;
            assert_eq!(p.check(host, port, https).is_ok(), want, "{host}:{port}");
        }
        // URL entries pin their scheme: no plain HTTP to an https endpoint's port.
        assert!(p.check("secure.local", 443, false).is_err());
        assert!(p.check("api.local", 8080, true).is_err());
        assert!(p.check("plain.local", 443, false).is_ok());
    }

    #[test]
    fn refusal_names_host_and_datasource() {
        let err = policy(&["a.local:1"])
            .check("b.local", 2, false)
            .unwrap_err();
        assert!(
            err.contains("host b.local:2 (http) is not allowed for datasource \"ds\""),
            "{err}"
        );
        let none = HttpPolicy::default()
            .with_datasource("x")
            .check("b.local", 2, false)
            .unwrap_err();
        assert!(none.contains("allowed: none"), "{none}");
    }

    #[test]
    fn bad_entries_are_reported() {
        assert!(AllowedHost::parse("").is_err());
        assert!(AllowedHost::parse("host:notaport").is_err());
        assert_eq!(
            AllowedHost::parse("HTTP://user:pw@h.local:81/x").unwrap()[0],
            AllowedHost {
                host: "h.local".into(),
                port: Some(81),
                https: Some(false),
            }
        );
    }

    #[test]
    fn special_addresses_are_classified() {
        let table = [
            ("169.254.169.254", true),
            ("169.254.0.1", true),
            ("127.0.0.1", true),
            ("127.1.2.3", true),
            ("0.0.0.0", true),
            ("100.100.100.200", true),
            ("168.63.129.16", true),
            ("::1", true),
            ("::", true),
            ("fe80::1", true),
            ("fd00:ec2::254", true),
            ("::ffff:169.254.169.254", true),
            ("::ffff:127.0.0.1", true),
            ("10.0.0.7", false),
            ("192.168.1.1", false),
            ("8.8.8.8", false),
            ("2001:db8::1", false),
            ("fd00:1::1", false),
        ];
        for (ip, special) in table {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(special_address(ip).is_some(), special, "{ip}");
        }
    }

    #[test]
    fn names_may_not_resolve_to_special_addresses_unless_named_so() {
        let p = policy(&["api.local", "169.254.169.254", "localhost:8080"]);
        let by_name = p.check("api.local", 80, false).unwrap().clone();
        let metadata: IpAddr = "169.254.169.254".parse().unwrap();
        let err = p
            .check_address("api.local", &by_name, metadata)
            .unwrap_err();
        assert!(
            err.contains("link-local") && err.contains("allowedHosts"),
            "{err}"
        );
        assert!(
            p.check_address("api.local", &by_name, "10.1.2.3".parse().unwrap())
                .is_ok()
        );
        let literal = p.check("169.254.169.254", 80, false).unwrap().clone();
        assert!(
            p.check_address("169.254.169.254", &literal, metadata)
                .is_ok()
        );
        let local = p.check("localhost", 8080, false).unwrap().clone();
        assert!(
            p.check_address("localhost", &local, "127.0.0.1".parse().unwrap())
                .is_ok()
        );
        assert!(p.check_address("localhost", &local, metadata).is_err());
    }
}
