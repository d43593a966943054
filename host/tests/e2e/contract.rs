//! Modules as a module author delivers them: a new one dropped in while the plugin runs, and
//! files the host must refuse with a clear reason.

use serde_json::json;

use super::harness::*;

fn hello_ctx(uid: &str, module: &str) -> pb::PluginContext {
    ctx(uid, json!({ "module": module }), 1)
}

#[tokio::test]
async fn a_new_module_answers_without_rebuilding_or_restarting_the_host() {
    let p = Plugin::start().await;
    let q = || vec![query("A", json!({}), 1_000, 61_000, 1000)];
    let before = p.query(hello_ctx("hello", "hello"), q()).await;
    assert_eq!(before["A"].status, 404, "{}", before["A"].error);

    write_file(
        &p.module_path("hello"),
        &std::fs::read(built_modules().join("hello.wasm")).unwrap(),
    );
    // A new lastUpdatedMS, as when the operator saves the datasource again.
    let after = p
        .query(ctx("hello", json!({"module": "hello"}), 2), q())
        .await;
    let frames = frames(&after["A"]);
    assert_eq!(frames[0].name, "hello");
    assert_eq!(
        frames[0].fields[0].values,
        quarry_frame::Column::Time(vec![1_000_000_000, 61_000_000_000])
    );
    assert_eq!(
        frames[0].fields[1].values,
        quarry_frame::Column::Float64(vec![1.0, 42.0])
    );
}

#[tokio::test]
async fn a_module_built_for_another_contract_version_is_refused() {
    let p = Plugin::start().await;
    let mut bytes = std::fs::read(built_modules().join("synthetic.wasm")).unwrap();
    // Same-length rewrite of the contract version everywhere it is named.
    let (from, to) = (
        b"quarry:datasource/datasource@0.3.0",
        b"quarry:datasource/datasource@0.9.0",
    );
    let mut replaced = 0;
    for i in 0..bytes.len().saturating_sub(from.len()) {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + to.len()].copy_from_slice(to);
            replaced += 1;
        }
    }
    assert!(replaced > 0, "the export name is in the binary");
    write_file(&p.module_path("future"), &bytes);
    let h = p.health(hello_ctx("future", "future")).await;
    assert_eq!(
        h.status,
        pb::check_health_response::HealthStatus::Error as i32
    );
    assert!(
        h.message.contains("built for quarry:datasource@0.9.0")
            && h.message
                .contains("this host speaks quarry:datasource@0.3.0"),
        "{}",
        h.message
    );
}

#[tokio::test]
async fn broken_and_foreign_files_are_refused_with_the_reason() {
    let p = Plugin::start().await;
    let cases: [(&str, &[u8], &str); 3] = [
        ("garbage", b"this is not wasm", "not a WebAssembly file"),
        // The smallest core module: magic + version 1.
        (
            "core",
            b"\0asm\x01\0\0\0",
            "core WebAssembly module, not a component",
        ),
        (
            "truncated",
            b"\0asm\x0d\0\x01\0\x01",
            "cannot compile module",
        ),
    ];
    for (name, bytes, want) in cases {
        write_file(&p.module_path(name), bytes);
        let resp = p
            .query(
                hello_ctx(name, name),
                vec![query("A", json!({}), 0, 1000, 1000)],
            )
            .await;
        let err = &resp["A"].error;
        assert_eq!(resp["A"].status, 500, "{name}: {err}");
        assert!(
            err.contains(want) && err.contains(&format!("{name}.wasm")),
            "{name}: {err}"
        );
    }
    // The plugin still serves good modules.
    let ok = p
        .query(
            synthetic_ctx("still-ok"),
            vec![query("A", json!({}), 0, 60_000, 1000)],
        )
        .await;
    assert_eq!(frames(&ok["A"]).len(), 1);
}
