//! `quarry new --lang python|js` through the real executable: the project carries the SDK and the
//! contract, its native unit tests pass, and `quarry dev` — the plugin executable — builds it with
//! the tool its manifest names (componentize-py, componentize-js), checks its descriptor, answers
//! the sample query and health check, and installs it into a running plugin, which answers from
//! it; after the author saves a change, the plugin answers from the new code.
//!
//! The build tools are the ones `cargo xtask build-polyglot` installs (a venv with componentize-py
//! under the target directory; `npm ci` in `guest-sdk/js`): each project links them in place of
//! its own `.venv` or `node_modules`, after the test checks they are the versions the project
//! pins, so CI installs each tool once. A missing tool fails the test with the command that
//! installs it; nothing is skipped. What each test adds is two component builds, each compiled
//! once (by `quarry dev`; the plugin loads it from the compiled-module cache they share).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use serde_json::json;

use super::harness::*;

fn quarry(args: &[&str]) -> Output {
    Command::new(plugin_exe())
        .args(args)
        .output()
        .expect("quarry runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where `cargo xtask build-polyglot` keeps its tools: beside the built modules.
fn polyglot_dir() -> PathBuf {
    built_modules()
        .parent()
        .expect("the modules directory is inside the target directory")
        .join("polyglot")
}

/// The venv with componentize-py, and the requirement it was installed from.
fn python_tools() -> (PathBuf, String) {
    let venv = polyglot_dir().join("venv");
    let tool = venv.join("bin/componentize-py");
    assert!(
        tool.is_file(),
        "componentize-py is not installed ({} is missing): run `cargo xtask build-polyglot`, \
         which creates that venv and installs componentize-py from PyPI (`cargo xtask test` runs \
         it first)",
        tool.display()
    );
    let stamp = polyglot_dir().join("venv.stamp");
    let requirement = std::fs::read_to_string(&stamp).unwrap_or_else(|_| {
        panic!(
            "{} is missing, so which componentize-py the venv holds is unknown: run `cargo xtask \
             build-polyglot`",
            stamp.display()
        )
    });
    (venv, requirement.trim().to_string())
}

/// guest-sdk/js's node_modules with componentize-js, and its package.json dependencies.
fn js_tools() -> (PathBuf, serde_json::Value) {
    let sdk = repo().join("guest-sdk/js");
    let tool = sdk.join("node_modules/@bytecodealliance/componentize-js/package.json");
    assert!(
        tool.is_file(),
        "componentize-js is not installed ({} is missing): run `cargo xtask build-polyglot`, \
         which runs `npm ci` in guest-sdk/js (`cargo xtask test` runs it first)",
        tool.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "Node.js is not on PATH (`node --version`: {node:?}): the JS template builds with node \
         >= 20; install it (e.g. `apt-get install nodejs npm`)"
    );
    let package: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sdk.join("package.json")).unwrap()).unwrap();
    (sdk.join("node_modules"), package["dependencies"].clone())
}

/// `quarry new <name> --lang <lang>` in a fresh directory; checks what every project has.
fn new_project(lang: &str, name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    let out = quarry(&["new", name, "--lang", lang, "--dir", dir.to_str().unwrap()]);
    assert!(out.status.success(), "quarry new: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("created {lang} module {name:?}")),
        "{stdout}"
    );
    assert!(stdout.contains("quarry dev . --plugin-modules"), "{stdout}");
    for file in [
        "quarry.toml",
        ".gitignore",
        "README.md",
        "sdk/wit/world.wit",
        "sdk/wit/types.wit",
    ] {
        assert!(dir.join(file).is_file(), "{file} was not created");
    }
    let gitignore = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
    assert!(gitignore.contains("/build/"), "{gitignore}");
    (tmp, dir)
}

fn run_in(dir: &Path, program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{} {args:?}: {e}", program.display()))
}

/// How long one wait for a build may take: a componentize build is 30–60 s on two idle cores;
/// this bounds a hang, it measures nothing.
const BUILD_WAIT: Duration = Duration::from_secs(600);

/// Kills the background `quarry dev` when the test ends, however it ends.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What `quarry dev` said: (stdout, stderr).
struct DevLog {
    stdout: tempfile::NamedTempFile,
    stderr: tempfile::NamedTempFile,
}

impl DevLog {
    fn read(&self) -> (String, String) {
        let read = |f: &tempfile::NamedTempFile| std::fs::read_to_string(f.path()).unwrap();
        (read(&self.stdout), read(&self.stderr))
    }
}

/// The author's loop for a new project: `quarry dev` (polling, as an author runs it) installs the
/// module into a running plugin, which answers from it; `edit` is saved and the plugin answers
/// from the new code. `descriptor` is the line `quarry dev` prints for the template's module.
async fn dev_loop(project: &Path, name: &str, descriptor: &str, edit: (&str, &str, &str)) {
    let plugin = Plugin::start().await;
    let log = DevLog {
        stdout: tempfile::NamedTempFile::new().unwrap(),
        stderr: tempfile::NamedTempFile::new().unwrap(),
    };
    let started = Instant::now();
    let _dev = Background(
        Command::new(plugin_exe())
            .args(["dev", project.to_str().unwrap(), "--poll-ms", "200"])
            // The modules directory as Grafana's plugin setting names it.
            .env("GF_PLUGIN_MODULES_DIR", plugin.modules.path())
            .stdout(log.stdout.reopen().unwrap())
            .stderr(log.stderr.reopen().unwrap())
            .spawn()
            .unwrap(),
    );
    let ds = ctx("dev", json!({"module": name}), 1);
    answers(&plugin, &ds, name, 3.0, &log).await;
    eprintln!(
        "{name}: first build installed and answering after {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The first cycle checked the descriptor and ran quarry.toml's sample query
    // (`{"value": 1.5, "points": 5}`) and health check.
    let (stdout, stderr) = log.read();
    assert!(stdout.contains(descriptor), "{stdout}");
    assert!(
        stdout.contains(&format!("health Ok: {name} is ready")),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches(" 1.5\n").count(),
        5,
        "five points of the sample query's value: {stdout}"
    );
    assert!(
        stderr.contains(&format!("compiled {name}.wasm")),
        "{stderr}"
    );
    assert!(stderr.contains("query answered in"), "{stderr}");

    // The author saves a change; the plugin, never restarted nor reconfigured, answers from it.
    let (file, from, to) = edit;
    let path = project.join(file);
    let source = std::fs::read_to_string(&path).unwrap();
    assert!(source.contains(from), "{file} has no {from:?}");
    std::fs::write(&path, source.replace(from, to)).unwrap();
    let started = Instant::now();
    answers(&plugin, &ds, name, 300.0, &log).await;
    eprintln!(
        "{name}: the edit was answered after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let (_, stderr) = log.read();
    assert!(
        stderr.matches("quarry dev: installed").count() >= 2,
        "{stderr}"
    );
    // Each version was compiled once, by `quarry dev` before it installed it: the plugin loaded
    // both from the compiled-module cache they share.
    let metrics = plugin.metrics().await;
    assert_eq!(
        module_metric(&metrics, "quarry_module_compiles_total", name),
        0.0,
        "{metrics}"
    );
    assert!(
        module_metric(&metrics, "quarry_module_cache_hits_total", name) >= 2.0,
        "{metrics}"
    );
}

/// The first value of the datasource's answer to `{"value": 3}`, once the module is installed.
async fn first_value(plugin: &Plugin, ds: &pb::PluginContext, name: &str) -> Option<f64> {
    if !plugin.module_path(name).is_file() {
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
async fn answers(plugin: &Plugin, ds: &pb::PluginContext, name: &str, want: f64, log: &DevLog) {
    let started = Instant::now();
    while first_value(plugin, ds, name).await != Some(want) {
        assert!(
            started.elapsed() < BUILD_WAIT,
            "no answer {want} within {BUILD_WAIT:?}; quarry dev said:\n{:?}",
            log.read()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn new_python_project_builds_and_the_dev_loop_answers_from_each_save() {
    let (venv, requirement) = python_tools();
    let out = quarry(&["new", "x", "--lang", "python", "--sdk", "/nonexistent"]);
    assert!(
        !out.status.success() && text(&out.stderr).contains("--sdk is for Rust projects"),
        "{}",
        text(&out.stderr)
    );

    let name = "author-py";
    let (_tmp, project) = new_project("python", name);
    for file in [
        "requirements.txt",
        "src/datasource.py",
        "tests/test_datasource.py",
        "sdk/quarry_guest/__init__.py",
        "sdk/quarry_guest/build.py",
        "sdk/quarry_guest_exports.py",
    ] {
        assert!(project.join(file).is_file(), "{file} was not created");
    }
    // The venv this test links in is the project's .venv: the same componentize-py.
    let requirements = std::fs::read_to_string(project.join("requirements.txt")).unwrap();
    assert!(
        requirements.lines().any(|l| l.trim() == requirement),
        "the project pins\n{requirements}\nbut the venv of `cargo xtask build-polyglot` has {requirement}"
    );
    std::os::unix::fs::symlink(&venv, project.join(".venv")).unwrap();

    // The README's test command, with the system's python3 (the tests need no componentize-py).
    let out = run_in(
        &project,
        Path::new("python3"),
        &["-m", "unittest", "discover", "-s", "tests"],
    );
    assert!(
        out.status.success(),
        "the project's unit tests:\n{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("Ran 2 tests"),
        "{}",
        text(&out.stderr)
    );

    dev_loop(
        &project,
        name,
        r#"descriptor: settings [unit], query [value (main), points], default query {"points":10,"value":1.0}, streams []"#,
        (
            "src/datasource.py",
            "[float(model.value)] * model.points",
            "[float(model.value) * 100] * model.points",
        ),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn new_js_project_builds_and_the_dev_loop_answers_from_each_save() {
    let (node_modules, dependencies) = js_tools();
    let name = "author-js";
    let (_tmp, project) = new_project("js", name);
    for file in [
        "package.json",
        "package-lock.json",
        "src/index.js",
        "test/index.test.js",
        "sdk/build.mjs",
        "sdk/src/index.js",
    ] {
        assert!(project.join(file).is_file(), "{file} was not created");
    }
    // The node_modules this test links in is what `npm ci` would install for the project: the
    // same dependencies (and the same lock, a unit test of `quarry new` checks).
    let package: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(project.join("package.json")).unwrap())
            .unwrap();
    assert_eq!(
        package["dependencies"], dependencies,
        "the project's package.json asks for other tools than guest-sdk/js's"
    );
    std::os::unix::fs::symlink(&node_modules, project.join("node_modules")).unwrap();

    // The README's `npm test`.
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let out = run_in(&project, Path::new(npm), &["test"]);
    assert!(
        out.status.success(),
        "the project's unit tests:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("# pass 2"),
        "{}",
        text(&out.stdout)
    );

    dev_loop(
        &project,
        name,
        r#"descriptor: settings [unit], query [value (main), points], default query {"points":10,"value":1}, streams []"#,
        (
            "src/index.js",
            "Array(n).fill(value)",
            "Array(n).fill(value * 100)",
        ),
    )
    .await;
}
