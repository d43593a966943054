//! The `hostile` module's attacks, one test each: every one is a per-query error naming the
//! cause, the plugin keeps serving, and sibling queries succeed.

use serde_json::json;

use super::harness::*;

fn hostile_ctx(uid: &str) -> pb::PluginContext {
    hostile_ctx_mem(uid, 64)
}

fn hostile_ctx_mem(uid: &str, memory_mb: u32) -> pb::PluginContext {
    ctx(
        uid,
        json!({"module": "hostile", "callTimeoutMs": 1500, "memoryLimitMb": memory_mb}),
        1,
    )
}

/// Runs `attack` next to an `ok` sibling, checks the attack's error, then checks that a later
/// query on the same datasource still works.
async fn attack(p: &Plugin, name: &str) -> pb::DataResponse {
    attack_with_memory(p, name, 64).await
}

async fn attack_with_memory(p: &Plugin, name: &str, memory_mb: u32) -> pb::DataResponse {
    let uid = format!("hostile-{name}");
    let hostile_ctx = |uid: &str| hostile_ctx_mem(uid, memory_mb);
    let resp = p
        .query(
            hostile_ctx(&uid),
            vec![
                query("BAD", json!({"attack": name}), 0, 1000, 1000),
                query("OK", json!({"attack": "ok"}), 0, 1000, 1000),
            ],
        )
        .await;
    assert_eq!(
        frames(&resp["OK"])[0].name,
        "ok",
        "sibling of {name} succeeds"
    );
    let after = p
        .query(
            hostile_ctx(&uid),
            vec![query("N", json!({"attack": "ok"}), 0, 1000, 1000)],
        )
        .await;
    assert_eq!(
        frames(&after["N"])[0].name,
        "ok",
        "next query after {name} succeeds"
    );
    let bad = resp["BAD"].clone();
    assert!(!bad.error.is_empty(), "{name} must fail");
    assert!(bad.frames.is_empty());
    bad
}

#[tokio::test]
async fn trap_is_a_query_error() {
    let p = Plugin::start().await;
    let r = attack(&p, "trap").await;
    assert_eq!((r.status, r.error_source.as_str()), (500, "plugin"));
    assert!(
        r.error.contains("module hostile crashed") && r.error.contains("unreachable"),
        "{}",
        r.error
    );
}

#[tokio::test]
async fn panic_message_reaches_the_user() {
    let p = Plugin::start().await;
    let r = attack(&p, "panic").await;
    assert!(
        r.error.contains("crashed") && r.error.contains("hostile panic"),
        "{}",
        r.error
    );
}

#[tokio::test]
async fn busy_loop_is_stopped_at_the_deadline() {
    let p = Plugin::start().await;
    let r = attack(&p, "busy_loop").await;
    assert_eq!(r.status, 504);
    assert!(
        r.error.contains("did not answer within 1500 ms"),
        "{}",
        r.error
    );
}

#[tokio::test]
async fn memory_bomb_hits_the_memory_limit() {
    let p = Plugin::start().await;
    let r = attack(&p, "memory_bomb").await;
    assert!(
        r.error.contains("exceeded its memory budget of 64.0 MiB")
            && r.error.contains("jsonData.memoryLimitMb"),
        "{}",
        r.error
    );
}

#[tokio::test]
async fn unequal_field_lengths_are_refused() {
    let p = Plugin::start().await;
    let r = attack(&p, "bad_frame").await;
    assert!(
        r.error.contains("invalid output") && r.error.contains("equal length"),
        "{}",
        r.error
    );
}

#[tokio::test]
async fn meta_grafana_would_reject_is_refused() {
    let p = Plugin::start().await;
    let r = attack(&p, "bad_meta").await;
    assert!(
        r.error.contains("invalid output") && r.error.contains("critical"),
        "{}",
        r.error
    );
}

#[tokio::test]
async fn too_many_frames_are_refused() {
    let p = Plugin::start().await;
    let r = attack(&p, "too_many_frames").await;
    assert!(
        r.error.contains("invalid output") && r.error.contains("frames"),
        "{}",
        r.error
    );
}

#[tokio::test]
async fn huge_strings_are_refused() {
    let p = Plugin::start().await;
    // Enough memory to build the 64 MiB string: the host's output checks must refuse it.
    let r = attack_with_memory(&p, "huge_string", 256).await;
    assert!(
        r.error.contains("invalid output") && r.error.contains("too long"),
        "{}",
        r.error
    );
}

#[tokio::test]
async fn log_floods_are_capped_and_tagged() {
    let p = Plugin::start().await;
    let resp = p
        .query(
            hostile_ctx("flood"),
            vec![query("A", json!({"attack": "log_flood"}), 0, 1000, 1000)],
        )
        .await;
    assert_eq!(frames(&resp["A"])[0].name, "ok");
    let logs = p.logs();
    let from_module: Vec<_> = logs
        .iter()
        .filter(|l| l["module"] == "hostile" && l["dsUid"] == "flood" && l["@level"] == "info")
        .collect();
    assert!(
        !from_module.is_empty(),
        "module logs carry dsUid and module"
    );
    assert_eq!(from_module.len(), 1000, "log lines capped at 1000 per call");
    assert!(logged(&logs, "log budget"), "the cap is reported");
}
