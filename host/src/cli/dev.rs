//! `quarry dev <project>`: the author loop. Watches the project's sources (polling), runs its
//! build command on each change, installs the output into the plugin's modules directory as
//! `<name>.wasm` (written beside it, then renamed, so the plugin never reads half a file), and
//! runs the sample query and health check of `quarry.toml` against the new build in-process.
//! A running plugin picks the new file up by itself; refresh the panel.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use clap::Args;

use super::local::{compile, elapsed, print_frames};
use super::manifest::Manifest;
use super::{Output, SettingsArgs, hints};
use quarry_host::handler::{DataQuery, HealthStatus};
use quarry_host::policy::{HostLimits, ModulePolicy};
use quarry_host::runtime::{DatasourceSlots, Runtime};

#[derive(Debug, Args)]
pub(crate) struct DevArgs {
    /// The module project (the directory holding quarry.toml).
    #[arg(default_value = ".")]
    project: PathBuf,
    /// The plugin's modules directory (default: $GF_PLUGIN_MODULES_DIR).
    #[arg(long)]
    plugin_modules: Option<PathBuf>,
    /// Build, install and check once, then exit (non-zero when any step fails).
    #[arg(long)]
    once: bool,
    /// How often to look for changes, in milliseconds.
    #[arg(long, default_value_t = 500)]
    poll_ms: u64,
    /// The sample query model (default: quarry.toml's dev.query).
    #[arg(long)]
    query: Option<String>,
    /// The sample datasource jsonData (default: quarry.toml's dev.json_data).
    #[arg(long)]
    json_data: Option<String>,
}

pub(crate) async fn run(a: DevArgs) -> anyhow::Result<()> {
    let manifest = Manifest::read(&a.project)?;
    let modules = a
        .plugin_modules
        .clone()
        .or_else(|| std::env::var_os("GF_PLUGIN_MODULES_DIR").map(PathBuf::from))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "where is the plugin's modules directory? Pass --plugin-modules <dir> or set \
             GF_PLUGIN_MODULES_DIR"
            )
        })?;
    if !modules.is_dir() {
        anyhow::bail!("the modules directory {} does not exist", modules.display());
    }
    let name = &manifest.module.name;
    let target = modules.join(format!("{name}.wasm"));
    eprintln!(
        "quarry dev: {} → {} (datasources load it with jsonData.module = {name:?})",
        a.project.join(&manifest.build.output).display(),
        target.display()
    );
    let mut last: Option<Stamp> = None;
    loop {
        let stamp = Stamp::of(&a.project, &manifest.build.watch);
        if last.as_ref() != Some(&stamp) {
            last = Some(stamp);
            let result = cycle(&a, &manifest, &target).await;
            if let Err(e) = &result {
                eprintln!("quarry dev: {e:#}");
            }
            if a.once {
                return result;
            }
            eprintln!("quarry dev: watching {} for changes", watched(&manifest));
        }
        tokio::time::sleep(Duration::from_millis(a.poll_ms.max(50))).await;
    }
}

fn watched(manifest: &Manifest) -> String {
    let paths: Vec<String> = manifest
        .build
        .watch
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    paths.join(", ")
}

/// One build → check → install → sample run.
async fn cycle(a: &DevArgs, manifest: &Manifest, target: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let (program, args) = manifest
        .build
        .command
        .split_first()
        .expect("the manifest checks the command is not empty");
    eprintln!("quarry dev: building: {}", manifest.build.command.join(" "));
    let status = Command::new(build_program(&a.project, program))
        .args(args)
        .envs(&manifest.build.env)
        .current_dir(&a.project)
        .status()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => anyhow::anyhow!(
                "the build command's program {program:?} was not found ({}): the project's \
                 README.md says how to install what its build needs",
                if build_program(&a.project, program).is_absolute() {
                    "no such file in the project"
                } else {
                    "not on PATH"
                }
            ),
            _ => anyhow::Error::new(e).context(format!("running {program}")),
        })?;
    if !status.success() {
        anyhow::bail!("the build failed ({status}); fix it and save again");
    }
    eprintln!("quarry dev: built in {}", elapsed(started.elapsed()));
    let output = a.project.join(&manifest.build.output);
    hints::check_module_file(&output)?;

    // Checked before it is installed: a module that does not load never reaches the plugin
    // (which would keep the old one anyway, and say so only in its log).
    let runtime = Runtime::new(
        output.parent().unwrap_or(Path::new(".")).to_path_buf(),
        HostLimits::from_env()?,
    )?;
    let module = compile(&runtime, &output).await?;
    // What Grafana's editors are generated from: an unusable descriptor is refused here, not in
    // the datasource's settings page.
    match runtime
        .descriptor(&module)
        .await
        .map_err(|e| anyhow::anyhow!("the module's descriptor is unusable: {e}"))?
    {
        Some(descriptor) => println!("descriptor: {}", descriptor_summary(&descriptor)),
        None => println!("descriptor: none (built for contract 0.2: Grafana shows JSON editors)"),
    }
    install(&output, target)?;
    eprintln!("quarry dev: installed {}", target.display());

    let settings = SettingsArgs {
        json_data: a
            .json_data
            .clone()
            .unwrap_or_else(|| manifest.dev.json_data.clone()),
        secure: Vec::new(),
        uid: "quarry-dev".into(),
        name: "quarry dev".into(),
        url: String::new(),
    }
    .to_settings()?;
    let policy = ModulePolicy::from_settings(&settings)?;
    let guests = runtime
        .instantiate(
            module,
            &settings,
            &policy,
            DatasourceSlots::new(&policy.limits),
        )
        .await
        .map_err(hints::call_error)
        .context("creating the module instance")?;
    let now = super::time::now_ms();
    let query = DataQuery {
        ref_id: "A".into(),
        query_type: String::new(),
        from_ms: now - 3_600_000,
        to_ms: now,
        interval_ms: 60_000,
        max_data_points: 1000,
        json: a
            .query
            .clone()
            .unwrap_or_else(|| manifest.dev.query.clone())
            .into_bytes(),
    };
    let started = Instant::now();
    let frames = guests.query(&query).await.map_err(hints::call_error);
    eprintln!("query answered in {}", elapsed(started.elapsed()));
    let frames = frames?;
    print_frames(&frames, Output::Table);
    let started = Instant::now();
    let health = guests.check_health().await.map_err(hints::call_error);
    eprintln!("health answered in {}", elapsed(started.elapsed()));
    let health = health?;
    println!("health {:?}: {}", health.status, health.message);
    if health.status != HealthStatus::Ok {
        anyhow::bail!("the health check did not pass");
    }
    Ok(())
}

/// The build command's program: a relative path (`.venv/bin/python`, `./build.sh`) is the
/// project's, wherever `quarry dev` runs; a bare name (`cargo`, `node`) is looked up on PATH.
fn build_program(project: &Path, program: &str) -> PathBuf {
    let path = Path::new(program);
    if path.is_relative() && path.components().count() > 1 {
        std::path::absolute(project.join(path)).unwrap_or_else(|_| project.join(path))
    } else {
        path.to_path_buf()
    }
}

/// One line for the descriptor the host serves to Grafana's editors: settings, query
/// properties (with their flags), default query and streams.
fn descriptor_summary(d: &serde_json::Value) -> String {
    let list = |items: Vec<String>| format!("[{}]", items.join(", "));
    let flagged = |key: &str, flags: &[(&str, bool)]| {
        let on: Vec<&str> = flags.iter().filter(|(_, f)| *f).map(|(n, _)| *n).collect();
        if on.is_empty() {
            key.to_string()
        } else {
            format!("{key} ({})", on.join(", "))
        }
    };
    let settings = d["settings"].as_array().map_or_else(Vec::new, |s| {
        s.iter()
            .map(|s| {
                flagged(
                    s["key"].as_str().unwrap_or_default(),
                    &[
                        ("required", s["required"] == true),
                        ("secret", s["secret"] == true),
                    ],
                )
            })
            .collect()
    });
    let schema = &d["querySchema"];
    let required = |key: &str| {
        schema["required"]
            .as_array()
            .is_some_and(|r| r.iter().any(|k| k == key))
    };
    let query = schema["x-order"].as_array().map_or_else(Vec::new, |order| {
        order
            .iter()
            .filter_map(|k| k.as_str())
            .map(|key| {
                let p = &schema["properties"][key];
                flagged(
                    key,
                    &[("main", p["x-main"] == true), ("required", required(key))],
                )
            })
            .collect()
    });
    let streams = d["streams"].as_array().map_or_else(Vec::new, |s| {
        s.iter()
            .map(|s| s["path"].as_str().unwrap_or_default().to_string())
            .collect()
    });
    format!(
        "settings {}, query {}, default query {}, streams {}",
        list(settings),
        list(query),
        d["defaultQuery"],
        list(streams)
    )
}

/// Copies `from` to `to` atomically: written beside `to`, then renamed over it.
fn install(from: &Path, to: &Path) -> anyhow::Result<()> {
    let name = to.file_name().unwrap_or_default().to_string_lossy();
    // A dot file without the .wasm extension: the plugin never takes it for a module.
    let tmp = to.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::copy(from, &tmp)
        .with_context(|| format!("copying {} to {}", from.display(), tmp.display()))?;
    std::fs::rename(&tmp, to).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("renaming {} to {}", tmp.display(), to.display())
    })?;
    Ok(())
}

/// What the watched files look like: their paths, sizes and modification times.
#[derive(Debug, PartialEq, Eq)]
struct Stamp(Vec<(PathBuf, u64, Option<SystemTime>)>);

impl Stamp {
    fn of(project: &Path, watch: &[PathBuf]) -> Stamp {
        let mut files = Vec::new();
        for path in watch {
            walk(&project.join(path), &mut files);
        }
        files.sort();
        Stamp(files)
    }
}

fn walk(path: &Path, out: &mut Vec<(PathBuf, u64, Option<SystemTime>)>) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if meta.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            // Editors' swap and backup files, build output, caches (Python writes __pycache__
            // beside the sources, componentize-py included) and installed packages are not
            // sources: a build must not trigger the next.
            let name = name.to_string_lossy();
            if name.starts_with('.')
                || name.ends_with('~')
                || ["target", "__pycache__", "node_modules"].contains(&name.as_ref())
            {
                continue;
            }
            walk(&entry.path(), out);
        }
    } else {
        out.push((path.to_path_buf(), meta.len(), meta.modified().ok()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_change_with_the_sources_only() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir_all(src.join("target")).unwrap();
        std::fs::write(src.join("lib.rs"), "a").unwrap();
        let watch = [PathBuf::from("src"), PathBuf::from("Cargo.toml")];
        let first = Stamp::of(dir.path(), &watch);
        assert_eq!(first.0.len(), 1);
        std::fs::write(src.join(".lib.rs.swp"), "x").unwrap();
        std::fs::write(src.join("target/out"), "x").unwrap();
        for cache in ["__pycache__", "node_modules"] {
            std::fs::create_dir_all(src.join(cache)).unwrap();
            std::fs::write(src.join(cache).join("x"), "x").unwrap();
        }
        assert_eq!(Stamp::of(dir.path(), &watch), first);
        std::fs::write(src.join("lib.rs"), "ab").unwrap();
        assert_ne!(Stamp::of(dir.path(), &watch), first);
    }

    #[test]
    fn build_programs_are_the_projects_or_on_path() {
        let project = Path::new("/work/m");
        assert_eq!(
            build_program(project, ".venv/bin/python"),
            Path::new("/work/m/.venv/bin/python")
        );
        assert_eq!(
            build_program(project, "./build.sh"),
            Path::new("/work/m/build.sh")
        );
        assert_eq!(build_program(project, "node"), Path::new("node"));
        assert_eq!(
            build_program(project, "/usr/bin/make"),
            Path::new("/usr/bin/make")
        );
    }

    #[test]
    fn descriptor_summary_names_fields_and_flags() {
        let d = serde_json::json!({
            "settings": [
                {"key": "endpoint", "required": true, "secret": false},
                {"key": "apiKey", "required": false, "secret": true},
            ],
            "querySchema": {
                "properties": {"metric": {"x-main": true}, "points": {}},
                "required": ["metric"],
                "x-order": ["metric", "points"],
            },
            "defaultQuery": {"metric": ""},
            "streams": [{"path": "latest/{metric}"}],
        });
        assert_eq!(
            descriptor_summary(&d),
            r#"settings [endpoint (required), apiKey (secret)], query [metric (main, required), points], default query {"metric":""}, streams [latest/{metric}]"#
        );
    }

    #[test]
    fn install_replaces_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("a_b.wasm"), dir.path().join("a-b.wasm"));
        std::fs::write(&from, "new").unwrap();
        std::fs::write(&to, "old").unwrap();
        install(&from, &to).unwrap();
        assert_eq!(std::fs::read_to_string(&to).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    }
}
