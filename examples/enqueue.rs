//! On-demand jobs from a web handler: `cargo run --example enqueue`, then
//!
//! ```text
//! curl -X POST localhost:3000/register -H 'content-type: application/json' -d '{"email":"ada@example.com"}'
//! curl localhost:3000/jobs/1
//! ```
//!
//! `POST /register` answers at once with the id of the welcome email it enqueued; the email is
//! sent (here: printed) by a worker of the `email` queue, retried with backoff when the mail
//! server fails, and `GET /jobs/{id}` answers where that job is. Registering the same address
//! twice while its email waits returns the same job: the enqueue is unique per address.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use jobs_runtime::{job, JobContext, JobId, JobState, Runtime, State};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Stands in for an SMTP client: every third delivery fails, to show the retries.
#[derive(Default)]
struct Smtp {
    deliveries: AtomicU32,
}

#[derive(Debug)]
struct SmtpError(String);

impl std::fmt::Display for SmtpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SmtpError {}

#[job(queue = "email", retries = 5, backoff = "1s", timeout = "30s")]
async fn send_email(
    to: String,
    subject: String,
    smtp: State<Smtp>,
    ctx: JobContext,
) -> Result<(), SmtpError> {
    if smtp.deliveries.fetch_add(1, Ordering::SeqCst) % 3 == 2 {
        return Err(SmtpError(format!("421 try again later (to {to})")));
    }
    println!("sent {subject:?} to {to} (attempt {})", ctx.attempt());
    Ok(())
}

#[derive(serde::Deserialize)]
struct Registration {
    email: String,
}

async fn register(Json(registration): Json<Registration>) -> (StatusCode, Json<Value>) {
    let email = registration.email;
    let enqueued = send_email::options()
        .unique(format!("welcome:{email}"))
        .enqueue(email.clone(), "Welcome!".to_owned())
        .await;
    match enqueued {
        Ok(id) => (StatusCode::ACCEPTED, Json(json!({ "job": id.get() }))),
        // The job was not stored: say so rather than answer as if it would be sent.
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": error.to_string() })),
        ),
    }
}

async fn job_state(
    Path(id): Path<u64>,
    axum::extract::State(jobs): axum::extract::State<jobs_runtime::Handle>,
) -> (StatusCode, Json<Value>) {
    let state = match jobs.job_state(JobId::from(id)).await {
        Ok(state) => state,
        Err(error) => {
            return (
                StatusCode::NOT_FOUND,
                Json(json!({ "error": error.to_string() })),
            )
        }
    };
    let body = match state {
        JobState::Pending => json!({ "state": "pending" }),
        JobState::Scheduled(at) => json!({ "state": "scheduled", "at": at.to_rfc3339() }),
        JobState::Running { attempt } => json!({ "state": "running", "attempt": attempt }),
        JobState::Succeeded => json!({ "state": "succeeded" }),
        JobState::Failed { error } => json!({ "state": "failed", "error": error }),
        JobState::Cancelled => json!({ "state": "cancelled" }),
        other => json!({ "state": format!("{other:?}") }),
    };
    (StatusCode::OK, Json(body))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jobs = Runtime::builder()
        .state(Smtp::default())
        .queue("email", 4)
        .shutdown_timeout(Duration::from_secs(10))
        .build()?
        .start()
        .await?;
    let app = Router::new()
        .route("/register", post(register))
        .route("/jobs/{id}", get(job_state))
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
