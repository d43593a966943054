//! The host's own resources under `_quarry/`, through the real executable: the module list the
//! config editor's picker shows, a datasource's module status, and that a module never answers
//! under the reserved prefix. Also: a module built for contract 0.2 still loads and has no
//! descriptor.

use serde_json::{Value, json};

use super::harness::*;

async fn get(p: &Plugin, ctx: pb::PluginContext, path: &str) -> (i32, Value) {
    let r = p.resource(ctx, "GET", path, b"").await;
    let body = serde_json::from_slice(&r[0].body).unwrap_or(Value::Null);
    (r[0].code, body)
}

#[tokio::test]
async fn the_module_list_describes_every_module_or_why_it_cannot_load() {
    let p = Plugin::start().await;
    std::fs::copy(built_modules().join("legacy.wasm"), p.module_path("legacy")).unwrap();
    write_file(&p.module_path("broken"), b"not wasm at all");
    // A datasource that names no module yet (a new one in the config editor) can ask.
    let fresh = ctx("new-ds", json!({}), 1);
    let (code, list) = get(&p, fresh, "_quarry/modules").await;
    assert_eq!(code, 200, "{list}");
    let modules = list["modules"].as_array().unwrap();
    let by_name = |n: &str| {
        modules
            .iter()
            .find(|m| m["name"] == n)
            .unwrap_or_else(|| panic!("{n} in {list}"))
    };
    let names: Vec<&str> = modules
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["broken", "hostile", "http-api", "legacy", "synthetic"]
    );

    let synthetic = by_name("synthetic");
    let bytes = std::fs::read(p.module_path("synthetic")).unwrap();
    assert_eq!(synthetic["size"], bytes.len());
    assert_eq!(
        synthetic["sha256"],
        quarry_host::runtime::sha256_hex(&bytes)
    );
    assert_eq!(synthetic["contract"], "quarry:datasource@0.3.0");
    assert!(
        synthetic["descriptor"]["querySchema"]["type"] == "object",
        "{synthetic}"
    );
    assert!(synthetic["error"].is_null());

    let legacy = by_name("legacy");
    assert_eq!(legacy["contract"], "quarry:datasource@0.2.0");
    assert!(
        legacy["descriptor"].is_null(),
        "0.2 modules have no descriptor"
    );
    assert!(legacy["error"].is_null());

    let broken = by_name("broken");
    assert!(
        broken["error"]
            .as_str()
            .unwrap()
            .contains("not a WebAssembly file"),
        "{broken}"
    );
    assert!(broken["sha256"].is_string());
}

#[tokio::test]
async fn a_module_built_for_contract_0_2_still_answers() {
    let p = Plugin::start().await;
    std::fs::copy(built_modules().join("legacy.wasm"), p.module_path("legacy")).unwrap();
    let legacy = ctx("legacy", json!({"module": "legacy"}), 1);
    let resp = p
        .query(
            legacy.clone(),
            vec![query("A", json!({}), 5_000, 6_000, 1000)],
        )
        .await;
    let f = &frames(&resp["A"])[0];
    assert_eq!(f.name, "legacy");
    assert_eq!(
        f.fields[0].values,
        quarry_frame::Column::Time(vec![5_000_000_000])
    );
    let h = p.health(legacy.clone()).await;
    assert_eq!(h.message, "legacy module ready");
    let (_, status) = get(&p, legacy, "_quarry/status").await;
    assert_eq!(status["running"]["contract"], "quarry:datasource@0.2.0");
    assert!(status["running"]["descriptor"].is_null());
}

#[tokio::test]
async fn status_reports_the_running_version_and_a_failed_reload() {
    let p = Plugin::start().await;
    let ds = synthetic_ctx("status");
    let (code, status) = get(&p, ds.clone(), "_quarry/status").await;
    assert_eq!(code, 200);
    assert_eq!(status["uid"], "status");
    assert_eq!(status["module"], "synthetic");
    let running = &status["running"];
    let bytes = std::fs::read(p.module_path("synthetic")).unwrap();
    assert_eq!(running["sha256"], quarry_host::runtime::sha256_hex(&bytes));
    assert!(running["loadedAt"].as_str().unwrap().ends_with('Z'));
    assert!(status["lastReloadError"].is_null());

    // A broken new file keeps the old version serving, and status says why.
    write_file(&p.module_path("synthetic"), b"\0asm broken");
    let mut reported = Value::Null;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        p.sibling_query("status").await;
        let (_, s) = get(&p, ds.clone(), "_quarry/status").await;
        if s["lastReloadError"].is_string() {
            reported = s;
            break;
        }
    }
    assert!(
        reported["lastReloadError"]
            .as_str()
            .is_some_and(|e| e.contains("cannot compile")),
        "{reported}"
    );
    assert_eq!(
        reported["running"]["sha256"],
        quarry_host::runtime::sha256_hex(&bytes)
    );

    // A datasource whose module cannot load still gets a status naming why.
    let missing = ctx("missing", json!({"module": "nowhere"}), 1);
    let (code, s) = get(&p, missing, "_quarry/status").await;
    assert_eq!(code, 200);
    assert!(s["running"].is_null());
    assert!(s["error"].as_str().unwrap().contains("not found"), "{s}");
}

#[tokio::test]
async fn modules_never_answer_under_the_reserved_prefix() {
    let p = Plugin::start().await;
    // synthetic echoes any POST to `echo`; under the prefix the host answers instead.
    let r = p
        .resource(
            synthetic_ctx("r"),
            "POST",
            "_quarry/echo",
            b"from the browser",
        )
        .await;
    assert_eq!(r[0].code, 404);
    let body = String::from_utf8_lossy(&r[0].body);
    assert!(body.contains("never reach the module"), "{body}");
    let r = p
        .resource(synthetic_ctx("r"), "POST", "_quarry/modules", b"")
        .await;
    assert_eq!(r[0].code, 405);
    // The module's own resources still work.
    let r = p
        .resource(synthetic_ctx("r"), "POST", "echo", b"hello")
        .await;
    assert_eq!(r[0].body, b"hello");
}
