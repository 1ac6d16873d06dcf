//! The dashboard over jobs that succeed, fail and retry, skip on overlap, wait for a weekday
//! morning, and run on demand from a queue: `cargo run --example dashboard --features dashboard`,
//! then open <http://127.0.0.1:7878/>.
//!
//! `JOBS_DASHBOARD` (an address, default `127.0.0.1:7878`) and `JOBS_DASHBOARD_TOKEN` (the bearer
//! token the page's actions send, default `dashboard-example`) set where it listens and what it
//! accepts. Paste the token into the page's token field to trigger, pause, resume, reschedule,
//! retry and cancel.

use chrono::Timelike;
use jobs_runtime::{job, JobContext, Permanent, Runtime};
use std::net::SocketAddr;
use std::time::Duration;

/// Every 2 seconds, on the even seconds: always succeeds.
#[job(every = "2s")]
async fn heartbeat() {}

/// Every 5 seconds. Fails its first attempt and succeeds on a retry, except on every other tick,
/// where all three attempts fail: the timeline shows both.
#[job(every = "5s", retries = 2, backoff = "500ms", timeout = "5s")]
async fn flaky_upstream(ctx: JobContext) -> Result<(), std::io::Error> {
    let tick = ctx.scheduled_at().timestamp() / 5;
    if ctx.attempt() == 1 || tick % 2 == 0 {
        return Err(std::io::Error::other(format!(
            "upstream answered 503 Service Unavailable (attempt {})",
            ctx.attempt()
        )));
    }
    Ok(())
}

/// Every 3 seconds, but each run takes 7: the ticks that come while it runs are skipped and
/// recorded with reason `overlap`.
#[job(every = "3s", overlap = "skip")]
async fn slow_import() {
    tokio::time::sleep(Duration::from_secs(7)).await;
}

/// A calendar schedule in a zone: at 09:30 Berlin time on weekdays.
#[job(cron = "30 9 * * Mon-Fri", tz = "Europe/Berlin")]
async fn weekday_report(ctx: JobContext) {
    println!("weekday report for {}", ctx.scheduled_at());
}

/// On demand, one at a time in the `exports` queue; its payload shows in the run's detail. A
/// report named `broken.csv` fails at once, without retries.
#[job(queue = "exports", retries = 1, backoff = "1s")]
async fn export(report: String, rows: u32) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if report == "broken.csv" {
        let error = std::io::Error::other(format!("{report}: column 3 is not a number"));
        return Err(Permanent::new(error).into());
    }
    tokio::time::sleep(Duration::from_millis(u64::from(rows.min(4000)))).await;
    Ok(())
}

/// Every 20 seconds, enqueues two exports, one of them for a minute later: the queue is never
/// empty for long.
#[job(every = "20s")]
async fn plan_exports(ctx: JobContext) -> Result<(), jobs_runtime::Error> {
    let minute = ctx.scheduled_at().minute();
    export::enqueue(format!("hourly-{minute:02}.csv"), 1500).await?;
    export::options()
        .delay(Duration::from_secs(60))
        .enqueue(format!("late-{minute:02}.csv"), 800)
        .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .with_writer(std::io::stderr)
        .compact()
        .init();
    // The runtime reads JOBS_DASHBOARD and JOBS_DASHBOARD_TOKEN itself; the example only gives
    // them defaults, so that it shows something with no setup.
    let mut builder = Runtime::builder()
        .queue("exports", 1)
        .shutdown_timeout(Duration::from_secs(5));
    if std::env::var_os("JOBS_DASHBOARD").is_none() {
        builder = builder.dashboard(SocketAddr::from(([127, 0, 0, 1], 7878)));
    }
    if std::env::var_os("JOBS_DASHBOARD_TOKEN").is_none() {
        builder = builder.dashboard_token("dashboard-example");
    }
    let address = std::env::var("JOBS_DASHBOARD").unwrap_or_else(|_| "127.0.0.1:7878".into());
    let token =
        std::env::var("JOBS_DASHBOARD_TOKEN").unwrap_or_else(|_| "dashboard-example".into());
    let handle = builder.build()?.start().await?;
    // A few exports at start: three now, two waiting.
    for (report, rows) in [
        ("users.csv", 1200),
        ("orders.csv", 2500),
        ("broken.csv", 10),
    ] {
        export::enqueue(report.to_owned(), rows).await?;
    }
    for (report, delay) in [("archive-1.csv", 30), ("archive-2.csv", 90)] {
        export::options()
            .delay(Duration::from_secs(delay))
            .enqueue(report.to_owned(), 3000)
            .await?;
    }
    println!("dashboard on http://{address}/ (token for actions: {token})");
    tokio::signal::ctrl_c().await?;
    handle.shutdown().await;
    Ok(())
}
