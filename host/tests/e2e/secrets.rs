//! Secrets by the operator's grant, through the real executable: a module that asks to read a
//! secret needs `secretGrants.<key>.read`; a credential the host attaches goes only to the
//! granted origins (by default the endpoint's), never to another allowed host, never over a
//! downgraded scheme.

use serde_json::json;

use super::fake_api::{FakeApi, Health};
use super::harness::*;

const TOKEN: &str = "tok-5e3c";

fn fetch(url: &str) -> Vec<pb::DataQuery> {
    vec![query(
        "F",
        json!({"attack": "fetch", "url": url}),
        0,
        1000,
        1000,
    )]
}

#[tokio::test]
async fn reading_a_secret_needs_the_operators_grant() {
    let p = Plugin::start().await;
    // The hostile module asks to read `readme`: without a grant its instance is not created.
    let denied = ctx_with_secrets(
        "no-grant",
        json!({"module": "hostile"}),
        &[("readme", "classified"), ("other", "x")],
    );
    let (resp, ()) = tokio::join!(
        p.query(
            denied.clone(),
            vec![query("S", json!({"attack": "read_secrets"}), 0, 1000, 1000)]
        ),
        p.sibling_query("sibling"),
    );
    let err = &resp["S"].error;
    assert_eq!(resp["S"].status, 400, "{err}");
    assert!(
        err.contains("asks to read secure setting \"readme\"")
            && err.contains("jsonData.secretGrants.readme.read"),
        "{err}"
    );
    assert!(!err.contains("classified"));
    let h = p.health(denied).await;
    assert!(
        h.message.contains("secretGrants.readme.read"),
        "{}",
        h.message
    );

    // With the grant it reads that one secret, and nothing it did not ask for.
    let granted = ctx_with_secrets(
        "grant",
        json!({"module": "hostile", "secretGrants": {"readme": {"read": true}}}),
        &[("readme", "classified"), ("other", "x")],
    );
    let resp = p
        .query(
            granted,
            vec![query("S", json!({"attack": "read_secrets"}), 0, 1000, 1000)],
        )
        .await;
    assert_eq!(
        frames(&resp["S"])[0].fields[0].values,
        quarry_frame::Column::String(vec!["readme=classified".into()])
    );
}

#[tokio::test]
async fn credentials_go_only_to_their_origin() {
    let api = FakeApi::start(TOKEN, Health::Ok, None).await;
    let echo = FakeApi::start(TOKEN, Health::Ok, None).await;
    let p = Plugin::start().await;
    // The endpoint is the default origin of the `token` credential; the echo host is allowed
    // for requests, over plain HTTP, but was never granted the credential.
    let settings = ctx_with_secrets(
        "attach",
        json!({"module": "hostile", "endpoint": api.url(), "allowedHosts": [echo.addr.to_string()]}),
        &[("token", TOKEN)],
    );
    let to_api = p
        .query(settings.clone(), fetch(&format!("{}/health", api.url())))
        .await;
    assert!(to_api["F"].error.is_empty(), "{}", to_api["F"].error);
    let to_echo = p
        .query(settings.clone(), fetch(&format!("{}/health", echo.url())))
        .await;
    assert!(to_echo["F"].error.is_empty(), "{}", to_echo["F"].error);
    assert!(
        api.seen()
            .iter()
            .all(|(_, auth)| auth.as_deref() == Some(&format!("Bearer {TOKEN}")[..])),
        "the endpoint gets the credential: {:?}",
        api.seen()
    );
    assert!(!echo.seen().is_empty(), "the echo host was reached");
    assert!(
        echo.seen().iter().all(|(_, auth)| auth.is_none()),
        "an allowed host that was not granted the credential never receives it: {:?}",
        echo.seen()
    );

    // An https endpoint's credential never travels over plain http to the same host and port.
    let downgrade = FakeApi::start(TOKEN, Health::Ok, None).await;
    let settings = ctx_with_secrets(
        "downgrade",
        json!({
            "module": "hostile",
            "endpoint": format!("https://{}", downgrade.addr),
            "allowedHosts": [format!("{}:{}", downgrade.addr.ip(), downgrade.addr.port())],
        }),
        &[("token", TOKEN)],
    );
    let plain = p
        .query(settings, fetch(&format!("{}/health", downgrade.url())))
        .await;
    assert!(plain["F"].error.is_empty(), "{}", plain["F"].error);
    assert!(
        downgrade.seen().iter().all(|(_, auth)| auth.is_none()),
        "https credential sent over http: {:?}",
        downgrade.seen()
    );

    // An explicit grant moves the credential to another origin.
    let settings = ctx_with_secrets(
        "moved",
        json!({
            "module": "hostile",
            "endpoint": api.url(),
            "allowedHosts": [echo.addr.to_string()],
            "secretGrants": {"token": {"attachTo": [echo.url()]}},
        }),
        &[("token", TOKEN)],
    );
    let before = api.seen().len();
    p.query(settings.clone(), fetch(&format!("{}/health", echo.url())))
        .await;
    p.query(settings, fetch(&format!("{}/health", api.url())))
        .await;
    assert_eq!(
        echo.seen().last().and_then(|(_, a)| a.clone()).as_deref(),
        Some(&format!("Bearer {TOKEN}")[..])
    );
    assert!(api.seen()[before..].iter().all(|(_, auth)| auth.is_none()));
}

#[tokio::test]
async fn names_that_resolve_to_special_addresses_are_refused() {
    // The allow-list names the host the way an attacker would spell loopback to dodge a string
    // check: numeric forms the system resolver turns into 127.0.0.1 or 0.0.0.0.
    let target = FakeApi::start(TOKEN, Health::Ok, None).await;
    let p = Plugin::start().await;
    let port = target.addr.port();
    for name in ["127.1", "2130706433", "0"] {
        let settings = ctx_with_secrets(
            &format!("dns-{name}"),
            json!({"module": "hostile", "allowedHosts": [format!("{name}:{port}")]}),
            &[],
        );
        let (resp, ()) = tokio::join!(
            p.query(settings, fetch(&format!("http://{name}:{port}/health"))),
            p.sibling_query("sibling"),
        );
        let err = &resp["F"].error;
        assert!(
            err.contains(&format!("host {name} resolves to"))
                && (err.contains("loopback") || err.contains("this host")),
            "{name}: {err}"
        );
    }
    assert!(
        target.seen().is_empty(),
        "no request reached the address behind the names"
    );
    // The address itself, named by the operator, is reachable.
    let settings = ctx_with_secrets(
        "dns-literal",
        json!({"module": "hostile", "allowedHosts": [target.addr.to_string()]}),
        &[],
    );
    let ok = p
        .query(settings, fetch(&format!("{}/health", target.url())))
        .await;
    assert!(ok["F"].error.is_empty(), "{}", ok["F"].error);
}

#[tokio::test]
async fn requests_in_flight_are_capped_per_call() {
    let api = FakeApi::start(TOKEN, Health::Ok, None).await;
    let p = Plugin::start().await;
    let settings = ctx_with_secrets(
        "in-flight",
        json!({"module": "hostile", "endpoint": api.url(), "maxConnections": 3}),
        &[],
    );
    let resp = p
        .query(
            settings,
            vec![query(
                "P",
                json!({"attack": "parallel_fetch", "url": format!("{}/health", api.url()), "n": 12}),
                0,
                1000,
                1000,
            )],
        )
        .await;
    let frames = frames(&resp["P"]);
    let quarry_frame::Column::String(outcomes) = &frames[0].fields[0].values else {
        panic!("strings");
    };
    let refused = outcomes
        .iter()
        .filter(|o| o.contains("HTTP requests in flight (jsonData.maxConnections)"))
        .count();
    let answered = outcomes.iter().filter(|o| o.starts_with("status")).count();
    assert!(answered >= 3, "{outcomes:?}");
    assert!(
        refused >= 1,
        "more than 3 at once are refused: {outcomes:?}"
    );
    assert!(
        api.seen().len() <= 12 - refused,
        "refused requests never left the host"
    );
}
