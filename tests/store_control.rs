//! Pause, resume and reschedule made through one process's handle are followed by every
//! process on the same store, and survive restarts; at startup, the store's jobs are reconciled
//! with the code (added, changed in code, overridden at run time, stored only).
//!
//! Runtimes in one test process stand for processes: each has its own scheduler, store
//! connection and poll, on one SQLite file.

#[path = "support/db.rs"]
mod db;

use chrono::{DateTime, Utc};
use db::{Database, TempDir};
use jobs_runtime::{Handle, Job, JobContext, Reconciliation, Runtime, Schedule};
use std::time::{Duration, Instant};

fn job(name: &str, schedule: &str) -> Job {
    Job::new(
        name,
        Schedule::parse(schedule).unwrap(),
        |_: JobContext| async {},
    )
}

async fn start(url: &str, jobs: Vec<Job>) -> Handle {
    let mut builder = Runtime::builder()
        .without_registered_jobs()
        .store(url)
        .poll_interval(Duration::from_millis(50));
    for job in jobs {
        builder = builder.job(job);
    }
    builder.build().unwrap().start().await.unwrap()
}

/// The job's (paused, schedule) as `handle` sees it.
async fn status(handle: &Handle, name: &str) -> (bool, String) {
    let jobs = handle.jobs().await.unwrap();
    let job = jobs.iter().find(|job| &*job.name == name).unwrap();
    (
        job.paused,
        job.schedule
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    )
}

/// Since when and by whom the job is paused, as `handle` sees it.
async fn pause(handle: &Handle, name: &str) -> (Option<DateTime<Utc>>, Option<String>) {
    let jobs = handle.jobs().await.unwrap();
    let job = jobs.iter().find(|job| &*job.name == name).unwrap();
    (
        job.paused_since,
        job.paused_by.as_deref().map(str::to_owned),
    )
}

async fn eventually(handle: &Handle, name: &str, wanted: (bool, &str)) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let seen = status(handle, name).await;
        if seen.0 == wanted.0 && seen.1 == wanted.1 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name}: {seen:?}, never {wanted:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn every_process_follows_a_change_made_in_one(url: &str) {
    let url = url.to_owned();
    let one = start(&url, vec![job("report", "0 0 * * * *")]).await;
    let two = start(&url, vec![job("report", "0 0 * * * *")]).await;

    one.pause("report").await.unwrap();
    eventually(&two, "report", (true, "0 0 * * * *")).await;
    // Every process says since when and by whom, as the one that paused it does.
    let paused = pause(&one, "report").await;
    assert_eq!(paused.1.as_deref(), Some("through `Handle::pause`"));
    assert_eq!(pause(&two, "report").await, paused);
    one.resume("report").await.unwrap();
    eventually(&two, "report", (false, "0 0 * * * *")).await;
    two.reschedule("report", Schedule::parse("0 30 * * * *").unwrap())
        .await
        .unwrap();
    eventually(&one, "report", (false, "0 30 * * * *")).await;
    one.pause("report").await.unwrap();
    let paused = pause(&one, "report").await;
    one.shutdown().await;
    two.shutdown().await;

    // A restart: the code still says `0 0 * * * *`, but the run-time reschedule stands and the
    // job stays paused.
    let three = start(&url, vec![job("report", "0 0 * * * *")]).await;
    assert_eq!(
        status(&three, "report").await,
        (true, "0 30 * * * *".to_owned())
    );
    let report = three.reconciliation();
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!(
        report[0].reconciliation,
        Reconciliation::Overridden {
            stored: "0 30 * * * *".to_owned(),
            code: "0 0 * * * *".to_owned()
        }
    );
    assert!(report[0].paused);
    assert_eq!(pause(&three, "report").await, paused);
    three.shutdown().await;
}

async fn startup_reports_added_changed_and_stored_only_jobs(url: &str) {
    let url = url.to_owned();
    let first = start(
        &url,
        vec![job("daily", "0 0 6 * * *"), job("retired", "0 0 7 * * *")],
    )
    .await;
    let added: Vec<_> = first
        .reconciliation()
        .into_iter()
        .map(|job| (job.name, job.reconciliation))
        .collect();
    assert_eq!(
        added,
        [
            ("daily".to_owned(), Reconciliation::Added),
            ("retired".to_owned(), Reconciliation::Added)
        ]
    );
    first.shutdown().await;

    // The next release moves `daily` to 07:00 and drops `retired`.
    let second = start(&url, vec![job("daily", "0 0 7 * * *")]).await;
    let report: Vec<_> = second
        .reconciliation()
        .into_iter()
        .map(|job| (job.name, job.schedule, job.reconciliation))
        .collect();
    assert_eq!(
        report,
        [
            (
                "daily".to_owned(),
                Some("0 0 7 * * *".to_owned()),
                Reconciliation::CodeChanged {
                    was: "0 0 6 * * *".to_owned()
                }
            ),
            (
                "retired".to_owned(),
                Some("0 0 7 * * *".to_owned()),
                Reconciliation::StoredOnly
            ),
        ]
    );
    assert_eq!(
        status(&second, "daily").await,
        (false, "0 0 7 * * *".to_owned())
    );
    assert!(
        second
            .jobs()
            .await
            .unwrap()
            .iter()
            .all(|job| &*job.name != "retired"),
        "a stored job that is not in code does not run"
    );
    second.shutdown().await;

    let third = start(&url, vec![job("daily", "0 0 7 * * *")]).await;
    let daily = &third.reconciliation()[0];
    assert_eq!(daily.reconciliation, Reconciliation::Unchanged);
    third.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_processes_follow_a_change_made_in_one() {
    let dir = TempDir::new("store-control");
    every_process_follows_a_change_made_in_one(&format!(
        "sqlite://{}",
        dir.0.join("jobs.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_processes_follow_a_change_made_in_one() {
    let Some(database) = Database::create("control") else {
        return;
    };
    every_process_follows_a_change_made_in_one(&database.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_startup_reports_added_changed_and_stored_only_jobs() {
    let dir = TempDir::new("store-reconcile");
    startup_reports_added_changed_and_stored_only_jobs(&format!(
        "sqlite://{}",
        dir.0.join("jobs.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_startup_reports_added_changed_and_stored_only_jobs() {
    let Some(database) = Database::create("reconcile") else {
        return;
    };
    startup_reports_added_changed_and_stored_only_jobs(&database.url).await;
}
