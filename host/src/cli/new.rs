//! `quarry new <name> --lang rust|python|js`: a module project that builds on its own.
//!
//! Templates live in `templates/<lang>/`, embedded at build time (see `build.rs`): a language is
//! added by dropping its files there. A file named `*.tmpl` has `{{placeholders}}` replaced and
//! the suffix dropped; `dot-` at the start of a name becomes `.` (`dot-gitignore.tmpl` →
//! `.gitignore`).
//!
//! Where the SDK comes from:
//! - Rust: a path or git dependency on a Quarry checkout (`--sdk`): cargo needs a crate source,
//!   and `quarry-guest` is not on crates.io.
//! - Python and JavaScript: the SDK and the contract (`wit/`) this binary was built with, copied
//!   into the project's `sdk/`. They are on neither PyPI nor npm, componentize-js only reads
//!   modules from inside the directory it builds in (relative imports), and a copy from the
//!   binary is by construction built for a contract the host accepts. Only the build tools come
//!   from the registries, pinned: componentize-py (`requirements.txt`), componentize-js and the
//!   preview2-shim it imports (`package.json` and `package-lock.json`, the JS SDK's own lock).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use super::manifest;

/// Every language's template files: (language, [(relative path, contents)]).
const TEMPLATES: &[(&str, &[(&str, &str)])] = include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The guest SDK parts Python and JS projects get: (`python` | `js` | `wit`, [(relative path,
/// contents)]).
const SDK_FILES: &[(&str, &[(&str, &str)])] = include!(concat!(env!("OUT_DIR"), "/sdk_files.rs"));

/// The JS SDK's lock: a JS project's `package-lock.json`, its root renamed, so `npm ci` installs
/// exactly the componentize-js tree the SDK is tested with.
const JS_LOCK: &str = include_str!("../../../guest-sdk/js/package-lock.json");

/// Where the copied SDK goes in a Python or JS project.
const SDK_DIR: &str = "sdk";

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
    /// Rust only: where the project gets quarry-guest from: a path to a Quarry checkout's
    /// guest-sdk directory, or git+<repository URL>[#<tag>]. Default: the guest-sdk this quarry
    /// was built from, when it is still there. (Python and JS projects get the SDK this quarry
    /// was built with, copied into sdk/.)
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
    if a.lang != "rust" && a.sdk.is_some() {
        anyhow::bail!(
            "--sdk is for Rust projects: a {} project gets the SDK and contract this quarry was \
             built with, copied into {SDK_DIR}/",
            a.lang
        );
    }
    let dir = a.dir.clone().unwrap_or_else(|| PathBuf::from(&a.name));
    if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
        anyhow::bail!("{} already exists and is not empty", dir.display());
    }
    for (rel, contents) in project_files(&a.lang, files, &a.name, a.sdk.as_deref())? {
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
    for step in next_steps(&a.lang) {
        println!("  {step}");
    }
    println!("  quarry dev . --plugin-modules <the plugin's modules directory>");
    Ok(())
}

/// What to run in a new project before `quarry dev`: install the build tool, run the tests.
fn next_steps(lang: &str) -> &'static [&'static str] {
    match lang {
        "python" => &[
            "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt",
            "python3 -m unittest discover -s tests",
        ],
        "js" => &["npm ci", "npm test"],
        _ => &["rustup target add wasm32-wasip2", "cargo test"],
    }
}

/// Every file of the new project: the template rendered, and for Python and JS the SDK.
fn project_files(
    lang: &str,
    files: &[(&str, &str)],
    name: &str,
    sdk: Option<&str>,
) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let vars = vars(lang, name, sdk)?;
    let mut out: Vec<(PathBuf, String)> = files
        .iter()
        .map(|(rel, contents)| render(rel, contents, &vars))
        .collect();
    let parts: &[&str] = match lang {
        "python" => &["python", "wit"],
        "js" => &["js", "wit"],
        _ => &[],
    };
    for part in parts {
        let (_, sdk_files) = SDK_FILES
            .iter()
            .find(|(p, _)| p == part)
            .expect("build.rs embeds every SDK part");
        let under = match *part {
            "wit" => Path::new(SDK_DIR).join("wit"),
            _ => PathBuf::from(SDK_DIR),
        };
        out.extend(
            sdk_files
                .iter()
                .map(|(rel, contents)| (under.join(rel), contents.to_string())),
        );
    }
    if lang == "js" {
        out.push((PathBuf::from("package-lock.json"), js_lock(&npm_name(name))));
    }
    Ok(out)
}

/// The JS SDK's lock with the project's name, and without the SDK's `bin`.
fn js_lock(npm_name: &str) -> String {
    let sdk_name = "\"name\": \"quarry-guest\",";
    let bin = "\n      \"bin\": {\n        \"quarry-guest-build\": \"build.mjs\"\n      },";
    JS_LOCK
        .replacen(sdk_name, &format!("\"name\": {npm_name:?},"), 2)
        .replacen(bin, "", 1)
}

/// npm names are lower case.
fn npm_name(name: &str) -> String {
    name.to_ascii_lowercase()
}

fn template(lang: &str) -> anyhow::Result<&'static [(&'static str, &'static str)]> {
    if let Some((_, files)) = TEMPLATES.iter().find(|(l, _)| *l == lang) {
        return Ok(files);
    }
    let available: Vec<&str> = TEMPLATES.iter().map(|(l, _)| *l).collect();
    anyhow::bail!(
        "unknown language {lang:?} (available: {})",
        available.join(", ")
    )
}

/// The placeholders' values.
fn vars(lang: &str, name: &str, sdk: Option<&str>) -> anyhow::Result<Vec<(&'static str, String)>> {
    let mut vars = vec![
        ("name", name.to_string()),
        ("crate_name", name.replace('-', "_")),
        ("npm_name", npm_name(name)),
        ("type_name", type_name(name)),
    ];
    if lang == "rust" {
        vars.push(("sdk_dependency", sdk_dependency(sdk)?));
    }
    Ok(vars)
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

    /// The project `quarry new` writes for `lang`, as (path, contents).
    fn rendered(lang: &str, name: &str) -> Vec<(String, String)> {
        let sdk = (lang == "rust").then_some(concat!(env!("CARGO_MANIFEST_DIR"), "/../guest-sdk"));
        project_files(lang, template(lang).unwrap(), name, sdk)
            .unwrap()
            .into_iter()
            .map(|(p, c)| (p.to_string_lossy().replace('\\', "/"), c))
            .collect()
    }

    fn file<'a>(files: &'a [(String, String)], path: &str) -> &'a str {
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        &files
            .iter()
            .find(|(p, _)| p == path)
            .unwrap_or_else(|| panic!("{path} missing from {paths:?}"))
            .1
    }

    fn no_placeholder_left(files: &[(String, String)]) {
        for (path, contents) in files {
            if !path.starts_with("sdk/") {
                assert!(!contents.contains("{{"), "{path} keeps a placeholder");
            }
        }
    }

    #[test]
    fn rust_template_is_embedded_and_complete() {
        let files = rendered("rust", "csv-http");
        for want in [
            "Cargo.toml",
            "src/lib.rs",
            "quarry.toml",
            ".gitignore",
            "README.md",
        ] {
            file(&files, want);
        }
        no_placeholder_left(&files);
        let cargo: toml::Table = toml::from_str(file(&files, "Cargo.toml")).unwrap();
        assert_eq!(cargo["package"]["name"].as_str(), Some("csv-http"));
        assert_eq!(cargo["lib"]["crate-type"][0].as_str(), Some("cdylib"));
        assert_eq!(cargo["profile"]["release"]["opt-level"].as_str(), Some("s"));
        assert!(cargo["dependencies"]["quarry-guest"]["path"].is_str());
        assert!(cargo["dependencies"]["serde"].is_table());
        assert!(file(&files, "src/lib.rs").contains("quarry_guest::export!(CsvHttp);"));
        assert!(!files.iter().any(|(p, _)| p.starts_with("sdk/")));
    }

    #[test]
    fn python_template_carries_the_sdk_and_names_its_build() {
        let files = rendered("python", "csv-http");
        for want in [
            "quarry.toml",
            "requirements.txt",
            "src/datasource.py",
            "tests/test_datasource.py",
            ".gitignore",
            "README.md",
            "sdk/quarry_guest/__init__.py",
            "sdk/quarry_guest/build.py",
            "sdk/quarry_guest/http/__init__.py",
            "sdk/quarry_guest_exports.py",
            "sdk/wit/world.wit",
            "sdk/wit/deps/http/http.wit",
        ] {
            file(&files, want);
        }
        no_placeholder_left(&files);
        assert!(
            !files
                .iter()
                .any(|(p, _)| p.contains("__pycache__") || p.contains("/tests/test_sdk")),
            "caches and the SDK's own tests stay out"
        );
        let m = manifest::Manifest::parse(file(&files, "quarry.toml")).unwrap();
        assert_eq!(m.module.name, "csv-http");
        assert_eq!(m.build.command[0], ".venv/bin/python");
        assert_eq!(m.build.output, Path::new("build/csv-http.wasm"));
        let command = m.build.command.join(" ");
        assert!(
            command.contains("sdk/quarry_guest/build.py")
                && command.contains("--module datasource")
                && command.contains("--wit sdk/wit")
                && command.ends_with("-o build/csv-http.wasm"),
            "{command}"
        );
        serde_json::from_str::<serde_json::Value>(&m.dev.query).unwrap();
        let source = file(&files, "src/datasource.py");
        assert!(source.contains("class CsvHttp(q.Datasource):"), "{source}");
        assert!(source.contains("q.export(CsvHttp)"), "{source}");
        // The componentize-py the SDK is built and tested with (xtask/src/polyglot.rs).
        let pin = file(&files, "requirements.txt")
            .lines()
            .find(|l| l.starts_with("componentize-py=="))
            .expect("requirements.txt pins componentize-py")
            .to_string();
        let xtask = include_str!("../../../xtask/src/polyglot.rs");
        assert!(
            xtask.contains(&format!("COMPONENTIZE_PY: &str = {pin:?};")),
            "requirements.txt pins {pin}, unlike xtask/src/polyglot.rs"
        );
        // The README's build without the plugin is quarry.toml's (less --quiet): the e2e test
        // runs the latter.
        let readme_build = command.replace(" --quiet", "");
        assert!(
            file(&files, "README.md").contains(&readme_build),
            "README.md does not show {readme_build}"
        );
    }

    #[test]
    fn js_template_carries_the_sdk_and_its_lock() {
        let files = rendered("js", "Csv-Http");
        for want in [
            "quarry.toml",
            "package.json",
            "package-lock.json",
            "src/index.js",
            "test/index.test.js",
            ".gitignore",
            "README.md",
            "sdk/build.mjs",
            "sdk/src/index.js",
            "sdk/src/http/index.js",
            "sdk/wit/world.wit",
        ] {
            file(&files, want);
        }
        no_placeholder_left(&files);
        assert!(
            !files
                .iter()
                .any(|(p, _)| p.contains("node_modules") || p.starts_with("sdk/test"))
        );
        let m = manifest::Manifest::parse(file(&files, "quarry.toml")).unwrap();
        assert_eq!(m.module.name, "Csv-Http");
        assert_eq!(m.build.command[..2], ["node", "sdk/build.mjs"]);
        assert_eq!(m.build.output, Path::new("build/Csv-Http.wasm"));
        let source = file(&files, "src/index.js");
        assert!(source.contains("from '../sdk/src/index.js'"), "{source}");
        assert!(source.contains("exportDatasource(CsvHttp);"), "{source}");

        // package.json asks for exactly what the SDK's lock holds, and the lock is the project's.
        let package: serde_json::Value =
            serde_json::from_str(file(&files, "package.json")).unwrap();
        let sdk_package: serde_json::Value =
            serde_json::from_str(include_str!("../../../guest-sdk/js/package.json")).unwrap();
        assert_eq!(package["name"], "csv-http");
        // The README's `npm run build` is quarry.toml's build (the e2e test runs the latter).
        assert_eq!(package["scripts"]["build"], m.build.command.join(" "));
        assert!(file(&files, "README.md").contains("npm run build"));
        assert_eq!(package["dependencies"], sdk_package["dependencies"]);
        let lock: serde_json::Value =
            serde_json::from_str(file(&files, "package-lock.json")).unwrap();
        assert_eq!(lock["name"], "csv-http");
        let root = &lock["packages"][""];
        assert_eq!(root["name"], "csv-http");
        assert_eq!(root["dependencies"], package["dependencies"]);
        assert!(root["bin"].is_null(), "{root}");
    }

    #[test]
    fn other_languages_say_what_exists() {
        let err = template("cobol").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown language \"cobol\" (available: js, python, rust)"
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
        // Python and JS projects never ask where the SDK is: they carry it.
        assert!(vars("python", "m", None).is_ok());
    }
}
