//! The [`Datasource`] trait a module implements, and the answers its methods give.

use std::time::Duration;

use serde_json::Value;

use crate::{
    DataQuery, Descriptor, Error, Frame, InstanceSettings, PublishResponse, ResourceRequest,
    ResourceResponse, SecretGrant, SubscribeRequest,
};

/// A Quarry query module: one value per Grafana datasource instance.
///
/// Only [`new`](Self::new) and [`query`](Self::query) are required; the other methods answer
/// that the capability is missing. Methods take `&self` because the host may call them in any
/// order on the same instance: keep mutable state in a `Cell` or `RefCell` (a module is single
/// threaded). Export the implementation with [`export!`](crate::export).
pub trait Datasource: Sized + 'static {
    /// The secure settings (keys of the datasource's `secureJsonData`) this module wants, and how
    /// it uses each; the host asks once, before the first [`new`](Self::new).
    ///
    /// Secrets a module does not declare never reach it, nor its HTTP requests:
    ///
    /// - [`SecretGrant::read`] passes the value in [`InstanceSettings::secure`].
    /// - [`SecretGrant::bearer_token`] and [`SecretGrant::header`] make the *host* attach the
    ///   credential to the module's HTTP requests ([`http`](crate::http)) to the datasource's
    ///   allowed hosts, so the module never holds the secret. This is the recommended way: a
    ///   module that never has the secret cannot leak it.
    ///
    /// ```
    /// # use quarry_guest::{DataQuery, Datasource, Error, Frame, InstanceSettings, SecretGrant};
    /// struct Api;
    ///
    /// impl Datasource for Api {
    ///     fn secure_settings() -> Vec<SecretGrant> {
    ///         vec![SecretGrant::bearer_token("apiKey")]
    ///     }
    ///
    ///     fn new(settings: InstanceSettings) -> Result<Self, Error> {
    ///         // The key is sent with every request to the allowed hosts, yet never seen here.
    ///         assert_eq!(settings.secure("apiKey"), None);
    ///         Ok(Api)
    ///     }
    ///
    ///     fn query(&self, _: DataQuery) -> Result<Vec<Frame>, Error> {
    ///         Ok(Vec::new())
    ///     }
    /// }
    /// # Api::new(InstanceSettings::default()).unwrap();
    /// ```
    ///
    /// # Default
    ///
    /// No secrets at all.
    fn secure_settings() -> Vec<SecretGrant> {
        Vec::new()
    }

    /// What Grafana's editors show for this module: its settings, query model, streams and
    /// variable/annotation support (see [`Descriptor`]). Called without an instance, so it must
    /// not depend on settings.
    ///
    /// # Default
    ///
    /// An empty descriptor: editors fall back to raw JSON.
    fn describe() -> Descriptor {
        Descriptor::default()
    }

    /// Builds the instance from the datasource's settings.
    ///
    /// # Errors
    ///
    /// An error fails every later health check and query of this datasource with its message,
    /// until Grafana sends new settings.
    fn new(settings: InstanceSettings) -> Result<Self, Error>;

    /// Answers one query with frames.
    ///
    /// # Errors
    ///
    /// The query's error, shown on the panel; other queries of the same request are unaffected.
    fn query(&self, query: DataQuery) -> Result<Vec<Frame>, Error>;

    /// Answers Grafana's "Save & test".
    ///
    /// # Default
    ///
    /// [`Health::ok`] with message `OK`.
    fn check_health(&self) -> Health {
        Health::ok("OK")
    }

    /// Answers a call to `/api/datasources/uid/<uid>/resources/<path>`.
    ///
    /// # Default
    ///
    /// A not-implemented error.
    ///
    /// # Errors
    ///
    /// An error the host turns into an HTTP error status.
    fn call_resource(&self, request: ResourceRequest) -> Result<ResourceResponse, Error> {
        Err(Error::not_implemented(format!(
            "this module has no resources (asked for {} {})",
            request.method, request.path
        )))
    }

    /// Decides whether a Grafana Live client may subscribe to `ds/<uid>/<path>`.
    ///
    /// # Default
    ///
    /// [`SubscribeResponse::NotFound`].
    ///
    /// # Errors
    ///
    /// An error refuses the subscription.
    fn subscribe_stream(&self, request: SubscribeRequest) -> Result<SubscribeResponse, Error> {
        let _ = request;
        Ok(SubscribeResponse::NotFound)
    }

    /// Produces the frames of one tick of an accepted subscription; the host calls it every
    /// [`Subscription::interval`].
    ///
    /// # Default
    ///
    /// A not-implemented error.
    ///
    /// # Errors
    ///
    /// An error skips this tick.
    fn stream_tick(&self, path: &str, data: &str) -> Result<Vec<Frame>, Error> {
        let _ = data;
        Err(Error::not_implemented(format!(
            "this module does not stream (asked for {path})"
        )))
    }

    /// Decides whether a client may publish `data` to `ds/<uid>/<path>`.
    ///
    /// # Default
    ///
    /// [`PublishResponse::PermissionDenied`].
    ///
    /// # Errors
    ///
    /// An error refuses the publication.
    fn publish_stream(&self, path: &str, data: &str) -> Result<PublishResponse, Error> {
        let _ = (path, data);
        Ok(PublishResponse::PermissionDenied)
    }
}

/// The answer to Grafana's "Save & test".
#[derive(Clone, Debug, PartialEq)]
pub struct Health {
    /// Whether the datasource works.
    pub status: HealthStatus,
    /// What Grafana shows the user.
    pub message: String,
    /// A JSON object with details, shown under the message.
    pub details: Option<Value>,
}

impl Health {
    /// The datasource works.
    pub fn ok(message: impl Into<String>) -> Self {
        Self {
            status: HealthStatus::Ok,
            message: message.into(),
            details: None,
        }
    }

    /// The datasource does not work.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            status: HealthStatus::Error,
            message: message.into(),
            details: None,
        }
    }

    /// Adds details, a JSON object shown under the message.
    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
}

/// Whether the datasource works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HealthStatus {
    /// Not known.
    Unknown,
    /// It works.
    Ok,
    /// It does not work.
    Error,
}

/// The answer to a subscription request.
#[derive(Clone, Debug, PartialEq)]
pub enum SubscribeResponse {
    /// Accepted: the host calls [`Datasource::stream_tick`] every interval.
    Ok(Subscription),
    /// No such channel.
    NotFound,
    /// The channel exists but may not be subscribed to.
    PermissionDenied,
}

/// An accepted subscription.
#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    /// How often the host calls [`Datasource::stream_tick`], sent in whole milliseconds. The
    /// host raises an interval below 10 ms to 10 ms (`Duration::ZERO` included), and an
    /// interval above `u32::MAX` ms is sent as `u32::MAX` ms.
    pub interval: Duration,
    /// A frame sent to the subscriber first, typically the schema with no rows.
    pub initial: Option<Frame>,
}

impl Subscription {
    /// Ticks every `interval`, with no initial frame. The host ticks no faster than every
    /// 10 ms: a shorter interval is raised to 10 ms.
    pub fn every(interval: Duration) -> Self {
        Self {
            interval,
            initial: None,
        }
    }

    /// Sends `frame` to the subscriber first.
    #[must_use]
    pub fn with_initial(mut self, frame: Frame) -> Self {
        self.initial = Some(frame);
        self
    }
}
