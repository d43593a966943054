//! Quarry's host: a Grafana backend datasource plugin that runs each datasource's fetch logic
//! in a sandboxed WebAssembly component.
//!
//! Brief overview, in the order a query travels:
//! - [`serve`]: launched by Grafana — go-plugin handshake, listener, Shutdown, parent watch.
//! - [`grpc`]: tonic services for pluginv2 (Data, Diagnostics, Resource, Stream), health and
//!   go-plugin's controller; the only place protobuf types are mapped to domain types.
//! - [`handler`]: domain types of each capability and the [`Dispatcher`] that answers them.
//! - [`instance`]: one live instance per datasource, recreated on settings change, hot-reloaded
//!   when its `.wasm` changes.
//! - [`policy`]: what a datasource's module may do — every host-owned `jsonData` key parsed once,
//!   every limit with its default and cap, secrets by the operator's grant.
//! - [`runtime`]: wasmtime engine, compiled-module cache, linker, budgets (per call and for the
//!   process), per-datasource guest pools.
//! - [`capability`]: what modules may import: HTTP under the datasource's policy, logging.
//! - [`oci`]: modules from OCI registries: resolve tags, pull into a verified local store, push.
//! - `untrusted`: the checked conversion of everything a module returns.
//! - frames are encoded by the `quarry-frame` crate (Arrow IPC and frame JSON).
//! - [`client`]: plays Grafana's part (tests, the demo, `quarry grafana`).

mod bindings;
pub mod capability;
pub mod client;
pub mod grpc;
pub mod handler;
pub mod instance;
pub mod logging;
mod metrics;
pub mod oci;
pub mod policy;
pub mod runtime;
pub mod serve;
mod untrusted;

pub use bindings::{CONTRACT_PACKAGE, CONTRACT_VERSION};
pub use handler::Dispatcher;
pub use untrusted::UntrustedError;
