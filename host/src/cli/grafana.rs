//! `quarry grafana …`: launch a plugin executable as Grafana does and call it over gRPC.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use quarry_frame::{from_arrow, table};

use super::local::{elapsed, parse_headers, resource_path};
use super::{QuerySpec, ResourceSpec, SettingsArgs};
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
    /// CallResource: `resource 'metrics?match=cpu'`, or with --path, --method, --header, --body.
    Resource {
        /// The path below `resources/`, optionally with a query string (or use --path).
        #[arg(value_name = "PATH", required_unless_present = "path")]
        positional: Option<String>,
        #[command(flatten)]
        spec: OptionalResourceSpec,
    },
}

/// [`ResourceSpec`] whose path may be given positionally instead.
#[derive(Debug, Args)]
struct OptionalResourceSpec {
    /// The path below `resources/`, optionally with a query string.
    #[arg(long)]
    path: Option<String>,
    /// The HTTP method.
    #[arg(long, default_value = "GET")]
    method: String,
    /// A request header, `Name: value` (repeatable).
    #[arg(long, value_name = "NAME: VALUE")]
    header: Vec<String>,
    /// The request body.
    #[arg(long)]
    body: Option<String>,
}

/// Grafana's CallResource request for `spec`: `path` without the query string, `url` = path +
/// `?` + query.
fn resource_request(
    ctx: pb::PluginContext,
    spec: &ResourceSpec,
) -> anyhow::Result<pb::CallResourceRequest> {
    let (path, url) = resource_path(&spec.path);
    let headers = parse_headers(&spec.header)?
        .into_iter()
        .map(|(name, values)| (name, pb::StringList { values }))
        .collect();
    Ok(pb::CallResourceRequest {
        plugin_context: Some(ctx),
        path,
        method: spec.method.to_ascii_uppercase(),
        url,
        headers,
        body: spec.body.clone().unwrap_or_default().into_bytes(),
    })
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
            let started = std::time::Instant::now();
            let resp = plugin.data().query_data(req).await?.into_inner();
            eprintln!("query answered in {}", elapsed(started.elapsed()));
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
            let started = std::time::Instant::now();
            let r = plugin
                .diagnostics()
                .check_health(pb::CheckHealthRequest {
                    plugin_context: Some(ctx),
                    ..Default::default()
                })
                .await?
                .into_inner();
            eprintln!("health answered in {}", elapsed(started.elapsed()));
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
        Call::Resource { positional, spec } => {
            let spec = ResourceSpec {
                path: spec.path.or(positional).unwrap_or_default(),
                method: spec.method,
                header: spec.header,
                body: spec.body,
            };
            let started = std::time::Instant::now();
            let mut stream = plugin
                .resource()
                .call_resource(resource_request(ctx, &spec)?)
                .await?
                .into_inner();
            while let Some(msg) = stream.message().await? {
                if msg.code != 0 {
                    eprintln!("status {}", msg.code);
                }
                print!("{}", String::from_utf8_lossy(&msg.body));
            }
            println!();
            eprintln!("resource answered in {}", elapsed(started.elapsed()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_requests_carry_the_query_only_in_url() {
        let spec = ResourceSpec {
            path: "/p?x=1".into(),
            method: "post".into(),
            header: vec!["Content-Type: application/json".into()],
            body: Some("{}".into()),
        };
        let r = resource_request(pb::PluginContext::default(), &spec).unwrap();
        assert_eq!((r.path.as_str(), r.url.as_str()), ("p", "p?x=1"));
        assert_eq!(r.method, "POST");
        assert_eq!(r.body, b"{}");
        assert_eq!(r.headers["Content-Type"].values, ["application/json"]);
    }
}
