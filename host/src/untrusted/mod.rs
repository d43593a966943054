//! The trust boundary: everything a module returns is checked here before the host uses it,
//! sizes before content, so nothing is parsed that is too large or too deep to parse safely.
//!
//! - frames become [`CheckedFrame`]s: `meta` and field `config` JSON are bounded in size and depth
//!   before they are parsed, then `quarry-frame` checks lengths, limits, JSON cells, enum indices
//!   and Grafana's strict JSON shapes;
//! - error, health and context texts are cut to [`MAX_TEXT_BYTES`];
//! - health details, publish data: bounded JSON;
//! - resource responses: a real HTTP status, headers that are valid HTTP headers within count and
//!   size caps, a bounded body.
//!
//! Large outputs are checked on a blocking thread ([`off_thread`]), so one module's huge answer
//! never stalls the async workers other datasources' calls run on.

mod descriptor;
#[cfg(test)]
mod properties;
mod resource;

pub(crate) use descriptor::descriptor_json;
pub(crate) use resource::resource_response;

use std::collections::BTreeMap;

use quarry_frame::{CheckedFrame, Column, Field, Frame, FrameLimits, json_depth};

use crate::bindings::wit_types;
use crate::capability::log::cut;
use crate::handler::HealthResult;
use crate::policy::limits::{MAX_JSON_BYTES, MAX_JSON_DEPTH, MAX_TEXT_BYTES};

/// Outputs larger than this (bytes, roughly) are checked on a blocking thread.
const OFF_THREAD_BYTES: usize = 256 << 10;

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
    #[error("{what} is {got} bytes of JSON, more than the {limit} allowed")]
    JsonTooLarge {
        what: String,
        got: usize,
        limit: usize,
    },
    #[error("{what} nests JSON {got} levels deep, more than the {limit} allowed")]
    JsonTooDeep {
        what: String,
        got: usize,
        limit: usize,
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
    #[error("resource response header {name:?}: {reason}")]
    ResourceHeader { name: String, reason: String },
    #[error("resource response: {0}")]
    ResourceSize(String),
    #[error("descriptor: {0}")]
    Descriptor(String),
}

/// Runs a check of an output of roughly `size` bytes: inline when small, on a blocking thread
/// when large.
pub(crate) async fn off_thread<T: Send + 'static>(
    size: usize,
    check: impl FnOnce() -> T + Send + 'static,
) -> T {
    if size <= OFF_THREAD_BYTES {
        return check();
    }
    match tokio::task::spawn_blocking(check).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Roughly how many bytes a module's frames take: what decides whether they are checked off
/// the async threads.
pub(crate) fn frames_size(frames: &[wit_types::Frame]) -> usize {
    frames
        .iter()
        .map(|f| {
            f.meta.as_ref().map_or(0, String::len)
                + f.fields
                    .iter()
                    .map(|field| {
                        field.config.as_ref().map_or(0, String::len) + column_size(&field.values)
                    })
                    .sum::<usize>()
        })
        .sum()
}

fn column_size(c: &wit_types::Column) -> usize {
    use wit_types::Column as W;
    match c {
        W::Time(v) | W::Int64(v) => v.len() * 8,
        W::Uint64(v) => v.len() * 8,
        W::Float64(v) => v.len() * 8,
        W::Int32(v) => v.len() * 4,
        W::Uint32(v) => v.len() * 4,
        W::Float32(v) => v.len() * 4,
        W::Int16(v) => v.len() * 2,
        W::Uint16(v) | W::Enum(v) => v.len() * 2,
        W::Int8(v) => v.len(),
        W::Uint8(v) => v.len(),
        W::Bool(v) => v.len(),
        W::String(v) | W::Json(v) => v.iter().map(|s| s.len() + 24).sum(),
    }
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
        .map(|f| frame(f, ref_id, limits))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(quarry_frame::check_frames(converted, limits)?)
}

fn frame(f: wit_types::Frame, ref_id: &str, limits: &FrameLimits) -> Result<Frame, UntrustedError> {
    if f.fields.len() > limits.max_fields() {
        return Err(quarry_frame::FrameError::TooManyFields {
            limit: limits.max_fields(),
            got: f.fields.len(),
        }
        .into());
    }
    let frame_name = cut(&f.name, 64);
    let meta = match f.meta {
        Some(text) => Some(parse_json(&frame_name, "meta", &text)?),
        None => None,
    };
    let mut fields = Vec::with_capacity(f.fields.len());
    for field in f.fields {
        if field.labels.len() > limits.max_labels() {
            return Err(quarry_frame::FrameError::TooManyLabels {
                field: cut(&field.name, 64),
                limit: limits.max_labels(),
                got: field.labels.len(),
            }
            .into());
        }
        let config = match &field.config {
            Some(text) => Some(parse_json(
                &frame_name,
                &format!("config of field {:?}", cut(&field.name, 64)),
                text,
            )?),
            None => None,
        };
        let mut labels = BTreeMap::new();
        for kv in field.labels {
            if labels.insert(kv.key.clone(), kv.value).is_some() {
                return Err(UntrustedError::DuplicateLabel {
                    frame: frame_name.clone(),
                    field: cut(&field.name, 64),
                    key: cut(&kv.key, 64),
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

/// Checks a JSON document's size and depth, then parses it.
pub(crate) fn bounded_json(what: &str, text: &str) -> Result<serde_json::Value, UntrustedError> {
    let limit = MAX_JSON_BYTES.value as usize;
    if text.len() > limit {
        return Err(UntrustedError::JsonTooLarge {
            what: what.to_string(),
            got: text.len(),
            limit,
        });
    }
    let depth = json_depth(text);
    let max_depth = MAX_JSON_DEPTH.value as usize;
    if depth > max_depth {
        return Err(UntrustedError::JsonTooDeep {
            what: what.to_string(),
            got: depth,
            limit: max_depth,
        });
    }
    serde_json::from_str(text).map_err(|e| UntrustedError::Json {
        frame: String::new(),
        what: what.to_string(),
        reason: e.to_string(),
    })
}

fn parse_json(frame: &str, what: &str, text: &str) -> Result<serde_json::Value, UntrustedError> {
    bounded_json(&format!("frame {frame:?} {what}"), text).map_err(|e| match e {
        UntrustedError::Json { reason, .. } => UntrustedError::Json {
            frame: frame.to_string(),
            what: what.to_string(),
            reason,
        },
        other => other,
    })
}

/// A module's error with its message and context cut to [`MAX_TEXT_BYTES`] in all.
pub(crate) fn module_error(mut e: wit_types::Error) -> wit_types::Error {
    let max = MAX_TEXT_BYTES.value as usize;
    e.message = cut(&e.message, max);
    let mut room = max.saturating_sub(e.message.len());
    let total = e.context.len();
    e.context.truncate(32);
    for c in &mut e.context {
        *c = cut(c, room);
        room = room.saturating_sub(c.len());
    }
    e.context.retain(|c| !c.is_empty());
    if total > 32 {
        e.context
            .push(format!("({} more context lines dropped)", total - 32));
    }
    e
}

/// A short text from a module (a stream path, a health message), cut to [`MAX_TEXT_BYTES`].
pub(crate) fn text(s: &str) -> String {
    cut(s, MAX_TEXT_BYTES.value as usize)
}

pub(crate) fn health(h: wit_types::Health) -> Result<HealthResult, UntrustedError> {
    if let Some(details) = &h.json_details {
        match bounded_json("health details", details)? {
            serde_json::Value::Object(_) => {}
            other => {
                return Err(UntrustedError::HealthDetails(format!(
                    "got {}",
                    json_kind(&other)
                )));
            }
        }
    }
    Ok(HealthResult {
        status: HealthResult::from_status(h.status),
        message: text(&h.message),
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

/// Data a module publishes to a channel: bounded JSON.
pub(crate) fn publish_data(json: &str) -> Result<(), UntrustedError> {
    bounded_json("publish data", json).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wit_frame(meta: Option<String>) -> wit_types::Frame {
        wit_types::Frame {
            name: "f".into(),
            meta,
            fields: vec![wit_types::Field {
                name: "v".into(),
                labels: vec![],
                config: None,
                values: wit_types::Column::Float64(vec![1.0]),
                validity: None,
            }],
        }
    }

    #[test]
    fn meta_is_bounded_before_it_is_parsed() {
        let big = format!(r#"{{"custom": "{}"}}"#, "x".repeat(2 << 20));
        let err = frames(vec![wit_frame(Some(big))], "A", &FrameLimits::default()).unwrap_err();
        assert!(matches!(err, UntrustedError::JsonTooLarge { .. }), "{err}");
        let deep = format!(r#"{{"custom": {}1{}}}"#, "[".repeat(100), "]".repeat(100));
        let err = frames(vec![wit_frame(Some(deep))], "A", &FrameLimits::default()).unwrap_err();
        assert!(
            matches!(err, UntrustedError::JsonTooDeep { got: 101, .. }),
            "{err}"
        );
        let ok = frames(
            vec![wit_frame(Some(r#"{"custom": {"a": 1}}"#.into()))],
            "A",
            &FrameLimits::default(),
        )
        .unwrap();
        assert_eq!(ok[0].ref_id, "A");
    }

    #[test]
    fn errors_are_cut() {
        let e = module_error(wit_types::Error {
            kind: wit_types::ErrorKind::Internal,
            message: "m".repeat(24 << 20),
            context: vec!["c".repeat(100); 1000],
        });
        let total: usize = e.message.len() + e.context.iter().map(String::len).sum::<usize>();
        assert!(total <= MAX_TEXT_BYTES.value as usize + 64, "{total}");
        assert!(
            e.context
                .last()
                .unwrap()
                .contains("more context lines dropped")
        );
    }

    #[test]
    fn health_details_must_be_a_bounded_object() {
        let h = |d: &str| wit_types::Health {
            status: wit_types::HealthStatus::Ok,
            message: "x".repeat(100_000),
            json_details: Some(d.to_string()),
        };
        assert!(health(h("[1]")).is_err());
        assert!(health(h(&"[".repeat(50))).is_err());
        let ok = health(h(r#"{"a": 1}"#)).unwrap();
        assert!(ok.message.len() <= MAX_TEXT_BYTES.value as usize);
    }
}
