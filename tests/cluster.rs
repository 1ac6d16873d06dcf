//! Processes of the `cluster` example on one database, one of them killed with SIGKILL in the
//! middle of runs and started again: every tick runs exactly once, every enqueued job completes,
//! and nothing runs twice while the process holding it lives. PostgreSQL with three processes,
//! SQLite with two on one file.

#[path = "support/db.rs"]
mod db;

use db::{Database, Node, Runs, TempDir};
use std::time::{Duration, Instant};

/// Short, so that the killed process's work passes to the others within the test, yet long
/// enough that a live process whose heartbeat is slowed by five processes and a database on two
/// cores keeps its claims.
const LEASE: &str = "3000";

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Runs `nodes` processes on `url`, the first enqueueing `jobs`, kills one in the middle of runs,
/// starts it again, waits until every job ended, and checks what all of them printed.
fn survive_sigkill(dir: &TempDir, url: &str, nodes: usize, jobs: u64) {
    let count = jobs.to_string();
    let mut running = vec![Node::start(
        &dir.0,
        url,
        &["--enqueue", &count, "--lease-ms", LEASE],
    )];
    for _ in 1..nodes {
        running.push(Node::start(&dir.0, url, &["--lease-ms", LEASE]));
    }
    // The first whole second after every process is up.
    let first_tick = (now_ms() / 1000 + 1) * 1000;
    std::thread::sleep(Duration::from_millis(2500));
    // In the middle of runs: its queue runs ten 200 ms jobs at a time.
    let mut victim = running.remove(nodes - 1);
    victim.kill();
    let killed = victim.pid;
    std::thread::sleep(Duration::from_secs(1));
    running.push(Node::start(&dir.0, url, &["--lease-ms", LEASE]));
    let started = Instant::now();
    loop {
        let mut all: Vec<&Node> = running.iter().collect();
        all.push(&victim);
        let runs = Runs::read(&all);
        let ended =
            (0..jobs).filter(|n| runs.work.get(n).is_some_and(|seen| !seen.ended.is_empty()));
        if ended.count() as u64 == jobs {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "jobs still unfinished after 120 s: {runs:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Two more ticks after the last job, then every tick up to here must have ended.
    std::thread::sleep(Duration::from_secs(2));
    let last_tick = (now_ms() / 1000 - 1) * 1000;
    for node in &mut running {
        node.interrupt();
    }
    let mut all: Vec<&Node> = running.iter().collect();
    all.push(&victim);
    let runs = Runs::read(&all);
    let died_holding = runs
        .work
        .values()
        .chain(runs.ticks.values())
        .filter(|seen| seen.started.contains(&killed) && !seen.ended.contains(&killed))
        .count();
    assert!(
        died_holding > 0,
        "the killed process held no run when it died: the test proves nothing; {runs:?}"
    );
    runs.check((first_tick, last_tick), jobs, &[killed]);
    eprintln!(
        "{} ticks and {jobs} jobs checked; the killed process died holding {died_holding} runs",
        (last_tick - first_tick) / 1000 + 1
    );
}

#[test]
fn postgres_cluster_of_three_survives_a_sigkill() {
    let Some(database) = Database::create("cluster") else {
        return;
    };
    let dir = TempDir::new("pg-cluster");
    survive_sigkill(&dir, &database.url, 3, 2000);
    let duplicates = database.query("SELECT COUNT(*) FROM jobs_jobs WHERE state <> 'succeeded'");
    assert_eq!(
        duplicates, "0",
        "every enqueued job ended as succeeded in the store"
    );
}

#[test]
fn sqlite_two_processes_on_one_file_survive_a_sigkill() {
    let dir = TempDir::new("sqlite-cluster");
    let url = format!("sqlite://{}", dir.0.join("jobs.db").display());
    let logs = TempDir::new("sqlite-cluster-logs");
    survive_sigkill(&logs, &url, 2, 500);
}
