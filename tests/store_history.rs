//! Run history in a durable store: every process's records, read by any process, also after a
//! restart; and pruned past the retention.

#[path = "support/db.rs"]
mod db;

use db::{Database, TempDir};
use jobs_runtime::{Handle, Job, JobContext, Outcome, Permanent, Runtime, Schedule};
use std::time::{Duration, Instant};

fn jobs() -> Vec<Job> {
    vec![
        Job::new(
            "beat",
            Schedule::parse("0 0 0 1 1 *").unwrap(),
            |_: JobContext| async {},
        ),
        Job::on_demand("refuse", |_: JobContext| async {
            Err::<(), _>(Permanent::new(std::io::Error::other("no such user")))
        }),
    ]
}

async fn start(url: &str, retention: Duration) -> Handle {
    let mut builder = Runtime::builder()
        .without_registered_jobs()
        .store(url)
        .history_retention(retention);
    for job in jobs() {
        builder = builder.job(job);
    }
    builder.build().unwrap().start().await.unwrap()
}

async fn records_in_a_store(url: &str) {
    let week = Duration::from_secs(7 * 24 * 3600);
    let first = start(url, week).await;
    for _ in 0..3 {
        first.trigger("beat").await.unwrap();
    }
    let id = first.enqueue("refuse").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while first.history("beat").len() < 3 || first.history("refuse").is_empty() {
        assert!(Instant::now() < deadline, "the runs never ended");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.shutdown().await;

    // Another process, later: the records are the store's.
    let second = start(url, week).await;
    let beats = second.stored_history("beat", 10).await.unwrap();
    assert_eq!(beats.len(), 3, "{beats:?}");
    assert!(beats.iter().all(|run| run.outcome == Outcome::Succeeded));
    let refused = second.stored_history("refuse", 10).await.unwrap();
    assert_eq!(refused.len(), 1, "{refused:?}");
    // Triggered runs are numbered apart from the database's job ids (and from other processes'
    // runs), which an enqueued job's run takes.
    for beat in &beats {
        let id = beat.run_id.unwrap().to_string();
        assert!(
            id.len() == 16 && id.starts_with(['4', '5', '6', '7']),
            "a run id apart from job ids: {id}"
        );
    }
    assert_eq!(
        refused[0].run_id.unwrap().to_string(),
        format!("{:08x}", id.get())
    );
    let run = &refused[0];
    assert_eq!(
        (run.outcome, run.permanent, run.job_id, run.attempts),
        (Outcome::Failed, true, Some(id), 1)
    );
    assert_eq!(run.error.as_deref(), Some("no such user"));
    assert_eq!(run.payload.as_deref(), Some("{}"));
    assert_eq!(
        second.stored_history("beat", 2).await.unwrap(),
        beats[1..],
        "the last ones, oldest first"
    );
    second.shutdown().await;

    // A retention of zero: everything that has ended goes, in the background: history and
    // ended jobs, by statements of their own, so either may go first.
    let third = start(url, Duration::ZERO).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !third.stored_history("beat", 10).await.unwrap().is_empty() {
        assert!(Instant::now() < deadline, "history was never pruned");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    while !matches!(
        third.job_state(id).await,
        Err(jobs_runtime::Error::UnknownJobId(_))
    ) {
        assert!(Instant::now() < deadline, "ended jobs were never pruned");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    third.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_sqlite() {
    let dir = TempDir::new("store-history");
    records_in_a_store(&format!("sqlite://{}", dir.0.join("jobs.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_postgres() {
    let Some(database) = Database::create("history") else {
        return;
    };
    records_in_a_store(&database.url).await;
}
