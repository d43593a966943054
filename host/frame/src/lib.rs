//! Grafana data frames, owned by the host.
//!
//! Brief overview:
//! - [`Frame`], [`Field`], [`Column`]: the domain types a module's output is converted into
//!   (with builders: `Frame::new(name).with_field(Field::new(name, values))`).
//! - [`Frame::check`] validates a frame against [`FrameLimits`] and Grafana's strict JSON rules
//!   (meta, field config) and yields a [`CheckedFrame`]; only checked frames can be encoded.
//!   [`check_frames`] and [`check_response`] add the per-response limits.
//! - [`to_arrow()`]: the one Grafana Arrow IPC encoder (schema metadata `name`, `refId`, `meta`;
//!   field metadata `tstype`, `labels`, `config`).
//! - [`to_json()`]: Grafana's frame JSON (schema/data/include modes), for streaming and
//!   `format=JSON`; [`schema_signature`] tells a streamer when the schema changed.
//! - [`from_arrow()`]: decodes Arrow IPC files back into frames as Grafana would (tests, the CLI,
//!   the demo client).
//! - [`table`]: renders frames as plain-text tables.

mod builder;
mod check;
mod column;
pub mod from_arrow;
mod json_rules;
pub mod table;
#[cfg(test)]
mod test_frames;
pub mod to_arrow;
pub mod to_json;

pub use check::{CheckedFrame, FrameError, FrameLimits, check_frames, check_response};
pub use column::{Column, FieldType};
pub use from_arrow::from_arrow;
pub use json_rules::json_depth;
pub use to_arrow::to_arrow;
pub use to_json::{Include, SchemaSignature, schema_signature, to_json};

use std::collections::BTreeMap;

/// One Grafana data frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub name: String,
    /// The query this frame answers; the encoder writes it as schema metadata `refId`.
    pub ref_id: String,
    /// `FrameMeta` JSON object, if any.
    pub meta: Option<serde_json::Value>,
    pub fields: Vec<Field>,
}

/// One column of a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// `FieldConfig` JSON object, if any.
    pub config: Option<serde_json::Value>,
    pub values: Column,
    /// `Some` for a nullable field: one entry per row, `false` marks a null.
    pub validity: Option<Vec<bool>>,
}
