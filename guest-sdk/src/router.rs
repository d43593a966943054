//! [`Router`]: answers resource calls by method and path pattern, with `{param}` captures.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::json;

use crate::{Error, ResourceRequest, ResourceResponse};

/// A handler: the module's context (usually the datasource), the request and the path's
/// captures.
type Handler<C> = Box<dyn Fn(&C, &ResourceRequest, &Params) -> Result<ResourceResponse, Error>>;

/// The values a path pattern's `{name}` segments captured, percent-decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// The value captured by `{name}`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The value captured by `{name}`, or an internal error when the pattern has no such capture
    /// (a typo in the handler).
    ///
    /// # Errors
    ///
    /// An internal error naming the capture.
    pub fn require(&self, name: &str) -> Result<&str, Error> {
        self.get(name)
            .ok_or_else(|| Error::internal(format!("the route has no {{{name}}} capture")))
    }
}

/// One segment of a path pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Capture(String),
    /// `{name*}`: the rest of the path, `/` included (last segment only).
    Rest(String),
}

struct Route<C> {
    method: String,
    pattern: String,
    segments: Vec<Segment>,
    handler: Handler<C>,
}

/// Answers [`Datasource::call_resource`](crate::Datasource::call_resource) by method and path.
///
/// Patterns are paths below `resources/` whose segments are literal, `{name}` (one segment) or,
/// last, `{name*}` (the rest of the path). Routes are tried in order; captures are
/// percent-decoded. A path that matches no route is answered 404, one that matches only with
/// other methods 405 with an `Allow` header, both with a JSON `{"error": …}` body.
///
/// ```
/// use quarry_guest::{Error, ResourceRequest, ResourceResponse, Router};
///
/// struct Api {
///     metrics: Vec<&'static str>,
/// }
///
/// fn router() -> Router<Api> {
///     Router::new()
///         .get("metrics", |api: &Api, _, _| ResourceResponse::json(200, &api.metrics))
///         .get("metrics/{name}", |api: &Api, request, params| {
///             let name = params.require("name")?;
///             let verbose = request.query_param("verbose").is_some();
///             match api.metrics.contains(&name) {
///                 true => ResourceResponse::json(200, &serde_json::json!({"name": name, "verbose": verbose})),
///                 false => Err(Error::not_found(format!("no metric {name}"))),
///             }
///         })
/// }
///
/// let api = Api { metrics: vec!["cpu load", "mem"] };
/// let request = ResourceRequest::new("GET", "metrics/cpu%20load").with_query("verbose");
/// let response = router().handle(&api, request)?;
/// assert_eq!(response.body, br#"{"name":"cpu load","verbose":true}"#);
///
/// let response = router().handle(&api, ResourceRequest::new("POST", "metrics"))?;
/// assert_eq!((response.status, response.header("allow")), (405, Some("GET")));
/// # Ok::<(), quarry_guest::Error>(())
/// ```
pub struct Router<C> {
    routes: Vec<Route<C>>,
}

impl<C> fmt::Debug for Router<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.routes
                    .iter()
                    .map(|r| format!("{} {}", r.method, r.pattern)),
            )
            .finish()
    }
}

impl<C> Default for Router<C> {
    fn default() -> Self {
        Self { routes: Vec::new() }
    }
}

impl<C> Router<C> {
    /// A router with no routes (everything is 404).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route for `method` (compared case-insensitively) and `pattern`.
    ///
    /// # Panics
    ///
    /// When the pattern has a `{name*}` segment that is not the last, or an unclosed `{`.
    #[must_use]
    pub fn route(
        mut self,
        method: &str,
        pattern: &str,
        handler: impl Fn(&C, &ResourceRequest, &Params) -> Result<ResourceResponse, Error> + 'static,
    ) -> Self {
        let segments = parse_pattern(pattern);
        self.routes.push(Route {
            method: method.to_ascii_uppercase(),
            pattern: pattern.to_owned(),
            segments,
            handler: Box::new(handler),
        });
        self
    }

    /// Adds a `GET` route.
    #[must_use]
    pub fn get(
        self,
        pattern: &str,
        handler: impl Fn(&C, &ResourceRequest, &Params) -> Result<ResourceResponse, Error> + 'static,
    ) -> Self {
        self.route("GET", pattern, handler)
    }

    /// Adds a `POST` route.
    #[must_use]
    pub fn post(
        self,
        pattern: &str,
        handler: impl Fn(&C, &ResourceRequest, &Params) -> Result<ResourceResponse, Error> + 'static,
    ) -> Self {
        self.route("POST", pattern, handler)
    }

    /// Answers `request` with the first route that matches its method and path.
    ///
    /// # Errors
    ///
    /// What the matched handler returns.
    pub fn handle(&self, context: &C, request: ResourceRequest) -> Result<ResourceResponse, Error> {
        let segments: Vec<&str> = request
            .route_path()
            .split('/')
            .filter(|segment| !segment.is_empty())
            .collect();
        let mut allowed: Vec<&str> = Vec::new();
        for route in &self.routes {
            let Some(params) = matches(&route.segments, &segments) else {
                continue;
            };
            if route.method.eq_ignore_ascii_case(&request.method) {
                return (route.handler)(context, &request, &params);
            }
            if !allowed.contains(&route.method.as_str()) {
                allowed.push(&route.method);
            }
        }
        let path = request.route_path();
        if allowed.is_empty() {
            return ResourceResponse::json(404, &json!({ "error": format!("no resource {path}") }));
        }
        let allow = allowed.join(", ");
        Ok(ResourceResponse::json(
            405,
            &json!({ "error": format!("{} is not allowed on {path} (allowed: {allow})", request.method) }),
        )?
        .with_header("allow", allow))
    }
}

fn parse_pattern(pattern: &str) -> Vec<Segment> {
    let parts: Vec<&str> = pattern
        .trim_matches('/')
        .split('/')
        .filter(|part| !part.is_empty())
        .collect();
    let last = parts.len().saturating_sub(1);
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| match part.strip_prefix('{') {
            Some(inner) => {
                let name = inner.strip_suffix('}').unwrap_or_else(|| {
                    panic!("route pattern {pattern:?}: unclosed {{ in {part:?}")
                });
                match name.strip_suffix('*') {
                    Some(rest) => {
                        assert!(
                            i == last,
                            "route pattern {pattern:?}: {{{name}}} must be the last segment"
                        );
                        Segment::Rest(rest.to_owned())
                    }
                    None => Segment::Capture(name.to_owned()),
                }
            }
            None => Segment::Literal((*part).to_owned()),
        })
        .collect()
}

fn matches(pattern: &[Segment], path: &[&str]) -> Option<Params> {
    let mut params = BTreeMap::new();
    for (i, segment) in pattern.iter().enumerate() {
        match segment {
            Segment::Rest(name) => {
                let rest: Vec<String> = path.get(i..)?.iter().map(|s| decode(s)).collect();
                if rest.is_empty() {
                    return None;
                }
                params.insert(name.clone(), rest.join("/"));
                return Some(Params(params));
            }
            Segment::Literal(literal) => {
                if decode(path.get(i)?) != *literal {
                    return None;
                }
            }
            Segment::Capture(name) => {
                params.insert(name.clone(), decode(path.get(i)?));
            }
        }
    }
    (pattern.len() == path.len()).then_some(Params(params))
}

fn decode(segment: &str) -> String {
    crate::http::decode_component(segment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router<String> {
        Router::new()
            .get("scenarios", |ctx: &String, _, _| {
                Ok(ResourceResponse::new(200).with_body(ctx.clone()))
            })
            .get("metrics/{name}/labels/{label}", |_, _, params| {
                Ok(ResourceResponse::new(200).with_body(format!(
                    "{}|{}",
                    params.get("name").unwrap(),
                    params.get("label").unwrap()
                )))
            })
            .route("put", "files/{path*}", |_, request, params| {
                Ok(ResourceResponse::new(201).with_body(format!(
                    "{}:{}",
                    params.require("path")?,
                    request.body.len()
                )))
            })
            .post("scenarios", |_, request, _| {
                Ok(ResourceResponse::new(200).with_body(request.body.clone()))
            })
    }

    fn call(method: &str, path: &str) -> ResourceResponse {
        router()
            .handle(
                &"ctx".to_owned(),
                ResourceRequest::new(method, path).with_body("b"),
            )
            .unwrap()
    }

    #[test]
    fn routes_by_method_and_pattern() {
        let cases = [
            ("GET", "scenarios", 200, "ctx"),
            ("get", "/scenarios/", 200, "ctx"),
            ("GET", "scenarios?x=1", 200, "ctx"),
            ("POST", "scenarios", 200, "b"),
            (
                "GET",
                "metrics/cpu%2Fload/labels/host",
                200,
                "cpu/load|host",
            ),
            ("PUT", "files/a/b%20c", 201, "a/b c:1"),
            (
                "GET",
                "metrics/cpu/labels",
                404,
                r#"{"error":"no resource metrics/cpu/labels"}"#,
            ),
            ("GET", "files", 404, r#"{"error":"no resource files"}"#),
            ("GET", "", 404, r#"{"error":"no resource "}"#),
            (
                "DELETE",
                "scenarios",
                405,
                r#"{"error":"DELETE is not allowed on scenarios (allowed: GET, POST)"}"#,
            ),
        ];
        for (method, path, status, body) in cases {
            let response = call(method, path);
            assert_eq!(
                (
                    response.status,
                    String::from_utf8_lossy(&response.body).as_ref()
                ),
                (status, body),
                "{method} {path}"
            );
        }
        assert_eq!(
            call("DELETE", "scenarios").header("allow"),
            Some("GET, POST")
        );
    }

    #[test]
    fn errors_pass_through_and_debug_lists_routes() {
        let router: Router<()> = Router::new().get("x", |_, _, params| {
            Err(Error::not_found(params.require("y")?))
        });
        let err = router
            .handle(&(), ResourceRequest::new("GET", "x"))
            .unwrap_err();
        assert_eq!(err.message(), "the route has no {y} capture");
        assert_eq!(format!("{router:?}"), r#"["GET x"]"#);
    }

    #[test]
    #[should_panic(expected = "must be the last segment")]
    fn rest_capture_is_last() {
        let _ = Router::<()>::new().get("{a*}/b", |_, _, _| Ok(ResourceResponse::new(200)));
    }
}
