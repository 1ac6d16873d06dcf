//! The same assertions against every store: memory always, SQLite and PostgreSQL with their
//! features (PostgreSQL on the server the integration tests use, in a database of its own).

use super::{Completion, Enqueued, JobId, NewJob, QueueStats, Store};
use chrono::{DateTime, TimeDelta, Timelike, Utc};
use std::sync::Arc;

/// Now, to the second: every store keeps it exactly.
fn now() -> DateTime<Utc> {
    Utc::now().with_nanosecond(0).unwrap()
}

fn job(id: u64, queue: &str, run_at: DateTime<Utc>, now: DateTime<Utc>) -> NewJob {
    NewJob {
        id: JobId(id),
        job: Arc::from(format!("{queue}_job")),
        queue: Arc::from(queue),
        priority: 0,
        payload: Arc::from("{}"),
        run_at,
        enqueued_at: now,
        unique: None,
    }
}

fn stats(
    queue: &str,
    pending: u64,
    scheduled: u64,
    running: u64,
    oldest_pending: Option<DateTime<Utc>>,
) -> QueueStats {
    QueueStats {
        queue: Arc::from(queue),
        pending,
        scheduled,
        running,
        oldest_pending,
    }
}

/// Claims up to `limit` jobs of `queue` at `at`, after writing `completed`; their ids.
async fn claim(
    store: &dyn Store,
    queue: &str,
    limit: usize,
    at: DateTime<Utc>,
    completed: Vec<(JobId, Completion)>,
) -> Vec<JobId> {
    let mut completed = completed;
    let claim = store.claim(queue, limit, at, &mut completed).await.unwrap();
    claim.jobs.iter().map(|job| job.id).collect()
}

async fn counts_jobs_by_queue_and_state(store: &dyn Store) {
    let now = now();
    let seconds = TimeDelta::seconds;
    store.serve(vec![Arc::from("email_job"), Arc::from("reports_job")]);
    assert_eq!(store.queues(now).await.unwrap(), []);
    for (id, queue, run_at) in [
        (1, "email", now - seconds(30)),
        (2, "email", now - seconds(10)),
        (3, "email", now + seconds(60)),
        (4, "reports", now - seconds(5)),
    ] {
        let enqueued = store.enqueue(job(id, queue, run_at, now)).await.unwrap();
        assert!(matches!(enqueued, Enqueued::New(_)), "{enqueued:?}");
    }
    assert_eq!(
        store.queues(now).await.unwrap(),
        [
            stats("email", 2, 1, 0, Some(now - seconds(30))),
            stats("reports", 1, 0, 0, Some(now - seconds(5))),
        ]
    );

    let [report] = claim(store, "reports", 1, now, Vec::new()).await[..] else {
        panic!("one report due")
    };
    let [first] = claim(store, "email", 1, now, Vec::new()).await[..] else {
        panic!("one email claimed")
    };
    assert_eq!(
        store.queues(now).await.unwrap(),
        [
            stats("email", 1, 1, 1, Some(now - seconds(10))),
            stats("reports", 0, 0, 1, None),
        ]
    );

    // The report ends; the first email fails, to be retried in 30 s.
    claim(
        store,
        "reports",
        0,
        now,
        vec![(report, Completion::Succeeded)],
    )
    .await;
    let failed = Completion::Failed {
        error: "refused".into(),
        retry_at: Some(now + seconds(30)),
    };
    claim(store, "email", 0, now, vec![(first, failed)]).await;
    assert_eq!(
        store.queues(now).await.unwrap(),
        [stats("email", 1, 2, 0, Some(now - seconds(10)))],
        "a queue with no job left is not listed; a retry waits for its backoff"
    );
    // Whose instant has come is pending, whether or not a claim has looked since.
    assert_eq!(
        store.queues(now + seconds(45)).await.unwrap(),
        [stats("email", 2, 1, 0, Some(now - seconds(10)))],
    );
    let second = claim(store, "email", 1, now + seconds(45), Vec::new()).await;
    assert_eq!(second.len(), 1);
    assert_eq!(
        store.queues(now + seconds(45)).await.unwrap(),
        [stats("email", 1, 1, 1, Some(now + seconds(30)))],
        "the retry has waited since its backoff ended, not since it was first due"
    );
    assert_eq!(
        store.queues(now + seconds(60)).await.unwrap(),
        [stats("email", 2, 0, 1, Some(now + seconds(30)))],
        "a job due at the instant asked is pending"
    );
}

/// A job claimed ahead of its start and released at shutdown waits again, as if never claimed:
/// its next claim is its first attempt.
async fn a_released_job_waits_again(store: &dyn Store) {
    let now = now();
    store.serve(vec![Arc::from("ahead_job")]);
    let Enqueued::New(id) = store.enqueue(job(11, "ahead", now, now)).await.unwrap() else {
        panic!("a new job")
    };
    assert_eq!(claim(store, "ahead", 1, now, Vec::new()).await, [id]);
    claim(store, "ahead", 0, now, vec![(id, Completion::Released)]).await;
    let queues = store.queues(now).await.unwrap();
    let ahead: Vec<_> = queues.iter().filter(|q| &*q.queue == "ahead").collect();
    assert_eq!(ahead, [&stats("ahead", 1, 0, 0, Some(now))]);
    let mut ended = Vec::new();
    let again = store.claim("ahead", 1, now, &mut ended).await.unwrap();
    let attempts: Vec<_> = again.jobs.iter().map(|job| (job.id, job.attempt)).collect();
    assert_eq!(attempts, [(id, 1)]);
}

#[tokio::test]
async fn in_memory() {
    counts_jobs_by_queue_and_state(&super::MemoryStore::new(100, 100)).await;
    a_released_job_waits_again(&super::MemoryStore::new(100, 100)).await;
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn options() -> super::StoreOptions {
    super::StoreOptions {
        lease: std::time::Duration::from_secs(10),
        poll: std::time::Duration::from_secs(1),
        retention: std::time::Duration::from_secs(3600),
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[path = "../../../tests/support/db.rs"]
mod db;

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn in_sqlite() {
    let dir = db::TempDir::new("store-queues");
    let url = super::StoreUrl::Sqlite(format!("sqlite://{}", dir.0.join("jobs.db").display()));
    let store = super::open(&url, options(), || unreachable!())
        .await
        .unwrap();
    counts_jobs_by_queue_and_state(&*store).await;
    a_released_job_waits_again(&*store).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn in_postgres() {
    let Some(database) = db::Database::create("store_queues") else {
        return;
    };
    let url = super::StoreUrl::Postgres(database.url.clone());
    let store = super::open(&url, options(), || unreachable!())
        .await
        .unwrap();
    counts_jobs_by_queue_and_state(&*store).await;
    a_released_job_waits_again(&*store).await;
}
