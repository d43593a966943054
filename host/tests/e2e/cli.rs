//! The module-author CLI of the same binary.

use std::process::Output;

use super::harness::*;

fn quarry(args: &[&str]) -> Output {
    std::process::Command::new(plugin_exe())
        .args(args)
        .output()
        .expect("quarry runs")
}

fn module(name: &str) -> String {
    built_modules()
        .join(format!("{name}.wasm"))
        .display()
        .to_string()
}

#[test]
fn query_prints_frames_as_a_table_and_as_json() {
    let m = module("synthetic");
    let args = [
        "query",
        "--module",
        &m,
        "--query",
        r#"{"scenario":"sine","seriesCount":2}"#,
        "--from",
        "0",
        "--to",
        "120000",
    ];
    let out = quarry(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("series-0") && text.contains("series-1"),
        "{text}"
    );
    assert!(text.contains("1970-01-01T00:02:00.000Z"), "{text}");

    let mut json_args = args.to_vec();
    json_args.extend(["--output", "json"]);
    let out = quarry(&json_args);
    let first = String::from_utf8(out.stdout).unwrap();
    let frame: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    assert_eq!(
        frame["data"]["values"][0],
        serde_json::json!([0, 60000, 120000])
    );
}

#[test]
fn query_errors_name_the_cause_and_exit_non_zero() {
    let m = module("synthetic");
    let out = quarry(&["query", "--module", &m, "--query", r#"{"scenario":"nope"}"#]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown scenario"),
        "{:?}",
        out
    );
    let out = quarry(&["query", "--module", "/nonexistent/x.wasm"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.wasm"),
        "{:?}",
        out
    );
}

#[test]
fn health_stream_and_inspect() {
    let m = module("synthetic");
    let out = quarry(&["health", "--module", &m]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("synthetic module ready"));

    let out = quarry(&[
        "health",
        "--module",
        &m,
        "--json-data",
        r#"{"healthFail":true}"#,
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("health failure requested by settings"));

    let out = quarry(&[
        "stream",
        "--module",
        &m,
        "--path",
        "random_walk/10",
        "--ticks",
        "3",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().filter(|l| l.starts_with("tick ")).count(),
        3,
        "{text}"
    );

    let out = quarry(&["inspect", "--module", &m]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("contract: quarry:datasource@0.3.0")
            && text.contains("quarry:datasource/datasource@0.3.0"),
        "{text}"
    );
}
