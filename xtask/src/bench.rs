//! `cargo xtask bench [--quick] [--criterion] [--no-scripts] [-- <driver flags>]`: Quarry against the Go
//! reference plugin, both launched and called through Grafana's own client libraries.
//!
//! Builds the release host and the modules and lays them out as dist/ would (the executable
//! under Grafana's name with `modules/` beside it, shipped modules only, since Quarry compiles
//! every module it finds at start-up) in `target/quarrybench/plugin/`, so the benchmark neither
//! needs the frontend build nor replaces a dist/ a developer is using. Then it builds the Go
//! reference plugin and the Go driver (`tests/conformance/cmd/quarrybench`) and runs the driver. A full run writes
//! `BENCHMARKS.md` and `BENCHMARKS.png` at the root of the repository; `--quick` is a short
//! smoke run whose report goes to `target/quarrybench/quick/` so it never replaces the committed
//! one. Every value and sample lands in `target/quarrybench/results.json`.
//!
//! The Python and JavaScript modules (`cargo xtask build-polyglot`) are built too, for the
//! restart-with-a-script-module figure; `--no-scripts` leaves that figure out.
//!
//! `--criterion` also runs the criterion benchmarks of `host/benches/plugin.rs` (QueryData
//! through Quarry's own Rust client, and the Arrow encoding of a 1,000,000-row frame). They are
//! not part of the default run: their client is not Grafana's, and building the bench profile
//! compiles wasmtime once more, which alone would take most of the time budget on a 2-core
//! machine. They stay useful for work on the encoder.

use std::process::Command;

use anyhow::{Context as _, bail};

use crate::build::{SHIPPED_MODULES, build_modules, go_platform, host_binary};
use crate::dist::EXECUTABLE;
use crate::test::{conformance_dir, reference_plugin};
use crate::util::{cargo, copy, go_available, project_root, run, target_dir};

pub(crate) fn bench() -> anyhow::Result<()> {
    // main.rs hands the task no arguments: read them here (`cargo xtask bench ...`).
    let args: Vec<String> = std::env::args().skip(2).collect();
    let mut quick = false;
    let mut criterion = false;
    let mut scripts = true;
    let mut passthrough = Vec::new();
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--criterion" => criterion = true,
            "--no-scripts" => scripts = false,
            "--" => passthrough.extend(iter.by_ref().cloned()),
            other => bail!(
                "cargo xtask bench: unknown argument {other:?} (--quick, --criterion, --no-scripts, -- <quarrybench flags>)"
            ),
        }
    }
    if !go_available() {
        bail!(
            "`go` is not on PATH: the benchmarks launch both plugins through Grafana's Go client libraries (install Go >= 1.26.5)"
        );
    }

    let work = target_dir().join("quarrybench");
    let quarry = package_plugin(&work.join("plugin"))?;
    // The Python and JavaScript modules are measured on their own (a restart with each), never
    // beside the shipped modules: Quarry compiles every module it finds at start-up, and their
    // compilation would run under the other scenarios.
    let scripts_dir = if scripts {
        Some(crate::polyglot::build_polyglot()?)
    } else {
        None
    };
    let reference = reference_plugin()?;
    let driver = work.join(format!("quarrybench{}", std::env::consts::EXE_SUFFIX));
    let mut build = Command::new("go");
    build
        .args(["build", "-o"])
        .arg(&driver)
        .arg("./cmd/quarrybench")
        .current_dir(conformance_dir());
    run(build)?;

    let out = if quick {
        work.join("quick")
    } else {
        project_root()
    };
    let mut cmd = Command::new(&driver);
    cmd.arg("-quarry")
        .arg(absolute(&quarry)?)
        .arg("-reference")
        .arg(absolute(&reference)?)
        .arg("-out")
        .arg(&out)
        .arg("-work")
        .arg(&work)
        .arg("-repo")
        .arg(project_root());
    if quick {
        cmd.arg("-quick");
    }
    match &scripts_dir {
        Some(dir) => cmd.arg("-scripts").arg(absolute(dir)?),
        None => cmd.args(["-scenarios", "queries,rss,streams"]),
    };
    cmd.args(&passthrough).current_dir(project_root());
    run(cmd)?;
    eprintln!("xtask: report in {}", out.join("BENCHMARKS.md").display());

    if criterion {
        let mut cmd = cargo();
        cmd.args(["bench", "-p", "quarry-host", "--bench", "plugin"])
            .env("QUARRY_PLUGIN_EXE", absolute(&quarry)?)
            .env("QUARRY_REFERENCE_EXE", &reference);
        run(cmd)?;
    }
    Ok(())
}

/// The release executable under Grafana's name with the shipped modules beside it, as in dist/.
fn package_plugin(dir: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let modules = build_modules()?;
    let host = host_binary(true)?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir.join("modules"))?;
    copy(
        &project_root().join("plugin.json"),
        &dir.join("plugin.json"),
    )?;
    let exe = dir.join(format!("{EXECUTABLE}_{}", go_platform()));
    copy(&host, &exe)?;
    // As shipped: the size the report gives is the one operators download.
    crate::dist::strip_debug_info(&exe)?;
    for m in SHIPPED_MODULES {
        let name = format!("{m}.wasm");
        copy(&modules.join(&name), &dir.join("modules").join(&name))?;
    }
    Ok(exe)
}

fn absolute(p: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    std::path::absolute(p).with_context(|| format!("making {} absolute", p.display()))
}
