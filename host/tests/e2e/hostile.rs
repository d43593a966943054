//! The `hostile` module's attacks (and components crafted where the SDK cannot express one),
//! each through the real executable with a sibling datasource querying at the same time. Every
//! attack must: fail its own query with a message naming the cause or limit; leave the sibling's
//! answers correct (a sibling that ran past its deadline would fail); leave the same plugin
//! process serving; and leave its resident memory within [`RSS_BOUND`] of the baseline taken
//! before the attack.

use serde_json::json;

use super::crafted;
use super::harness::*;

/// How far above its pre-attack baseline the plugin's resident memory may stay after an attack
/// (allocator caches and compiled code the attack touched; the attacks themselves reach 64 MiB
/// to gigabytes).
const RSS_BOUND: u64 = 48 << 20;

fn hostile_ctx_mem(uid: &str, memory_mb: u32) -> pb::PluginContext {
    hostile_ctx_with(uid, memory_mb, 1500)
}

fn hostile_ctx_with(uid: &str, memory_mb: u32, timeout_ms: u32) -> pb::PluginContext {
    ctx(
        uid,
        json!({"module": "hostile", "callTimeoutMs": timeout_ms, "memoryLimitMb": memory_mb}),
        1,
    )
}

/// One attack: its query model, the datasource's memory budget, and what its error must say.
struct Attack {
    model: serde_json::Value,
    memory_mb: u32,
    timeout_ms: u32,
    status: u16,
    says: &'static [&'static str],
}

impl Attack {
    fn new(name: &str, status: u16, says: &'static [&'static str]) -> Attack {
        Attack {
            model: json!({ "attack": name }),
            memory_mb: 64,
            timeout_ms: 1500,
            status,
            says,
        }
    }

    fn with_memory(mut self, mb: u32) -> Attack {
        self.memory_mb = mb;
        self
    }

    /// A longer deadline, for attacks that take the debug-built host a while to stop.
    fn with_timeout(mut self, ms: u32) -> Attack {
        self.timeout_ms = ms;
        self
    }
}

/// Runs `attack` on datasource `uid` while a sibling datasource queries, and checks every
/// promise the sandbox makes. Returns the hostile query's error.
async fn survive(p: &Plugin, uid: &str, attack: Attack) -> String {
    let pid = p.pid();
    let ctx = hostile_ctx_with(uid, attack.memory_mb, attack.timeout_ms);
    // Warm both datasources, then take the baseline.
    let warm = p
        .query(
            ctx.clone(),
            vec![query("W", json!({"attack": "ok"}), 0, 1000, 1000)],
        )
        .await;
    assert_eq!(frames(&warm["W"])[0].name, "ok");
    p.sibling_query("sibling").await;
    let baseline = p.rss_bytes();

    let hostile = p.query(
        ctx.clone(),
        vec![query("BAD", attack.model.clone(), 0, 1000, 1000)],
    );
    let (resp, ()) = tokio::join!(hostile, p.sibling_query("sibling"));
    let bad = &resp["BAD"];
    assert!(bad.frames.is_empty(), "{}: no frames", attack.model);
    assert_eq!(
        bad.status,
        i32::from(attack.status),
        "{}: {}",
        attack.model,
        bad.error
    );
    for needle in attack.says {
        assert!(
            bad.error.contains(needle),
            "{}: {:?} not in {}",
            attack.model,
            needle,
            bad.error
        );
    }
    assert!(
        bad.error.len() <= 20 << 10,
        "{}: the error is cut ({} bytes)",
        attack.model,
        bad.error.len()
    );

    // The same process serves the hostile datasource's next query and the sibling.
    assert_eq!(p.pid(), pid, "the plugin process is the same");
    let after = p
        .query(
            ctx,
            vec![query("N", json!({"attack": "ok"}), 0, 1000, 1000)],
        )
        .await;
    assert_eq!(
        frames(&after["N"])[0].name,
        "ok",
        "{}: next query",
        attack.model
    );
    p.sibling_query("sibling").await;
    let rss = p.rss_bytes();
    assert!(
        rss <= baseline + RSS_BOUND,
        "{}: resident memory {} MiB, baseline {} MiB",
        attack.model,
        rss >> 20,
        baseline >> 20
    );
    bad.error.clone()
}

#[tokio::test]
async fn traps_and_panics_are_query_errors() {
    let p = Plugin::start().await;
    survive(
        &p,
        "h-trap",
        Attack::new("trap", 500, &["module hostile crashed", "unreachable"]),
    )
    .await;
    survive(
        &p,
        "h-panic",
        Attack::new("panic", 500, &["crashed", "hostile panic"]),
    )
    .await;
}

#[tokio::test]
async fn busy_loop_is_stopped_at_the_deadline() {
    let p = Plugin::start().await;
    survive(
        &p,
        "h-busy",
        Attack::new(
            "busy_loop",
            504,
            &["did not answer within 1500 ms", "callTimeoutMs"],
        ),
    )
    .await;
}

#[tokio::test]
async fn memory_bomb_hits_the_budget() {
    let p = Plugin::start().await;
    survive(
        &p,
        "h-bomb",
        Attack::new(
            "memory_bomb",
            500,
            &[
                "exceeded its memory budget of 64.0 MiB",
                "jsonData.memoryLimitMb",
            ],
        ),
    )
    .await;
}

#[tokio::test]
async fn host_side_allocations_count_against_the_budget() {
    // Tens of thousands of live wasi:http header maps live in the host, not in linear memory.
    let p = Plugin::start().await;
    survive(
        &p,
        "h-fields",
        Attack::new(
            "http_fields",
            500,
            &[
                "exceeded its memory budget of 64.0 MiB",
                "held by the host for it",
            ],
        )
        .with_timeout(20_000),
    )
    .await;
}

#[tokio::test]
async fn malformed_frames_are_refused() {
    let p = Plugin::start().await;
    for (name, says) in [
        ("bad_frame", &["invalid output", "equal length"][..]),
        ("bad_meta", &["invalid output", "critical"]),
        ("too_many_frames", &["invalid output", "frames"]),
        (
            "deep_json",
            &["invalid output", "nested too deep", "limit=32"],
        ),
        ("enum_oob", &["invalid output", "enum index 7 has no name"]),
        (
            "many_labels",
            &["invalid output", "too many labels", "limit=128"],
        ),
    ] {
        let says: &'static [&'static str] = Box::leak(says.to_vec().into_boxed_slice());
        survive(&p, &format!("h-{name}"), Attack::new(name, 500, says)).await;
    }
}

#[tokio::test]
async fn oversized_outputs_are_refused_before_parsing() {
    let p = Plugin::start().await;
    // Enough memory to build the output: the host's output checks must refuse it.
    survive(
        &p,
        "h-huge",
        Attack::new("huge_string", 500, &["invalid output", "too long"]).with_memory(256),
    )
    .await;
    survive(
        &p,
        "h-meta",
        Attack::new(
            "meta_bomb",
            500,
            &["invalid output", "meta", "more than the 1048576 allowed"],
        )
        .with_memory(256),
    )
    .await;
    let err = survive(
        &p,
        "h-error",
        Attack::new("error_flood", 500, &["EEEE"]).with_memory(256),
    )
    .await;
    assert!(
        err.len() <= 16 << 10,
        "error text cut to 16 KiB: {} bytes",
        err.len()
    );
}

#[tokio::test]
async fn log_floods_are_capped_and_nested_under_guest() {
    let p = Plugin::start().await;
    for attack in ["log_flood", "log_fields"] {
        let resp = p
            .query(
                hostile_ctx_with(&format!("flood-{attack}"), 64, 20_000),
                vec![query("A", json!({ "attack": attack }), 0, 1000, 1000)],
            )
            .await;
        assert_eq!(frames(&resp["A"])[0].name, "ok");
    }
    let raw = p.process.stderr_lines();
    let logs = p.logs();
    let from = |uid: &str| -> Vec<&serde_json::Value> {
        logs.iter()
            .filter(|l| l["module"] == "hostile" && l["dsUid"] == uid && l["@level"] == "info")
            .collect()
    };
    assert_eq!(
        from("flood-log_flood").len(),
        1000,
        "log lines capped at 1000 per call"
    );
    let fields = from("flood-log_fields");
    assert!(!fields.is_empty(), "module logs carry dsUid and module");
    let bytes: usize = raw
        .iter()
        .filter(|l| l.contains("\"dsUid\":\"flood-log_fields\"") && l.contains("field flood"))
        .map(String::len)
        .sum();
    assert!(bytes <= 300 << 10, "one call wrote {bytes} bytes of log");
    for line in &fields {
        // The module's fields named like the host's stay under `guest`.
        for key in ["logger", "pluginId", "traceID", "userId", "level"] {
            assert!(
                line.get(key).is_none(),
                "{key} reached the top level: {line}"
            );
        }
        assert!(line["guest"].is_object(), "{line}");
    }
    assert!(logged(&logs, "log budget"), "the cap is reported");
}

#[tokio::test]
async fn resource_headers_cannot_smuggle_lines() {
    let p = Plugin::start().await;
    let (r, ()) = tokio::join!(
        p.resource(hostile_ctx_mem("h-inject", 64), "GET", "inject", b""),
        p.sibling_query("sibling"),
    );
    assert_eq!(r[0].code, 500);
    let body = String::from_utf8_lossy(&r[0].body);
    assert!(
        body.contains("X-Innocent") && body.contains("not a valid HTTP header value"),
        "{body}"
    );
    assert!(!r[0].headers.contains_key("Set-Cookie"));
}

/// A crafted component, on datasource `uid` with a 16 MiB budget.
async fn crafted_attack(p: &Plugin, name: &str, bytes: &[u8], says: &[&str]) {
    write_file(&p.module_path(name), bytes);
    let pid = p.pid();
    p.sibling_query("sibling").await;
    let baseline = p.rss_bytes();
    let ctx = ctx(name, json!({"module": name, "memoryLimitMb": 16}), 1);
    let (h, ()) = tokio::join!(p.health(ctx.clone()), p.sibling_query("sibling"));
    for needle in says {
        assert!(
            h.message.contains(needle),
            "{name}: {needle:?} not in {}",
            h.message
        );
    }
    let resp = p
        .query(
            ctx,
            vec![query("A", json!({"attack": "ok"}), 0, 1000, 1000)],
        )
        .await;
    assert!(resp["A"].error.contains(says[0]), "{}", resp["A"].error);
    assert_eq!(p.pid(), pid);
    p.sibling_query("sibling").await;
    let rss = p.rss_bytes();
    assert!(
        rss <= baseline + RSS_BOUND,
        "{name}: resident memory {} MiB, baseline {} MiB",
        rss >> 20,
        baseline >> 20
    );
}

#[tokio::test]
async fn many_memories_count_as_one_budget() {
    let p = Plugin::start().await;
    let hostile = std::fs::read(built_modules().join("hostile.wasm")).unwrap();
    // 12 memories of 15 MiB each, every page written: each fits the 16 MiB budget alone.
    let bytes = crafted::with_core_module(&hostile, &crafted::memories(12, 240), 1);
    crafted_attack(
        &p,
        "memories",
        &bytes,
        &["exceeded its memory budget of 16.0 MiB"],
    )
    .await;
    // 99 of them do not get that far: the count is capped too.
    let bytes = crafted::with_core_module(&hostile, &crafted::memories(99, 240), 1);
    crafted_attack(
        &p,
        "memories99",
        &bytes,
        &["host limit", "memories than the 16 allowed"],
    )
    .await;
}

#[tokio::test]
async fn large_tables_count_against_the_budget() {
    // 40 tables of 1,000,000 funcref elements: 8 MB each.
    let p = Plugin::start().await;
    let hostile = std::fs::read(built_modules().join("hostile.wasm")).unwrap();
    let bytes = crafted::with_core_module(&hostile, &crafted::tables(40, 1_000_000), 1);
    crafted_attack(
        &p,
        "tables",
        &bytes,
        &["exceeded its memory budget of 16.0 MiB"],
    )
    .await;
}

#[tokio::test]
async fn instance_counts_are_capped() {
    let p = Plugin::start().await;
    let hostile = std::fs::read(built_modules().join("hostile.wasm")).unwrap();
    let bytes = crafted::with_core_module(&hostile, &crafted::empty(), 500);
    crafted_attack(&p, "instances", &bytes, &["host limit", "64"]).await;
}
