//! A fake in-house metrics API on 127.0.0.1, for the `http-api` module's tests.
//!
//! Endpoints: `/health`, `/query?metric=&from=&to=`, `/latest?metric=`. Every request needs
//! `Authorization: Bearer <key>`. Metric names select misbehaviour: `slow`, `malformed`,
//! `mismatch`, `down` (503), `redirect` (302 to `redirect_to`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How `/health` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ok,
    Failing,
    Slow,
}

#[derive(Debug)]
struct State {
    key: String,
    health: Health,
    redirect_to: Option<String>,
    /// Every request seen: (path with query, Authorization header).
    seen: Mutex<Vec<(String, Option<String>)>>,
    latest: AtomicU64,
}

pub struct FakeApi {
    pub addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeApi {
    pub async fn start(key: &str, health: Health, redirect_to: Option<String>) -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake API");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            key: key.to_string(),
            health,
            redirect_to,
            seen: Mutex::default(),
            latest: AtomicU64::new(0),
        });
        let s = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(serve(conn, s.clone()));
            }
        });
        FakeApi { addr, state, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every (path, Authorization) the API received.
    pub fn seen(&self) -> Vec<(String, Option<String>)> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn latest_calls(&self) -> u64 {
        self.state.latest.load(Ordering::SeqCst)
    }
}

/// The request line and Authorization header of an HTTP/1.1 request (the tests' servers
/// answer bodiless requests only).
pub struct RequestHead {
    pub method: String,
    pub target: String,
    pub auth: Option<String>,
}

/// Reads a request's head from `conn`; `None` when the client went away or sent over 64 KiB.
pub async fn read_head(conn: &mut TcpStream) -> Option<RequestHead> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
    }
    let text = String::from_utf8_lossy(&buf).to_string();
    let mut lines = text.split("\r\n");
    let mut request = lines.next().unwrap_or("").split(' ');
    let method = request.next().unwrap_or("GET").to_string();
    let target = request.next().unwrap_or("/").to_string();
    let auth = lines.take_while(|l| !l.is_empty()).find_map(|l| {
        l.split_once(':')
            .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.trim().to_string())
    });
    Some(RequestHead {
        method,
        target,
        auth,
    })
}

async fn serve(mut conn: TcpStream, state: Arc<State>) {
    let Some(RequestHead { target, auth, .. }) = read_head(&mut conn).await else {
        return;
    };
    state
        .seen
        .lock()
        .unwrap()
        .push((target.clone(), auth.clone()));
    let (status, headers, body) = route(&state, &target, auth.as_deref()).await;
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        response.push_str(&format!("{k}: {v}\r\n"));
    }
    response.push_str("\r\n");
    let _ = conn.write_all(response.as_bytes()).await;
    let _ = conn.write_all(body.as_bytes()).await;
    let _ = conn.shutdown().await;
}

async fn route(
    state: &State,
    target: &str,
    auth: Option<&str>,
) -> (&'static str, Vec<(&'static str, String)>, String) {
    let json = vec![("Content-Type", "application/json".to_string())];
    if auth != Some(format!("Bearer {}", state.key).as_str()) {
        return (
            "401 Unauthorized",
            json,
            r#"{"error":"bad credentials"}"#.into(),
        );
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params: HashMap<&str, &str> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let metric = params.get("metric").copied().unwrap_or("");
    match path {
        "/health" => match state.health {
            Health::Ok => ("200 OK", vec![], "ok".into()),
            Health::Failing => (
                "500 Internal Server Error",
                vec![],
                "database unavailable".into(),
            ),
            Health::Slow => {
                tokio::time::sleep(Duration::from_secs(5)).await;
                ("200 OK", vec![], "ok".into())
            }
        },
        "/query" => {
            let from: i64 = params.get("from").and_then(|v| v.parse().ok()).unwrap_or(0);
            let to: i64 = params.get("to").and_then(|v| v.parse().ok()).unwrap_or(0);
            match metric {
                "slow" => {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    ("200 OK", json, "{}".into())
                }
                "malformed" => ("200 OK", json, "{not json".into()),
                "mismatch" => (
                    "200 OK",
                    json,
                    r#"{"timestamps":[1,2,3],"values":[1.0,2.0],"labels":{},"unit":""}"#.into(),
                ),
                "down" => ("503 Service Unavailable", vec![], "maintenance".into()),
                "redirect" => {
                    let to_url = format!(
                        "{}/query?metric=cpu&from={from}&to={to}",
                        state.redirect_to.clone().unwrap_or_default()
                    );
                    ("302 Found", vec![("Location", to_url)], String::new())
                }
                _ => {
                    let body = serde_json::json!({
                        "timestamps": [from, (from + to) / 2, to],
                        "values": [1.5, 2.5, 3.5],
                        "labels": {"host": "web-1", "metric": metric},
                        "unit": "percent",
                    });
                    ("200 OK", json, body.to_string())
                }
            }
        }
        "/latest" => {
            let n = state.latest.fetch_add(1, Ordering::SeqCst);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as i64;
            (
                "200 OK",
                json,
                serde_json::json!({"timestamp": now, "value": n as f64}).to_string(),
            )
        }
        _ => ("404 Not Found", vec![], "no such endpoint".into()),
    }
}
