//! `HostState`: the data of every module store, one field per capability.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::capability::http::{HttpPolicy, PolicyHooks};

use super::limits::ModuleLimits;
use crate::bindings::quarry::datasource::log as wit_log;
use crate::bindings::wit_types;

/// Bytes of a module's stderr kept for error messages (a panic message lands there).
const STDERR_CAPACITY: usize = 64 * 1024;

/// Who a module's log lines and errors are attributed to.
#[derive(Debug, Clone)]
pub(crate) struct GuestIdentity {
    pub(crate) datasource_uid: String,
    pub(crate) module: String,
}

pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    http: WasiHttpCtx,
    /// Enforces the datasource's HTTP policy on every outgoing request.
    pub(crate) http_hooks: PolicyHooks,
    pub(crate) limiter: MemoryLimiter,
    /// When the current call must stop; checked by the epoch callback.
    pub(crate) deadline: Option<Instant>,
    pub(crate) identity: GuestIdentity,
    pub(crate) stderr: MemoryOutputPipe,
    /// Log lines accepted during the current call.
    pub(crate) logs_this_call: u32,
    log_budget: u32,
    max_log_bytes: usize,
}

impl std::fmt::Debug for HostState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostState")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl HostState {
    /// A sandbox that grants nothing but what `http` allows: no files, no environment, no
    /// arguments, no sockets, no stdin; stdout discarded; stderr captured (capped) for error
    /// messages; outbound HTTP only as the datasource's policy permits.
    pub(crate) fn new(
        identity: GuestIdentity,
        limits: &ModuleLimits,
        http: Arc<HttpPolicy>,
    ) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .allow_ip_name_lookup(false)
            .allow_tcp(false)
            .allow_udp(false)
            .build();
        HostState {
            wasi,
            table: ResourceTable::new(),
            http: WasiHttpCtx::new(),
            http_hooks: PolicyHooks::new(http),
            limiter: MemoryLimiter::new(limits.max_memory_bytes),
            deadline: None,
            identity,
            stderr,
            logs_this_call: 0,
            log_budget: limits.max_log_lines_per_call,
            max_log_bytes: limits.max_log_line_bytes,
        }
    }

    /// Whether the capped stderr buffer has room for another call's output (it is never
    /// cleared, and writes fail once it is full).
    pub(crate) fn stderr_has_room(&self) -> bool {
        self.stderr.contents().len() < STDERR_CAPACITY / 2
    }

    /// The last bytes the module wrote to stderr, as text for an error message.
    pub(crate) fn stderr_tail(&self, since: usize) -> String {
        let all = self.stderr.contents();
        let new = &all[since.min(all.len())..];
        let start = new.len().saturating_sub(2048);
        String::from_utf8_lossy(&new[start..]).trim().to_string()
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            hooks: &mut self.http_hooks,
            table: &mut self.table,
            ctx: &mut self.http,
        }
    }
}

impl wit_types::Host for HostState {}

impl wit_log::Host for HostState {
    fn log(&mut self, level: wit_log::Level, message: String, fields: Vec<wit_types::KeyValue>) {
        self.logs_this_call += 1;
        if self.logs_this_call > self.log_budget {
            if self.logs_this_call == self.log_budget + 1 {
                tracing::warn!(
                    dsUid = %self.identity.datasource_uid,
                    module = %self.identity.module,
                    limit = self.log_budget,
                    "module log budget for this call exceeded; further lines dropped"
                );
            }
            return;
        }
        let message = truncate(message, self.max_log_bytes);
        let mut extra = serde_json::Map::new();
        for kv in fields.into_iter().take(32) {
            extra.insert(
                truncate(kv.key, 128),
                truncate(kv.value, self.max_log_bytes).into(),
            );
        }
        let extra = serde_json::Value::Object(extra).to_string();
        let uid = &self.identity.datasource_uid;
        let module = &self.identity.module;
        match level {
            wit_log::Level::Trace => {
                tracing::trace!(dsUid = %uid, module = %module, guest_fields = %extra, "{message}")
            }
            wit_log::Level::Debug => {
                tracing::debug!(dsUid = %uid, module = %module, guest_fields = %extra, "{message}")
            }
            wit_log::Level::Info => {
                tracing::info!(dsUid = %uid, module = %module, guest_fields = %extra, "{message}")
            }
            wit_log::Level::Warn => {
                tracing::warn!(dsUid = %uid, module = %module, guest_fields = %extra, "{message}")
            }
            wit_log::Level::Error => {
                tracing::error!(dsUid = %uid, module = %module, guest_fields = %extra, "{message}")
            }
        }
    }
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// Refuses memory growth beyond the limit instead of trapping, and remembers that it did so
/// the resulting failure can be reported as a memory-limit error.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    max_memory_bytes: usize,
    pub(crate) refused: bool,
    /// The linear memory size last granted.
    pub(crate) memory_bytes: usize,
}

impl MemoryLimiter {
    fn new(max_memory_bytes: usize) -> Self {
        MemoryLimiter {
            max_memory_bytes,
            refused: false,
            memory_bytes: 0,
        }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_memory_bytes {
            self.refused = true;
            return Ok(false);
        }
        self.memory_bytes = self.memory_bytes.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}
