//! Modules from an OCI registry, through the real `quarry` executable against the CNCF
//! distribution registry, with oras as the independent client on the other side.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use super::harness::*;
use super::registry::Registry;

/// Runs `quarry <args>` with `env`, and `stdin` on its standard input.
fn quarry(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(plugin_exe());
    cmd.args(args)
        .env_remove("QUARRY_REGISTRY_USERNAME")
        .env_remove("QUARRY_REGISTRY_PASSWORD")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("quarry runs");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("quarry finishes")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "quarry failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8")
}

fn failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "quarry succeeded:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The value of `key: value` in quarry's output.
fn field(stdout: &str, key: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no {key:?} in {stdout}"))
        .to_string()
}

fn pull(store: &Path, reference: &str, out: &Path) -> Output {
    quarry(
        &[
            "pull",
            reference,
            "-o",
            out.to_str().unwrap(),
            "--plain-http",
            "--store",
            store.to_str().unwrap(),
        ],
        &[],
        None,
    )
}

#[test]
fn a_module_pushed_with_oras_is_pulled_identical_by_tag_and_by_digest() {
    let reg = Registry::start();
    let module = built_modules().join("synthetic.wasm");
    let original = std::fs::read(&module).unwrap();
    let digest = reg.oras_push_wasm(&module, "quarry/synthetic:v1");
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");

    let by_tag = work.path().join("by-tag.wasm");
    let stdout = ok(&pull(
        &store,
        &reg.reference("quarry/synthetic:v1"),
        &by_tag,
    ));
    assert_eq!(
        field(&stdout, "digest"),
        digest,
        "the tag resolves to oras's manifest"
    );
    assert_eq!(
        field(&stdout, "pinned"),
        reg.reference(&format!("quarry/synthetic@{digest}"))
    );
    assert!(
        std::fs::read(&by_tag).unwrap() == original,
        "identical bytes by tag"
    );

    let by_digest = work.path().join("by-digest.wasm");
    let pinned = reg.reference(&format!("quarry/synthetic@{digest}"));
    ok(&pull(&store, &pinned, &by_digest));
    assert!(
        std::fs::read(&by_digest).unwrap() == original,
        "identical bytes by digest"
    );

    // The store keeps the module under its own digest; a corrupted copy is noticed and pulled
    // again rather than served.
    let stored = store
        .join("blobs/sha256")
        .join(format!("{}.wasm", field(&stdout, "sha256")));
    let mut corrupt = original.clone();
    corrupt[original.len() / 2] ^= 0x5a;
    std::fs::write(&stored, &corrupt).unwrap();
    let again = work.path().join("again.wasm");
    ok(&pull(&store, &pinned, &again));
    assert!(
        std::fs::read(&again).unwrap() == original,
        "re-pulled, not the corrupt copy"
    );
    assert!(
        std::fs::read(&stored).unwrap() == original,
        "the store is repaired"
    );
}

#[test]
fn a_module_pushed_with_quarry_is_pulled_identical_by_oras_in_the_wasm_layout() {
    let reg = Registry::start();
    let module = built_modules().join("synthetic.wasm");
    let original = std::fs::read(&module).unwrap();
    let reference = reg.reference("quarry/synthetic:v2");
    let stdout = ok(&quarry(
        &["push", module.to_str().unwrap(), &reference, "--plain-http"],
        &[],
        None,
    ));
    let digest = field(&stdout, "digest");
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{stdout}"
    );
    assert_eq!(
        field(&stdout, "pinned"),
        reg.reference(&format!("quarry/synthetic@{digest}"))
    );

    let work = tempfile::tempdir().unwrap();
    let target = format!("{}/quarry/synthetic:v2", reg.addr());
    reg.oras_ok(work.path(), &["pull", &target, "-o", "out"]);
    let pulled = work.path().join("out").join("synthetic.wasm");
    assert!(
        std::fs::read(&pulled).unwrap() == original,
        "oras gets identical bytes"
    );

    let manifest: serde_json::Value =
        serde_json::from_str(&reg.oras_ok(work.path(), &["manifest", "fetch", &target])).unwrap();
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    assert_eq!(manifest["layers"].as_array().unwrap().len(), 1);
    assert_eq!(manifest["layers"][0]["mediaType"], "application/wasm");
    let descriptor: serde_json::Value = serde_json::from_str(
        &reg.oras_ok(work.path(), &["manifest", "fetch", "--descriptor", &target]),
    )
    .unwrap();
    assert_eq!(
        descriptor["digest"],
        digest.as_str(),
        "the digest quarry printed"
    );

    // Pushing the same file again names the same manifest.
    let again = ok(&quarry(
        &["push", module.to_str().unwrap(), &reference, "--plain-http"],
        &[],
        None,
    ));
    assert_eq!(field(&again, "digest"), digest);
}

#[test]
fn failed_pulls_name_the_cause() {
    let mut reg = Registry::start();
    let module = built_modules().join("synthetic.wasm");
    reg.oras_push_wasm(&module, "quarry/synthetic:v1");
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let out = work.path().join("out.wasm");

    let missing = format!("sha256:{}", "0".repeat(64));
    let err = failed(&pull(
        &store,
        &reg.reference(&format!("quarry/synthetic@{missing}")),
        &out,
    ));
    assert!(err.contains("not found") && err.contains(&missing), "{err}");

    let err = failed(&pull(&store, &reg.reference("quarry/synthetic:v9"), &out));
    assert!(
        err.contains("not found") && err.contains("tag \"v9\""),
        "{err}"
    );

    // Not a wasm artifact: one layer of another type.
    std::fs::write(work.path().join("notes.txt"), "hello").unwrap();
    let target = format!("{}/quarry/notes:v1", reg.addr());
    reg.oras_ok(work.path(), &["push", &target, "notes.txt:text/plain"]);
    let err = failed(&pull(&store, &reg.reference("quarry/notes:v1"), &out));
    assert!(
        err.contains("not a Wasm module artifact") && err.contains("\"text/plain\""),
        "{err}"
    );

    // The operator's allow-list is obeyed, before any request.
    let denied = quarry(
        &[
            "pull",
            &reg.reference("quarry/synthetic:v1"),
            "-o",
            out.to_str().unwrap(),
            "--plain-http",
            "--store",
            store.to_str().unwrap(),
        ],
        &[("QUARRY_OCI_ALLOWED_REGISTRIES", "ghcr.io")],
        None,
    );
    let err = failed(&denied);
    assert!(
        err.contains("is not allowed") && err.contains("oci_allowed_registries"),
        "{err}"
    );

    // A registry that is down.
    reg.stop();
    let err = failed(&pull(&store, &reg.reference("quarry/synthetic:v1"), &out));
    assert!(
        err.contains("unreachable") && err.contains(&reg.addr()),
        "{err}"
    );
    assert!(!out.exists(), "no file is written by a failed pull");
}

#[test]
fn a_registry_login_is_used_and_a_wrong_one_is_named() {
    let reg = Registry::start_with_login("robot", "correct horse");
    let login = reg.login().expect("a login").clone();
    let module = built_modules().join("synthetic.wasm");
    let original = std::fs::read(&module).unwrap();
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let store = store.to_str().unwrap();
    let reference = reg.reference("private/synthetic:v1");
    let push = |env: &[(&str, &str)]| {
        quarry(
            &["push", module.to_str().unwrap(), &reference, "--plain-http"],
            env,
            None,
        )
    };

    let err = failed(&push(&[]));
    assert!(
        err.contains("refused access") && err.contains("needs a login"),
        "{err}"
    );
    // Credentials from the environment.
    let stdout = ok(&push(&[
        ("QUARRY_REGISTRY_USERNAME", &login.username),
        ("QUARRY_REGISTRY_PASSWORD", &login.password),
    ]));
    let digest = field(&stdout, "digest");

    let out = work.path().join("m.wasm");
    let out_s = out.to_str().unwrap();
    let pull_as = |password: &str| {
        quarry(
            &[
                "pull",
                &reference,
                "-o",
                out_s,
                "--plain-http",
                "--store",
                store,
                "--username",
                "robot",
                "--password-stdin",
            ],
            &[],
            Some(&format!("{password}\n")),
        )
    };
    let err = failed(&pull_as("wrong"));
    assert!(
        err.contains("refused access")
            && err.contains("username \"robot\" or its password is wrong"),
        "{err}"
    );
    assert!(
        !err.contains("wrong\n") && !err.contains("correct horse"),
        "{err}"
    );
    let stdout = ok(&pull_as("correct horse"));
    assert_eq!(field(&stdout, "digest"), digest);
    assert!(std::fs::read(&out).unwrap() == original);

    // oras, logged in, sees what quarry pushed.
    let target = format!("{}/private/synthetic:v1", reg.addr());
    reg.oras_ok(work.path(), &["pull", &target, "-o", "by-oras"]);
    assert!(std::fs::read(work.path().join("by-oras/synthetic.wasm")).unwrap() == original);
}

#[test]
fn a_pinned_module_in_the_store_needs_no_registry_and_a_restarted_registry_keeps_its_content() {
    let mut reg = Registry::start();
    let module = built_modules().join("hello.wasm");
    let original = std::fs::read(&module).unwrap();
    let digest = reg.oras_push_wasm(&module, "quarry/hello:v1");
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let out = work.path().join("hello.wasm");
    let by_tag = reg.reference("quarry/hello:v1");
    let pinned = reg.reference(&format!("quarry/hello@{digest}"));
    ok(&pull(&store, &by_tag, &out));

    reg.stop();
    std::fs::remove_file(&out).unwrap();
    let stdout = ok(&pull(&store, &pinned, &out));
    assert_eq!(field(&stdout, "digest"), digest);
    assert!(
        std::fs::read(&out).unwrap() == original,
        "served from the store"
    );
    let err = failed(&pull(&store, &by_tag, &out));
    assert!(
        err.contains("unreachable"),
        "a tag needs the registry: {err}"
    );

    // Same port, same storage: the tag is still there.
    reg.restart();
    let fresh_store = work.path().join("fresh");
    let stdout = ok(&pull(&fresh_store, &by_tag, &out));
    assert_eq!(field(&stdout, "digest"), digest);
    assert!(std::fs::read(&out).unwrap() == original);
}
