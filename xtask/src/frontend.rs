//! The frontend (`frontend/`, TypeScript + React): installed with `npm ci`, built with webpack
//! into `frontend/dist/module.js`, tested with jest and in headless Chromium.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Context as _;

use crate::util::{project_root, run};

pub(crate) fn dir() -> PathBuf {
    project_root().join("frontend")
}

fn npm() -> Command {
    let mut c = Command::new("npm");
    c.current_dir(dir());
    c
}

/// `npm ci`, unless `node_modules` was installed from the same lockfile already.
pub(crate) fn install() -> anyhow::Result<()> {
    let lock =
        std::fs::read(dir().join("package-lock.json")).context("reading package-lock.json")?;
    let stamp = dir().join("node_modules").join(".quarry-lock");
    if std::fs::read(&stamp).is_ok_and(|s| s == lock) {
        return Ok(());
    }
    let mut cmd = npm();
    cmd.args(["ci", "--no-audit", "--no-fund"]);
    run(cmd).context("installing the frontend's packages (Node.js 20 and npm are needed)")?;
    std::fs::write(stamp, lock)?;
    Ok(())
}

/// Builds `frontend/dist/` (module.js, its source map, img/).
pub(crate) fn build() -> anyhow::Result<PathBuf> {
    install()?;
    let mut cmd = npm();
    cmd.args(["run", "build"]);
    run(cmd).context("building the frontend")?;
    Ok(dir().join("dist"))
}

/// Type check, unit tests (jest) and the browser test (headless Chromium from Debian).
pub(crate) fn test() -> anyhow::Result<()> {
    install()?;
    for script in ["typecheck", "test", "test:browser"] {
        let mut cmd = npm();
        cmd.args(["run", script]);
        run(cmd).with_context(|| format!("frontend: npm run {script}"))?;
    }
    Ok(())
}
