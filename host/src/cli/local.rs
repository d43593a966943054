//! CLI commands that run a module file in-process, for module authors.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use quarry_frame::table;
use quarry_frame::to_json::{self, Include};

use super::{ModuleArgs, Output, QueryArgs, StreamArgs};
use quarry_host::handler::{HealthStatus, StreamDecision};
use quarry_host::policy::{HostLimits, ModulePolicy};
use quarry_host::runtime::{GuestPool, Runtime};

fn runtime_for(module: &Path) -> anyhow::Result<Runtime> {
    let dir = module.parent().unwrap_or(Path::new(".")).to_path_buf();
    Ok(Runtime::new(dir, HostLimits::from_env()?)?)
}

async fn instance(args: &ModuleArgs) -> anyhow::Result<Arc<GuestPool>> {
    let runtime = runtime_for(&args.module)?;
    let name = args
        .module
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("module")
        .to_string();
    let module = runtime.cache().load(&name, &args.module).await?;
    let settings = args.settings.to_settings()?;
    // The same limits, HTTP allow-list and secret grants a datasource with these settings gets
    // in Grafana.
    let policy = ModulePolicy::from_settings(&settings)?;
    runtime
        .instantiate(module, &settings, &policy)
        .await
        .context("creating the module instance")
}

pub(super) async fn query(a: QueryArgs) -> anyhow::Result<()> {
    let guests = instance(&a.module).await?;
    let q = a.spec.to_query()?;
    let frames = guests.query(&q).await?;
    for f in &frames {
        match a.output {
            Output::Table => println!("{}", table::render_limited(f, 50)),
            Output::Json => println!("{}", to_json::to_json(f, Include::All)),
        }
    }
    if frames.is_empty() {
        println!("(no frames)");
    }
    Ok(())
}

pub(super) async fn health(a: ModuleArgs) -> anyhow::Result<()> {
    let guests = instance(&a).await?;
    let h = guests.check_health().await?;
    println!("{:?}: {}", h.status, h.message);
    if let Some(d) = h.json_details {
        println!("details: {d}");
    }
    if h.status != HealthStatus::Ok {
        anyhow::bail!("health check did not pass");
    }
    Ok(())
}

pub(super) async fn stream(a: StreamArgs) -> anyhow::Result<()> {
    let guests = Arc::new(instance(&a.module).await?);
    let sub = match guests.subscribe_stream(&a.path, a.data.as_bytes()).await? {
        StreamDecision::Ok(s) => s,
        StreamDecision::NotFound => anyhow::bail!("the module has no stream at path {:?}", a.path),
        StreamDecision::PermissionDenied => anyhow::bail!("the module refused stream {:?}", a.path),
    };
    println!("subscribed: interval {} ms", sub.interval_ms);
    if let Some(f) = &sub.initial {
        println!("initial: {}", to_json::to_json(f, Include::All));
    }
    let mut streamer = guests.streamer().await?;
    let mut ticker =
        tokio::time::interval(std::time::Duration::from_millis(u64::from(sub.interval_ms)));
    for i in 0..a.ticks {
        ticker.tick().await;
        for f in streamer.tick(&a.path, a.data.as_bytes()).await? {
            println!("tick {i}: {}", to_json::to_json(&f, Include::DataOnly));
        }
    }
    Ok(())
}

pub(super) async fn inspect(module: &Path) -> anyhow::Result<()> {
    let runtime = runtime_for(module)?;
    let d = runtime.cache().describe(module)?;
    match &d.contract {
        Ok(v) => println!("contract: {v} (compatible with this host)"),
        Err(e) => println!("contract: {e}"),
    }
    println!("exports:");
    for e in &d.exports {
        println!("  {e}");
    }
    println!("imports:");
    for i in &d.imports {
        println!("  {i}");
    }
    if let Err(e) = d.contract {
        return Err(e.into());
    }
    let name = module
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("module");
    let compiled = runtime.cache().load(name, module).await?;
    match runtime
        .descriptor(&compiled)
        .await
        .map_err(anyhow::Error::msg)?
    {
        Some(descriptor) => println!(
            "descriptor:\n{}",
            serde_json::to_string_pretty(&descriptor).unwrap_or_default()
        ),
        None => println!("descriptor: none (built for contract 0.2: Grafana shows JSON editors)"),
    }
    Ok(())
}
