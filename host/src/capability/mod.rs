//! What a module may import from the host beyond its sandboxed WASI: outbound HTTP under the
//! datasource's policy. (The `log` import is implemented on `runtime::state::HostState`.)

pub mod http;
