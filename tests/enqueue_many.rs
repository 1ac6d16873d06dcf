//! 100 000 jobs enqueued from 4 tasks at once, on a multi-threaded runtime: each runs exactly
//! once, none is lost and none runs twice.

use jobs_runtime::{job, Runtime};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::Notify;

const JOBS: usize = 100_000;
const PRODUCERS: usize = 4;

/// How many times each job ran, by its payload.
static RUNS: OnceLock<Vec<AtomicU8>> = OnceLock::new();
static DONE: AtomicUsize = AtomicUsize::new(0);
static ALL_DONE: Notify = Notify::const_new();

#[job(queue = "many")]
async fn count(n: usize) {
    RUNS.get().unwrap()[n].fetch_add(1, Ordering::SeqCst);
    if DONE.fetch_add(1, Ordering::SeqCst) + 1 == JOBS {
        ALL_DONE.notify_one();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_enqueued_from_four_tasks_runs_exactly_once() {
    RUNS.get_or_init(|| (0..JOBS).map(|_| AtomicU8::new(0)).collect());
    let handle = Runtime::builder()
        .queue("many", 8)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let handle = Arc::new(handle);
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|producer| {
            let handle = Arc::clone(&handle);
            tokio::spawn(async move {
                for n in (producer..JOBS).step_by(PRODUCERS) {
                    count::options().handle(&handle).enqueue(n).await.unwrap();
                }
            })
        })
        .collect();
    for producer in producers {
        producer.await.unwrap();
    }
    // A generous bound: the run takes well under a second; this only stops a hung test.
    tokio::time::timeout(Duration::from_secs(120), ALL_DONE.notified())
        .await
        .expect("every job ran within two minutes");
    handle.shutdown().await;
    let runs = RUNS.get().unwrap();
    let wrong: Vec<(usize, u8)> = runs
        .iter()
        .map(|runs| runs.load(Ordering::SeqCst))
        .enumerate()
        .filter(|&(_, runs)| runs != 1)
        .take(10)
        .collect();
    assert!(
        wrong.is_empty(),
        "jobs that did not run exactly once (job, runs): {wrong:?}"
    );
    assert_eq!(DONE.load(Ordering::SeqCst), JOBS);
}
