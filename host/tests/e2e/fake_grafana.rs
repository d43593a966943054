//! The part of Grafana's HTTP API the `quarry rollback` and `quarry instances` commands use:
//! `/api/datasources/uid/<uid>/resources/<path>`, authenticated by a bearer token that stands for
//! a user with an org role, forwarded to the plugin as a CallResource carrying that role (as
//! Grafana does).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use super::fake_api::{RequestHead, read_head};
use super::harness::{Plugin, pb};

struct State {
    plugin: Arc<Plugin>,
    /// Token → org role.
    tokens: HashMap<String, String>,
    /// Datasource uid → the context Grafana sends for it.
    datasources: HashMap<String, pb::PluginContext>,
}

pub struct FakeGrafana {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeGrafana {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeGrafana {
    pub async fn start(
        plugin: Arc<Plugin>,
        tokens: &[(&str, &str)],
        datasources: Vec<pb::PluginContext>,
    ) -> FakeGrafana {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State {
            plugin,
            tokens: tokens
                .iter()
                .map(|(t, r)| (t.to_string(), r.to_string()))
                .collect(),
            datasources: datasources
                .into_iter()
                .map(|c| {
                    let uid = c
                        .data_source_instance_settings
                        .as_ref()
                        .unwrap()
                        .uid
                        .clone();
                    (uid, c)
                })
                .collect(),
        });
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(serve(conn, state.clone()));
            }
        });
        FakeGrafana { url, task }
    }
}

async fn serve(mut conn: TcpStream, state: Arc<State>) {
    let Some(RequestHead {
        method,
        target,
        auth,
    }) = read_head(&mut conn).await
    else {
        return;
    };
    let (status, body) = route(&state, &method, &target, auth.as_deref()).await;
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(head.as_bytes()).await;
    let _ = conn.write_all(&body).await;
    let _ = conn.shutdown().await;
}

async fn route(state: &State, method: &str, target: &str, auth: Option<&str>) -> (i32, Vec<u8>) {
    let message = |m: &str| serde_json::json!({ "message": m }).to_string().into_bytes();
    let Some(role) = auth
        .and_then(|a| a.strip_prefix("Bearer "))
        .and_then(|t| state.tokens.get(t))
    else {
        return (401, message("Unauthorized"));
    };
    let Some((uid, path)) = target
        .strip_prefix("/api/datasources/uid/")
        .and_then(|rest| rest.split_once("/resources/"))
    else {
        return (404, message("Not found"));
    };
    let Some(ctx) = state.datasources.get(uid) else {
        return (404, message("Data source not found"));
    };
    let mut ctx = ctx.clone();
    ctx.user.as_mut().expect("contexts carry a user").role = role.clone();
    let answer = state.plugin.resource(ctx, method, path, b"").await;
    (answer[0].code, answer[0].body.clone())
}
