//! `on_failure`: called once after the final failed attempt of a run, with the job, run, attempts,
//! scheduled instant and last error; never for a run that succeeds, even after retries.
#![allow(
    clippy::unused_async,
    reason = "`#[job]` and `on_failure` take an `async fn`; these test jobs have nothing to await"
)]

use jobs_runtime::{job, Clock, Failure, Job, JobContext, Outcome, RunId, Runtime};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

mod support;
use support::at;

/// What the `#[job]` handler saw: it is a plain `async fn`, so it reports through a static.
static ALERTS: Mutex<Vec<(Failure, Instant)>> = Mutex::new(Vec::new());

async fn alert(failure: Failure) {
    ALERTS.lock().unwrap().push((failure, Instant::now()));
}

#[job(retries = 2, backoff = "1s", on_failure = "alert")]
async fn always_fails(ctx: JobContext) -> Result<(), std::io::Error> {
    Err(std::io::Error::other(format!(
        "disk full on attempt {}",
        ctx.attempt()
    )))
}

#[job(retries = 2, backoff = "1s", on_failure = "alert")]
async fn fails_once(ctx: JobContext) -> Result<(), std::io::Error> {
    if ctx.attempt() == 1 {
        return Err(std::io::Error::other("transient"));
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_handler_of_a_job_attribute_is_called_after_the_final_attempt_only() {
    let start = Instant::now();
    let handle = Runtime::builder()
        .only(["always_fails", "fails_once"])
        .clock(Clock::starting_at(at(0)))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();

    let failing: RunId = handle.trigger("on_failure::always_fails").await.unwrap();
    handle.trigger("on_failure::fails_once").await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;

    let alerts = ALERTS.lock().unwrap();
    assert_eq!(
        alerts.len(),
        1,
        "one alert, for the run that failed for good"
    );
    let (failure, alerted_at) = &alerts[0];
    assert_eq!(failure.job(), "on_failure::always_fails");
    assert_eq!(failure.run_id(), failing);
    assert_eq!(failure.attempts(), 3);
    assert_eq!(failure.scheduled_at(), at(0));
    assert_eq!(failure.error(), "disk full on attempt 3");

    // Called as the last attempt failed: at the instant that ends the run in its record.
    let record = &handle.history("on_failure::always_fails")[0];
    assert_eq!(record.outcome, Outcome::Failed);
    assert_eq!(record.error.as_deref(), Some(failure.error()));
    let run_length = (record.finished_at.unwrap() - at(0)).to_std().unwrap();
    assert_eq!(*alerted_at - start, run_length);

    let recovered = &handle.history("on_failure::fails_once")[0];
    assert_eq!(
        (recovered.outcome, recovered.attempts),
        (Outcome::Succeeded, 2)
    );
}

#[tokio::test(start_paused = true)]
async fn a_run_time_job_handler_sees_each_failed_run_and_a_failing_handler_changes_nothing() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let handle = support::simulated()
        .job(
            Job::on_demand("report", |_ctx: JobContext| async {
                Err::<(), _>("smtp refused")
            })
            .on_failure(move |failure: Failure| {
                let log = Arc::clone(&log);
                async move {
                    log.lock().unwrap().push((
                        failure.run_id(),
                        failure.attempts(),
                        failure.error().to_owned(),
                    ));
                    // An alerting bug must not turn into a scheduler bug.
                    panic!("the pager is down");
                }
            }),
        )
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();

    let first = handle.trigger("report").await.unwrap();
    let second = handle.trigger("report").await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;

    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        [
            (first, 1, "smtp refused".to_owned()),
            (second, 1, "smtp refused".to_owned())
        ]
    );
    let outcomes: Vec<_> = handle
        .history("report")
        .iter()
        .map(|r| (r.outcome, r.error.clone()))
        .collect();
    assert_eq!(
        outcomes,
        vec![(Outcome::Failed, Some("smtp refused".to_owned())); 2]
    );
    // The scheduler is still there.
    handle.trigger("report").await.unwrap();
}
