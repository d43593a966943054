//! CLI commands that run a module file in-process, for module authors.
//!
//! The main output (frames, health, resource bodies, ticks) goes to stdout; how long compiling
//! and each call took goes to stderr (`compiled hello.wasm in 1.23 s`, `query answered in
//! 3.4 ms`), so stdout can be piped.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use quarry_frame::to_json::{self, Include};
use quarry_frame::{Frame, table};

use super::hints;
use super::{ModuleArgs, Output, QueryArgs, ResourceArgs, StreamArgs};
use quarry_host::handler::{HealthStatus, ResourceRequest, StreamDecision};
use quarry_host::policy::{HostLimits, ModulePolicy};
use quarry_host::runtime::{CompiledModule, DatasourceSlots, GuestPool, Runtime};

/// `850 µs`, `3.4 ms`, `1.23 s`.
pub(crate) fn elapsed(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 1.0 {
        format!("{secs:.2} s")
    } else if secs >= 0.001 {
        format!("{:.1} ms", secs * 1e3)
    } else {
        format!("{} µs", d.as_micros())
    }
}

fn runtime_for(module: &Path) -> anyhow::Result<Runtime> {
    let dir = module.parent().unwrap_or(Path::new(".")).to_path_buf();
    Ok(Runtime::new(dir, HostLimits::from_env()?)?)
}

/// The module's name: its file stem, as a datasource's `jsonData.module` names it.
fn module_name(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("module")
        .to_string()
}

/// Compiles the module file, telling stderr how long it took.
pub(crate) async fn compile(runtime: &Runtime, path: &Path) -> anyhow::Result<Arc<CompiledModule>> {
    hints::check_module_file(path)?;
    let started = Instant::now();
    let module = runtime
        .cache()
        .load(&module_name(path), path)
        .await
        .map_err(hints::module_error)?;
    eprintln!(
        "compiled {} ({} KiB) in {}",
        path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned()
        ),
        module.size.div_ceil(1024),
        elapsed(started.elapsed())
    );
    Ok(module)
}

/// Compiles the module and creates its instance with the datasource settings of `args`.
pub(crate) async fn instance_with(
    runtime: &Runtime,
    args: &ModuleArgs,
) -> anyhow::Result<Arc<GuestPool>> {
    let module = compile(runtime, &args.module).await?;
    let settings = args.settings.to_settings()?;
    // The same limits, HTTP allow-list and secret grants a datasource with these settings gets
    // in Grafana.
    let policy = ModulePolicy::from_settings(&settings)?;
    runtime
        .instantiate(
            module,
            &settings,
            &policy,
            DatasourceSlots::new(&policy.limits),
        )
        .await
        .map_err(hints::call_error)
        .context("creating the module instance")
}

async fn instance(args: &ModuleArgs) -> anyhow::Result<Arc<GuestPool>> {
    instance_with(&runtime_for(&args.module)?, args).await
}

/// Prints frames to stdout.
pub(crate) fn print_frames(frames: &[impl AsRef<Frame>], output: Output) {
    for f in frames {
        match output {
            Output::Table => println!("{}", table::render_limited(f.as_ref(), 50)),
            Output::Json => println!("{}", to_json::to_json(f.as_ref(), Include::All)),
        }
    }
    if frames.is_empty() {
        println!("(no frames)");
    }
}

pub(super) async fn query(a: QueryArgs) -> anyhow::Result<()> {
    let guests = instance(&a.module).await?;
    let q = a.spec.to_query()?;
    let started = Instant::now();
    let frames = guests.query(&q).await.map_err(hints::call_error);
    eprintln!("query answered in {}", elapsed(started.elapsed()));
    print_frames(&frames?, a.output);
    Ok(())
}

pub(super) async fn health(a: ModuleArgs) -> anyhow::Result<()> {
    let guests = instance(&a).await?;
    let started = Instant::now();
    let h = guests.check_health().await.map_err(hints::call_error);
    eprintln!("health answered in {}", elapsed(started.elapsed()));
    let h = h?;
    println!("{:?}: {}", h.status, h.message);
    if let Some(d) = h.json_details {
        println!("details: {d}");
    }
    if h.status != HealthStatus::Ok {
        anyhow::bail!("health check did not pass");
    }
    Ok(())
}

/// Splits `path?query` as Grafana does: `path` without the query string or a leading `/`,
/// `url` = path + `?` + query.
pub(crate) fn resource_path(raw: &str) -> (String, String) {
    let raw = raw.trim_start_matches('/');
    let path = raw
        .split_once('?')
        .map_or(raw, |(path, _)| path)
        .to_string();
    let url = match raw.split_once('?') {
        Some((_, query)) if !query.is_empty() => format!("{path}?{query}"),
        _ => path.clone(),
    };
    (path, url)
}

/// `Name: value` → (name, value).
pub(crate) fn parse_headers(raw: &[String]) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    let mut headers: Vec<(String, Vec<String>)> = Vec::new();
    for h in raw {
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("--header {h:?}: expected \"Name: value\""))?;
        let (name, value) = (name.trim().to_string(), value.trim().to_string());
        match headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            Some((_, values)) => values.push(value),
            None => headers.push((name, vec![value])),
        }
    }
    Ok(headers)
}

pub(super) async fn resource(a: ResourceArgs) -> anyhow::Result<()> {
    let guests = instance(&a.module).await?;
    let spec = a.request;
    let (path, url) = resource_path(&spec.path);
    let request = ResourceRequest {
        method: spec.method.to_ascii_uppercase(),
        path,
        url,
        headers: parse_headers(&spec.header)?,
        body: spec.body.unwrap_or_default().into_bytes(),
    };
    let started = Instant::now();
    let response = guests
        .call_resource(&request)
        .await
        .map_err(hints::call_error);
    eprintln!("resource answered in {}", elapsed(started.elapsed()));
    let response = response?;
    // Status and headers on stderr, the body alone on stdout (so it pipes into jq).
    eprintln!("status {}", response.status);
    for (name, values) in &response.headers {
        for value in values {
            eprintln!("{name}: {value}");
        }
    }
    println!("{}", String::from_utf8_lossy(&response.body));
    if response.status >= 400 {
        anyhow::bail!("the module answered status {}", response.status);
    }
    Ok(())
}

/// A frame's schema: name, then each field's name, type and labels.
pub(crate) fn schema(frame: &Frame) -> String {
    let fields: Vec<String> = frame
        .fields
        .iter()
        .map(|f| {
            let nullable = if f.validity.is_some() { "?" } else { "" };
            let mut s = format!(
                "{}: {}{nullable}",
                f.name,
                f.values.field_type().short_name()
            );
            if !f.labels.is_empty() {
                let labels: Vec<String> =
                    f.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
                s.push_str(&format!(" {{{}}}", labels.join(", ")));
            }
            s
        })
        .collect();
    format!("{:?}: {}", frame.name, fields.join(", "))
}

pub(super) async fn stream(a: StreamArgs) -> anyhow::Result<()> {
    let guests = instance(&a.module).await?;
    let started = Instant::now();
    let decision = guests
        .subscribe_stream(&a.path, a.data.as_bytes())
        .await
        .map_err(hints::call_error);
    eprintln!("subscribe answered in {}", elapsed(started.elapsed()));
    let sub = match decision? {
        StreamDecision::Ok(s) => s,
        StreamDecision::NotFound => anyhow::bail!("the module has no stream at path {:?}", a.path),
        StreamDecision::PermissionDenied => anyhow::bail!("the module refused stream {:?}", a.path),
    };
    println!(
        "subscribed: interval {} ms (the host ticks no faster than every 10 ms)",
        sub.interval_ms
    );
    let mut last_schema = None;
    if let Some(f) = &sub.initial {
        let s = schema(f);
        println!("schema: {s}");
        println!("initial: {}", to_json::to_json(f, Include::All));
        last_schema = Some(s);
    }
    let mut streamer = guests.streamer().await.map_err(hints::call_error)?;
    let mut ticker =
        tokio::time::interval(std::time::Duration::from_millis(u64::from(sub.interval_ms)));
    let mut printed_first = false;
    for i in 0..a.ticks {
        ticker.tick().await;
        let started = Instant::now();
        let frames = streamer
            .tick(&a.path, a.data.as_bytes())
            .await
            .map_err(hints::call_error);
        eprintln!("tick {i} answered in {}", elapsed(started.elapsed()));
        for f in frames? {
            let s = schema(&f);
            if !printed_first || last_schema.as_ref() != Some(&s) {
                println!("schema: {s}");
                printed_first = true;
                last_schema = Some(s);
            }
            println!("tick {i}: {}", to_json::to_json(&f, Include::DataOnly));
        }
    }
    Ok(())
}

pub(super) async fn inspect(module: &Path) -> anyhow::Result<()> {
    hints::check_module_file(module)?;
    let runtime = runtime_for(module)?;
    let d = runtime
        .cache()
        .describe(module)
        .map_err(hints::module_error)?;
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
        return Err(hints::module_error(e));
    }
    let compiled = compile(&runtime, module).await?;
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

/// `quarry precompile`: compiled entries for `modules` in `out`, named as the plugin looks them up.
pub(super) fn precompile(out: &Path, modules: &[std::path::PathBuf]) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let dir = modules
        .first()
        .and_then(|m| m.parent())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let limits = HostLimits {
        cache_dir: None,
        ..HostLimits::from_env()?
    };
    let runtime = Runtime::new(dir, limits)?;
    for module in modules {
        let started = std::time::Instant::now();
        let entry = runtime.cache().precompile_into(module, out)?;
        eprintln!(
            "precompiled {} in {:.2} s -> {}",
            module.display(),
            started.elapsed().as_secs_f64(),
            entry.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_paths_split_like_grafana() {
        let cases = [
            ("scenarios", ("scenarios", "scenarios")),
            ("/scenarios", ("scenarios", "scenarios")),
            ("p?x=1", ("p", "p?x=1")),
            ("a/b?x=1&y=%20", ("a/b", "a/b?x=1&y=%20")),
            ("p?", ("p", "p")),
        ];
        for (raw, (path, url)) in cases {
            assert_eq!(
                resource_path(raw),
                (path.to_string(), url.to_string()),
                "{raw}"
            );
        }
    }

    #[test]
    fn headers_parse_and_group() {
        let h = parse_headers(&[
            "Content-Type: text/plain".into(),
            "x-a:1".into(),
            "X-A: 2".into(),
        ])
        .unwrap();
        assert_eq!(
            h,
            [
                ("Content-Type".to_string(), vec!["text/plain".to_string()]),
                ("x-a".to_string(), vec!["1".to_string(), "2".to_string()]),
            ]
        );
        assert!(parse_headers(&["nocolon".into()]).is_err());
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(elapsed(Duration::from_micros(850)), "850 µs");
        assert_eq!(elapsed(Duration::from_micros(3_400)), "3.4 ms");
        assert_eq!(elapsed(Duration::from_millis(1_234)), "1.23 s");
    }
}
