//! A PostgreSQL server that a test starts and stops itself (to take the database away from a
//! running WARAS), and a TCP relay in front of a server that can turn into a black hole: it keeps
//! accepting connections and reading, but nothing gets through in either direction.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::TestDatabase;

/// A private PostgreSQL cluster in a temporary directory, run as the `postgres` user.
pub struct OwnPostgres {
    bin: PathBuf,
    dir: TempDir,
    pub port: u16,
    running: bool,
}

/// The newest installed PostgreSQL's `bin` directory, if any.
fn postgres_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

impl OwnPostgres {
    /// Initializes and starts a cluster; `None` (after saying why) when the PostgreSQL server
    /// binaries are not installed.
    pub fn start() -> Option<Self> {
        let Some(bin) = postgres_bin() else {
            eprintln!("SKIPPED: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin");
            return None;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let chown = Command::new("chown")
            .arg("postgres:")
            .arg(dir.path())
            .status()
            .expect("chown runs");
        assert!(
            chown.success(),
            "cannot hand the cluster directory to postgres"
        );
        let data = dir.path().join("data");
        let ok = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .expect("initdb runs");
        assert!(ok.status.success(), "initdb: {ok:?}");
        let mut pg = Self {
            bin,
            dir,
            port: free_port(),
            running: false,
        };
        pg.up();
        Some(pg)
    }

    fn pg_ctl(&self, args: &[&str]) -> std::process::Output {
        let dir = self.dir.path();
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(dir.join("data"))
            .arg("-l")
            .arg(dir.join("log"))
            .args(args)
            .output()
            .expect("pg_ctl runs")
    }

    /// Starts the server (again) on the same port.
    pub fn up(&mut self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let out = self.pg_ctl(&["-w", "-o", &options, "start"]);
        assert!(out.status.success(), "pg_ctl start: {out:?}");
        self.running = true;
    }

    /// Stops the server the way an administrator does: open sessions are terminated.
    pub fn down(&mut self) {
        let out = self.pg_ctl(&["-w", "-m", "fast", "stop"]);
        assert!(out.status.success(), "pg_ctl stop: {out:?}");
        self.running = false;
    }

    /// Whether some session holds WARAS's instance lock (advisory lock "WARASINS", whose two
    /// 32-bit halves PostgreSQL lists as classid and objid).
    pub fn instance_lock_held(&self) -> bool {
        use diesel::{Connection, PgConnection, RunQueryDsl};
        #[derive(diesel::QueryableByName)]
        struct Held {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let url = format!("postgres://postgres@127.0.0.1:{}/postgres", self.port);
        let Ok(mut conn) = PgConnection::establish(&url) else {
            return false;
        };
        diesel::sql_query(
            "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND classid = x'57415241'::int::oid AND objid = x'53494e53'::int::oid",
        )
        .get_result::<Held>(&mut conn)
        .is_ok_and(|h| h.n > 0)
    }

    /// A WARAS database on this server, reached through `port` (the server's or a relay's).
    pub fn database_via(&self, port: u16) -> TestDatabase {
        TestDatabase {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable"),
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        if self.running {
            let _ = self.pg_ctl(&["-m", "immediate", "stop"]);
        }
    }
}

/// A TCP relay to `127.0.0.1:target` that can swallow everything (see the module doc).
pub struct Relay {
    pub port: u16,
    blackhole: Arc<AtomicBool>,
}

impl Relay {
    pub async fn start(target: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let blackhole = Arc::new(AtomicBool::new(false));
        let hole = blackhole.clone();
        let upstream = SocketAddr::from(([127, 0, 0, 1], target));
        actix_rt::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                actix_rt::spawn(relay(client, upstream, hole.clone()));
            }
        });
        Self { port, blackhole }
    }

    pub fn blackhole(&self, on: bool) {
        self.blackhole.store(on, Ordering::SeqCst);
    }
}

async fn wait_open(hole: &AtomicBool) {
    while hole.load(Ordering::SeqCst) {
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn relay(client: TcpStream, upstream: SocketAddr, hole: Arc<AtomicBool>) {
    // A connection made into the black hole is accepted but reaches nothing until it lifts.
    wait_open(&hole).await;
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    actix_rt::spawn(pump(cr, sw, hole.clone()));
    actix_rt::spawn(pump(sr, cw, hole));
}

/// Copies one direction; while the hole is open, what was read is held back, not delivered.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    hole: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        wait_open(&hole).await;
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
