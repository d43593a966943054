//! `cargo xtask <task>`: the project's build, packaging, demo and test tasks.
//!
//! Every task installs what it needs (the wasm32-wasip2 target) so a fresh machine works.

mod bench;
mod build;
mod dist;
mod frontend;
mod oci_tools;
mod package;
mod polyglot;
mod soak;
mod test;
mod util;
mod wit;

use anyhow::bail;

const HELP: &str = "\
cargo xtask <task>

tasks:
  demo            build everything (release), package dist/, and run a real query through the
                  plugin binary the way Grafana does, printed as a table
  test            check formatting, build the modules, run the whole test suite and the Go
                  conformance suite when Go is installed (what CI runs)
  dist [--dev]    build host and modules and package dist/ (plugin.json, executable, modules);
                  fails when the stripped executable is over 40 MB
  package [--from-dist]
                  the zip Grafana's plugin installer takes (release build, plugin.json checked);
                  --from-dist zips dist/ as it is, e.g. after signing it
  build-modules   build every module in modules/ for wasm32-wasip2
  build-oci-tools build the CNCF distribution registry and oras (Go module proxy) into
                  target/oci-tools/ for the OCI tests, and print the env vars they read; part of `test`
  build-polyglot  install componentize-py/componentize-js, test the Python and JS SDKs, and
                  build the Python and JS modules (http-api-py, http-api-js); part of `test`
  bench [--quick] [--criterion] [--no-scripts] [-- <driver flags>]
                  Quarry against the Go reference plugin through Grafana's own client
                  libraries (release build); writes BENCHMARKS.md and BENCHMARKS.png
  lint            cargo fmt --check and clippy -D warnings
  soak [rounds]   good and hostile calls from several datasources for a fixed number of rounds:
                  reports good-call failures (must be 0) and the plugin's peak RSS
  wit-deps        refresh wit/deps (the WASI WIT packages) from the wasmtime-wasi-http crate
";

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
        Some("demo") => dist::demo(),
        Some("test") => test::test(rest),
        Some("dist") => dist::dist(!rest.iter().any(|a| a == "--dev")).map(|_| ()),
        Some("build-modules") => build::build_modules().map(|_| ()),
        Some("build-oci-tools") => {
            let tools = oci_tools::build_oci_tools()?;
            println!("QUARRY_TEST_REGISTRY_EXE={}", tools.registry.display());
            println!("QUARRY_TEST_ORAS_EXE={}", tools.oras.display());
            Ok(())
        }
        Some("build-polyglot") => polyglot::build_polyglot().map(|_| ()),
        Some("lint") => test::lint(),
        Some("bench") => bench::bench(),
        Some("wit-deps") => wit::update(),
        Some("soak") => soak::soak(rest),
        Some("package") => package::package(rest),
        Some("-h" | "--help" | "help") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => bail!("unknown task {other:?}\n\n{HELP}"),
    }
}
