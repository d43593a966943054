//! `pluginv2.Resource`: CallResource, answered as one message (code, headers, whole body).

use std::pin::Pin;
use std::sync::Arc;

use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::convert;
use super::pluginv2::pluginv2::{self as pb, resource_server::Resource};
use crate::handler::Dispatcher;

#[derive(Debug)]
pub(crate) struct ResourceService(pub(crate) Arc<Dispatcher>);

type ResponseStream = Pin<Box<dyn Stream<Item = Result<pb::CallResourceResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Resource for ResourceService {
    type CallResourceStream = ResponseStream;

    async fn call_resource(
        &self,
        request: Request<pb::CallResourceRequest>,
    ) -> Result<Response<Self::CallResourceStream>, Status> {
        let mut req = request.into_inner();
        let ctx = convert::plugin_context(req.plugin_context.take());
        let resp = self
            .0
            .call_resource(&ctx, convert::resource_request(req))
            .await;
        let messages = convert::resource_response(resp);
        Ok(Response::new(Box::pin(tokio_stream::iter(
            messages.into_iter().map(Ok),
        ))))
    }
}
