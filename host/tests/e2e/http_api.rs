//! The `http-api` module against a fake metrics API, through the real binary: values, health
//! failures, the host's allow-list (redirects included), timeouts, credentials the module never
//! sees, and streaming from `/latest`.

use std::time::Duration;

use quarry_frame::Column;
use serde_json::json;
use tokio_stream::StreamExt;

use super::fake_api::{FakeApi, Health};
use super::harness::*;

const KEY: &str = "test-key-8f2a";
const FROM: i64 = 1_700_000_000_000;
const TO: i64 = FROM + 60_000;

fn api_ctx(uid: &str, api: &FakeApi, extra: serde_json::Value) -> pb::PluginContext {
    let mut json_data = json!({"module": "http-api", "endpoint": api.url(), "timeout": 2});
    json_data
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    ctx_with_secrets(uid, json_data, &[("apiKey", KEY)])
}

fn metric(name: &str) -> pb::DataQuery {
    query("A", json!({"metricName": name}), FROM, TO, 1000)
}

#[tokio::test]
async fn query_returns_values_labels_and_config_and_the_token_reaches_the_api() {
    let api = FakeApi::start(KEY, Health::Ok, None).await;
    let p = Plugin::start().await;
    let resp = p
        .query(api_ctx("api-query", &api, json!({})), vec![metric("cpu")])
        .await;
    let frames = frames(&resp["A"]);
    let f = &frames[0];
    assert_eq!(f.name, "cpu");
    let meta = f.meta.as_ref().unwrap();
    assert_eq!(meta["type"], "timeseries-multi");
    assert_eq!(
        meta["executedQueryString"],
        format!("/query?metric=cpu&from={FROM}&to={TO}")
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
    assert_eq!(value.labels.get("host").map(String::as_str), Some("web-1"));
    let config = value.config.as_ref().unwrap();
    assert_eq!(
        (config["displayName"].as_str(), config["unit"].as_str()),
        (Some("cpu"), Some("percent"))
    );

    let seen = api.seen();
    assert!(!seen.is_empty());
    for (path, auth) in &seen {
        assert_eq!(
            auth.as_deref(),
            Some(format!("Bearer {KEY}").as_str()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_module_never_receives_secrets_it_did_not_declare() {
    let api = FakeApi::start(KEY, Health::Ok, None).await;
    let p = Plugin::start().await;
    // http-api declares apiKey as a bearer token: the host attaches it, the module cannot read it.
    let r = p
        .resource(
            api_ctx("api-secret", &api, json!({})),
            "GET",
            "settings",
            b"",
        )
        .await;
    assert!(!String::from_utf8_lossy(&r[0].body).contains(KEY));
    // A module that tries to read every secret it was given sees none.
    let spy = ctx_with_secrets(
        "spy",
        json!({"module": "hostile"}),
        &[("apiKey", KEY), ("password", "hunter2")],
    );
    let resp = p
        .query(
            spy,
            vec![query("S", json!({"attack": "read_secrets"}), 0, 1000, 1000)],
        )
        .await;
    let frames = frames(&resp["S"]);
    assert_eq!(
        frames[0].fields[0].values,
        Column::String(vec![]),
        "secrets leaked to the module"
    );
}

#[tokio::test]
async fn health_says_exactly_what_failed() {
    let p = Plugin::start().await;
    let ok_api = FakeApi::start(KEY, Health::Ok, None).await;
    let h = p.health(api_ctx("h-ok", &ok_api, json!({}))).await;
    assert_eq!(
        h.status,
        pb::check_health_response::HealthStatus::Ok as i32,
        "{}",
        h.message
    );
    assert!(h.message.contains(&ok_api.url()), "{}", h.message);

    let error = pb::check_health_response::HealthStatus::Error as i32;
    let wrong_key = ctx_with_secrets(
        "h-401",
        json!({"module": "http-api", "endpoint": ok_api.url()}),
        &[("apiKey", "wrong")],
    );
    let h = p.health(wrong_key).await;
    assert_eq!(h.status, error);
    assert!(h.message.contains("401"), "{}", h.message);

    let failing = FakeApi::start(KEY, Health::Failing, None).await;
    let h = p.health(api_ctx("h-500", &failing, json!({}))).await;
    assert_eq!(h.status, error);
    assert!(h.message.contains("500"), "{}", h.message);

    let slow = FakeApi::start(KEY, Health::Slow, None).await;
    let h = p
        .health(api_ctx("h-slow", &slow, json!({"timeout": 1})))
        .await;
    assert_eq!(h.status, error);
    assert!(
        h.message.contains("within 1 s")
            || h.message.contains("timed out")
            || h.message.contains("timeout"),
        "{}",
        h.message
    );

    // A 64-character DNS label cannot be resolved; the resolver refuses it without sending
    // anything, so this test makes no network traffic.
    let unresolvable = format!("{}.example", "a".repeat(64));
    let dns = ctx_with_secrets(
        "h-dns",
        json!({"module": "http-api", "endpoint": format!("http://{unresolvable}")}),
        &[("apiKey", KEY)],
    );
    let h = p.health(dns).await;
    assert_eq!(h.status, error);
    assert!(
        h.message
            .contains(&format!("cannot resolve host {unresolvable}")),
        "{}",
        h.message
    );

    // Nothing listens on a port we bound and released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let refused = ctx_with_secrets(
        "h-refused",
        json!({"module": "http-api", "endpoint": format!("http://{closed}")}),
        &[("apiKey", KEY)],
    );
    let h = p.health(refused).await;
    assert_eq!(h.status, error);
    assert!(h.message.contains("refused"), "{}", h.message);
}

#[tokio::test]
async fn hosts_outside_the_allow_list_are_refused() {
    let api = FakeApi::start(KEY, Health::Ok, None).await;
    let other = FakeApi::start(KEY, Health::Ok, None).await;
    let p = Plugin::start().await;
    let uid = "allow-list";
    let settings = ctx_with_secrets(
        uid,
        json!({"module": "hostile", "endpoint": api.url()}),
        &[],
    );
    let fetch = |url: String| {
        vec![query(
            "F",
            json!({"attack": "fetch", "url": url}),
            0,
            1000,
            1000,
        )]
    };

    let allowed = p
        .query(settings.clone(), fetch(format!("{}/health", api.url())))
        .await;
    assert_eq!(
        frames(&allowed["F"])[0].fields[0].values,
        Column::Int64(vec![401]),
        "allowed host reached"
    );

    let refused = p
        .query(settings.clone(), fetch(format!("{}/health", other.url())))
        .await;
    let err = &refused["F"].error;
    assert!(
        err.contains(&format!(
            "host {} (http) is not allowed for datasource \"{uid}\"",
            other.addr
        )),
        "{err}"
    );
    assert!(other.seen().is_empty(), "the disallowed host was contacted");

    // allowedHosts extends the list.
    let extended = ctx_with_secrets(
        "allow-list-2",
        json!({"module": "hostile", "endpoint": api.url(), "allowedHosts": [other.addr.to_string()]}),
        &[],
    );
    let reached = p
        .query(extended, fetch(format!("{}/health", other.url())))
        .await;
    assert!(reached["F"].error.is_empty(), "{}", reached["F"].error);
}

#[tokio::test]
async fn a_redirect_cannot_escape_the_allow_list() {
    let elsewhere = FakeApi::start(KEY, Health::Ok, None).await;
    let api = FakeApi::start(KEY, Health::Ok, Some(elsewhere.url())).await;
    let p = Plugin::start().await;
    let resp = p
        .query(
            api_ctx("redirect", &api, json!({})),
            vec![metric("redirect")],
        )
        .await;
    let err = &resp["A"].error;
    assert!(err.contains("is not allowed"), "{err}");
    assert!(
        elsewhere.seen().is_empty(),
        "the redirect target was contacted (and would have had the token)"
    );
}

#[tokio::test]
async fn the_request_timeout_is_honoured() {
    let api = FakeApi::start(KEY, Health::Ok, None).await;
    let p = Plugin::start().await;
    let resp = p
        .query(
            api_ctx("timeout", &api, json!({"timeout": 1})),
            vec![metric("slow"), metric_ref("B", "cpu")],
        )
        .await;
    let r = &resp["A"];
    assert_eq!(
        (r.status, r.error_source.as_str()),
        (504, "downstream"),
        "{}",
        r.error
    );
    assert_eq!(
        frames(&resp["B"]).len(),
        1,
        "the sibling query is unaffected"
    );
}

fn metric_ref(ref_id: &str, name: &str) -> pb::DataQuery {
    query(ref_id, json!({"metricName": name}), FROM, TO, 1000)
}

#[tokio::test]
async fn api_failures_are_downstream_errors_naming_the_problem() {
    let api = FakeApi::start(KEY, Health::Ok, None).await;
    let p = Plugin::start().await;
    let resp = p
        .query(
            api_ctx("failures", &api, json!({})),
            vec![
                metric_ref("DOWN", "down"),
                metric_ref("BAD", "malformed"),
                metric_ref("MIS", "mismatch"),
            ],
        )
        .await;
    let down = &resp["DOWN"];
    assert_eq!(
        (down.status, down.error_source.as_str()),
        (502, "downstream")
    );
    assert!(down.error.contains("503"), "{}", down.error);
    assert!(resp["BAD"].error.contains("JSON"), "{}", resp["BAD"].error);
    assert_eq!(resp["BAD"].error_source, "downstream");
    assert!(
        resp["MIS"].error.contains("3 timestamps but 2 values"),
        "{}",
        resp["MIS"].error
    );
}

#[tokio::test]
async fn response_size_is_capped_by_the_host() {
    let api = FakeApi::start(KEY, Health::Ok, None).await;
    let p = Plugin::start().await;
    let resp = p
        .query(
            api_ctx("cap", &api, json!({"maxResponseBytes": 16})),
            vec![metric("cpu")],
        )
        .await;
    assert!(
        !resp["A"].error.is_empty(),
        "a response over the cap must fail"
    );
}

#[tokio::test]
async fn stream_ticks_poll_latest() {
    let api = FakeApi::start(KEY, Health::Ok, None).await;
    let p = Plugin::start().await;
    let mut packets = p
        .run_stream(api_ctx("stream", &api, json!({})), "metric/cpu/100")
        .await;
    let mut values = Vec::new();
    while values.len() < 3 {
        let packet = tokio::time::timeout(Duration::from_secs(20), packets.next())
            .await
            .expect("a tick arrives")
            .unwrap()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&packet.data).unwrap();
        values.push(v["data"]["values"][1][0].as_f64().unwrap());
    }
    assert!(
        values.windows(2).all(|w| w[0] < w[1]),
        "each tick reads a fresh /latest: {values:?}"
    );
    assert!(api.latest_calls() >= 3);
}
