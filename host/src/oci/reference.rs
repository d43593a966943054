//! `oci://<registry>[:port]/<repository>[:<tag>][@sha256:<hex>]`: where a module lives in a
//! registry. The grammar is the distribution spec's (repository path components, tag, digest), with
//! the registry always spelled out: a datasource never pulls from an implied Docker Hub.

use std::fmt;
use std::str::FromStr;

use super::OciError;

/// The tag a reference without tag and digest names, as docker and oras do.
pub const DEFAULT_TAG: &str = "latest";

/// A module in an OCI registry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OciRef {
    /// `host` or `host:port`, as written.
    pub registry: String,
    /// Slash-separated path components, lower case.
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:<64 lower-case hex>`; when present it wins over the tag.
    pub digest: Option<String>,
}

impl OciRef {
    /// The tag to resolve: the one written, else `latest`; `None` when a digest pins the module.
    pub fn tag_to_resolve(&self) -> Option<&str> {
        match (&self.digest, &self.tag) {
            (Some(_), _) => None,
            (None, Some(t)) => Some(t),
            (None, None) => Some(DEFAULT_TAG),
        }
    }

    /// The same repository pinned on `digest` (tag dropped): what a datasource can write to stay
    /// on this version.
    pub fn pinned(&self, digest: &str) -> OciRef {
        OciRef {
            tag: None,
            digest: Some(digest.to_string()),
            ..self.clone()
        }
    }

    /// `registry/repository`, the part credentials and the allow-list do not care about.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

impl fmt::Display for OciRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oci://{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl FromStr for OciRef {
    type Err = OciError;

    fn from_str(s: &str) -> Result<Self, OciError> {
        let invalid = |reason: &str| OciError::InvalidReference {
            reference: s.to_string(),
            reason: reason.to_string(),
        };
        let text = s.trim();
        let rest = text
            .get(..6)
            .filter(|p| p.eq_ignore_ascii_case("oci://"))
            .map(|_| &text[6..])
            .ok_or_else(|| {
                invalid("an OCI reference starts with oci://, as in oci://ghcr.io/acme/module:1.0")
            })?;
        let (registry, path) = rest.split_once('/').ok_or_else(|| {
            invalid("it names no repository: write oci://<registry>/<repository>")
        })?;
        check_registry(registry).map_err(|r| invalid(&r))?;

        let (path, digest) = match path.split_once('@') {
            Some((p, d)) => (p, Some(d)),
            None => (path, None),
        };
        if let Some(d) = digest {
            check_digest(d).map_err(|r| invalid(&r))?;
        }
        // A ':' after the last '/' starts the tag.
        let last_slash = path.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match path[last_slash..].find(':') {
            Some(i) => (&path[..last_slash + i], Some(&path[last_slash + i + 1..])),
            None => (path, None),
        };
        check_repository(repository).map_err(|r| invalid(&r))?;
        if let Some(t) = tag {
            check_tag(t).map_err(|r| invalid(&r))?;
        }
        Ok(OciRef {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag: tag.map(str::to_string),
            digest: digest.map(str::to_string),
        })
    }
}

fn check_registry(registry: &str) -> Result<(), String> {
    if registry.is_empty() {
        return Err("it names no registry".into());
    }
    let (host, port) = if let Some(v6) = registry.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or("the registry's IPv6 address lacks its closing ']'")?;
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("the registry's address [{addr}] is not IPv6"));
        }
        (None, after.strip_prefix(':'))
    } else {
        match registry.rsplit_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(registry), None),
        }
    };
    if let Some(host) = host {
        let ok = !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !ok {
            return Err(format!("the registry host {host:?} is not a host name"));
        }
    }
    if let Some(port) = port
        && port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err(format!("the registry port {port:?} is not a port number"));
    }
    Ok(())
}

/// Path components `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`, joined by `/`, at most 255 bytes.
fn check_repository(repo: &str) -> Result<(), String> {
    if repo.is_empty() {
        return Err("it names no repository".into());
    }
    if repo.len() > 255 {
        return Err("the repository name is longer than 255 characters".into());
    }
    for component in repo.split('/') {
        if !repository_component(component) {
            return Err(format!(
                "the repository component {component:?} is not valid: lower-case letters and digits, separated by '.', '_', '__' or dashes"
            ));
        }
    }
    Ok(())
}

fn repository_component(c: &str) -> bool {
    let alnum = |ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit();
    let bytes: Vec<char> = c.chars().collect();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        // A separator: '.', '_', '__' or one or more '-', always followed by an alphanumeric.
        let start = i;
        match bytes[i] {
            '.' => i += 1,
            '_' => {
                i += 1;
                if bytes.get(i) == Some(&'_') {
                    i += 1;
                }
            }
            '-' => {
                while bytes.get(i) == Some(&'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
        if i == start || !bytes.get(i).is_some_and(|&ch| alnum(ch)) {
            return false;
        }
    }
    true
}

/// `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
fn check_tag(tag: &str) -> Result<(), String> {
    let valid = !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "the tag {tag:?} is not valid: up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
        ))
    }
}

/// `sha256:<64 lower-case hex>`; the only algorithm Quarry verifies.
pub(crate) fn check_digest(digest: &str) -> Result<(), String> {
    let Some((alg, hex)) = digest.split_once(':') else {
        return Err(format!(
            "the digest {digest:?} is not algorithm:hex, such as sha256:<64 hex digits>"
        ));
    };
    if alg != "sha256" {
        return Err(format!(
            "the digest algorithm {alg:?} is not supported: use a sha256 digest"
        ));
    }
    if hex.len() != 64 || !hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) {
        return Err(format!(
            "the digest {digest:?} is not sha256: followed by 64 lower-case hex digits"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text, then the registry, repository, tag and digest it parses to.
    type Case<'a> = (String, &'a str, &'a str, Option<&'a str>, Option<&'a str>);

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn references_parse_and_round_trip() {
        let digest = format!("sha256:{HEX}");
        let cases: Vec<Case> = vec![
            (
                "oci://ghcr.io/acme/csv:1.0".into(),
                "ghcr.io",
                "acme/csv",
                Some("1.0"),
                None,
            ),
            (
                "oci://127.0.0.1:5000/quarry/synthetic".into(),
                "127.0.0.1:5000",
                "quarry/synthetic",
                None,
                None,
            ),
            (
                format!("oci://localhost:5000/a/b/c@{digest}"),
                "localhost:5000",
                "a/b/c",
                None,
                Some(&digest),
            ),
            (
                format!("oci://r.example/my_mod--x.y:v2_rc.1@{digest}"),
                "r.example",
                "my_mod--x.y",
                Some("v2_rc.1"),
                Some(&digest),
            ),
            (
                "oci://[::1]:5000/m:t".into(),
                "[::1]:5000",
                "m",
                Some("t"),
                None,
            ),
        ];
        for (text, registry, repository, tag, dig) in cases {
            let r: OciRef = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(r.registry, registry, "{text}");
            assert_eq!(r.repository, repository, "{text}");
            assert_eq!(r.tag.as_deref(), tag, "{text}");
            assert_eq!(r.digest.as_deref(), dig, "{text}");
            assert_eq!(r.to_string(), text, "round trip");
            assert_eq!(r.to_string().parse::<OciRef>().unwrap(), r);
        }
    }

    #[test]
    fn the_tag_to_resolve_defaults_to_latest_and_a_digest_pins() {
        let r: OciRef = "oci://h/m".parse().unwrap();
        assert_eq!(r.tag_to_resolve(), Some("latest"));
        let pinned = r.pinned(&format!("sha256:{HEX}"));
        assert_eq!(pinned.tag_to_resolve(), None);
        assert_eq!(pinned.to_string(), format!("oci://h/m@sha256:{HEX}"));
        let both: OciRef = format!("oci://h/m:v1@sha256:{HEX}").parse().unwrap();
        assert_eq!(both.tag_to_resolve(), None, "the digest wins");
    }

    #[test]
    fn bad_references_say_what_is_wrong() {
        for (text, says) in [
            ("ghcr.io/acme/csv:1", "oci://"),
            ("oci://ghcr.io", "no repository"),
            ("oci:///acme/csv", "no registry"),
            ("oci://ghcr.io/Acme/csv", "\"Acme\""),
            ("oci://ghcr.io/acme//csv", "component \"\""),
            ("oci://ghcr.io/acme/csv-", "\"csv-\""),
            ("oci://ghcr.io/acme/c___v", "\"c___v\""),
            ("oci://ghcr.io/acme/csv:", "tag \"\""),
            ("oci://ghcr.io/acme/csv:-x", "tag \"-x\""),
            ("oci://ghcr.io/acme/csv:a/b", "component"),
            ("oci://ghcr.io:99999/acme/csv", "port"),
            ("oci://gh_cr.io/acme/csv", "host"),
            ("oci://ghcr.io/acme/csv@sha512:00", "sha512"),
            ("oci://ghcr.io/acme/csv@sha256:ABC", "64 lower-case hex"),
            ("oci://ghcr.io/acme/csv@abc", "algorithm:hex"),
            ("oci://[::g]:1/csv", "IPv6"),
        ] {
            let err = text.parse::<OciRef>().unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(says), "{text}: {msg}");
            assert!(msg.contains(text.trim()), "names the reference: {msg}");
        }
        let long = format!("oci://h/{}", "a".repeat(256));
        assert!(long.parse::<OciRef>().is_err());
        let long_tag = format!("oci://h/m:{}", "t".repeat(129));
        assert!(long_tag.parse::<OciRef>().is_err());
    }
}
