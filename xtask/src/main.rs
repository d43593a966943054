//! `cargo xtask <task>`: the project's build, packaging, demo and test tasks.
//!
//! Every task installs what it needs (the wasm32-wasip2 target) so a fresh machine works.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

const HELP: &str = "\
cargo xtask <task>

tasks:
  demo            build everything (release), package dist/, and run a real query through the
                  plugin binary the way Grafana does, printed as a table
  test            check formatting, build the modules, run the whole test suite and the Go
                  conformance suite when Go is installed (what CI runs)
  dist [--dev]    build host and modules and package dist/ (plugin.json, executable, modules)
  build-modules   build every module in modules/ for wasm32-wasip2
  bench           criterion benchmarks: Arrow encoding, and QueryData through Quarry and the
                  Go reference plugin side by side (release build)
  lint            cargo fmt --check and clippy -D warnings
";

/// Grafana looks for `<executable>_<os>_<arch>`; this is the `executable` of plugin.json.
const EXECUTABLE: &str = "gpx_quarry";
/// Modules shipped in dist/ (the hostile module exists only for tests).
const SHIPPED_MODULES: &[&str] = &["synthetic", "http-api"];
/// Every module crate under modules/.
const ALL_MODULES: &[&str] = &["synthetic", "http-api", "hostile", "hello"];
const WASM_TARGET: &str = "wasm32-wasip2";

fn main() {
    if let Err(e) = try_main() {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}

fn try_main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str);
    let rest = &args[args.len().min(1)..];
    match task {
        Some("demo") => demo(),
        Some("test") => test(rest),
        Some("dist") => dist(!rest.iter().any(|a| a == "--dev")).map(|_| ()),
        Some("build-modules") => build_modules().map(|_| ()),
        Some("lint") => lint(),
        Some("bench") => bench(),
        Some("-h" | "--help" | "help") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => bail!("unknown task {other:?}\n\n{HELP}"),
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the root")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(project_root());
    c
}

fn run(mut cmd: Command) -> anyhow::Result<()> {
    eprintln!("xtask: running {cmd:?}");
    let status = cmd.status().with_context(|| format!("starting {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root().join("target"))
}

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
fn build_modules() -> anyhow::Result<PathBuf> {
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

fn host_binary(release: bool) -> anyhow::Result<PathBuf> {
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
fn go_platform() -> String {
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

/// Packages dist/: plugin.json, the executable under Grafana's name, the frontend stub, the
/// logo and the shipped modules. Returns the path of the packaged executable.
fn dist(release: bool) -> anyhow::Result<PathBuf> {
    let modules = build_modules()?;
    let host = host_binary(release)?;
    let root = project_root();
    let dist = root.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist).context("clearing dist/")?;
    }
    std::fs::create_dir_all(dist.join("modules"))?;
    std::fs::create_dir_all(dist.join("img"))?;
    copy(&root.join("plugin.json"), &dist.join("plugin.json"))?;
    copy(&root.join("frontend/module.js"), &dist.join("module.js"))?;
    copy(
        &root.join("frontend/img/logo.svg"),
        &dist.join("img/logo.svg"),
    )?;
    let exe = dist.join(format!("{EXECUTABLE}_{}", go_platform()));
    copy(&host, &exe)?;
    for m in SHIPPED_MODULES {
        copy(
            &modules.join(format!("{m}.wasm")),
            &dist.join("modules").join(format!("{m}.wasm")),
        )?;
    }
    eprintln!("xtask: packaged {}", dist.display());
    Ok(exe)
}

fn copy(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}

fn demo() -> anyhow::Result<()> {
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

fn test(rest: &[String]) -> anyhow::Result<()> {
    // Formatting is checked here because it costs no build; clippy is `cargo xtask lint`.
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    run(fmt).context("code is not formatted: run `cargo fmt --all`")?;
    let modules = build_modules()?;
    let mut cmd = cargo();
    cmd.args(["test", "--workspace"])
        .args(rest)
        .env("QUARRY_TEST_MODULES", &modules);
    run(cmd)?;
    conformance()
}

fn go_available() -> bool {
    Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn conformance_dir() -> PathBuf {
    project_root().join("tests").join("conformance")
}

/// Builds the Go reference plugin (written with grafana-plugin-sdk-go).
fn reference_plugin() -> anyhow::Result<PathBuf> {
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
fn conformance() -> anyhow::Result<()> {
    if !go_available() {
        eprintln!(
            "xtask: SKIPPING the Go conformance suite (tests/conformance): `go` is not on PATH (install Go >= 1.26.5; CI has it)"
        );
        return Ok(());
    }
    // The dev build the tests just used; packaging it builds nothing new.
    let quarry = dist(false)?;
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

fn bench() -> anyhow::Result<()> {
    let quarry = dist(true)?;
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "quarry-host", "--bench", "plugin"])
        .env("QUARRY_PLUGIN_EXE", &quarry);
    if go_available() {
        cmd.env("QUARRY_REFERENCE_EXE", reference_plugin()?);
    } else {
        eprintln!(
            "xtask: `go` is not on PATH: benchmarking Quarry without the Go reference plugin"
        );
    }
    run(cmd)
}

fn lint() -> anyhow::Result<()> {
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
