//! Module versions through the real executable: a new version serves only after every
//! datasource on it accepted it (instance created, health no worse than the running version's);
//! a refused version never serves, not even for datasources created afterwards; pins hold;
//! rollback; streams follow a rollout at their next tick; idle instances end.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio_stream::StreamExt as _;

use super::harness::*;

const FAST_POLL: (&str, &str) = ("GF_PLUGIN_MODULE_POLL_INTERVAL_MS", "100");

pub fn sha256(bytes: &[u8]) -> String {
    quarry_host::runtime::sha256_hex(bytes)
}

pub fn module_bytes(name: &str) -> Vec<u8> {
    std::fs::read(built_modules().join(format!("{name}.wasm"))).expect("built module")
}

/// Waits for something the plugin does in the background (a rollout, a disposal); the limit
/// only stops a broken build from hanging the suite, nothing is asserted about the time taken.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..600 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never happened: {what}");
}

pub async fn resource_json(
    p: &Plugin,
    ctx: pb::PluginContext,
    method: &str,
    path: &str,
) -> (i32, Value) {
    let r = p.resource(ctx, method, path, b"").await;
    (
        r[0].code,
        serde_json::from_slice(&r[0].body).unwrap_or(Value::Null),
    )
}

pub async fn status(p: &Plugin, ctx: pb::PluginContext) -> Value {
    resource_json(p, ctx, "GET", "_quarry/status").await.1
}

/// The first frame's name, or the query's error.
pub async fn answer(p: &Plugin, ctx: pb::PluginContext) -> String {
    let r = p
        .query(
            ctx,
            vec![query(
                "A",
                json!({"attack": "ok", "scenario": "sine"}),
                0,
                60_000,
                1000,
            )],
        )
        .await;
    if r["A"].error.is_empty() {
        frames(&r["A"])[0].name.clone()
    } else {
        format!("error: {}", r["A"].error)
    }
}

fn with_role(mut c: pb::PluginContext, role: &str) -> pb::PluginContext {
    c.user.as_mut().expect("harness sends a user").role = role.into();
    c
}

#[tokio::test]
async fn a_version_failing_its_health_check_never_serves_not_even_new_datasources() {
    let p = Plugin::start_with_env(&[FAST_POLL]).await;
    let synthetic = module_bytes("synthetic");
    let hostile = module_bytes("hostile");
    write_file(&p.module_path("live"), &synthetic);
    // Settings under which the new version (hostile) fails its health check and the running
    // one (synthetic, which ignores the key) passes.
    let a = || {
        ctx(
            "roll-a",
            json!({"module": "live", "hostileHealth": "fail"}),
            1,
        )
    };
    assert_eq!(answer(&p, a()).await, "series-0");

    write_file(&p.module_path("live"), &hostile);
    eventually("the new version is refused", || async {
        !status(&p, a()).await["rejected"].is_null()
    })
    .await;
    let s = status(&p, a()).await;
    let reason = s["rejected"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("roll-a")
            && reason.contains("health check failed")
            && reason.contains("hostileHealth"),
        "{s}"
    );
    assert_eq!(s["rejected"]["sha256"], sha256(&hostile));
    assert_eq!(s["running"]["sha256"], sha256(&synthetic));
    assert_eq!(
        answer(&p, a()).await,
        "series-0",
        "the old version serves on"
    );

    // A datasource created after the bad version landed gets the good one.
    let b = || ctx("roll-b", json!({"module": "live"}), 1);
    assert_eq!(answer(&p, b()).await, "series-0");

    // Health says which version runs and which was refused, in the message and the details.
    let h = p.health(a()).await;
    assert!(h.message.contains("could not be loaded"), "{}", h.message);
    let details: Value = serde_json::from_slice(&h.json_details).unwrap();
    assert_eq!(details["quarry"]["module"], "live");
    assert_eq!(details["quarry"]["running"]["sha256"], sha256(&synthetic));
    assert_eq!(details["quarry"]["rejected"]["sha256"], sha256(&hostile));
    p.sibling_query("roll-sibling").await;
}

#[tokio::test]
async fn a_version_that_refuses_a_datasources_settings_is_refused_for_all() {
    let p = Plugin::start_with_env(&[FAST_POLL]).await;
    write_file(&p.module_path("live"), &module_bytes("synthetic"));
    let picky = || {
        ctx(
            "picky",
            json!({"module": "live", "hostileCreate": "fail"}),
            1,
        )
    };
    let plain = || ctx("plain", json!({"module": "live"}), 1);
    assert_eq!(answer(&p, picky()).await, "series-0");
    assert_eq!(answer(&p, plain()).await, "series-0");

    write_file(&p.module_path("live"), &module_bytes("hostile"));
    eventually("the new version is refused", || async {
        !status(&p, plain()).await["rejected"].is_null()
    })
    .await;
    let s = status(&p, plain()).await;
    let reason = s["rejected"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("picky") && reason.contains("creating the module instance failed"),
        "{s}"
    );
    // One datasource refusing it keeps it from every datasource on the module.
    assert_eq!(answer(&p, plain()).await, "series-0");
    assert_eq!(answer(&p, picky()).await, "series-0");
}

#[tokio::test]
async fn a_good_version_moves_every_datasource_at_once_and_can_be_rolled_back() {
    let p = Plugin::start_with_env(&[FAST_POLL]).await;
    let synthetic = module_bytes("synthetic");
    let hostile = module_bytes("hostile");
    write_file(&p.module_path("live"), &synthetic);
    let a = || ctx("move-a", json!({"module": "live"}), 1);
    let b = || ctx("move-b", json!({"module": "live"}), 1);
    assert_eq!(answer(&p, a()).await, "series-0");
    assert_eq!(answer(&p, b()).await, "series-0");
    let gauge = format!(
        "quarry_module_version_instances{{module=\"live\",sha256=\"{}\"}} 2",
        sha256(&synthetic)
    );
    assert!(p.metrics().await.contains(&gauge), "{}", p.metrics().await);

    let (code, body) = resource_json(&p, a(), "POST", "_quarry/rollback").await;
    assert_eq!(code, 409, "nothing to roll back to yet: {body}");

    write_file(&p.module_path("live"), &hostile);
    eventually("the new version serves", || async {
        answer(&p, a()).await == "ok"
    })
    .await;
    // Both datasources moved together.
    assert_eq!(answer(&p, b()).await, "ok");
    let (code, list) = resource_json(&p, a(), "GET", "_quarry/instances").await;
    assert_eq!(code, 200);
    let instances = list["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 2, "{list}");
    for i in instances {
        assert_eq!(i["module"], "live");
        assert_eq!(i["sha256"], sha256(&hostile));
        assert_eq!(i["previous"], sha256(&synthetic));
    }

    // Only org admins may roll back or list instances.
    let (code, body) =
        resource_json(&p, with_role(a(), "Viewer"), "POST", "_quarry/rollback").await;
    assert_eq!(code, 403, "{body}");
    let (code, _) = resource_json(&p, with_role(a(), "Editor"), "GET", "_quarry/instances").await;
    assert_eq!(code, 403);

    let (code, body) = resource_json(&p, a(), "POST", "_quarry/rollback").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["from"]["sha256"], sha256(&hostile));
    assert_eq!(body["to"]["sha256"], sha256(&synthetic));
    assert_eq!(answer(&p, a()).await, "series-0");
    assert_eq!(answer(&p, b()).await, "series-0");
    // The file still holds the version rolled back from: it is not rolled out again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(answer(&p, b()).await, "series-0");
    let s = status(&p, b()).await;
    assert!(
        s["rejected"]["reason"]
            .as_str()
            .unwrap()
            .contains("rolled back"),
        "{s}"
    );
}

#[tokio::test]
async fn a_pinned_module_file_that_changes_is_refused() {
    let p = Plugin::start_with_env(&[FAST_POLL]).await;
    let synthetic = module_bytes("synthetic");
    write_file(&p.module_path("pinned"), &synthetic);
    let pin = format!("pinned@sha256:{}", sha256(&synthetic));
    let pinned = || ctx("pinned", json!({ "module": pin }), 1);
    assert_eq!(answer(&p, pinned()).await, "series-0");

    let wrong = ctx(
        "wrong-pin",
        json!({ "module": format!("synthetic@sha256:{}", "0".repeat(64)) }),
        1,
    );
    let err = answer(&p, wrong).await;
    assert!(err.contains("pins sha256:0000"), "{err}");

    write_file(&p.module_path("pinned"), &module_bytes("hostile"));
    eventually("the changed file is refused", || async {
        !status(&p, pinned()).await["rejected"].is_null()
    })
    .await;
    let s = status(&p, pinned()).await;
    assert!(
        s["rejected"]["reason"].as_str().unwrap().contains("pins"),
        "{s}"
    );
    assert_eq!(answer(&p, pinned()).await, "series-0");
    let other = ctx("pinned-too", json!({ "module": pin }), 1);
    assert_eq!(answer(&p, other).await, "series-0");
}

#[tokio::test]
async fn a_running_stream_moves_to_the_new_version_at_its_next_tick() {
    let p = Plugin::start_with_env(&[FAST_POLL]).await;
    write_file(&p.module_path("live"), &module_bytes("synthetic"));
    let c = ctx("streaming", json!({"module": "live"}), 1);
    let mut packets = p.run_stream(c, "sine/50").await;
    let mut names = Vec::new();
    let mut swapped = false;
    while !names.iter().any(|n| n == "ok") {
        let packet = tokio::time::timeout(Duration::from_secs(60), packets.next())
            .await
            .expect("ticks keep coming")
            .expect("the stream goes on")
            .expect("a packet");
        let v: Value = serde_json::from_slice(&packet.data).unwrap();
        if let Some(name) = v["schema"]["name"].as_str() {
            names.push(name.to_string());
        }
        if !swapped {
            write_file(&p.module_path("live"), &module_bytes("hostile"));
            swapped = true;
        }
    }
    assert_ne!(
        names[0], "ok",
        "the stream started on the old version: {names:?}"
    );
}

#[tokio::test]
async fn a_datasource_stream_cap_holds_across_a_rollout() {
    let p = Plugin::start_with_env(&[FAST_POLL]).await;
    write_file(&p.module_path("capped"), &module_bytes("synthetic"));
    let c = || {
        ctx(
            "capped-streams",
            json!({"module": "capped", "maxStreams": 1}),
            1,
        )
    };
    // One tick a minute: the stream is still on the old version, holding the datasource's one
    // stream slot, when the new version starts serving.
    let mut first = p.run_stream(c(), "sine/60000").await;
    first
        .message()
        .await
        .expect("the first stream runs")
        .expect("its first packet");
    write_file(&p.module_path("capped"), &module_bytes("hostile"));
    eventually("the new version serves", || async {
        answer(&p, c()).await == "ok"
    })
    .await;
    let refused = match p.try_run_stream(c(), "ok").await {
        Err(status) => status,
        Ok(_) => panic!("a second stream of a datasource capped at 1 ran on the new version"),
    };
    assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
    assert!(
        refused
            .message()
            .contains("already runs 1 streams (jsonData.maxStreams)"),
        "{}",
        refused.message()
    );
    // Cancelled, the old version's stream gives the datasource its slot back.
    drop(first);
    eventually("the slot is free again", || async {
        p.try_run_stream(c(), "ok").await.is_ok()
    })
    .await;
}

#[tokio::test]
async fn a_rollout_goes_through_while_the_datasources_call_slots_stay_busy() {
    let p = Plugin::start_with_env(&[FAST_POLL]).await;
    let synthetic = module_bytes("synthetic");
    write_file(&p.module_path("busy"), &module_bytes("hostile"));
    let c = || {
        ctx(
            "busy-slots",
            json!({"module": "busy", "maxConcurrentCalls": 1, "callTimeoutMs": 3000}),
            1,
        )
    };
    assert_eq!(answer(&p, c()).await, "ok");
    let done = AtomicBool::new(false);
    // Six callers keep the datasource's one call slot taken, each call holding it for nearly
    // the whole call timeout, with more calls queued for it than fit in a call's deadline, for
    // as long as the old version serves. Creating and
    // health-checking the new version must not wait for that slot.
    let hold = || async {
        while !done.load(Ordering::Relaxed) {
            let model = json!({"attack": "hold_memory", "mb": 1, "ms": 2900});
            p.query(c(), vec![query("H", model, 0, 1000, 1000)]).await;
        }
    };
    let roll = async {
        write_file(&p.module_path("busy"), &synthetic);
        eventually("the new version serves", || async {
            status(&p, c()).await["running"]["sha256"] == json!(sha256(&synthetic))
        })
        .await;
        done.store(true, Ordering::Relaxed);
    };
    tokio::join!(hold(), hold(), hold(), hold(), hold(), hold(), roll);
    let s = status(&p, c()).await;
    assert!(s["rejected"].is_null(), "{s}");
    assert_eq!(answer(&p, c()).await, "series-0");
}

#[tokio::test]
async fn an_idle_instance_is_disposed_and_created_again_on_the_next_query() {
    let p = Plugin::start_with_env(&[FAST_POLL, ("GF_PLUGIN_IDLE_INSTANCE_TTL_S", "1")]).await;
    let c = || synthetic_ctx("idle");
    let disposals = |p: &Plugin| {
        p.logs()
            .iter()
            .filter(|l| {
                l.to_string()
                    .contains("datasource instance idle: disposing it")
            })
            .count()
    };
    assert_eq!(answer(&p, c()).await, "series-0");
    eventually("the idle instance is disposed", || async {
        disposals(&p) >= 1
    })
    .await;
    assert_eq!(active_instances(&p.metrics().await), 0.0);
    // The next query creates it again, and it too ends when left idle.
    assert_eq!(answer(&p, c()).await, "series-0");
    eventually("the new instance is disposed in turn", || async {
        disposals(&p) >= 2
    })
    .await;
}

/// `quarry_active_instances`.
fn active_instances(text: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix("quarry_active_instances "))
        .and_then(|v| v.trim().parse().ok())
        .expect("quarry_active_instances in the metrics")
}
