//! The single `bindgen!` of the host side of the WIT contract.

wasmtime::component::bindgen!({
    world: "module",
    path: "../wit",
    exports: { default: async },
});

pub(crate) use quarry::datasource::types as wit_types;

/// The contract package this host speaks, and its version.
pub const CONTRACT_PACKAGE: &str = "quarry:datasource";
/// Version of `wit/world.wit`; modules must be built for a compatible version.
pub const CONTRACT_VERSION: &str = "0.2.0";
