//! A job that another process enqueues starts at once, through PostgreSQL's `LISTEN/NOTIFY`,
//! without waiting for the poll (here: an hour).

#[path = "support/db.rs"]
mod db;

use db::Database;
use jobs_runtime::{job, Runtime};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

static RAN: Notify = Notify::const_new();

#[job(queue = "announced")]
async fn announced(n: u32) {
    assert_eq!(n, 7);
    RAN.notify_one();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_inserted_elsewhere_starts_without_a_poll() {
    let Some(database) = Database::create("notify") else {
        return;
    };
    let handle = Runtime::builder()
        .only(["announced"])
        .store(database.url.clone())
        .poll_interval(Duration::from_secs(3600))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    // Past the first poll, which runs at start.
    tokio::time::sleep(Duration::from_millis(500)).await;
    // As another process's enqueue writes and announces it.
    let inserted = Instant::now();
    database.query(
        "INSERT INTO jobs_jobs (job, queue, priority, payload, state, run_at, due_at, enqueued_at)
         VALUES ('postgres_notify::announced', 'announced', 0, '{\"n\":7}', 'waiting', now(), now(), now());
         SELECT pg_notify('jobs_enqueued', 'announced')",
    );
    tokio::time::timeout(Duration::from_secs(10), RAN.notified())
        .await
        .expect("the job never ran: the announcement was not heard");
    eprintln!("ran {:?} after the insert", inserted.elapsed());
    handle.shutdown().await;
}
