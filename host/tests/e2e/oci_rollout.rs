//! Datasources on `oci://` modules, through the real executable against the CNCF distribution
//! registry: a tag is followed and a digest stays put; moving the tag under load moves every
//! client once, with no failed query; a bad version pushed to the tag never serves; two plugin
//! processes (two Grafana replicas) converge on the tag's digest; a plugin started while the
//! registry is down serves from its store; registry logins come from the datasource's secure
//! settings, and registries from the operator's allow-list; `quarry rollback` through Grafana's
//! API takes a tag's datasources back to the version before, for good.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use super::fake_grafana::FakeGrafana;
use super::harness::*;
use super::registry::Registry;
use super::rollout::{answer, eventually, module_bytes, resource_json, sha256, status};

/// A plugin allowed to pull from `reg` over plain HTTP, keeping pulled modules in `store`, and
/// resolving tags often (so the tests wait for polls, not for minutes).
async fn plugin(reg: &Registry, store: &Path) -> Plugin {
    let addr = reg.addr();
    let store = store.display().to_string();
    Plugin::start_with_env(&[
        ("GF_PLUGIN_OCI_ALLOWED_REGISTRIES", &addr),
        ("GF_PLUGIN_OCI_PLAIN_HTTP_REGISTRIES", &addr),
        ("GF_PLUGIN_OCI_STORE_DIR", &store),
        ("GF_PLUGIN_OCI_POLL_INTERVAL_MS", "200"),
        ("GF_PLUGIN_MODULE_POLL_INTERVAL_MS", "100"),
    ])
    .await
}

fn push(reg: &Registry, module: &str, repo_and_tag: &str) -> String {
    reg.oras_push_wasm(
        &built_modules().join(format!("{module}.wasm")),
        repo_and_tag,
    )
}

fn on(uid: &str, reference: &str) -> pb::PluginContext {
    ctx(uid, json!({ "module": reference }), 1)
}

/// The manifest digest a datasource's status says it runs.
async fn running_manifest(p: &Plugin, c: pb::PluginContext) -> Value {
    status(p, c).await["running"]["manifestDigest"].clone()
}

#[tokio::test]
async fn a_tag_is_followed_under_load_and_a_digest_stays_put() {
    let reg = Registry::start();
    let store = tempfile::tempdir().unwrap();
    let p = Arc::new(plugin(&reg, store.path()).await);
    let v1 = push(&reg, "synthetic", "quarry/live:stable");
    let tag = reg.reference("quarry/live:stable");
    let pinned = reg.reference(&format!("quarry/live@{v1}"));
    let by_tag = {
        let tag = tag.clone();
        move || on("by-tag", &tag)
    };
    let by_digest = || on("by-digest", &pinned);
    assert_eq!(answer(&p, by_tag()).await, "series-0");
    assert_eq!(answer(&p, by_digest()).await, "series-0");
    assert_eq!(running_manifest(&p, by_tag()).await, v1.as_str());
    assert_eq!(running_manifest(&p, by_digest()).await, v1.as_str());

    // Eight clients query the tag's datasource without pause while the tag moves.
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..8 {
        let (p, stop) = (p.clone(), stop.clone());
        let by_tag = by_tag.clone();
        clients.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                seen.push(answer(&p, by_tag()).await);
            }
            seen
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let v2 = push(&reg, "hostile", "quarry/live:stable");
    eventually("the tag's new version serves", || async {
        running_manifest(&p, by_tag()).await == v2.as_str()
    })
    .await;
    // Every client sees some answers of the new version before they stop.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        let seen = client.await.unwrap();
        let failed: Vec<&String> = seen.iter().filter(|a| a.starts_with("error")).collect();
        assert!(failed.is_empty(), "failed queries: {failed:?}");
        let switches = seen.windows(2).filter(|w| w[0] != w[1]).count();
        assert_eq!(
            (
                seen.first().map(String::as_str),
                seen.last().map(String::as_str),
                switches
            ),
            (Some("series-0"), Some("ok"), 1),
            "each client's answers switch once, from the old version to the new: {seen:?}"
        );
    }
    // The pinned datasource stays on its digest.
    assert_eq!(answer(&p, by_digest()).await, "series-0");
    assert_eq!(running_manifest(&p, by_digest()).await, v1.as_str());

    let (code, list) = resource_json(&p, by_tag(), "GET", "_quarry/instances").await;
    assert_eq!(code, 200, "{list}");
    let manifests: Vec<(Value, Value)> = list["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["module"].clone(), i["manifestDigest"].clone()))
        .collect();
    assert_eq!(
        manifests,
        vec![(json!(pinned), json!(v1)), (json!(tag), json!(v2)),],
        "{list}"
    );
    p.sibling_query("oci-sibling").await;
}

#[tokio::test]
async fn a_bad_version_pushed_to_the_tag_never_serves_not_even_new_datasources() {
    let reg = Registry::start();
    let store = tempfile::tempdir().unwrap();
    let p = plugin(&reg, store.path()).await;
    let good = push(&reg, "synthetic", "quarry/live:prod");
    let tag = reg.reference("quarry/live:prod");
    // Under these settings the next version (hostile) fails its health check; the running one
    // (synthetic, which ignores the key) passes.
    let a = || ctx("strict", json!({"module": tag, "hostileHealth": "fail"}), 1);
    assert_eq!(answer(&p, a()).await, "series-0");

    let bad = push(&reg, "hostile", "quarry/live:prod");
    eventually("the new version is refused", || async {
        !status(&p, a()).await["rejected"].is_null()
    })
    .await;
    let s = status(&p, a()).await;
    assert_eq!(s["rejected"]["manifestDigest"], bad.as_str(), "{s}");
    let reason = s["rejected"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("strict") && reason.contains("health check failed"),
        "{s}"
    );
    assert_eq!(s["running"]["manifestDigest"], good.as_str(), "{s}");
    assert_eq!(
        answer(&p, a()).await,
        "series-0",
        "the old version serves on"
    );

    // A datasource created after the bad version landed gets the good one.
    let b = || on("after", &tag);
    assert_eq!(answer(&p, b()).await, "series-0");
    assert_eq!(running_manifest(&p, b()).await, good.as_str());

    // Health shows the version running and the one refused, by manifest.
    let h = p.health(a()).await;
    let details: Value = serde_json::from_slice(&h.json_details).unwrap();
    assert_eq!(
        details["quarry"]["running"]["manifestDigest"],
        good.as_str()
    );
    assert_eq!(
        details["quarry"]["rejected"]["manifestDigest"],
        bad.as_str()
    );
    assert!(h.message.contains("could not be loaded"), "{}", h.message);
}

#[tokio::test]
async fn two_plugin_processes_converge_on_the_tags_digest() {
    let reg = Registry::start();
    let (store_a, store_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = plugin(&reg, store_a.path()).await;
    let b = plugin(&reg, store_b.path()).await;
    let v1 = push(&reg, "synthetic", "quarry/fleet:1");
    let tag = reg.reference("quarry/fleet:1");
    let ds = || on("fleet", &tag);
    assert_eq!(answer(&a, ds()).await, "series-0");
    assert_eq!(answer(&b, ds()).await, "series-0");
    assert_eq!(running_manifest(&a, ds()).await, v1.as_str());
    assert_eq!(running_manifest(&b, ds()).await, v1.as_str());

    let v2 = push(&reg, "hostile", "quarry/fleet:1");
    for (name, replica) in [("first", &a), ("second", &b)] {
        eventually(
            &format!("the {name} replica runs the new digest"),
            || async { running_manifest(replica, ds()).await == v2.as_str() },
        )
        .await;
        assert_eq!(answer(replica, ds()).await, "ok");
    }
}

#[tokio::test]
async fn a_plugin_started_while_the_registry_is_down_serves_from_its_store() {
    let mut reg = Registry::start();
    let store = tempfile::tempdir().unwrap();
    let v1 = push(&reg, "synthetic", "quarry/offline:v1");
    push(&reg, "synthetic", "quarry/never-pulled:v1");
    let tag = reg.reference("quarry/offline:v1");
    let pinned = reg.reference(&format!("quarry/offline@{v1}"));
    // Under these settings the hostile module fails its health check: pushed to the tag, it is
    // refused, though the plugin pulled it into its store.
    let strict = || ctx("tag", json!({"module": tag, "hostileHealth": "fail"}), 1);
    {
        let first = plugin(&reg, store.path()).await;
        assert_eq!(answer(&first, strict()).await, "series-0");
        assert_eq!(answer(&first, on("digest", &pinned)).await, "series-0");
        push(&reg, "hostile", "quarry/offline:v1");
        eventually("the bad version is refused", || async {
            !status(&first, strict()).await["rejected"].is_null()
        })
        .await;
    }
    reg.stop();

    // Started with the registry down, the plugin runs the version the tag last served here, not
    // the refused one the tag names now.
    let p = plugin(&reg, store.path()).await;
    assert_eq!(answer(&p, strict()).await, "series-0");
    assert_eq!(running_manifest(&p, strict()).await, v1.as_str());
    assert_eq!(answer(&p, on("digest", &pinned)).await, "series-0");
    assert!(
        logged(&p.logs(), "serving the version this tag last resolved to"),
        "the fallback is logged"
    );
    // What the store never had cannot be served: the query says why.
    let err = answer(&p, on("never", &reg.reference("quarry/never-pulled:v1"))).await;
    assert!(err.contains("unreachable"), "{err}");
    p.sibling_query("offline-sibling").await;
}

#[tokio::test]
async fn registry_logins_come_from_secure_settings_and_registries_from_the_operator() {
    let reg = Registry::start_with_login("grafana", "s3cret-pass");
    let store = tempfile::tempdir().unwrap();
    let p = plugin(&reg, store.path()).await;
    // oras logs in through the fixture.
    let digest = push(&reg, "synthetic", "private/mod:v1");
    let reference = reg.reference("private/mod:v1");

    let anonymous = answer(&p, on("anonymous", &reference)).await;
    assert!(anonymous.contains("refused access"), "{anonymous}");

    // A datasource with the registry login in its settings.
    let logged_in = |uid: &str, module: &str| {
        ctx_with_secrets(
            uid,
            json!({"module": module, "registryUsername": "grafana"}),
            &[("registryPassword", "s3cret-pass")],
        )
    };
    assert_eq!(
        answer(&p, logged_in("with-login", &reference)).await,
        "series-0"
    );
    // The datasource without a login still gets nothing: it does not ride on the other's.
    let again = answer(&p, on("anonymous-2", &reference)).await;
    assert!(again.contains("refused access"), "{again}");
    // Nor by naming the digest the other's login put in the shared store.
    let pinned = reg.reference(&format!("private/mod@{digest}"));
    let by_digest = answer(&p, on("anonymous-digest", &pinned)).await;
    assert!(by_digest.contains("refused access"), "{by_digest}");
    assert_eq!(
        answer(&p, logged_in("digest-with-login", &pinned)).await,
        "series-0"
    );

    let elsewhere = answer(&p, on("elsewhere", "oci://registry.example.com/x/y:1")).await;
    assert!(
        elsewhere.contains("not allowed") && elsewhere.contains("oci_allowed_registries"),
        "{elsewhere}"
    );
    let malformed = answer(&p, on("malformed", "oci://no-repository")).await;
    assert!(malformed.contains("jsonData.module"), "{malformed}");
}

/// Runs `quarry <args>` with `GRAFANA_TOKEN=token` off the test's runtime (the fake Grafana is on
/// it); returns (success, stdout, stderr).
async fn cli(args: &[&str], token: &str) -> (bool, String, String) {
    let mut cmd = std::process::Command::new(plugin_exe());
    cmd.args(args)
        .env("GRAFANA_TOKEN", token)
        .env_remove("GRAFANA_URL");
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("quarry runs"))
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn quarry_rollback_through_grafanas_api_takes_the_tag_back_for_good() {
    let reg = Registry::start();
    let store = tempfile::tempdir().unwrap();
    let p = Arc::new(plugin(&reg, store.path()).await);
    let v1 = push(&reg, "synthetic", "quarry/rb:live");
    let tag = reg.reference("quarry/rb:live");
    let a = || on("rb-a", &tag);
    let b = || on("rb-b", &tag);
    assert_eq!(answer(&p, a()).await, "series-0");
    assert_eq!(answer(&p, b()).await, "series-0");
    let v2 = push(&reg, "hostile", "quarry/rb:live");
    eventually("the new version serves", || async {
        answer(&p, a()).await == "ok"
    })
    .await;
    assert_eq!(answer(&p, b()).await, "ok");

    let grafana = FakeGrafana::start(
        p.clone(),
        &[("admin-token", "Admin"), ("viewer-token", "Viewer")],
        vec![a(), b()],
    )
    .await;
    let (new_sha, old_sha) = (
        sha256(&module_bytes("hostile")),
        sha256(&module_bytes("synthetic")),
    );
    let url = grafana.url.as_str();
    let (ok, stdout, stderr) = cli(
        &["instances", "--grafana", url, "--datasource", "rb-a"],
        "admin-token",
    )
    .await;
    assert!(ok, "{stderr}");
    for needle in ["rb-a", "rb-b", &tag, &new_sha[..12]] {
        assert!(stdout.contains(needle), "{needle} in:\n{stdout}");
    }

    let (ok, _, stderr) = cli(
        &["rollback", "--grafana", url, "--datasource", "rb-a"],
        "viewer-token",
    )
    .await;
    assert!(
        !ok && stderr.contains("403") && stderr.contains("org admin"),
        "{stderr}"
    );
    let (ok, _, stderr) = cli(
        &["rollback", "--grafana", url, "--datasource", "rb-a"],
        "wrong-token",
    )
    .await;
    assert!(!ok && stderr.contains("401"), "{stderr}");
    assert_eq!(answer(&p, a()).await, "ok", "refused calls changed nothing");

    let (ok, stdout, stderr) = cli(
        &["rollback", "--grafana", url, "--datasource", "rb-a"],
        "admin-token",
    )
    .await;
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!("from: sha256:{new_sha} (manifest {v2})"))
            && stdout.contains(&format!("to: sha256:{old_sha} (manifest {v1})")),
        "{stdout}"
    );
    assert_eq!(answer(&p, a()).await, "series-0");
    assert_eq!(answer(&p, b()).await, "series-0");
    // The tag still names the version rolled back from; later polls do not bring it back.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(answer(&p, b()).await, "series-0");
    let s = status(&p, b()).await;
    assert_eq!(s["rejected"]["manifestDigest"], v2.as_str(), "{s}");
    assert_eq!(s["running"]["manifestDigest"], v1.as_str(), "{s}");

    // Nothing left to roll back to: the command says so and fails.
    let (ok, _, stderr) = cli(
        &["rollback", "--grafana", url, "--datasource", "rb-b"],
        "admin-token",
    )
    .await;
    assert!(!ok && stderr.contains("409"), "{stderr}");
}
