//! CheckHealth, CollectMetrics, CallResource and the Stream service through the real binary.

use std::time::Duration;

use serde_json::json;
use tokio_stream::StreamExt;

use super::harness::*;

#[tokio::test]
async fn health_reports_ok_and_each_failure_with_its_cause() {
    let p = Plugin::start().await;
    let ok = p.health(synthetic_ctx("h-ok")).await;
    assert_eq!(
        ok.status,
        pb::check_health_response::HealthStatus::Ok as i32
    );
    assert_eq!(ok.message, "synthetic module ready: 4 scenarios");

    let error = pb::check_health_response::HealthStatus::Error as i32;
    let failing = p
        .health(ctx(
            "h-fail",
            json!({"module": "synthetic", "healthFail": true}),
            1,
        ))
        .await;
    assert_eq!(
        (failing.status, failing.message.as_str()),
        (error, "health failure requested by settings")
    );

    let missing = p
        .health(ctx("h-missing", json!({"module": "nope"}), 1))
        .await;
    assert_eq!(missing.status, error);
    assert!(
        missing.message.contains("module \"nope\" not found")
            && missing.message.contains("nope.wasm"),
        "{}",
        missing.message
    );

    let none = p.health(ctx("h-none", json!({"url": "x"}), 1)).await;
    assert_eq!(none.status, error);
    assert!(none.message.contains("names no module"), "{}", none.message);

    let create = p
        .health(ctx(
            "h-create",
            json!({"module": "synthetic", "failCreate": true}),
            1,
        ))
        .await;
    assert_eq!(create.status, error);
    assert!(
        create
            .message
            .contains("instance creation failure requested by settings"),
        "{}",
        create.message
    );
}

#[tokio::test]
async fn metrics_count_requests_per_endpoint_and_module() {
    let p = Plugin::start().await;
    let q = query("A", json!({}), 0, 60_000, 1000);
    p.query(synthetic_ctx("m"), vec![q.clone()]).await;
    p.query(synthetic_ctx("m"), vec![q]).await;
    p.health(synthetic_ctx("m")).await;
    let r = p
        .process
        .diagnostics()
        .collect_metrics(pb::CollectMetricsRequest {
            plugin_context: None,
        })
        .await
        .unwrap()
        .into_inner();
    let text = String::from_utf8(r.metrics.unwrap().prometheus).unwrap();
    assert!(
        text.contains("quarry_requests_total{endpoint=\"queryData\",module=\"synthetic\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("quarry_requests_total{endpoint=\"checkHealth\",module=\"synthetic\"} 1"),
        "{text}"
    );
    assert!(
        text.contains(
            "quarry_request_duration_seconds_count{endpoint=\"queryData\",module=\"synthetic\"} 2"
        ),
        "{text}"
    );
    assert!(text.contains("quarry_active_instances 1"), "{text}");
    // Every sample line is `name{labels} number`.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "bad sample line {line:?}");
    }
}

#[tokio::test]
async fn resources_answer_through_the_resource_stream() {
    let p = Plugin::start().await;
    let list = p
        .resource(synthetic_ctx("r"), "GET", "scenarios", b"")
        .await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].code, 200);
    let names: serde_json::Value = serde_json::from_slice(&list[0].body).unwrap();
    assert_eq!(names, json!(["random_walk", "sine", "all_types", "error"]));

    let echo = p
        .resource(synthetic_ctx("r"), "POST", "echo", b"hello body")
        .await;
    assert_eq!(
        (echo[0].code, echo[0].body.as_slice()),
        (200, &b"hello body"[..])
    );

    let missing = p.resource(synthetic_ctx("r"), "GET", "nowhere", b"").await;
    assert_eq!(missing[0].code, 404);
}

#[tokio::test]
async fn subscribe_and_publish_follow_the_module() {
    let p = Plugin::start().await;
    let sub = |path: &str| pb::SubscribeStreamRequest {
        plugin_context: Some(synthetic_ctx("s")),
        path: path.into(),
        ..Default::default()
    };
    let ok = p
        .process
        .stream()
        .subscribe_stream(sub("random_walk/50"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.status, pb::subscribe_stream_response::Status::Ok as i32);
    let initial: serde_json::Value =
        serde_json::from_slice(&ok.data).expect("initial data is frame JSON");
    assert_eq!(initial["schema"]["fields"][0]["name"], "time");
    assert_eq!(initial["schema"]["fields"][1]["name"], "value");

    let missing = p
        .process
        .stream()
        .subscribe_stream(sub("no/such/path"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        missing.status,
        pb::subscribe_stream_response::Status::NotFound as i32
    );

    let publish = |path: &str| pb::PublishStreamRequest {
        plugin_context: Some(synthetic_ctx("s")),
        path: path.into(),
        data: br#"{"x":1}"#.to_vec(),
        ..Default::default()
    };
    let echoed = p
        .process
        .stream()
        .publish_stream(publish("echo"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        echoed.status,
        pb::publish_stream_response::Status::Ok as i32
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&echoed.data).unwrap(),
        json!({"x": 1})
    );
    let denied = p
        .process
        .stream()
        .publish_stream(publish("random_walk"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        denied.status,
        pb::publish_stream_response::Status::PermissionDenied as i32
    );
}

#[tokio::test]
async fn run_stream_delivers_ticks_and_stops_when_cancelled() {
    let p = Plugin::start().await;
    let mut packets = p.run_stream(synthetic_ctx("run"), "random_walk/20").await;
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let packet = packets.next().await.expect("stream open").expect("packet");
        seen.push(
            serde_json::from_slice::<serde_json::Value>(&packet.data).expect("packet is JSON"),
        );
    }
    // First packet carries the schema, later ones data only; one row per tick.
    assert!(seen[0].get("schema").is_some(), "{}", seen[0]);
    for later in &seen[1..] {
        assert!(later.get("schema").is_none(), "{later}");
        assert_eq!(later["data"]["values"][0].as_array().unwrap().len(), 1);
    }
    let t = |v: &serde_json::Value| v["data"]["values"][0][0].as_i64().unwrap();
    assert!(t(&seen[1]) < t(&seen[3]), "ticks move forward in time");

    drop(packets); // Grafana cancels the call when the last subscriber leaves.
    let mut stopped = false;
    for _ in 0..100 {
        if logged(&p.logs(), "stream stopped") {
            stopped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        stopped,
        "the stream task did not stop after cancellation: {:?}",
        p.process.stderr_lines()
    );
}
