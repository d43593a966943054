//! The module author's loop through the real executable: `quarry new` makes a project that
//! builds for wasm32-wasip2 and answers; `quarry dev` rebuilds it on save and a running plugin
//! answers from the new code; the first mistakes (wrong crate-type, no `export!`, ragged
//! columns) end in messages that say what to do.
//!
//! The projects build with cargo into one target directory shared by these tests (beside the
//! built modules), with this workspace's Cargo.lock copied in so they resolve the versions the
//! SDK is tested with; the first build compiles the SDK's dependencies for wasm once.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use super::harness::*;

/// How long one wait may take: the first build compiles the SDK's dependencies (minutes on two
/// cores); later ones take seconds.
const BUILD_WAIT: Duration = Duration::from_secs(900);

fn quarry(args: &[&str]) -> Output {
    Command::new(plugin_exe())
        .args(args)
        .output()
        .expect("quarry runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The cargo target directory the projects share.
fn shared_target() -> PathBuf {
    built_modules()
        .parent()
        .expect("the modules directory is inside the target directory")
        .join("quarry-author-tests")
}

/// `quarry new <name>` in a fresh directory, set up to build into the shared target directory.
/// Returns the project directory (inside the returned temp dir).
fn new_project(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest-sdk");
    let out = quarry(&[
        "new",
        name,
        "--lang",
        "rust",
        "--dir",
        dir.to_str().unwrap(),
        "--sdk",
        sdk.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "quarry new: {}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("created rust module {name:?}")));
    for file in ["Cargo.toml", "src/lib.rs", "quarry.toml", ".gitignore"] {
        assert!(dir.join(file).is_file(), "{file} was not created");
    }
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    // The template builds into the project's own target/; these tests share one.
    let target = shared_target();
    let manifest = std::fs::read_to_string(dir.join("quarry.toml")).unwrap();
    let manifest = manifest
        .replace(
            "env = { CARGO_TARGET_DIR = \"target\" }",
            &format!(
                "env = {{ CARGO_TARGET_DIR = {:?} }}",
                target.display().to_string()
            ),
        )
        .replace(
            "output = \"target/",
            &format!("output = \"{}/", target.display()),
        );
    std::fs::write(dir.join("quarry.toml"), manifest).unwrap();
    (tmp, dir)
}

fn edit(path: &Path, from: &str, to: &str) {
    let source = std::fs::read_to_string(path).unwrap();
    assert!(source.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, source.replace(from, to)).unwrap();
}

/// `quarry dev <project> --once` into `modules`.
fn dev_once(project: &Path, modules: &Path) -> Output {
    quarry(&[
        "dev",
        project.to_str().unwrap(),
        "--plugin-modules",
        modules.to_str().unwrap(),
        "--once",
    ])
}

#[test]
fn new_project_builds_and_answers_through_the_executable() {
    let (_tmp, project) = new_project("author-new");
    let modules = tempfile::tempdir().unwrap();
    let out = dev_once(&project, modules.path());
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success(),
        "quarry dev --once:\n{stdout}\n{stderr}"
    );
    // Installed under the module's name (with '-'), though cargo wrote author_new.wasm.
    let installed = modules.path().join("author-new.wasm");
    assert!(installed.is_file(), "{stderr}");
    assert!(stderr.contains("compiled author_new.wasm"), "{stderr}");
    assert!(stderr.contains("query answered in"), "{stderr}");
    assert!(
        stdout.contains("health Ok: author-new is ready"),
        "{stdout}"
    );
    assert!(stdout.contains("1.5"), "the sample query's value: {stdout}");

    let out = quarry(&[
        "query",
        "--module",
        installed.to_str().unwrap(),
        "--query",
        r#"{"value": 2.25, "points": 3}"#,
        "--output",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let frame: serde_json::Value =
        serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(frame["data"]["values"][1], json!([2.25, 2.25, 2.25]));
    assert!(text(&out.stderr).contains("query answered in"));

    let out = quarry(&["inspect", "--module", installed.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("\"x-main\": true"),
        "the descriptor is printed: {stdout}"
    );
}

/// Kills the background `quarry dev` when the test ends, however it ends.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_rebuilds_on_save_and_the_running_plugin_answers_from_the_new_code() {
    let (_tmp, project) = new_project("author-live");
    let plugin = Plugin::start().await;
    let log = tempfile::NamedTempFile::new().unwrap();
    let _dev = Background(
        Command::new(plugin_exe())
            .args(["dev", project.to_str().unwrap(), "--poll-ms", "200"])
            // The modules directory as Grafana's plugin setting names it.
            .env("GF_PLUGIN_MODULES_DIR", plugin.modules.path())
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap(),
    );
    let ds = ctx("live", json!({"module": "author-live"}), 1);
    answers(&plugin, &ds, 3.0, log.path()).await;

    // The author saves a change; the plugin, never restarted nor reconfigured, answers from it.
    edit(
        &project.join("src/lib.rs"),
        "let value = model.value;",
        "let value = model.value * 100.0;",
    );
    answers(&plugin, &ds, 300.0, log.path()).await;
    let said = std::fs::read_to_string(log.path()).unwrap();
    assert!(said.matches("quarry dev: installed").count() >= 2, "{said}");
}

/// The first value of the datasource's answer to `{"value": 3}`, once the module is installed.
async fn first_value(plugin: &Plugin, ds: &pb::PluginContext) -> Option<f64> {
    if !plugin.module_path("author-live").is_file() {
        return None;
    }
    let q = vec![query(
        "A",
        json!({"value": 3, "points": 2}),
        0,
        60_000,
        1000,
    )];
    let r = plugin.query(ds.clone(), q).await;
    let r = &r["A"];
    if !r.error.is_empty() {
        return None;
    }
    match &frames(r)[0].fields[1].values {
        quarry_frame::Column::Float64(v) => v.first().copied(),
        other => panic!("value is {other:?}"),
    }
}

/// Waits (bounded) until the plugin answers `want`.
async fn answers(plugin: &Plugin, ds: &pb::PluginContext, want: f64, log: &Path) {
    let started = Instant::now();
    while first_value(plugin, ds).await != Some(want) {
        assert!(
            started.elapsed() < BUILD_WAIT,
            "no answer {want} within {BUILD_WAIT:?}; quarry dev said:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[test]
fn the_first_mistakes_say_what_to_do() {
    let modules = tempfile::tempdir().unwrap();

    // 1. A library crate without crate-type = ["cdylib"]: cargo succeeds and writes no .wasm.
    let (_a, project) = new_project("author-rlib");
    edit(
        &project.join("Cargo.toml"),
        r#"crate-type = ["cdylib"]"#,
        r#"crate-type = ["rlib"]"#,
    );
    let out = dev_once(&project, modules.path());
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("author_rlib.wasm does not exist")
            && stderr.contains(r#"crate-type = ["cdylib"]"#),
        "{stderr}"
    );
    // The same file through `quarry inspect`, the issue's first report (`module "" not found`).
    let wasm = shared_target().join("wasm32-wasip2/release/author_rlib.wasm");
    let out = quarry(&["inspect", "--module", wasm.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Cargo built") && stderr.contains("cdylib"),
        "{stderr}"
    );
    assert!(!stderr.contains(r#"module """#), "{stderr}");

    // 2. No quarry_guest::export!: a component that exports nothing.
    let (_b, project) = new_project("author-noexport");
    edit(
        &project.join("src/lib.rs"),
        "quarry_guest::export!(AuthorNoexport);",
        "",
    );
    let out = dev_once(&project, modules.path());
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("exports nothing") && stderr.contains("quarry_guest::export!(YourType)"),
        "{stderr}"
    );
    assert!(
        !modules.path().join("author-noexport.wasm").exists(),
        "a module that does not load is not installed"
    );

    // 3. Ragged columns: a field shorter than the others.
    let (_c, project) = new_project("author-ragged");
    edit(
        &project.join("src/lib.rs"),
        "Ok(vec![rows.finish()])",
        r#"Ok(vec![rows.finish().with_field(quarry_guest::Field::new("extra", vec![1.0]))])"#,
    );
    let out = dev_once(&project, modules.path());
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(r#"field "extra" has 1 values, expected 5"#)
            && stderr.contains("frame.validate()"),
        "{stderr}"
    );
}
