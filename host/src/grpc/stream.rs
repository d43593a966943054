//! `pluginv2.Stream`: SubscribeStream, RunStream, PublishStream (Grafana Live).

use std::pin::Pin;
use std::sync::Arc;

use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};

use super::convert;
use super::pluginv2::pluginv2::{self as pb, stream_server};
use crate::handler::{Dispatcher, QueryError, StreamDecision};

#[derive(Debug)]
pub(crate) struct StreamService(pub(crate) Arc<Dispatcher>);

type PacketStream = Pin<Box<dyn Stream<Item = Result<pb::StreamPacket, Status>> + Send>>;

/// A stream failure as a gRPC status; Grafana logs it and restarts the stream with backoff.
///
/// The message travels in an HTTP/2 trailer (`grpc-message`), where peers cap the header list
/// (often at 16 KiB) and may drop or refuse more, so it is cut to [`MAX_STATUS_MESSAGE`].
fn status(e: QueryError) -> Status {
    let message = cut_message(e.message);
    match e.status {
        404 => Status::not_found(message),
        403 => Status::permission_denied(message),
        400 => Status::invalid_argument(message),
        429 | 503 => Status::resource_exhausted(message),
        _ => Status::internal(message),
    }
}

/// Bytes of a gRPC status message.
const MAX_STATUS_MESSAGE: usize = crate::policy::limits::MAX_STATUS_MESSAGE_BYTES.value as usize;

fn cut_message(mut message: String) -> String {
    if message.len() > MAX_STATUS_MESSAGE {
        let mut end = MAX_STATUS_MESSAGE - 32;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let total = message.len();
        message.truncate(end);
        message.push_str(&format!("… ({total} bytes in all)"));
    }
    message
}

#[tonic::async_trait]
impl stream_server::Stream for StreamService {
    type RunStreamStream = PacketStream;

    async fn subscribe_stream(
        &self,
        request: Request<pb::SubscribeStreamRequest>,
    ) -> Result<Response<pb::SubscribeStreamResponse>, Status> {
        use pb::subscribe_stream_response::Status as S;
        let req = request.into_inner();
        let ctx = convert::plugin_context(req.plugin_context);
        let decision = self
            .0
            .subscribe_stream(&ctx, &req.path, &req.data)
            .await
            .map_err(status)?;
        let (status, data) = match decision {
            StreamDecision::Ok(initial) => (S::Ok, initial.unwrap_or_default()),
            StreamDecision::NotFound => (S::NotFound, Vec::new()),
            StreamDecision::PermissionDenied => (S::PermissionDenied, Vec::new()),
        };
        Ok(Response::new(pb::SubscribeStreamResponse {
            status: status as i32,
            data,
        }))
    }

    async fn run_stream(
        &self,
        request: Request<pb::RunStreamRequest>,
    ) -> Result<Response<Self::RunStreamStream>, Status> {
        let req = request.into_inner();
        let ctx = convert::plugin_context(req.plugin_context);
        let rx = self
            .0
            .run_stream(&ctx, req.path, req.data)
            .await
            .map_err(status)?;
        let packets = ReceiverStream::new(rx).map(|item| match item {
            Ok(data) => Ok(pb::StreamPacket { data }),
            Err(e) => Err(status(e)),
        });
        Ok(Response::new(Box::pin(packets)))
    }

    async fn publish_stream(
        &self,
        request: Request<pb::PublishStreamRequest>,
    ) -> Result<Response<pb::PublishStreamResponse>, Status> {
        use pb::publish_stream_response::Status as S;
        let req = request.into_inner();
        let ctx = convert::plugin_context(req.plugin_context);
        let decision = self
            .0
            .publish_stream(&ctx, &req.path, &req.data)
            .await
            .map_err(status)?;
        let (status, data) = match decision {
            StreamDecision::Ok(out) => (S::Ok, out.map(String::into_bytes).unwrap_or_default()),
            StreamDecision::NotFound => (S::NotFound, Vec::new()),
            StreamDecision::PermissionDenied => (S::PermissionDenied, Vec::new()),
        };
        Ok(Response::new(pb::PublishStreamResponse {
            status: status as i32,
            data,
        }))
    }
}
