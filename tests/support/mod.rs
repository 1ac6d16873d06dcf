//! What the scenario tests share. Each test file is its own binary and includes this module.
#![allow(
    dead_code,
    reason = "each test binary uses its own part of this module"
)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use jobs_runtime::{Builder, Clock, Handle, JobId, JobState, Runtime};
use std::time::Duration;

/// `seconds` after the simulated start, 2026-01-01T00:00:00Z.
pub(crate) fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + TimeDelta::seconds(seconds)
}

/// A runtime without the file's `#[job]` functions whose wall clock reads [`at`]`(0)` when it
/// starts and then follows tokio's (paused) time.
pub(crate) fn simulated() -> Builder {
    Runtime::builder()
        .without_registered_jobs()
        .clock(Clock::starting_at(at(0)))
}

/// As [`simulated`], with the file's `#[job]` functions (pick them with `only`).
pub(crate) fn simulated_with_jobs() -> Builder {
    Runtime::builder().clock(Clock::starting_at(at(0)))
}

/// Where `async fn <name>()` is defined in a test file, as the runtime writes locations:
/// `file:line:column` of the function's name. Read from the file's `source` so that editing the
/// file cannot break its test.
pub(crate) fn location_of(source: &str, file: &str, name: &str) -> String {
    let needle = format!("async fn {name}()");
    let (index, line) = source
        .lines()
        .enumerate()
        .find(|(_, line)| line.trim_start().starts_with(&needle))
        .unwrap_or_else(|| panic!("no `{needle}` in {file}"));
    let column = line.find(name).unwrap() + 1;
    format!("{file}:{}:{column}", index + 1)
}

/// Waits until the enqueued job has ended, and returns how: up to a simulated hour on paused
/// time, or up to a minute on real time.
pub(crate) async fn ended(handle: &Handle, id: JobId) -> JobState {
    for _ in 0..360_000 {
        let state = handle.job_state(id).await.unwrap();
        if matches!(
            state,
            JobState::Succeeded | JobState::Failed { .. } | JobState::Cancelled
        ) {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {id} did not end");
}

/// Waits, without letting time pass, until the enqueued job's failed attempt has gone back to
/// the store to wait for its retry; returns the retry's instant.
pub(crate) async fn waiting_for_retry(handle: &Handle, id: JobId) -> DateTime<Utc> {
    for _ in 0..10_000 {
        match handle.job_state(id).await.unwrap() {
            JobState::Scheduled(retry_at) => return retry_at,
            JobState::Pending | JobState::Running { .. } => tokio::task::yield_now().await,
            state => panic!("job {id} should wait for its retry, but is {state:?}"),
        }
    }
    panic!("job {id} never came to wait for its retry");
}

/// Where test jobs wait until the test lets them through: a given number with
/// [`Gate::let_through`], or every one, now and later, with [`Gate::open`].
///
/// Jobs take it as `State<Arc<Gate>>`, and the test keeps a clone of the `Arc`.
pub(crate) struct Gate {
    /// How many jobs have arrived at the gate, waiting or let through.
    arrived: tokio::sync::watch::Sender<usize>,
    permits: tokio::sync::Semaphore,
}

impl Gate {
    pub(crate) fn new() -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            arrived: tokio::sync::watch::Sender::new(0),
            permits: tokio::sync::Semaphore::new(0),
        })
    }

    /// Waits until the test lets this job through.
    pub(crate) async fn pass(&self) {
        self.arrived.send_modify(|arrived| *arrived += 1);
        // A closed semaphore is an open gate.
        if let Ok(permit) = self.permits.acquire().await {
            permit.forget();
        }
    }

    /// Lets `jobs` more jobs through, waiting or still to come.
    pub(crate) fn let_through(&self, jobs: usize) {
        self.permits.add_permits(jobs);
    }

    /// Lets every job through, now and later.
    pub(crate) fn open(&self) {
        self.permits.close();
    }

    /// Waits until `jobs` jobs in all have arrived at the gate: up to a simulated hour on paused
    /// time (the clock moves on meanwhile only if nothing else can happen first), so that a job
    /// that never comes fails the test instead of hanging it.
    pub(crate) async fn arrivals(&self, jobs: usize) {
        let mut arrived = self.arrived.subscribe();
        let arrivals = async {
            arrived
                .wait_for(|&arrived| arrived >= jobs)
                .await
                .map(drop)
                .expect("the gate lives as long as this borrow");
        };
        let waited = tokio::time::timeout(Duration::from_secs(3600), arrivals).await;
        assert!(
            waited.is_ok(),
            "{jobs} jobs should have come to the gate, but {} did",
            self.arrived()
        );
    }

    /// How many jobs have arrived at the gate so far.
    pub(crate) fn arrived(&self) -> usize {
        *self.arrived.borrow()
    }
}
