//! Playing Grafana's part: launch a plugin executable the way Grafana does (go-plugin
//! environment, handshake line on stdout), connect over its socket, and call it.
//!
//! Used by `quarry grafana …` (the README demo) and by the integration tests.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::{Channel, Endpoint};

use crate::grpc::pluginv2::goplugin::grpc_controller_client::GrpcControllerClient;
use crate::grpc::pluginv2::pluginv2::{
    data_client::DataClient, diagnostics_client::DiagnosticsClient,
    resource_client::ResourceClient, stream_client::StreamClient,
};

/// How long a plugin may take to print its handshake (go-plugin's default start timeout).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a plugin could not be launched or reached.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("cannot start {path}: {source}")]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("plugin exited before printing its handshake line{stderr}")]
    NoHandshake { stderr: String },
    #[error("plugin printed no handshake within {0:?}")]
    HandshakeTimeout(Duration),
    #[error("unrecognized handshake line {0:?}")]
    BadHandshake(String),
    #[error("cannot connect to the plugin at {address}: {source}")]
    Connect {
        address: String,
        source: tonic::transport::Error,
    },
}

/// A running plugin process and a gRPC channel to it.
#[derive(Debug)]
pub struct PluginProcess {
    child: Child,
    channel: Channel,
    /// `unix` or `tcp`.
    pub network: String,
    pub address: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl PluginProcess {
    /// Launches `exe` with Grafana's go-plugin environment plus `extra_env`.
    pub async fn launch(exe: &Path, extra_env: &[(&str, &str)]) -> Result<Self, ClientError> {
        let mut cmd = Command::new(exe);
        cmd.env("grafana_plugin_type", "datasource")
            .env("PLUGIN_PROTOCOL_VERSIONS", "2")
            .env("PLUGIN_MIN_PORT", "10000")
            .env("PLUGIN_MAX_PORT", "25000")
            .env("GF_VERSION", "12.1.0")
            .env("GF_PLUGIN_VERSION", env!("CARGO_PKG_VERSION"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().map_err(|source| ClientError::Spawn {
            path: exe.to_path_buf(),
            source,
        })?;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(err) = child.stderr.take() {
            let sink = stderr.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(err).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    sink.lock().expect("stderr lock").push(line);
                }
            });
        }
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let line = match tokio::time::timeout(START_TIMEOUT, lines.next_line()).await {
            Err(_) => return Err(ClientError::HandshakeTimeout(START_TIMEOUT)),
            Ok(Ok(Some(line))) => line,
            Ok(_) => {
                // Give the stderr reader a moment to collect the reason.
                let _ = child.wait().await;
                tokio::time::sleep(Duration::from_millis(100)).await;
                let text = stderr.lock().expect("stderr lock").join("\n");
                return Err(ClientError::NoHandshake {
                    stderr: if text.is_empty() {
                        String::new()
                    } else {
                        format!(":\n{text}")
                    },
                });
            }
        };
        // Keep draining stdout, as go-plugin does.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let parts: Vec<&str> = line.trim().split('|').collect();
        if parts.len() < 5 || parts[0] != "1" || parts[1] != "2" || parts[4] != "grpc" {
            return Err(ClientError::BadHandshake(line));
        }
        let (network, address) = (parts[2].to_string(), parts[3].to_string());
        let channel = connect(&network, &address).await?;
        Ok(PluginProcess {
            child,
            channel,
            network,
            address,
            stderr,
        })
    }

    pub fn data(&self) -> DataClient<Channel> {
        DataClient::new(self.channel.clone()).max_decoding_message_size(usize::MAX)
    }

    pub fn diagnostics(&self) -> DiagnosticsClient<Channel> {
        DiagnosticsClient::new(self.channel.clone())
    }

    pub fn resource(&self) -> ResourceClient<Channel> {
        ResourceClient::new(self.channel.clone()).max_decoding_message_size(usize::MAX)
    }

    pub fn stream(&self) -> StreamClient<Channel> {
        StreamClient::new(self.channel.clone())
    }

    pub fn controller(&self) -> GrpcControllerClient<Channel> {
        GrpcControllerClient::new(self.channel.clone())
    }

    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Every stderr line the plugin has written so far.
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lock().expect("stderr lock").clone()
    }

    /// Stops the plugin as Grafana does: Shutdown, then up to 2 s to exit, then kill.
    /// Returns whether it exited on its own.
    pub async fn shutdown(mut self) -> bool {
        let _ = self
            .controller()
            .shutdown(crate::grpc::pluginv2::goplugin::Empty {})
            .await;
        match tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await {
            Ok(Ok(_)) => true,
            _ => {
                let _ = self.child.kill().await;
                false
            }
        }
    }

    /// Waits for the process to exit, up to `limit`; `None` if it is still running.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .ok()?
            .ok()
    }
}

async fn connect(network: &str, address: &str) -> Result<Channel, ClientError> {
    let err = |source| ClientError::Connect {
        address: address.to_string(),
        source,
    };
    #[cfg(unix)]
    if network == "unix" {
        let path = PathBuf::from(address);
        // The URI is a placeholder, as in Grafana's client ("unused"); the connector dials the socket.
        return Endpoint::try_from("http://unused")
            .map_err(err)?
            .connect_with_connector(tower::service_fn(move |_: tonic::transport::Uri| {
                let path = path.clone();
                async move {
                    let stream = tokio::net::UnixStream::connect(path).await?;
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
                }
            }))
            .await
            .map_err(err);
    }
    let _ = network;
    Endpoint::try_from(format!("http://{address}"))
        .map_err(err)?
        .connect()
        .await
        .map_err(err)
}
