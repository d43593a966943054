//! `pluginv2.Data`: QueryData.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert;
use super::pluginv2::pluginv2::{self as pb, data_server::Data};
use crate::handler::{DataResponse, Dispatcher};

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
        let small = answers_size(&answers) <= INLINE_ENCODE_BYTES;
        let encode = move || {
            answers
                .into_iter()
                .map(|(ref_id, resp)| (ref_id, convert::data_response(resp, format)))
                .collect()
        };
        // Encoding is CPU work proportional to the data: large answers are encoded on a
        // blocking thread so they never stall the I/O threads. Small ones are encoded here,
        // since handing them to another thread costs more than encoding them (waking a blocking
        // thread was about a tenth of the plugin's CPU with 8 clients of 1,000 points each).
        let responses = if small {
            encode()
        } else {
            tokio::task::spawn_blocking(encode)
                .await
                .map_err(|e| Status::internal(format!("encoding frames failed: {e}")))?
        };
        Ok(Response::new(pb::QueryDataResponse { responses }))
    }
}

/// Answers up to this many bytes of frame data are encoded on the I/O thread (about 16,000
/// points of time and value): tens of microseconds of work.
const INLINE_ENCODE_BYTES: usize = 256 << 10;

/// The bytes of column data in a request's answers.
fn answers_size(answers: &[(String, DataResponse)]) -> usize {
    answers
        .iter()
        .flat_map(|(_, r)| &r.frames)
        .map(|f| f.byte_size())
        .sum()
}
