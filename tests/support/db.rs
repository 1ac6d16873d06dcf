//! Real databases and real processes for the durable-store tests: a fresh PostgreSQL database per
//! test on the server `JOBS_TEST_POSTGRES_URL` names, SQLite files in a temporary directory, and
//! the `cluster` example run as separate OS processes.
#![allow(
    dead_code,
    reason = "each test binary uses its own part of this module"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The variable naming a PostgreSQL server the tests may create databases on, as a URL to any
/// database of it.
pub(crate) const SERVER: &str = "JOBS_TEST_POSTGRES_URL";

/// The server tried when the variable is not set.
const LOCAL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database created for one test, dropped when the test ends.
pub(crate) struct Database {
    server: String,
    name: String,
    pub(crate) url: String,
}

impl Database {
    /// A fresh, empty database; `None` (with the reason printed) when no server is reachable,
    /// unless `JOBS_TEST_REQUIRE_POSTGRES` is set, as CI does: then it panics.
    pub(crate) fn create(test: &str) -> Option<Self> {
        let required = std::env::var_os("JOBS_TEST_REQUIRE_POSTGRES").is_some();
        let skip = |reason: String| {
            assert!(
                !required,
                "{test}: {reason}, and JOBS_TEST_REQUIRE_POSTGRES is set"
            );
            eprintln!("SKIPPED {test}: {reason}");
        };
        let server = std::env::var(SERVER).unwrap_or_else(|_| LOCAL.to_owned());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("jobs_test_{test}_{}_{nanos}", std::process::id());
        if let Err(error) = psql(&server, &format!("CREATE DATABASE {name}")) {
            skip(format!("no PostgreSQL server answers at {server}: {error}"));
            return None;
        }
        let base = server
            .rsplit_once('/')
            .map_or(server.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        Some(Self { server, name, url })
    }

    /// Runs `sql` on the server, outside this database (to refuse connections to it, say).
    pub(crate) fn on_server(&self, sql: &str) -> String {
        let sql = sql.replace("{database}", &self.name);
        psql(&self.server, &sql).unwrap_or_else(|error| panic!("{sql}: {error}"))
    }

    /// Runs `sql` in this database and returns what `psql` printed, unaligned.
    pub(crate) fn query(&self, sql: &str) -> String {
        psql(&self.url, sql).unwrap_or_else(|error| panic!("{sql}: {error}"))
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = psql(
            &self.server,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

fn psql(url: &str, sql: &str) -> Result<String, String> {
    let output = Command::new("psql")
        .args([
            url,
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .output()
        .map_err(|error| format!("cannot run psql: {error}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

/// A temporary directory, removed when dropped.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(test: &str) -> Self {
        let path = std::env::temp_dir().join(format!("jobs-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An example program built beside this test binary (`cargo test` builds the examples).
pub(crate) fn example(name: &str) -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let path = deps
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build --example {name} --all-features`",
        path.display()
    );
    path
}

/// One OS process of the `cluster` example; its output goes to files in `dir`.
pub(crate) struct Node {
    child: Child,
    pub(crate) pid: u32,
    pub(crate) out: PathBuf,
    err: PathBuf,
}

impl Node {
    pub(crate) fn start(dir: &Path, url: &str, args: &[&str]) -> Self {
        // Nodes may start from several threads at once: each gets its own files.
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let out = dir.join(format!("node-{n}.out"));
        let err = dir.join(format!("node-{n}.err"));
        let child = Command::new(example("cluster"))
            .args(args)
            .env("JOBS_DATABASE_URL", url)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        let node = Self {
            pid: child.id(),
            child,
            out,
            err,
        };
        node.wait_for("ready pid", Duration::from_secs(30));
        node
    }

    pub(crate) fn output(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// Waits until the process printed a line starting with `prefix`.
    pub(crate) fn wait_for(&self, prefix: &str, limit: Duration) {
        let started = Instant::now();
        while !self.output().lines().any(|line| line.starts_with(prefix)) {
            assert!(
                started.elapsed() < limit,
                "process {} printed no `{prefix}` within {limit:?}; its log:\n{}",
                self.pid,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no shutdown, no last write.
    pub(crate) fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGINT, then waits for the graceful exit.
    pub(crate) fn interrupt(&mut self) {
        let status = Command::new("kill")
            .args(["-INT", &self.pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(
            exit.success(),
            "process {} exited with {exit} after SIGINT; its log:\n{}",
            self.pid,
            self.log()
        );
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the processes of a cluster printed: for each tick (by its instant in milliseconds) and
/// each job (by its number), the processes that started and that ended it.
#[derive(Debug, Default)]
pub(crate) struct Runs {
    pub(crate) ticks: BTreeMap<i64, Seen>,
    pub(crate) work: BTreeMap<u64, Seen>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Seen {
    pub(crate) started: Vec<u32>,
    pub(crate) ended: Vec<u32>,
}

impl Runs {
    pub(crate) fn read(nodes: &[&Node]) -> Self {
        let mut runs = Self::default();
        for node in nodes {
            for line in node.output().lines() {
                let words: Vec<&str> = line.split_whitespace().collect();
                let [event, kind, key, "pid", pid] = words[..] else {
                    continue;
                };
                let pid: u32 = pid.parse().unwrap();
                let seen = match kind {
                    "tick" => runs.ticks.entry(key.parse().unwrap()).or_default(),
                    "work" => runs.work.entry(key.parse().unwrap()).or_default(),
                    _ => continue,
                };
                match event {
                    "start" => seen.started.push(pid),
                    "end" => seen.ended.push(pid),
                    _ => {}
                }
            }
        }
        runs
    }

    /// Checks the cluster's promises, given the processes that were killed: every tick in
    /// `window` (milliseconds) and every job below `jobs` ended; none started twice unless a
    /// killed process started it first (at-least-once across a crash, exactly-once otherwise).
    pub(crate) fn check(&self, window: (i64, i64), jobs: u64, killed: &[u32]) {
        let alive_starts = |seen: &Seen| {
            seen.started
                .iter()
                .filter(|pid| !killed.contains(pid))
                .count()
        };
        let mut tick = window.0;
        while tick <= window.1 {
            let seen = self.ticks.get(&tick).cloned().unwrap_or_default();
            assert!(!seen.ended.is_empty(), "tick {tick} never ended: {seen:?}");
            assert!(
                alive_starts(&seen) <= 1,
                "tick {tick} ran twice in live processes: {seen:?}"
            );
            tick += 1000;
        }
        for (&tick, seen) in &self.ticks {
            assert!(
                alive_starts(seen) <= 1,
                "tick {tick} ran twice in live processes: {seen:?}"
            );
        }
        for n in 0..jobs {
            let seen = self.work.get(&n).cloned().unwrap_or_default();
            assert!(!seen.ended.is_empty(), "job {n} never ended: {seen:?}");
            assert!(
                alive_starts(&seen) <= 1,
                "job {n} ran twice in live processes: {seen:?}"
            );
        }
    }
}
