//! The `catch_up` policies across a restart on a durable store (SQLite): ticks that came while no
//! process ran are run (the latest, or every one within the window) or recorded as missed.
//!
//! Two runtimes on one file, the second starting ten simulated minutes after the first stopped:
//! the clocks are injected, so no test waits for real minutes.

#[path = "support/db.rs"]
mod db;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use db::TempDir;
use jobs_runtime::{job, Clock, JobContext, Outcome, Runtime, SkipReason};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `(job, scheduled_at, is_catch_up)` of every run.
static RUNS: Mutex<Vec<(&str, DateTime<Utc>, bool)>> = Mutex::new(Vec::new());

fn ran(job: &'static str, ctx: &JobContext) {
    RUNS.lock()
        .unwrap()
        .push((job, ctx.scheduled_at(), ctx.is_catch_up()));
}

#[job(every = "1m")]
async fn latest(ctx: JobContext) {
    ran("latest", &ctx);
}

#[job(every = "1m", catch_up = "none")]
async fn none(ctx: JobContext) {
    ran("none", &ctx);
}

#[job(every = "1m", catch_up = "all", catch_up_window = "1h")]
async fn all(ctx: JobContext) {
    ran("all", &ctx);
}

#[job(every = "1m", catch_up = "all", catch_up_window = "3m")]
async fn all_recent(ctx: JobContext) {
    ran("all_recent", &ctx);
}

/// Half a second past a whole minute, so that no tick is due at either start.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + TimeDelta::milliseconds(500)
}

fn minute(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(n)
}

fn runs_of(job: &str) -> Vec<(DateTime<Utc>, bool)> {
    let runs = RUNS.lock().unwrap();
    runs.iter()
        .filter(|(name, _, _)| *name == job)
        .map(|&(_, at, catch_up)| (at, catch_up))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_policy_deals_with_the_ticks_missed_while_no_process_ran() {
    let dir = TempDir::new("catch-up");
    let url = format!("sqlite://{}", dir.0.join("jobs.db").display());
    let runtime = |at| {
        Runtime::builder()
            .store(url.clone())
            .clock(Clock::starting_at(at))
            .build()
            .unwrap()
    };
    // The first process runs a moment and records that it ran every job until then.
    runtime(start()).start().await.unwrap().shutdown().await;
    assert!(RUNS.lock().unwrap().is_empty());

    // Ten minutes later by the clock, the next process starts: ticks 00:01 to 00:10 were missed.
    let handle = runtime(start() + TimeDelta::minutes(10))
        .start()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while runs_of("all").len() < 10
        || runs_of("all_recent").len() < 3
        || runs_of("latest").is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "catch-up runs missing: {:?}",
            RUNS.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let anything that should not run have its chance to.
    tokio::time::sleep(Duration::from_millis(300)).await;
    handle.shutdown().await;

    assert_eq!(
        runs_of("latest"),
        [(minute(10), true)],
        "latest: the newest tick, once"
    );
    assert!(runs_of("none").is_empty(), "none: nothing runs");
    let every: Vec<_> = (1..=10).map(|n| (minute(n), true)).collect();
    assert_eq!(
        runs_of("all"),
        every,
        "all: every tick in the window, in order"
    );
    let recent: Vec<_> = (8..=10).map(|n| (minute(n), true)).collect();
    assert_eq!(
        runs_of("all_recent"),
        recent,
        "all within 3m: the last three"
    );

    let missed = |job: &str| -> Vec<DateTime<Utc>> {
        let mut ticks: Vec<_> = handle
            .history(job)
            .into_iter()
            .filter(|record| record.outcome == Outcome::Skipped(SkipReason::Missed))
            .map(|record| record.scheduled_at)
            .collect();
        ticks.sort();
        ticks
    };
    assert_eq!(missed("latest"), (1..=9).map(minute).collect::<Vec<_>>());
    assert_eq!(missed("none"), (1..=10).map(minute).collect::<Vec<_>>());
    assert!(missed("all").is_empty());
    assert_eq!(
        missed("all_recent"),
        (1..=7).map(minute).collect::<Vec<_>>()
    );
}
