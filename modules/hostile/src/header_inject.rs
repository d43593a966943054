//! `header_inject`: a resource response whose header smuggles a second header line.

use quarry_guest::ResourceResponse;

pub(crate) fn response() -> ResourceResponse {
    ResourceResponse::new(200)
        .with_header("X-Innocent", "yes\r\nSet-Cookie: session=stolen")
        .with_body("hi")
}
