//! The trust boundary: everything a module returns is checked here before the host uses it.
//!
//! Frames become [`CheckedFrame`]s (equal lengths, limits, Grafana's strict meta/config JSON);
//! health details and resource responses are validated the way Grafana would reject them.

use std::collections::BTreeMap;

use quarry_frame::{CheckedFrame, Column, Field, Frame, FrameLimits};

use crate::bindings::wit_types;
use crate::handler::{HealthResult, ResourceResponse};

/// Why a module's output was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UntrustedError {
    #[error(transparent)]
    Frame(#[from] quarry_frame::FrameError),
    #[error("frame {frame:?}: {what} is not valid JSON: {reason}")]
    Json {
        frame: String,
        what: String,
        reason: String,
    },
    #[error("frame {frame:?}, field {field:?}: label {key:?} appears twice")]
    DuplicateLabel {
        frame: String,
        field: String,
        key: String,
    },
    #[error("health details must be a JSON object: {0}")]
    HealthDetails(String),
    #[error("resource response status {0} is not an HTTP status (100-599)")]
    ResourceStatus(u16),
}

/// Converts and checks the frames of one answer; `ref_id` is stamped on every frame.
pub(crate) fn frames(
    frames: Vec<wit_types::Frame>,
    ref_id: &str,
    limits: &FrameLimits,
) -> Result<Vec<CheckedFrame>, UntrustedError> {
    if frames.len() > limits.max_frames() {
        return Err(quarry_frame::FrameError::TooManyFrames {
            limit: limits.max_frames(),
            got: frames.len(),
        }
        .into());
    }
    let converted = frames
        .into_iter()
        .map(|f| frame(f, ref_id))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(quarry_frame::check_frames(converted, limits)?)
}

fn frame(f: wit_types::Frame, ref_id: &str) -> Result<Frame, UntrustedError> {
    let meta = match f.meta {
        Some(text) => Some(parse_json(&f.name, "meta", &text)?),
        None => None,
    };
    let mut fields = Vec::with_capacity(f.fields.len());
    for field in f.fields {
        let config = match &field.config {
            Some(text) => Some(parse_json(
                &f.name,
                &format!("config of field {:?}", field.name),
                text,
            )?),
            None => None,
        };
        let mut labels = BTreeMap::new();
        for kv in field.labels {
            if labels.insert(kv.key.clone(), kv.value).is_some() {
                return Err(UntrustedError::DuplicateLabel {
                    frame: f.name.clone(),
                    field: field.name.clone(),
                    key: kv.key,
                });
            }
        }
        fields.push(Field {
            name: field.name,
            labels,
            config,
            values: column(field.values),
            validity: field.validity,
        });
    }
    Ok(Frame {
        name: f.name,
        ref_id: ref_id.to_string(),
        meta,
        fields,
    })
}

/// Moves each typed list across without copying its values again.
fn column(c: wit_types::Column) -> Column {
    use wit_types::Column as W;
    match c {
        W::Time(v) => Column::Time(v),
        W::Int8(v) => Column::Int8(v),
        W::Int16(v) => Column::Int16(v),
        W::Int32(v) => Column::Int32(v),
        W::Int64(v) => Column::Int64(v),
        W::Uint8(v) => Column::UInt8(v),
        W::Uint16(v) => Column::UInt16(v),
        W::Uint32(v) => Column::UInt32(v),
        W::Uint64(v) => Column::UInt64(v),
        W::Float32(v) => Column::Float32(v),
        W::Float64(v) => Column::Float64(v),
        W::Bool(v) => Column::Bool(v),
        W::String(v) => Column::String(v),
        W::Json(v) => Column::Json(v),
        W::Enum(v) => Column::Enum(v),
    }
}

fn parse_json(frame: &str, what: &str, text: &str) -> Result<serde_json::Value, UntrustedError> {
    serde_json::from_str(text).map_err(|e| UntrustedError::Json {
        frame: frame.to_string(),
        what: what.to_string(),
        reason: e.to_string(),
    })
}

pub(crate) fn health(h: wit_types::Health) -> Result<HealthResult, UntrustedError> {
    if let Some(details) = &h.json_details {
        match serde_json::from_str::<serde_json::Value>(details) {
            Ok(serde_json::Value::Object(_)) => {}
            Ok(other) => {
                return Err(UntrustedError::HealthDetails(format!(
                    "got {}",
                    json_kind(&other)
                )));
            }
            Err(e) => return Err(UntrustedError::HealthDetails(e.to_string())),
        }
    }
    Ok(HealthResult {
        status: HealthResult::from_status(h.status),
        message: h.message,
        json_details: h.json_details,
    })
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

pub(crate) fn resource_response(
    r: wit_types::ResourceResponse,
) -> Result<ResourceResponse, UntrustedError> {
    if !(100..600).contains(&r.status) {
        return Err(UntrustedError::ResourceStatus(r.status));
    }
    Ok(ResourceResponse {
        status: r.status,
        headers: r.headers,
        body: r.body,
    })
}
