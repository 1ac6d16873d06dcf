//! An HTTP service and its jobs in one process: `cargo run --example axum`, then
//! `curl localhost:3000/jobs` and `curl -X POST localhost:3000/jobs/cleanup/trigger`.
//! Ctrl-C stops the server (in-flight requests finish) and then the jobs (running ones finish
//! within the shutdown timeout).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use jobs_runtime::{job, Handle, Runtime};
use std::fmt::Write as _;
use std::time::Duration;

#[job(every = "5s", name = "cleanup")]
async fn cleanup() {
    println!("cleanup ran");
}

#[job(cron = "0 * * * * *", name = "minutely_stats")]
async fn minutely_stats() {
    println!("minutely stats ran");
}

async fn list_jobs(State(jobs): State<Handle>) -> Result<String, StatusCode> {
    let jobs = jobs
        .jobs()
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    let mut listing = String::new();
    for job in jobs {
        let next = job.next_run.map_or("-".to_owned(), |at| at.to_rfc3339());
        let _ = writeln!(
            listing,
            "{}  next {}  running {}",
            job.name, next, job.running
        );
    }
    Ok(listing)
}

async fn trigger(State(jobs): State<Handle>, Path(name): Path<String>) -> (StatusCode, String) {
    match jobs.trigger(&name).await {
        Ok(run) => (StatusCode::ACCEPTED, format!("started run {run}\n")),
        Err(error) => (StatusCode::NOT_FOUND, format!("{error}\n")),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jobs = Runtime::builder()
        .shutdown_timeout(Duration::from_secs(10))
        .build()?
        .start()
        .await?;
    let app = Router::new()
        .route("/jobs", get(list_jobs))
        .route("/jobs/{name}/trigger", post(trigger))
        .with_state(jobs.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    jobs.shutdown().await;
    println!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
