//! Metrics for Prometheus: `cargo run --example metrics --features metrics`, then
//!
//! ```text
//! curl localhost:9000/metrics
//! ```
//!
//! A heartbeat that succeeds, a sync that fails now and then and is retried, and emails enqueued
//! every two seconds into a queue of two workers. The runtime records through the `metrics`
//! facade; this program installs a Prometheus recorder (`metrics-exporter-prometheus`, without
//! its own HTTP listener) and serves its text with axum on `GET /metrics`.

use axum::routing::get;
use axum::Router;
use jobs_runtime::{job, JobContext, Runtime};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use std::time::Duration;

#[job(every = "5s")]
async fn heartbeat() {
    tokio::time::sleep(Duration::from_millis(20)).await;
}

/// Fails two attempts in three, at random: most runs succeed on a retry, some fail for good.
#[job(every = "10s", retries = 2, backoff = "500ms")]
async fn sync_inventory(ctx: JobContext) -> Result<(), std::io::Error> {
    if fastrand::u8(..3) != 0 {
        return Err(std::io::Error::other(format!(
            "supplier API timed out (attempt {})",
            ctx.attempt()
        )));
    }
    Ok(())
}

#[job(queue = "email", retries = 3, backoff = "1s")]
async fn send_email(to: String) {
    // Stands in for an SMTP round trip; the queue's gauges show the backlog meanwhile.
    let millis = 300 + 20 * to.len() as u64;
    tokio::time::sleep(Duration::from_millis(millis)).await;
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Before the runtime starts: it describes its metrics to the recorder installed then.
    let prometheus = PrometheusBuilder::new()
        // The store's round trips as a Prometheus histogram (without buckets: a summary); the
        // runtime buckets durations, lateness and attempts itself.
        .set_buckets_for_metric(
            Matcher::Full("jobs_store_round_trip_seconds".into()),
            &[0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0],
        )?
        .install_recorder()?;
    // The recorder's own housekeeping (draining histogram samples), which its HTTP listener
    // would otherwise do.
    let upkeep = prometheus.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });

    let jobs = Runtime::builder()
        .queue("email", 2)
        .shutdown_timeout(Duration::from_secs(5))
        .build()?
        .start()
        .await?;
    tokio::spawn(async {
        for n in 0u32.. {
            for to in ["ada@example.com", "grace@example.com", "edsger@example.com"] {
                if send_email::enqueue(format!("{n}.{to}")).await.is_err() {
                    return; // shutting down
                }
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });

    let app = Router::new().route(
        "/metrics",
        get(move || {
            let prometheus = prometheus.clone();
            async move { prometheus.render() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:9000").await?;
    println!("metrics on http://{}/metrics", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    jobs.shutdown().await;
    Ok(())
}
