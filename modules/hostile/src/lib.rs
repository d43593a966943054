//! Not for production: sandbox attacks for tests. Each query runs the attack its model names,
//! `{"attack": "<name>"}`; each attack lives in the file of the same name.

mod bad_frame;
mod bad_meta;
mod busy_loop;
mod describe;
mod fetch;
mod huge_string;
mod log_flood;
mod memory_bomb;
mod ok;
mod panic;
mod read_secrets;
mod too_many_frames;
mod trap;

use std::collections::BTreeMap;

use quarry_guest::{DataQuery, Datasource, Descriptor, Error, Frame, InstanceSettings};
use serde::Deserialize;

/// The query model.
#[derive(Debug, Deserialize)]
struct Model {
    attack: String,
    /// The URL of the `fetch` attack.
    #[serde(default)]
    url: Option<String>,
}

/// A datasource that attacks its host. It declares no secret grants (the default), so it should
/// receive no secure settings at all.
#[derive(Debug)]
pub struct Hostile {
    /// Whatever secure settings the host passed, for `read_secrets`.
    secrets: BTreeMap<String, String>,
}

impl Datasource for Hostile {
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
            "log_flood" => Ok(log_flood::frames()),
            "fetch" => {
                let url = model
                    .url
                    .ok_or_else(|| Error::bad_request("the fetch attack needs a \"url\""))?;
                fetch::frames(&url)
            }
            "read_secrets" => Ok(read_secrets::frames(&self.secrets)),
            other => Err(Error::bad_request(format!("unknown attack \"{other}\""))),
        }
    }
}

quarry_guest::export!(Hostile);
