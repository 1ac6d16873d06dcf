//! A panicking job fails its attempt with "panicked: <message>" and is retried like an error; the
//! scheduler and every other job keep running.
//!
//! The panics print their messages to stderr: that is the default panic hook, not a failure.

use chrono::{DateTime, Utc};
use jobs_runtime::{Job, JobContext, Outcome, RunRecord, Runtime, Schedule};
use std::future::Ready;
use std::time::Duration;

mod support;
use support::at;

fn every(seconds: u64) -> Schedule {
    Schedule::every(Duration::from_secs(seconds)).unwrap()
}

fn outcomes(records: &[RunRecord]) -> Vec<(DateTime<Utc>, Outcome)> {
    records
        .iter()
        .map(|r| (r.scheduled_at, r.outcome))
        .collect()
}

async fn boom(ctx: JobContext) {
    panic!("boom on attempt {}", ctx.attempt());
}

async fn out_of_cheese(_ctx: JobContext) {
    panic!("out of cheese");
}

#[tokio::test(start_paused = true)]
async fn a_panic_fails_the_attempt_and_is_retried_like_an_error() {
    let handle = Runtime::builder()
        .without_registered_jobs()
        .job(
            Job::on_demand("always_panics", boom)
                .retries(2)
                .backoff(Duration::from_secs(1)),
        )
        .job(
            Job::on_demand("panics_once", |ctx: JobContext| async move {
                assert!(ctx.attempt() > 1, "first attempt blows up");
            })
            .retries(1)
            .backoff(Duration::from_secs(1)),
        )
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();

    handle.trigger("always_panics").await.unwrap();
    handle.trigger("panics_once").await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;

    let always = handle.history("always_panics");
    assert_eq!(always.len(), 1);
    assert_eq!(always[0].outcome, Outcome::Failed);
    assert_eq!(always[0].attempts, 3);
    assert_eq!(
        always[0].error.as_deref(),
        Some("panicked: boom on attempt 3")
    );

    let once = handle.history("panics_once");
    assert_eq!(once.len(), 1);
    assert_eq!(once[0].outcome, Outcome::Succeeded);
    assert_eq!(once[0].attempts, 2);
}

#[tokio::test(start_paused = true)]
async fn a_job_that_panics_on_every_tick_stops_neither_the_scheduler_nor_other_jobs() {
    let handle = support::simulated()
        .job(Job::new("panicky", every(10), out_of_cheese))
        .job(Job::new("steady", every(10), |_ctx: JobContext| async {}))
        .job(Job::on_demand("manual", |_ctx: JobContext| async {}))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();

    tokio::time::sleep(Duration::from_secs(65)).await;
    // The scheduler still answers commands after a minute of panics.
    handle.trigger("manual").await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;

    let ticks: Vec<DateTime<Utc>> = (1..=6).map(|n| at(10 * n)).collect();
    let panicky = handle.history("panicky");
    assert_eq!(
        outcomes(&panicky),
        ticks
            .iter()
            .map(|&t| (t, Outcome::Failed))
            .collect::<Vec<_>>()
    );
    for record in &panicky {
        assert_eq!(record.error.as_deref(), Some("panicked: out of cheese"));
    }
    assert_eq!(
        outcomes(&handle.history("steady")),
        ticks
            .iter()
            .map(|&t| (t, Outcome::Succeeded))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        outcomes(&handle.history("manual")),
        [(at(65), Outcome::Succeeded)]
    );
}

/// A run-time job's closure that panics while it builds its future, before anything is awaited
/// (an `expect` on a poisoned lock, say): still the job's code, so still a failed attempt.
fn panics_before_its_future(_ctx: JobContext) -> Ready<()> {
    panic!("no future for you")
}

#[tokio::test(start_paused = true)]
async fn a_panic_while_building_the_attempt_fails_it_like_any_panic() {
    let handle = Runtime::builder()
        .without_registered_jobs()
        .job(
            Job::on_demand("eager_panic", panics_before_its_future)
                .retries(1)
                .backoff(Duration::from_secs(1)),
        )
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();

    handle.trigger("eager_panic").await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;

    let history = handle.history("eager_panic");
    assert_eq!(history.len(), 1);
    let record = &history[0];
    assert_eq!(
        (record.outcome, record.attempts, record.error.as_deref()),
        (Outcome::Failed, 2, Some("panicked: no future for you"))
    );
}
