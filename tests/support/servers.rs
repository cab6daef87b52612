//! Real Prometheus / Alertmanager / VictoriaMetrics processes for tests.
//!
//! Binaries come from `target/test-servers/bin` (filled by
//! `scripts/fetch-test-servers.sh`) or `$QUELL_TEST_SERVERS/bin`. A missing
//! binary fails the test with instructions: never a silent skip. Servers
//! listen on 127.0.0.1 port 0; the real port is read from the
//! `msg="Listening on"` log line. Each has a temp dir and is killed by PID
//! on drop.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Path of a test server binary; panics with the fix when absent.
pub fn bin(name: &str) -> PathBuf {
    let dir = std::env::var_os("QUELL_TEST_SERVERS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-servers"),
        PathBuf::from,
    );
    let p = dir.join("bin").join(name);
    assert!(
        p.exists(),
        "test server binary {name} missing at {}: run scripts/fetch-test-servers.sh \
         (scripts/test.sh does it before the tests)",
        p.display()
    );
    p
}

/// A fresh temp directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("quell-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }

    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

/// A running server process.
pub struct Server {
    child: Child,
    pub port: u16,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `bin args...` and waits for its "Listening on" line.
    pub fn start(bin: &Path, args: &[String]) -> Self {
        let mut child = Command::new(bin)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(port) = listening_port(&line) {
                    let _ = tx.send(port);
                }
                let mut l = sink.lock().unwrap();
                if l.len() < 2_000 {
                    l.push(line);
                }
            }
        });
        let port = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(p) => p,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "{} did not report its port:\n{}",
                    bin.display(),
                    log.lock().unwrap().join("\n")
                );
            }
        };
        Self { child, port, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `... msg="Listening on" address=127.0.0.1:PORT` (not the earlier `:0` line).
pub fn listening_port(line: &str) -> Option<u16> {
    if !line.contains("msg=\"Listening on\"") && !line.contains("msg=\"TLS is enabled.\"") {
        // vmalert / victoria-metrics: "started server at http://127.0.0.1:PORT/"
        let rest = line.split("started server at http://").nth(1)?;
        let hostport = rest.split('/').next()?;
        return hostport.rsplit(':').next()?.parse().ok().filter(|p| *p != 0);
    }
    let addr = line.split("address=").nth(1)?.split_whitespace().next()?;
    addr.rsplit(':').next()?.trim_matches(['"', ']']).parse().ok().filter(|p| *p != 0)
}

/// A free TCP port on 127.0.0.1 (for gossip, which must be known up front).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

const AM_CONFIG: &str =
    "route:\n  receiver: 'null'\n  group_wait: 1s\nreceivers:\n  - name: 'null'\n";

/// One Alertmanager with its own temp dir.
pub struct Alertmanager {
    pub server: Server,
    pub dir: TempDir,
    extra: Vec<String>,
    config: String,
}

impl Alertmanager {
    /// A single node (no gossip); `extra` flags added (e.g. `--web.config.file=...`).
    pub fn single(extra: &[String]) -> Self {
        let dir = TempDir::new("am");
        let mut flags = vec!["--cluster.listen-address=".to_string()];
        flags.extend_from_slice(extra);
        let server = Self::launch(&dir, "127.0.0.1:0", &flags, AM_CONFIG);
        Self { server, dir, extra: flags, config: AM_CONFIG.to_string() }
    }

    /// A single node (no gossip) running the given configuration file text
    /// (e.g. a route that groups by a label).
    pub fn single_with_config(config: &str) -> Self {
        let dir = TempDir::new("am");
        let flags = vec!["--cluster.listen-address=".to_string()];
        let server = Self::launch(&dir, "127.0.0.1:0", &flags, config);
        Self { server, dir, extra: flags, config: config.to_string() }
    }

    /// A single node on a given port (e.g. one a client already tried and failed).
    pub fn single_at(port: u16) -> Self {
        let dir = TempDir::new("am");
        let flags = vec!["--cluster.listen-address=".to_string()];
        let server = Self::launch(&dir, &format!("127.0.0.1:{port}"), &flags, AM_CONFIG);
        Self { server, dir, extra: flags, config: AM_CONFIG.to_string() }
    }

    /// Two nodes gossiping on explicit ports.
    pub fn pair() -> (Self, Self) {
        let (g1, g2) = (free_port(), free_port());
        let mk = |own: u16, peer: u16| {
            let dir = TempDir::new("am-ha");
            let flags = vec![
                format!("--cluster.listen-address=127.0.0.1:{own}"),
                format!("--cluster.peer=127.0.0.1:{peer}"),
                "--cluster.settle-timeout=1s".to_string(),
            ];
            let server = Self::launch(&dir, "127.0.0.1:0", &flags, AM_CONFIG);
            Self { server, dir, extra: flags, config: AM_CONFIG.to_string() }
        };
        (mk(g1, g2), mk(g2, g1))
    }

    fn launch(dir: &TempDir, listen: &str, flags: &[String], config: &str) -> Server {
        let cfg = dir.file("am.yml", config);
        let data = dir.0.join("data");
        let mut args = vec![
            format!("--config.file={}", cfg.display()),
            format!("--storage.path={}", data.display()),
            format!("--web.listen-address={listen}"),
            "--log.level=info".to_string(),
        ];
        args.extend_from_slice(flags);
        Server::start(&bin("alertmanager"), &args)
    }

    /// Stops and starts again on the same port: in-memory alerts are lost.
    pub fn restart(&mut self) {
        let port = self.server.port;
        self.server.kill();
        let listen = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if std::net::TcpListener::bind(&listen).is_ok() || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.server = Self::launch(&self.dir, &listen, &self.extra, &self.config);
    }

    pub fn url(&self) -> String {
        self.server.url()
    }
}

impl Server {
    /// Starts a server that cannot report a port-0 address (VictoriaMetrics,
    /// vmalert): on a free port picked here, ready once it accepts connections.
    pub fn start_on_port(bin: &Path, args: &[String], port: u16) -> Self {
        let mut child = Command::new(bin)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
                let _ = child.kill();
                panic!("{} did not listen on {port}", bin.display());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port, log: Arc::new(Mutex::new(Vec::new())) }
    }
}

/// A real node_exporter (Debian's `prometheus-node-exporter`) with only the
/// collectors host rules read, on 127.0.0.1 port 0.
pub fn node_exporter() -> Server {
    Server::start(
        &bin("prometheus-node-exporter"),
        &[
            "--web.listen-address=127.0.0.1:0".to_string(),
            "--collector.disable-defaults".to_string(),
            "--collector.cpu".to_string(),
            "--collector.meminfo".to_string(),
            "--collector.filesystem".to_string(),
            "--collector.loadavg".to_string(),
            "--collector.time".to_string(),
        ],
    )
}
