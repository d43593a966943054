//! The host side of the WIT contract: one `bindgen!` per contract version the host loads.
//!
//! [`current`] is the contract in `wit/` (0.3), the only one the runtime speaks. Modules built
//! for 0.2 are loaded through [`v0_2`], whose records are 0.3's own Rust types (the records did
//! not change), so a 0.2 module differs only in lacking `describe`.

pub(crate) mod current {
    wasmtime::component::bindgen!({
        world: "module",
        path: "../wit",
        exports: { default: async },
    });
}

pub(crate) mod v0_2 {
    wasmtime::component::bindgen!({
        world: "module",
        path: "wit-compat/quarry-0.2.0",
        exports: { default: async },
        with: {
            "quarry:datasource/types@0.2.0": super::current::quarry::datasource::types,
        },
    });
}

pub(crate) use current::quarry::datasource::types as wit_types;

/// The contract package this host speaks, and its version.
pub const CONTRACT_PACKAGE: &str = "quarry:datasource";
/// Version of `wit/world.wit`; modules must be built for it, or for 0.2, which still loads
/// (without a descriptor).
pub const CONTRACT_VERSION: &str = "0.3.0";

/// The contract a module was built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Contract {
    V0_2,
    V0_3,
}

impl Contract {
    /// The version a module's `datasource` export names, if the host loads it.
    pub(crate) fn from_version(version: &str) -> Option<Contract> {
        let mut it = version.split('.');
        match (it.next()?, it.next()?) {
            ("0", "3") => Some(Contract::V0_3),
            ("0", "2") => Some(Contract::V0_2),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Contract;

    #[test]
    fn contract_versions_follow_semver() {
        let table = [
            ("0.3.0", Some(Contract::V0_3)),
            ("0.3.7", Some(Contract::V0_3)),
            ("0.2.0", Some(Contract::V0_2)),
            ("0.2.1", Some(Contract::V0_2)),
            ("0.1.0", None),
            ("0.4.0", None),
            ("1.0.0", None),
            ("garbage", None),
        ];
        for (found, want) in table {
            assert_eq!(Contract::from_version(found), want, "{found}");
        }
    }
}
