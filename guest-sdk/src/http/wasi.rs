//! One request through `wasi:http/outgoing-handler` (imported from `wasi:http@0.2`), blocking
//! on the host's pollables until the whole response is read.

use std::time::Duration;

use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    self as wasi_http, ErrorCode, Fields, HeaderError, IncomingBody, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme,
};
use wasip2::io::streams::{InputStream, StreamError};

use super::error::{Stage, from_code};
use super::{HttpError, Method, Response, Url};

/// The most bytes asked for in one read of the response body.
const READ_CHUNK: u64 = 64 * 1024;
/// The most bytes written in one call (`blocking-write-and-flush` takes at most 4096).
const WRITE_CHUNK: usize = 4096;

pub(super) fn send(
    method: Method,
    url: &Url,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Option<Duration>,
) -> Result<Response, HttpError> {
    let code_error = |code, stage| from_code(code, url, timeout, stage);
    let other = |what: &str| HttpError::Other {
        authority: url.host_port(),
        code: what.to_owned(),
    };

    let fields = Fields::new();
    for (name, value) in headers {
        fields
            .append(name, value.as_bytes())
            .map_err(|err| HttpError::InvalidHeader {
                name: name.clone(),
                reason: header_error(err).into(),
            })?;
    }
    let request = OutgoingRequest::new(fields);
    let refused = |what: &str| HttpError::InvalidUrl {
        url: url.to_string(),
        reason: format!("the host refused its {what}"),
    };
    request
        .set_method(&wasi_method(method))
        .map_err(|()| refused("method"))?;
    let scheme = if url.is_https() {
        Scheme::Https
    } else {
        Scheme::Http
    };
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| refused("scheme"))?;
    request
        .set_authority(Some(&url.authority()))
        .map_err(|()| refused("authority"))?;
    request
        .set_path_with_query(Some(url.path_and_query()))
        .map_err(|()| refused("path"))?;
    let outgoing_body = if body.is_empty() {
        None
    } else {
        Some(
            request
                .body()
                .map_err(|()| other("the request body was already taken"))?,
        )
    };

    let future = outgoing_handler::handle(request, timeout.map(request_options))
        .map_err(|code| code_error(code, Stage::Response))?;
    // The body is written after `handle`, so the host sends it while this writes.
    if let Some(outgoing_body) = outgoing_body {
        write_body(&outgoing_body, body).map_err(|code| match code {
            Ok(code) => code_error(code, Stage::Response),
            Err(message) => other(&message),
        })?;
        OutgoingBody::finish(outgoing_body, None)
            .map_err(|code| code_error(code, Stage::Response))?;
    }

    let response = loop {
        match future.get() {
            Some(Ok(Ok(response))) => break response,
            Some(Ok(Err(code))) => return Err(code_error(code, Stage::Response)),
            Some(Err(())) => return Err(other("the response was already taken")),
            None => future.subscribe().block(),
        }
    };
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
        .collect();
    let incoming = response
        .consume()
        .map_err(|()| other("the response body was already taken"))?;
    let stream = incoming
        .stream()
        .map_err(|()| other("the response body stream was already taken"))?;
    let body = read_body(&stream).map_err(|code| match code {
        Ok(code) => code_error(code, Stage::Body),
        Err(message) => other(&message),
    })?;
    // Children go before their parents: the stream, then the body, then the response.
    drop(stream);
    drop(IncomingBody::finish(incoming));
    drop(response);
    Ok(Response {
        status,
        headers,
        body,
        url: url.to_string(),
    })
}

fn wasi_method(method: Method) -> wasi_http::Method {
    match method {
        Method::Get => wasi_http::Method::Get,
        Method::Head => wasi_http::Method::Head,
        Method::Post => wasi_http::Method::Post,
        Method::Put => wasi_http::Method::Put,
        Method::Patch => wasi_http::Method::Patch,
        Method::Delete => wasi_http::Method::Delete,
    }
}

/// The same limit for connecting, the first byte and between bytes. A host that does not support
/// one of them keeps its own.
fn request_options(timeout: Duration) -> RequestOptions {
    let nanos = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
    let options = RequestOptions::new();
    // An error only means the host does not support that timeout; its own limits still apply.
    let _ = options.set_connect_timeout(Some(nanos));
    let _ = options.set_first_byte_timeout(Some(nanos));
    let _ = options.set_between_bytes_timeout(Some(nanos));
    options
}

fn header_error(err: HeaderError) -> &'static str {
    match err {
        HeaderError::InvalidSyntax => "not a valid header name or value",
        HeaderError::Forbidden => "the host does not let modules set it",
        HeaderError::Immutable => "the headers can no longer be changed",
    }
}

/// A stream failure: the host's error code if it gave one, else a description.
type StreamFailure = Result<ErrorCode, String>;

/// Writes the whole request body; the stream is dropped before the body is finished.
fn write_body(outgoing: &OutgoingBody, body: &[u8]) -> Result<(), StreamFailure> {
    let stream = outgoing
        .write()
        .map_err(|()| Err("the request body stream was already taken".to_owned()))?;
    for chunk in body.chunks(WRITE_CHUNK) {
        stream
            .blocking_write_and_flush(chunk)
            .map_err(|err| stream_failure(err, "the server closed the request body"))?;
    }
    Ok(())
}

/// Reads the body to its end.
fn read_body(stream: &InputStream) -> Result<Vec<u8>, StreamFailure> {
    let mut body = Vec::new();
    loop {
        match stream.blocking_read(READ_CHUNK) {
            Ok(chunk) => body.extend_from_slice(&chunk),
            Err(StreamError::Closed) => return Ok(body),
            Err(err) => return Err(stream_failure(err, "the response body closed")),
        }
    }
}

fn stream_failure(err: StreamError, closed: &str) -> StreamFailure {
    match err {
        StreamError::Closed => Err(closed.to_owned()),
        StreamError::LastOperationFailed(err) => {
            wasi_http::http_error_code(&err).ok_or_else(|| err.to_debug_string())
        }
    }
}
