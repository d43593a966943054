//! Packaging dist/ and the demo.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use crate::build::{SHIPPED_MODULES, build_modules, go_platform, host_binary};
use crate::util::{copy, project_root, run};

/// Grafana looks for `<executable>_<os>_<arch>`; this is the `executable` of plugin.json.
pub(crate) const EXECUTABLE: &str = "gpx_quarry";

/// Packages dist/: plugin.json, the executable under Grafana's name, the frontend stub, the
/// logo and the shipped modules. Returns the path of the packaged executable.
pub(crate) fn dist(release: bool) -> anyhow::Result<PathBuf> {
    let modules = build_modules()?;
    let host = host_binary(release)?;
    package(&host, &modules)
}

/// Packages dist/ from a host binary already built and the built modules.
pub(crate) fn package(host: &Path, modules: &Path) -> anyhow::Result<PathBuf> {
    let root = project_root();
    let dist = root.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist).context("clearing dist/")?;
    }
    std::fs::create_dir_all(dist.join("modules"))?;
    std::fs::create_dir_all(dist.join("img"))?;
    copy(&root.join("plugin.json"), &dist.join("plugin.json"))?;
    let frontend = crate::frontend::build()?;
    for file in ["module.js", "module.js.map", "img/logo.svg"] {
        copy(&frontend.join(file), &dist.join(file))?;
    }
    let exe = dist.join(format!("{EXECUTABLE}_{}", go_platform()));
    copy(host, &exe)?;
    for m in SHIPPED_MODULES {
        copy(
            &modules.join(format!("{m}.wasm")),
            &dist.join("modules").join(format!("{m}.wasm")),
        )?;
    }
    eprintln!("xtask: packaged {}", dist.display());
    Ok(exe)
}

pub(crate) fn demo() -> anyhow::Result<()> {
    let exe = dist(true)?;
    let mut cmd = Command::new(&exe);
    cmd.args(["grafana", "--plugin"])
        .arg(&exe)
        .args([
            "--json-data",
            r#"{"module":"synthetic"}"#,
            "--uid",
            "demo",
            "--name",
            "Quarry demo",
        ])
        .args([
            "query",
            "--query",
            r#"{"scenario":"random_walk","seriesCount":2,"labels":{"env":"demo"}}"#,
        ])
        .args(["--from", "now-10m", "--to", "now", "--interval-ms", "60000"])
        .current_dir(project_root());
    run(cmd)
}
