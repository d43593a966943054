//! Domain types ⇄ WIT records at the runtime boundary. Everything coming back from a module
//! goes through `crate::untrusted` before the host uses it.

use quarry_frame::CheckedFrame;

use super::guest::{GuestError, GuestPool, Slotted, Streamer};
use crate::bindings::wit_types;
use crate::handler::{
    DataQuery, DatasourceSettings, HealthResult, HealthStatus, ResourceRequest, ResourceResponse,
    StreamDecision, Subscription,
};
use crate::untrusted;

const NS_PER_MS: i64 = 1_000_000;

/// The settings a module's instance is created from; secure settings are added by the pool,
/// only as granted.
pub(super) fn settings(s: &DatasourceSettings) -> wit_types::InstanceSettings {
    wit_types::InstanceSettings {
        uid: s.uid.clone(),
        name: s.name.clone(),
        url: s.url.clone(),
        json_data: if s.json_data.trim().is_empty() {
            "{}".to_string()
        } else {
            s.json_data.clone()
        },
        secure_json_data: Vec::new(),
        updated_ms: s.updated_ms,
    }
}

fn query(q: &DataQuery) -> wit_types::DataQuery {
    wit_types::DataQuery {
        ref_id: q.ref_id.clone(),
        query_type: q.query_type.clone(),
        time_range: wit_types::TimeRange {
            from_ns: q.from_ms.saturating_mul(NS_PER_MS),
            to_ns: q.to_ms.saturating_mul(NS_PER_MS),
        },
        interval_ms: q.interval_ms,
        max_data_points: q.max_data_points,
        json: String::from_utf8_lossy(&q.json).into_owned(),
    }
}

impl GuestPool {
    fn invalid(&self, reason: impl std::fmt::Display) -> GuestError {
        GuestError::InvalidOutput {
            module: self.module().name().to_string(),
            reason: reason.to_string(),
        }
    }

    /// Runs one query and checks every frame the module returned (large answers on a
    /// blocking thread).
    pub async fn query(&self, q: &DataQuery) -> Result<Vec<CheckedFrame>, GuestError> {
        let frames = self.wit_query(&query(q)).await?;
        self.check_frames(frames, &q.ref_id).await
    }

    async fn check_frames(
        &self,
        frames: Vec<wit_types::Frame>,
        ref_id: &str,
    ) -> Result<Vec<CheckedFrame>, GuestError> {
        let limits = self.limits().frames.clone();
        let ref_id = ref_id.to_string();
        untrusted::off_thread(untrusted::frames_size(&frames), move || {
            untrusted::frames(frames, &ref_id, &limits)
        })
        .await
        .map_err(|e| self.invalid(e))
    }

    pub async fn check_health(&self) -> Result<HealthResult, GuestError> {
        self.health(Slotted::Datasource).await
    }

    /// The health check of a rollout's candidate, which takes no slot of the datasource.
    pub(crate) async fn check_health_on_trial(&self) -> Result<HealthResult, GuestError> {
        self.health(Slotted::HostOnly).await
    }

    async fn health(&self, slotted: Slotted) -> Result<HealthResult, GuestError> {
        let h = self.wit_check_health(slotted).await?;
        untrusted::health(h).map_err(|e| self.invalid(e))
    }

    pub async fn call_resource(
        &self,
        req: &ResourceRequest,
    ) -> Result<ResourceResponse, GuestError> {
        let wit_req = wit_types::ResourceRequest {
            method: req.method.clone(),
            path: req.path.clone(),
            url: req.url.clone(),
            headers: req.headers.clone(),
            body: req.body.clone(),
        };
        let r = self.wit_call_resource(&wit_req).await?;
        untrusted::off_thread(r.body.len(), move || untrusted::resource_response(r))
            .await
            .map_err(|e| self.invalid(e))
    }

    pub async fn subscribe_stream(
        &self,
        path: &str,
        data: &[u8],
    ) -> Result<StreamDecision<Subscription>, GuestError> {
        let req = wit_types::SubscribeRequest {
            path: path.to_string(),
            data: String::from_utf8_lossy(data).into_owned(),
        };
        Ok(match self.wit_subscribe_stream(&req).await? {
            wit_types::SubscribeResponse::Ok(sub) => {
                let initial = match sub.initial {
                    Some(f) => Some(self.check_frames(vec![f], "").await?.remove(0)),
                    None => None,
                };
                StreamDecision::Ok(Subscription {
                    interval_ms: sub.interval_ms.max(10),
                    initial,
                })
            }
            wit_types::SubscribeResponse::NotFound => StreamDecision::NotFound,
            wit_types::SubscribeResponse::PermissionDenied => StreamDecision::PermissionDenied,
        })
    }

    pub async fn publish_stream(
        &self,
        path: &str,
        data: &[u8],
    ) -> Result<StreamDecision<Option<String>>, GuestError> {
        let data = String::from_utf8_lossy(data);
        Ok(match self.wit_publish_stream(path, &data).await? {
            wit_types::PublishResponse::Ok(out) => {
                if let Some(json) = &out {
                    untrusted::publish_data(json).map_err(|e| self.invalid(e))?;
                }
                StreamDecision::Ok(out)
            }
            wit_types::PublishResponse::NotFound => StreamDecision::NotFound,
            wit_types::PublishResponse::PermissionDenied => StreamDecision::PermissionDenied,
        })
    }
}

impl Streamer {
    /// One tick of the stream: the frames to publish, checked.
    pub async fn tick(&mut self, path: &str, data: &[u8]) -> Result<Vec<CheckedFrame>, GuestError> {
        let data = String::from_utf8_lossy(data).into_owned();
        let frames = self.wit_tick(path, &data).await?;
        let pool = self.pool.clone();
        pool.check_frames(frames, "").await
    }
}

impl HealthResult {
    pub(crate) fn from_status(status: wit_types::HealthStatus) -> HealthStatus {
        match status {
            wit_types::HealthStatus::Ok => HealthStatus::Ok,
            wit_types::HealthStatus::Error => HealthStatus::Error,
            wit_types::HealthStatus::Unknown => HealthStatus::Unknown,
        }
    }
}
