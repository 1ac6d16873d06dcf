//! Enqueueing inside the caller's own PostgreSQL transaction: the job exists if and only if the
//! transaction commits.

#[path = "support/db.rs"]
mod db;

use db::Database;
use jobs_runtime::{job, Error, JobState, Runtime};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static RAN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

#[job(queue = "welcome")]
async fn welcome(user: u32) {
    RAN.lock().unwrap().push(user);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_exists_if_and_only_if_its_transaction_commits() {
    let Some(database) = Database::create("transaction") else {
        return;
    };
    let handle = Runtime::builder()
        .only(["welcome"])
        .store(database.url.clone())
        // The commit announces the job: no poll needed.
        .poll_interval(Duration::from_secs(3600))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();

    let mut rolled_back = pool.begin().await.unwrap();
    let lost = welcome::options()
        .handle(&handle)
        .enqueue_in(&mut *rolled_back, 1)
        .await
        .unwrap();
    rolled_back.rollback().await.unwrap();

    let mut committed = pool.begin().await.unwrap();
    let kept = welcome::options()
        .handle(&handle)
        .enqueue_in(&mut *committed, 2)
        .await
        .unwrap();
    assert!(
        matches!(handle.job_state(kept).await, Err(Error::UnknownJobId(_))),
        "invisible until the transaction commits"
    );
    committed.commit().await.unwrap();

    let deadline = Instant::now() + Duration::from_secs(10);
    while handle.job_state(kept).await.unwrap() != JobState::Succeeded {
        assert!(Instant::now() < deadline, "the committed job never ran");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        matches!(handle.job_state(lost).await, Err(Error::UnknownJobId(_))),
        "the rolled-back job does not exist"
    );
    assert_eq!(*RAN.lock().unwrap(), [2]);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_runtime_in_memory_refuses_a_transactional_enqueue() {
    let Some(database) = Database::create("transaction_memory") else {
        return;
    };
    let handle = Runtime::builder()
        .only(["welcome"])
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let refused = welcome::options()
        .handle(&handle)
        .enqueue_in(&mut *tx, 3)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::NotTransactional { .. }),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("not PostgreSQL"), "{refused}");
    handle.shutdown().await;
}
