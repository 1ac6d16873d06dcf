//! The control API of a running runtime: pause, resume, trigger and reschedule, as the history
//! and `Handle::jobs` show them.

use chrono::{DateTime, Utc};
use jobs_runtime::{Error, Handle, Job, JobContext, Outcome, RunId, Runtime, Schedule, SkipReason};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

mod support;
use support::at;

fn every(seconds: u64) -> Schedule {
    Schedule::every(Duration::from_secs(seconds)).unwrap()
}

fn summary(handle: &Handle, job: &str) -> Vec<(DateTime<Utc>, Outcome)> {
    let mut history = handle.history(job);
    history.sort_by_key(|record| record.scheduled_at);
    history
        .iter()
        .map(|r| (r.scheduled_at, r.outcome))
        .collect()
}

async fn start(jobs: Vec<Job>) -> (Handle, Instant) {
    let mut builder = support::simulated();
    for job in jobs {
        builder = builder.job(job);
    }
    let start = Instant::now();
    (builder.build().unwrap().start().await.unwrap(), start)
}

#[tokio::test(start_paused = true)]
async fn a_paused_job_skips_its_ticks_until_resumed() {
    let (handle, start) = start(vec![Job::new(
        "tick",
        every(10),
        |_ctx: JobContext| async {},
    )])
    .await;

    tokio::time::sleep_until(start + Duration::from_secs(15)).await;
    handle.pause("tick").await.unwrap();
    let status = &handle.jobs().await.unwrap()[0];
    assert!(status.paused);
    assert_eq!(
        status.next_run,
        Some(at(20)),
        "a paused job keeps its schedule"
    );

    tokio::time::sleep_until(start + Duration::from_secs(35)).await;
    handle.resume("tick").await.unwrap();
    assert!(!handle.jobs().await.unwrap()[0].paused);
    tokio::time::sleep_until(start + Duration::from_secs(45)).await;

    assert_eq!(
        summary(&handle, "tick"),
        [
            (at(10), Outcome::Succeeded),
            (at(20), Outcome::Skipped(SkipReason::Paused)),
            (at(30), Outcome::Skipped(SkipReason::Paused)),
            (at(40), Outcome::Succeeded),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn trigger_runs_now_whatever_the_schedule_pause_or_overlap() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    // Scheduled every 10s, runs of 25s, default overlap `skip`.
    let job = Job::new("busy", every(10), move |ctx: JobContext| {
        log.lock().unwrap().push((ctx.run_id(), ctx.scheduled_at()));
        tokio::time::sleep(Duration::from_secs(25))
    });
    let (handle, start) = start(vec![job]).await;

    tokio::time::sleep_until(start + Duration::from_secs(12)).await;
    handle.pause("busy").await.unwrap();
    // Paused, and the run of 10s still running: a trigger starts a run anyway.
    let run_id: RunId = handle.trigger("busy").await.unwrap();
    assert_eq!(handle.jobs().await.unwrap()[0].running, 2);
    // Both runs are over by 37s; the next tick is at 40s.
    tokio::time::sleep_until(start + Duration::from_secs(38)).await;

    let history = handle.history("busy");
    let triggered = history
        .iter()
        .find(|record| record.run_id == Some(run_id))
        .expect("the triggered run is recorded under the id trigger returned");
    assert_eq!(triggered.outcome, Outcome::Succeeded);
    // A triggered run is scheduled for the instant it was triggered.
    assert_eq!(triggered.scheduled_at, at(12));
    assert_eq!(triggered.started_at, Some(at(12)));
    assert!(seen.lock().unwrap().contains(&(run_id, at(12))));
    assert_eq!(
        summary(&handle, "busy"),
        [
            (at(10), Outcome::Succeeded),
            (at(12), Outcome::Succeeded),
            (at(20), Outcome::Skipped(SkipReason::Paused)),
            (at(30), Outcome::Skipped(SkipReason::Paused)),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn reschedule_replaces_the_schedule_from_now_on() {
    let (handle, start) = start(vec![Job::new(
        "tick",
        every(10),
        |_ctx: JobContext| async {},
    )])
    .await;

    tokio::time::sleep_until(start + Duration::from_secs(25)).await;
    // Seconds 30 of every minute: the first instant after 00:00:25 is 00:00:30, then 00:01:30.
    let new_schedule = Schedule::parse("30 * * * * *").unwrap();
    handle
        .reschedule("tick", new_schedule.clone())
        .await
        .unwrap();
    let status = &handle.jobs().await.unwrap()[0];
    assert_eq!(status.schedule.as_ref(), Some(&new_schedule));
    assert_eq!(status.next_run, Some(at(30)));

    tokio::time::sleep_until(start + Duration::from_secs(95)).await;
    // The old schedule's ticks (30s, 40s, …, 90s) are gone: only the new one's remain.
    assert_eq!(
        summary(&handle, "tick"),
        [
            (at(10), Outcome::Succeeded),
            (at(20), Outcome::Succeeded),
            (at(30), Outcome::Succeeded),
            (at(90), Outcome::Succeeded),
        ]
    );
    assert_eq!(handle.jobs().await.unwrap()[0].next_run, Some(at(150)));
}

#[tokio::test(start_paused = true)]
async fn an_on_demand_job_runs_only_when_triggered() {
    let (handle, start) = start(vec![Job::on_demand("manual", |_ctx: JobContext| async {})]).await;
    let status = &handle.jobs().await.unwrap()[0];
    assert_eq!((status.schedule.as_ref(), status.next_run), (None, None));

    tokio::time::sleep_until(start + Duration::from_secs(3600)).await;
    assert!(handle.history("manual").is_empty());
    let first = handle.trigger("manual").await.unwrap();
    let second = handle.trigger("manual").await.unwrap();
    assert_ne!(first, second, "each trigger is a run of its own");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let runs: Vec<_> = handle
        .history("manual")
        .iter()
        .map(|r| (r.run_id, r.outcome))
        .collect();
    assert_eq!(
        runs,
        [
            (Some(first), Outcome::Succeeded),
            (Some(second), Outcome::Succeeded)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn commands_about_an_unknown_job_fail_with_its_name() {
    let (handle, _) = start(vec![Job::on_demand("known", |_ctx: JobContext| async {})]).await;
    let unknown = |result: Result<(), Error>| matches!(result, Err(Error::UnknownJob(name)) if name == "nope");

    assert!(matches!(
        handle.trigger("nope").await,
        Err(Error::UnknownJob(name)) if name == "nope"
    ));
    assert!(unknown(handle.pause("nope").await));
    assert!(unknown(handle.resume("nope").await));
    assert!(unknown(handle.reschedule("nope", every(10)).await));
    assert!(unknown(handle.remove_job("nope").await));
}

/// Commands and history take a job's full name or the last parts of it, as long as only one job's
/// name ends so.
#[tokio::test(start_paused = true)]
async fn jobs_are_named_in_full_or_by_an_unambiguous_suffix() {
    let on_demand = |name: &str| Job::on_demand(name, |_ctx: JobContext| async {});
    let handle = Runtime::builder()
        .without_registered_jobs()
        .job(on_demand("billing::jobs::cleanup"))
        .job(on_demand("search::jobs::cleanup"))
        .job(on_demand("search::jobs::reindex"))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    handle.trigger("reindex").await.unwrap();
    handle.trigger("search::jobs::cleanup").await.unwrap();
    handle.trigger("billing::jobs::cleanup").await.unwrap();
    match handle.trigger("cleanup").await {
        Err(Error::AmbiguousJob { name, matches }) => {
            assert_eq!(name, "cleanup");
            assert_eq!(matches, ["billing::jobs::cleanup", "search::jobs::cleanup"]);
        }
        other => panic!("expected AmbiguousJob, got {other:?}"),
    }
    assert!(matches!(
        handle.trigger("index").await,
        Err(Error::UnknownJob(_))
    ));
    handle.shutdown().await;
    assert_eq!(handle.history("jobs::reindex").len(), 1);
    assert_eq!(handle.history("billing::jobs::cleanup").len(), 1);
    assert!(handle.history("cleanup").is_empty(), "ambiguous");
}
