//! One process of a cluster: run several against one database, and each tick runs in exactly one
//! of them while enqueued jobs spread over all. Kill one (even with SIGKILL): its ticks and jobs
//! pass to the others when its lease expires.
//!
//! ```text
//! createdb -h 127.0.0.1 -U postgres jobs_cluster
//! export JOBS_DATABASE_URL=postgres://postgres@127.0.0.1/jobs_cluster   # or sqlite://cluster.db
//! cargo run --example cluster --features postgres,sqlite -- --enqueue 100   # terminal 1
//! cargo run --example cluster --features postgres,sqlite                   # terminals 2 and 3
//! ```
//!
//! Every line it prints names the process, so that the outputs of all of them can be merged and
//! counted: `start`/`end` of each tick and each job. A process killed between a job's end and
//! the store's record of it leaves that job to run again elsewhere: across a crash, jobs run at
//! least once; while their process lives, never twice.

use jobs_runtime::{job, JobContext, Runtime};
use std::time::Duration;

/// This process, as its lines name it.
fn me() -> u32 {
    std::process::id()
}

/// Every second, on the second: each tick runs in one process of the cluster.
#[job(every = "1s")]
async fn tick(ctx: JobContext) {
    let at = ctx.scheduled_at().timestamp_millis();
    println!("start tick {at} pid {}", me());
    tokio::time::sleep(Duration::from_millis(100)).await;
    println!("end tick {at} pid {}", me());
}

/// An enqueued job that takes a moment, so that a killed process is caught in the middle of
/// some.
#[job(queue = "work", retries = 3)]
async fn work(n: u64) {
    println!("start work {n} pid {}", me());
    tokio::time::sleep(Duration::from_millis(200)).await;
    println!("end work {n} pid {}", me());
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .with_writer(std::io::stderr)
        .compact()
        .init();
    if std::env::var_os("JOBS_DATABASE_URL").is_none() {
        return Err("set JOBS_DATABASE_URL to a postgres:// or sqlite:// URL: processes of a cluster share a database".into());
    }
    let mut args = std::env::args().skip(1);
    let mut enqueue = 0;
    // Shorter than the runtime's 10 s default, so that a killed process's work visibly passes to
    // the others within seconds.
    let mut lease = Duration::from_secs(5);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or(format!("{arg} needs a value"))?;
        match arg.as_str() {
            // Enqueue this many jobs at start (numbered 0..n).
            "--enqueue" => enqueue = value.parse()?,
            // A shorter lease hands a killed process's work over sooner.
            "--lease-ms" => lease = Duration::from_millis(value.parse()?),
            _ => {
                return Err(format!(
                    "unknown argument {arg}; expected --enqueue N or --lease-ms MS"
                )
                .into())
            }
        }
    }
    let handle = Runtime::builder()
        .lease(lease)
        .queue("work", 10)
        .shutdown_timeout(Duration::from_secs(5))
        .build()?
        .start()
        .await?;
    for n in 0..enqueue {
        work::enqueue(n).await?;
    }
    println!("ready pid {}", me());
    tokio::signal::ctrl_c().await?;
    handle.shutdown().await;
    Ok(())
}
