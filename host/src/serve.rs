//! Running as Grafana's plugin: the go-plugin handshake, the listener, and process lifetime
//! (Shutdown, SIGINT ignored, exit when Grafana goes away).

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;

use crate::handler::Dispatcher;
use crate::policy::HostLimits;
use crate::runtime::Runtime;

/// go-plugin's magic cookie as Grafana sets it.
pub const COOKIE_KEY: &str = "grafana_plugin_type";
pub const COOKIE_VALUE: &str = "datasource";
/// go-plugin's core protocol version and Grafana's app protocol version.
const CORE_PROTOCOL: u32 = 1;
const APP_PROTOCOL: u32 = 2;
/// How long in-flight calls get after Shutdown before the process exits anyway
/// (Grafana kills it after 2 s).
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1000);

/// Why the plugin could not start serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    #[error(
        "Grafana asked for plugin protocol versions {offered:?}, this plugin speaks version {APP_PROTOCOL}"
    )]
    ProtocolVersion { offered: String },
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Runtime(#[from] crate::runtime::RuntimeInitError),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Whether Grafana (or something imitating it) launched this process.
pub fn launched_by_grafana() -> bool {
    std::env::var(COOKIE_KEY).is_ok_and(|v| v == COOKIE_VALUE)
}

/// The message for a person who ran the binary by hand.
pub const NOT_LAUNCHED_BY_GRAFANA: &str = "\
This binary is a Grafana backend plugin (Quarry) and is not meant to be run directly.
Install dist/ into Grafana's plugins folder and let Grafana start it, or use the CLI:
  quarry query --module my.wasm --json-data '{}' --query '{}'   run a module's query
  quarry --help                                                 all commands";

/// The modules directory: `override_dir`, else `GF_PLUGIN_MODULES_DIR` (`[plugin.<id>]
/// modules_dir` in grafana.ini), else `QUARRY_MODULES_DIR`, else `modules/` beside the executable.
pub fn modules_dir(override_dir: Option<PathBuf>) -> PathBuf {
    if let Some(d) = override_dir {
        return d;
    }
    for var in ["GF_PLUGIN_MODULES_DIR", "QUARRY_MODULES_DIR"] {
        if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            return PathBuf::from(v);
        }
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|p| p.join("modules")))
        .unwrap_or_else(|| PathBuf::from("modules"))
}

static SOCKET_PATH: OnceLock<PathBuf> = OnceLock::new();

/// Ends the process, removing our unix socket first.
fn exit_now(code: i32) -> ! {
    if let Some(p) = SOCKET_PATH.get() {
        let _ = std::fs::remove_file(p);
    }
    std::process::exit(code)
}

/// Serves Grafana until Shutdown, or until Grafana goes away.
pub async fn run_plugin(modules_dir: PathBuf, limits: HostLimits) -> Result<(), ServeError> {
    if let Ok(offered) = std::env::var("PLUGIN_PROTOCOL_VERSIONS")
        && !offered
            .split(',')
            .any(|v| v.trim() == APP_PROTOCOL.to_string())
    {
        return Err(ServeError::ProtocolVersion { offered });
    }
    ignore_sigint();
    let runtime = Runtime::new(modules_dir.clone(), limits.clone())?;
    tracing::info!(
        memory_budget_mb = limits.memory_budget_bytes >> 20,
        max_concurrent_calls = limits.max_concurrent_calls,
        max_streams = limits.max_streams,
        host_allocations_counted = crate::runtime::counting_installed(),
        "process budget"
    );
    let dispatcher = Arc::new(Dispatcher::new(runtime.clone()));
    let shutdown = Arc::new(Notify::new());

    let (incoming, network, address) = listen().await?;
    // The handshake line is the first and only thing we print on stdout.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{CORE_PROTOCOL}|{APP_PROTOCOL}|{network}|{address}|grpc|"
    );
    let _ = out.flush();
    drop(out);
    tracing::info!(network, address = %address, modules_dir = %modules_dir.display(), "serving plugin");

    watch_parent();
    tokio::spawn(async move { runtime.precompile_all().await });

    let stop = shutdown.clone();
    let graceful = async move {
        stop.notified().await;
        tracing::info!("shutting down");
        // In-flight calls (including long RunStream calls) get a short grace period.
        tokio::spawn(async {
            tokio::time::sleep(SHUTDOWN_GRACE).await;
            exit_now(0);
        });
    };
    let result = match incoming {
        #[cfg(unix)]
        Incoming::Unix(l) => {
            let stream = tokio_stream::wrappers::UnixListenerStream::new(l);
            crate::grpc::serve(dispatcher, stream, shutdown, graceful).await
        }
        Incoming::Tcp(l) => {
            let stream = tokio_stream::wrappers::TcpListenerStream::new(l);
            crate::grpc::serve(dispatcher, stream, shutdown, graceful).await
        }
    };
    result.map_err(ServeError::from)?;
    // Done serving: exit now rather than wait for background work (ahead-of-time compiles)
    // while Grafana's 2 s kill timer runs.
    exit_now(0)
}

enum Incoming {
    #[cfg(unix)]
    Unix(tokio::net::UnixListener),
    Tcp(tokio::net::TcpListener),
}

/// A unix socket on Unix (in `PLUGIN_UNIX_SOCKET_DIR` if Grafana set it, as in container mode),
/// loopback TCP elsewhere or when `QUARRY_TRANSPORT=tcp`.
async fn listen() -> Result<(Incoming, &'static str, String), ServeError> {
    #[cfg(unix)]
    let want_tcp = std::env::var("QUARRY_TRANSPORT").is_ok_and(|v| v == "tcp");
    #[cfg(unix)]
    if !want_tcp {
        let dir = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let path = dir.join(format!("quarry{}-{:x}", std::process::id(), rand_suffix()));
        let _ = std::fs::remove_file(&path);
        let listener =
            tokio::net::UnixListener::bind(&path).map_err(|source| ServeError::Listen {
                address: path.display().to_string(),
                source,
            })?;
        if let Ok(group) = std::env::var("PLUGIN_UNIX_SOCKET_GROUP") {
            set_socket_group(&path, &group);
        }
        let _ = SOCKET_PATH.set(path.clone());
        return Ok((Incoming::Unix(listener), "unix", path.display().to_string()));
    }
    let min: u16 = env_port("PLUGIN_MIN_PORT").unwrap_or(0);
    let max: u16 = env_port("PLUGIN_MAX_PORT").unwrap_or(0);
    let mut last_err = None;
    for port in min..=max.max(min) {
        match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => {
                let addr = l.local_addr().map_err(|source| ServeError::Listen {
                    address: format!("127.0.0.1:{port}"),
                    source,
                })?;
                return Ok((Incoming::Tcp(l), "tcp", addr.to_string()));
            }
            Err(e) => last_err = Some(e),
        }
    }
    Err(ServeError::Listen {
        address: format!("127.0.0.1:{min}-{max}"),
        source: last_err.unwrap_or_else(|| std::io::Error::other("no port in range")),
    })
}

fn env_port(var: &str) -> Option<u16> {
    std::env::var(var).ok()?.parse().ok()
}

#[cfg(unix)]
fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

#[cfg(unix)]
fn set_socket_group(path: &std::path::Path, group: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    let gid: Option<libc::gid_t> = group.parse().ok().or_else(|| {
        let name = std::ffi::CString::new(group).ok()?;
        // SAFETY: getgrnam reads a NUL-terminated name and returns a pointer into static storage
        // (or null); the gid is copied out immediately.
        let entry = unsafe { libc::getgrnam(name.as_ptr()) };
        (!entry.is_null()).then(|| unsafe { (*entry).gr_gid })
    });
    let Some(gid) = gid else {
        tracing::warn!(group, "PLUGIN_UNIX_SOCKET_GROUP names no known group");
        return;
    };
    if let Err(e) = std::os::unix::fs::chown(path, None, Some(gid)) {
        tracing::warn!(error = %e, "cannot chown the plugin socket");
    }
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660));
}

/// Grafana's terminal Ctrl-C also reaches the plugin (same process group); Grafana stops the
/// plugin itself, so SIGINT is ignored as Go plugins do.
fn ignore_sigint() {
    // SAFETY: setting a signal disposition to SIG_IGN is async-signal-safe and has no handler.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
    }
}

/// Exits when Grafana goes away: our parent changes (we were orphaned) or the stdout pipe
/// Grafana reads is closed. go-plugin has no such check; without it the plugin would linger.
#[cfg(not(unix))]
fn watch_parent() {}

#[cfg(unix)]
fn watch_parent() {
    let parent = std::os::unix::process::parent_id();
    std::thread::Builder::new()
        .name("quarry-parent-watch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(500));
                if std::os::unix::process::parent_id() != parent {
                    tracing::info!("Grafana (our parent process) went away; exiting");
                    exit_now(0);
                }
                if stdout_closed() {
                    tracing::info!("Grafana closed our stdout pipe; exiting");
                    exit_now(0);
                }
            }
        })
        .expect("spawning the parent watcher");
}

/// True when stdout is a pipe whose reading end has been closed.
#[cfg(unix)]
fn stdout_closed() -> bool {
    let mut fds = libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd, zero timeout.
    let n = unsafe { libc::poll(&mut fds, 1, 0) };
    n > 0 && fds.revents & (libc::POLLERR | libc::POLLHUP) != 0
}
