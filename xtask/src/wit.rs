//! `wit/deps`: the WASI packages the contract uses, copied from the `wasmtime-wasi-http` crate the
//! host is built with, so the WIT modules are built against is the WIT the host implements.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::util::{cargo, copy, project_root};

/// Where Cargo unpacked the `wasmtime-wasi-http` crate of `Cargo.lock`.
fn wasi_http_wit() -> anyhow::Result<PathBuf> {
    let out = cargo()
        .args(["metadata", "--format-version", "1"])
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let manifest = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "wasmtime-wasi-http")
        .and_then(|p| p["manifest_path"].as_str())
        .context("wasmtime-wasi-http is not a dependency")?;
    Ok(Path::new(manifest)
        .parent()
        .context("manifest has a directory")?
        .join("wit")
        .join("deps"))
}

/// Each `<package>.wit` of the crate, and where it lives in `wit/deps`.
fn pairs() -> anyhow::Result<Vec<(PathBuf, PathBuf)>> {
    let src = wasi_http_wit()?;
    let deps = project_root().join("wit").join("deps");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&src).with_context(|| format!("reading {}", src.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wit")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            let to = deps.join(stem).join(format!("{stem}.wit"));
            out.push((path, to));
        }
    }
    out.sort();
    Ok(out)
}

/// `cargo xtask wit-deps`: refreshes `wit/deps` from the crate.
pub(crate) fn update() -> anyhow::Result<()> {
    for (from, to) in pairs()? {
        std::fs::create_dir_all(to.parent().expect("has a directory"))?;
        copy(&from, &to)?;
    }
    eprintln!("xtask: wit/deps refreshed from wasmtime-wasi-http");
    Ok(())
}

/// Fails when `wit/deps` differs from what the host implements.
pub(crate) fn check() -> anyhow::Result<()> {
    for (from, to) in pairs()? {
        let want = std::fs::read(&from)?;
        let have = std::fs::read(&to).unwrap_or_default();
        if want != have {
            bail!(
                "{} differs from the WASI WIT the host implements ({}): run `cargo xtask wit-deps`",
                to.display(),
                from.display()
            );
        }
    }
    Ok(())
}
