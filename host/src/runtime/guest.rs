//! A datasource's module instances: a small pool of warm stores, each holding one guest
//! `instance` resource created from the datasource's settings.
//!
//! A store runs one call at a time, so concurrent queries take different stores from the pool.
//! A store whose call trapped, timed out or was cancelled is dropped, never reused.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use wasmtime::Store;
use wasmtime::component::ResourceAny;

use super::limits::ModuleLimits;
use super::module::CompiledModule;
use super::state::{GuestIdentity, HostState};
use crate::bindings::{Module, wit_types};
use crate::capability::http::HttpPolicy;

/// Idle stores kept per datasource instance.
const MAX_IDLE: usize = 8;
/// Calls into one datasource's module at once; more wait (within their deadline).
const MAX_CONCURRENT_CALLS: usize = 16;
/// A store whose linear memory grew past this is dropped after its call instead of kept idle,
/// so idle stores do not hold on to large memories.
const MAX_IDLE_MEMORY_BYTES: usize = 64 << 20;

/// Why a call into a module failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum GuestError {
    /// The module answered with an error of its own.
    #[error("{}", module_error_text(.0))]
    Module(wit_types::Error),
    /// The module trapped (panic, `unreachable`, out-of-bounds access...).
    #[error("module {module} crashed: {message}{}", stderr_suffix(.stderr))]
    Trap {
        module: String,
        message: String,
        stderr: String,
    },
    /// The call ran past its deadline and was stopped.
    #[error("module {module} did not answer within {timeout_ms} ms and was stopped (call timeout)")]
    Timeout { module: String, timeout_ms: u128 },
    /// The module tried to grow its memory past the limit.
    #[error("module {module} exceeded its memory limit of {limit_mib} MiB and was stopped")]
    MemoryLimit { module: String, limit_mib: usize },
    /// The module returned something the host refuses to pass on to Grafana.
    #[error("module {module} returned invalid output: {reason}")]
    InvalidOutput { module: String, reason: String },
    /// Instantiating the module failed.
    #[error("module {module} could not be instantiated: {reason}")]
    Instantiate { module: String, reason: String },
}

fn module_error_text(e: &wit_types::Error) -> String {
    let mut s = e.message.clone();
    for c in &e.context {
        s.push_str(": ");
        s.push_str(c);
    }
    s
}

fn stderr_suffix(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(" (module stderr: {stderr})")
    }
}

/// The marker error the epoch callback raises when a call's deadline has passed.
#[derive(Debug)]
struct DeadlineExceeded;

impl std::fmt::Display for DeadlineExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("deadline exceeded")
    }
}

impl std::error::Error for DeadlineExceeded {}

/// Calls one `instance` export on a store leased from `$pool`, under the lease's deadline;
/// the store goes back to the pool only if the call finished cleanly.
macro_rules! leased_call {
    ($pool:expr, $export:ident($($arg:expr),*)) => {{
        let mut lease = $pool.lease().await?;
        let deadline = lease.deadline;
        let g = lease.guest();
        let exports = g.bindings.quarry_datasource_datasource().instance();
        let r = $pool
            .bounded(deadline, exports.$export(&mut g.store, g.handle $(, $arg)*))
            .await;
        lease.finish(r)
    }};
}

/// One warm store with its guest instance.
struct Guest {
    store: Store<HostState>,
    bindings: Module,
    handle: ResourceAny,
}

/// The live module side of one datasource instance.
pub struct GuestPool {
    module: Arc<CompiledModule>,
    /// The settings the module sees: secure settings filtered to what it declared `read`.
    settings: wit_types::InstanceSettings,
    limits: ModuleLimits,
    http: Arc<HttpPolicy>,
    identity: GuestIdentity,
    idle: Mutex<Vec<Guest>>,
    calls: tokio::sync::Semaphore,
}

impl std::fmt::Debug for GuestPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestPool")
            .field("module", &self.module.name)
            .field("datasource", &self.identity.datasource_uid)
            .finish_non_exhaustive()
    }
}

/// A store checked out for one call; returned to the pool only when the call finished cleanly.
struct Lease<'a> {
    pool: &'a GuestPool,
    guest: Option<Guest>,
    stderr_mark: usize,
    /// When this call must be over: instantiation (if needed) and the call share it.
    deadline: Instant,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl GuestPool {
    /// Asks the module which secure settings it wants, then creates the pool and its first
    /// guest instance, so bad settings surface right away.
    pub(crate) async fn new(
        module: Arc<CompiledModule>,
        settings: wit_types::InstanceSettings,
        limits: ModuleLimits,
        http: HttpPolicy,
    ) -> Result<Self, GuestError> {
        let identity = GuestIdentity {
            datasource_uid: settings.uid.clone(),
            module: module.name.clone(),
        };
        let mut pool = GuestPool {
            module,
            settings,
            limits,
            http: Arc::new(http),
            identity,
            idle: Mutex::new(Vec::new()),
            calls: tokio::sync::Semaphore::new(MAX_CONCURRENT_CALLS),
        };
        let deadline = Instant::now() + pool.limits.call_timeout;
        // The first store starts without credentials; grants decide what it gets.
        let (mut store, bindings) = pool.start_store(deadline).await?;
        let grants = pool
            .bounded(
                deadline,
                bindings
                    .quarry_datasource_datasource()
                    .call_secure_settings(&mut store),
            )
            .await
            .map_err(|e| pool.classify(&store, 0, e))?;
        pool.apply_grants(grants)?;
        store.data_mut().http_hooks.policy = pool.http.clone();
        let first = pool.create(store, bindings, deadline).await?;
        pool.idle.lock().expect("pool lock").push(first);
        Ok(pool)
    }

    /// Keeps only the secure settings the module may read, and turns the others it declared
    /// into credentials the host attaches to its HTTP requests.
    fn apply_grants(&mut self, grants: Vec<wit_types::SecretGrant>) -> Result<(), GuestError> {
        let all = std::mem::take(&mut self.settings.secure_json_data);
        let value_of = |key: &str| {
            all.iter()
                .find(|kv| kv.key == key)
                .map(|kv| kv.value.clone())
        };
        let mut http = (*self.http).clone();
        for grant in grants {
            let Some(value) = value_of(&grant.key) else {
                tracing::debug!(dsUid = %self.identity.datasource_uid, key = %grant.key, "module asked for a secure setting the datasource does not have");
                continue;
            };
            let header = match grant.use_ {
                wit_types::SecretUse::Read => {
                    self.settings.secure_json_data.push(wit_types::KeyValue {
                        key: grant.key,
                        value,
                    });
                    continue;
                }
                wit_types::SecretUse::BearerToken => {
                    (http::header::AUTHORIZATION, format!("Bearer {value}"))
                }
                wit_types::SecretUse::Header(name) => {
                    let name = http::HeaderName::try_from(name.as_str())
                        .map_err(|_| self.bad_grant(&grant.key, "names an invalid header"))?;
                    // Headers that frame or route the request are the host's, not a secret's.
                    if wasmtime_wasi_http::DEFAULT_FORBIDDEN_HEADERS.contains(&name)
                        || name == http::header::CONTENT_LENGTH
                    {
                        return Err(
                            self.bad_grant(&grant.key, "names a header modules may not set")
                        );
                    }
                    (name, value)
                }
            };
            let value = http::HeaderValue::try_from(header.1)
                .map_err(|_| self.bad_grant(&grant.key, "is not a valid header value"))?;
            http = http.with_credential(header.0, value);
        }
        self.http = Arc::new(http);
        Ok(())
    }

    fn bad_grant(&self, key: &str, what: &str) -> GuestError {
        GuestError::Instantiate {
            module: self.module.name.clone(),
            reason: format!("secure setting {key:?} {what}"),
        }
    }

    /// Runs a call into the module under the call deadline. The epoch callback stops a module
    /// that computes too long; this stops one that waits too long (on HTTP, say).
    async fn bounded<T>(
        &self,
        deadline: Instant,
        call: impl std::future::Future<Output = wasmtime::Result<T>>,
    ) -> wasmtime::Result<T> {
        match tokio::time::timeout_at(deadline.into(), call).await {
            Ok(r) => r,
            Err(_) => Err(DeadlineExceeded.into()),
        }
    }

    pub fn module(&self) -> &Arc<CompiledModule> {
        &self.module
    }

    pub(crate) fn limits(&self) -> &ModuleLimits {
        &self.limits
    }

    /// A fresh store with the module instantiated in it.
    async fn start_store(
        &self,
        deadline: Instant,
    ) -> Result<(Store<HostState>, Module), GuestError> {
        let mut store = Store::new(
            self.module.pre.engine(),
            HostState::new(self.identity.clone(), &self.limits, self.http.clone()),
        );
        store.limiter(|s| &mut s.limiter);
        store.epoch_deadline_callback(|ctx| {
            if ctx.data().deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(DeadlineExceeded.into());
            }
            Ok(wasmtime::UpdateDeadline::Yield(1))
        });
        store.set_epoch_deadline(1);
        store.data_mut().deadline = Some(deadline);
        let bindings = self
            .bounded(deadline, self.module.pre.instantiate_async(&mut store))
            .await
            .map_err(|e| self.classify(&store, 0, e))?;
        Ok((store, bindings))
    }

    /// Creates the guest `instance` resource from the datasource's settings.
    async fn create(
        &self,
        mut store: Store<HostState>,
        bindings: Module,
        deadline: Instant,
    ) -> Result<Guest, GuestError> {
        store.data_mut().deadline = Some(deadline);
        let created = self
            .bounded(
                deadline,
                bindings
                    .quarry_datasource_datasource()
                    .instance()
                    .call_create(&mut store, &self.settings),
            )
            .await
            .map_err(|e| self.classify(&store, 0, e))?;
        let handle = created.map_err(GuestError::Module)?;
        store.data_mut().deadline = None;
        Ok(Guest {
            store,
            bindings,
            handle,
        })
    }

    async fn instantiate(&self, deadline: Instant) -> Result<Guest, GuestError> {
        let (store, bindings) = self.start_store(deadline).await?;
        self.create(store, bindings, deadline).await
    }

    async fn lease(&self) -> Result<Lease<'_>, GuestError> {
        let deadline = Instant::now() + self.limits.call_timeout;
        let permit = match tokio::time::timeout_at(deadline.into(), self.calls.acquire()).await {
            Ok(Ok(p)) => p,
            _ => {
                return Err(GuestError::Timeout {
                    module: self.module.name.clone(),
                    timeout_ms: self.limits.call_timeout.as_millis(),
                });
            }
        };
        let idle = self.idle.lock().expect("pool lock").pop();
        let mut guest = match idle {
            Some(g) => g,
            None => self.instantiate(deadline).await?,
        };
        let data = guest.store.data_mut();
        data.deadline = Some(deadline);
        data.logs_this_call = 0;
        data.limiter.refused = false;
        let stderr_mark = data.stderr.contents().len();
        Ok(Lease {
            pool: self,
            guest: Some(guest),
            stderr_mark,
            deadline,
            _permit: permit,
        })
    }

    /// Turns a wasmtime error from a call into the reason a user can act on.
    fn classify(
        &self,
        store: &Store<HostState>,
        stderr_mark: usize,
        e: wasmtime::Error,
    ) -> GuestError {
        let module = self.module.name.clone();
        if e.downcast_ref::<DeadlineExceeded>().is_some() {
            return GuestError::Timeout {
                module,
                timeout_ms: self.limits.call_timeout.as_millis(),
            };
        }
        if store.data().limiter.refused {
            return GuestError::MemoryLimit {
                module,
                limit_mib: self.limits.max_memory_bytes >> 20,
            };
        }
        GuestError::Trap {
            module,
            message: trap_message(&e),
            stderr: store.data().stderr_tail(stderr_mark),
        }
    }

    pub(crate) async fn wit_query(
        &self,
        query: &wit_types::DataQuery,
    ) -> Result<Vec<wit_types::Frame>, GuestError> {
        leased_call!(self, call_query(query))?.map_err(GuestError::Module)
    }

    pub(crate) async fn wit_check_health(&self) -> Result<wit_types::Health, GuestError> {
        leased_call!(self, call_check_health())
    }

    pub(crate) async fn wit_call_resource(
        &self,
        request: &wit_types::ResourceRequest,
    ) -> Result<wit_types::ResourceResponse, GuestError> {
        leased_call!(self, call_call_resource(request))?.map_err(GuestError::Module)
    }

    pub(crate) async fn wit_subscribe_stream(
        &self,
        request: &wit_types::SubscribeRequest,
    ) -> Result<wit_types::SubscribeResponse, GuestError> {
        leased_call!(self, call_subscribe_stream(request))?.map_err(GuestError::Module)
    }

    pub(crate) async fn wit_publish_stream(
        &self,
        path: &str,
        data: &str,
    ) -> Result<wit_types::PublishResponse, GuestError> {
        leased_call!(self, call_publish_stream(path, data))?.map_err(GuestError::Module)
    }

    /// A guest instance of its own for one stream, so the module can keep per-stream state
    /// between ticks.
    pub async fn streamer(self: &Arc<Self>) -> Result<Streamer, GuestError> {
        let guest = self
            .instantiate(Instant::now() + self.limits.call_timeout)
            .await?;
        Ok(Streamer {
            pool: self.clone(),
            guest: Some(guest),
        })
    }
}

impl Lease<'_> {
    fn guest(&mut self) -> &mut Guest {
        self.guest
            .as_mut()
            .expect("lease holds a guest until finished")
    }

    /// Returns the store to the pool after a clean call; drops it after a trap.
    fn finish<T>(&mut self, result: wasmtime::Result<T>) -> Result<T, GuestError> {
        let mut guest = self.guest.take().expect("lease finished once");
        match result {
            Ok(v) => {
                let data = guest.store.data_mut();
                data.deadline = None;
                // Large memories and nearly full stderr buffers are not kept for reuse.
                let reusable =
                    data.limiter.memory_bytes <= MAX_IDLE_MEMORY_BYTES && data.stderr_has_room();
                let mut idle = self.pool.idle.lock().expect("pool lock");
                if reusable && idle.len() < MAX_IDLE {
                    idle.push(guest);
                }
                Ok(v)
            }
            Err(e) => Err(self.pool.classify(&guest.store, self.stderr_mark, e)),
        }
    }
}

/// One stream's dedicated guest instance.
pub struct Streamer {
    pub(crate) pool: Arc<GuestPool>,
    guest: Option<Guest>,
}

impl std::fmt::Debug for Streamer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streamer")
            .field("pool", &self.pool)
            .finish()
    }
}

impl Streamer {
    /// Runs one tick; after a trap or timeout the next tick starts from a fresh instance.
    pub(crate) async fn wit_tick(
        &mut self,
        path: &str,
        data: &str,
    ) -> Result<Vec<wit_types::Frame>, GuestError> {
        let deadline = Instant::now() + self.pool.limits.call_timeout;
        let mut guest = match self.guest.take() {
            Some(g) => g,
            None => self.pool.instantiate(deadline).await?,
        };
        let state = guest.store.data_mut();
        state.deadline = Some(deadline);
        state.limiter.refused = false;
        state.logs_this_call = 0;
        let mark = state.stderr.contents().len();
        let r = self
            .pool
            .bounded(
                deadline,
                guest
                    .bindings
                    .quarry_datasource_datasource()
                    .instance()
                    .call_stream_tick(&mut guest.store, guest.handle, path, data),
            )
            .await;
        match r {
            Ok(v) => {
                let data = guest.store.data_mut();
                data.deadline = None;
                // A stream keeps its instance unless its stderr buffer is nearly full.
                if data.stderr_has_room() {
                    self.guest = Some(guest);
                }
                v.map_err(GuestError::Module)
            }
            Err(e) => Err(self.pool.classify(&guest.store, mark, e)),
        }
    }
}

/// The first line of a wasmtime trap, which names the trap kind, plus the guest backtrace's
/// innermost frame when there is one.
fn trap_message(e: &wasmtime::Error) -> String {
    if let Some(trap) = e.downcast_ref::<wasmtime::Trap>() {
        return format!("wasm trap: {trap}");
    }
    let text = format!("{e:#}");
    text.lines().next().unwrap_or("unknown failure").to_string()
}
