//! `timeout`: an attempt that runs past its limit is dropped at exactly the deadline and fails
//! with "timed out after …"; the limit applies to each attempt, so a retry gets a fresh one.

use chrono::TimeDelta;
use jobs_runtime::{Handle, Job, JobContext, Outcome};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

mod support;
use support::at;

async fn start(job: Job) -> Handle {
    support::simulated()
        .job(job)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

/// Notes when the attempt's future is dropped.
struct DropGuard(Arc<Mutex<Option<Instant>>>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(Instant::now());
    }
}

#[tokio::test(start_paused = true)]
async fn an_attempt_that_hangs_fails_at_exactly_its_timeout() {
    let dropped_at = Arc::new(Mutex::new(None));
    let guard_slot = Arc::clone(&dropped_at);
    let job = Job::on_demand("hangs", move |_ctx: JobContext| {
        let guard = DropGuard(Arc::clone(&guard_slot));
        async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        }
    })
    .timeout(Duration::from_secs(30));
    let handle = start(job).await;
    let started = Instant::now();

    handle.trigger("hangs").await.unwrap();
    tokio::time::sleep(Duration::from_secs(29)).await;
    assert!(
        handle.history("hangs").is_empty(),
        "failed before the deadline"
    );
    tokio::time::sleep(Duration::from_secs(31)).await;

    let history = handle.history("hangs");
    assert_eq!(history.len(), 1);
    let record = &history[0];
    assert_eq!(record.outcome, Outcome::Failed);
    assert_eq!(record.attempts, 1);
    assert_eq!(record.error.as_deref(), Some("timed out after 30s"));
    assert_eq!(record.started_at, Some(at(0)));
    assert_eq!(record.finished_at, Some(at(30)));
    assert_eq!(
        *dropped_at.lock().unwrap(),
        Some(started + Duration::from_secs(30)),
        "the attempt's future is dropped at the deadline"
    );
}

#[tokio::test(start_paused = true)]
async fn an_attempt_that_ends_before_its_timeout_succeeds() {
    let job = Job::on_demand("just_in_time", |_ctx: JobContext| async {
        tokio::time::sleep(Duration::from_millis(29_999)).await;
    })
    .timeout(Duration::from_secs(30));
    let handle = start(job).await;

    handle.trigger("just_in_time").await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;

    let history = handle.history("just_in_time");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].outcome, Outcome::Succeeded);
    assert_eq!(
        history[0].finished_at,
        Some(at(29) + TimeDelta::milliseconds(999))
    );
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_attempt_is_retried_with_a_fresh_limit() {
    let attempt_starts = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&attempt_starts);
    // The first attempt hangs; the second takes 20s, within its own 30s though not within what
    // would be left of a limit shared by the whole run.
    let job = Job::on_demand("slow_then_fine", move |ctx: JobContext| {
        let log = Arc::clone(&log);
        async move {
            log.lock().unwrap().push(Instant::now());
            if ctx.attempt() == 1 {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(Duration::from_secs(20)).await;
        }
    })
    .timeout(Duration::from_secs(30))
    .retries(1)
    .backoff(Duration::from_secs(1));
    let handle = start(job).await;

    handle.trigger("slow_then_fine").await.unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;

    let history = handle.history("slow_then_fine");
    assert_eq!(history.len(), 1);
    let record = &history[0];
    assert_eq!(record.outcome, Outcome::Succeeded);
    assert_eq!(record.attempts, 2);
    let starts = attempt_starts.lock().unwrap();
    assert_eq!(starts.len(), 2);
    let retry_delay = (starts[1] - starts[0])
        .checked_sub(Duration::from_secs(30))
        .expect("the first attempt lasted its whole 30s");
    assert!(retry_delay <= Duration::from_secs(1), "{retry_delay:?}");
    assert_eq!(
        record.finished_at.unwrap() - record.started_at.unwrap(),
        TimeDelta::from_std(Duration::from_secs(50) + retry_delay).unwrap()
    );
}

#[tokio::test(start_paused = true)]
async fn the_timeout_in_the_error_is_written_as_the_attribute_writes_it() {
    let job = Job::on_demand("long_limit", |_ctx: JobContext| {
        std::future::pending::<()>()
    })
    .timeout(Duration::from_secs(90));
    let handle = start(job).await;

    handle.trigger("long_limit").await.unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;

    let history = handle.history("long_limit");
    assert_eq!(history[0].outcome, Outcome::Failed);
    assert_eq!(history[0].error.as_deref(), Some("timed out after 1m30s"));
    assert_eq!(history[0].finished_at, Some(at(90)));
}
