//! Three jobs in memory, no setup: `cargo run --example quickstart`, then Ctrl-C to stop.
//!
//! Each run prints its scheduled instant and how late it started; the runtime's own events
//! (outcomes, retries) are printed by `tracing`.

use chrono::Utc;
use jobs_runtime::{job, JobContext};

/// How long after its scheduled instant a run started.
fn lateness(ctx: &JobContext) -> String {
    let late = Utc::now() - ctx.scheduled_at();
    format!("{:.2}ms", late.as_seconds_f64() * 1000.0)
}

/// Every 2 seconds, on the even seconds of the Unix epoch (so every process agrees).
#[job(every = "2s")]
async fn heartbeat(ctx: JobContext) {
    println!(
        "heartbeat   scheduled {}  late {}",
        ctx.scheduled_at().format("%H:%M:%S%.3f"),
        lateness(&ctx)
    );
}

/// A cron expression with a seconds field: at :00, :05, :10, … of every minute.
#[job(cron = "*/5 * * * * *")]
async fn report(ctx: JobContext) {
    println!(
        "report      scheduled {}  late {}",
        ctx.scheduled_at().format("%H:%M:%S%.3f"),
        lateness(&ctx)
    );
}

/// Fails twice, then succeeds: retried after ~500ms and ~1s (exponential backoff, full jitter).
#[job(every = "10s", retries = 2, backoff = "500ms", timeout = "5s")]
async fn flaky_upstream(ctx: JobContext) -> Result<(), std::io::Error> {
    println!(
        "flaky       scheduled {}  late {}  attempt {}",
        ctx.scheduled_at().format("%H:%M:%S%.3f"),
        lateness(&ctx),
        ctx.attempt()
    );
    if ctx.attempt() < 3 {
        return Err(std::io::Error::other("upstream not ready"));
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), jobs_runtime::Error> {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .compact()
        .init();
    for job in jobs_runtime::registered_jobs() {
        let schedule = job
            .schedule()
            .map_or("on demand".to_owned(), |s| s.to_string());
        println!("registered  {:<40} {schedule}", job.name());
    }
    // Runs every registered job until Ctrl-C (SIGINT) or SIGTERM, then shuts down gracefully.
    jobs_runtime::run().await
}
