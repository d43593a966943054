//! Module references as datasources write them in `jsonData.module`.
//!
//! - `name`: `<modules dir>/name.wasm`, whichever version is there;
//! - `name@sha256:<hex>`: that file, but only while its content has that digest — a different
//!   file is refused, never loaded;
//! - `oci://<registry>/<repository>[:<tag>]`: a module in an OCI registry, following the tag
//!   (`latest` when none);
//! - `oci://<registry>/<repository>[:<tag>]@sha256:<hex>`: that manifest only.

use std::fmt;

use crate::oci::{OciError, OciRef};

/// Why `jsonData.module` names nothing the host can load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("jsonData.module {reference:?}: {reason}")]
pub struct ReferenceError {
    pub reference: String,
    pub reason: String,
}

/// Where a datasource's module comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleRef {
    /// A file in the modules directory, optionally pinned on its content.
    File { name: String, pin: Option<String> },
    /// A module in an OCI registry.
    Oci(OciRef),
}

impl ModuleRef {
    /// Parses `jsonData.module`.
    ///
    /// # Errors
    /// A malformed pin (not `sha256:` and 64 lower-case hex digits), an empty name, or an
    /// `oci://` reference that does not follow the distribution spec's grammar.
    pub fn parse(text: &str) -> Result<Self, ReferenceError> {
        let text = text.trim();
        let err = |reason: &str| ReferenceError {
            reference: text.to_string(),
            reason: reason.to_string(),
        };
        if text
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("oci://"))
        {
            return match text.parse::<OciRef>() {
                Ok(r) => Ok(ModuleRef::Oci(r)),
                Err(OciError::InvalidReference { reason, .. }) => Err(err(&reason)),
                Err(other) => Err(err(&other.to_string())),
            };
        }
        let (name, pin) = match text.split_once('@') {
            None => (text, None),
            Some((name, pin)) => {
                let hex = pin
                    .strip_prefix("sha256:")
                    .ok_or_else(|| err("a pinned module is written name@sha256:<64 hex digits>"))?;
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(err(
                        "the pin must be sha256: followed by 64 hex digits (the SHA-256 of the .wasm file, as `sha256sum` prints it)",
                    ));
                }
                (name, Some(hex.to_ascii_lowercase()))
            }
        };
        if name.is_empty() {
            return Err(err("the module name is empty"));
        }
        Ok(ModuleRef::File {
            name: name.to_string(),
            pin,
        })
    }

    /// The module's name, as metrics and logs show it.
    pub fn name(&self) -> &str {
        match self {
            ModuleRef::File { name, .. } => name,
            // The repository's last component, as `quarry pull` names the file.
            ModuleRef::Oci(r) => r.repository.rsplit('/').next().unwrap_or(&r.repository),
        }
    }
}

impl fmt::Display for ModuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleRef::File { name, pin: None } => f.write_str(name),
            ModuleRef::File {
                name,
                pin: Some(pin),
            } => write!(f, "{name}@sha256:{pin}"),
            ModuleRef::Oci(r) => r.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_pins() {
        assert_eq!(
            ModuleRef::parse(" synthetic ").unwrap(),
            ModuleRef::File {
                name: "synthetic".into(),
                pin: None
            }
        );
        let hex = "AB".repeat(32);
        let pinned = ModuleRef::parse(&format!("http-api@sha256:{hex}")).unwrap();
        assert_eq!(pinned.name(), "http-api");
        assert_eq!(
            pinned.to_string(),
            format!("http-api@sha256:{}", hex.to_ascii_lowercase())
        );
        for bad in ["x@md5:00", "x@sha256:abc", "@sha256:", ""] {
            assert!(ModuleRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn registry_references() {
        let tagged = ModuleRef::parse("oci://localhost:5000/team/http-api:1.2").unwrap();
        assert_eq!(tagged.name(), "http-api");
        assert_eq!(tagged.to_string(), "oci://localhost:5000/team/http-api:1.2");
        let ModuleRef::Oci(r) = &tagged else {
            panic!("{tagged:?}")
        };
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        let digest = format!("sha256:{}", "a".repeat(64));
        let pinned = ModuleRef::parse(&format!("OCI://ghcr.io/acme/synthetic@{digest}")).unwrap();
        let ModuleRef::Oci(r) = &pinned else {
            panic!("{pinned:?}")
        };
        assert_eq!(r.digest.as_deref(), Some(digest.as_str()));
        for bad in ["oci://", "oci://ghcr.io", "oci://h/x@sha256:12"] {
            let e = ModuleRef::parse(bad).unwrap_err();
            assert_eq!(e.reference, bad);
        }
    }
}
