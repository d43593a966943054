//! A module's descriptor, checked and rendered as the JSON Grafana's editors are generated from:
//! settings fields, the query model as a JSON Schema subset, stream paths, the default query,
//! and variable/annotation query types. Every text is cut, every count capped, every default
//! bounded JSON, and keys must be unique.

use serde_json::{Map, Value, json};

use super::{UntrustedError, bounded_json, text};
use crate::bindings::wit_types;

/// Settings or query properties one descriptor may list.
const MAX_FIELDS: usize = crate::policy::limits::MAX_DESCRIPTOR_FIELDS.value as usize;
/// Options of one enum field.
const MAX_OPTIONS: usize = 1000;
/// Stream paths one descriptor may list.
const MAX_STREAMS: usize = 100;
/// Longest key of a setting or query property.
const MAX_KEY_BYTES: usize = 128;

fn bad(reason: impl Into<String>) -> UntrustedError {
    UntrustedError::Descriptor(reason.into())
}

/// The descriptor as the `_quarry/` resources serve it.
pub(crate) fn descriptor_json(d: wit_types::Descriptor) -> Result<Value, UntrustedError> {
    if d.settings.len() > MAX_FIELDS || d.query.len() > MAX_FIELDS {
        return Err(bad(format!(
            "{} settings and {} query properties, more than the {MAX_FIELDS} allowed",
            d.settings.len(),
            d.query.len()
        )));
    }
    if d.streams.len() > MAX_STREAMS {
        return Err(bad(format!(
            "{} stream paths, more than the {MAX_STREAMS} allowed",
            d.streams.len()
        )));
    }
    let mut keys = std::collections::BTreeSet::new();
    let mut settings = Vec::with_capacity(d.settings.len());
    for s in d.settings {
        check_key("setting", &s.key, &mut keys)?;
        let (kind, options) = kind(&s.kind)?;
        settings.push(json!({
            "key": s.key,
            "kind": kind,
            "title": text(&s.title),
            "description": text(&s.description),
            "default": default(&s.key, s.default.as_deref())?,
            "required": s.required,
            "secret": s.secret,
            "placeholder": s.placeholder.as_deref().map(text),
            "options": options,
        }));
    }
    keys.clear();
    let mut properties = Map::new();
    let mut order = Vec::with_capacity(d.query.len());
    let mut required = Vec::new();
    for q in d.query {
        check_key("query property", &q.key, &mut keys)?;
        let mut p = schema(&q.kind)?;
        let obj = p.as_object_mut().expect("schema() builds objects");
        if !q.title.is_empty() {
            obj.insert("title".into(), text(&q.title).into());
        }
        if !q.description.is_empty() {
            obj.insert("description".into(), text(&q.description).into());
        }
        let d = default(&q.key, q.default.as_deref())?;
        if !d.is_null() {
            obj.insert("default".into(), d);
        }
        if let Some(ph) = &q.placeholder {
            obj.insert("x-placeholder".into(), text(ph).into());
        }
        if q.main {
            obj.insert("x-main".into(), true.into());
        }
        if q.multiline {
            obj.insert("x-multiline".into(), true.into());
        }
        if q.required {
            required.push(Value::from(q.key.clone()));
        }
        order.push(Value::from(q.key.clone()));
        properties.insert(q.key, p);
    }
    let default_query = match d.default_query.as_deref() {
        None => Value::Null,
        Some(t) => match bounded_json("the default query", t)? {
            v @ Value::Object(_) => v,
            _ => return Err(bad("the default query is not a JSON object")),
        },
    };
    Ok(json!({
        "description": text(&d.description),
        "settings": settings,
        "querySchema": {
            "type": "object",
            "properties": properties,
            "required": required,
            "x-order": order,
        },
        "defaultQuery": default_query,
        "streams": d.streams.iter().map(|s| json!({
            "path": text(&s.path),
            "description": text(&s.description),
        })).collect::<Vec<_>>(),
        "variableQueryType": d.variable_query_type.as_deref().map(text),
        "annotationQueryType": d.annotation_query_type.as_deref().map(text),
    }))
}

fn check_key(
    what: &str,
    key: &str,
    seen: &mut std::collections::BTreeSet<String>,
) -> Result<(), UntrustedError> {
    if key.trim().is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(bad(format!(
            "a {what} key must have 1 to {MAX_KEY_BYTES} bytes"
        )));
    }
    if !seen.insert(key.to_string()) {
        return Err(bad(format!(
            "{what} {:?} is listed twice",
            crate::capability::log::cut(key, 64)
        )));
    }
    Ok(())
}

fn default(key: &str, t: Option<&str>) -> Result<Value, UntrustedError> {
    match t {
        None => Ok(Value::Null),
        Some(t) => bounded_json(&format!("the default of {key:?}"), t),
    }
}

fn options(o: &[wit_types::EnumOption]) -> Result<Vec<&wit_types::EnumOption>, UntrustedError> {
    if o.len() > MAX_OPTIONS {
        return Err(bad(format!(
            "an enum with {} options, more than the {MAX_OPTIONS} allowed",
            o.len()
        )));
    }
    Ok(o.iter().collect())
}

/// A setting's `kind` and its enum options.
fn kind(k: &wit_types::ValueKind) -> Result<(&'static str, Vec<Value>), UntrustedError> {
    use wit_types::ValueKind as K;
    Ok(match k {
        K::String => ("string", vec![]),
        K::Number => ("number", vec![]),
        K::Integer => ("integer", vec![]),
        K::Boolean => ("boolean", vec![]),
        K::StringList => ("string-list", vec![]),
        K::StringMap => ("string-map", vec![]),
        K::Enum(o) => (
            "enum",
            options(o)?
                .into_iter()
                .map(|o| {
                    json!({
                        "value": text(&o.value),
                        "label": text(if o.label.is_empty() { &o.value } else { &o.label }),
                        "description": text(&o.description),
                    })
                })
                .collect(),
        ),
    })
}

/// A query property's JSON Schema.
fn schema(k: &wit_types::ValueKind) -> Result<Value, UntrustedError> {
    use wit_types::ValueKind as K;
    Ok(match k {
        K::String => json!({"type": "string"}),
        K::Number => json!({"type": "number"}),
        K::Integer => json!({"type": "integer"}),
        K::Boolean => json!({"type": "boolean"}),
        K::StringList => json!({"type": "array", "items": {"type": "string"}}),
        K::StringMap => json!({"type": "object", "additionalProperties": {"type": "string"}}),
        K::Enum(o) => {
            let o = options(o)?;
            json!({
                "type": "string",
                "enum": o.iter().map(|o| text(&o.value)).collect::<Vec<_>>(),
                "x-enumLabels": o.iter().map(|o| text(if o.label.is_empty() { &o.value } else { &o.label })).collect::<Vec<_>>(),
                "x-enumDescriptions": o.iter().map(|o| text(&o.description)).collect::<Vec<_>>(),
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wit_types::ValueKind as K;

    fn field(key: &str, kind: K) -> wit_types::QueryField {
        wit_types::QueryField {
            key: key.into(),
            kind,
            title: String::new(),
            description: String::new(),
            default: None,
            required: false,
            placeholder: None,
            main: false,
            multiline: false,
        }
    }

    fn descriptor() -> wit_types::Descriptor {
        wit_types::Descriptor {
            description: "d".into(),
            settings: vec![wit_types::SettingField {
                key: "apiKey".into(),
                kind: K::String,
                title: "API key".into(),
                description: String::new(),
                default: None,
                required: true,
                secret: true,
                placeholder: None,
            }],
            query: vec![
                wit_types::QueryField {
                    main: true,
                    required: true,
                    default: Some("\"cpu\"".into()),
                    ..field("metric", K::String)
                },
                field(
                    "agg",
                    K::Enum(vec![wit_types::EnumOption {
                        value: "avg".into(),
                        label: String::new(),
                        description: String::new(),
                    }]),
                ),
                field("tags", K::StringList),
                field("labels", K::StringMap),
            ],
            default_query: Some(r#"{"metric":"cpu"}"#.into()),
            streams: vec![],
            variable_query_type: Some("vars".into()),
            annotation_query_type: None,
        }
    }

    #[test]
    fn renders_the_json_schema_subset() {
        let j = descriptor_json(descriptor()).unwrap();
        assert_eq!(j["settings"][0]["secret"], true);
        assert_eq!(j["settings"][0]["kind"], "string");
        let s = &j["querySchema"];
        assert_eq!(s["x-order"], json!(["metric", "agg", "tags", "labels"]));
        assert_eq!(s["required"], json!(["metric"]));
        assert_eq!(s["properties"]["metric"]["default"], "cpu");
        assert_eq!(s["properties"]["metric"]["x-main"], true);
        assert_eq!(s["properties"]["agg"]["enum"], json!(["avg"]));
        assert_eq!(s["properties"]["agg"]["x-enumLabels"], json!(["avg"]));
        assert_eq!(s["properties"]["tags"]["items"]["type"], "string");
        assert_eq!(
            s["properties"]["labels"]["additionalProperties"]["type"],
            "string"
        );
        assert_eq!(j["defaultQuery"]["metric"], "cpu");
        assert_eq!(j["variableQueryType"], "vars");
        assert!(j["annotationQueryType"].is_null());
    }

    #[test]
    fn refuses_what_editors_could_not_use() {
        let mut d = descriptor();
        d.query.push(field("metric", K::Number));
        assert!(descriptor_json(d).is_err(), "duplicate key");
        let mut d = descriptor();
        d.default_query = Some("[1]".into());
        assert!(
            descriptor_json(d).is_err(),
            "default query must be an object"
        );
        let mut d = descriptor();
        d.settings[0].default = Some("{".into());
        assert!(descriptor_json(d).is_err(), "defaults are JSON");
        let mut d = descriptor();
        d.query = (0..300)
            .map(|i| field(&format!("k{i}"), K::Number))
            .collect();
        assert!(descriptor_json(d).is_err(), "too many fields");
    }
}
