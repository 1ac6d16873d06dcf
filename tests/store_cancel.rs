//! Cancelling an enqueued job in a durable store: a waiting one never runs; one running in
//! another process is stopped there (its heartbeat sees the request), and recorded as cancelled.

#[path = "support/db.rs"]
mod db;

use db::{Database, TempDir};
use jobs_runtime::{Handle, Job, JobContext, JobState, Runtime};
use std::time::{Duration, Instant};

async fn start(url: &str) -> Handle {
    Runtime::builder()
        .without_registered_jobs()
        .job(
            Job::on_demand("forever", |_: JobContext| std::future::pending::<()>())
                .queue("forever"),
        )
        .queue("forever", 1)
        .store(url)
        .lease(Duration::from_millis(900))
        .poll_interval(Duration::from_millis(50))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

async fn until(handle: &Handle, id: jobs_runtime::JobId, done: impl Fn(&JobState) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let state = handle.job_state(id).await.unwrap();
        if done(&state) {
            return;
        }
        assert!(Instant::now() < deadline, "job {id} stayed {state:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn cancels(url: &str) {
    let runner = start(url).await;
    let later = runner.enqueue("forever").await.unwrap();
    until(&runner, later, |state| {
        matches!(state, JobState::Running { .. })
    })
    .await;
    // The queue runs one at a time: this one waits, and is cancelled while it does.
    let waiting = runner.enqueue("forever").await.unwrap();
    assert_eq!(runner.job_state(waiting).await.unwrap(), JobState::Pending);
    runner.cancel(waiting).await.unwrap();
    assert_eq!(
        runner.job_state(waiting).await.unwrap(),
        JobState::Cancelled
    );
    // Another process cancels the job that `runner` runs.
    let other = start(url).await;
    other.cancel(later).await.unwrap();
    until(&other, later, |state| *state == JobState::Cancelled).await;
    // The queue is free now: the cancelled job still never runs.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        runner.job_state(waiting).await.unwrap(),
        JobState::Cancelled
    );
    assert_eq!(
        runner.history("forever").len(),
        2,
        "the run cancelled elsewhere, and the waiting one"
    );
    let history = runner.history("forever");
    let record = history
        .iter()
        .find(|record| record.job_id == Some(later))
        .unwrap();
    assert!(
        record
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("another process"),
        "{record:?}"
    );
    runner.shutdown().await;
    other.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_sqlite() {
    let dir = TempDir::new("store-cancel");
    cancels(&format!("sqlite://{}", dir.0.join("jobs.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_postgres() {
    let Some(database) = Database::create("cancel") else {
        return;
    };
    cancels(&database.url).await;
}
