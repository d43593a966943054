//! The OCI registry and client the tests pull from and push with: the CNCF distribution registry
//! and oras, built with `go install <module>@<version>` from the Go module proxy into
//! `target/oci-tools/<name>@<version>/`, once (skipped while that binary exists).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail};

use crate::util::{go_available, run, target_dir};

/// (Go package, version, binary name).
const REGISTRY: (&str, &str, &str) = (
    "github.com/distribution/distribution/v3/cmd/registry",
    "v3.1.2",
    "registry",
);
const ORAS: (&str, &str, &str) = ("oras.land/oras/cmd/oras", "v1.3.6", "oras");

/// Paths of the built tools.
#[derive(Debug)]
pub(crate) struct OciTools {
    pub(crate) registry: PathBuf,
    pub(crate) oras: PathBuf,
}

/// Builds the registry and oras unless already built.
pub(crate) fn build_oci_tools() -> anyhow::Result<OciTools> {
    Ok(OciTools {
        registry: go_install(REGISTRY)?,
        oras: go_install(ORAS)?,
    })
}

fn go_install((package, version, name): (&str, &str, &str)) -> anyhow::Result<PathBuf> {
    let dir = target_dir()
        .join("oci-tools")
        .join(format!("{name}@{version}"));
    let exe = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if exe.exists() {
        return Ok(exe);
    }
    if !go_available() {
        bail!(
            "`go` is not on PATH: the OCI tests need the CNCF registry and oras, built from the Go module proxy (install Go >= 1.26.5)"
        );
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let started = Instant::now();
    let mut cmd = Command::new("go");
    cmd.args(["install", &format!("{package}@{version}")])
        .env("GOBIN", &dir)
        // Module mode regardless of where this runs, and no VCS stamping (there is no checkout).
        .env("GO111MODULE", "on")
        .env("GOFLAGS", "-buildvcs=false");
    run(cmd).with_context(|| format!("building {name} {version} for the OCI tests"))?;
    if !exe.exists() {
        bail!("go install {package}@{version} wrote no {}", exe.display());
    }
    eprintln!(
        "xtask: built {name} {version} in {:.0?} ({})",
        started.elapsed(),
        exe.display()
    );
    Ok(exe)
}
