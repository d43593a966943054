//! Shared fixtures: the built plugin binary, a private modules directory per test, Grafana-shaped
//! requests, and Arrow decoding of responses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use quarry_frame::Frame;
use quarry_host::client::PluginProcess;
pub use quarry_host::grpc::pluginv2::pluginv2 as pb;

/// The `quarry` binary cargo built for these tests.
pub fn plugin_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_quarry"))
}

/// Where `cargo xtask test` put the compiled modules.
pub fn built_modules() -> PathBuf {
    let dir = std::env::var_os("QUARRY_TEST_MODULES").map(PathBuf::from).expect(
        "QUARRY_TEST_MODULES is not set: run the suite with `cargo xtask test`, which builds the modules first",
    );
    assert!(
        dir.join("synthetic.wasm").exists(),
        "{} has no synthetic.wasm: run `cargo xtask test`",
        dir.display()
    );
    dir
}

/// A running plugin with its own modules directory (a copy of the built modules).
pub struct Plugin {
    pub process: PluginProcess,
    pub modules: tempfile::TempDir,
    /// Holds the plugin's unix socket, so a killed plugin leaves nothing behind in /tmp.
    _sockets: tempfile::TempDir,
}

impl Plugin {
    pub async fn start() -> Plugin {
        Self::start_with_env(&[]).await
    }

    pub async fn start_with_env(env: &[(&str, &str)]) -> Plugin {
        let modules = tempfile::tempdir().expect("temp dir");
        // `hello` is left out: tests drop it in while the plugin runs.
        for name in ["synthetic", "hostile", "http-api"] {
            let file = format!("{name}.wasm");
            std::fs::copy(built_modules().join(&file), modules.path().join(&file))
                .expect("copy module");
        }
        let dir = modules.path().display().to_string();
        let sockets = tempfile::tempdir().expect("temp dir");
        let socket_dir = sockets.path().display().to_string();
        let mut all = vec![
            ("GF_PLUGIN_MODULES_DIR", dir.as_str()),
            ("PLUGIN_UNIX_SOCKET_DIR", socket_dir.as_str()),
        ];
        all.extend_from_slice(env);
        let process = PluginProcess::launch(&plugin_exe(), &all)
            .await
            .expect("plugin launches");
        Plugin {
            process,
            modules,
            _sockets: sockets,
        }
    }

    pub fn module_path(&self, name: &str) -> PathBuf {
        self.modules.path().join(format!("{name}.wasm"))
    }

    pub async fn query(
        &self,
        ctx: pb::PluginContext,
        queries: Vec<pb::DataQuery>,
    ) -> HashMap<String, pb::DataResponse> {
        self.query_format(ctx, queries, pb::DataFrameFormat::Arrow)
            .await
    }

    pub async fn query_format(
        &self,
        ctx: pb::PluginContext,
        queries: Vec<pb::DataQuery>,
        format: pb::DataFrameFormat,
    ) -> HashMap<String, pb::DataResponse> {
        let req = pb::QueryDataRequest {
            plugin_context: Some(ctx),
            headers: Default::default(),
            queries,
            format: format as i32,
        };
        self.process
            .data()
            .query_data(req)
            .await
            .expect("QueryData succeeds")
            .into_inner()
            .responses
    }

    pub async fn health(&self, ctx: pb::PluginContext) -> pb::CheckHealthResponse {
        self.process
            .diagnostics()
            .check_health(pb::CheckHealthRequest {
                plugin_context: Some(ctx),
                headers: Default::default(),
            })
            .await
            .expect("CheckHealth succeeds")
            .into_inner()
    }

    pub async fn resource(
        &self,
        ctx: pb::PluginContext,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Vec<pb::CallResourceResponse> {
        let mut headers = HashMap::new();
        headers.insert(
            "Content-Type".to_string(),
            pb::StringList {
                values: vec!["text/plain".into()],
            },
        );
        let mut stream = self
            .process
            .resource()
            .call_resource(pb::CallResourceRequest {
                plugin_context: Some(ctx),
                path: path.into(),
                method: method.into(),
                url: path.into(),
                headers,
                body: body.to_vec(),
            })
            .await
            .expect("CallResource succeeds")
            .into_inner();
        let mut out = Vec::new();
        while let Some(m) = stream.message().await.expect("resource stream") {
            out.push(m);
        }
        out
    }

    /// Starts RunStream on `path`, as Grafana does for the first subscriber of a channel.
    pub async fn run_stream(
        &self,
        ctx: pb::PluginContext,
        path: &str,
    ) -> tonic::Streaming<pb::StreamPacket> {
        self.try_run_stream(ctx, path)
            .await
            .expect("RunStream starts")
    }

    /// Starts RunStream on `path`, or gives the status the plugin refused it with.
    pub async fn try_run_stream(
        &self,
        ctx: pb::PluginContext,
        path: &str,
    ) -> Result<tonic::Streaming<pb::StreamPacket>, tonic::Status> {
        let req = pb::RunStreamRequest {
            plugin_context: Some(ctx),
            path: path.into(),
            ..Default::default()
        };
        Ok(self.process.stream().run_stream(req).await?.into_inner())
    }

    /// The plugin's CollectMetrics answer (Prometheus text).
    pub async fn metrics(&self) -> String {
        let r = self
            .process
            .diagnostics()
            .collect_metrics(pb::CollectMetricsRequest {
                plugin_context: None,
            })
            .await
            .expect("CollectMetrics succeeds")
            .into_inner();
        String::from_utf8(r.metrics.expect("metrics").prometheus).expect("UTF-8")
    }

    /// The plugin process's id.
    pub fn pid(&self) -> u32 {
        self.process.pid().expect("the plugin is running")
    }

    /// The plugin process's resident memory, bytes (Linux: `VmRSS` of `/proc/<pid>/status`).
    pub fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the plugin process is alive");
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("VmRSS in /proc/<pid>/status");
        kib << 10
    }

    /// A sibling datasource's query, answered correctly: random walk frames from `synthetic`.
    pub async fn sibling_query(&self, uid: &str) {
        let resp = self
            .query(
                synthetic_ctx(uid),
                vec![query(
                    "S",
                    serde_json::json!({"scenario": "random_walk", "seriesCount": 2}),
                    0,
                    60_000,
                    1000,
                )],
            )
            .await;
        let frames = frames(&resp["S"]);
        assert_eq!(frames.len(), 2, "the sibling datasource answers in full");
        assert_eq!(frames[0].fields[0].values.len(), 61);
    }

    /// The plugin's stderr so far, for asserting on its logs.
    pub fn logs(&self) -> Vec<serde_json::Value> {
        self.process
            .stderr_lines()
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

/// A datasource's plugin context with decrypted secure settings, as Grafana sends it.
pub fn ctx_with_secrets(
    uid: &str,
    json_data: serde_json::Value,
    secrets: &[(&str, &str)],
) -> pb::PluginContext {
    let mut c = ctx(uid, json_data, 1);
    let settings = c.data_source_instance_settings.as_mut().unwrap();
    settings.decrypted_secure_json_data = secrets
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    c
}

/// A datasource's plugin context as Grafana sends it.
pub fn ctx(uid: &str, json_data: serde_json::Value, updated_ms: i64) -> pb::PluginContext {
    pb::PluginContext {
        org_id: 1,
        plugin_id: "quarry-wasm-datasource".into(),
        data_source_instance_settings: Some(pb::DataSourceInstanceSettings {
            id: 7,
            uid: uid.into(),
            name: format!("ds {uid}"),
            json_data: json_data.to_string().into_bytes(),
            last_updated_ms: updated_ms,
            ..Default::default()
        }),
        user: Some(pb::User {
            login: "admin".into(),
            role: "Admin".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn synthetic_ctx(uid: &str) -> pb::PluginContext {
    ctx(uid, serde_json::json!({ "module": "synthetic" }), 1)
}

/// A panel query: refId, model JSON, time range, interval.
pub fn query(
    ref_id: &str,
    model: serde_json::Value,
    from_ms: i64,
    to_ms: i64,
    interval_ms: i64,
) -> pb::DataQuery {
    pb::DataQuery {
        ref_id: ref_id.into(),
        max_data_points: 1000,
        interval_ms,
        time_range: Some(pb::TimeRange {
            from_epoch_ms: from_ms,
            to_epoch_ms: to_ms,
        }),
        json: model.to_string().into_bytes(),
        query_type: String::new(),
    }
}

/// Decodes every frame of a successful response from Arrow.
pub fn frames(resp: &pb::DataResponse) -> Vec<Frame> {
    assert_eq!(resp.error, "", "unexpected query error");
    assert_eq!(resp.status, 200);
    resp.frames
        .iter()
        .map(|b| quarry_frame::from_arrow::from_arrow(b).expect("frame decodes"))
        .collect()
}

/// Whether any log line's message contains `needle`.
pub fn logged(logs: &[serde_json::Value], needle: &str) -> bool {
    logs.iter()
        .any(|l| l["@message"].as_str().is_some_and(|m| m.contains(needle)))
}

pub fn write_file(path: &Path, bytes: &[u8]) {
    // Write beside and rename, so the plugin never sees a half-written module.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

/// The value of `name{module="<module>"}` in Prometheus text, 0 when absent.
pub fn module_metric(text: &str, name: &str, module: &str) -> f64 {
    let prefix = format!("{name}{{module=\"{module}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}
