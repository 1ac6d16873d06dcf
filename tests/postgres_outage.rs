//! The database lost for longer than the pool waits for a connection, in the middle of runs:
//! running jobs go on, the process says once that the database failed and once that it answers
//! again, and nothing is lost or run twice. The server refuses connections to the test's database
//! and ends the ones it has, as it does when it goes down, without disturbing other tests' servers.

#[path = "support/db.rs"]
mod db;

use db::{Database, Node, Runs, TempDir};
use std::time::{Duration, Instant};

const JOBS: u64 = 400;

/// Longer than the pool's 5 s wait for a connection, so that statements fail rather than wait.
const OUTAGE: Duration = Duration::from_secs(7);

fn ended(runs: &Runs) -> u64 {
    (0..JOBS)
        .filter(|n| runs.work.get(n).is_some_and(|seen| !seen.ended.is_empty()))
        .count() as u64
}

#[test]
fn an_outage_is_logged_once_and_loses_nothing() {
    let Some(database) = Database::create("outage") else {
        return;
    };
    let dir = TempDir::new("pg-outage");
    let count = JOBS.to_string();
    let mut node = Node::start(&dir.0, &database.url, &["--enqueue", &count]);
    node.wait_for("end work", Duration::from_secs(30));
    database.on_server("ALTER DATABASE {database} ALLOW_CONNECTIONS false");
    database.on_server(
        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{database}'",
    );
    let ended_before = ended(&Runs::read(&[&node]));
    std::thread::sleep(OUTAGE);
    let ended_during = ended(&Runs::read(&[&node]));
    database.on_server("ALTER DATABASE {database} ALLOW_CONNECTIONS true");
    assert!(
        ended_before < JOBS,
        "every job ended before the outage: the test proves nothing"
    );
    assert!(
        ended_during > ended_before,
        "no running job went on while the database was gone"
    );
    let back = Instant::now();
    while ended(&Runs::read(&[&node])) < JOBS {
        assert!(
            back.elapsed() < Duration::from_secs(120),
            "jobs still unfinished 120 s after the database came back; log:\n{}",
            node.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    node.interrupt();
    Runs::read(&[&node]).check((0, -1), JOBS, &[]);
    let log = node.log();
    assert_eq!(
        log.matches("the job store's database failed while").count(),
        1,
        "the outage must be logged once; log:\n{log}"
    );
    assert_eq!(
        log.matches("the job store's database answers again")
            .count(),
        1,
        "the recovery must be logged once; log:\n{log}"
    );
    assert_eq!(
        database.query("SELECT COUNT(*) FROM jobs_jobs WHERE state <> 'succeeded'"),
        "0"
    );
    eprintln!(
        "{JOBS} jobs checked across a {OUTAGE:?} outage: {ended_before} had ended before it, \
         {} during it",
        ended_during - ended_before
    );
}
