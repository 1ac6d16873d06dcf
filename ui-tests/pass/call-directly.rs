// The function stays as written: a test calls it with the values it wants.
use jobs_runtime::{job, State};
use std::sync::atomic::{AtomicU32, Ordering};

struct Counter(AtomicU32);

#[job(cron = "0 */5 * * * *", retries = 3)]
async fn cleanup(counter: State<Counter>) -> anyhow::Result<()> {
    counter.0.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

async fn calls_the_job() {
    let counter = State::new(Counter(AtomicU32::new(0)));
    cleanup(counter.clone()).await.unwrap();
    cleanup(counter.clone()).await.unwrap();
    assert_eq!(counter.0.load(Ordering::SeqCst), 2);
}

fn main() {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(calls_the_job());
}
