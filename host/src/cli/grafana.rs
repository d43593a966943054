//! `quarry grafana …`: launch a plugin executable as Grafana does and call it over gRPC.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use quarry_frame::{from_arrow, table};

use super::{QuerySpec, SettingsArgs};
use quarry_host::client::PluginProcess;
use quarry_host::grpc::pluginv2::pluginv2 as pb;

#[derive(Debug, Args)]
pub(crate) struct GrafanaArgs {
    /// The plugin executable (e.g. dist/gpx_quarry_linux_amd64).
    #[arg(long)]
    plugin: PathBuf,
    /// Passed to the plugin as GF_PLUGIN_MODULES_DIR, as `[plugin.<id>] modules_dir` in grafana.ini would.
    #[arg(long)]
    modules_dir: Option<PathBuf>,
    #[command(flatten)]
    settings: SettingsArgs,
    #[command(subcommand)]
    call: Call,
}

#[derive(Debug, Subcommand)]
enum Call {
    /// QueryData with one query; frames are decoded from Arrow and printed as tables.
    Query(QuerySpec),
    /// CheckHealth ("Save & test").
    Health,
    /// CollectMetrics.
    Metrics,
    /// CallResource with GET on a path.
    Resource {
        /// The path below `resources/`.
        path: String,
    },
}

fn plugin_context(s: &SettingsArgs) -> anyhow::Result<pb::PluginContext> {
    let settings = s.to_settings()?;
    Ok(pb::PluginContext {
        org_id: 1,
        plugin_id: "quarry-wasm-datasource".into(),
        data_source_instance_settings: Some(pb::DataSourceInstanceSettings {
            id: settings.id,
            uid: settings.uid,
            name: settings.name,
            url: settings.url,
            json_data: settings.json_data.into_bytes(),
            decrypted_secure_json_data: settings.secure_json_data.into_iter().collect(),
            last_updated_ms: settings.updated_ms,
            ..Default::default()
        }),
        user_agent: format!(
            "Grafana/12.1.0 ({}; {})",
            std::env::consts::OS,
            std::env::consts::ARCH
        ),
        ..Default::default()
    })
}

pub(super) async fn run(a: GrafanaArgs) -> anyhow::Result<()> {
    let dir = a.modules_dir.as_ref().map(|d| d.display().to_string());
    let mut env = Vec::new();
    if let Some(d) = &dir {
        env.push(("GF_PLUGIN_MODULES_DIR", d.as_str()));
    }
    let plugin = PluginProcess::launch(&a.plugin, &env).await?;
    eprintln!(
        "launched {} as Grafana would; handshake: {} {}",
        a.plugin.display(),
        plugin.network,
        plugin.address
    );
    let ctx = plugin_context(&a.settings)?;
    let result = call(&plugin, ctx, a.call).await;
    plugin.shutdown().await;
    result
}

async fn call(plugin: &PluginProcess, ctx: pb::PluginContext, call: Call) -> anyhow::Result<()> {
    match call {
        Call::Query(spec) => {
            let q = spec.to_query()?;
            let req = pb::QueryDataRequest {
                plugin_context: Some(ctx),
                queries: vec![pb::DataQuery {
                    ref_id: q.ref_id.clone(),
                    max_data_points: q.max_data_points,
                    interval_ms: q.interval_ms,
                    time_range: Some(pb::TimeRange {
                        from_epoch_ms: q.from_ms,
                        to_epoch_ms: q.to_ms,
                    }),
                    json: q.json,
                    query_type: q.query_type,
                }],
                ..Default::default()
            };
            let resp = plugin.data().query_data(req).await?.into_inner();
            let r = resp
                .responses
                .get(&q.ref_id)
                .ok_or_else(|| anyhow::anyhow!("no response for refId {}", q.ref_id))?;
            println!(
                "refId {}: status {}, {} frame(s)",
                q.ref_id,
                r.status,
                r.frames.len()
            );
            for bytes in &r.frames {
                let frame = from_arrow::from_arrow(bytes)?;
                println!("{}", table::render_limited(&frame, 20));
            }
            if !r.error.is_empty() {
                anyhow::bail!("query error ({}): {}", r.error_source, r.error);
            }
        }
        Call::Health => {
            let r = plugin
                .diagnostics()
                .check_health(pb::CheckHealthRequest {
                    plugin_context: Some(ctx),
                    ..Default::default()
                })
                .await?
                .into_inner();
            let status = pb::check_health_response::HealthStatus::try_from(r.status)
                .map_or_else(|_| r.status.to_string(), |s| s.as_str_name().to_string());
            println!("{status}: {}", r.message);
        }
        Call::Metrics => {
            let r = plugin
                .diagnostics()
                .collect_metrics(pb::CollectMetricsRequest {
                    plugin_context: Some(ctx),
                })
                .await?
                .into_inner();
            let text = r.metrics.map(|m| m.prometheus).unwrap_or_default();
            print!("{}", String::from_utf8_lossy(&text));
        }
        Call::Resource { path } => {
            let mut stream = plugin
                .resource()
                .call_resource(pb::CallResourceRequest {
                    plugin_context: Some(ctx),
                    url: path.clone(),
                    path,
                    method: "GET".into(),
                    ..Default::default()
                })
                .await?
                .into_inner();
            while let Some(msg) = stream.message().await? {
                if msg.code != 0 {
                    println!("status {}", msg.code);
                }
                println!("{}", String::from_utf8_lossy(&msg.body));
            }
        }
    }
    Ok(())
}
