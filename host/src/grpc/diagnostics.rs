//! `pluginv2.Diagnostics`: CheckHealth and CollectMetrics.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert;
use super::pluginv2::pluginv2::{self as pb, diagnostics_server::Diagnostics};
use crate::handler::Dispatcher;

#[derive(Debug)]
pub(crate) struct DiagnosticsService(pub(crate) Arc<Dispatcher>);

#[tonic::async_trait]
impl Diagnostics for DiagnosticsService {
    async fn check_health(
        &self,
        request: Request<pb::CheckHealthRequest>,
    ) -> Result<Response<pb::CheckHealthResponse>, Status> {
        let ctx = convert::plugin_context(request.into_inner().plugin_context);
        let result = self.0.check_health(&ctx).await;
        Ok(Response::new(convert::health(result)))
    }

    async fn collect_metrics(
        &self,
        _request: Request<pb::CollectMetricsRequest>,
    ) -> Result<Response<pb::CollectMetricsResponse>, Status> {
        Ok(Response::new(pb::CollectMetricsResponse {
            metrics: Some(pb::collect_metrics_response::Payload {
                prometheus: self.0.metrics_text().into_bytes(),
            }),
        }))
    }
}
