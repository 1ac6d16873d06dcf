//! A graceful shutdown releases the jobs it cancels at its timeout: another process runs them at
//! once, long before the dead process's lease would have expired.

#[path = "support/db.rs"]
mod db;

use db::{Database, TempDir};
use jobs_runtime::{Handle, Job, JobContext, JobState, Outcome, Runtime};
use std::future::Future;
use std::time::{Duration, Instant};

async fn start<F, Fut>(url: &str, run: F) -> Handle
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Runtime::builder()
        .without_registered_jobs()
        .job(Job::on_demand("slow", run))
        .store(url)
        // Far longer than the test: only the release can hand the job over.
        .lease(Duration::from_secs(60))
        .poll_interval(Duration::from_millis(50))
        .shutdown_timeout(Duration::from_millis(200))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

async fn released_at_shutdown(url: &str) {
    let stopping = start(url, |_| std::future::pending::<()>()).await;
    let id = stopping.enqueue("slow").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !matches!(
        stopping.job_state(id).await.unwrap(),
        JobState::Running { .. }
    ) {
        assert!(Instant::now() < deadline, "the job never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let taking_over = start(url, |_| async {}).await;
    let released = Instant::now();
    stopping.shutdown().await;
    let record = stopping.history("slow").pop().unwrap();
    assert_eq!(record.outcome, Outcome::Cancelled);
    assert!(
        record
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("released"),
        "{record:?}"
    );
    while taking_over.job_state(id).await.unwrap() != JobState::Succeeded {
        assert!(
            released.elapsed() < Duration::from_secs(10),
            "the released job did not run elsewhere"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let record = taking_over.history("slow").pop().unwrap();
    assert_eq!(
        record.attempts, 1,
        "the attempt the shutdown interrupted does not count"
    );
    taking_over.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_sqlite() {
    let dir = TempDir::new("store-release");
    released_at_shutdown(&format!("sqlite://{}", dir.0.join("jobs.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_postgres() {
    let Some(database) = Database::create("release") else {
        return;
    };
    released_at_shutdown(&database.url).await;
}
