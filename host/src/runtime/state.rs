//! `HostState`: the data of every module store, one field per capability.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use super::budget::StoreBudget;
use crate::bindings::wit_types;
use crate::capability::http::PolicyHooks;
use crate::capability::log::GuestLog;
use crate::policy::http::HttpPolicy;
use crate::policy::limits::{MAX_HTTP_FIELDS_BYTES, MAX_RESOURCES, STDERR_BYTES};

/// Bytes of a module's stderr kept for error messages (a panic message lands there).
const STDERR_CAPACITY: usize = STDERR_BYTES.value as usize;
/// Bytes of stderr an error message quotes.
const STDERR_TAIL: usize = 2048;

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
    /// Everything the store holds, against the call's budget.
    pub(crate) budget: StoreBudget,
    /// When the current call must stop; checked by the epoch callback.
    pub(crate) deadline: Option<Instant>,
    pub(crate) identity: GuestIdentity,
    pub(crate) stderr: MemoryOutputPipe,
    pub(crate) log: GuestLog,
}

impl std::fmt::Debug for HostState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostState")
            .field("identity", &self.identity)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl HostState {
    /// A sandbox that grants nothing but what `http` allows: no files, no environment, no
    /// arguments, no sockets, no stdin; stdout discarded; stderr captured (capped) for error
    /// messages; outbound HTTP only as the datasource's policy permits; at most
    /// [`MAX_RESOURCES`] live host resources.
    pub(crate) fn new(identity: GuestIdentity, budget: StoreBudget, http: Arc<HttpPolicy>) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .allow_ip_name_lookup(false)
            .allow_tcp(false)
            .allow_udp(false)
            .build();
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_RESOURCES.value as usize);
        let mut http_ctx = WasiHttpCtx::new();
        http_ctx.set_field_size_limit(MAX_HTTP_FIELDS_BYTES.value as usize);
        let http_hooks = PolicyHooks::new(http, budget.meter.clone());
        HostState {
            wasi,
            table,
            http: http_ctx,
            http_hooks,
            budget,
            deadline: None,
            log: GuestLog::new(identity.clone()),
            identity,
            stderr,
        }
    }

    /// Whether the store holds no host resources (streams, requests, bodies) between calls.
    pub(crate) fn holds_no_resources(&self) -> bool {
        self.table.is_empty()
    }

    /// Whether the capped stderr buffer has room for another call's output (it is never
    /// cleared, and writes fail once it is full).
    pub(crate) fn stderr_has_room(&self) -> bool {
        self.stderr.contents().len() < STDERR_CAPACITY / 2
    }

    /// The last bytes the module wrote to stderr since `since`, as text for an error message.
    pub(crate) fn stderr_tail(&self, since: usize) -> String {
        let all = self.stderr.contents();
        let new = &all[since.min(all.len())..];
        let start = new.len().saturating_sub(STDERR_TAIL);
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
