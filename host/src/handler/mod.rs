//! Grafana's capabilities as domain types, free of protobuf and wasmtime.
//!
//! `grpc/convert.rs` builds these from pluginv2 messages; [`Dispatcher`] answers them by
//! finding the datasource's live instance and calling its module.

mod dispatch;
mod error;
mod host_resources;
mod tick_phase;
mod unwind;

pub use dispatch::Dispatcher;
pub use error::{ErrorSource, QueryError};
pub use host_resources::RESERVED_PREFIX;

use std::collections::BTreeMap;
use std::fmt;

use quarry_frame::CheckedFrame;

/// Who is asking, and for which datasource.
#[derive(Clone, Default)]
pub struct PluginContext {
    pub org_id: i64,
    pub plugin_id: String,
    pub datasource: Option<DatasourceSettings>,
    /// Per-request Grafana configuration (`GF_*` keys); a change recreates the instance.
    pub grafana_config: BTreeMap<String, String>,
    /// The calling user's org role (`Admin`, `Editor`, `Viewer`), empty when Grafana sent none.
    pub user_role: String,
}

impl fmt::Debug for PluginContext {
    // Grafana config values can be secrets (service-account token, proxy client key): keys only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginContext")
            .field("org_id", &self.org_id)
            .field("plugin_id", &self.plugin_id)
            .field("datasource", &self.datasource)
            .field(
                "grafana_config_keys",
                &self.grafana_config.keys().collect::<Vec<_>>(),
            )
            .field("user_role", &self.user_role)
            .finish()
    }
}

/// A datasource's instance settings as Grafana sent them.
#[derive(Clone, Default)]
pub struct DatasourceSettings {
    pub id: i64,
    pub uid: String,
    pub name: String,
    pub url: String,
    /// Raw `jsonData` JSON (`{}` when Grafana sent none).
    pub json_data: String,
    pub secure_json_data: BTreeMap<String, String>,
    pub updated_ms: i64,
}

impl fmt::Debug for DatasourceSettings {
    // Secrets never reach a log line: only their key names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatasourceSettings")
            .field("id", &self.id)
            .field("uid", &self.uid)
            .field("name", &self.name)
            .field("url", &self.url)
            .field("json_data", &self.json_data)
            .field(
                "secure_json_data_keys",
                &self.secure_json_data.keys().collect::<Vec<_>>(),
            )
            .field("updated_ms", &self.updated_ms)
            .finish()
    }
}

/// One query of a QueryData request.
#[derive(Debug, Clone, Default)]
pub struct DataQuery {
    pub ref_id: String,
    pub query_type: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub interval_ms: i64,
    pub max_data_points: i64,
    /// The panel's query model JSON.
    pub json: Vec<u8>,
}

/// The answer to one query: frames, or an error (frames may still accompany it).
#[derive(Debug, Default)]
pub struct DataResponse {
    pub frames: Vec<CheckedFrame>,
    pub error: Option<QueryError>,
}

/// How frames are encoded in a DataResponse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FrameFormat {
    #[default]
    Arrow,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthStatus {
    Unknown,
    Ok,
    Error,
}

#[derive(Debug, Clone)]
pub struct HealthResult {
    pub status: HealthStatus,
    pub message: String,
    /// JSON object text, if any.
    pub json_details: Option<String>,
}

impl HealthResult {
    pub fn error(message: impl Into<String>) -> Self {
        HealthResult {
            status: HealthStatus::Error,
            message: message.into(),
            json_details: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ResourceRequest {
    pub method: String,
    pub path: String,
    pub url: String,
    pub headers: Vec<(String, Vec<String>)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct ResourceResponse {
    pub status: u16,
    pub headers: Vec<(String, Vec<String>)>,
    pub body: Vec<u8>,
}

impl ResourceResponse {
    /// A JSON error body with the given status, for failures the module never saw.
    pub fn json_error(status: u16, message: &str) -> Self {
        ResourceResponse {
            status,
            headers: vec![(
                "Content-Type".to_string(),
                vec!["application/json".to_string()],
            )],
            body: serde_json::json!({ "error": message })
                .to_string()
                .into_bytes(),
        }
    }
}

/// The outcome of SubscribeStream / PublishStream.
#[derive(Debug)]
pub enum StreamDecision<T> {
    Ok(T),
    NotFound,
    PermissionDenied,
}

/// What an accepted subscription carries.
#[derive(Debug)]
pub struct Subscription {
    pub interval_ms: u32,
    /// Initial frame for the subscriber (sent as frame JSON with schema).
    pub initial: Option<CheckedFrame>,
}
