//! `pluginv2.Data`: QueryData.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert;
use super::pluginv2::pluginv2::{self as pb, data_server::Data};
use crate::handler::Dispatcher;

#[derive(Debug)]
pub(crate) struct DataService(pub(crate) Arc<Dispatcher>);

#[tonic::async_trait]
impl Data for DataService {
    async fn query_data(
        &self,
        request: Request<pb::QueryDataRequest>,
    ) -> Result<Response<pb::QueryDataResponse>, Status> {
        let req = request.into_inner();
        let format = convert::frame_format(req.format);
        let ctx = convert::plugin_context(req.plugin_context);
        let queries = req.queries.into_iter().map(convert::data_query).collect();
        let answers = self.0.query_data(&ctx, queries).await;
        // Encoding is CPU work proportional to the data; keep it off the I/O threads.
        let responses = tokio::task::spawn_blocking(move || {
            answers
                .into_iter()
                .map(|(ref_id, resp)| (ref_id, convert::data_response(resp, format)))
                .collect()
        })
        .await
        .map_err(|e| Status::internal(format!("encoding frames failed: {e}")))?;
        Ok(Response::new(pb::QueryDataResponse { responses }))
    }
}
