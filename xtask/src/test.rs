//! The test suite (what CI runs), the Go conformance suite, and lint.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use crate::build::{build_modules, go_platform};
use crate::dist::package;
use crate::util::{cargo, go_available, project_root, run, target_dir};

pub(crate) fn test(rest: &[String]) -> anyhow::Result<()> {
    // Formatting is checked here because it costs no build; clippy is `cargo xtask lint`.
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    run(fmt).context("code is not formatted: run `cargo fmt --all`")?;
    crate::wit::check()?;
    let modules = build_modules()?;
    crate::polyglot::build_polyglot()?;
    let oci = crate::oci_tools::build_oci_tools()?;
    let mut cmd = cargo();
    cmd.args(["test", "--workspace"])
        .args(rest)
        .env("QUARRY_TEST_MODULES", &modules)
        .env("QUARRY_TEST_REGISTRY_EXE", &oci.registry)
        .env("QUARRY_TEST_ORAS_EXE", &oci.oras);
    run(cmd)?;
    crate::frontend::test()?;
    conformance(&modules)
}

pub(crate) fn conformance_dir() -> PathBuf {
    project_root().join("tests").join("conformance")
}

/// Builds the Go reference plugin (written with grafana-plugin-sdk-go).
pub(crate) fn reference_plugin() -> anyhow::Result<PathBuf> {
    let out = target_dir()
        .join("conformance")
        .join(format!("gpx_reference_{}", go_platform()));
    let mut cmd = Command::new("go");
    cmd.args(["build", "-o"])
        .arg(&out)
        .arg("./reference")
        .current_dir(conformance_dir());
    run(cmd)?;
    Ok(out)
}

/// The Go conformance suite: Grafana's own client libraries against dist/ as packaged, and
/// against the Go reference plugin, so both are seen to answer alike.
fn conformance(modules: &Path) -> anyhow::Result<()> {
    if !go_available() {
        eprintln!(
            "xtask: SKIPPING the Go conformance suite (tests/conformance): `go` is not on PATH (install Go >= 1.26.5; CI has it)"
        );
        return Ok(());
    }
    // The binary `cargo test` just built and tested: packaging it compiles nothing (a separate
    // `cargo build -p quarry-host` would unify features differently and build wasmtime again).
    let tested = target_dir()
        .join("debug")
        .join(format!("quarry{}", std::env::consts::EXE_SUFFIX));
    let quarry = package(&tested, modules, false)?;
    let reference = reference_plugin()?;
    for (kind, exe) in [("quarry", &quarry), ("reference", &reference)] {
        eprintln!(
            "xtask: conformance suite against {kind} ({})",
            exe.display()
        );
        let mut cmd = Command::new("go");
        cmd.args(["test", ".", "-count=1"])
            .env("QUARRY_PLUGIN_EXE", exe)
            .env("QUARRY_PLUGIN_KIND", kind)
            .current_dir(conformance_dir());
        run(cmd)?;
    }
    Ok(())
}

pub(crate) fn lint() -> anyhow::Result<()> {
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    run(fmt)?;
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    run(clippy)
}
