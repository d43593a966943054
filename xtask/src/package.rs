//! `cargo xtask package`: the zip Grafana's plugin installer takes — `quarry-wasm-datasource/`
//! holding plugin.json, the frontend, the logo, the stripped executable and the shipped modules —
//! with plugin.json checked against Grafana's published schema when it can be had, and against
//! the documented rules always.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::dist::dist;
use crate::util::target_dir;

/// The directory name Grafana expects inside the zip: the plugin id.
const PLUGIN_ID: &str = "quarry-wasm-datasource";

/// `--from-dist` zips `dist/` as it is (after signing it, say) instead of rebuilding it.
pub(crate) fn package(rest: &[String]) -> anyhow::Result<()> {
    let dist_dir = if rest.iter().any(|a| a == "--from-dist") {
        let d = crate::util::project_root().join("dist");
        if !d.join("plugin.json").exists() {
            bail!("dist/ has no plugin.json: run `cargo xtask dist` first");
        }
        d
    } else {
        let exe = dist(true)?;
        exe.parent()
            .expect("dist/ holds the executable")
            .to_path_buf()
    };
    check_plugin_json(&dist_dir.join("plugin.json"))?;
    let version = plugin_version(&dist_dir.join("plugin.json"))?;
    let out_dir = target_dir().join("package");
    std::fs::create_dir_all(&out_dir)?;
    let zip_path = out_dir.join(format!(
        "{PLUGIN_ID}-{version}.{}.zip",
        crate::build::go_platform().trim_end_matches(".exe")
    ));
    write_zip(&dist_dir, &zip_path)?;
    eprintln!("xtask: packaged {}", zip_path.display());
    Ok(())
}

fn plugin_version(path: &Path) -> anyhow::Result<String> {
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
    Ok(json["info"]["version"]
        .as_str()
        .context("plugin.json has no info.version")?
        .to_string())
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir)?.to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

fn write_zip(dist_dir: &Path, zip_path: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::create(zip_path)
        .with_context(|| format!("creating {}", zip_path.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    for rel in files(dist_dir)? {
        let name = format!("{PLUGIN_ID}/{}", rel.to_string_lossy().replace('\\', "/"));
        let executable = rel
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(crate::dist::EXECUTABLE));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(if executable { 0o755 } else { 0o644 });
        zip.start_file(name, options)?;
        zip.write_all(&std::fs::read(dist_dir.join(&rel))?)?;
    }
    zip.finish()?;
    Ok(())
}

/// The schema check (frontend/scripts/check-plugin-json.mjs, ajv) when Grafana's schema can be
/// had; the documented rules in any case.
fn check_plugin_json(path: &Path) -> anyhow::Result<()> {
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)
        .with_context(|| format!("{} is not JSON", path.display()))?;
    let problems = documented_rules(&json);
    if !problems.is_empty() {
        bail!(
            "plugin.json breaks Grafana's rules:\n  - {}",
            problems.join("\n  - ")
        );
    }
    crate::frontend::install()?;
    let status = Command::new("node")
        .arg("scripts/check-plugin-json.mjs")
        .arg(path)
        .current_dir(crate::frontend::dir())
        .status()
        .context("running node")?;
    match status.code() {
        Some(0) => Ok(()),
        Some(3) => {
            eprintln!(
                "xtask: WARNING: Grafana's plugin.schema.json could not be obtained here (see above); plugin.json was checked against the documented rules only"
            );
            Ok(())
        }
        _ => bail!("plugin.json does not validate against Grafana's schema"),
    }
}

/// Grafana's documented plugin.json rules for a backend datasource (plugin-tools reference).
fn documented_rules(p: &serde_json::Value) -> Vec<String> {
    let mut problems = Vec::new();
    let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let id = s(&p["id"]).unwrap_or_default();
    let id_ok = {
        let parts: Vec<&str> = id.split('-').collect();
        (2..=3).contains(&parts.len())
            && parts.iter().all(|x| {
                !x.is_empty()
                    && x.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            })
            && ["app", "panel", "datasource"].contains(parts.last().unwrap_or(&""))
    };
    if !id_ok {
        problems.push(format!(
            "id {id:?} must be <org>-<name>-<type>, lower-case letters and digits"
        ));
    }
    if !["app", "datasource", "panel", "renderer", "secretsmanager"]
        .contains(&p["type"].as_str().unwrap_or(""))
    {
        problems.push("type must be app, datasource, panel, renderer or secretsmanager".into());
    }
    if s(&p["name"]).is_none_or(|n| n.is_empty()) {
        problems.push("name is required".into());
    }
    let info = &p["info"];
    for key in ["small", "large"] {
        if s(&info["logos"][key]).is_none() {
            problems.push(format!("info.logos.{key} is required"));
        }
    }
    let version = s(&info["version"]).unwrap_or_default();
    if version.split('.').count() != 3
        || !version
            .split('.')
            .all(|n| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty())
    {
        problems.push(format!("info.version {version:?} must be semver (x.y.z)"));
    }
    let dep = s(&p["dependencies"]["grafanaDependency"]).unwrap_or_default();
    if !dep.starts_with(">=") {
        problems.push(format!(
            "dependencies.grafanaDependency {dep:?} must be a range such as >=12.0.0"
        ));
    }
    if p["backend"] == true && s(&p["executable"]).is_none_or(|e| e.is_empty()) {
        problems.push("a backend plugin needs executable".into());
    }
    if p["alerting"] == true && p["backend"] != true {
        problems.push("alerting requires backend".into());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::documented_rules;

    #[test]
    fn the_repository_plugin_json_follows_the_rules() {
        let p: serde_json::Value = serde_json::from_str(include_str!("../../plugin.json")).unwrap();
        assert_eq!(documented_rules(&p), Vec::<String>::new());
        let mut broken = p.clone();
        broken["id"] = "Quarry".into();
        broken["executable"] = serde_json::Value::Null;
        broken["info"]["version"] = "1".into();
        assert_eq!(documented_rules(&broken).len(), 3);
    }
}
