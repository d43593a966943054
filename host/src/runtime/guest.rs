//! A datasource's module instances: a small pool of warm stores, each holding one guest
//! `instance` resource created from the datasource's settings.
//!
//! Every call takes a slot of its datasource (`maxConcurrentCalls`) and a slot of the process
//! (`max_concurrent_calls`), runs under one deadline, and counts everything its store holds
//! against its budget ([`StoreBudget`]). A store runs one call at a time, so concurrent queries
//! take different stores. A store whose call failed is dropped; one that succeeded is kept only
//! when it is back under [`IDLE_MAX_BYTES`] and holds no host resources.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::Store;
use wasmtime::component::ResourceAny;

use super::budget::{Busy, Exceeded, HostBudget, Meter, Reservation, StoreBudget, Usage, metered};
use super::exports::Exports;
use super::module::CompiledModule;
use super::state::{GuestIdentity, HostState};
use crate::bindings::wit_types;
use crate::policy::ModulePolicy;
use crate::policy::http::HttpPolicy;
use crate::policy::limits::{self, CallLimits};
use crate::policy::secrets::{GrantError, SecretRequest, SecretUse};
use crate::untrusted;

/// Idle stores kept per datasource instance.
const MAX_IDLE: usize = 8;
/// A store is kept for reuse only when its memories and tables hold at most this much.
pub(crate) const IDLE_MAX_BYTES: usize = limits::IDLE_STORE_BYTES.value as usize;

/// Why a call into a module failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum GuestError {
    /// The module answered with an error of its own (its text already bounded).
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
    #[error(
        "module {module} did not answer within {timeout_ms} ms and was stopped (call timeout, jsonData.callTimeoutMs)"
    )]
    Timeout { module: String, timeout_ms: u128 },
    /// The call's store would have held more than its memory budget.
    #[error("{}", budget_text(.module, .usage, *.requested, *.limit))]
    Budget {
        module: String,
        usage: Usage,
        requested: usize,
        limit: usize,
    },
    /// The module went past a limit no datasource can raise.
    #[error("module {module} went past a host limit: {what}")]
    Limit { module: String, what: String },
    /// The process-wide budget had no room for the call.
    #[error(transparent)]
    Busy(Busy),
    /// The datasource's own call slots stayed busy until the deadline.
    #[error(
        "datasource {uid:?} already runs {slots} module calls (jsonData.maxConcurrentCalls) and none finished before this call's deadline"
    )]
    DatasourceBusy { uid: String, slots: usize },
    /// The datasource runs as many streams as it may.
    #[error(
        "datasource {uid:?} already runs {max} streams (jsonData.maxStreams); this stream was refused"
    )]
    TooManyStreams { uid: String, max: usize },
    /// The module returned something the host refuses to pass on to Grafana.
    #[error("module {module} returned invalid output: {reason}")]
    InvalidOutput { module: String, reason: String },
    /// Instantiating the module failed.
    #[error("module {module} could not be instantiated: {reason}")]
    Instantiate { module: String, reason: String },
    /// The module asked for a secret its datasource does not grant.
    #[error("module {module}: {source}")]
    Grant { module: String, source: GrantError },
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

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

fn budget_text(module: &str, usage: &Usage, requested: usize, limit: usize) -> String {
    format!(
        "module {module} exceeded its memory budget of {} (linear memories {}, tables {}, held by the host for it {}, asking for {} more) and was stopped; raise jsonData.{} (at most {} {}) if the module needs more",
        mib(limit),
        mib(usage.linear),
        mib(usage.tables),
        mib(usage.host),
        mib(requested),
        limits::MEMORY_LIMIT_MB.key,
        limits::MEMORY_LIMIT_MB.cap,
        limits::MEMORY_LIMIT_MB.unit,
    )
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

/// Runs one call into a store: counted against the store's meter, stopped at the deadline.
/// The epoch callback stops a module that computes too long; the timeout stops one that waits
/// too long (on HTTP, say).
async fn guarded<T>(
    meter: Arc<Meter>,
    deadline: Instant,
    call: impl std::future::Future<Output = wasmtime::Result<T>>,
) -> wasmtime::Result<T> {
    metered(&meter, async {
        match tokio::time::timeout_at(deadline.into(), call).await {
            Ok(r) => r,
            Err(_) => Err(DeadlineExceeded.into()),
        }
    })
    .await
}

fn meter_of(store: &Store<HostState>) -> Arc<Meter> {
    store.data().budget.meter.clone()
}

/// One warm store with its guest instance.
struct Guest {
    store: Store<HostState>,
    exports: Exports,
    handle: ResourceAny,
}

/// Calls one `instance` export on a store leased from `$pool`, under the lease's deadline.
macro_rules! pooled_call {
    ($pool:expr, |$exports:ident, $store:ident, $handle:ident| $call:expr) => {
        pooled_call!($pool, Slotted::Datasource, |$exports, $store, $handle| {
            $call
        })
    };
    ($pool:expr, $slotted:expr, |$exports:ident, $store:ident, $handle:ident| $call:expr) => {{
        let mut lease = $pool.lease($slotted).await?;
        let result = {
            let Guest {
                store: $store,
                exports: $exports,
                handle,
            } = &mut lease.guest;
            let $handle = *handle;
            guarded(meter_of($store), lease.deadline, $call).await
        };
        $pool.finish(lease, result)
    }};
}

/// A store checked out for one call, with the call's slots.
struct Lease {
    guest: Guest,
    mark: usize,
    deadline: Instant,
    _slots: Slots,
}

/// The slots one call holds while it runs.
struct Slots {
    _datasource: Option<OwnedSemaphorePermit>,
    _host: OwnedSemaphorePermit,
}

/// Which slots a call takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Slotted {
    /// A slot of the datasource and one of the process: every call that serves Grafana.
    Datasource,
    /// A slot of the process only: creating a version's first instance and health-checking a
    /// rollout's candidate, which must not queue behind the traffic the serving version carries
    /// (a busy datasource would otherwise have a good version refused, or a rollback fail).
    HostOnly,
}

/// The live module side of one datasource instance.
pub struct GuestPool {
    module: Arc<CompiledModule>,
    /// The settings the module sees: secure settings only as granted for reading.
    settings: wit_types::InstanceSettings,
    limits: CallLimits,
    http: Arc<HttpPolicy>,
    identity: GuestIdentity,
    idle: Mutex<Vec<Guest>>,
    slots: DatasourceSlots,
    host: Arc<HostBudget>,
}

/// A datasource's call and stream slots (`maxConcurrentCalls`, `maxStreams`).
///
/// They belong to the datasource, not to a module version: every version that serves it shares
/// them, so a rollout never lets a datasource run more streams or calls than it may (a version
/// rolled out used to start with all its slots free while the old one's streams still ran).
#[derive(Clone, Debug)]
pub struct DatasourceSlots {
    calls: Arc<Semaphore>,
    streams: Arc<Semaphore>,
}

impl DatasourceSlots {
    pub fn new(limits: &CallLimits) -> Self {
        Self {
            calls: Arc::new(Semaphore::new(limits.max_concurrent_calls)),
            streams: Arc::new(Semaphore::new(limits.max_streams)),
        }
    }
}

impl std::fmt::Debug for GuestPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestPool")
            .field("module", &self.module.name)
            .field("datasource", &self.identity.datasource_uid)
            .finish_non_exhaustive()
    }
}

impl GuestPool {
    /// Asks the module which secrets it wants, checks them against the datasource's grants,
    /// then creates the pool and its first guest instance, so bad settings surface right away.
    pub(crate) async fn new(
        module: Arc<CompiledModule>,
        mut settings: wit_types::InstanceSettings,
        secure_json_data: &std::collections::BTreeMap<String, String>,
        policy: &ModulePolicy,
        host: Arc<HostBudget>,
        slots: DatasourceSlots,
    ) -> Result<Self, GuestError> {
        settings.secure_json_data.clear();
        let identity = GuestIdentity {
            datasource_uid: settings.uid.clone(),
            module: module.name.clone(),
        };
        let limits = policy.limits.clone();
        let mut pool = GuestPool {
            module,
            settings,
            slots,
            limits,
            // The first store starts without credentials; the grants decide what it gets.
            http: Arc::new(policy.http.clone()),
            identity,
            idle: Mutex::new(Vec::new()),
            host,
        };
        let deadline = Instant::now() + pool.limits.call_timeout;
        let _slots = pool.slots(deadline, Slotted::HostOnly).await?;
        let (mut store, exports) = pool.start_store(deadline).await?;
        let requests = guarded(
            meter_of(&store),
            deadline,
            exports.secure_settings(&mut store),
        )
        .await
        .map_err(|e| pool.classify(&store, 0, e))?;
        let requests: Vec<SecretRequest> = requests
            .into_iter()
            .map(|g| SecretRequest {
                key: g.key,
                usage: match g.use_ {
                    wit_types::SecretUse::Read => SecretUse::Read,
                    wit_types::SecretUse::BearerToken => SecretUse::BearerToken,
                    wit_types::SecretUse::Header(h) => SecretUse::Header(h),
                },
            })
            .collect();
        let granted = policy
            .secrets
            .grant(&requests, secure_json_data)
            .map_err(|source| GuestError::Grant {
                module: pool.module.name.clone(),
                source,
            })?;
        pool.settings.secure_json_data = granted
            .readable
            .into_iter()
            .map(|(key, value)| wit_types::KeyValue { key, value })
            .collect();
        pool.http = Arc::new(policy.http.clone().with_credentials(granted.credentials));
        store.data_mut().http_hooks.set_policy(pool.http.clone());
        let first = pool.create(store, exports, deadline).await?;
        pool.idle.lock().expect("pool lock").push(first);
        Ok(pool)
    }

    pub fn module(&self) -> &Arc<CompiledModule> {
        &self.module
    }

    pub(crate) fn limits(&self) -> &CallLimits {
        &self.limits
    }

    /// The datasource's slots, for the next version that serves it.
    pub fn datasource_slots(&self) -> &DatasourceSlots {
        &self.slots
    }

    /// Drops the idle stores (the process budget needs their memory).
    pub(crate) fn evict_idle(&self) {
        self.idle.lock().expect("pool lock").clear();
    }

    /// The slots for one call (the datasource's, unless `HostOnly`, and the process's),
    /// waiting until `deadline`.
    async fn slots(&self, deadline: Instant, slotted: Slotted) -> Result<Slots, GuestError> {
        let datasource = match slotted {
            Slotted::HostOnly => None,
            Slotted::Datasource => match tokio::time::timeout_at(
                deadline.into(),
                self.slots.calls.clone().acquire_owned(),
            )
            .await
            {
                Ok(Ok(p)) => Some(p),
                _ => {
                    return Err(GuestError::DatasourceBusy {
                        uid: self.identity.datasource_uid.clone(),
                        slots: self.limits.max_concurrent_calls,
                    });
                }
            },
        };
        let host = self
            .host
            .call_slot(deadline)
            .await
            .map_err(GuestError::Busy)?;
        Ok(Slots {
            _datasource: datasource,
            _host: host,
        })
    }

    /// A fresh store with the module instantiated in it.
    async fn start_store(
        &self,
        deadline: Instant,
    ) -> Result<(Store<HostState>, Exports), GuestError> {
        let fresh = FreshStore {
            module: &self.module,
            identity: &self.identity,
            limits: &self.limits,
            http: &self.http,
            host: &self.host,
        };
        fresh.start(deadline).await
    }

    /// Creates the guest `instance` resource from the datasource's settings.
    async fn create(
        &self,
        mut store: Store<HostState>,
        exports: Exports,
        deadline: Instant,
    ) -> Result<Guest, GuestError> {
        store.data_mut().deadline = Some(deadline);
        let created = guarded(
            meter_of(&store),
            deadline,
            exports.create(&mut store, &self.settings),
        )
        .await
        .map_err(|e| self.classify(&store, 0, e))?;
        let handle = created.map_err(|e| GuestError::Module(untrusted::module_error(e)))?;
        let data = store.data_mut();
        data.deadline = None;
        self.module.observe_footprint(data.budget.usage().total());
        data.budget.settle();
        Ok(Guest {
            store,
            exports,
            handle,
        })
    }

    async fn instantiate(&self, deadline: Instant) -> Result<Guest, GuestError> {
        let (store, exports) = self.start_store(deadline).await?;
        self.create(store, exports, deadline).await
    }

    /// Readies a guest for a call: its deadline, a fresh budget count and log budget; returns
    /// the stderr mark errors quote from.
    fn begin(guest: &mut Guest, deadline: Instant) -> usize {
        let data = guest.store.data_mut();
        data.deadline = Some(deadline);
        data.budget.begin_call();
        data.log.begin_call();
        data.stderr.contents().len()
    }

    /// Ends a call: a clean store goes back (if `keep`), a failed one is dropped.
    fn conclude<T>(
        &self,
        mut guest: Guest,
        mark: usize,
        result: wasmtime::Result<T>,
        keep: impl FnOnce(Guest),
    ) -> Result<T, GuestError> {
        let value = match result {
            Ok(v) => v,
            Err(e) => {
                let err = self.classify(&guest.store, mark, e);
                release(guest);
                return Err(err);
            }
        };
        let data = guest.store.data_mut();
        // Lifting the results happened after the last transition: check once more.
        if !data.budget.admit(0) {
            let err = self.exceeded(&guest.store);
            release(guest);
            return Err(err);
        }
        data.deadline = None;
        data.budget.settle();
        let usage = data.budget.usage();
        let reusable = usage.linear + usage.tables <= IDLE_MAX_BYTES
            && data.holds_no_resources()
            && data.stderr_has_room();
        if reusable {
            keep(guest);
        } else {
            release(guest);
        }
        Ok(value)
    }

    /// Checks out a store for one call: the call's slots, an idle store or a new one, and a
    /// fresh count for its budget and log.
    async fn lease(&self, slotted: Slotted) -> Result<Lease, GuestError> {
        let deadline = Instant::now() + self.limits.call_timeout;
        let slots = self.slots(deadline, slotted).await?;
        let idle = self.idle.lock().expect("pool lock").pop();
        let mut guest = match idle {
            Some(g) => g,
            None => self.instantiate(deadline).await?,
        };
        let mark = Self::begin(&mut guest, deadline);
        Ok(Lease {
            guest,
            mark,
            deadline,
            _slots: slots,
        })
    }

    /// Ends a leased call; a clean store goes back to the pool.
    fn finish<T>(&self, lease: Lease, result: wasmtime::Result<T>) -> Result<T, GuestError> {
        self.conclude(lease.guest, lease.mark, result, |g| {
            let mut idle = self.idle.lock().expect("pool lock");
            if idle.len() < MAX_IDLE {
                idle.push(g);
            }
        })
    }

    /// Turns a wasmtime error from a call into the reason a user can act on.
    fn classify(
        &self,
        store: &Store<HostState>,
        stderr_mark: usize,
        e: wasmtime::Error,
    ) -> GuestError {
        classify(
            &self.module,
            &self.limits,
            &self.host,
            store,
            stderr_mark,
            e,
        )
    }

    fn exceeded(&self, store: &Store<HostState>) -> GuestError {
        exceeded(&self.module, &self.limits, &self.host, store)
    }

    pub(crate) async fn wit_query(
        &self,
        query: &wit_types::DataQuery,
    ) -> Result<Vec<wit_types::Frame>, GuestError> {
        pooled_call!(self, |x, s, h| x.query(s, h, query))?
            .map_err(|e| GuestError::Module(untrusted::module_error(e)))
    }

    /// A health check; a rollout's candidate runs it `HostOnly`, taking no slot of the
    /// datasource, whose calls the serving version still answers.
    pub(super) async fn wit_check_health(
        &self,
        slotted: Slotted,
    ) -> Result<wit_types::Health, GuestError> {
        pooled_call!(self, slotted, |x, s, h| x.check_health(s, h))
    }

    pub(crate) async fn wit_call_resource(
        &self,
        request: &wit_types::ResourceRequest,
    ) -> Result<wit_types::ResourceResponse, GuestError> {
        pooled_call!(self, |x, s, h| x.call_resource(s, h, request))?
            .map_err(|e| GuestError::Module(untrusted::module_error(e)))
    }

    pub(crate) async fn wit_subscribe_stream(
        &self,
        request: &wit_types::SubscribeRequest,
    ) -> Result<wit_types::SubscribeResponse, GuestError> {
        pooled_call!(self, |x, s, h| x.subscribe_stream(s, h, request))?
            .map_err(|e| GuestError::Module(untrusted::module_error(e)))
    }

    pub(crate) async fn wit_publish_stream(
        &self,
        path: &str,
        data: &str,
    ) -> Result<wit_types::PublishResponse, GuestError> {
        pooled_call!(self, |x, s, h| x.publish_stream(s, h, path, data))?
            .map_err(|e| GuestError::Module(untrusted::module_error(e)))
    }

    /// A new guest instance for a stream, created as a call of the datasource.
    async fn stream_guest(&self) -> Result<Guest, GuestError> {
        let deadline = Instant::now() + self.limits.call_timeout;
        let _slots = self.slots(deadline, Slotted::Datasource).await?;
        self.instantiate(deadline).await
    }

    /// A guest instance of its own for one stream, so the module can keep per-stream state
    /// between ticks. The stream holds a slot of its datasource (`maxStreams`) and of the
    /// process (`max_streams`) for as long as it runs.
    pub async fn streamer(self: &Arc<Self>) -> Result<Streamer, GuestError> {
        let datasource = self
            .slots
            .streams
            .clone()
            .try_acquire_owned()
            .map_err(|_| GuestError::TooManyStreams {
                uid: self.identity.datasource_uid.clone(),
                max: self.limits.max_streams,
            })?;
        let host = self.host.stream_slot().map_err(GuestError::Busy)?;
        let guest = self.stream_guest().await?;
        Ok(Streamer {
            pool: self.clone(),
            guest: Some(guest),
            _datasource: datasource,
            _host: host,
        })
    }
}

/// One stream's dedicated guest instance.
pub struct Streamer {
    pub(crate) pool: Arc<GuestPool>,
    guest: Option<Guest>,
    _datasource: OwnedSemaphorePermit,
    _host: OwnedSemaphorePermit,
}

impl std::fmt::Debug for Streamer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streamer")
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl Streamer {
    /// Moves the stream to `pool`, a newer version serving the same datasource, keeping the
    /// stream's slots (they are the datasource's, whichever version runs it). On failure the
    /// stream comes back unchanged, still on its version.
    pub async fn move_to(
        mut self,
        pool: &Arc<GuestPool>,
    ) -> Result<Streamer, (Streamer, GuestError)> {
        let guest = match pool.stream_guest().await {
            Ok(g) => g,
            Err(e) => return Err((self, e)),
        };
        self.pool = pool.clone();
        self.guest = Some(guest);
        Ok(self)
    }

    /// Runs one tick as a call of its datasource (it takes call slots like any other call);
    /// after a failure the next tick starts from a fresh instance.
    pub(crate) async fn wit_tick(
        &mut self,
        path: &str,
        data: &str,
    ) -> Result<Vec<wit_types::Frame>, GuestError> {
        let pool = self.pool.clone();
        let deadline = Instant::now() + pool.limits.call_timeout;
        let _slots = pool.slots(deadline, Slotted::Datasource).await?;
        let mut guest = match self.guest.take() {
            Some(g) => g,
            None => pool.instantiate(deadline).await?,
        };
        let mark = GuestPool::begin(&mut guest, deadline);
        let Guest {
            store,
            exports,
            handle,
        } = &mut guest;
        let result = guarded(
            meter_of(store),
            deadline,
            exports.stream_tick(store, *handle, path, data),
        )
        .await;
        let slot = &mut self.guest;
        pool.conclude(guest, mark, result, |g| *slot = Some(g))?
            .map_err(|e| GuestError::Module(untrusted::module_error(e)))
    }
}

/// Host-side bytes above which dropping a store also hands freed heap pages back to the system.
const TRIM_ABOVE: usize = 8 << 20;

/// Drops a failed store. When the host held much for it, the allocator's freed pages go back to
/// the system too, so an attack leaves no lasting resident memory.
fn release(guest: Guest) {
    let held = guest.store.data().budget.usage().host;
    drop(guest);
    if held > TRIM_ABOVE {
        trim_heap();
    }
}

fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// What a new store needs: the module, who it runs for and under which limits.
struct FreshStore<'a> {
    module: &'a Arc<CompiledModule>,
    identity: &'a GuestIdentity,
    limits: &'a CallLimits,
    http: &'a Arc<HttpPolicy>,
    host: &'a Arc<HostBudget>,
}

impl FreshStore<'_> {
    /// A store with the module instantiated in it, after reserving what the module usually
    /// needs from the process budget.
    async fn start(&self, deadline: Instant) -> Result<(Store<HostState>, Exports), GuestError> {
        let mut reservation = Reservation::empty(self.host.memory.clone());
        reservation
            .wait_grow_to(
                self.module.footprint().min(self.limits.memory_bytes),
                deadline,
            )
            .await
            .map_err(GuestError::Busy)?;
        let budget = StoreBudget::new(self.limits.memory_bytes, reservation);
        let mut store = Store::new(
            self.module.pre.engine(),
            HostState::new(self.identity.clone(), budget, self.http.clone()),
        );
        store.limiter(|s| &mut s.budget);
        // Host-side growth (resources, header maps, copied output) is checked on every
        // transition between the module and the host.
        store.call_hook(|mut ctx, _| ctx.data_mut().budget.check());
        store.epoch_deadline_callback(|ctx| {
            if ctx.data().deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(DeadlineExceeded.into());
            }
            Ok(wasmtime::UpdateDeadline::Yield(1))
        });
        store.set_epoch_deadline(1);
        store.data_mut().deadline = Some(deadline);
        let pre = self.module.pre.clone();
        let exports = guarded(meter_of(&store), deadline, pre.instantiate(&mut store))
            .await
            .map_err(|e| classify(self.module, self.limits, self.host, &store, 0, e))?;
        Ok((store, exports))
    }
}

/// Asks a module for its descriptor, in a store of its own with no settings and no network;
/// `None` for modules built for contract 0.2, which have none.
pub(crate) async fn describe(
    module: &Arc<CompiledModule>,
    host: &Arc<HostBudget>,
) -> Result<Option<wit_types::Descriptor>, GuestError> {
    let limits = CallLimits::default();
    let fresh = FreshStore {
        module,
        identity: &GuestIdentity {
            datasource_uid: String::new(),
            module: module.name.clone(),
        },
        limits: &limits,
        http: &Arc::new(HttpPolicy::default()),
        host,
    };
    let deadline = Instant::now() + limits.call_timeout;
    let _slot = host.call_slot(deadline).await.map_err(GuestError::Busy)?;
    let (mut store, exports) = fresh.start(deadline).await?;
    guarded(meter_of(&store), deadline, exports.describe(&mut store))
        .await
        .map_err(|e| classify(module, &limits, host, &store, 0, e))
}

/// Turns a wasmtime error from a call into the reason a user can act on.
fn classify(
    module: &CompiledModule,
    limits: &CallLimits,
    host: &HostBudget,
    store: &Store<HostState>,
    stderr_mark: usize,
    e: wasmtime::Error,
) -> GuestError {
    let name = module.name.clone();
    if e.downcast_ref::<DeadlineExceeded>().is_some() {
        return GuestError::Timeout {
            module: name,
            timeout_ms: limits.call_timeout.as_millis(),
        };
    }
    if store.data().budget.exceeded().is_some() {
        return exceeded(module, limits, host, store);
    }
    let text = format!("{e:#}");
    if let Some(what) = count_limit(&text) {
        return GuestError::Limit { module: name, what };
    }
    GuestError::Trap {
        module: name,
        message: trap_message(&e),
        stderr: store.data().stderr_tail(stderr_mark),
    }
}

fn exceeded(
    module: &CompiledModule,
    limits: &CallLimits,
    host: &HostBudget,
    store: &Store<HostState>,
) -> GuestError {
    let module = module.name.clone();
    match store.data().budget.exceeded() {
        Some(Exceeded::HostBusy) => GuestError::Busy(Busy::Memory {
            budget_mib: host.memory.capacity() >> 20,
        }),
        Some(Exceeded::Budget {
            usage,
            requested,
            limit,
        }) => GuestError::Budget {
            module,
            usage,
            requested,
            limit,
        },
        None => GuestError::Budget {
            module,
            usage: store.data().budget.usage(),
            requested: 0,
            limit: limits.memory_bytes,
        },
    }
}

/// The fixed count limit a wasmtime error names, if it is one.
fn count_limit(text: &str) -> Option<String> {
    let what = if text.contains("instance count too high")
        || text.contains("instances") && text.contains("limit")
    {
        limits::MAX_INSTANCES
    } else if text.contains("memory count too high")
        || text.contains("memories") && text.contains("limit")
    {
        limits::MAX_MEMORIES
    } else if text.contains("table count too high")
        || text.contains("tables") && text.contains("limit")
    {
        limits::MAX_TABLES
    } else if text.contains("resource table has no free keys") || text.contains("table is full") {
        limits::MAX_RESOURCES
    } else {
        return None;
    };
    Some(format!(
        "it creates more {} than the {} allowed",
        what.unit, what.value
    ))
}

/// The first line of a wasmtime trap, which names the trap kind.
fn trap_message(e: &wasmtime::Error) -> String {
    if let Some(trap) = e.downcast_ref::<wasmtime::Trap>() {
        return format!("wasm trap: {trap}");
    }
    let text = format!("{e:#}");
    let first = text.lines().next().unwrap_or("unknown failure");
    crate::capability::log::cut(first, 1024)
}
