//! `CallResource`: `GET scenarios`, `GET settings`, `POST echo`.

use quarry_guest::{Error, InstanceSettings, ResourceRequest, ResourceResponse};
use serde_json::{Value, json};

use crate::scenario::SCENARIOS;

/// Answers one resource call.
pub(crate) fn call(
    settings: &InstanceSettings,
    request: ResourceRequest,
) -> Result<ResourceResponse, Error> {
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "scenarios") => ResourceResponse::json(200, &SCENARIOS),
        ("GET", "settings") => {
            let json_data: Value = settings.json_data()?;
            ResourceResponse::json(
                200,
                &json!({
                    "uid": settings.uid,
                    "name": settings.name,
                    "jsonData": json_data,
                    "updatedMs": settings.updated_ms,
                }),
            )
        }
        ("POST", "echo") => {
            let mut response = ResourceResponse::new(200);
            if let Some(content_type) = request.header("content-type") {
                response = response.with_header("content-type", content_type);
            }
            Ok(response.with_body(request.body))
        }
        (_, path) => {
            ResourceResponse::json(404, &json!({ "error": format!("no resource {path}") }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> InstanceSettings {
        InstanceSettings {
            uid: "syn".into(),
            name: "Synthetic".into(),
            url: "ignored".into(),
            raw_json_data: r#"{"module":"synthetic","seriesPrefix":"s"}"#.into(),
            secure_json_data: [("token".to_owned(), "secret".to_owned())].into(),
            updated_ms: 1234,
        }
    }

    fn body_json(response: &ResourceResponse) -> Value {
        serde_json::from_slice(&response.body).unwrap()
    }

    #[test]
    fn scenarios() {
        let response = call(&settings(), ResourceRequest::new("GET", "scenarios")).unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(
            response.body,
            br#"["random_walk","sine","all_types","error"]"#
        );
    }

    #[test]
    fn settings_without_secrets() {
        let response = call(&settings(), ResourceRequest::new("GET", "settings")).unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(
            body_json(&response),
            json!({
                "uid": "syn",
                "name": "Synthetic",
                "jsonData": {"module": "synthetic", "seriesPrefix": "s"},
                "updatedMs": 1234,
            })
        );
        let empty = InstanceSettings::default();
        let response = call(&empty, ResourceRequest::new("GET", "settings")).unwrap();
        assert_eq!(body_json(&response)["jsonData"], json!({}));
    }

    #[test]
    fn echo() {
        let request = ResourceRequest::new("POST", "echo")
            .with_header("Content-Type", "text/plain; charset=utf-8")
            .with_body("hello");
        let response = call(&settings(), request).unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(
            response.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(response.body, b"hello");

        let response = call(&settings(), ResourceRequest::new("POST", "echo")).unwrap();
        assert_eq!(response.header("content-type"), None);
        assert!(response.body.is_empty());
    }

    #[test]
    fn anything_else_is_404() {
        for (method, path) in [
            ("GET", "nope"),
            ("POST", "scenarios"),
            ("GET", "echo"),
            ("GET", ""),
        ] {
            let response = call(&settings(), ResourceRequest::new(method, path)).unwrap();
            assert_eq!(response.status, 404, "{method} {path}");
            assert_eq!(response.header("content-type"), Some("application/json"));
            assert_eq!(
                body_json(&response),
                json!({ "error": format!("no resource {path}") })
            );
        }
    }
}
