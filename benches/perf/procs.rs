//! The processes under measurement (the sandbox, WARAS, the Node.js peer) and what /proc says
//! about them.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

/// A child process whose output goes to a log file under target/perf/logs.
pub struct Proc {
    pub name: String,
    pub child: Child,
    pub log: PathBuf,
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts `cmd` with its stderr (and stdout, unless `keep_stdout`) appended to `log`.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path, keep_stdout: bool) -> Result<Self> {
        let file = File::options()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("log file {}", log.display()))?;
        cmd.stdin(Stdio::null())
            .stderr(file.try_clone()?)
            .stdout(if keep_stdout {
                Stdio::piped()
            } else {
                Stdio::from(file)
            });
        // Backtraces make every error capture one, which costs memory per session (ENGINE.md).
        cmd.env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE");
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        Ok(Self {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
        })
    }

    /// Reads stdout lines until `want` accepts one (returning its value), copying the lines and
    /// everything after them to the log. Fails when the process ends first or `limit` passes.
    pub fn wait_stdout<T: Send + 'static>(
        &mut self,
        limit: Duration,
        mut want: impl FnMut(&str) -> Option<T> + Send + 'static,
    ) -> Result<T> {
        let out = self
            .child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("{}: stdout already taken", self.name))?;
        let log = self.log.clone();
        let (tx, rx) = std::sync::mpsc::channel::<T>();
        std::thread::spawn(move || {
            let mut file = File::options().append(true).open(log).ok();
            let mut tx = Some(tx);
            for line in BufReader::new(out).lines().map_while(|l| l.ok()) {
                if let Some(f) = file.as_mut() {
                    let _ = writeln!(f, "{line}");
                }
                if let Some(v) = tx.as_ref().and_then(|_| want(&line)) {
                    let _ = tx.take().map(|t| t.send(v));
                }
            }
        });
        rx.recv_timeout(limit).map_err(|_| {
            anyhow!(
                "{} printed nothing usable within {limit:?}; see {}",
                self.name,
                self.log.display()
            )
        })
    }

    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then SIGKILL after `grace`. Returns how long it took the process to end.
    #[allow(unsafe_code, reason = "kill(2) on our own child")]
    pub fn terminate(mut self, grace: Duration) -> Result<Duration> {
        let start = Instant::now();
        if !self.running() {
            return Ok(Duration::ZERO);
        }
        // SAFETY: kill(2) on the pid of a child this process started and has not reaped.
        unsafe {
            libc::kill(self.pid() as libc::pid_t, libc::SIGTERM);
        }
        while start.elapsed() < grace {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Ok(start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!(
            "perf: {} did not stop within {grace:?} of SIGTERM; killing it",
            self.name
        );
        self.child.kill()?;
        self.child.wait()?;
        Ok(start.elapsed())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A TCP port nobody listens on right now.
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Resident set size in bytes (VmRSS of /proc/<pid>/status).
pub fn rss_bytes(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or_else(|| anyhow!("no VmRSS for {pid}"))?;
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| anyhow!("bad VmRSS line"))?
        .parse()?;
    Ok(kib * 1024)
}

/// Threads of a process (Threads: in /proc/<pid>/status).
pub fn threads(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Threads:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// User + system CPU time a process has used, in seconds (/proc/<pid>/stat fields 14 and 15).
#[allow(unsafe_code, reason = "sysconf(3) for the clock tick")]
pub fn cpu_secs(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let rest = &stat[stat.rfind(')').ok_or_else(|| anyhow!("bad stat"))? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields
        .get(11)
        .ok_or_else(|| anyhow!("short stat"))?
        .parse()?;
    let stime: u64 = fields
        .get(12)
        .ok_or_else(|| anyhow!("short stat"))?
        .parse()?;
    // SAFETY: sysconf has no preconditions.
    let tck = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Ok((utime + stime) as f64 / tck)
}

/// The 1-minute load average.
pub fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

pub fn nproc() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Total memory of the machine in bytes (MemTotal).
pub fn mem_total() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let l = s.lines().find(|l| l.starts_with("MemTotal:"))?;
            l.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .unwrap_or(0)
        * 1024
}

pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// `perf record` attached to a running process for one phase, when PERF_PROFILE is set.
pub struct Profiler {
    child: Option<Child>,
    pub out: PathBuf,
}

impl Profiler {
    pub fn attach(pid: u32, out: PathBuf) -> Result<Self> {
        let child = Command::new("perf")
            .args(["record", "-e", "cpu-clock", "-F", "499", "-g", "-o"])
            .arg(&out)
            .args(["-p", &pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("perf record (PERF_PROFILE needs linux perf)")?;
        Ok(Self {
            child: Some(child),
            out,
        })
    }

    /// Stops the recording (SIGINT lets perf write its file).
    #[allow(unsafe_code, reason = "kill(2) on our own child")]
    pub fn finish(mut self) -> Result<PathBuf> {
        if let Some(mut c) = self.child.take() {
            // SAFETY: kill(2) on our own, unreaped child.
            unsafe {
                libc::kill(c.id() as libc::pid_t, libc::SIGINT);
            }
            let status = c.wait()?;
            if !status.success() && !self.out.exists() {
                bail!("perf record failed: {status}");
            }
        }
        Ok(self.out.clone())
    }
}
