//! QueryData through the real binary: values, per-query errors, field types, formats, sizes.

use quarry_frame::Column;
use serde_json::json;

use super::harness::*;

const FROM: i64 = 1_700_000_000_000;
const TO: i64 = FROM + 10 * 60_000;

/// The synthetic module's random walk, recomputed from its README.
fn expected_walk(seed: u64, series: u64, n: usize, start: f64, spread: f64) -> Vec<f64> {
    let mut state = seed.wrapping_add(series.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut v = vec![start];
    while v.len() < n {
        let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
        let last = *v.last().unwrap();
        v.push(last + (u - 0.5) * spread);
    }
    v
}

#[tokio::test]
async fn random_walk_frames_match_the_module_spec() {
    let p = Plugin::start().await;
    let model = json!({"scenario": "random_walk", "seriesCount": 2, "seed": 42, "startValue": 10.0, "labels": {"env": "test"}});
    let resp = p
        .query(
            synthetic_ctx("walk"),
            vec![query("A", model, FROM, TO, 60_000)],
        )
        .await;
    let frames = frames(&resp["A"]);
    assert_eq!(frames.len(), 2);
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.name, format!("series-{i}"));
        assert_eq!(f.ref_id, "A");
        assert_eq!(f.meta.as_ref().unwrap()["type"], "timeseries-multi");
        let Column::Time(times) = &f.fields[0].values else {
            panic!("first field is time")
        };
        let want_times: Vec<i64> = (0..11).map(|k| (FROM + k * 60_000) * 1_000_000).collect();
        assert_eq!(*times, want_times);
        let value = &f.fields[1];
        assert_eq!(value.name, "value");
        assert_eq!(
            value.labels.get("series").map(String::as_str),
            Some(i.to_string().as_str())
        );
        assert_eq!(value.labels.get("env").map(String::as_str), Some("test"));
        let Column::Float64(values) = &value.values else {
            panic!("value is float64")
        };
        assert_eq!(*values, expected_walk(42, i as u64, 11, 10.0, 1.0));
    }
}

#[tokio::test]
async fn one_failing_query_never_fails_its_siblings() {
    let p = Plugin::start().await;
    let mut bad_json = query("B", json!({}), FROM, TO, 60_000);
    bad_json.json = b"{not json".to_vec();
    let queries = vec![
        query("A", json!({"scenario": "sine"}), FROM, TO, 60_000),
        bad_json,
        query(
            "C",
            json!({"scenario": "no_such_scenario"}),
            FROM,
            TO,
            60_000,
        ),
        query("D", json!({"scenario": "error"}), FROM, TO, 60_000),
        query("E", json!({"scenario": "random_walk"}), FROM, TO, 60_000),
    ];
    let resp = p.query(synthetic_ctx("siblings"), queries).await;
    assert_eq!(resp.len(), 5);
    assert_eq!(frames(&resp["A"]).len(), 1);
    assert_eq!(frames(&resp["E"]).len(), 1);
    let b = &resp["B"];
    assert_eq!((b.status, b.error_source.as_str()), (400, "plugin"));
    assert!(b.error.contains("query JSON is malformed"), "{}", b.error);
    let c = &resp["C"];
    assert_eq!(c.status, 400);
    assert!(c.error.contains("no_such_scenario"), "{}", c.error);
    let d = &resp["D"];
    assert_eq!(d.status, 400);
    assert!(d.error.contains("synthetic error requested"), "{}", d.error);
}

#[tokio::test]
async fn every_field_type_and_null_decodes_value_by_value() {
    let p = Plugin::start().await;
    let resp = p
        .query(
            synthetic_ctx("types"),
            vec![query("T", json!({"scenario": "all_types"}), FROM, TO, 1000)],
        )
        .await;
    let frames = frames(&resp["T"]);
    assert_eq!(frames.len(), 1);
    let f = &frames[0];
    assert_eq!(f.name, "all_types");
    let meta = f.meta.as_ref().unwrap();
    assert_eq!(meta["executedQueryString"], "all_types");
    assert_eq!(meta["notices"][0]["severity"], "info");
    assert_eq!(meta["custom"]["rows"], 3);

    let field = |name: &str| {
        f.fields
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("field {name}"))
    };
    let expect = |name: &str, want: Column| {
        let plain = field(name);
        assert_eq!(plain.values, want, "{name}");
        assert!(plain.validity.is_none(), "{name} is not nullable");
        let nullable = field(&format!("nullable_{name}"));
        assert_eq!(
            nullable.validity.as_deref(),
            Some(&[true, false, true][..]),
            "nullable_{name}"
        );
        assert_eq!(
            std::mem::discriminant(&nullable.values),
            std::mem::discriminant(&want),
            "nullable_{name} type"
        );
    };
    expect(
        "time",
        Column::Time(vec![
            1_700_000_000_000_000_000,
            1_700_000_000_001_000_001,
            1_700_000_000_002_000_002,
        ]),
    );
    expect("int8", Column::Int8(vec![-128, 0, 127]));
    expect("int16", Column::Int16(vec![-32768, 0, 32767]));
    expect("int32", Column::Int32(vec![i32::MIN, 0, i32::MAX]));
    expect("int64", Column::Int64(vec![i64::MIN, 0, i64::MAX]));
    expect("uint8", Column::UInt8(vec![0, 1, 255]));
    expect("uint16", Column::UInt16(vec![0, 1, 65535]));
    expect("uint32", Column::UInt32(vec![0, 1, u32::MAX]));
    expect("uint64", Column::UInt64(vec![0, 1, u64::MAX]));
    expect("float32", Column::Float32(vec![-1.5, 0.0, 3.25]));
    expect("float64", Column::Float64(vec![-1.5, 0.0, 1e300]));
    expect("bool", Column::Bool(vec![true, false, true]));
    expect(
        "string",
        Column::String(vec!["a".into(), "".into(), "ünïcode".into()]),
    );
    expect("enum", Column::Enum(vec![0, 1, 2]));
    let Column::Json(cells) = &field("json").values else {
        panic!("json column")
    };
    let cells: Vec<serde_json::Value> = cells
        .iter()
        .map(|c| serde_json::from_str(c).unwrap())
        .collect();
    assert_eq!(cells, vec![json!({"a": 1}), json!([1, 2]), json!(null)]);
    // Null rows of the nullable twins: the valid rows still carry the values.
    let Column::Int64(v) = &field("nullable_int64").values else {
        panic!()
    };
    assert_eq!((v[0], v[2]), (i64::MIN, i64::MAX));

    let f64_field = field("float64");
    assert_eq!(f64_field.labels.get("host").map(String::as_str), Some("a"));
    assert_eq!(f64_field.labels.get("dc").map(String::as_str), Some("x"));
    let config = f64_field.config.as_ref().unwrap();
    assert_eq!(config["unit"], "ms");
    assert_eq!(config["displayName"], "Float Sixty-Four");
    assert_eq!(config["decimals"], 2);
    assert_eq!(config["min"], -10.0);
    assert_eq!(config["max"], 10.0);
    assert_eq!(
        field("enum").config.as_ref().unwrap()["type"]["enum"]["text"],
        json!(["low", "mid", "high"])
    );
}

#[tokio::test]
async fn json_format_is_answered_with_frame_json() {
    let p = Plugin::start().await;
    let resp = p
        .query_format(
            synthetic_ctx("jsonfmt"),
            vec![query("J", json!({"scenario": "sine"}), FROM, TO, 60_000)],
            pb::DataFrameFormat::Json,
        )
        .await;
    let r = &resp["J"];
    assert_eq!(
        (r.status, r.format),
        (200, pb::DataFrameFormat::Json as i32)
    );
    let frame: serde_json::Value = serde_json::from_slice(&r.frames[0]).expect("frame JSON");
    assert_eq!(frame["schema"]["name"], "series-0");
    assert_eq!(frame["schema"]["fields"][0]["type"], "time");
    assert_eq!(frame["schema"]["fields"][1]["typeInfo"]["frame"], "float64");
    let times = frame["data"]["values"][0].as_array().unwrap();
    assert_eq!(times.len(), 11);
    assert_eq!(times[0], json!(FROM));
}

#[tokio::test]
async fn a_million_row_frame_crosses_the_boundary() {
    let p = Plugin::start().await;
    let model = json!({"scenario": "random_walk", "points": 1_000_000});
    let resp = p
        .query(synthetic_ctx("big"), vec![query("M", model, FROM, TO, 1)])
        .await;
    let frames = frames(&resp["M"]);
    assert_eq!(frames[0].fields[0].values.len(), 1_000_000);
    assert_eq!(frames[0].fields[1].values.len(), 1_000_000);
}

#[tokio::test]
async fn requests_larger_than_grpc_default_limits_are_accepted() {
    let p = Plugin::start().await;
    // Grafana's client sends up to MaxInt32; tonic's default receive limit is 4 MiB.
    let padding = "x".repeat(6 << 20);
    let model = json!({"scenario": "sine", "padding": padding});
    let resp = p
        .query(
            synthetic_ctx("large"),
            vec![query("L", model, FROM, TO, 60_000)],
        )
        .await;
    assert_eq!(frames(&resp["L"]).len(), 1);
}

#[tokio::test]
async fn missing_or_unknown_module_is_a_per_query_error_naming_it() {
    let p = Plugin::start().await;
    let q = || vec![query("A", json!({}), FROM, TO, 60_000)];
    let none = p.query(ctx("nomod", json!({}), 1), q()).await;
    assert_eq!(none["A"].status, 400);
    assert!(
        none["A"].error.contains("names no module"),
        "{}",
        none["A"].error
    );

    let missing = p
        .query(ctx("missing", json!({"module": "does-not-exist"}), 1), q())
        .await;
    let err = &missing["A"].error;
    assert_eq!(missing["A"].status, 404);
    assert!(
        err.contains("does-not-exist")
            && err.contains(&p.module_path("does-not-exist").display().to_string()),
        "{err}"
    );

    let traversal = p
        .query(ctx("evil", json!({"module": "../etc/passwd"}), 1), q())
        .await;
    assert!(
        traversal["A"].error.contains("invalid module name"),
        "{}",
        traversal["A"].error
    );
}

#[tokio::test]
async fn alert_style_requests_are_answered_like_panel_queries() {
    let p = Plugin::start().await;
    let model = json!({"scenario": "random_walk", "seed": 3});
    let panel = p
        .query(
            synthetic_ctx("alert"),
            vec![query("A", model.clone(), FROM, TO, 60_000)],
        )
        .await;
    // Alerting: no user, FromAlert header, no panel-specific interval.
    let mut ctx = synthetic_ctx("alert");
    ctx.user = None;
    let req = pb::QueryDataRequest {
        plugin_context: Some(ctx),
        headers: [("FromAlert".to_string(), "true".to_string())]
            .into_iter()
            .collect(),
        queries: vec![query("A", model, FROM, TO, 60_000)],
        format: 0,
    };
    let alert = p
        .process
        .data()
        .query_data(req)
        .await
        .unwrap()
        .into_inner()
        .responses;
    assert_eq!(frames(&alert["A"]), frames(&panel["A"]));
}
