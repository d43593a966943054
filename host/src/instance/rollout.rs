//! Health-gated rollout, off the request path: a background task looks at every source in use
//! each poll interval; a new version is compiled, instantiated with each affected datasource's
//! settings and health-checked next to the version serving it, and only when every datasource
//! accepts it do they all move to it. Calls in flight finish on the version they started on;
//! streams move at their next tick. A version that fails any step is refused for good.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::source::{Change, Source, Version};
use super::{DatasourceInstance, Inner};
use crate::handler::{HealthResult, HealthStatus};
use crate::oci::OciClient;
use crate::runtime::{GuestError, GuestPool, Runtime};

/// Why a rollback did not happen.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RollbackError {
    #[error("module {reference:?} has no previous version to roll back to in this process")]
    NoPrevious { reference: String },
    #[error("rolling module {reference:?} back failed for datasource {uid:?}: {reason}")]
    Instantiate {
        reference: String,
        uid: String,
        reason: String,
    },
}

/// The background task: ends when the instance manager is dropped.
pub(super) async fn watch(inner: Weak<Inner>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        for source in inner.sources.all() {
            // A source still compiling its last candidate is skipped, not queued behind.
            let Ok(checking) = source.checking.clone().try_lock_owned() else {
                continue;
            };
            let runtime = inner.runtime.clone();
            let oci = inner.oci().clone();
            tokio::spawn(async move {
                let _checking = checking;
                look(&runtime, &oci, &source).await;
            });
        }
        inner.dispose_idle(inner.runtime.limits().idle_instance_ttl);
    }
}

/// One look at a source's origin, and a rollout if it has a new version.
async fn look(runtime: &Runtime, oci: &OciClient, source: &Arc<Source>) {
    match source.check(runtime, oci).await {
        Change::None => {}
        Change::Refused(r) => tracing::error!(
            module = %source.reference,
            sha256 = %r.digest,
            reason = %r.reason,
            "new module version refused; the previous version keeps serving"
        ),
        Change::Candidate(v) => roll_out(runtime, oci, source, v).await,
    }
}

/// Tries `candidate` with every datasource on `source`; moves them all, or none.
async fn roll_out(runtime: &Runtime, oci: &OciClient, source: &Arc<Source>, candidate: Version) {
    let _rollout = source.rollout.lock().await;
    let users = source.users();
    let mut ready = Vec::with_capacity(users.len());
    for inst in &users {
        match try_version(runtime, inst, &candidate).await {
            Ok(pool) => ready.push(pool),
            Err(reason) => {
                let r = source.refuse_version(
                    &candidate,
                    format!(
                        "version sha256:{}{} was refused: datasource {:?}: {reason}",
                        candidate.digest(),
                        candidate
                            .manifest
                            .as_ref()
                            .map(|m| format!(" (manifest {m})"))
                            .unwrap_or_default(),
                        inst.settings.uid
                    ),
                );
                tracing::error!(
                    module = %source.reference,
                    sha256 = %r.digest,
                    reason = %r.reason,
                    "new module version failed its rollout; the previous version keeps serving"
                );
                return;
            }
        }
    }
    for (inst, pool) in users.iter().zip(ready) {
        inst.serve(pool, candidate.manifest.clone());
    }
    tracing::info!(
        module = %source.reference,
        sha256 = %candidate.digest(),
        datasources = users.len(),
        "new module version rolled out"
    );
    source.accept_from(candidate, oci);
}

/// Instantiates `candidate` with `inst`'s settings and health-checks it next to the version
/// serving `inst`: a version may fail a health check the current one fails too (the upstream
/// is down), but not one the current version passes.
async fn try_version(
    runtime: &Runtime,
    inst: &DatasourceInstance,
    candidate: &Version,
) -> Result<Arc<GuestPool>, String> {
    let pool = runtime
        .instantiate(
            candidate.module.clone(),
            &inst.settings,
            &inst.policy,
            inst.guests().datasource_slots().clone(),
        )
        .await
        .map_err(|e| format!("creating the module instance failed: {e}"))?;
    let serving = inst.guests();
    let (new, old) = tokio::join!(pool.check_health_on_trial(), serving.check_health());
    let (new, old) = (or_error(new), or_error(old));
    if new.status != HealthStatus::Ok && old.status == HealthStatus::Ok {
        return Err(format!(
            "its health check failed where the running version's passes: {}",
            new.message
        ));
    }
    Ok(pool)
}

/// A health check that could not run counts as a failed one.
fn or_error(r: Result<HealthResult, GuestError>) -> HealthResult {
    r.unwrap_or_else(|e| HealthResult::error(e.to_string()))
}

/// Moves every datasource on `source` back to its previous version.
pub(super) async fn roll_back(
    runtime: &Runtime,
    oci: &OciClient,
    source: &Arc<Source>,
) -> Result<(Version, Version), RollbackError> {
    let _rollout = source.rollout.lock().await;
    let Some(previous) = source.previous() else {
        return Err(RollbackError::NoPrevious {
            reference: source.reference.clone(),
        });
    };
    let users = source.users();
    let mut ready = Vec::with_capacity(users.len());
    for inst in &users {
        let pool = runtime
            .instantiate(
                previous.module.clone(),
                &inst.settings,
                &inst.policy,
                inst.guests().datasource_slots().clone(),
            )
            .await
            .map_err(|e| RollbackError::Instantiate {
                reference: source.reference.clone(),
                uid: inst.settings.uid.clone(),
                reason: e.to_string(),
            })?;
        ready.push(pool);
    }
    let Some(swapped) = source.roll_back() else {
        return Err(RollbackError::NoPrevious {
            reference: source.reference.clone(),
        });
    };
    for (inst, pool) in users.iter().zip(ready) {
        inst.serve(pool, swapped.1.manifest.clone());
    }
    source.remember(&swapped.1, oci);
    tracing::warn!(
        module = %source.reference,
        from = %swapped.0.digest(),
        to = %swapped.1.digest(),
        "module rolled back by an operator"
    );
    Ok(swapped)
}
