//! `jobs_runtime::Permanent`: an error that retrying cannot fix. Returned as the job's error, boxed,
//! inside `anyhow` (with or without context) or as the source of the job's own error type, it
//! ends the job after the attempt that returned it, whatever retries remain: the record is failed
//! with `permanent` set and the wrapped error's text, and `on_failure` is called. An ordinary
//! error is still retried.
#![allow(
    clippy::unused_async,
    reason = "`#[job]` and `on_failure` take an `async fn`; these have nothing to await"
)]

mod support;

use anyhow::Context as _;
use jobs_runtime::{job, Failure, Handle, JobState, Outcome, Permanent, RunRecord};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;
use support::{at, ended};

/// What `on_failure` was given, by every test of this file; each test runs other jobs, and tells
/// its own apart by job and run (run ids count from 1 in each runtime).
static ALERTS: Mutex<Vec<Failure>> = Mutex::new(Vec::new());

async fn alert(failure: Failure) {
    ALERTS.lock().unwrap().push(failure);
}

/// A payment provider's answer that no retry changes.
#[derive(Debug)]
struct CardDeclined;

impl fmt::Display for CardDeclined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("card declined")
    }
}

impl std::error::Error for CardDeclined {}

/// The job's own error type, with the permanent error as its source.
#[derive(Debug)]
struct ChargeError(Permanent);

impl fmt::Display for ChargeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("charge failed")
    }
}

impl std::error::Error for ChargeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[job(retries = 3, on_failure = "alert")]
async fn direct() -> Result<(), Permanent> {
    Err(Permanent::new(CardDeclined))
}

#[job(retries = 3, on_failure = "alert")]
async fn boxed() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    Err(Box::new(Permanent::new(CardDeclined)))
}

#[job(retries = 3, on_failure = "alert")]
async fn in_anyhow() -> anyhow::Result<()> {
    Err(Permanent::new(CardDeclined).into())
}

#[job(retries = 3, on_failure = "alert")]
async fn in_anyhow_with_context() -> anyhow::Result<()> {
    Err(Permanent::new(CardDeclined)).context("charging order 7")
}

#[job(retries = 3, on_failure = "alert")]
async fn as_a_source() -> Result<(), ChargeError> {
    Err(ChargeError(Permanent::new(CardDeclined)))
}

/// The control case: an ordinary error.
#[job(retries = 3, backoff = "1s", on_failure = "alert")]
async fn ordinary() -> Result<(), CardDeclined> {
    Err(CardDeclined)
}

/// A scheduled job: first tick at `at(10)`.
#[job(every = "10s", retries = 3, backoff = "1s", on_failure = "alert")]
async fn scheduled() -> anyhow::Result<()> {
    Err(Permanent::new(CardDeclined)).context("nightly charge")
}

async fn start(jobs: &[&str]) -> Handle {
    support::simulated_with_jobs()
        .only(jobs.iter().copied())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

/// The alerts of the run `record` is about.
fn alerts_for(record: &RunRecord) -> Vec<Failure> {
    let run_id = record.run_id.expect("a run has an id");
    ALERTS
        .lock()
        .unwrap()
        .iter()
        .filter(|failure| failure.job() == &*record.job && failure.run_id() == run_id)
        .cloned()
        .collect()
}

/// Enqueues `job`, lets a minute pass (time enough for three retries of up to 1s, 2s and 4s), and
/// checks that it failed once and for good with `error`.
async fn ends_permanently_after_one_attempt(job: &str, error: &str) {
    let handle = start(&[job]).await;
    let id = match job {
        "direct" => direct::options().handle(&handle).enqueue().await,
        "boxed" => boxed::options().handle(&handle).enqueue().await,
        "in_anyhow" => in_anyhow::options().handle(&handle).enqueue().await,
        "in_anyhow_with_context" => {
            in_anyhow_with_context::options()
                .handle(&handle)
                .enqueue()
                .await
        }
        "as_a_source" => as_a_source::options().handle(&handle).enqueue().await,
        _ => unreachable!("no job {job}"),
    }
    .unwrap();
    assert_eq!(
        ended(&handle, id).await,
        JobState::Failed {
            error: error.to_owned()
        }
    );
    tokio::time::sleep(Duration::from_secs(60)).await;
    handle.shutdown().await;

    let history = handle.history(job);
    assert_eq!(history.len(), 1, "{history:?}");
    let record = &history[0];
    assert_eq!(record.job_id, Some(id));
    assert_eq!(record.outcome, Outcome::Failed);
    assert_eq!(
        record.attempts, 1,
        "retries remained, but a permanent error ends the job"
    );
    assert!(record.permanent, "{record:?}");
    assert_eq!(record.error.as_deref(), Some(error));

    let alerts = alerts_for(record);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].attempts(), 1);
    assert_eq!(alerts[0].error(), error);
}

#[tokio::test(start_paused = true)]
async fn a_permanent_error_returned_as_is_is_not_retried() {
    ends_permanently_after_one_attempt("direct", "card declined").await;
}

#[tokio::test(start_paused = true)]
async fn a_boxed_permanent_error_is_not_retried() {
    ends_permanently_after_one_attempt("boxed", "card declined").await;
}

#[tokio::test(start_paused = true)]
async fn a_permanent_error_inside_anyhow_is_not_retried() {
    ends_permanently_after_one_attempt("in_anyhow", "card declined").await;
}

#[tokio::test(start_paused = true)]
async fn a_permanent_error_under_anyhow_context_is_not_retried() {
    ends_permanently_after_one_attempt("in_anyhow_with_context", "charging order 7: card declined")
        .await;
}

#[tokio::test(start_paused = true)]
async fn a_permanent_error_as_the_source_of_the_jobs_error_is_not_retried() {
    ends_permanently_after_one_attempt("as_a_source", "charge failed: card declined").await;
}

#[tokio::test(start_paused = true)]
async fn an_ordinary_error_is_retried() {
    let handle = start(&["ordinary"]).await;
    let id = ordinary::options().handle(&handle).enqueue().await.unwrap();
    assert_eq!(
        ended(&handle, id).await,
        JobState::Failed {
            error: "card declined".into()
        }
    );
    handle.shutdown().await;
    let record = &handle.history("ordinary")[0];
    assert_eq!((record.outcome, record.attempts), (Outcome::Failed, 4));
    assert!(!record.permanent);
    assert_eq!(alerts_for(record).len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_scheduled_job_with_a_permanent_error_is_not_retried() {
    let handle = start(&["scheduled"]).await;
    // The tick of 10s fails; retries would come within 1s, 2s and 4s, before the next tick.
    tokio::time::sleep(Duration::from_millis(19_500)).await;
    handle.shutdown().await;

    let history = handle.history("scheduled");
    assert_eq!(history.len(), 1, "{history:?}");
    let record = &history[0];
    assert_eq!(record.scheduled_at, at(10));
    assert_eq!(record.outcome, Outcome::Failed);
    assert_eq!(record.attempts, 1);
    assert!(record.permanent);
    assert_eq!(
        record.error.as_deref(),
        Some("nightly charge: card declined")
    );
    let alerts = alerts_for(record);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].attempts(), 1);
}
