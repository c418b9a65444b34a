//! The test kit: real `redis-server` processes on free loopback ports, and a harness that
//! runs one behaviour test against both backends.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use docket::Docket;

/// A `redis-server` started for one test, stopped (killed) when dropped.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    /// Arguments appended to the usual ones at every (re)start.
    extra_args: Vec<String>,
}

impl RedisServer {
    /// Starts a fresh, empty server without persistence on a free loopback port.
    pub fn start() -> RedisServer {
        Self::try_start_with_args(&[]).unwrap_or_else(|error| panic!("{error}"))
    }

    /// Starts a fresh, empty server on a free loopback port like [`start`](Self::start), with
    /// `args` appended to the usual arguments at this and every later start (later settings
    /// win: `["--appendonly", "yes", "--appendfsync", "always"]` turns persistence on, so a
    /// [`try_restart`](Self::try_restart) after a [`kill`](Self::kill) keeps the data).
    ///
    /// Fails when no server could be started on any of five free ports.
    pub fn try_start_with_args(args: &[&str]) -> Result<RedisServer, String> {
        let dir = unique_temp_dir("docket-redis");
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create a directory for redis-server: {e}"))?;
        let mut last_error = String::new();
        for _ in 0..5 {
            let mut server = RedisServer {
                child: None,
                port: free_port(),
                dir: dir.clone(),
                extra_args: args.iter().map(|arg| arg.to_string()).collect(),
            };
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(error) => last_error = error,
            }
        }
        // No server owns the directory: remove it here.
        let _ = std::fs::remove_dir_all(&dir);
        Err(format!("could not start redis-server: {last_error}"))
    }

    /// Starts a fresh, empty server on `port` (e.g. one a worker already waits on).
    pub fn start_on(port: u16) -> RedisServer {
        let dir = unique_temp_dir("docket-redis");
        std::fs::create_dir_all(&dir).expect("create a directory for redis-server");
        let mut server = RedisServer {
            child: None,
            port,
            dir,
            extra_args: Vec::new(),
        };
        if let Err(error) = server.spawn() {
            panic!("could not start redis-server on port {port}: {error}");
        }
        server
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A `redis://` URL for the server.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// A `unix://` URL for the server's socket.
    pub fn unix_url(&self) -> String {
        format!("unix://{}", self.dir.join("redis.sock").display())
    }

    /// Kills the server (SIGKILL), losing everything in it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server and starts a new, empty one on the same port.
    pub fn restart(&mut self) {
        if let Err(error) = self.try_restart() {
            panic!("{error}");
        }
    }

    /// Kills the server (if it runs) and starts it again on the same port and directory,
    /// retrying for up to 10 s; returns once it answers PING. A server started with
    /// persistence on (see [`try_start_with_args`](Self::try_start_with_args)) comes back
    /// with its data; one without comes back empty.
    pub fn try_restart(&mut self) -> Result<(), String> {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.spawn() {
                Ok(()) => return Ok(()),
                Err(error) if Instant::now() > deadline => {
                    return Err(format!("could not restart redis-server: {error}"))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Kills the server and starts it again on the same port and directory without waiting
    /// for it: a server with a large dataset answers `LOADING` for a while.
    pub fn restart_without_waiting(&mut self) -> Result<(), String> {
        self.kill();
        self.launch()
    }

    fn spawn(&mut self) -> Result<(), String> {
        self.launch()?;
        let port = self.port;
        let ready = await_ready(&mut self.child, || ping(port), &format!("port {port} taken?"));
        if ready.is_err() {
            self.kill();
        }
        ready
    }

    /// Starts the server process.
    fn launch(&mut self) -> Result<(), String> {
        let child = server_command(&self.dir)
            .args(["--port", &self.port.to_string()])
            .args(&self.extra_args)
            .spawn()
            .map_err(|e| format!("cannot run redis-server (is it installed?): {e}"))?;
        self.child = Some(child);
        Ok(())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The PEM files a [`TlsRedisServer`] is started with.
#[derive(Debug, Clone)]
pub struct TlsServerFiles {
    /// The server's certificate (chain), for `--tls-cert-file`.
    pub cert: PathBuf,
    /// The server's private key, for `--tls-key-file`.
    pub key: PathBuf,
    /// The CA that signs client certificates, for `--tls-ca-cert-file`.
    pub ca: PathBuf,
}

/// A `redis-server` started for one test that accepts TLS connections only (`--port 0
/// --tls-port …`), on a free loopback port; stopped (killed) when dropped.
pub struct TlsRedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl TlsRedisServer {
    /// Starts a fresh, empty server without persistence with the certificate and key of
    /// `files`. With `auth_clients` (Redis's default) clients must present a certificate
    /// signed by `files.ca` (`--tls-auth-clients yes`); without, any client may connect
    /// (`--tls-auth-clients no`). Returns once the server answers PING (on its Unix socket).
    pub fn start(files: &TlsServerFiles, auth_clients: bool) -> TlsRedisServer {
        let dir = unique_temp_dir("docket-redis-tls");
        std::fs::create_dir_all(&dir).expect("create a directory for redis-server");
        let mut last_error = String::new();
        for _ in 0..5 {
            let mut server = TlsRedisServer {
                child: None,
                port: free_port(),
                dir: dir.clone(),
            };
            match server.spawn(files, auth_clients) {
                Ok(()) => return server,
                Err(error) => last_error = error,
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        panic!("could not start a TLS redis-server: {last_error}");
    }

    /// The server's TLS port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A `rediss://` URL for the server (by IP address: the certificate must name 127.0.0.1).
    pub fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}/0", self.port)
    }

    fn spawn(&mut self, files: &TlsServerFiles, auth_clients: bool) -> Result<(), String> {
        let socket = self.dir.join("redis.sock");
        let child = server_command(&self.dir)
            .args(["--port", "0"])
            .args(["--tls-port", &self.port.to_string()])
            .arg("--tls-cert-file")
            .arg(&files.cert)
            .arg("--tls-key-file")
            .arg(&files.key)
            .arg("--tls-ca-cert-file")
            .arg(&files.ca)
            .args(["--tls-auth-clients", if auth_clients { "yes" } else { "no" }])
            .spawn()
            .map_err(|e| format!("cannot run redis-server (is it installed?): {e}"))?;
        self.child = Some(child);
        let hint = format!("port {} taken, or built without TLS?", self.port);
        let ready = await_ready(&mut self.child, || ping_unix(&socket), &hint);
        if ready.is_err() {
            self.kill();
        }
        ready
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for TlsRedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether a server answers PING on the Unix socket at `path`.
/// Waits (at most 10 s) until `ready` says a just-started server answers; fails when the
/// process exits first (`hint` says why it might have) and clears `child` then.
fn await_ready(child: &mut Option<Child>, ready: impl Fn() -> bool, hint: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if ready() {
            return Ok(());
        }
        if let Some(process) = child.as_mut() {
            if let Ok(Some(status)) = process.try_wait() {
                *child = None;
                return Err(format!("redis-server exited with {status} ({hint})"));
            }
        }
        if Instant::now() > deadline {
            return Err("redis-server did not answer PING within 10s".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn ping_unix(path: &std::path::Path) -> bool {
    let Ok(stream) = std::os::unix::net::UnixStream::connect(path) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    answers_ping(stream)
}

/// A `redis-server` command for a test: loopback only, no persistence, a Unix socket
/// `redis.sock` in `dir`, output discarded. Ports and extra settings are added by the caller.
fn server_command(dir: &std::path::Path) -> Command {
    let mut command = Command::new(redis_server_binary());
    command
        .args(["--bind", "127.0.0.1"])
        .args(["--save", ""])
        .args(["--appendonly", "no"])
        .args(["--protected-mode", "yes"])
        .arg("--dir")
        .arg(dir)
        .arg("--unixsocket")
        .arg(dir.join("redis.sock"))
        .args(["--unixsocketperm", "700"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn redis_server_binary() -> String {
    std::env::var("DOCKET_TEST_REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_string())
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("bind a free loopback port")
}

fn ping(port: u16) -> bool {
    let Ok(stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    answers_ping(stream)
}

/// Whether the server on `stream` answers PING.
fn answers_ping(mut stream: impl std::io::Read + std::io::Write) -> bool {
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

/// A fresh directory under the system's temporary directory, named `<prefix>-<unique>`.
pub fn unique_temp_dir(prefix: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{prefix}-{}", uuid_like()))
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    )
}

/// Which backend a behaviour test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A real `redis-server`.
    Redis,
    /// The in-process `memory://` backend.
    Memory,
}

/// One test's backend: the server (for Redis) and a URL to connect to.
pub struct Env {
    /// Which backend this is.
    pub kind: Kind,
    /// The Redis server, when the backend is Redis.
    pub redis: Option<RedisServer>,
    url: String,
}

impl Env {
    /// A fresh backend of `kind`: a new server, or a uniquely named memory docket.
    pub fn new(kind: Kind) -> Env {
        match kind {
            Kind::Redis => {
                let server = RedisServer::start();
                Env {
                    kind,
                    url: server.url(),
                    redis: Some(server),
                }
            }
            Kind::Memory => Env {
                kind,
                redis: None,
                url: format!("memory://test-{}", uuid_like()),
            },
        }
    }

    /// The URL of this backend.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Connects a docket with default settings.
    pub async fn docket(&self) -> Docket {
        Docket::connect(&self.url)
            .await
            .expect("connect to the test backend")
    }

    /// Connects a docket with a custom execution TTL.
    pub async fn docket_with_ttl(&self, ttl: Duration) -> Docket {
        Docket::builder(&self.url)
            .execution_ttl(ttl)
            .connect()
            .await
            .expect("connect to the test backend")
    }
}

/// Waits until `condition` holds, checking every 10 ms, failing with `what` after `timeout`.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !condition().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Defines each test twice: once against Redis, once against `memory://`.
///
/// ```text
/// behaviour_tests! {
///     async fn runs_now(env: Env) { … }
/// }
/// ```
#[macro_export]
macro_rules! behaviour_tests {
    ($(async fn $name:ident($env:ident : Env) $body:block)*) => {
        mod redis {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $env = $crate::Env::new($crate::Kind::Redis);
                    $body
                }
            )*
        }
        mod memory {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $env = $crate::Env::new($crate::Kind::Memory);
                    $body
                }
            )*
        }
    };
}
