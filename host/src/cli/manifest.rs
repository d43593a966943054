//! `quarry.toml`: what `quarry dev` needs to know about a module project, in any language — the
//! module's name, how to build it and where the build writes the `.wasm`.
//!
//! ```toml
//! [module]
//! name = "csv-http"            # installed as csv-http.wasm: jsonData.module = "csv-http"
//!
//! [build]
//! command = ["cargo", "build", "--release", "--target", "wasm32-wasip2"]
//! output = "target/wasm32-wasip2/release/csv_http.wasm"
//! watch = ["src", "Cargo.toml"]  # rebuilt when anything below these changes
//! env = { CARGO_TARGET_DIR = "target" }
//!
//! [dev]                        # what `quarry dev` runs against each build
//! query = '{"value": 1}'
//! json_data = '{}'
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

/// The file name.
pub(crate) const FILE: &str = "quarry.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Manifest {
    pub(crate) module: ModuleSection,
    pub(crate) build: BuildSection,
    #[serde(default)]
    pub(crate) dev: DevSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModuleSection {
    /// The module's name: the file is installed as `<name>.wasm`, and datasources name it in
    /// `jsonData.module`.
    pub(crate) name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BuildSection {
    /// The program and its arguments (no shell), run in the project directory.
    pub(crate) command: Vec<String>,
    /// The `.wasm` the command writes, relative to the project directory.
    pub(crate) output: PathBuf,
    /// Files and directories whose changes trigger a build.
    #[serde(default = "default_watch")]
    pub(crate) watch: Vec<PathBuf>,
    /// Environment variables for the command.
    #[serde(default)]
    pub(crate) env: BTreeMap<String, String>,
}

fn default_watch() -> Vec<PathBuf> {
    vec![PathBuf::from("src")]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DevSection {
    /// The sample query model run against each build.
    #[serde(default = "empty_object")]
    pub(crate) query: String,
    /// The datasource `jsonData` the sample instance is created with.
    #[serde(default = "empty_object")]
    pub(crate) json_data: String,
}

impl Default for DevSection {
    fn default() -> Self {
        Self {
            query: empty_object(),
            json_data: empty_object(),
        }
    }
}

fn empty_object() -> String {
    "{}".to_string()
}

/// A module name the host can look up: letters, digits, `-` and `_`.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Manifest {
    /// Reads `<project>/quarry.toml`.
    pub(crate) fn read(project: &Path) -> anyhow::Result<Manifest> {
        let path = project.join(FILE);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "reading {} (a module project made by `quarry new` has one)",
                path.display()
            )
        })?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    pub(crate) fn parse(text: &str) -> anyhow::Result<Manifest> {
        let manifest: Manifest = toml::from_str(text)?;
        if !valid_name(&manifest.module.name) {
            anyhow::bail!(
                "module.name {:?}: use letters, digits, '-' and '_' (it names <name>.wasm)",
                manifest.module.name
            );
        }
        if manifest.build.command.is_empty() {
            anyhow::bail!("build.command is empty: give the program and its arguments");
        }
        Ok(manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_rust_template() {
        let text = include_str!("templates/rust/quarry.toml.tmpl")
            .replace("{{name}}", "csv-http")
            .replace("{{crate_name}}", "csv_http");
        let m = Manifest::parse(&text).unwrap();
        assert_eq!(m.module.name, "csv-http");
        assert_eq!(m.build.command[0], "cargo");
        assert_eq!(
            m.build.output,
            Path::new("target/wasm32-wasip2/release/csv_http.wasm")
        );
        assert_eq!(m.build.env["CARGO_TARGET_DIR"], "target");
        serde_json::from_str::<serde_json::Value>(&m.dev.query).unwrap();
    }

    #[test]
    fn defaults_and_errors() {
        let m = Manifest::parse(
            "[module]\nname = \"m\"\n[build]\ncommand = [\"make\"]\noutput = \"m.wasm\"\n",
        )
        .unwrap();
        assert_eq!(m.build.watch, [PathBuf::from("src")]);
        assert_eq!(
            (m.dev.query.as_str(), m.dev.json_data.as_str()),
            ("{}", "{}")
        );
        let err = Manifest::parse(
            "[module]\nname = \"a b\"\n[build]\ncommand = [\"make\"]\noutput = \"m.wasm\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("module.name \"a b\""), "{err}");
        let err =
            Manifest::parse("[module]\nname = \"m\"\n[build]\ncommand = []\noutput = \"m.wasm\"\n")
                .unwrap_err();
        assert!(err.to_string().contains("build.command is empty"), "{err}");
        assert!(Manifest::parse("[module]\nname = \"m\"\n").is_err());
    }
}
