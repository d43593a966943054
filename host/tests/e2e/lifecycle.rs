//! Process lifecycle and datasource instance lifecycle as Grafana drives them.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::AsyncBufReadExt;

use super::harness::*;

#[tokio::test]
async fn handshake_health_service_and_shutdown() {
    let sockets = tempfile::tempdir().unwrap();
    let dir = sockets.path().display().to_string();
    let p = Plugin::start_with_env(&[("PLUGIN_UNIX_SOCKET_DIR", dir.as_str())]).await;
    assert_eq!(p.process.network, "unix");
    let socket = std::path::PathBuf::from(&p.process.address);
    assert!(
        socket.starts_with(sockets.path()),
        "socket {socket:?} honours PLUGIN_UNIX_SOCKET_DIR"
    );

    let mut health = tonic_health::pb::health_client::HealthClient::new(p.process.channel());
    let r = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        r.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    // go-plugin's stdio and broker services are cleanly unimplemented.
    let mut grpc = tonic::client::Grpc::new(p.process.channel());
    grpc.ready().await.unwrap();
    let status = grpc
        .unary::<(), (), _>(
            tonic::Request::new(()),
            "/plugin.GRPCStdio/StreamStdio".parse().unwrap(),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unimplemented);

    assert!(
        p.process.shutdown().await,
        "plugin exits on Shutdown within Grafana's 2 s"
    );
    assert!(!socket.exists(), "socket file removed on exit");
}

#[tokio::test]
async fn run_by_hand_it_explains_itself_and_exits_non_zero() {
    let out = tokio::process::Command::new(plugin_exe())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("Grafana backend plugin") && text.contains("quarry query"),
        "{text}"
    );
    assert!(out.stdout.is_empty(), "nothing on stdout");
}

#[tokio::test]
async fn an_unsupported_protocol_version_is_refused() {
    let out = tokio::process::Command::new(plugin_exe())
        .env("grafana_plugin_type", "datasource")
        .env("PLUGIN_PROTOCOL_VERSIONS", "1")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("protocol versions"),
        "{:?}",
        out
    );
    assert!(out.stdout.is_empty(), "no handshake line");
}

#[tokio::test]
async fn exits_when_grafana_closes_its_stdout_pipe() {
    let mut child = tokio::process::Command::new(plugin_exe())
        .env("grafana_plugin_type", "datasource")
        .env("PLUGIN_PROTOCOL_VERSIONS", "2")
        .env("GF_PLUGIN_MODULES_DIR", built_modules())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let handshake = lines.next_line().await.unwrap().unwrap();
    assert!(handshake.starts_with("1|2|unix|"), "{handshake}");
    drop(lines); // Grafana went away.
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait()).await;
    assert!(
        status.is_ok(),
        "plugin kept running after its stdout pipe closed"
    );
}

#[tokio::test]
async fn settings_change_recreates_the_instance() {
    let p = Plugin::start().await;
    let settings = |prefix: &str, updated: i64| {
        ctx(
            "recreate",
            json!({"module": "synthetic", "seriesPrefix": prefix}),
            updated,
        )
    };
    let name = |resp: std::collections::HashMap<String, pb::DataResponse>| {
        frames(&resp["A"])[0].name.clone()
    };
    let q = || vec![query("A", json!({}), 0, 60_000, 1000)];

    assert_eq!(name(p.query(settings("first", 100), q()).await), "first-0");
    // Same lastUpdatedMS: Grafana did not change the settings, the cached instance answers.
    assert_eq!(
        name(p.query(settings("ignored", 100), q()).await),
        "first-0"
    );
    // New lastUpdatedMS: a new instance from the new settings.
    assert_eq!(
        name(p.query(settings("second", 200), q()).await),
        "second-0"
    );
    let r = p
        .resource(settings("second", 200), "GET", "settings", b"")
        .await;
    let seen: serde_json::Value = serde_json::from_slice(&r[0].body).unwrap();
    assert_eq!(
        (
            seen["updatedMs"].as_i64(),
            seen["jsonData"]["seriesPrefix"].as_str()
        ),
        (Some(200), Some("second"))
    );

    let mut disposed = false;
    for _ in 0..100 {
        if logged(&p.logs(), "disposed datasource instance") {
            disposed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(disposed, "the replaced instance was disposed");
}

#[tokio::test]
async fn a_changed_module_file_is_hot_reloaded_and_a_broken_one_never_replaces_it() {
    let p = Plugin::start().await;
    let uid_ctx = || ctx("reload", json!({"module": "live"}), 1);
    let q = || {
        vec![query(
            "A",
            json!({"attack": "ok", "scenario": "sine"}),
            0,
            60_000,
            1000,
        )]
    };
    let synthetic = std::fs::read(p.module_path("synthetic")).unwrap();
    let hostile = std::fs::read(p.module_path("hostile")).unwrap();
    write_file(&p.module_path("live"), &synthetic);
    assert_eq!(
        frames(&p.query(uid_ctx(), q()).await["A"])[0].name,
        "series-0"
    );

    // Swap in another module under the same name: the next queries pick it up, no restart.
    write_file(&p.module_path("live"), &hostile);
    let mut reloaded = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = p.query(uid_ctx(), q()).await;
        if r["A"].error.is_empty() && frames(&r["A"])[0].name == "ok" {
            reloaded = true;
            break;
        }
    }
    assert!(reloaded, "new module version was not picked up");

    // A broken file: the previous version keeps serving, health says why.
    write_file(&p.module_path("live"), b"\0asm garbage");
    let mut refused = String::new();
    for _ in 0..300 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = p.query(uid_ctx(), q()).await;
        assert_eq!(frames(&r["A"])[0].name, "ok");
        let h = p.health(uid_ctx()).await;
        if h.message.contains("could not be loaded") {
            refused = h.message;
            break;
        }
    }
    assert!(
        refused.contains("cannot compile"),
        "health never named the refused version: {refused:?}"
    );
}

#[tokio::test]
async fn sigint_is_ignored_as_go_plugins_do() {
    let p = Plugin::start().await;
    let pid = p.process.pid().expect("running") as i32;
    // SAFETY: sending a signal to a child process we own.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let resp = p
        .query(
            synthetic_ctx("sigint"),
            vec![query("A", json!({}), 0, 60_000, 1000)],
        )
        .await;
    assert_eq!(frames(&resp["A"]).len(), 1, "still serving after SIGINT");
}

#[tokio::test]
async fn the_same_uid_in_two_orgs_gets_two_instances() {
    let p = Plugin::start().await;
    let org_ctx = |org: i64, prefix: &str| {
        let mut c = ctx(
            "shared-uid",
            json!({"module": "synthetic", "seriesPrefix": prefix}),
            100,
        );
        c.org_id = org;
        c
    };
    let name = |resp: std::collections::HashMap<String, pb::DataResponse>| {
        frames(&resp["A"])[0].name.clone()
    };
    let q = || vec![query("A", json!({}), 0, 60_000, 1000)];
    assert_eq!(name(p.query(org_ctx(1, "org-one"), q()).await), "org-one-0");
    assert_eq!(name(p.query(org_ctx(2, "org-two"), q()).await), "org-two-0");
    assert_eq!(name(p.query(org_ctx(1, "org-one"), q()).await), "org-one-0");
}

#[tokio::test]
async fn loopback_tcp_is_used_where_unix_sockets_are_not() {
    // What the plugin does on Windows; QUARRY_TRANSPORT=tcp selects it anywhere.
    let p = Plugin::start_with_env(&[("QUARRY_TRANSPORT", "tcp")]).await;
    assert_eq!(p.process.network, "tcp");
    let port: u16 = p
        .process
        .address
        .strip_prefix("127.0.0.1:")
        .expect("loopback")
        .parse()
        .unwrap();
    assert!(
        (10000..=25000).contains(&port),
        "PLUGIN_MIN_PORT..PLUGIN_MAX_PORT honoured: {port}"
    );
    let resp = p
        .query(
            synthetic_ctx("tcp"),
            vec![query("A", json!({}), 0, 60_000, 1000)],
        )
        .await;
    assert_eq!(frames(&resp["A"]).len(), 1);
}
