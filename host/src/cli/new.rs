//! `quarry new <name> --lang rust`: a module project that builds on its own.
//!
//! Templates live in `templates/<lang>/`, embedded at build time (see `build.rs`): a language is
//! added by dropping its files there. A file named `*.tmpl` has `{{placeholders}}` replaced and
//! the suffix dropped; `dot-` at the start of a name becomes `.` (`dot-gitignore.tmpl` →
//! `.gitignore`).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use super::manifest;

/// Every language's template files: (language, [(relative path, contents)]).
const TEMPLATES: &[(&str, &[(&str, &str)])] = include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// Languages whose SDK exists but whose template is not written yet.
const PLANNED: &[&str] = &["python", "js"];

#[derive(Debug, Args)]
pub(crate) struct NewArgs {
    /// The module's name: letters, digits, '-' and '_'. Datasources load it as <name>.wasm.
    name: String,
    /// The module's language.
    #[arg(long, default_value = "rust")]
    lang: String,
    /// Where to create the project (default: ./<name>); it must not exist or be empty.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Where the project gets quarry-guest from: a path to a Quarry checkout's guest-sdk
    /// directory, or git+<repository URL>[#<tag>]. Default: the guest-sdk this quarry was
    /// built from, when it is still there.
    #[arg(long, value_name = "PATH|git+URL[#TAG]")]
    sdk: Option<String>,
}

pub(crate) fn run(a: NewArgs) -> anyhow::Result<()> {
    if !manifest::valid_name(&a.name) || !a.name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        anyhow::bail!(
            "invalid module name {:?}: start with a letter, then letters, digits, '-' and '_'",
            a.name
        );
    }
    let files = template(&a.lang)?;
    let dir = a.dir.clone().unwrap_or_else(|| PathBuf::from(&a.name));
    if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
        anyhow::bail!("{} already exists and is not empty", dir.display());
    }
    let vars = vars(&a.name, a.sdk.as_deref())?;
    for (rel, contents) in files {
        let (rel, contents) = render(rel, contents, &vars);
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "created {} module {:?} in {}",
        a.lang,
        a.name,
        dir.display()
    );
    println!("next:");
    println!("  cd {}", dir.display());
    println!("  rustup target add wasm32-wasip2");
    println!("  cargo test");
    println!("  quarry dev . --plugin-modules <the plugin's modules directory>");
    Ok(())
}

fn template(lang: &str) -> anyhow::Result<&'static [(&'static str, &'static str)]> {
    if let Some((_, files)) = TEMPLATES.iter().find(|(l, _)| *l == lang) {
        return Ok(files);
    }
    let available: Vec<&str> = TEMPLATES.iter().map(|(l, _)| *l).collect();
    if PLANNED.contains(&lang) {
        anyhow::bail!(
            "a {lang} template is not available yet (available: {})",
            available.join(", ")
        );
    }
    anyhow::bail!(
        "unknown language {lang:?} (available: {})",
        available.join(", ")
    )
}

/// The placeholders' values.
fn vars(name: &str, sdk: Option<&str>) -> anyhow::Result<Vec<(&'static str, String)>> {
    Ok(vec![
        ("name", name.to_string()),
        ("crate_name", name.replace('-', "_")),
        ("type_name", type_name(name)),
        ("sdk_dependency", sdk_dependency(sdk)?),
    ])
}

/// `csv-http` → `CsvHttp`.
fn type_name(name: &str) -> String {
    name.split(['-', '_'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// The `quarry-guest = …` line of the module's Cargo.toml.
fn sdk_dependency(sdk: Option<&str>) -> anyhow::Result<String> {
    let toml_string = |s: &str| toml::Value::String(s.to_string()).to_string();
    match sdk {
        Some(git) if git.starts_with("git+") => {
            let git = &git["git+".len()..];
            Ok(match git.split_once('#') {
                Some((url, tag)) => format!(
                    "quarry-guest = {{ git = {}, tag = {} }}",
                    toml_string(url),
                    toml_string(tag)
                ),
                None => format!("quarry-guest = {{ git = {} }}", toml_string(git)),
            })
        }
        Some(path) => {
            let path = Path::new(path);
            if !path.join("Cargo.toml").is_file() {
                anyhow::bail!(
                    "--sdk {}: no Cargo.toml there (give a Quarry checkout's guest-sdk directory)",
                    path.display()
                );
            }
            let path = std::fs::canonicalize(path)?;
            Ok(format!(
                "quarry-guest = {{ path = {} }}",
                toml_string(&path.to_string_lossy())
            ))
        }
        None => {
            let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest-sdk");
            if built_from.join("Cargo.toml").is_file() {
                return sdk_dependency(Some(&built_from.to_string_lossy()));
            }
            anyhow::bail!(
                "where should the project get quarry-guest from? Pass --sdk <path to a Quarry \
                 checkout's guest-sdk> or --sdk git+<Quarry repository URL>#<tag> (the guest SDK \
                 is not on crates.io)"
            )
        }
    }
}

/// Drops `.tmpl`, turns `dot-` into `.`, and replaces `{{var}}` in `.tmpl` files.
fn render(rel: &str, contents: &str, vars: &[(&str, String)]) -> (PathBuf, String) {
    let (rel, is_template) = match rel.strip_suffix(".tmpl") {
        Some(rel) => (rel, true),
        None => (rel, false),
    };
    let path: PathBuf = rel
        .split('/')
        .map(|part| match part.strip_prefix("dot-") {
            Some(rest) => format!(".{rest}"),
            None => part.to_string(),
        })
        .collect();
    let mut contents = contents.to_string();
    if is_template {
        for (key, value) in vars {
            contents = contents.replace(&format!("{{{{{key}}}}}"), value);
        }
    }
    (path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_template_is_embedded_and_complete() {
        let files = template("rust").unwrap();
        let vars = vars(
            "csv-http",
            Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../guest-sdk")),
        )
        .unwrap();
        let rendered: Vec<(PathBuf, String)> =
            files.iter().map(|(rel, c)| render(rel, c, &vars)).collect();
        let paths: Vec<String> = rendered
            .iter()
            .map(|(p, _)| p.to_string_lossy().into_owned())
            .collect();
        for want in [
            "Cargo.toml",
            "src/lib.rs",
            "quarry.toml",
            ".gitignore",
            "README.md",
        ] {
            assert!(
                paths.iter().any(|p| p == want),
                "{want} missing from {paths:?}"
            );
        }
        for (path, contents) in &rendered {
            assert!(
                !contents.contains("{{"),
                "{} keeps a placeholder",
                path.display()
            );
        }
        let cargo = &rendered
            .iter()
            .find(|(p, _)| p.ends_with("Cargo.toml"))
            .unwrap()
            .1;
        let cargo: toml::Table = toml::from_str(cargo).unwrap();
        assert_eq!(cargo["package"]["name"].as_str(), Some("csv-http"));
        assert_eq!(cargo["lib"]["crate-type"][0].as_str(), Some("cdylib"));
        assert_eq!(cargo["profile"]["release"]["opt-level"].as_str(), Some("s"));
        assert!(cargo["dependencies"]["quarry-guest"]["path"].is_str());
        assert!(cargo["dependencies"]["serde"].is_table());
        let lib = &rendered
            .iter()
            .find(|(p, _)| p.ends_with("lib.rs"))
            .unwrap()
            .1;
        assert!(lib.contains("quarry_guest::export!(CsvHttp);"));
    }

    #[test]
    fn other_languages_say_what_exists() {
        let err = template("python").unwrap_err();
        assert_eq!(
            err.to_string(),
            "a python template is not available yet (available: rust)"
        );
        let err = template("cobol").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown language \"cobol\" (available: rust)"
        );
    }

    #[test]
    fn names_and_dependencies() {
        assert_eq!(type_name("csv-http"), "CsvHttp");
        assert_eq!(type_name("my_mod2"), "MyMod2");
        assert_eq!(
            sdk_dependency(Some("git+https://example.invalid/quarry.git#v0.1.0")).unwrap(),
            r#"quarry-guest = { git = "https://example.invalid/quarry.git", tag = "v0.1.0" }"#
        );
        assert!(sdk_dependency(Some("/nonexistent")).is_err());
        let (path, _) = render("dot-gitignore.tmpl", "", &[]);
        assert_eq!(path, PathBuf::from(".gitignore"));
    }
}
