//! QueryData through a real plugin process, Quarry and (when built) the Go reference plugin side
//! by side, plus the Arrow encoding of a 1,000,000-row frame.
//!
//! Run with `cargo xtask bench`, which packages dist/ and builds the Go reference plugin.
//! `QUARRY_PLUGIN_EXE` names the Quarry executable, `QUARRY_REFERENCE_EXE` the reference one.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use quarry_frame::{Column, Field, Frame, FrameLimits};
use quarry_host::client::PluginProcess;
use quarry_host::grpc::pluginv2::pluginv2 as pb;

fn plugins() -> Vec<(&'static str, PathBuf)> {
    let mut out = Vec::new();
    match std::env::var_os("QUARRY_PLUGIN_EXE") {
        Some(p) => out.push(("quarry", PathBuf::from(p))),
        None => panic!("QUARRY_PLUGIN_EXE is not set: run `cargo xtask bench`"),
    }
    match std::env::var_os("QUARRY_REFERENCE_EXE") {
        Some(p) => out.push(("go-reference", PathBuf::from(p))),
        None => {
            eprintln!("QUARRY_REFERENCE_EXE is not set: benchmarking Quarry alone (no Go peer)")
        }
    }
    out
}

fn request(points: i64) -> pb::QueryDataRequest {
    let model = serde_json::json!({"scenario": "random_walk", "points": points, "seriesCount": 1});
    pb::QueryDataRequest {
        plugin_context: Some(pb::PluginContext {
            org_id: 1,
            plugin_id: "quarry-wasm-datasource".into(),
            data_source_instance_settings: Some(pb::DataSourceInstanceSettings {
                id: 1,
                uid: "bench".into(),
                json_data: br#"{"module":"synthetic"}"#.to_vec(),
                last_updated_ms: 1,
                ..Default::default()
            }),
            ..Default::default()
        }),
        queries: vec![pb::DataQuery {
            ref_id: "A".into(),
            max_data_points: points,
            interval_ms: 1000,
            time_range: Some(pb::TimeRange {
                from_epoch_ms: 0,
                to_epoch_ms: 3_600_000,
            }),
            json: model.to_string().into_bytes(),
            query_type: String::new(),
        }],
        ..Default::default()
    }
}

/// Peak resident memory of a process, from /proc (Linux).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn query_data(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let mut group = c.benchmark_group("query_data");
    group.measurement_time(Duration::from_secs(5));
    let mut rss = Vec::new();
    for (name, exe) in plugins() {
        let plugin = rt
            .block_on(PluginProcess::launch(&exe, &[]))
            .expect("plugin launches");
        for points in [1_000i64, 100_000] {
            let req = request(points);
            // Warm the instance (and check the answer) before measuring.
            let first = rt
                .block_on(plugin.data().query_data(req.clone()))
                .expect("query");
            let resp = &first.get_ref().responses["A"];
            assert!(
                resp.error.is_empty() && resp.frames.len() == 1,
                "{name}: {}",
                resp.error
            );
            group.throughput(Throughput::Elements(points as u64));
            group.bench_with_input(BenchmarkId::new(name, points), &req, |b, req| {
                b.iter(|| {
                    rt.block_on(plugin.data().query_data(req.clone()))
                        .expect("query")
                });
            });
        }
        if let Some(kib) = plugin.pid().and_then(peak_rss_kib) {
            rss.push((name, kib));
        }
        rt.block_on(plugin.shutdown());
    }
    group.finish();
    for (name, kib) in rss {
        println!("peak RSS {name}: {:.1} MiB", kib as f64 / 1024.0);
    }
}

fn encode_arrow(c: &mut Criterion) {
    const ROWS: usize = 1_000_000;
    let frame = Frame {
        name: "big".into(),
        ref_id: "A".into(),
        meta: None,
        fields: vec![
            Field::new(
                "time",
                Column::Time((0..ROWS as i64).map(|i| i * 1_000_000_000).collect()),
            ),
            Field::new(
                "value",
                Column::Float64((0..ROWS).map(|i| i as f64).collect()),
            ),
        ],
    };
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("arrow_1m_rows_time_f64", |b| {
        b.iter(|| {
            let checked = frame
                .clone()
                .check(&FrameLimits::default())
                .expect("valid frame");
            quarry_frame::to_arrow(checked).expect("encodes")
        });
    });
    group.finish();
}

criterion_group!(benches, encode_arrow, query_data);
criterion_main!(benches);
