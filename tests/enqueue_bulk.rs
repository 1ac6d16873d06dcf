//! `enqueue_many`: one call stores many jobs, all or none, and answers their ids in the order of
//! the items; the same on every store (memory, SQLite, PostgreSQL).

#[path = "support/db.rs"]
mod db;

use db::{Database, TempDir};
use jobs_runtime::{job, Error, Handle, JobId, JobState, Runtime};
use std::time::{Duration, Instant};

#[job(queue = "bulk")]
async fn single(n: u64) {
    let _ = n;
}

#[job(queue = "bulk")]
async fn pair(n: u32, name: String) {
    let _ = (n, name);
}

async fn start(url: &str) -> Handle {
    Runtime::builder()
        .only(["single", "pair"])
        .store(url)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

async fn wait_for_all(handle: &Handle, ids: &[JobId]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    for &id in ids {
        while handle.job_state(id).await.unwrap() != JobState::Succeeded {
            assert!(Instant::now() < deadline, "job {id} never succeeded");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// The payload each id's run recorded.
fn payloads(handle: &Handle, job: &str, ids: &[JobId]) -> Vec<String> {
    let history = handle.history(job);
    ids.iter()
        .map(|id| {
            let record = history.iter().find(|record| record.job_id == Some(*id));
            record
                .and_then(|record| record.payload.as_deref())
                .unwrap_or_else(|| panic!("no run of job {id} in {history:?}"))
                .to_owned()
        })
        .collect()
}

async fn stores_in_order_and_runs_each(url: &str) {
    let handle = start(url).await;
    let ids = single::options()
        .handle(&handle)
        .enqueue_many(0..50)
        .await
        .unwrap();
    assert_eq!(ids.len(), 50);
    let pairs = pair::options()
        .handle(&handle)
        .enqueue_many([(1, "one".to_owned()), (2, "two".to_owned())])
        .await
        .unwrap();
    wait_for_all(&handle, &ids).await;
    wait_for_all(&handle, &pairs).await;
    let expected: Vec<String> = (0..50).map(|n| format!(r#"{{"n":{n}}}"#)).collect();
    assert_eq!(
        payloads(&handle, "single", &ids),
        expected,
        "{url}: ids follow the items"
    );
    assert_eq!(
        payloads(&handle, "pair", &pairs),
        [r#"{"n":1,"name":"one"}"#, r#"{"n":2,"name":"two"}"#]
    );

    // A unique key folds the batch into its first job.
    let unique = single::options()
        .handle(&handle)
        .delay(Duration::from_secs(3600))
        .unique("once")
        .enqueue_many(0..3)
        .await
        .unwrap();
    assert_eq!(unique, [unique[0]; 3], "{url}");
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory() {
    stores_in_order_and_runs_each("memory://").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_sqlite() {
    let dir = TempDir::new("bulk-sqlite");
    stores_in_order_and_runs_each(&format!("sqlite://{}", dir.0.join("jobs.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_postgres() {
    let Some(database) = Database::create("bulk") else {
        return;
    };
    stores_in_order_and_runs_each(&database.url).await;
}

#[tokio::test]
async fn a_batch_that_does_not_fit_is_refused_whole() {
    let handle = Runtime::builder()
        .only(["single"])
        .max_pending(5)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let later = single::options()
        .handle(&handle)
        .delay(Duration::from_secs(3600));
    let refused = later.enqueue_many(0..6).await.unwrap_err();
    assert!(matches!(refused, Error::Full { limit: 5 }), "{refused:?}");
    let fits = single::options()
        .handle(&handle)
        .delay(Duration::from_secs(3600))
        .enqueue_many(0..5)
        .await
        .unwrap();
    assert_eq!(fits.len(), 5, "nothing of the refused batch took room");
    handle.shutdown().await;
}
