//! Not for production: sandbox attacks for tests. Each query runs the attack its model names,
//! `{"attack": "<name>"}`; each attack lives in the file of the same name.

mod bad_frame;
mod bad_meta;
mod busy_loop;
mod huge_string;
mod log_flood;
mod memory_bomb;
mod ok;
mod panic;
mod too_many_frames;
mod trap;

use quarry_guest::{DataQuery, Datasource, Error, Frame, InstanceSettings};
use serde::Deserialize;

/// The query model.
#[derive(Debug, Deserialize)]
struct Model {
    attack: String,
}

/// A datasource that attacks its host.
#[derive(Debug)]
pub struct Hostile;

impl Datasource for Hostile {
    fn new(_settings: InstanceSettings) -> Result<Self, Error> {
        Ok(Hostile)
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
            other => Err(Error::bad_request(format!("unknown attack \"{other}\""))),
        }
    }
}

quarry_guest::export!(Hostile);
