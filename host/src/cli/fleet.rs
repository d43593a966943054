//! `quarry rollback` and `quarry instances`: the plugin's operator resources (`_quarry/rollback`,
//! `_quarry/instances`) called through Grafana's HTTP API, the way an operator reaches a plugin
//! running inside Grafana. Grafana checks the token and forwards the call with the user's org
//! role; the plugin answers only org admins.

use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::Value;

/// Which Grafana, which datasource, and who is asking.
#[derive(Debug, Args)]
pub(crate) struct GrafanaApiArgs {
    /// Grafana's URL (or GRAFANA_URL).
    #[arg(long, value_name = "URL")]
    grafana: Option<String>,
    /// The uid of a datasource of this plugin (the one to roll back; for `instances`, any).
    #[arg(long, value_name = "UID")]
    datasource: String,
    /// Read the API token (a service account token of an org admin) from the first line of
    /// standard input instead of GRAFANA_TOKEN.
    #[arg(long)]
    token_stdin: bool,
}

/// Calls `_quarry/<resource>` of the datasource through Grafana and returns the JSON answer.
async fn call(
    args: &GrafanaApiArgs,
    method: reqwest::Method,
    resource: &str,
) -> anyhow::Result<Value> {
    let base = args
        .grafana
        .clone()
        .or_else(|| std::env::var("GRAFANA_URL").ok())
        .filter(|u| !u.trim().is_empty())
        .context("say which Grafana: --grafana https://grafana.example.com (or GRAFANA_URL)")?;
    let token = token(args)?;
    let url = format!(
        "{}/api/datasources/uid/{}/resources/_quarry/{resource}",
        base.trim().trim_end_matches('/'),
        encode_segment(&args.datasource)
    );
    // reqwest is built without a default crypto provider; the host's is ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
        .build()
        .context("creating the HTTP client")?;
    let response = client
        .request(method, &url)
        .bearer_auth(token)
        .header("Accept", "application/json")
        .send()
        .await
        .with_context(|| format!("calling {url}"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .with_context(|| format!("reading the answer of {url}"))?;
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !status.is_success() {
        let said = ["error", "message"]
            .iter()
            .find_map(|k| json[*k].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(500).collect());
        let hint = match status.as_u16() {
            401 => " (the token was refused: GRAFANA_TOKEN must be a valid service account token)",
            403 => " (an org admin's token is needed)",
            404 => " (is the datasource uid right, and is it a Quarry datasource?)",
            _ => "",
        };
        bail!("{url} answered {status}: {said}{hint}");
    }
    if json.is_null() {
        bail!("{url} answered {status} without JSON: is {base} a Grafana?");
    }
    Ok(json)
}

fn token(args: &GrafanaApiArgs) -> anyhow::Result<String> {
    let token = if args.token_stdin {
        super::secret_from_stdin("token")?.trim().to_string()
    } else {
        std::env::var("GRAFANA_TOKEN").unwrap_or_default()
    };
    if token.is_empty() {
        bail!(
            "no API token: set GRAFANA_TOKEN to a service account token of an org admin (or pass --token-stdin)"
        );
    }
    Ok(token)
}

/// A uid as one URL path segment.
fn encode_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `quarry rollback`: every datasource on the same module goes back to the version before.
pub(crate) async fn rollback(args: GrafanaApiArgs) -> anyhow::Result<()> {
    let answer = call(&args, reqwest::Method::POST, "rollback").await?;
    println!("module: {}", text(&answer["module"]));
    println!("from: {}", version(&answer["from"]));
    println!("to: {}", version(&answer["to"]));
    println!(
        "note: this plugin process only; other Grafana replicas keep their version (for a fleet, move the registry tag back or pin the digest)"
    );
    Ok(())
}

/// `quarry instances`: the live datasource instances of the org, with their versions.
pub(crate) async fn instances(args: GrafanaApiArgs) -> anyhow::Result<()> {
    let answer = call(&args, reqwest::Method::GET, "instances").await?;
    let list = answer["instances"].as_array().cloned().unwrap_or_default();
    let rows: Vec<[String; 5]> = list
        .iter()
        .map(|i| {
            [
                text(&i["uid"]),
                text(&i["module"]),
                short(&i["sha256"]),
                text(&i["since"]),
                i["rejected"]["reason"]
                    .as_str()
                    .map(|r| format!("refused {}: {r}", short(&i["rejected"]["sha256"])))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let header = ["UID", "MODULE", "SHA256", "SINCE", "LAST REFUSED"];
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: [&str; 5]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", line(header));
    for r in &rows {
        println!("{}", line([&r[0], &r[1], &r[2], &r[3], &r[4]]));
    }
    if rows.is_empty() {
        println!("(no live instances in this org)");
    }
    Ok(())
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("-").to_string()
}

/// The first 12 hex digits of a sha256, as `docker images` shows ids.
fn short(v: &Value) -> String {
    v.as_str()
        .map(|s| s.trim_start_matches("sha256:").chars().take(12).collect())
        .unwrap_or_else(|| "-".into())
}

fn version(v: &Value) -> String {
    let mut out = format!("sha256:{}", text(&v["sha256"]));
    if let Some(m) = v["manifestDigest"].as_str() {
        out.push_str(&format!(" (manifest {m})"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_one_path_segment() {
        assert_eq!(encode_segment("abc-DEF_1.2~"), "abc-DEF_1.2~");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn versions_read_well() {
        let v = serde_json::json!({"sha256": "ab12", "manifestDigest": "sha256:ff"});
        assert_eq!(version(&v), "sha256:ab12 (manifest sha256:ff)");
        assert_eq!(
            short(&serde_json::json!("sha256:0123456789abcdef")),
            "0123456789ab"
        );
        assert_eq!(short(&Value::Null), "-");
    }
}
