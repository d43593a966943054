//! A real OCI registry on loopback for the tests: the CNCF distribution registry that
//! `cargo xtask test` builds (QUARRY_TEST_REGISTRY_EXE), with its own storage, on a free port. It
//! can be stopped and started again on the same storage and port (a registry outage), and can
//! require a login (htpasswd). `oras` (QUARRY_TEST_ORAS_EXE) is the independent client.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long a starting registry may take to answer; only a bound, never asserted on.
const READY_WITHIN: Duration = Duration::from_secs(60);

fn exe_from_env(var: &str, what: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        panic!(
            "{var} is not set: the OCI tests need {what}; run them with `cargo xtask test`, or `cargo xtask build-oci-tools` and export the variables it prints"
        )
    });
    assert!(path.exists(), "{var}={} does not exist", path.display());
    path
}

/// The registry executable `cargo xtask` built.
pub fn registry_exe() -> PathBuf {
    exe_from_env("QUARRY_TEST_REGISTRY_EXE", "the CNCF distribution registry")
}

/// The oras executable `cargo xtask` built.
pub fn oras_exe() -> PathBuf {
    exe_from_env("QUARRY_TEST_ORAS_EXE", "oras")
}

/// A login the registry requires.
#[derive(Debug, Clone)]
pub struct Login {
    pub username: String,
    pub password: String,
}

/// A running CNCF distribution registry; killed when dropped.
pub struct Registry {
    dir: tempfile::TempDir,
    port: u16,
    login: Option<Login>,
    child: Option<Child>,
}

impl Registry {
    /// A registry anyone may pull from and push to.
    pub fn start() -> Registry {
        Self::start_inner(None)
    }

    /// A registry that requires `username`/`password` (HTTP basic, htpasswd with bcrypt).
    pub fn start_with_login(username: &str, password: &str) -> Registry {
        Self::start_inner(Some(Login {
            username: username.into(),
            password: password.into(),
        }))
    }

    fn start_inner(login: Option<Login>) -> Registry {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let mut r = Registry {
            dir,
            port,
            login,
            child: None,
        };
        r.write_config();
        r.restart();
        r
    }

    /// `127.0.0.1:<port>`: the registry part of references, and what to allow.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `oci://127.0.0.1:<port>/<repo_and_tag>`.
    pub fn reference(&self, repo_and_tag: &str) -> String {
        format!("oci://{}/{repo_and_tag}", self.addr())
    }

    /// The login it requires, if any.
    pub fn login(&self) -> Option<&Login> {
        self.login.as_ref()
    }

    /// Where it keeps its content.
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.yml")
    }

    fn write_config(&self) {
        let auth = match &self.login {
            None => String::new(),
            Some(l) => {
                let htpasswd = self.dir.path().join("htpasswd");
                let hash = bcrypt::hash(&l.password, 5).expect("bcrypt");
                std::fs::write(&htpasswd, format!("{}:{hash}\n", l.username))
                    .expect("write htpasswd");
                format!(
                    "auth:\n  htpasswd:\n    realm: quarry-tests\n    path: {}\n",
                    htpasswd.display()
                )
            }
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {}\n{auth}",
            self.storage().display(),
            self.addr()
        );
        std::fs::write(self.config_path(), config).expect("write registry config");
    }

    /// Stops it (its storage and port are kept for [`restart`](Self::restart)).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it (again) on the same storage and port, and waits until it answers.
    pub fn restart(&mut self) {
        self.stop();
        let log = std::fs::File::create(self.dir.path().join("registry.log")).expect("log file");
        let child = Command::new(registry_exe())
            .arg("serve")
            .arg(self.config_path())
            .env("OTEL_TRACES_EXPORTER", "none")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("the registry starts");
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.v2_status() {
                assert!(
                    status == 200 || status == 401,
                    "the registry answers /v2/ with {status}"
                );
                return;
            }
            if let Some(exit) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("the registry exited with {exit}:\n{}", self.log());
            }
            assert!(
                started.elapsed() < READY_WITHIN,
                "the registry did not answer on {} within {READY_WITHIN:?}:\n{}",
                self.addr(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The status of `GET /v2/`, or `None` when nothing answers.
    fn v2_status(&self) -> Option<u16> {
        use std::io::{Read as _, Write as _};
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(
            s,
            "GET /v2/ HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr()
        )
        .ok()?;
        let mut head = [0u8; 12];
        s.read_exact(&mut head).ok()?;
        std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
    }

    /// What the registry logged (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// Runs `oras <args>` against this registry (plain HTTP, logged in when it needs a login),
    /// in `cwd`.
    pub fn oras(&self, cwd: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new(oras_exe());
        cmd.args(args).arg("--plain-http").current_dir(cwd);
        if let Some(l) = &self.login {
            cmd.args(["--username", &l.username, "--password", &l.password]);
        }
        // oras keeps its login state and cache under HOME; a private one per call.
        let home = self.dir.path().join("oras-home");
        std::fs::create_dir_all(&home).expect("oras home");
        cmd.env("HOME", &home).env_remove("DOCKER_CONFIG");
        cmd.output().expect("oras runs")
    }

    /// Like [`oras`](Self::oras), and fails the test with oras's output when it fails.
    pub fn oras_ok(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.oras(cwd, args);
        assert!(
            out.status.success(),
            "oras {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("oras prints UTF-8")
    }

    /// Pushes `wasm` with oras in the CNCF Wasm layout (config `application/vnd.wasm.config.v0+json`,
    /// one `application/wasm` layer) as `repo_and_tag`, and returns the manifest digest.
    pub fn oras_push_wasm(&self, wasm: &Path, repo_and_tag: &str) -> String {
        let work = tempfile::tempdir().expect("temp dir");
        let name = wasm
            .file_name()
            .expect("a file")
            .to_string_lossy()
            .into_owned();
        std::fs::copy(wasm, work.path().join(&name)).expect("copy module");
        std::fs::write(
            work.path().join("config.json"),
            r#"{"architecture":"wasm","os":"wasip2"}"#,
        )
        .expect("write config");
        let target = format!("{}/{repo_and_tag}", self.addr());
        let layer = format!("{name}:application/wasm");
        let out = self.oras_ok(
            work.path(),
            &[
                "push",
                &target,
                "--config",
                "config.json:application/vnd.wasm.config.v0+json",
                &layer,
                "--format",
                "go-template={{.digest}}",
            ],
        );
        let digest = out.trim().to_string();
        assert!(digest.starts_with("sha256:"), "oras printed {out:?}");
        digest
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
