//! A `#[job]` that takes a `State<T>` the builder was not given is a startup error naming the job
//! and `T`, never a failure at its first run; given the state, the job runs with it.
#![allow(
    clippy::unused_async,
    reason = "`#[job]` and `on_failure` take an `async fn`; these test jobs have nothing to await"
)]

use chrono::{TimeZone, Utc};
use jobs_runtime::{job, Clock, Error, JobContext, Outcome, Runtime, State};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Holds an `Arc` so that the test keeps a view of the value it gives to the builder.
struct Counter(Arc<AtomicU32>);

struct Config {
    step: u32,
}

#[job(every = "1m")]
async fn count(counter: State<Counter>) {
    counter.0.fetch_add(1, Ordering::SeqCst);
}

#[job(every = "1m")]
async fn count_by_step(ctx: JobContext, counter: State<Counter>, config: State<Config>) {
    assert_eq!(ctx.name(), "missing_state::count_by_step");
    counter.0.fetch_add(config.step, Ordering::SeqCst);
}

#[test]
fn a_missing_state_fails_the_build_naming_the_job_and_the_type() {
    let error = Runtime::builder().only(["count"]).build().unwrap_err();
    let Error::MissingState { job, type_name } = &error else {
        panic!("expected MissingState, got {error:?}");
    };
    assert_eq!(job, "missing_state::count");
    assert_eq!(*type_name, std::any::type_name::<Counter>());
    let message = error.to_string();
    assert!(
        message.contains("missing_state::count") && message.contains(type_name),
        "{message}"
    );
}

#[test]
fn the_error_names_the_state_that_is_missing_not_one_that_was_given() {
    let error = Runtime::builder()
        .only(["count_by_step"])
        .state(Counter(Arc::default()))
        .build()
        .unwrap_err();
    let Error::MissingState { job, type_name } = &error else {
        panic!("expected MissingState, got {error:?}");
    };
    assert_eq!(job, "missing_state::count_by_step");
    assert_eq!(*type_name, std::any::type_name::<Config>());
}

#[test]
fn only_the_jobs_that_run_need_their_states() {
    let runtime = Runtime::builder()
        .exclude(["count", "count_by_step"])
        .build();
    assert!(runtime.is_ok(), "{runtime:?}");
}

#[tokio::test(start_paused = true)]
async fn with_its_states_the_job_runs_and_sees_them() {
    let count = Arc::new(AtomicU32::new(0));
    let handle = Runtime::builder()
        .state(Counter(Arc::clone(&count)))
        .state(Config { step: 10 })
        .clock(Clock::starting_at(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 30).unwrap(),
        ))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();

    // Ticks at 00:01:00 and 00:02:00 for each job.
    tokio::time::sleep(Duration::from_secs(150)).await;
    handle.shutdown().await;

    for job in ["missing_state::count", "missing_state::count_by_step"] {
        let outcomes: Vec<_> = handle.history(job).iter().map(|r| r.outcome).collect();
        assert_eq!(outcomes, [Outcome::Succeeded; 2], "{job}");
    }
    // Both jobs shared the one `Counter`; `count_by_step` also saw the `Config`.
    assert_eq!(count.load(Ordering::SeqCst), 2 + 2 * 10);
}
