//! A module's answer to a resource call, checked as an HTTP response: a real status, headers
//! that are valid HTTP header names and values (no CR, LF or NUL to split the response Grafana
//! writes), within count and size caps, and a bounded body.

use super::UntrustedError;
use crate::bindings::wit_types;
use crate::handler::ResourceResponse;
use crate::policy::limits::{
    MAX_RESOURCE_BODY_BYTES, MAX_RESOURCE_HEADER_BYTES, MAX_RESOURCE_HEADERS,
};

pub(crate) fn resource_response(
    r: wit_types::ResourceResponse,
) -> Result<ResourceResponse, UntrustedError> {
    if !(100..600).contains(&r.status) {
        return Err(UntrustedError::ResourceStatus(r.status));
    }
    let max_body = MAX_RESOURCE_BODY_BYTES.value as usize;
    if r.body.len() > max_body {
        return Err(UntrustedError::ResourceSize(format!(
            "the body is {} bytes, more than the {max_body} allowed",
            r.body.len()
        )));
    }
    let count: usize = r.headers.iter().map(|(_, v)| v.len().max(1)).sum();
    let max_headers = MAX_RESOURCE_HEADERS.value as usize;
    if count > max_headers {
        return Err(UntrustedError::ResourceSize(format!(
            "{count} header values, more than the {max_headers} allowed"
        )));
    }
    let mut bytes = 0usize;
    for (name, values) in &r.headers {
        let shown = || crate::capability::log::cut(name, 64);
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(UntrustedError::ResourceHeader {
                name: shown(),
                reason: "not a valid HTTP header name".into(),
            });
        }
        bytes += name.len();
        for value in values {
            if http::HeaderValue::from_str(value).is_err() {
                return Err(UntrustedError::ResourceHeader {
                    name: shown(),
                    reason: "the value is not a valid HTTP header value (control characters such as CR or LF are not allowed)".into(),
                });
            }
            bytes += value.len();
        }
    }
    let max_bytes = MAX_RESOURCE_HEADER_BYTES.value as usize;
    if bytes > max_bytes {
        return Err(UntrustedError::ResourceSize(format!(
            "the headers are {bytes} bytes, more than the {max_bytes} allowed"
        )));
    }
    Ok(ResourceResponse {
        status: r.status,
        headers: r.headers,
        body: r.body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(headers: Vec<(&str, Vec<&str>)>) -> wit_types::ResourceResponse {
        wit_types::ResourceResponse {
            status: 200,
            headers: headers
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
                .collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn headers_must_be_http_headers() {
        assert!(resource_response(response(vec![("Content-Type", vec!["text/plain"])])).is_ok());
        let table = [
            ("X-Evil\r\nSet-Cookie", "v"),
            ("X-Ok", "a\r\nSet-Cookie: s=1"),
            ("X-Ok", "nul\0"),
            ("", "v"),
            ("Bad Name", "v"),
        ];
        for (name, value) in table {
            let err = resource_response(response(vec![(name, vec![value])])).unwrap_err();
            assert!(
                matches!(err, UntrustedError::ResourceHeader { .. }),
                "{name:?}: {err}"
            );
        }
    }

    #[test]
    fn headers_and_bodies_are_capped() {
        let many: Vec<(String, Vec<String>)> = (0..200)
            .map(|i| (format!("x-h{i}"), vec!["v".to_string()]))
            .collect();
        let r = wit_types::ResourceResponse {
            status: 200,
            headers: many,
            body: vec![],
        };
        assert!(matches!(
            resource_response(r),
            Err(UntrustedError::ResourceSize(_))
        ));
        let big = "v".repeat(70 << 10);
        assert!(resource_response(response(vec![("x-big", vec![&big])])).is_err());
        let mut r = response(vec![]);
        r.status = 99;
        assert!(matches!(
            resource_response(r),
            Err(UntrustedError::ResourceStatus(99))
        ));
    }
}
