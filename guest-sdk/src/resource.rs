//! Helpers on [`ResourceRequest`] and [`ResourceResponse`], the records of `CallResource`.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::http::{decode_component, decode_query_component};
use crate::{Context, Error, ResourceRequest, ResourceResponse};

type Headers = Vec<(String, Vec<String>)>;

/// The first value of header `name`, compared case-insensitively.
fn find_header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .and_then(|(_, values)| values.first())
        .map(String::as_str)
}

/// Appends `value` to header `name`, reusing an entry of the same name.
fn add_header(headers: &mut Headers, name: String, value: String) {
    match headers
        .iter_mut()
        .find(|(key, _)| key.eq_ignore_ascii_case(&name))
    {
        Some((_, values)) => values.push(value),
        None => headers.push((name, vec![value])),
    }
}

impl ResourceRequest {
    /// A request with no headers and no body; `url` is `path`. Handy in tests.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        let path = path.into();
        Self {
            method: method.into(),
            url: path.clone(),
            path,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header value.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        add_header(&mut self.headers, name.into(), value.into());
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The path below `resources/` without its query string and leading or trailing `/`.
    ///
    /// Grafana sends the query string only in `url` (`path` + `?` + query); a path that carries
    /// one anyway (an older CLI) has it cut off here.
    pub fn route_path(&self) -> &str {
        let path = self
            .path
            .split_once('?')
            .map_or(self.path.as_str(), |(p, _)| p);
        path.trim_matches('/')
    }

    /// The path's segments, percent-decoded: `metrics/cpu%20load` → `["metrics", "cpu load"]`.
    /// Empty segments (`a//b`) are skipped.
    ///
    /// ```
    /// use quarry_guest::ResourceRequest;
    ///
    /// let request = ResourceRequest::new("GET", "/metrics/cpu%20load/");
    /// assert_eq!(request.path_segments(), ["metrics", "cpu load"]);
    /// ```
    pub fn path_segments(&self) -> Vec<String> {
        self.route_path()
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(decode_component)
            .collect()
    }

    /// The raw query string: what follows `?` in `url` (or in `path`), without the `?`; empty
    /// when there is none.
    pub fn query_string(&self) -> &str {
        match self
            .url
            .split_once('?')
            .or_else(|| self.path.split_once('?'))
        {
            Some((_, query)) => query.split_once('#').map_or(query, |(q, _)| q),
            None => "",
        }
    }

    /// Every query parameter in order, names and values decoded (`+` is a space, `%XX`
    /// escapes decoded); `?flag` gives `("flag", "")`.
    ///
    /// ```
    /// use quarry_guest::ResourceRequest;
    ///
    /// let mut request = ResourceRequest::new("GET", "search");
    /// request.url = "search?q=cpu+load&tag=a&tag=b%26c&flag".into();
    /// assert_eq!(request.query_param("q").as_deref(), Some("cpu load"));
    /// assert_eq!(request.query_params_all("tag"), ["a", "b&c"]);
    /// assert_eq!(request.query_param("flag").as_deref(), Some(""));
    /// assert_eq!(request.query_param("missing"), None);
    /// ```
    pub fn query_params(&self) -> Vec<(String, String)> {
        self.query_string()
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode_query_component(name), decode_query_component(value))
            })
            .collect()
    }

    /// The first value of query parameter `name` (compared exactly, after decoding).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_params()
            .into_iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// Every value of query parameter `name`, in order.
    pub fn query_params_all(&self, name: &str) -> Vec<String> {
        self.query_params()
            .into_iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value)
            .collect()
    }

    /// Sets the query string (`url` becomes `path?query`). Handy in tests.
    #[must_use]
    pub fn with_query(mut self, query: &str) -> Self {
        self.url = if query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{query}", self.path)
        };
        self
    }

    /// Parses the body as JSON.
    ///
    /// # Errors
    ///
    /// A bad-request error naming serde's complaint.
    pub fn body_json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).context("invalid request body")
    }
}

impl ResourceResponse {
    /// A response with `status`, no headers and no body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A response with `status` and `body` as JSON, with `content-type: application/json`.
    ///
    /// ```
    /// use quarry_guest::ResourceResponse;
    ///
    /// let response = ResourceResponse::json(200, &["a", "b"])?;
    /// assert_eq!(response.header("Content-Type"), Some("application/json"));
    /// assert_eq!(response.body, br#"["a","b"]"#);
    /// # Ok::<(), quarry_guest::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// An internal error if `body` cannot be serialized (a map with non-string keys, say).
    pub fn json(status: u16, body: &impl Serialize) -> Result<Self, Error> {
        let body = serde_json::to_vec(body)
            .map_err(|err| Error::internal(err.to_string()).context("serializing response"))?;
        Ok(Self::new(status)
            .with_header("content-type", "application/json")
            .with_body(body))
    }

    /// Adds a header value.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        add_header(&mut self.headers, name.into(), value.into());
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn headers_are_case_insensitive_and_grouped() {
        let request = ResourceRequest::new("POST", "echo")
            .with_header("Content-Type", "text/plain")
            .with_header("x-a", "1")
            .with_header("X-A", "2")
            .with_body("hi");
        assert_eq!(request.url, "echo");
        assert_eq!(request.header("content-type"), Some("text/plain"));
        assert_eq!(request.header("missing"), None);
        assert_eq!(
            request.headers,
            [
                ("Content-Type".to_owned(), vec!["text/plain".to_owned()]),
                ("x-a".to_owned(), vec!["1".to_owned(), "2".to_owned()]),
            ]
        );
        assert_eq!(request.body, b"hi");
    }

    #[test]
    fn body_json() {
        let request = ResourceRequest::new("POST", "x").with_body(r#"{"a":1}"#);
        let value: serde_json::Value = request.body_json().unwrap();
        assert_eq!(value, serde_json::json!({"a": 1}));
        let err = ResourceRequest::new("POST", "x")
            .with_body("{")
            .body_json::<serde_json::Value>()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
    }

    #[test]
    fn json_response() {
        let response = ResourceResponse::json(404, &serde_json::json!({"error": "x"})).unwrap();
        assert_eq!(response.status, 404);
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.body, br#"{"error":"x"}"#);
    }
}
