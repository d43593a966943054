//! `quarry new --lang python|js` through the real executable: the project carries the SDK and the
//! contract, builds with the tool its manifest names (componentize-py, componentize-js), and
//! `quarry dev --once` — the plugin executable — builds it, checks its descriptor, and answers
//! its sample query and health check from it.
//!
//! The build tools are the ones `cargo xtask build-polyglot` installs (a venv with componentize-py
//! under the target directory; `npm ci` in `guest-sdk/js`): each project links them in place of
//! its own `.venv` or `node_modules`, after the test checks they are the versions the project
//! pins. A missing tool fails the test with the command that installs it; nothing is skipped.
//! What is left is the build itself and one compile of the component: well under a minute per
//! language on the 2-core machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

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

/// `quarry dev <project> --once` into a fresh modules directory: it builds with the manifest's
/// command, compiles and checks the component, installs it as `<name>.wasm`, prints the
/// descriptor, and runs the sample query and health check. Returns (stdout, stderr).
fn dev_once(project: &Path, name: &str) -> (String, String) {
    let modules = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = quarry(&[
        "dev",
        project.to_str().unwrap(),
        "--plugin-modules",
        modules.path().to_str().unwrap(),
        "--once",
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    eprintln!(
        "{name}: quarry dev --once (build, compile, query, health) took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        out.status.success(),
        "quarry dev --once:\n{stdout}\n{stderr}"
    );
    assert!(
        modules.path().join(format!("{name}.wasm")).is_file(),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("compiled {name}.wasm")),
        "{stderr}"
    );
    assert!(stderr.contains("query answered in"), "{stderr}");
    (stdout, stderr)
}

/// What the template's module answers `quarry dev`: its descriptor, the sample query of
/// `quarry.toml` (`{"value": 1.5, "points": 5}`) and its health.
fn answers_like_the_template(name: &str, stdout: &str) {
    assert!(
        stdout.contains(
            r#"descriptor: settings [unit], query [value (main), points], default query {"points":10,"value":1.0}, streams []"#
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("health Ok: {name} is ready")),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("1.5").count(),
        5,
        "five points of the sample query's value: {stdout}"
    );
}

#[test]
fn new_python_project_builds_and_answers_through_the_executable() {
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

    let started = Instant::now();
    let python = project.join(".venv/bin/python");
    let out = run_in(
        &project,
        &python,
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
    eprintln!(
        "{name}: unit tests in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let (stdout, _) = dev_once(&project, name);
    answers_like_the_template(name, &stdout);
}

#[test]
fn new_js_project_builds_and_answers_through_the_executable() {
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

    let started = Instant::now();
    let out = run_in(&project, Path::new("node"), &["--test", "test/"]);
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
    eprintln!(
        "{name}: unit tests in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let (stdout, _) = dev_once(&project, name);
    answers_like_the_template(name, &stdout);
}
