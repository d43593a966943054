//! The only place pluginv2 messages are mapped to and from the handler's domain types.

use std::collections::BTreeMap;

use quarry_frame::to_arrow::to_arrow;
use quarry_frame::to_json::{self, Include};

use super::pluginv2::pluginv2 as pb;
use crate::handler::{
    DataQuery, DataResponse, DatasourceSettings, FrameFormat, HealthResult, HealthStatus,
    PluginContext, ResourceRequest, ResourceResponse,
};

pub(crate) fn plugin_context(ctx: Option<pb::PluginContext>) -> PluginContext {
    let Some(ctx) = ctx else {
        return PluginContext::default();
    };
    PluginContext {
        org_id: ctx.org_id,
        plugin_id: ctx.plugin_id,
        datasource: ctx.data_source_instance_settings.map(datasource_settings),
        grafana_config: ctx.grafana_config.into_iter().collect(),
        user_role: ctx.user.map(|u| u.role).unwrap_or_default(),
    }
}

fn datasource_settings(s: pb::DataSourceInstanceSettings) -> DatasourceSettings {
    DatasourceSettings {
        id: s.id,
        uid: s.uid,
        name: s.name,
        url: s.url,
        json_data: String::from_utf8_lossy(&s.json_data).into_owned(),
        secure_json_data: s
            .decrypted_secure_json_data
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
        updated_ms: s.last_updated_ms,
    }
}

pub(crate) fn data_query(q: pb::DataQuery) -> DataQuery {
    let range = q.time_range.unwrap_or_default();
    DataQuery {
        ref_id: q.ref_id,
        query_type: q.query_type,
        from_ms: range.from_epoch_ms,
        to_ms: range.to_epoch_ms,
        interval_ms: q.interval_ms,
        max_data_points: q.max_data_points,
        json: q.json,
    }
}

pub(crate) fn frame_format(f: i32) -> FrameFormat {
    if f == pb::DataFrameFormat::Json as i32 {
        FrameFormat::Json
    } else {
        FrameFormat::Arrow
    }
}

/// Encodes one response; a frame that fails to encode becomes that query's error.
pub(crate) fn data_response(resp: DataResponse, format: FrameFormat) -> pb::DataResponse {
    let mut out = pb::DataResponse {
        status: 200,
        format: match format {
            FrameFormat::Arrow => pb::DataFrameFormat::Arrow as i32,
            FrameFormat::Json => pb::DataFrameFormat::Json as i32,
        },
        ..Default::default()
    };
    for frame in resp.frames {
        let encoded = match format {
            FrameFormat::Arrow => to_arrow(frame).map_err(|e| e.to_string()),
            FrameFormat::Json => Ok(to_json::to_json(&frame, Include::All).into_bytes()),
        };
        match encoded {
            Ok(bytes) => out.frames.push(bytes),
            Err(e) => {
                out.frames.clear();
                out.error = format!("encoding a frame failed: {e}");
                out.status = 500;
                out.error_source = "plugin".into();
                return out;
            }
        }
    }
    if let Some(err) = resp.error {
        out.error = err.message;
        out.status = i32::from(err.status);
        out.error_source = err.source.as_str().to_string();
    }
    out
}

pub(crate) fn health(h: HealthResult) -> pb::CheckHealthResponse {
    use pb::check_health_response::HealthStatus as S;
    pb::CheckHealthResponse {
        status: match h.status {
            HealthStatus::Ok => S::Ok,
            HealthStatus::Error => S::Error,
            HealthStatus::Unknown => S::Unknown,
        } as i32,
        message: h.message,
        json_details: h.json_details.map(String::into_bytes).unwrap_or_default(),
    }
}

pub(crate) fn resource_request(r: pb::CallResourceRequest) -> ResourceRequest {
    ResourceRequest {
        method: r.method,
        path: r.path,
        url: r.url,
        headers: r.headers.into_iter().map(|(k, v)| (k, v.values)).collect(),
        body: r.body,
    }
}

/// Body bytes per CallResource message: Grafana writes and flushes each message's body in turn,
/// so a large body travels as a stream of modest messages.
const RESOURCE_CHUNK: usize = 1 << 20;

/// A resource response as the messages of Grafana's stream: the first carries the status and
/// headers, each carries up to [`RESOURCE_CHUNK`] bytes of body (always at least one message).
pub(crate) fn resource_response(r: ResourceResponse) -> Vec<pb::CallResourceResponse> {
    let mut messages = Vec::with_capacity(r.body.len() / RESOURCE_CHUNK + 1);
    let mut chunks = r.body.chunks(RESOURCE_CHUNK);
    messages.push(pb::CallResourceResponse {
        code: i32::from(r.status),
        headers: r
            .headers
            .into_iter()
            .map(|(k, values)| (k, pb::StringList { values }))
            .collect(),
        body: chunks.next().map(<[u8]>::to_vec).unwrap_or_default(),
    });
    messages.extend(chunks.map(|c| pb::CallResourceResponse {
        code: 0,
        headers: Default::default(),
        body: c.to_vec(),
    }));
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_resource_bodies_are_sent_in_chunks_headers_first() {
        let body: Vec<u8> = (0..(2 * RESOURCE_CHUNK + 5)).map(|i| i as u8).collect();
        let messages = resource_response(ResourceResponse {
            status: 201,
            headers: vec![("X-A".into(), vec!["1".into()])],
            body: body.clone(),
        });
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[0].code, 201);
        assert!(messages[0].headers.contains_key("X-A"));
        assert!(messages[1].headers.is_empty());
        let joined: Vec<u8> = messages.iter().flat_map(|m| m.body.clone()).collect();
        assert_eq!(joined, body);
        let empty = resource_response(ResourceResponse {
            status: 204,
            ..Default::default()
        });
        assert_eq!(empty.len(), 1, "always at least one message");
    }
}

/// Property tests: whatever bytes arrive as a request, decoding and conversion never panic,
/// and what a well-formed request carries reaches the handler unchanged.
#[cfg(test)]
mod properties {
    use super::*;
    use crate::policy::ModulePolicy;
    use proptest::prelude::*;
    use prost::Message as _;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            if let Ok(req) = pb::QueryDataRequest::decode(bytes.as_slice()) {
                let ctx = plugin_context(req.plugin_context);
                if let Some(settings) = &ctx.datasource {
                    let _ = ModulePolicy::from_settings(settings);
                }
                for q in req.queries {
                    let _ = data_query(q);
                }
            }
            if let Ok(req) = pb::CallResourceRequest::decode(bytes.as_slice()) {
                let _ = resource_request(req);
            }
        }

        #[test]
        fn requests_reach_the_handler_unchanged(
            ref_ids in proptest::collection::vec(".{0,40}", 0..8),
            json in proptest::collection::vec(any::<u8>(), 0..256),
            json_data in ".{0,200}",
            secret in ".{0,40}",
            from in any::<i64>(),
            to in any::<i64>(),
        ) {
            let req = pb::QueryDataRequest {
                plugin_context: Some(pb::PluginContext {
                    org_id: 3,
                    data_source_instance_settings: Some(pb::DataSourceInstanceSettings {
                        uid: "u".into(),
                        json_data: json_data.clone().into_bytes(),
                        decrypted_secure_json_data: [("k".to_string(), secret.clone())].into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                queries: ref_ids
                    .iter()
                    .map(|r| pb::DataQuery {
                        ref_id: r.clone(),
                        json: json.clone(),
                        time_range: Some(pb::TimeRange { from_epoch_ms: from, to_epoch_ms: to }),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            };
            let decoded = pb::QueryDataRequest::decode(req.encode_to_vec().as_slice()).unwrap();
            let ctx = plugin_context(decoded.plugin_context);
            let ds = ctx.datasource.unwrap();
            prop_assert_eq!(&ds.json_data, &json_data);
            prop_assert_eq!(ds.secure_json_data.get("k"), Some(&secret));
            // Whatever jsonData holds, the policy answers or names the key it refuses.
            if let Err(e) = ModulePolicy::from_settings(&ds) {
                prop_assert!(e.to_string().starts_with("jsonData"));
            }
            let queries: Vec<_> = decoded.queries.into_iter().map(data_query).collect();
            prop_assert_eq!(queries.len(), ref_ids.len());
            for (q, r) in queries.iter().zip(&ref_ids) {
                prop_assert_eq!(&q.ref_id, r);
                prop_assert_eq!(&q.json, &json);
                prop_assert_eq!((q.from_ms, q.to_ms), (from, to));
            }
        }
    }
}
