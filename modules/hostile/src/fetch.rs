//! `fetch`: a GET to any URL the query names (redirects followed, at most 5), to probe the host's
//! allow-list, DNS checks and redirect handling.

use quarry_guest::http::Request;
use quarry_guest::{Error, Field, Frame};

/// The most body bytes returned.
const BODY_BYTES: usize = 1024;

pub(crate) fn frames(url: &str) -> Result<Vec<Frame>, Error> {
    let response = Request::get(url).max_redirects(5).send()?;
    let body = &response.body[..response.body.len().min(BODY_BYTES)];
    Ok(vec![
        Frame::new("fetch")
            .with_field(Field::new("status", vec![i64::from(response.status)]))
            .with_field(Field::new(
                "body",
                vec![String::from_utf8_lossy(body).into_owned()],
            )),
    ])
}
