//! Write Quarry query modules: Grafana datasources that run as WebAssembly components inside the
//! Quarry host.
//!
//! # Brief overview
//!
//! A module is a type implementing [`Datasource`], exported with [`export!`]. The host creates
//! one value per Grafana datasource instance with [`Datasource::new`] and calls its methods:
//!
//! - [`InstanceSettings`] carries the datasource's settings; [`InstanceSettings::json_data`]
//!   parses `jsonData` into the module's own type.
//! - [`DataQuery`] is one panel query; [`DataQuery::model`] parses its JSON, [`TimeRange`] is
//!   the dashboard's time range.
//! - [`Frame`] and [`Field`] build the answer, with [`FrameMeta`] and [`FieldConfig`] for
//!   Grafana's metadata. A field holds a `Vec` of any [`FieldType`] (`Vec<Option<_>>` for a
//!   nullable field): [`Time`], the integer and float types, `bool`, strings,
//!   [`serde_json::Value`] and [`EnumIndex`]. [`RowFrame`] builds a frame row by row from typed
//!   tuples; [`Frame::validate`] runs the host's checks in a native unit test.
//! - [`Time`] parses what APIs send: [`Time::parse_rfc3339`], [`Time::parse_epoch`] and
//!   [`Time::from_epoch`] in seconds, milliseconds, microseconds or nanoseconds ([`EpochUnit`]).
//! - [`Error`] says what went wrong with an [`ErrorKind`] the host maps to Grafana's status and
//!   error source; [`Context`] adds context lines to any `Result`.
//! - [`Health`], [`ResourceRequest`]/[`ResourceResponse`], [`SubscribeResponse`] and
//!   [`PublishResponse`] answer the other Grafana calls; [`log`] logs through the host.
//!   [`ResourceRequest`] has path segments and decoded query parameters
//!   ([`ResourceRequest::query_param`]); a [`Router`] dispatches on method and path patterns
//!   with `{param}` captures.
//! - [`http`] makes HTTP requests to the datasource's allowed hosts, through the host, and
//!   decodes gzip/deflate responses; [`http::testing`] answers them in native unit tests.
//! - Streams: [`Datasource::subscribe_stream`] answers a [`Subscription`] whose interval the host
//!   raises to at least 10 ms.
//! - [`SecretGrant`] declares, in [`Datasource::secure_settings`], which secure settings the
//!   module wants and how: attached to its HTTP requests by the host (the module never sees them)
//!   or passed to it in [`InstanceSettings::secure`].
//!
//! # Example
//!
//! A complete module (its crate is a `cdylib` built for `wasm32-wasip2`):
//!
//! ```
//! use quarry_guest::{
//!     Column, DataQuery, Datasource, Error, Field, FieldConfig, Frame, Health, InstanceSettings,
//!     TimeRange,
//! };
//!
//! #[derive(serde::Deserialize)]
//! #[serde(rename_all = "camelCase")]
//! struct Settings {
//!     #[serde(default)]
//!     unit: Option<String>,
//! }
//!
//! #[derive(serde::Deserialize)]
//! struct Model {
//!     #[serde(default = "default_value")]
//!     value: f64,
//! }
//!
//! fn default_value() -> f64 {
//!     1.0
//! }
//!
//! struct Constant {
//!     unit: Option<String>,
//! }
//!
//! impl Datasource for Constant {
//!     fn new(settings: InstanceSettings) -> Result<Self, Error> {
//!         let settings: Settings = settings.json_data()?;
//!         Ok(Self { unit: settings.unit })
//!     }
//!
//!     fn query(&self, query: DataQuery) -> Result<Vec<Frame>, Error> {
//!         let model: Model = query.model()?;
//!         let range = query.time_range;
//!         quarry_guest::log::debug("constant query", &[("refId", &query.ref_id)]);
//!         Ok(vec![
//!             Frame::new("constant")
//!                 .with_field(Field::new("time", vec![range.from(), range.to()]))
//!                 .with_field(
//!                     Field::new("value", vec![model.value; 2])
//!                         .with_labels([("source", "constant")])
//!                         .with_config(FieldConfig {
//!                             unit: self.unit.clone(),
//!                             ..Default::default()
//!                         }),
//!                 ),
//!         ])
//!     }
//!
//!     fn check_health(&self) -> Health {
//!         Health::ok("constant module ready")
//!     }
//! }
//!
//! quarry_guest::export!(Constant);
//!
//! // Off wasm the export only checks the type, so the datasource is unit tested natively.
//! # fn main() -> Result<(), Error> {
//! let constant = Constant::new(InstanceSettings {
//!     raw_json_data: r#"{"unit": "ms"}"#.into(),
//!     ..Default::default()
//! })?;
//! let frames = constant.query(DataQuery {
//!     json: r#"{"value": 4.5}"#.into(),
//!     time_range: TimeRange::from_millis(0, 1_000),
//!     ..Default::default()
//! })?;
//! let time = frames[0].field("time").unwrap();
//! assert_eq!(time.values(), &Column::Time(vec![0, 1_000_000_000]));
//! assert_eq!(frames[0].field("value").unwrap().values(), &Column::Float64(vec![4.5, 4.5]));
//! # Ok(())
//! # }
//! ```
//!
//! The module's `Cargo.toml`:
//!
//! ```toml
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! quarry-guest = { path = "../../guest-sdk" }
//! serde = { version = "1", features = ["derive"] }
//!
//! # Half the size of a plain release build, or less.
//! [profile.release]
//! opt-level = "s"
//! lto = true
//! codegen-units = 1
//! strip = true
//! panic = "abort"
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2 --release`, or let `quarry new` write the
//! project and `quarry dev` build, install and try it on every save (see the README).

#[doc(hidden)]
pub mod bindings;
mod convert;
mod datasource;
mod descriptor;
mod error;
mod frame;
pub mod http;
pub mod log;
mod query;
mod resource;
mod router;
mod secret;
mod settings;
mod time;
mod wrapper;

pub use bindings::quarry::datasource::types::{
    Column, PublishResponse, ResourceRequest, ResourceResponse, SubscribeRequest,
};
pub use datasource::{Datasource, Health, HealthStatus, SubscribeResponse, Subscription};
pub use descriptor::{Descriptor, EnumOption, Kind, QueryField, Setting};
pub use error::{Context, Error, ErrorKind};
pub use frame::{
    EnumIndex, Field, FieldConfig, FieldType, Frame, FrameMeta, FrameType, IntoValues, Notice, Row,
    RowFrame, Severity, Time,
};
pub use query::{DataQuery, TimeRange};
pub use router::{Params, Router};
pub use secret::{SecretGrant, SecretUse};
pub use settings::InstanceSettings;
pub use time::EpochUnit;

/// What [`export!`] expands to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::wrapper::InstanceImpl;
}

/// Exports a [`Datasource`] implementation as the module's `datasource` interface.
///
/// Invoke it once, in the module crate, with the implementing type:
///
/// ```
/// # use quarry_guest::{DataQuery, Datasource, Error, Frame, InstanceSettings};
/// struct Empty;
///
/// impl Datasource for Empty {
///     fn new(_: InstanceSettings) -> Result<Self, Error> {
///         Ok(Empty)
///     }
///
///     fn query(&self, _: DataQuery) -> Result<Vec<Frame>, Error> {
///         Ok(Vec::new())
///     }
/// }
///
/// quarry_guest::export!(Empty);
/// ```
///
/// On `wasm32` it generates the component's exported functions; elsewhere it only checks that
/// the type implements [`Datasource`], so the module's crate builds and tests natively.
#[macro_export]
macro_rules! export {
    ($datasource:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type QuarryGuestExports = $crate::__private::InstanceImpl<$datasource>;
            $crate::bindings::__export_module!(
                QuarryGuestExports with_types_in $crate::bindings
            );
        };
        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            const fn assert_datasource<T: $crate::Datasource>() {}
            assert_datasource::<$datasource>();
        };
    };
}
