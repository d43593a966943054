//! The Python and JavaScript `http-api` modules (`modules/http-api-py`, `modules/http-api-js`,
//! built by `cargo xtask build-polyglot`) through the real binary, against the fake API on
//! loopback, and the three-way comparison: the same descriptors (as the host serves them in
//! `_quarry/modules`), queries, health checks, resource calls and streams (on `latest/…` and the
//! older `metric/…`) against the Rust, Python and JS modules, answers compared value by value.
//!
//! Python and JS components take tens of seconds to compile in the debug build, so everything
//! runs in one plugin process, the three languages' calls side by side.

use std::path::PathBuf;
use std::time::Duration;

use quarry_frame::{Column, Frame};
use serde_json::json;
use tokio_stream::StreamExt;

use super::fake_api::{FakeApi, Health};
use super::harness::*;

const KEY: &str = "polyglot-key-31c7";
const FROM: i64 = 1_700_000_000_000;
const TO: i64 = FROM + 60_000;
const RUST: &str = "http-api";
const LANGS: [&str; 3] = [RUST, "http-api-py", "http-api-js"];
/// What the Python and JS runtimes need per call is measured at 13–16 MiB for these queries;
/// 64 MiB leaves room without hiding a leak.
const MEMORY_LIMIT_MB: u32 = 64;

/// The built Python and JS modules; fails (never skips) with the command that builds them.
fn polyglot_module(name: &str) -> PathBuf {
    let path = built_modules().join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo xtask build-polyglot` (`cargo xtask test` does it first)",
        path.display()
    );
    path
}

fn api_ctx(module: &str, uid: &str, endpoint: &str, key: &str) -> pb::PluginContext {
    ctx_with_secrets(
        &format!("{uid}-{module}"),
        json!({
            "module": module,
            "endpoint": endpoint,
            "timeout": 5,
            "memoryLimitMb": MEMORY_LIMIT_MB,
            "callTimeoutMs": 120_000,
        }),
        &[("apiKey", key)],
    )
}

/// A health case: name, the datasource for a module, the status and message expected.
type HealthCase<'a> = (
    &'a str,
    Box<dyn Fn(&str) -> pb::PluginContext + 'a>,
    i32,
    String,
);

/// Everything a response says: status, error (with the datasource uid, which differs per
/// language, blanked), error source, frames.
type Answer = (i32, String, String, Vec<Frame>);

fn answer(module: &str, resp: &pb::DataResponse) -> Answer {
    let frames = resp
        .frames
        .iter()
        .map(|b| quarry_frame::from_arrow::from_arrow(b).expect("frame decodes"))
        .collect();
    (
        resp.status,
        resp.error.replace(&format!("\"q-{module}\""), "\"q-*\""),
        resp.error_source.clone(),
        frames,
    )
}

/// The comparison's queries: values, labels, config, meta, and every kind of failure.
fn queries() -> Vec<pb::DataQuery> {
    let q = |ref_id: &str, model: serde_json::Value| query(ref_id, model, FROM, TO, 1000);
    vec![
        q("values", json!({"metricName": "cpu"})),
        q(
            "text",
            json!({"queryText": " mem ", "aggregation": "avg", "interval": 1000}),
        ),
        q(
            "encoded",
            json!({"metricName": "cpu load/1m", "interval": " 1m ", "refId": "encoded"}),
        ),
        q(
            "float-interval",
            json!({"metricName": "m", "interval": 1.5e3}),
        ),
        q("down", json!({"metricName": "down"})),
        q("malformed", json!({"metricName": "malformed"})),
        q("mismatch", json!({"metricName": "mismatch"})),
        q("no-metric", json!({"metricName": "  "})),
        q("mistyped", json!({"metricName": 5})),
        q("bad-interval", json!({"metricName": "x", "interval": true})),
        q("redirect", json!({"metricName": "redirect"})),
        q(
            "bad-aggregation",
            json!({"metricName": "cpu", "aggregation": "median"}),
        ),
        // Rust's trim: U+0085 is whitespace, U+001F and U+FEFF are not (Python's strip and
        // JS's trim disagree on each).
        q(
            "aggregation-spaces",
            json!({"metricName": "\u{85}cpu\u{feff}", "aggregation": "\u{3000}sum\u{85}"}),
        ),
        q(
            "bad-aggregation-controls",
            json!({"metricName": "cpu", "aggregation": "\u{85}Sum\"\u{1f}"}),
        ),
        q("aggregation-no-metric", json!({"aggregation": "median"})),
    ]
}

#[tokio::test]
async fn python_and_javascript_http_api_answer_exactly_like_the_rust_one() {
    let elsewhere = FakeApi::start(KEY, Health::Ok, None).await;
    let api = FakeApi::start(KEY, Health::Ok, Some(elsewhere.url())).await;
    let failing = FakeApi::start(KEY, Health::Failing, None).await;
    // A debug-build Cranelift on a busy 2-core machine (the other e2e tests run beside this one)
    // can take longer than the default 120 s for these components.
    let p = Plugin::start_with_env(&[("GF_PLUGIN_COMPILE_TIMEOUT_S", "600")]).await;
    for name in &LANGS[1..] {
        write_file(
            &p.module_path(name),
            &std::fs::read(polyglot_module(name)).unwrap(),
        );
    }
    let started = std::time::Instant::now();

    // Compiling comes first: wait (up to the compile limit) until each module answers health.
    let warm_up = |module: &'static str| {
        let p = &p;
        let ctx = api_ctx(module, "warm", &api.url(), KEY);
        async move {
            loop {
                let h = p.health(ctx.clone()).await;
                if h.status == pb::check_health_response::HealthStatus::Ok as i32 {
                    return;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(600),
                    "{module} did not become healthy: {}",
                    h.message
                );
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    tokio::join!(warm_up(LANGS[0]), warm_up(LANGS[1]), warm_up(LANGS[2]));
    eprintln!(
        "polyglot: modules compiled and healthy after {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // -- descriptors, as the host serves them to Grafana's editors
    let listed = p
        .resource(
            api_ctx(RUST, "d", &api.url(), KEY),
            "GET",
            "_quarry/modules",
            b"",
        )
        .await;
    assert_eq!(listed[0].code, 200);
    let listed: serde_json::Value = serde_json::from_slice(&listed[0].body).unwrap();
    let descriptor = |module: &str| {
        let entry = listed["modules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == module)
            .unwrap_or_else(|| panic!("{module} is not listed: {listed}"));
        assert!(entry["error"].is_null(), "{module}: {}", entry["error"]);
        entry["descriptor"].clone()
    };
    let want = descriptor(RUST);
    let want_keys: Vec<&String> = want
        .as_object()
        .unwrap_or_else(|| panic!("the Rust module has no descriptor: {want}"))
        .keys()
        .collect();
    for lang in &LANGS[1..] {
        let got = descriptor(lang);
        let keys: Vec<&String> = got.as_object().unwrap().keys().collect();
        assert_eq!(keys, want_keys, "{lang}'s descriptor has other keys");
        for key in &want_keys {
            assert_eq!(
                got[key.as_str()],
                want[key.as_str()],
                "{lang}'s descriptor differs in {key:?}"
            );
        }
    }
    // What they all describe, checked once (README.md of http-api, "Descriptor").
    let settings: Vec<&str> = want["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(settings, ["endpoint", "timeout", "apiKey"], "{want}");
    assert_eq!(want["settings"][1]["default"], json!(10), "{want}");
    assert_eq!(want["settings"][2]["secret"], json!(true), "{want}");
    let streams = want["streams"].to_string();
    assert!(streams.contains("latest/{metric}"), "{want}");

    // -- queries, the three languages side by side
    let run = |module: &'static str| {
        let p = &p;
        let ctx = api_ctx(module, "q", &api.url(), KEY);
        async move { p.query(ctx, queries()).await }
    };
    let (rust, py, js) = tokio::join!(run(LANGS[0]), run(LANGS[1]), run(LANGS[2]));
    eprintln!(
        "polyglot: first queries answered after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for q in queries() {
        let want = answer(RUST, &rust[&q.ref_id]);
        for (lang, got) in [(LANGS[1], &py), (LANGS[2], &js)] {
            assert_eq!(
                answer(lang, &got[&q.ref_id]),
                want,
                "{lang} answers query {:?} unlike the Rust module",
                q.ref_id
            );
        }
    }

    // What they all answered, checked once (the Rust module's answer is theirs too).
    let values = frames(&py["values"]);
    let f = &values[0];
    assert_eq!(f.name, "cpu");
    let meta = f.meta.as_ref().unwrap();
    assert_eq!(
        (
            &meta["type"],
            &meta["typeVersion"],
            &meta["executedQueryString"]
        ),
        (
            &json!("timeseries-multi"),
            &json!([0, 1]),
            &json!(format!("/query?metric=cpu&from={FROM}&to={TO}"))
        )
    );
    assert_eq!(
        f.fields[0].values,
        Column::Time(vec![
            FROM * 1_000_000,
            (FROM + TO) / 2 * 1_000_000,
            TO * 1_000_000
        ])
    );
    let value = &f.fields[1];
    assert_eq!(value.values, Column::Float64(vec![1.5, 2.5, 3.5]));
    assert_eq!(value.validity, None);
    assert_eq!(
        value.labels.get("host").map(String::as_str),
        Some("web-1"),
        "labels"
    );
    assert_eq!(
        value.config,
        Some(json!({"displayName": "cpu", "unit": "percent"}))
    );
    let meta = |r: &str| frames(&js[r])[0].meta.clone().unwrap()["executedQueryString"].clone();
    assert_eq!(
        meta("text"),
        json!(format!(
            "/query?metric=mem&from={FROM}&to={TO}&aggregation=avg&interval=1000"
        ))
    );
    assert_eq!(
        meta("encoded"),
        json!(format!(
            "/query?metric=cpu%20load%2F1m&from={FROM}&to={TO}&interval=1m"
        ))
    );
    assert_eq!(
        meta("float-interval"),
        json!(format!(
            "/query?metric=m&from={FROM}&to={TO}&interval=1500.0"
        ))
    );
    let expect_error = |r: &str, status: i32, source: &str, text: &str| {
        let resp = &py[r];
        assert_eq!(
            (resp.status, resp.error_source.as_str()),
            (status, source),
            "{r}: {}",
            resp.error
        );
        assert!(resp.error.contains(text), "{r}: {}", resp.error);
    };
    expect_error(
        "down",
        502,
        "downstream",
        "API answered 503 Service Unavailable for /query?metric=down",
    );
    expect_error(
        "malformed",
        502,
        "downstream",
        "response from /query: response is not valid JSON: key must be a string at line 1 column 2",
    );
    expect_error(
        "mismatch",
        502,
        "downstream",
        "response from /query has 3 timestamps but 2 values",
    );
    expect_error(
        "no-metric",
        400,
        "plugin",
        "the query names no metric: set metricName (or queryText)",
    );
    expect_error(
        "mistyped",
        400,
        "plugin",
        "invalid type: integer `5`, expected a string at line 1 column 15",
    );
    expect_error(
        "bad-interval",
        400,
        "plugin",
        "data did not match any variant of untagged enum Scalar",
    );
    // The redirect leads to a host the datasource does not allow: the host refuses the hop.
    expect_error("redirect", 403, "downstream", "is not allowed");
    expect_error(
        "bad-aggregation",
        400,
        "plugin",
        "aggregation must be one of avg, min, max, sum, not \"median\"",
    );
    expect_error(
        "bad-aggregation-controls",
        400,
        "plugin",
        "aggregation must be one of avg, min, max, sum, not \"Sum\\\"\\u{1f}\"",
    );
    expect_error(
        "aggregation-no-metric",
        400,
        "plugin",
        "the query names no metric",
    );
    assert_eq!(
        frames(&js["aggregation-spaces"])[0].meta.clone().unwrap()["executedQueryString"],
        json!(format!(
            "/query?metric=cpu%EF%BB%BF&from={FROM}&to={TO}&aggregation=sum"
        ))
    );
    assert!(
        elsewhere.seen().is_empty(),
        "a module reached the host the redirect pointed to"
    );

    // The host attached the bearer token (declared, never seen by the modules) to every request.
    let seen = api.seen();
    assert!(seen.len() >= 3 * 8, "{} requests", seen.len());
    for (path, auth) in &seen {
        assert_eq!(
            auth.as_deref(),
            Some(format!("Bearer {KEY}").as_str()),
            "{path}"
        );
    }

    // -- health: OK, failures, settings errors; the same message in every language
    let ok = pb::check_health_response::HealthStatus::Ok as i32;
    let error = pb::check_health_response::HealthStatus::Error as i32;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let cases: Vec<HealthCase<'_>> = vec![
        (
            "ok",
            Box::new(|m| api_ctx(m, "h-ok", &api.url(), KEY)),
            ok,
            format!("API reachable at {}", api.url()),
        ),
        (
            "500",
            Box::new(|m| api_ctx(m, "h-500", &failing.url(), KEY)),
            error,
            "API answered 500 Internal Server Error for /health: database unavailable".into(),
        ),
        (
            "401",
            Box::new(|m| api_ctx(m, "h-401", &api.url(), "wrong")),
            error,
            "API refused the credentials (401)".into(),
        ),
        (
            "refused",
            Box::new(move |m| api_ctx(m, "h-refused", &format!("http://{closed}"), KEY)),
            error,
            format!("connection refused by {closed}"),
        ),
        (
            "no-endpoint",
            Box::new(|m| {
                ctx_with_secrets(
                    &format!("h-none-{m}"),
                    json!({"module": m, "memoryLimitMb": MEMORY_LIMIT_MB}),
                    &[],
                )
            }),
            error,
            "jsonData.endpoint is required: the base URL of the metrics API".into(),
        ),
        (
            "query-string",
            Box::new(|m| {
                ctx_with_secrets(
                    &format!("h-query-{m}"),
                    json!({"module": m, "endpoint": "http://127.0.0.1:9/?k=v", "memoryLimitMb": MEMORY_LIMIT_MB}),
                    &[],
                )
            }),
            error,
            "jsonData.endpoint \"http://127.0.0.1:9/?k=v\" must not have a query string".into(),
        ),
    ];
    for (name, ctx, status, message) in &cases {
        let (rust, py, js) = tokio::join!(
            p.health(ctx(LANGS[0])),
            p.health(ctx(LANGS[1])),
            p.health(ctx(LANGS[2]))
        );
        assert_eq!(rust.status, *status, "{name}: {}", rust.message);
        assert!(
            rust.message.contains(message.as_str()),
            "{name}: {}",
            rust.message
        );
        // The host names the datasource, whose uid differs per language.
        let blank = |module: &str, message: &str| message.replace(&format!("-{module}\""), "-*\"");
        for (lang, got) in [(LANGS[1], &py), (LANGS[2], &js)] {
            assert_eq!(
                (got.status, blank(lang, &got.message)),
                (rust.status, blank(RUST, &rust.message)),
                "{lang} health {name}"
            );
        }
    }

    // -- resources
    for module in LANGS {
        let r = p
            .resource(api_ctx(module, "q", &api.url(), KEY), "GET", "metrics", b"")
            .await;
        assert_eq!(r[0].code, 404, "{module}");
        assert_eq!(r[0].body, br#"{"error":"no resource metrics"}"#, "{module}");
    }

    // -- streams: each tick reads /latest; the frames have the same shape in every language, on
    // the descriptor's latest/{metric} and the older metric/{metric}
    let mut shapes = Vec::new();
    for (module, path) in LANGS
        .iter()
        .flat_map(|m| [(*m, "latest/cpu/100"), (*m, "metric/cpu/100")])
    {
        let before = api.latest_calls();
        let mut packets = p
            .run_stream(api_ctx(module, "s", &api.url(), KEY), path)
            .await;
        let mut values = Vec::new();
        let mut schema = None;
        while values.len() < 2 {
            let packet = tokio::time::timeout(Duration::from_secs(60), packets.next())
                .await
                .expect("a tick arrives")
                .unwrap()
                .unwrap();
            let v: serde_json::Value = serde_json::from_slice(&packet.data).unwrap();
            // The first packet carries the schema (the initial frame), later ones data only.
            if !v["schema"].is_null() && schema.is_none() {
                schema = Some(v["schema"].clone());
            }
            if let Some(value) = v["data"]["values"][1][0].as_f64() {
                values.push(value);
            }
        }
        drop(packets);
        assert!(values[0] < values[1], "{module} {path}: {values:?}");
        assert!(api.latest_calls() >= before + 2, "{module} {path}");
        shapes.push((
            module,
            path,
            schema.expect("a packet with the frame's schema"),
        ));
    }
    let (_, _, want) = &shapes[0];
    assert_eq!(want["name"], json!("cpu"), "{want}");
    assert_eq!(want["fields"][1]["name"], json!("value"), "{want}");
    for (module, path, shape) in &shapes[1..] {
        assert_eq!(shape, want, "{module}'s stream frames on {path}");
    }
    eprintln!(
        "polyglot: all checks in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
