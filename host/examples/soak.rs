//! `cargo xtask soak`: a bounded soak of the sandbox. Several datasources run good queries while
//! others attack the host with the `hostile` module, for a fixed number of rounds, through the
//! real plugin binary launched the way Grafana launches it. Reports good-call failures (must be
//! zero), hostile calls that did not fail (must be zero), and the plugin's peak resident memory.
//!
//! Arguments: `<plugin executable> <built modules dir> [rounds]`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use quarry_host::client::PluginProcess;
use quarry_host::grpc::pluginv2::pluginv2 as pb;
use serde_json::json;

/// Attacks each round cycles through, with the memory budget and deadline they run under.
const ATTACKS: &[(&str, u32, u32)] = &[
    ("memory_bomb", 64, 5_000),
    ("trap", 64, 5_000),
    ("panic", 64, 5_000),
    ("busy_loop", 64, 300),
    ("http_fields", 64, 30_000),
    ("error_flood", 256, 30_000),
    ("meta_bomb", 256, 30_000),
    ("deep_json", 64, 5_000),
    ("enum_oob", 64, 5_000),
    ("many_labels", 64, 5_000),
    ("huge_string", 256, 30_000),
    ("too_many_frames", 64, 5_000),
];

fn ctx(uid: &str, json_data: serde_json::Value) -> pb::PluginContext {
    pb::PluginContext {
        org_id: 1,
        plugin_id: "quarry-wasm-datasource".into(),
        data_source_instance_settings: Some(pb::DataSourceInstanceSettings {
            id: 1,
            uid: uid.into(),
            name: uid.into(),
            json_data: json_data.to_string().into_bytes(),
            last_updated_ms: 1,
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn query(model: serde_json::Value) -> pb::DataQuery {
    pb::DataQuery {
        ref_id: "A".into(),
        max_data_points: 1000,
        interval_ms: 1000,
        time_range: Some(pb::TimeRange {
            from_epoch_ms: 0,
            to_epoch_ms: 600_000,
        }),
        json: model.to_string().into_bytes(),
        query_type: String::new(),
    }
}

async fn ask(
    p: &PluginProcess,
    ctx: pb::PluginContext,
    model: serde_json::Value,
) -> pb::DataResponse {
    let req = pb::QueryDataRequest {
        plugin_context: Some(ctx),
        headers: HashMap::new(),
        queries: vec![query(model)],
        format: pb::DataFrameFormat::Arrow as i32,
    };
    match p.data().query_data(req).await {
        Ok(r) => r.into_inner().responses.remove("A").unwrap_or_default(),
        Err(status) => pb::DataResponse {
            error: format!("whole request failed: {status}"),
            status: 599,
            ..Default::default()
        },
    }
}

fn rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib << 10)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(exe), Some(built)) = (args.first(), args.get(1)) else {
        eprintln!("usage: soak <plugin executable> <built modules dir> [rounds]");
        return std::process::ExitCode::FAILURE;
    };
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(60);
    let modules = tempfile::tempdir().expect("temp dir");
    for name in ["synthetic", "hostile"] {
        let file = format!("{name}.wasm");
        std::fs::copy(Path::new(built).join(&file), modules.path().join(&file))
            .expect("copy module");
    }
    let sockets = tempfile::tempdir().expect("temp dir");
    let dir = modules.path().display().to_string();
    let socket_dir = sockets.path().display().to_string();
    let p = PluginProcess::launch(
        &PathBuf::from(exe),
        &[
            ("GF_PLUGIN_MODULES_DIR", dir.as_str()),
            ("PLUGIN_UNIX_SOCKET_DIR", socket_dir.as_str()),
            ("QUARRY_LOG", "warn"),
        ],
    )
    .await
    .expect("plugin launches");
    let pid = p.pid().expect("running");
    let started = Instant::now();
    let (mut good, mut good_failed, mut hostile, mut hostile_passed) = (0, 0, 0, 0);
    let mut peak = rss(pid);
    for round in 0..rounds {
        let goods: Vec<_> = (0..4)
            .map(|i| {
                let model =
                    json!({"scenario": "random_walk", "seriesCount": 3, "labels": {"n": round.to_string()}});
                Box::pin(ask(
                    &p,
                    ctx(&format!("good-{i}"), json!({"module": "synthetic"})),
                    model,
                ))
            })
            .collect();
        let attacks: Vec<_> = (0..2)
            .map(|i| {
                let (attack, mb, ms) = ATTACKS[(round * 2 + i) % ATTACKS.len()];
                let json_data =
                    json!({"module": "hostile", "memoryLimitMb": mb, "callTimeoutMs": ms});
                Box::pin(ask(
                    &p,
                    ctx(&format!("hostile-{i}"), json_data),
                    json!({ "attack": attack }),
                ))
            })
            .collect();
        let (good_answers, attack_answers) = tokio::join!(join_all(goods), join_all(attacks));
        for r in good_answers {
            good += 1;
            if !r.error.is_empty() || r.frames.len() != 3 {
                good_failed += 1;
                eprintln!("round {round}: a good call failed: {}", r.error);
            }
        }
        for r in attack_answers {
            hostile += 1;
            if r.error.is_empty() {
                hostile_passed += 1;
            }
        }
        peak = peak.max(rss(pid));
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            eprintln!("round {round}: the plugin process died");
            return std::process::ExitCode::FAILURE;
        }
    }
    println!(
        "soak: {rounds} rounds in {:.1} s: {good} good calls, {good_failed} failed; {hostile} hostile calls, {hostile_passed} not refused; peak RSS {} MiB; final RSS {} MiB",
        started.elapsed().as_secs_f64(),
        peak >> 20,
        rss(pid) >> 20
    );
    if good_failed > 0 || hostile_passed > 0 {
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}

/// Runs the futures concurrently and returns their outputs in order.
async fn join_all<F: std::future::Future + Unpin>(mut futures: Vec<F>) -> Vec<F::Output> {
    let mut results: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in futures.iter_mut().enumerate() {
            if results[i].is_none() {
                match std::pin::Pin::new(f).poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results
        .into_iter()
        .map(|r| r.expect("every future finished"))
        .collect()
}
