//! The `quarry` binary: a Grafana plugin when Grafana launches it, a CLI otherwise.

mod cli;

use clap::Parser as _;
use quarry_host::policy::HostLimits;
use quarry_host::runtime::CountingAllocator;
use quarry_host::{logging, serve};

/// Counts what the host allocates for each module call, so the call's memory budget covers it.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    // Grafana passes no arguments; the Go SDK's flags (-standalone, …) are tolerated and ignored.
    let plugin_mode =
        serve::launched_by_grafana() && args.iter().skip(1).all(|a| a.starts_with('-'));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("building the tokio runtime");
    if plugin_mode {
        logging::init_plugin_logging();
        let limits = match HostLimits::from_env() {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, "plugin settings are invalid");
                return std::process::ExitCode::FAILURE;
            }
        };
        return match rt.block_on(serve::run_plugin(serve::modules_dir(None), limits)) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "plugin failed");
                std::process::ExitCode::FAILURE
            }
        };
    }
    if args.len() == 1 {
        eprintln!("{}", serve::NOT_LAUNCHED_BY_GRAFANA);
        return std::process::ExitCode::FAILURE;
    }
    logging::init_cli_logging();
    let parsed = cli::Cli::parse();
    match rt.block_on(cli::run(parsed)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
