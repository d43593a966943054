//! `log_flood`: logs 10 000 info messages, then answers like `ok`.

use quarry_guest::{Frame, log};

const MESSAGES: usize = 10_000;

pub(crate) fn frames() -> Vec<Frame> {
    for i in 0..MESSAGES {
        log::info("hostile log flood", &[("i", &i.to_string())]);
    }
    crate::ok::frames()
}
