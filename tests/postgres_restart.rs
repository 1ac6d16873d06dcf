//! The PostgreSQL server restarted in the middle of runs, under three processes of the `cluster`
//! example: nothing is lost (every tick and every job ends), nothing runs twice, and every
//! process recovers by itself.
//!
//! It restarts the server that `JOBS_TEST_POSTGRES_URL` names, so it runs only when
//! `JOBS_TEST_POSTGRES_RESTART` gives the command that does so (CI sets both).

#[path = "support/db.rs"]
mod db;

use db::{Database, Node, Runs, TempDir};
use std::process::Command;
use std::time::{Duration, Instant};

const JOBS: u64 = 600;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[test]
fn a_server_restart_loses_nothing_and_duplicates_nothing() {
    let Ok(restart) = std::env::var("JOBS_TEST_POSTGRES_RESTART") else {
        assert!(
            std::env::var_os("JOBS_TEST_REQUIRE_POSTGRES").is_none(),
            "JOBS_TEST_REQUIRE_POSTGRES is set but JOBS_TEST_POSTGRES_RESTART is not"
        );
        eprintln!(
            "SKIPPED: set JOBS_TEST_POSTGRES_RESTART to the command that restarts the server"
        );
        return;
    };
    let Some(database) = Database::create("restart") else {
        return;
    };
    let dir = TempDir::new("pg-restart");
    // The default lease (10 s) outlasts the restart: no live process loses its claims.
    let count = JOBS.to_string();
    let mut nodes = vec![Node::start(&dir.0, &database.url, &["--enqueue", &count])];
    for _ in 1..3 {
        nodes.push(Node::start(&dir.0, &database.url, &[]));
    }
    let first_tick = (now_ms() / 1000 + 1) * 1000;
    std::thread::sleep(Duration::from_millis(1500));
    let all: Vec<&Node> = nodes.iter().collect();
    let server_started = database.query("SELECT pg_postmaster_start_time()");
    let ended_before = ended(&Runs::read(&all));
    let status = Command::new("sh").args(["-c", &restart]).status().unwrap();
    assert!(status.success(), "`{restart}` failed");
    let restarted = Instant::now();
    // What makes this test worth anything: the server really restarted, with jobs still to run.
    assert_ne!(
        database.query("SELECT pg_postmaster_start_time()"),
        server_started,
        "`{restart}` succeeded but the server did not restart"
    );
    assert!(
        ended_before < JOBS,
        "every job ended before the restart: the test proves nothing"
    );
    loop {
        let ended = ended(&Runs::read(&all));
        if ended == JOBS {
            break;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(120),
            "{ended} of {JOBS} jobs ended 120 s after the restart"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2));
    let last_tick = (now_ms() / 1000 - 1) * 1000;
    for node in &mut nodes {
        node.interrupt();
    }
    let all: Vec<&Node> = nodes.iter().collect();
    let runs = Runs::read(&all);
    runs.check((first_tick, last_tick), JOBS, &[]);
    // A restart quick enough for the pool's reconnection to absorb it fails no statement; when
    // one failed, the process said so once and said when the database answered again.
    let failed: Vec<String> = nodes
        .iter()
        .map(Node::log)
        .filter(|log| log.contains("the job store's database failed while"))
        .collect();
    for log in &failed {
        assert!(
            log.contains("the job store's database answers again"),
            "a process never logged its recovery:\n{log}"
        );
    }
    assert_eq!(
        database.query("SELECT COUNT(*) FROM jobs_jobs WHERE state <> 'succeeded'"),
        "0"
    );
    eprintln!(
        "{} ticks and {JOBS} jobs checked across the restart ({ended_before} jobs had ended before \
         it; {} of 3 processes saw a statement fail)",
        (last_tick - first_tick) / 1000 + 1,
        failed.len()
    );
}

/// How many of the enqueued jobs ended.
fn ended(runs: &Runs) -> u64 {
    (0..JOBS)
        .filter(|n| runs.work.get(n).is_some_and(|seen| !seen.ended.is_empty()))
        .count() as u64
}
