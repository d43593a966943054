//! Building: the wasm32-wasip2 target, the modules, the host binary.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Context as _;

use crate::util::{cargo, copy, project_root, run, target_dir};

/// Modules shipped in dist/ (the hostile module exists only for tests).
pub(crate) const SHIPPED_MODULES: &[&str] = &["synthetic", "http-api"];
/// Every module crate under modules/.
pub(crate) const ALL_MODULES: &[&str] = &["synthetic", "http-api", "hostile", "hello", "legacy"];
pub(crate) const WASM_TARGET: &str = "wasm32-wasip2";

/// Installs the wasm32-wasip2 standard library with rustup when it is missing.
fn ensure_wasm_target() -> anyhow::Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(project_root())
        .output()
        .context("running rustup (needed to install the wasm32-wasip2 target)")?;
    if String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == WASM_TARGET)
    {
        return Ok(());
    }
    let mut cmd = Command::new("rustup");
    cmd.args(["target", "add", WASM_TARGET])
        .current_dir(project_root());
    run(cmd).context("installing the wasm32-wasip2 target")
}

/// Builds every module; returns the directory holding `<module>.wasm` for each, named as the
/// datasources name them (cargo writes `http_api.wasm` for crate `http-api`).
pub(crate) fn build_modules() -> anyhow::Result<PathBuf> {
    ensure_wasm_target()?;
    let mut cmd = cargo();
    cmd.args(["build", "--target", WASM_TARGET, "--profile", "wasm"]);
    for m in ALL_MODULES {
        cmd.args(["-p", m]);
    }
    run(cmd)?;
    let built = target_dir().join(WASM_TARGET).join("wasm");
    let out = target_dir().join("quarry-modules");
    std::fs::create_dir_all(&out)?;
    for m in ALL_MODULES {
        copy(
            &built.join(format!("{}.wasm", m.replace('-', "_"))),
            &out.join(format!("{m}.wasm")),
        )?;
    }
    Ok(out)
}

pub(crate) fn host_binary(release: bool) -> anyhow::Result<PathBuf> {
    let mut cmd = cargo();
    cmd.args(["build", "-p", "quarry-host", "--bin", "quarry"]);
    if release {
        cmd.arg("--release");
    }
    run(cmd)?;
    let exe = format!("quarry{}", std::env::consts::EXE_SUFFIX);
    Ok(target_dir()
        .join(if release { "release" } else { "debug" })
        .join(exe))
}

/// Grafana's name for this platform: `<os>_<arch>` as Go spells them.
pub(crate) fn go_platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{os}_{arch}{}", std::env::consts::EXE_SUFFIX)
}
