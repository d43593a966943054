//! `cargo xtask build-polyglot`: the Python and JavaScript SDKs' tools and modules.
//!
//! Installs what it needs under the target directory (a venv with componentize-py from PyPI;
//! `npm ci` in `guest-sdk/js` for componentize-js), runs the SDKs' own unit tests, and builds
//! `http-api-py.wasm` and `http-api-js.wasm` into `$CARGO_TARGET_DIR/quarry-modules/` beside the
//! Rust modules. Every step is skipped when a stamp file says its inputs did not change, so a test
//! run builds each module once.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail};

use crate::util::{project_root, run, target_dir};

/// The componentize-py release the Python SDK is built and tested with.
pub(crate) const COMPONENTIZE_PY: &str = "componentize-py==0.25.1";

/// Polyglot modules: (output name, language, source directory, entry).
const MODULES: &[(&str, Lang, &str, &str)] = &[
    (
        "http-api-py",
        Lang::Python,
        "modules/http-api-py",
        "http_api",
    ),
    ("http-api-js", Lang::Js, "modules/http-api-js", "index.js"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    Python,
    Js,
}

/// Builds the polyglot modules (installing the tools first); returns the modules directory.
pub(crate) fn build_polyglot() -> anyhow::Result<PathBuf> {
    let root = project_root();
    let work = target_dir().join("polyglot");
    std::fs::create_dir_all(&work)?;
    let python = python_tools(&work)?;
    js_tools(&root)?;
    sdk_tests(&root, &python)?;
    let out = target_dir().join("quarry-modules");
    std::fs::create_dir_all(&out)?;
    for &(name, lang, dir, entry) in MODULES {
        let sdk = match lang {
            Lang::Python => "guest-sdk/python",
            Lang::Js => "guest-sdk/js",
        };
        let inputs = [root.join(sdk), root.join(dir), root.join("wit")];
        let tool = match lang {
            Lang::Python => COMPONENTIZE_PY.to_owned(),
            Lang::Js => std::fs::read_to_string(root.join("guest-sdk/js/package-lock.json"))?,
        };
        let wasm = out.join(format!("{name}.wasm"));
        let stamp = work.join(format!("{name}.stamp"));
        let hash = format!("{:016x}", hash_inputs(&inputs, &tool)?);
        if wasm.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == hash) {
            eprintln!("xtask: {name}.wasm is up to date");
            continue;
        }
        let started = Instant::now();
        let mut cmd = match lang {
            Lang::Python => {
                let mut c = Command::new(&python);
                c.arg(root.join("guest-sdk/python/quarry_guest/build.py"))
                    .args(["-q", "--module", entry, "--path"])
                    .arg(root.join(dir));
                c
            }
            Lang::Js => {
                let mut c = Command::new("node");
                c.arg(root.join("guest-sdk/js/build.mjs"))
                    .arg("--module")
                    .arg(root.join(dir).join(entry));
                c
            }
        };
        cmd.arg("-o").arg(&wasm).current_dir(&root);
        run(cmd).with_context(|| format!("building {name}.wasm"))?;
        let size = std::fs::metadata(&wasm)?.len();
        eprintln!(
            "xtask: built {name}.wasm ({:.1} MB) in {:.1} s",
            size as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
        std::fs::write(&stamp, hash)?;
    }
    Ok(out)
}

/// A venv with componentize-py; returns its python.
fn python_tools(work: &Path) -> anyhow::Result<PathBuf> {
    let venv = work.join("venv");
    let bin = if cfg!(windows) { "Scripts" } else { "bin" };
    let python = venv.join(bin).join(if cfg!(windows) {
        "python.exe"
    } else {
        "python"
    });
    let stamp = work.join("venv.stamp");
    if python.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == COMPONENTIZE_PY) {
        return Ok(python);
    }
    let system = ["python3", "python"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .context("the Python SDK needs Python 3 (python3) to install componentize-py")?;
    let mut cmd = Command::new(system);
    cmd.args(["-m", "venv"]).arg(&venv);
    run(cmd).context("creating the venv for componentize-py")?;
    let mut cmd = Command::new(&python);
    cmd.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        COMPONENTIZE_PY,
    ]);
    run(cmd).context("installing componentize-py from PyPI")?;
    std::fs::write(&stamp, COMPONENTIZE_PY)?;
    Ok(python)
}

/// `npm ci` in guest-sdk/js when node_modules does not match package-lock.json.
fn js_tools(root: &Path) -> anyhow::Result<()> {
    let sdk = root.join("guest-sdk/js");
    let lock = std::fs::read(sdk.join("package-lock.json"))?;
    let stamp = sdk.join("node_modules/.quarry-stamp");
    let hash = format!("{:016x}", fnv(&lock, FNV_OFFSET));
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == hash) {
        return Ok(());
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let mut cmd = Command::new(npm);
    cmd.args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&sdk);
    run(cmd).context("npm ci in guest-sdk/js (the JS SDK needs Node.js >= 20 and npm)")?;
    std::fs::write(&stamp, hash)?;
    Ok(())
}

/// The SDKs' and modules' native unit tests (no component needed); skipped when nothing changed.
fn sdk_tests(root: &Path, python: &Path) -> anyhow::Result<()> {
    let work = target_dir().join("polyglot");
    let inputs = [
        root.join("guest-sdk/python"),
        root.join("guest-sdk/js/src"),
        root.join("guest-sdk/js/test"),
        root.join("modules/http-api-py"),
        root.join("modules/http-api-js"),
    ];
    let hash = format!("{:016x}", hash_inputs(&inputs, "")?);
    let stamp = work.join("sdk-tests.stamp");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == hash) {
        eprintln!("xtask: Python and JS SDK tests passed before and nothing changed");
        return Ok(());
    }
    let mut py = Command::new(python);
    py.args(["-m", "unittest", "discover", "-s", "tests", "-t", "."])
        .current_dir(root.join("guest-sdk/python"));
    run(py).context("the Python SDK's unit tests failed")?;
    let mut py = Command::new(python);
    py.args(["-m", "unittest", "test_http_api"])
        .current_dir(root.join("modules/http-api-py"));
    run(py).context("http-api-py's unit tests failed")?;
    let mut js = Command::new("node");
    js.args(["--test", "test/", "../../modules/http-api-js/test/"])
        .current_dir(root.join("guest-sdk/js"));
    run(js).context("the JS SDK's unit tests failed")?;
    std::fs::write(&stamp, hash)?;
    Ok(())
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a: stable across toolchains, enough to notice a changed input.
fn fnv(bytes: &[u8], mut hash: u64) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A hash of every file under `dirs` (path and contents, in sorted order) and of `extra`.
fn hash_inputs(dirs: &[PathBuf], extra: &str) -> anyhow::Result<u64> {
    let mut files = Vec::new();
    for dir in dirs {
        collect(dir, &mut files)?;
    }
    files.sort();
    let mut hash = fnv(extra.as_bytes(), FNV_OFFSET);
    for file in files {
        hash = fnv(file.to_string_lossy().as_bytes(), hash);
        hash = fnv(&std::fs::read(&file)?, hash);
    }
    Ok(hash)
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if !dir.exists() {
        bail!("{} does not exist", dir.display());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name == "node_modules" || name == "__pycache__" || name.starts_with(".quarry-entry") {
            continue;
        }
        if path.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
