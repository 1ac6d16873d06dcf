//! Retries of an enqueued job: a failed attempt goes back to the store as
//! `JobState::Scheduled(t)`, `t` drawn from `[failure, failure + backoff * 2^(retry-1)]` capped at
//! `backoff_max`, and runs again at `t` as the same job (same id, next `ctx.attempt()`); the job
//! has one history record for all its attempts; when the retries are exhausted it is
//! `JobState::Failed` with the last error and `on_failure` is called once.
#![allow(
    clippy::unused_async,
    reason = "`on_failure` takes an `async fn`; the handler here has nothing to await"
)]

mod support;

use chrono::{DateTime, TimeDelta, Utc};
use jobs_runtime::{job, Failure, Handle, JobContext, JobId, JobState, Outcome, State};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{at, ended};
use tokio::sync::watch;
use tokio::time::Instant;

/// Every attempt of every `flaky` job, in the order they started.
struct Log {
    attempts: Mutex<Vec<Attempt>>,
    count: watch::Sender<usize>,
}

#[derive(Clone, Copy, Debug)]
struct Attempt {
    job_id: Option<JobId>,
    number: u32,
    scheduled_at: DateTime<Utc>,
    at: Instant,
}

impl Log {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            attempts: Mutex::default(),
            count: watch::Sender::new(0),
        })
    }

    fn attempts(&self) -> Vec<Attempt> {
        self.attempts.lock().unwrap().clone()
    }

    /// Waits until `n` attempts in all have started, up to a simulated hour; returns the `n`th.
    async fn nth(&self, n: usize) -> Attempt {
        let mut count = self.count.subscribe();
        let started = count.wait_for(|&count| count >= n);
        let waited = tokio::time::timeout(Duration::from_secs(3600), started).await;
        assert!(
            waited.is_ok(),
            "attempt {n} never started: {:?}",
            self.attempts()
        );
        self.attempts()[n - 1]
    }
}

/// What the `on_failure` handler was given, by every test of this file: a plain `async fn`
/// reports through a static. Run ids count from 1 in each runtime, so tests tell their own
/// failures apart by the tag in the error.
static ALERTS: Mutex<Vec<Failure>> = Mutex::new(Vec::new());

async fn alert(failure: Failure) {
    ALERTS.lock().unwrap().push(failure);
}

/// Fails its first `failures` attempts, with an error that starts with `tag`.
#[job(retries = 3, backoff = "1s", backoff_max = "3s", on_failure = "alert")]
async fn flaky(
    failures: u32,
    tag: String,
    ctx: JobContext,
    log: State<Arc<Log>>,
) -> Result<(), String> {
    log.attempts.lock().unwrap().push(Attempt {
        job_id: ctx.job_id(),
        number: ctx.attempt(),
        scheduled_at: ctx.scheduled_at(),
        at: Instant::now(),
    });
    log.count.send_modify(|count| *count += 1);
    if ctx.attempt() <= failures {
        return Err(format!("{tag}: attempt {} failed", ctx.attempt()));
    }
    Ok(())
}

/// The longest delay before retry `retry`: 1s, 2s, then 4s capped at 3s.
fn limit(retry: u32) -> Duration {
    (Duration::from_secs(1) * 2u32.pow(retry - 1)).min(Duration::from_secs(3))
}

/// The test's start, which the simulated clock reads as `at(0)`, and the runtime.
async fn start(log: &Arc<Log>) -> (Instant, Handle) {
    let start = Instant::now();
    let handle = support::simulated_with_jobs()
        .only(["flaky"])
        .state(Arc::clone(log))
        .history_limit(1000)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    (start, handle)
}

/// The wall-clock reading of `instant`.
fn wall(start: Instant, instant: Instant) -> DateTime<Utc> {
    at(0) + TimeDelta::from_std(instant - start).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_job_that_fails_twice_then_succeeds_is_one_job_with_three_attempts() {
    let log = Log::new();
    let (start, handle) = start(&log).await;
    let id = flaky::options()
        .handle(&handle)
        .enqueue(2, "recovers".into())
        .await
        .unwrap();

    for retry in 1..=2 {
        let failed = log.nth(retry).await;
        let failed_at = wall(start, failed.at);
        let retry_at = support::waiting_for_retry(&handle, id).await;
        let latest = failed_at + TimeDelta::from_std(limit(u32::try_from(retry).unwrap())).unwrap();
        assert!(
            failed_at <= retry_at && retry_at <= latest,
            "retry {retry} at {retry_at}, outside [{failed_at}, {latest}]"
        );
        // The retry runs at its instant; tokio's timer fires on whole milliseconds.
        let retried_at = wall(start, log.nth(retry + 1).await.at);
        assert!(
            retried_at >= retry_at && retried_at - retry_at < TimeDelta::milliseconds(1),
            "retry {retry} was due at {retry_at}, ran at {retried_at}"
        );
    }
    assert_eq!(ended(&handle, id).await, JobState::Succeeded);
    handle.shutdown().await;

    let attempts = log.attempts();
    let seen: Vec<(Option<JobId>, u32)> = attempts
        .iter()
        .map(|attempt| (attempt.job_id, attempt.number))
        .collect();
    assert_eq!(
        seen,
        [(Some(id), 1), (Some(id), 2), (Some(id), 3)],
        "one job: the same id, attempts counted from 1"
    );

    let history = handle.history("flaky");
    assert_eq!(history.len(), 1, "one record for all attempts: {history:?}");
    let record = &history[0];
    assert_eq!(record.job_id, Some(id));
    assert_eq!(record.outcome, Outcome::Succeeded);
    assert_eq!(record.attempts, 3);
    assert_eq!(record.error, None);
    assert_eq!(record.started_at, Some(at(0)));
    assert_eq!(record.finished_at, Some(wall(start, attempts[2].at)));
    assert!(
        !ALERTS
            .lock()
            .unwrap()
            .iter()
            .any(|failure| failure.error().starts_with("recovers:")),
        "no alert for a job that succeeded"
    );

    // The instant the job was due, not that of its latest retry: `JobContext::scheduled_at` is
    // the same in every attempt, and the record's lateness is measured from it.
    let scheduled: Vec<DateTime<Utc>> = attempts
        .iter()
        .map(|attempt| attempt.scheduled_at)
        .collect();
    assert_eq!(
        scheduled,
        [at(0), at(0), at(0)],
        "`JobContext::scheduled_at` of each attempt"
    );
    assert_eq!(record.scheduled_at, at(0));
    assert_eq!(record.lateness, Some(Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn a_job_that_exhausts_its_retries_fails_with_the_last_error_and_alerts_once() {
    let log = Log::new();
    let (start, handle) = start(&log).await;
    let id = flaky::options()
        .handle(&handle)
        .enqueue(u32::MAX, "exhausts".into())
        .await
        .unwrap();
    let state = ended(&handle, id).await;
    assert_eq!(
        state,
        JobState::Failed {
            error: "exhausts: attempt 4 failed".into()
        }
    );
    handle.shutdown().await;

    let attempts = log.attempts();
    let numbers: Vec<u32> = attempts.iter().map(|attempt| attempt.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4], "`retries = 3`: four attempts");

    let history = handle.history("flaky");
    assert_eq!(history.len(), 1, "{history:?}");
    let record = &history[0];
    assert_eq!(record.outcome, Outcome::Failed);
    assert_eq!(record.attempts, 4);
    assert_eq!(record.error.as_deref(), Some("exhausts: attempt 4 failed"));
    assert!(!record.permanent);
    assert_eq!(record.finished_at, Some(wall(start, attempts[3].at)));

    let alerts: Vec<Failure> = ALERTS
        .lock()
        .unwrap()
        .iter()
        .filter(|failure| failure.error().starts_with("exhausts:"))
        .cloned()
        .collect();
    assert_eq!(
        alerts.len(),
        1,
        "one alert, after the last attempt: {alerts:?}"
    );
    assert_eq!(alerts[0].job(), "enqueue_retries::flaky");
    assert_eq!(alerts[0].attempts(), 4);
    assert_eq!(alerts[0].run_id(), record.run_id.unwrap());
    assert_eq!(alerts[0].error(), "exhausts: attempt 4 failed");
    // The instant the job was due, not that of its last retry.
    assert_eq!(alerts[0].scheduled_at(), at(0));
    assert_eq!(record.scheduled_at, at(0));
}

/// Many jobs, so that the random delays show the jitter, the doubling and the cap: with 100 draws
/// per retry, a correct runtime fails these checks with a probability under 1e-9, and one without
/// jitter, doubling or cap passes them with a smaller one still.
#[tokio::test(start_paused = true)]
async fn retry_delays_double_with_full_jitter_up_to_backoff_max() {
    let log = Log::new();
    let (_, handle) = start(&log).await;
    let mut ids = Vec::new();
    for _ in 0..100 {
        let id = flaky::options()
            .handle(&handle)
            .enqueue(u32::MAX, "many".into())
            .await
            .unwrap();
        ids.push(id);
    }
    for &id in &ids {
        assert!(matches!(ended(&handle, id).await, JobState::Failed { .. }));
    }
    handle.shutdown().await;

    let mut by_job: HashMap<JobId, Vec<Attempt>> = HashMap::new();
    for attempt in log.attempts() {
        by_job
            .entry(attempt.job_id.unwrap())
            .or_default()
            .push(attempt);
    }
    assert_eq!(by_job.len(), 100);
    // delays[n] holds the delay before retry n + 1 of every job.
    let mut delays = vec![Vec::new(); 3];
    for attempts in by_job.values() {
        let numbers: Vec<u32> = attempts.iter().map(|attempt| attempt.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4]);
        for (retry, pair) in (1..).zip(attempts.windows(2)) {
            let delay = pair[1].at - pair[0].at;
            // Tokio's timer rounds a deadline up to the next millisecond.
            assert!(
                delay <= limit(retry) + Duration::from_millis(1),
                "retry {retry} waited {delay:?}, more than {:?}",
                limit(retry)
            );
            delays[usize::try_from(retry - 1).unwrap()].push(delay);
        }
    }
    let max = |retry: usize| delays[retry].iter().max().copied().unwrap();
    let min = |retry: usize| delays[retry].iter().min().copied().unwrap();
    // Full jitter: the first delay is spread over [0, 1s], not a constant.
    assert!(min(0) < Duration::from_millis(500), "{:?}", delays[0]);
    assert!(max(0) > Duration::from_millis(500), "{:?}", delays[0]);
    // Doubling: the second retry may wait up to 2s, and some wait longer than the first limit.
    assert!(max(1) > Duration::from_secs(1), "{:?}", delays[1]);
    // The cap: uncapped, the third delay would reach 4s; capped, it stays within 3s (checked
    // above) yet goes beyond 2s.
    assert!(max(2) > Duration::from_secs(2), "{:?}", delays[2]);
}
