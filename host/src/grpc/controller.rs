//! go-plugin's `plugin.GRPCController`: Grafana calls Shutdown when it stops the plugin.

use std::sync::Arc;

use tokio::sync::Notify;
use tonic::{Request, Response, Status};

use super::pluginv2::goplugin::{Empty, grpc_controller_server::GrpcController};

#[derive(Debug)]
pub(crate) struct ControllerService(pub(crate) Arc<Notify>);

#[tonic::async_trait]
impl GrpcController for ControllerService {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("shutdown requested by Grafana");
        self.0.notify_one();
        Ok(Response::new(Empty {}))
    }
}
