//! The Grafana protocol edge: tonic services over the handler, and server assembly.

mod controller;
mod convert;
mod data;
mod diagnostics;
pub mod pluginv2;
mod resource;
mod stream;

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Notify;
use tokio_stream::Stream;

use crate::handler::Dispatcher;
use pluginv2::goplugin::grpc_controller_server::GrpcControllerServer;
use pluginv2::pluginv2::{
    data_server::DataServer, diagnostics_server::DiagnosticsServer,
    resource_server::ResourceServer, stream_server::StreamServer,
};

/// Incoming messages up to this size are accepted (the Go SDK's limit; tonic's default is 4 MiB).
pub const MAX_RECEIVE_BYTES: usize = 16 << 20;

/// Serves every service Quarry implements on `incoming` until `shutdown` resolves.
///
/// go-plugin's broker and stdio services are not registered; Grafana tolerates their
/// UNIMPLEMENTED answers.
pub async fn serve<S, IO, E>(
    dispatcher: Arc<Dispatcher>,
    incoming: S,
    shutdown_requested: Arc<Notify>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error>
where
    S: Stream<Item = Result<IO, E>>,
    IO: tokio::io::AsyncRead
        + tokio::io::AsyncWrite
        + tonic::transport::server::Connected
        + Unpin
        + Send
        + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    // go-plugin asks for "plugin"; "" is the whole server.
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    health_reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(GrpcControllerServer::new(controller::ControllerService(
            shutdown_requested,
        )))
        .add_service(
            DataServer::new(data::DataService(dispatcher.clone()))
                .max_decoding_message_size(MAX_RECEIVE_BYTES)
                .max_encoding_message_size(usize::MAX),
        )
        .add_service(
            DiagnosticsServer::new(diagnostics::DiagnosticsService(dispatcher.clone()))
                .max_decoding_message_size(MAX_RECEIVE_BYTES),
        )
        .add_service(
            ResourceServer::new(resource::ResourceService(dispatcher.clone()))
                .max_decoding_message_size(MAX_RECEIVE_BYTES)
                .max_encoding_message_size(usize::MAX),
        )
        .add_service(
            StreamServer::new(stream::StreamService(dispatcher))
                .max_decoding_message_size(MAX_RECEIVE_BYTES),
        )
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}
