// The expansion adds no warning to a strict crate. rustc ignores `clippy::` lints: the
// crate's own `tests/lints.rs` is where clippy checks the generated code.
#![deny(warnings, clippy::pedantic)]
#![deny(
    missing_docs,
    unreachable_pub,
    unused_qualifications,
    unused_results,
    trivial_casts,
    trivial_numeric_casts,
    unused_lifetimes,
    single_use_lifetimes
)]
//! A strict crate.

use jobs_runtime::{job, Failure, JobContext, State};

struct Db;

async fn alert(failure: Failure) -> Result<(), std::io::Error> {
    eprintln!("{}", failure.error());
    Ok(())
}

/// Documented.
#[job(
    cron = "0 */5 * * * *",
    retries = 3,
    timeout = "30s",
    on_failure = "alert"
)]
async fn cleanup(db: State<Db>, ctx: JobContext) -> Result<(), std::io::Error> {
    let _ = (&*db, ctx.attempt());
    Ok(())
}

/// Documented.
#[job(every = "10s", overlap = "allow")]
async fn heartbeat() {}

/// Documented.
#[job(queue = "email", priority = -3, retries = 2)]
async fn send_email(to: String, ctx: JobContext, body: String) -> Result<(), std::io::Error> {
    let _ = (to, ctx.job_id(), body);
    Ok(())
}

/// Documented, and public: its enqueue module is public too.
#[job]
pub async fn notify(user: u64) {
    let _ = user;
}

fn main() {
    let _ = Db;
    // Built but not awaited: no runtime runs here; the point is that the calls type-check.
    let _ = send_email::options()
        .delay(std::time::Duration::from_secs(1))
        .priority(5)
        .unique("key")
        .enqueue("a@b.c".to_owned(), "hi".to_owned());
    let _ = notify::enqueue(7);
    let _ = heartbeat::enqueue();
}
