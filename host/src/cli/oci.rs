//! `quarry push` and `quarry pull`: publish a module to an OCI registry in the CNCF Wasm layout,
//! and fetch one the way the plugin does (allow-list, digest checks, the local store).

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;

use quarry_host::oci::{OciClient, OciRef, OciSettings, RegistryCredentials};
use quarry_host::policy::HostLimits;

/// Where the registry is and who we are to it.
#[derive(Debug, Args)]
pub(crate) struct RegistryArgs {
    /// Registry username (or QUARRY_REGISTRY_USERNAME); the password comes from --password-stdin
    /// or QUARRY_REGISTRY_PASSWORD.
    #[arg(long)]
    username: Option<String>,
    /// Read the registry password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    /// Reach the registry over plain HTTP (a registry on loopback).
    #[arg(long)]
    plain_http: bool,
    /// The store pulled modules are kept in (default: the plugin's, see oci_store_dir).
    #[arg(long)]
    store: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct PushArgs {
    /// The module's `.wasm` file.
    file: PathBuf,
    /// Where to publish it: `oci://<registry>/<repository>[:<tag>]` (tag `latest` when none).
    reference: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub(crate) struct PullArgs {
    /// The module: `oci://<registry>/<repository>[:<tag>|@sha256:<digest>]`.
    reference: String,
    /// Where to write the module (default: `<last repository component>.wasm` here).
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    registry: RegistryArgs,
}

pub(crate) async fn push(a: PushArgs) -> anyhow::Result<()> {
    let r: OciRef = a.reference.parse()?;
    let (client, creds) = client_for(&r, &a.registry)?;
    let digest = client.push(&r, &a.file, creds.as_ref()).await?;
    println!("pushed: {r}");
    println!("digest: {digest}");
    println!("pinned: {}", r.pinned(&digest));
    Ok(())
}

pub(crate) async fn pull(a: PullArgs) -> anyhow::Result<()> {
    let r: OciRef = a.reference.parse()?;
    let (client, creds) = client_for(&r, &a.registry)?;
    let digest = client.resolve(&r, creds.as_ref()).await?;
    let pulled = client.fetch(&r, &digest, creds.as_ref()).await?;
    // A plugin sharing this store starts offline on what the operator pulled.
    client.remember(&r, &digest)?;
    let output = a.output.unwrap_or_else(|| {
        let name = r.repository.rsplit('/').next().unwrap_or("module");
        PathBuf::from(format!("{name}.wasm"))
    });
    std::fs::copy(&pulled.path, &output)
        .with_context(|| format!("writing {}", output.display()))?;
    println!("digest: {digest}");
    println!("pinned: {}", r.pinned(&digest));
    println!("sha256: {}", pulled.sha256);
    println!("wrote: {}", output.display());
    Ok(())
}

/// The plugin's registry settings from the environment, with what the command line adds: the
/// registry named is allowed unless `oci_allowed_registries` is set (then it is obeyed, as by the
/// plugin), and `--plain-http` reaches it over HTTP.
fn client_for(
    r: &OciRef,
    args: &RegistryArgs,
) -> anyhow::Result<(OciClient, Option<RegistryCredentials>)> {
    let limits = HostLimits::from_env()?;
    let mut settings: OciSettings = limits.oci_settings();
    if settings.allowed_registries.is_empty() {
        settings.allowed_registries.push(r.registry.clone());
    }
    if args.plain_http {
        settings.plain_http_registries.push(r.registry.clone());
    }
    if let Some(store) = &args.store {
        settings.store_dir = store.clone();
    }
    let creds = credentials(args)?;
    Ok((OciClient::new(settings), creds))
}

fn credentials(args: &RegistryArgs) -> anyhow::Result<Option<RegistryCredentials>> {
    let username = args
        .username
        .clone()
        .or_else(|| std::env::var("QUARRY_REGISTRY_USERNAME").ok())
        .filter(|u| !u.is_empty());
    let password = if args.password_stdin {
        Some(super::secret_from_stdin("password")?)
    } else {
        std::env::var("QUARRY_REGISTRY_PASSWORD").ok()
    }
    .filter(|p| !p.is_empty());
    match (username, password) {
        (Some(username), Some(password)) => Ok(Some(RegistryCredentials { username, password })),
        (None, None) => Ok(None),
        (Some(_), None) => bail!(
            "a username needs a password: pass --password-stdin or set QUARRY_REGISTRY_PASSWORD"
        ),
        (None, Some(_)) => {
            bail!("a password needs a username: pass --username or set QUARRY_REGISTRY_USERNAME")
        }
    }
}
