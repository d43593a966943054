//! Not for production: sandbox attacks for tests. Each query runs the attack its model names,
//! `{"attack": "<name>"}`; each attack lives in the file of the same name.

mod bad_frame;
mod bad_meta;
mod busy_loop;
mod deep_json;
mod describe;
mod enum_oob;
mod error_flood;
mod fetch;
mod header_inject;
mod hold_memory;
mod http_fields;
mod huge_string;
mod log_fields;
mod log_flood;
mod many_labels;
mod memory_bomb;
mod meta_bomb;
mod ok;
mod panic;
mod parallel_fetch;
mod read_secrets;
mod too_many_frames;
mod trap;

use std::collections::BTreeMap;

use std::time::Duration;

use quarry_guest::{
    DataQuery, Datasource, Descriptor, Error, Frame, InstanceSettings, ResourceRequest,
    ResourceResponse, SecretGrant, SubscribeRequest, SubscribeResponse, Subscription,
};
use serde::Deserialize;

/// The query model.
#[derive(Debug, Deserialize)]
struct Model {
    attack: String,
    /// The URL of the `fetch` attack.
    #[serde(default)]
    url: Option<String>,
    /// Requests the `parallel_fetch` attack starts at once.
    #[serde(default)]
    n: usize,
    /// MiB the `hold_memory` attack holds.
    #[serde(default)]
    mb: usize,
    /// Milliseconds the `hold_memory` attack holds it.
    #[serde(default)]
    ms: u64,
}

/// A datasource that attacks its host. It asks to read the secure setting `readme` and to have
/// `token` sent as a bearer token — grants only an operator can give — and nothing else, so it
/// should receive no other secure setting at all.
#[derive(Debug)]
pub struct Hostile {
    /// Whatever secure settings the host passed, for `read_secrets`.
    secrets: BTreeMap<String, String>,
}

impl Datasource for Hostile {
    fn secure_settings() -> Vec<SecretGrant> {
        vec![
            SecretGrant::read("readme"),
            SecretGrant::bearer_token("token"),
        ]
    }

    fn describe() -> Descriptor {
        describe::descriptor()
    }

    fn new(settings: InstanceSettings) -> Result<Self, Error> {
        Ok(Hostile {
            secrets: settings.secure_json_data,
        })
    }

    fn query(&self, query: DataQuery) -> Result<Vec<Frame>, Error> {
        let model: Model = query.model()?;
        match model.attack.as_str() {
            "ok" => Ok(ok::frames()),
            "trap" => trap::run(),
            "panic" => panic::run(),
            "busy_loop" => busy_loop::run(),
            "memory_bomb" => memory_bomb::run(),
            "bad_frame" => Ok(bad_frame::frames()),
            "bad_meta" => Ok(bad_meta::frames()),
            "too_many_frames" => Ok(too_many_frames::frames()),
            "huge_string" => Ok(huge_string::frames()),
            "error_flood" => Err(error_flood::error()),
            "meta_bomb" => Ok(meta_bomb::frames()),
            "log_fields" => Ok(log_fields::frames()),
            "deep_json" => Ok(deep_json::frames()),
            "enum_oob" => Ok(enum_oob::frames()),
            "many_labels" => Ok(many_labels::frames()),
            "http_fields" => http_fields::frames(),
            "hold_memory" => Ok(hold_memory::frames(model.mb, model.ms)),
            "log_flood" => Ok(log_flood::frames()),
            "fetch" => {
                let url = model
                    .url
                    .ok_or_else(|| Error::bad_request("the fetch attack needs a \"url\""))?;
                fetch::frames(&url)
            }
            "read_secrets" => Ok(read_secrets::frames(&self.secrets)),
            "parallel_fetch" => {
                let url = model.url.ok_or_else(|| {
                    Error::bad_request("the parallel_fetch attack needs a \"url\"")
                })?;
                parallel_fetch::frames(&url, model.n)
            }
            other => Err(Error::bad_request(format!("unknown attack \"{other}\""))),
        }
    }

    fn call_resource(&self, request: ResourceRequest) -> Result<ResourceResponse, Error> {
        match request.path.as_str() {
            "inject" => Ok(header_inject::response()),
            other => Err(Error::not_found(format!("no resource {other:?}"))),
        }
    }

    /// Every path streams; a tick runs the attack the path names (`ok` answers normally).
    fn subscribe_stream(&self, _: SubscribeRequest) -> Result<SubscribeResponse, Error> {
        Ok(SubscribeResponse::Ok(Subscription::every(
            Duration::from_millis(50),
        )))
    }

    fn stream_tick(&self, path: &str, _data: &str) -> Result<Vec<Frame>, Error> {
        match path {
            "error_flood" => Err(error_flood::error()),
            "busy_loop" => busy_loop::run(),
            _ => Ok(ok::frames()),
        }
    }
}

quarry_guest::export!(Hostile);
