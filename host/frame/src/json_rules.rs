//! The JSON shapes Grafana's Go decoder accepts for `FrameMeta` and `FieldConfig`.
//!
//! Grafana decodes these with Go's `encoding/json` into typed structs: a known key holding the
//! wrong JSON type fails the whole response, unknown keys are ignored, key matching is
//! case-insensitive, and `null` leaves a field unset. A few types decode themselves and are
//! stricter: notice severities, value mappings and threshold steps. The rules here follow that,
//! and are deliberately a little stricter where Grafana would accept nonsense (threshold `mode`,
//! `typeVersion` length).
//!
//! Errors are one line: `<path>: expected <what>, got <value>`.

use serde_json::{Map, Value};

/// Validates a `FrameMeta` JSON object.
pub(crate) fn validate_meta(meta: &Value) -> Result<(), String> {
    match meta {
        Value::Object(_) => check_object(meta, "", META),
        other => Err(format!("expected a JSON object, got {}", describe(other))),
    }
}

/// Validates a `FieldConfig` JSON object.
pub(crate) fn validate_config(config: &Value) -> Result<(), String> {
    match config {
        Value::Object(_) => check_object(config, "", FIELD_CONFIG),
        other => Err(format!("expected a JSON object, got {}", describe(other))),
    }
}

/// How many names an enum field's `config.type.enum.text` holds (keys matched as Go's JSON
/// decoding matches them, case-insensitively); `None` without one.
pub(crate) fn enum_names(config: Option<&Value>) -> Option<usize> {
    let get = |v: &Value, key: &str| -> Option<Value> {
        v.as_object()?
            .iter()
            .find(|(k, _)| fold_eq(k, key))
            .map(|(_, v)| v.clone())
    };
    config
        .and_then(|c| get(c, "type"))
        .and_then(|t| get(&t, "enum"))
        .and_then(|e| get(&e, "text"))
        .and_then(|t| t.as_array().map(Vec::len))
}

/// The nesting depth of a JSON text, found without parsing it (0 for a scalar), so a document
/// too deep to parse safely is refused before any parser sees it.
pub fn json_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for b in text.bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Makes `typeVersion` explicit as Go writes it: `[0,0]` when it is missing or `null`.
pub(crate) fn normalize_type_version(meta: &mut Map<String, Value>) {
    if let Some(v) = meta.get_mut("typeVersion") {
        if v.is_null() {
            *v = zero_type_version();
        }
    } else if !meta.keys().any(|k| fold_eq(k, "typeVersion")) {
        meta.insert("typeVersion".to_owned(), zero_type_version());
    }
}

fn zero_type_version() -> Value {
    Value::Array(vec![Value::from(0u8), Value::from(0u8)])
}

/// A check for one JSON value at a path.
type Rule = fn(&Value, &str) -> Result<(), String>;

const META: &[(&str, Rule)] = &[
    ("type", string),
    ("typeVersion", type_version),
    ("path", string),
    ("pathSeparator", string),
    ("custom", any),
    ("stats", stats),
    ("notices", notices),
    ("channel", string),
    ("preferredVisualisationType", string),
    ("preferredVisualisationPluginId", string),
    ("executedQueryString", string),
    ("dataTopic", string),
    ("uniqueRowIdFields", int_array),
];

const FIELD_CONFIG: &[(&str, Rule)] = &[
    ("displayName", string),
    ("displayNameFromDS", string),
    ("path", string),
    ("description", string),
    ("filterable", boolean),
    ("writeable", boolean),
    ("unit", string),
    ("decimals", uint16),
    ("min", number),
    ("max", number),
    ("interval", number),
    ("mappings", mappings),
    ("thresholds", thresholds),
    ("color", object),
    ("links", links),
    ("noValue", string),
    ("type", type_config),
    ("custom", object),
];

const NOTICE: &[(&str, Rule)] = &[
    ("severity", severity),
    ("text", string),
    ("link", string),
    ("inspect", integer),
];

const MAPPING_RESULT: &[(&str, Rule)] = &[("text", string), ("color", string), ("index", integer)];

const RANGE_OPTIONS: &[(&str, Rule)] =
    &[("from", number), ("to", number), ("result", mapping_result)];

const SPECIAL_OPTIONS: &[(&str, Rule)] = &[("match", string), ("result", mapping_result)];

const THRESHOLDS: &[(&str, Rule)] = &[("mode", thresholds_mode), ("steps", threshold_steps)];

const LINK: &[(&str, Rule)] = &[
    ("title", string),
    ("targetBlank", boolean),
    ("url", string),
    ("internal", internal_link),
];

const INTERNAL_LINK: &[(&str, Rule)] = &[
    ("query", any),
    ("datasourceUid", string),
    ("datasourceName", string),
    ("panelsState", any),
    ("transformations", link_transformations),
    ("timeRange", time_range),
];

const LINK_TRANSFORMATION: &[(&str, Rule)] = &[
    ("type", string),
    ("field", string),
    ("expression", string),
    ("mapValue", string),
];

const TIME_RANGE: &[(&str, Rule)] = &[("from", rfc3339), ("to", rfc3339)];

const TYPE_CONFIG: &[(&str, Rule)] = &[("enum", enum_config)];

const ENUM_CONFIG: &[(&str, Rule)] = &[
    ("text", string_array),
    ("color", string_array),
    ("icon", string_array),
    ("description", string_array),
];

/// Checks the known keys of an object (or accepts `null`), matching keys as Go does.
fn check_object(v: &Value, path: &str, spec: &[(&str, Rule)]) -> Result<(), String> {
    let obj = match v {
        Value::Object(obj) => obj,
        Value::Null => return Ok(()),
        other => return Err(expected(path, "an object", other)),
    };
    for (key, value) in obj {
        for (name, rule) in spec {
            if fold_eq(key, name) {
                rule(value, &child(path, key))?;
            }
        }
    }
    Ok(())
}

/// Checks every element of an array (or accepts `null`).
fn check_array(v: &Value, path: &str, element: Rule) -> Result<(), String> {
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| element(item, &format!("{path}[{i}]"))),
        Value::Null => Ok(()),
        other => Err(expected(path, "an array", other)),
    }
}

fn any(_: &Value, _: &str) -> Result<(), String> {
    Ok(())
}

fn string(v: &Value, path: &str) -> Result<(), String> {
    match v {
        Value::String(_) | Value::Null => Ok(()),
        other => Err(expected(path, "a string", other)),
    }
}

fn boolean(v: &Value, path: &str) -> Result<(), String> {
    match v {
        Value::Bool(_) | Value::Null => Ok(()),
        other => Err(expected(path, "a boolean", other)),
    }
}

/// A Go `float64` (or `ConfFloat64`): any JSON number, or `null`.
fn number(v: &Value, path: &str) -> Result<(), String> {
    match v {
        Value::Number(_) | Value::Null => Ok(()),
        other => Err(expected(path, "a number or null", other)),
    }
}

/// A Go `int`: an integer literal (no fraction or exponent) within 64 bits, or `null`.
fn integer(v: &Value, path: &str) -> Result<(), String> {
    match v {
        Value::Number(n) if n.is_i64() => Ok(()),
        Value::Null => Ok(()),
        other => Err(expected(path, "an integer", other)),
    }
}

fn uint16(v: &Value, path: &str) -> Result<(), String> {
    match v {
        Value::Number(n) if n.as_u64().is_some_and(|n| n <= u64::from(u16::MAX)) => Ok(()),
        Value::Null => Ok(()),
        other => Err(expected(path, "an integer in 0..=65535", other)),
    }
}

fn object(v: &Value, path: &str) -> Result<(), String> {
    check_object(v, path, &[])
}

fn string_array(v: &Value, path: &str) -> Result<(), String> {
    check_array(v, path, string)
}

fn int_array(v: &Value, path: &str) -> Result<(), String> {
    check_array(v, path, integer)
}

fn type_version(v: &Value, path: &str) -> Result<(), String> {
    match v {
        Value::Array(items) if items.len() == 2 && items.iter().all(Value::is_u64) => Ok(()),
        Value::Null => Ok(()),
        other => Err(expected(
            path,
            "[major, minor] with non-negative integers",
            other,
        )),
    }
}

fn stats(v: &Value, path: &str) -> Result<(), String> {
    check_array(v, path, |stat, path| {
        check_object(stat, path, FIELD_CONFIG)?;
        check_object(stat, path, &[("value", number)])
    })
}

fn notices(v: &Value, path: &str) -> Result<(), String> {
    check_array(v, path, |notice, path| check_object(notice, path, NOTICE))
}

/// Go's `NoticeSeverity` decodes itself from a string and knows exactly three (a `null`
/// decodes to the empty string, which it rejects too).
fn severity(v: &Value, path: &str) -> Result<(), String> {
    match v {
        Value::String(s) if matches!(s.as_str(), "info" | "warning" | "error") => Ok(()),
        other => Err(expected(path, r#""info", "warning" or "error""#, other)),
    }
}

/// Go's `ValueMappings` decodes itself: each entry must be an object whose `type` (exact key)
/// is `value`, `range` or `special`, and whose `options` (exact key) must be present.
fn mappings(v: &Value, path: &str) -> Result<(), String> {
    check_array(v, path, |mapping, path| {
        let Value::Object(obj) = mapping else {
            return Err(expected(path, "a value mapping object", mapping));
        };
        let type_path = child(path, "type");
        let options_path = child(path, "options");
        let Some(options) = obj.get("options") else {
            return Err(format!("{options_path}: missing (required by Grafana)"));
        };
        match obj.get("type") {
            Some(Value::String(t)) if t == "value" => {
                check_object(options, &options_path, &[])?;
                if let Value::Object(values) = options {
                    for (key, result) in values {
                        mapping_result(result, &child(&options_path, key))?;
                    }
                }
                Ok(())
            }
            Some(Value::String(t)) if t == "range" => {
                check_object(options, &options_path, RANGE_OPTIONS)
            }
            Some(Value::String(t)) if t == "special" => {
                check_object(options, &options_path, SPECIAL_OPTIONS)
            }
            Some(other) => Err(expected(
                &type_path,
                r#""value", "range" or "special""#,
                other,
            )),
            None => Err(format!(
                r#"{type_path}: missing (expected "value", "range" or "special")"#
            )),
        }
    })
}

fn mapping_result(v: &Value, path: &str) -> Result<(), String> {
    check_object(v, path, MAPPING_RESULT)
}

fn thresholds(v: &Value, path: &str) -> Result<(), String> {
    check_object(v, path, THRESHOLDS)
}

fn thresholds_mode(v: &Value, path: &str) -> Result<(), String> {
    match v {
        Value::String(s) if matches!(s.as_str(), "absolute" | "percentage") => Ok(()),
        Value::Null => Ok(()),
        other => Err(expected(path, r#""absolute" or "percentage""#, other)),
    }
}

/// Go's `Threshold` decodes itself and rejects any key but `value`, `color` and `state`
/// (exact case). A non-numeric `value` is skipped (it means −∞).
fn threshold_steps(v: &Value, path: &str) -> Result<(), String> {
    check_array(v, path, |step, path| {
        let obj = match step {
            Value::Object(obj) => obj,
            Value::Null => return Ok(()),
            other => return Err(expected(path, "a threshold step object", other)),
        };
        for (key, value) in obj {
            let key_path = child(path, key);
            match key.as_str() {
                "value" => {}
                "color" | "state" => string(value, &key_path)?,
                _ => {
                    return Err(format!(
                        "{key_path}: unknown key in a threshold step (only value, color and state)"
                    ));
                }
            }
        }
        Ok(())
    })
}

fn links(v: &Value, path: &str) -> Result<(), String> {
    check_array(v, path, |link, path| check_object(link, path, LINK))
}

fn internal_link(v: &Value, path: &str) -> Result<(), String> {
    check_object(v, path, INTERNAL_LINK)
}

fn link_transformations(v: &Value, path: &str) -> Result<(), String> {
    check_array(v, path, |t, path| {
        check_object(t, path, LINK_TRANSFORMATION)
    })
}

fn time_range(v: &Value, path: &str) -> Result<(), String> {
    check_object(v, path, TIME_RANGE)
}

fn type_config(v: &Value, path: &str) -> Result<(), String> {
    check_object(v, path, TYPE_CONFIG)
}

fn enum_config(v: &Value, path: &str) -> Result<(), String> {
    check_object(v, path, ENUM_CONFIG)
}

/// A Go `time.Time`: `null`, or an RFC 3339 timestamp string.
fn rfc3339(v: &Value, path: &str) -> Result<(), String> {
    match v {
        Value::Null => Ok(()),
        Value::String(s) if is_rfc3339(s) => Ok(()),
        other => Err(expected(path, "an RFC 3339 timestamp", other)),
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with ranges checked.
fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = b.get(range)?;
        digits.iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let sep = |i: usize, c: u8| b.get(i) == Some(&c);
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    ) else {
        return false;
    };
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return false;
    }
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return false;
    }
    let mut i = 19;
    if sep(i, b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && sep(i + 3, b':')
                && num(i + 1..i + 3).is_some_and(|h| h < 24)
                && num(i + 4..i + 6).is_some_and(|m| m < 60)
        }
        _ => false,
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Go's `encoding/json` key matching: ASCII case-insensitive, plus the two non-ASCII letters
/// that fold to ASCII ones (KELVIN SIGN → k, LONG S → s). `known` is ASCII.
fn fold_eq(key: &str, known: &str) -> bool {
    let mut key = key.chars().map(|c| match c {
        '\u{212A}' => 'k',
        '\u{017F}' => 's',
        c => c.to_ascii_lowercase(),
    });
    let mut known = known.chars().map(|c| c.to_ascii_lowercase());
    loop {
        match (key.next(), known.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

fn child(path: &str, key: &str) -> String {
    let key = shorten(key, 64);
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

fn expected(path: &str, what: &str, got: &Value) -> String {
    format!("{path}: expected {what}, got {}", describe(got))
}

/// A short description of a value for an error message.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{:?}", shorten(s, 64)),
        Value::Array(a) => format!("an array of {} elements", a.len()),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// `s`, cut to at most `max` characters with a trailing `…`.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn meta_accepted() {
        let ok = [
            json!({}),
            json!({"type": "timeseries-wide", "typeVersion": [0, 1]}),
            json!({"typeVersion": null, "custom": [1, "x"], "unknownKey": {"a": 1}}),
            json!({"notices": [{"severity": "warning", "text": "t", "inspect": 2}]}),
            json!({"notices": [{"text": "no severity means info"}], "Notices": null}),
            json!({"stats": [{"displayName": "rows", "value": 3.5, "unit": "short"}]}),
            json!({"uniqueRowIdFields": [0, 2], "executedQueryString": "SELECT 1"}),
            json!({"preferredVisualisationType": "graph", "dataTopic": "annotations"}),
        ];
        for meta in ok {
            assert_eq!(validate_meta(&meta), Ok(()), "{meta}");
        }
    }

    #[test]
    fn meta_rejected() {
        let bad = [
            (
                json!([]),
                "expected a JSON object, got an array of 0 elements",
            ),
            (
                json!({"notices": [{"severity": "fatal"}]}),
                r#"notices[0].severity: expected "info", "warning" or "error", got "fatal""#,
            ),
            (
                json!({"notices": [{"severity": null}]}),
                r#"notices[0].severity: expected "info", "warning" or "error", got null"#,
            ),
            (
                json!({"notices": [{"severity": "info", "inspect": "data"}]}),
                r#"notices[0].inspect: expected an integer, got "data""#,
            ),
            (
                json!({"notices": [{"inspect": 1.5}]}),
                "notices[0].inspect: expected an integer, got 1.5",
            ),
            (
                json!({"typeVersion": [0]}),
                "typeVersion: expected [major, minor] with non-negative integers, got an array of 1 elements",
            ),
            (
                json!({"typeVersion": [0, -1]}),
                "typeVersion: expected [major, minor] with non-negative integers, got an array of 2 elements",
            ),
            (json!({"TYPE": 3}), "TYPE: expected a string, got 3"),
            (
                json!({"stats": [{"decimals": 1.5}]}),
                "stats[0].decimals: expected an integer in 0..=65535, got 1.5",
            ),
            (
                json!({"stats": [{"value": "1"}]}),
                r#"stats[0].value: expected a number or null, got "1""#,
            ),
            (
                json!({"uniqueRowIdFields": ["a"]}),
                r#"uniqueRowIdFields[0]: expected an integer, got "a""#,
            ),
        ];
        for (meta, want) in bad {
            assert_eq!(validate_meta(&meta), Err(want.to_owned()), "{meta}");
        }
    }

    #[test]
    fn config_accepted() {
        let ok = [
            json!({}),
            json!({"unit": "bytes", "decimals": 0, "min": null, "max": 1e3, "interval": 1000}),
            json!({"decimals": 65535, "filterable": false, "custom": {"width": 100}}),
            json!({"mappings": [
                {"type": "value", "options": {"1": {"text": "one", "index": 0}}},
                {"type": "range", "options": {"from": 0, "to": null, "result": {"color": "red"}}},
                {"type": "special", "options": {"match": "nan", "result": {"text": "-"}}},
                {"type": "value", "options": null}
            ]}),
            json!({"thresholds": {"mode": "percentage", "steps": [
                {"value": null, "color": "green"}, {"value": 80, "color": "red", "state": "x"}
            ]}}),
            json!({"links": [{"title": "t", "url": "/d", "targetBlank": true, "internal": {
                "query": {"expr": "up"}, "datasourceUid": "u",
                "timeRange": {"from": "2024-02-29T10:00:00.123Z", "to": "2024-03-01T00:00:00+01:00"}
            }}]}),
            json!({"type": {"enum": {"text": ["a", "b"], "color": ["red", null]}}}),
            json!({"color": {"mode": "fixed"}, "noValue": "-"}),
        ];
        for config in ok {
            assert_eq!(validate_config(&config), Ok(()), "{config}");
        }
    }

    #[test]
    fn config_rejected() {
        let bad = [
            (json!(null), "expected a JSON object, got null"),
            (
                json!({"decimals": 70000}),
                "decimals: expected an integer in 0..=65535, got 70000",
            ),
            (
                json!({"decimals": -1}),
                "decimals: expected an integer in 0..=65535, got -1",
            ),
            (
                json!({"Decimals": 2.5}),
                "Decimals: expected an integer in 0..=65535, got 2.5",
            ),
            (
                json!({"min": "0"}),
                r#"min: expected a number or null, got "0""#,
            ),
            (
                json!({"max": true}),
                "max: expected a number or null, got true",
            ),
            (json!({"unit": 1}), "unit: expected a string, got 1"),
            (
                json!({"filterable": "yes"}),
                r#"filterable: expected a boolean, got "yes""#,
            ),
            (
                json!({"mappings": [{"type": "regex", "options": {}}]}),
                r#"mappings[0].type: expected "value", "range" or "special", got "regex""#,
            ),
            (
                json!({"mappings": [{"type": "value"}]}),
                "mappings[0].options: missing (required by Grafana)",
            ),
            (
                json!({"mappings": [{"options": {}}]}),
                r#"mappings[0].type: missing (expected "value", "range" or "special")"#,
            ),
            (
                json!({"mappings": [null]}),
                "mappings[0]: expected a value mapping object, got null",
            ),
            (
                json!({"mappings": [{"type": "range", "options": {"from": "a"}}]}),
                r#"mappings[0].options.from: expected a number or null, got "a""#,
            ),
            (
                json!({"mappings": [{"type": "value", "options": {"x": {"index": "1"}}}]}),
                r#"mappings[0].options.x.index: expected an integer, got "1""#,
            ),
            (
                json!({"thresholds": {"mode": "relative"}}),
                r#"thresholds.mode: expected "absolute" or "percentage", got "relative""#,
            ),
            (
                json!({"thresholds": {"steps": [{"value": 1, "colour": "red"}]}}),
                "thresholds.steps[0].colour: unknown key in a threshold step (only value, color and state)",
            ),
            (
                json!({"thresholds": {"steps": [{"Value": 1}]}}),
                "thresholds.steps[0].Value: unknown key in a threshold step (only value, color and state)",
            ),
            (
                json!({"thresholds": {"steps": [{"color": 1}]}}),
                "thresholds.steps[0].color: expected a string, got 1",
            ),
            (
                json!({"links": [{"internal": {"timeRange": {"from": "yesterday"}}}]}),
                r#"links[0].internal.timeRange.from: expected an RFC 3339 timestamp, got "yesterday""#,
            ),
            (
                json!({"type": {"enum": {"text": [1]}}}),
                "type.enum.text[0]: expected a string, got 1",
            ),
            (
                json!({"custom": []}),
                "custom: expected an object, got an array of 0 elements",
            ),
            (
                json!({"unit": ["a"]}),
                "unit: expected a string, got an array of 1 elements",
            ),
        ];
        for (config, want) in bad {
            assert_eq!(validate_config(&config), Err(want.to_owned()), "{config}");
        }
    }

    #[test]
    fn go_key_folding() {
        assert!(fold_eq("DECIMALS", "decimals"));
        assert!(fold_eq("\u{212A}ey", "key"));
        assert!(fold_eq("\u{017F}tate", "state"));
        assert!(!fold_eq("decimal", "decimals"));
        assert!(!fold_eq("décimals", "decimals"));
        assert_eq!(
            validate_config(&json!({"UNIT": 1})),
            Err("UNIT: expected a string, got 1".to_owned())
        );
    }

    #[test]
    fn type_version_is_made_explicit() {
        let cases = [
            (json!({}), json!({"typeVersion": [0, 0]})),
            (json!({"typeVersion": null}), json!({"typeVersion": [0, 0]})),
            (
                json!({"typeVersion": [0, 1]}),
                json!({"typeVersion": [0, 1]}),
            ),
            (
                json!({"TypeVersion": [1, 0]}),
                json!({"TypeVersion": [1, 0]}),
            ),
        ];
        for (mut input, want) in cases {
            if let Value::Object(map) = &mut input {
                normalize_type_version(map);
            }
            assert_eq!(input, want);
        }
    }

    #[test]
    fn rfc3339_shapes() {
        for ok in [
            "2024-01-02T03:04:05Z",
            "2024-02-29T23:59:59.999999999Z",
            "2000-02-29T00:00:00-05:30",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "2023-02-29T00:00:00Z",
            "2024-01-02 03:04:05Z",
            "2024-01-02T03:04:05",
            "2024-13-02T03:04:05Z",
            "2024-01-02T24:00:00Z",
            "2024-01-02T03:04:05.Z",
            "2024-01-02T03:04:05+0100",
            "2024-01-02t03:04:05z",
            "",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn shorten_cuts_on_chars() {
        assert_eq!(shorten("héllo", 2), "hé…");
        assert_eq!(shorten("hi", 2), "hi");
    }
}
