//! The one real handler: finds the datasource instance, calls its module, maps failures to
//! per-query errors, and records metrics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quarry_frame::to_json::{self, Include};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::tick_phase::Ticks;
use super::unwind;
use super::{
    DataQuery, DataResponse, ErrorSource, HealthResult, HealthStatus, PluginContext, QueryError,
    ResourceRequest, ResourceResponse, StreamDecision, Subscription,
};
use crate::bindings::wit_types::ErrorKind;
use crate::instance::{DatasourceInstance, InstanceError, InstanceManager};
use crate::metrics::Metrics;
use crate::oci::OciError;
use crate::runtime::{GuestError, ModuleError, Runtime};

/// Consecutive failed ticks after which a stream ends with an error (Grafana restarts it).
const MAX_FAILED_TICKS: u32 = 5;

/// Answers Grafana's calls by way of datasource instances and their modules.
#[derive(Debug)]
pub struct Dispatcher {
    pub(super) instances: InstanceManager,
    metrics: Metrics,
}

impl Dispatcher {
    pub fn new(runtime: Runtime) -> Self {
        Dispatcher {
            instances: InstanceManager::new(runtime),
            metrics: Metrics::default(),
        }
    }

    pub fn runtime(&self) -> &Runtime {
        self.instances.runtime()
    }

    fn record(
        &self,
        endpoint: &'static str,
        inst: Option<&DatasourceInstance>,
        start: Instant,
        failed: bool,
    ) {
        let module = inst.map_or("none", |i| i.module_name());
        self.metrics
            .record(endpoint, module, start.elapsed(), failed);
    }

    /// Answers every query concurrently; each gets its own response, errors included.
    pub async fn query_data(
        &self,
        ctx: &PluginContext,
        queries: Vec<DataQuery>,
    ) -> Vec<(String, DataResponse)> {
        let start = Instant::now();
        let inst = match self.instances.get(ctx).await {
            Ok(i) => i,
            Err(e) => {
                self.record("queryData", None, start, true);
                let err = instance_error(&e);
                return queries
                    .into_iter()
                    .map(|q| {
                        let resp = DataResponse {
                            frames: Vec::new(),
                            error: Some(err.clone()),
                        };
                        (q.ref_id, resp)
                    })
                    .collect();
            }
        };
        if queries.len() == 1 {
            // One query runs on the calling task: spawning it would only hand it to the same
            // worker after waking another to look for work. A panic is still this query's error.
            let q = queries.into_iter().next().expect("one query");
            let ref_id = q.ref_id.clone();
            let resp = match unwind::catch(run_query(&inst, q)).await {
                Ok(resp) => resp,
                Err(()) => {
                    tracing::error!("query task panicked");
                    panicked()
                }
            };
            self.record("queryData", Some(&inst), start, resp.error.is_some());
            return vec![(ref_id, resp)];
        }
        let mut tasks = JoinSet::new();
        let mut order = Vec::with_capacity(queries.len());
        for (i, q) in queries.into_iter().enumerate() {
            order.push(q.ref_id.clone());
            let inst = inst.clone();
            tasks.spawn(async move { (i, run_query(&inst, q).await) });
        }
        let mut results: Vec<Option<DataResponse>> = order.iter().map(|_| None).collect();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((i, resp)) => results[i] = Some(resp),
                Err(e) => tracing::error!(error = %e, "query task failed"),
            }
        }
        let mut failed = false;
        let out = order
            .into_iter()
            .zip(results)
            .map(|(ref_id, r)| {
                let r = r.unwrap_or_else(panicked);
                failed |= r.error.is_some();
                (ref_id, r)
            })
            .collect();
        self.record("queryData", Some(&inst), start, failed);
        out
    }

    pub async fn check_health(&self, ctx: &PluginContext) -> HealthResult {
        let start = Instant::now();
        let inst = match self.instances.get(ctx).await {
            Ok(i) => i,
            Err(e) => {
                self.record("checkHealth", None, start, true);
                return HealthResult::error(e.to_string());
            }
        };
        let mut result = match inst.guests().check_health().await {
            Ok(h) => h,
            Err(e) => HealthResult::error(e.to_string()),
        };
        let running = inst.module();
        let rejected = inst.rejected();
        if let Some(r) = rejected.as_ref().filter(|r| r.digest != running.sha256) {
            result.message = format!(
                "{} (warning: a new version of module {:?} could not be loaded and was refused; sha256:{} keeps serving: {})",
                result.message,
                inst.reference(),
                running.sha256,
                r.reason
            );
        }
        result.json_details = Some(health_details(
            result.json_details.take(),
            &inst,
            &running,
            rejected.as_ref(),
        ));
        self.record(
            "checkHealth",
            Some(&inst),
            start,
            result.status != HealthStatus::Ok,
        );
        result
    }

    pub async fn call_resource(
        &self,
        ctx: &PluginContext,
        req: ResourceRequest,
    ) -> ResourceResponse {
        let start = Instant::now();
        if super::host_resources::is_reserved(&req.path) {
            let resp = self.host_resource(ctx, &req).await;
            self.record("hostResource", None, start, resp.status >= 500);
            return resp;
        }
        let inst = match self.instances.get(ctx).await {
            Ok(i) => i,
            Err(e) => {
                self.record("callResource", None, start, true);
                let status = instance_error(&e).status;
                return ResourceResponse::json_error(status, &e.to_string());
            }
        };
        let resp = match inst.guests().call_resource(&req).await {
            Ok(r) => r,
            Err(e) => {
                let q = guest_error(&e);
                ResourceResponse::json_error(q.status, &q.message)
            }
        };
        self.record("callResource", Some(&inst), start, resp.status >= 500);
        resp
    }

    /// Validates a subscription with the module; the initial frame is returned as frame JSON.
    pub async fn subscribe_stream(
        &self,
        ctx: &PluginContext,
        path: &str,
        data: &[u8],
    ) -> Result<StreamDecision<Option<Vec<u8>>>, QueryError> {
        let start = Instant::now();
        let inst = self.instances.get(ctx).await.map_err(|e| {
            self.record("subscribeStream", None, start, true);
            instance_error(&e)
        })?;
        let r = inst.guests().subscribe_stream(path, data).await;
        self.record("subscribeStream", Some(&inst), start, r.is_err());
        Ok(match r.map_err(|e| guest_error(&e))? {
            StreamDecision::Ok(Subscription { initial, .. }) => {
                StreamDecision::Ok(initial.map(|f| to_json::to_json(&f, Include::All).into_bytes()))
            }
            StreamDecision::NotFound => StreamDecision::NotFound,
            StreamDecision::PermissionDenied => StreamDecision::PermissionDenied,
        })
    }

    pub async fn publish_stream(
        &self,
        ctx: &PluginContext,
        path: &str,
        data: &[u8],
    ) -> Result<StreamDecision<Option<String>>, QueryError> {
        let start = Instant::now();
        let inst = self.instances.get(ctx).await.map_err(|e| {
            self.record("publishStream", None, start, true);
            instance_error(&e)
        })?;
        let r = inst.guests().publish_stream(path, data).await;
        self.record("publishStream", Some(&inst), start, r.is_err());
        r.map_err(|e| guest_error(&e))
    }

    /// Starts a stream: the module confirms the path and interval, then a task calls its
    /// `stream-tick` every interval and sends each frame as frame JSON (schema on the first
    /// packet and whenever it changes, data only otherwise). The task stops when the receiver
    /// is dropped (Grafana cancelled the call).
    pub async fn run_stream(
        self: &Arc<Self>,
        ctx: &PluginContext,
        path: String,
        data: Vec<u8>,
    ) -> Result<mpsc::Receiver<Result<Vec<u8>, QueryError>>, QueryError> {
        let start = Instant::now();
        let inst = self.instances.get(ctx).await.map_err(|e| {
            self.record("runStream", None, start, true);
            instance_error(&e)
        })?;
        let interval = match inst
            .guests()
            .subscribe_stream(&path, &data)
            .await
            .map_err(|e| guest_error(&e))?
        {
            StreamDecision::Ok(sub) => Duration::from_millis(u64::from(sub.interval_ms)),
            StreamDecision::NotFound => {
                return Err(QueryError::new(
                    404,
                    ErrorSource::Plugin,
                    format!("no stream at path {path:?}"),
                ));
            }
            StreamDecision::PermissionDenied => {
                return Err(QueryError::new(
                    403,
                    ErrorSource::Plugin,
                    format!("stream {path:?} is not permitted"),
                ));
            }
        };
        let mut streamer = inst
            .guests()
            .streamer()
            .await
            .map_err(|e| guest_error(&e))?;
        let (tx, rx) = mpsc::channel(16);
        let this = self.clone();
        tokio::spawn(async move {
            let mut ticks = Ticks::new(interval);
            let mut last_schema = None;
            let mut failures = 0;
            tracing::debug!(path = %path, interval_ms = interval.as_millis() as u64, "stream started");
            loop {
                tokio::select! {
                    _ = tx.closed() => break,
                    _ = ticks.next() => {}
                }
                // A rollout moved the datasource: the stream follows at this tick.
                let serving = inst.guests();
                if !Arc::ptr_eq(&serving, &streamer.pool) {
                    streamer = match streamer.move_to(&serving).await {
                        Ok(moved) => {
                            tracing::info!(path = %path, sha256 = %serving.module().sha256, "stream moved to the module version now serving");
                            last_schema = None;
                            moved
                        }
                        Err((same, e)) => {
                            tracing::warn!(path = %path, error = %e, "stream stays on its module version for now");
                            same
                        }
                    };
                }
                let tick_start = Instant::now();
                match streamer.tick(&path, &data).await {
                    Ok(frames) => {
                        failures = 0;
                        this.record("runStreamTick", Some(&inst), tick_start, false);
                        for f in frames {
                            let schema = to_json::schema_signature(&f);
                            let include = if last_schema.as_ref() == Some(&schema) {
                                Include::DataOnly
                            } else {
                                Include::All
                            };
                            last_schema = Some(schema);
                            if tx
                                .send(Ok(to_json::to_json(&f, include).into_bytes()))
                                .await
                                .is_err()
                            {
                                break;
                            }
                        }
                    }
                    Err(e) => {
                        failures += 1;
                        this.record("runStreamTick", Some(&inst), tick_start, true);
                        tracing::warn!(path = %path, error = %e, "stream tick failed");
                        if failures >= MAX_FAILED_TICKS {
                            let _ = tx.send(Err(guest_error(&e))).await;
                            break;
                        }
                    }
                }
            }
            tracing::debug!(path = %path, "stream stopped");
        });
        Ok(rx)
    }

    pub fn metrics_text(&self) -> String {
        self.metrics.render(
            self.instances.active(),
            &self.instances.versions(),
            &self.instances.runtime().cache().stats(),
        )
    }
}

/// CheckHealth's details: the module's own, with the host's view of the module under `quarry`
/// (the reference, the version running and the last one refused).
fn health_details(
    module_details: Option<String>,
    inst: &DatasourceInstance,
    running: &crate::runtime::CompiledModule,
    rejected: Option<&crate::instance::Rejected>,
) -> String {
    let rfc3339 = |t| humantime::format_rfc3339_seconds(t).to_string();
    let quarry = serde_json::json!({
        "module": inst.reference(),
        "running": {
            "sha256": running.sha256,
            "manifestDigest": inst.manifest(),
            "contract": running.contract_name,
            "loadedAt": rfc3339(running.loaded_at),
            "since": rfc3339(inst.since()),
        },
        "rejected": rejected.map(|r| serde_json::json!({
            "sha256": r.digest,
            "manifestDigest": r.manifest,
            "reason": r.reason,
            "at": rfc3339(r.at),
        })),
    });
    let mut details = match module_details.map(|d| serde_json::from_str::<serde_json::Value>(&d)) {
        None => serde_json::Map::new(),
        Some(Ok(serde_json::Value::Object(map))) => map,
        Some(Ok(other)) => serde_json::Map::from_iter([("module".to_string(), other)]),
        Some(Err(_)) => serde_json::Map::new(),
    };
    details.insert("quarry".into(), quarry);
    serde_json::Value::Object(details).to_string()
}

/// The answer of a query whose task panicked in the host.
fn panicked() -> DataResponse {
    DataResponse {
        frames: Vec::new(),
        error: Some(QueryError::internal("the query task panicked in the host")),
    }
}

async fn run_query(inst: &DatasourceInstance, q: DataQuery) -> DataResponse {
    // Validate only: the module parses the model itself, so no value tree is built here.
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&q.json) {
        return DataResponse {
            frames: Vec::new(),
            error: Some(QueryError::bad_request(format!(
                "query {:?}: the query JSON is malformed: {e}",
                q.ref_id
            ))),
        };
    }
    match inst.guests().query(&q).await {
        Ok(frames) => DataResponse {
            frames,
            error: None,
        },
        Err(e) => DataResponse {
            frames: Vec::new(),
            error: Some(guest_error(&e)),
        },
    }
}

/// A failure to get the datasource instance, as a per-query error.
pub(crate) fn instance_error(e: &InstanceError) -> QueryError {
    let status = match e {
        InstanceError::NoDatasource
        | InstanceError::Settings { .. }
        | InstanceError::Reference { .. } => 400,
        InstanceError::Module { source, .. } => match source {
            ModuleError::InvalidName { .. } => 400,
            ModuleError::NotFound { .. } => 404,
            _ => 500,
        },
        InstanceError::Registry { source, .. } => match source {
            OciError::InvalidReference { .. } => 400,
            OciError::NotAllowed { .. } => 403,
            OciError::Unauthorized { .. } => 401,
            OciError::NotFound { .. } => 404,
            OciError::Unreachable { .. } | OciError::Registry { .. } => 502,
            OciError::Timeout { .. } => 504,
            _ => 500,
        },
        InstanceError::Create { source, .. } => guest_error(source).status,
    };
    let source = match e {
        InstanceError::Create { source, .. } => guest_error(source).source,
        InstanceError::Registry {
            source:
                OciError::Unauthorized { .. }
                | OciError::NotFound { .. }
                | OciError::Unreachable { .. }
                | OciError::Registry { .. }
                | OciError::Timeout { .. },
            ..
        } => ErrorSource::Downstream,
        _ => ErrorSource::Plugin,
    };
    QueryError::new(status, source, e.to_string())
}

/// A failed module call, with the status and source its kind implies.
pub(crate) fn guest_error(e: &GuestError) -> QueryError {
    let (status, source) = match e {
        GuestError::Module(m) => match m.kind {
            ErrorKind::BadRequest => (400, ErrorSource::Plugin),
            ErrorKind::NotFound => (404, ErrorSource::Downstream),
            ErrorKind::Unauthorized => (401, ErrorSource::Downstream),
            ErrorKind::Forbidden => (403, ErrorSource::Downstream),
            ErrorKind::Timeout => (504, ErrorSource::Downstream),
            ErrorKind::Downstream => (502, ErrorSource::Downstream),
            ErrorKind::NotImplemented => (501, ErrorSource::Plugin),
            ErrorKind::Internal => (500, ErrorSource::Plugin),
        },
        GuestError::Timeout { .. } => (504, ErrorSource::Plugin),
        GuestError::Busy(_) => (503, ErrorSource::Plugin),
        GuestError::DatasourceBusy { .. } | GuestError::TooManyStreams { .. } => {
            (429, ErrorSource::Plugin)
        }
        GuestError::Grant { .. } => (400, ErrorSource::Plugin),
        _ => (500, ErrorSource::Plugin),
    };
    QueryError::new(status, source, e.to_string())
}
