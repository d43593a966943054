//! What a module may import from the host beyond its sandboxed WASI: outbound HTTP under the
//! datasource's policy, and logging through the host.

pub mod http;
pub(crate) mod log;
