//! The command line for module authors (scaffold, build-and-reload, run a module directly) and
//! for trying the plugin the way Grafana runs it (`quarry grafana …`).

mod dev;
mod fleet;
mod grafana;
mod hints;
mod local;
mod manifest;
mod new;
mod oci;
mod time;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use quarry_host::handler::{DataQuery, DatasourceSettings};

/// Quarry: a Grafana datasource plugin whose queries run in WebAssembly modules.
///
/// Launched by Grafana (with its plugin environment) this binary serves the plugin protocol.
/// Run by hand, it offers the commands below.
#[derive(Debug, Parser)]
#[command(name = "quarry", version)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a module project that builds on its own (Cargo.toml, src/lib.rs, quarry.toml).
    New(new::NewArgs),
    /// Rebuild a module project on every save, install it into a plugin's modules directory and
    /// run its sample query and health check.
    Dev(dev::DevArgs),
    /// Run one query against a module file and print the frames.
    Query(QueryArgs),
    /// Run a module's health check.
    Health(ModuleArgs),
    /// Call one of a module's resources (CallResource) and print the response body.
    Resource(ResourceArgs),
    /// Subscribe to a module's stream and print N ticks.
    Stream(StreamArgs),
    /// Show a module's contract version, exports and imports.
    Inspect {
        /// The module's `.wasm` file.
        #[arg(long)]
        module: PathBuf,
    },
    /// Act as Grafana: launch a plugin executable with Grafana's environment and call it over gRPC.
    Grafana(grafana::GrafanaArgs),
    /// Publish a module to an OCI registry (CNCF Wasm layout); prints its digest and the pinned
    /// reference.
    Push(oci::PushArgs),
    /// Fetch a module from an OCI registry, verified by digest, as the plugin does.
    Pull(oci::PullArgs),
    /// Roll a datasource's module back to the version it ran before (every datasource of this
    /// plugin process on that module goes back), through Grafana's HTTP API; GRAFANA_TOKEN is an
    /// org admin's service account token.
    Rollback(fleet::GrafanaApiArgs),
    /// List the live datasource instances of the org, with their module versions, through
    /// Grafana's HTTP API (GRAFANA_TOKEN as for rollback).
    Instances(fleet::GrafanaApiArgs),
    /// Compile modules ahead of time into a directory the plugin reads compiled modules from
    /// (`precompiled/` beside its executable), with this binary's engine settings.
    Precompile {
        /// Where to write the compiled entries.
        #[arg(long)]
        out: PathBuf,
        /// The `.wasm` files.
        modules: Vec<PathBuf>,
    },
}

/// A module file and the datasource settings to create its instance with.
#[derive(Debug, Args)]
pub(crate) struct ModuleArgs {
    /// The module's `.wasm` file.
    #[arg(long)]
    pub(crate) module: PathBuf,
    #[command(flatten)]
    pub(crate) settings: SettingsArgs,
}

/// Datasource instance settings, as Grafana would send them.
#[derive(Debug, Args, Clone)]
pub(crate) struct SettingsArgs {
    /// The datasource's jsonData object.
    #[arg(long, default_value = "{}")]
    pub(crate) json_data: String,
    /// A secure setting, KEY=VALUE (repeatable).
    #[arg(long = "secure", value_name = "KEY=VALUE")]
    pub(crate) secure: Vec<String>,
    /// The datasource uid.
    #[arg(long, default_value = "cli")]
    pub(crate) uid: String,
    /// The datasource name.
    #[arg(long, default_value = "quarry-cli")]
    pub(crate) name: String,
    /// The datasource URL.
    #[arg(long, default_value = "")]
    pub(crate) url: String,
}

impl SettingsArgs {
    fn to_settings(&self) -> anyhow::Result<DatasourceSettings> {
        serde_json::from_str::<serde_json::Value>(&self.json_data)
            .map_err(|e| anyhow::anyhow!("--json-data is not valid JSON: {e}"))?;
        let mut secure = std::collections::BTreeMap::new();
        for kv in &self.secure {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--secure {kv:?}: expected KEY=VALUE"))?;
            secure.insert(k.to_string(), v.to_string());
        }
        Ok(DatasourceSettings {
            id: 1,
            uid: self.uid.clone(),
            name: self.name.clone(),
            url: self.url.clone(),
            json_data: self.json_data.clone(),
            secure_json_data: secure,
            updated_ms: 1,
        })
    }
}

/// One query: model, time range and sizing.
#[derive(Debug, Args, Clone)]
pub(crate) struct QuerySpec {
    /// The query model JSON (what the query editor stores).
    #[arg(long, default_value = "{}")]
    pub(crate) query: String,
    /// Start of the time range: epoch ms, RFC 3339, `now` or `now-<n><s|m|h|d>`.
    #[arg(long, default_value = "now-1h")]
    pub(crate) from: String,
    /// End of the time range (same forms as --from).
    #[arg(long, default_value = "now")]
    pub(crate) to: String,
    /// Suggested interval between points, ms.
    #[arg(long, default_value_t = 60_000)]
    pub(crate) interval_ms: i64,
    #[arg(long, default_value_t = 1000)]
    pub(crate) max_data_points: i64,
    #[arg(long, default_value = "A")]
    pub(crate) ref_id: String,
    #[arg(long, default_value = "")]
    pub(crate) query_type: String,
}

impl QuerySpec {
    fn to_query(&self) -> anyhow::Result<DataQuery> {
        let now = time::now_ms();
        Ok(DataQuery {
            ref_id: self.ref_id.clone(),
            query_type: self.query_type.clone(),
            from_ms: time::parse(&self.from, now)?,
            to_ms: time::parse(&self.to, now)?,
            interval_ms: self.interval_ms,
            max_data_points: self.max_data_points,
            json: self.query.clone().into_bytes(),
        })
    }
}

#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    #[command(flatten)]
    pub(crate) module: ModuleArgs,
    #[command(flatten)]
    pub(crate) spec: QuerySpec,
    /// `table` or `json` (Grafana frame JSON).
    #[arg(long, default_value = "table")]
    pub(crate) output: Output,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Output {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct ResourceArgs {
    #[command(flatten)]
    pub(crate) module: ModuleArgs,
    #[command(flatten)]
    pub(crate) request: ResourceSpec,
}

/// One resource call: method, path (with an optional query string), headers, body.
#[derive(Debug, Args, Clone)]
pub(crate) struct ResourceSpec {
    /// The path below `resources/`, optionally with a query string: `metrics?match=cpu`.
    #[arg(long)]
    pub(crate) path: String,
    /// The HTTP method.
    #[arg(long, default_value = "GET")]
    pub(crate) method: String,
    /// A request header, `Name: value` (repeatable).
    #[arg(long, value_name = "NAME: VALUE")]
    pub(crate) header: Vec<String>,
    /// The request body.
    #[arg(long)]
    pub(crate) body: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct StreamArgs {
    #[command(flatten)]
    pub(crate) module: ModuleArgs,
    /// The channel path below `ds/<uid>/`.
    #[arg(long)]
    pub(crate) path: String,
    /// Subscription data (JSON).
    #[arg(long, default_value = "")]
    pub(crate) data: String,
    /// How many ticks to print.
    #[arg(long, default_value_t = 5)]
    pub(crate) ticks: u32,
}

/// Runs a CLI command.
pub(crate) async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::New(a) => new::run(a),
        Command::Dev(a) => dev::run(a).await,
        Command::Query(a) => local::query(a).await,
        Command::Health(a) => local::health(a).await,
        Command::Resource(a) => local::resource(a).await,
        Command::Stream(a) => local::stream(a).await,
        Command::Inspect { module } => local::inspect(&module).await,
        Command::Grafana(a) => grafana::run(a).await,
        Command::Push(a) => oci::push(a).await,
        Command::Pull(a) => oci::pull(a).await,
        Command::Rollback(a) => fleet::rollback(a).await,
        Command::Instances(a) => fleet::instances(a).await,
        Command::Precompile { out, modules } => local::precompile(&out, &modules),
    }
}

/// The first line of standard input without its line ending: how secrets reach the CLI without
/// showing up in the process list or shell history.
pub(crate) fn secret_from_stdin(what: &str) -> anyhow::Result<String> {
    use std::io::BufRead as _;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| anyhow::anyhow!("reading the {what} from standard input: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
