//! `parallel_fetch`: starts `n` GET requests to `url` at once, without waiting for any, then
//! reports how each ended — to probe the host's cap on requests in flight.

use quarry_guest::{Error, Field, Frame};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{Fields, OutgoingRequest, Scheme};

pub(crate) fn frames(url: &str, n: usize) -> Result<Vec<Frame>, Error> {
    let (scheme, rest) = if let Some(r) = url.strip_prefix("http://") {
        (Scheme::Http, r)
    } else if let Some(r) = url.strip_prefix("https://") {
        (Scheme::Https, r)
    } else {
        return Err(Error::bad_request("parallel_fetch needs an http(s) URL"));
    };
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let mut futures = Vec::with_capacity(n);
    for _ in 0..n {
        let request = OutgoingRequest::new(Fields::new());
        let _ = request.set_scheme(Some(&scheme));
        let _ = request.set_authority(Some(authority));
        let _ = request.set_path_with_query(Some(&path));
        futures.push(outgoing_handler::handle(request, None));
    }
    let mut outcomes = Vec::with_capacity(n);
    for f in futures {
        let outcome = match f {
            Err(code) => format!("refused: {code:?}"),
            Ok(f) => {
                f.subscribe().block();
                match f.get() {
                    Some(Ok(Ok(response))) => format!("status {}", response.status()),
                    Some(Ok(Err(code))) => format!("failed: {code:?}"),
                    other => format!("unexpected: {other:?}"),
                }
            }
        };
        outcomes.push(outcome);
    }
    Ok(vec![
        Frame::new("parallel").with_field(Field::new("outcome", outcomes)),
    ])
}
