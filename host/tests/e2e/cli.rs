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

#[test]
fn resource_calls_locally_and_through_a_plugin_keep_the_query_string_apart() {
    let m = module("synthetic");
    let out = quarry(&["resource", "--module", &m, "--path", "scenarios?verbose=1"]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stdout.trim(),
        r#"["random_walk","sine","all_types","error"]"#
    );
    assert!(stderr.contains("status 200"), "{stderr}");
    assert!(
        stderr.contains("content-type: application/json"),
        "{stderr}"
    );
    assert!(stderr.contains("resource answered in"), "{stderr}");

    let out = quarry(&[
        "resource",
        "--module",
        &m,
        "--path",
        "echo",
        "--method",
        "post",
        "--header",
        "Content-Type: text/plain",
        "--body",
        "hi there",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "hi there");
    let out = quarry(&["resource", "--module", &m, "--path", "nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("no resource nope"));

    // Grafana sends `path` without the query string (and `url` with it): synthetic matches
    // `scenarios` exactly, so the old `path = "scenarios?x=1"` answered 404.
    let modules = built_modules();
    let exe = plugin_exe();
    let out = quarry(&[
        "grafana",
        "--plugin",
        exe.to_str().unwrap(),
        "--modules-dir",
        modules.to_str().unwrap(),
        "--json-data",
        r#"{"module":"synthetic"}"#,
        "resource",
        "scenarios?x=1",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(r#"["random_walk","sine","all_types","error"]"#),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn timings_go_to_stderr_and_stdout_stays_the_answer() {
    let m = module("synthetic");
    let out = quarry(&[
        "query",
        "--module",
        &m,
        "--query",
        r#"{"scenario":"all_types"}"#,
        "--output",
        "json",
    ]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        stderr.contains("compiled synthetic.wasm") && stderr.contains(" KiB) in "),
        "{stderr}"
    );
    assert!(stderr.contains("query answered in"), "{stderr}");
    for line in stdout.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("stdout is frame JSON only");
    }
    let out = quarry(&["health", "--module", &m]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("health answered in"));
}

#[test]
fn stream_prints_the_schema_with_the_first_tick() {
    let m = module("synthetic");
    let out = quarry(&["stream", "--module", &m, "--path", "sine/1", "--ticks", "3"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The 1 ms interval is raised to the host's 10 ms floor.
    assert!(text.contains("subscribed: interval 10 ms"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let first_tick = lines.iter().position(|l| l.starts_with("tick 0:")).unwrap();
    assert_eq!(
        lines[first_tick - 1],
        r#"schema: "sine": time: time, value: float64"#,
        "{text}"
    );
    // Unchanged afterwards: printed for the initial frame and the first tick only.
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("schema:")).count(),
        2,
        "{text}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("tick 2 answered in"), "{stderr}");
}

#[test]
fn a_failed_module_http_request_shows_once_and_readably() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let out = quarry(&[
        "query",
        "--module",
        &module("http-api"),
        "--json-data",
        r#"{"endpoint":"http://localhost:1","allowedHosts":["localhost:1"]}"#,
        "--query",
        r#"{"metricName":"cpu"}"#,
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("connection refused").count(),
        1,
        "the failure once: {stderr}"
    );
    assert!(
        stderr.contains("error: connection refused by localhost:1"),
        "{stderr}"
    );
    assert!(!stderr.contains("Os {"), "no raw dependency log: {stderr}");
    assert!(!stderr.contains("WARN"), "{stderr}");
}

#[test]
fn synthetic_refuses_out_of_range_numbers() {
    let m = module("synthetic");
    for (model, message) in [
        (
            r#"{"seriesCount":-1}"#,
            "seriesCount must be between 1 and 100, not -1",
        ),
        (
            r#"{"scenario":"sine","points":-3}"#,
            "points must be between 1 and 1000000, not -3",
        ),
    ] {
        let out = quarry(&["query", "--module", &m, "--query", model]);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(message),
            "{model}"
        );
    }
}
