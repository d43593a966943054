//! Generated from `proto/backend.proto` and `proto/go_plugin.proto` by `build.rs`.

#![allow(
    missing_docs,
    clippy::all,
    clippy::allow_attributes,
    unreachable_pub,
    missing_debug_implementations
)]

/// Grafana's backend-plugin protocol.
pub mod pluginv2 {
    tonic::include_proto!("pluginv2");
}

/// go-plugin's internal services.
pub mod goplugin {
    tonic::include_proto!("plugin");
}
