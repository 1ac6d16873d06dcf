//! Jobs defined at run time: added to the builder or to a running runtime, removed while it
//! runs, and refused when their name is taken.

use chrono::{DateTime, Utc};
use jobs_runtime::{Error, Handle, Job, JobContext, Outcome, Runtime, Schedule};
use std::time::Duration;
use tokio::time::Instant;

mod support;
use support::at;

fn every_10s(name: &str, run_for: Duration) -> Job {
    Job::new(
        name,
        Schedule::every(Duration::from_secs(10)).unwrap(),
        move |_ctx: JobContext| tokio::time::sleep(run_for),
    )
}

fn summary(handle: &Handle, job: &str) -> Vec<(DateTime<Utc>, Outcome)> {
    handle
        .history(job)
        .iter()
        .map(|r| (r.scheduled_at, r.outcome))
        .collect()
}

async fn start_empty() -> (Handle, Instant) {
    let start = Instant::now();
    let handle = support::simulated()
        .shutdown_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    (handle, start)
}

#[tokio::test(start_paused = true)]
async fn a_job_added_at_run_time_is_scheduled_until_removed() {
    let (handle, start) = start_empty().await;
    assert!(handle.jobs().await.unwrap().is_empty());

    tokio::time::sleep_until(start + Duration::from_secs(5)).await;
    handle
        .add_job(every_10s("added", Duration::ZERO))
        .await
        .unwrap();
    let jobs = handle.jobs().await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(&*jobs[0].name, "added");
    assert_eq!(jobs[0].next_run, Some(at(10)));

    tokio::time::sleep_until(start + Duration::from_secs(25)).await;
    handle.remove_job("added").await.unwrap();
    assert!(handle.jobs().await.unwrap().is_empty());
    assert!(matches!(
        handle.trigger("added").await,
        Err(Error::UnknownJob(name)) if name == "added"
    ));

    tokio::time::sleep_until(start + Duration::from_secs(45)).await;
    // No ticks after the removal; the history of its runs stays.
    assert_eq!(
        summary(&handle, "added"),
        [(at(10), Outcome::Succeeded), (at(20), Outcome::Succeeded)]
    );

    // The name is free again; the new job starts from its own first tick.
    handle
        .add_job(every_10s("added", Duration::ZERO))
        .await
        .unwrap();
    tokio::time::sleep_until(start + Duration::from_secs(55)).await;
    assert_eq!(
        summary(&handle, "added"),
        [
            (at(10), Outcome::Succeeded),
            (at(20), Outcome::Succeeded),
            (at(50), Outcome::Succeeded)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn an_on_demand_job_added_at_run_time_can_be_triggered() {
    let (handle, _) = start_empty().await;
    handle
        .add_job(Job::on_demand("later", |_ctx: JobContext| async {}))
        .await
        .unwrap();
    let run_id = handle.trigger("later").await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let history = handle.history("later");
    assert_eq!(
        history
            .iter()
            .map(|r| (r.run_id, r.outcome))
            .collect::<Vec<_>>(),
        [(Some(run_id), Outcome::Succeeded)]
    );
}

#[tokio::test(start_paused = true)]
async fn adding_a_job_whose_name_is_taken_fails_and_keeps_the_first() {
    let (handle, start) = start_empty().await;
    handle
        .add_job(every_10s("taken", Duration::ZERO))
        .await
        .unwrap();

    let error = handle
        .add_job(Job::on_demand("taken", |_ctx: JobContext| async {}))
        .await
        .unwrap_err();
    let Error::DuplicateJob {
        name,
        first,
        second,
    } = &error
    else {
        panic!("expected DuplicateJob, got {error:?}");
    };
    assert_eq!(name, "taken");
    assert_eq!(
        (first.as_str(), second.as_str()),
        ("added at run time", "added at run time")
    );

    // The first job is untouched: still scheduled, still running its ticks.
    tokio::time::sleep_until(start + Duration::from_secs(15)).await;
    let jobs = handle.jobs().await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].schedule.is_some());
    assert_eq!(summary(&handle, "taken"), [(at(10), Outcome::Succeeded)]);
}

#[test]
fn two_builder_jobs_with_one_name_fail_the_build() {
    let error = Runtime::builder()
        .without_registered_jobs()
        .job(every_10s("twin", Duration::ZERO))
        .job(Job::on_demand("twin", |_ctx: JobContext| async {}))
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, Error::DuplicateJob { name, .. } if name == "twin"),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn removing_a_job_lets_its_running_run_finish() {
    let (handle, start) = start_empty().await;
    handle
        .add_job(every_10s("long", Duration::from_secs(15)))
        .await
        .unwrap();

    tokio::time::sleep_until(start + Duration::from_secs(12)).await;
    handle.remove_job("long").await.unwrap();
    tokio::time::sleep_until(start + Duration::from_secs(40)).await;

    let history = handle.history("long");
    assert_eq!(
        history
            .iter()
            .map(|r| (r.scheduled_at, r.outcome, r.finished_at))
            .collect::<Vec<_>>(),
        [(at(10), Outcome::Succeeded, Some(at(25)))]
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_the_run_of_a_removed_job_too() {
    let (handle, start) = start_empty().await;
    handle
        .add_job(every_10s("removed_while_running", Duration::from_secs(100)))
        .await
        .unwrap();

    tokio::time::sleep_until(start + Duration::from_secs(12)).await;
    handle.remove_job("removed_while_running").await.unwrap();
    tokio::time::sleep_until(start + Duration::from_secs(15)).await;
    handle.shutdown().await;

    // As for any running run: the 5s shutdown timeout, then cancellation, and the record is
    // written before `shutdown` returns.
    assert_eq!(Instant::now(), start + Duration::from_secs(20));
    assert_eq!(
        handle
            .history("removed_while_running")
            .iter()
            .map(|r| (r.scheduled_at, r.outcome, r.finished_at))
            .collect::<Vec<_>>(),
        [(at(10), Outcome::Cancelled, Some(at(20)))]
    );
}

#[tokio::test(start_paused = true)]
async fn a_job_removed_by_its_short_name_can_be_added_again() {
    let (handle, _) = start_empty().await;
    let job = || every_10s("reports::daily", Duration::ZERO);
    handle.add_job(job()).await.unwrap();
    handle.remove_job("daily").await.unwrap();
    let unknown = handle.trigger("daily").await.unwrap_err();
    assert!(matches!(unknown, Error::UnknownJob(_)), "{unknown}");
    handle.add_job(job()).await.unwrap();
    handle.trigger("daily").await.unwrap();
    handle.shutdown().await;
}
