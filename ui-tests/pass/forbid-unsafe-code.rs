// inventory's registration uses `unsafe` inside its own macro; the lint must not reach the
// user's crate.
#![forbid(unsafe_code)]

use jobs_runtime::{job, Failure, JobContext, State};

struct Db;

async fn alert(_failure: Failure) {}

#[job(cron = "0 */5 * * * *", retries = 3, on_failure = "alert")]
async fn cleanup(_db: State<Db>, _ctx: JobContext) {}

#[job(every = "10s")]
async fn heartbeat() {}

fn main() {}
