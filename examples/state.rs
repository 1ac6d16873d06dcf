//! Sharing a pool-like value between jobs with `State<T>`: `cargo run --example state`.
//!
//! A job that takes `State<Pool>` gets the value given to `Runtime::builder().state(..)`. Forget
//! the `.state(..)` call and the runtime refuses to start, naming the job and the type.

use jobs_runtime::{job, JobContext, Runtime, State};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Stands in for a database pool: a few connections, shared by every job.
struct Pool {
    connections: Semaphore,
    queries: AtomicU64,
}

impl Pool {
    fn new(size: usize) -> Self {
        Self {
            connections: Semaphore::new(size),
            queries: AtomicU64::new(0),
        }
    }

    async fn query(&self, sql: &str) -> u64 {
        let _connection = self
            .connections
            .acquire()
            .await
            .expect("the pool is never closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
        println!("  query: {sql}");
        self.queries.fetch_add(1, Ordering::Relaxed) + 1
    }
}

#[job(every = "1s")]
async fn count_users(pool: State<Pool>) {
    let total = pool.query("select count(*) from users").await;
    println!("count_users: {total} queries so far");
}

#[job(every = "3s", timeout = "2s")]
async fn vacuum(ctx: JobContext, pool: State<Pool>) {
    pool.query("vacuum analyze").await;
    println!(
        "vacuum: run {} scheduled at {}",
        ctx.run_id(),
        ctx.scheduled_at()
    );
}

#[tokio::main]
async fn main() -> Result<(), jobs_runtime::Error> {
    Runtime::builder()
        .state(Pool::new(2))
        .shutdown_timeout(Duration::from_secs(5))
        .build()?
        .run()
        .await
}
