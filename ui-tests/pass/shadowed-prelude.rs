// The generated code names `::core` and the runtime's private module only, so a crate that
// shadows prelude names at its root still compiles.
#![allow(dead_code)]

use jobs_runtime::{job, Failure, JobContext, State};

struct Box;
type Result = ();
struct Option;
struct Some;
struct None;
struct Ok;
struct Err;
struct Vec;
struct String;
struct Send;
struct Sync;
struct Future;
mod std {}

struct Db;

async fn alert(_failure: Failure) {}

#[job(
    cron = "0 */5 * * * *",
    tz = "Europe/Berlin",
    jitter = "1s",
    retries = 3,
    backoff = "2s",
    backoff_max = "1m",
    timeout = "30s",
    overlap = "queue",
    name = "shadowed::cleanup",
    on_failure = "alert"
)]
async fn cleanup(_db: State<Db>, _ctx: JobContext) -> ::core::result::Result<(), ::std::io::Error> {
    ::core::result::Result::Ok(())
}

#[job(every = "10s")]
async fn heartbeat() {}

#[job]
async fn on_demand() {}

#[job(queue = "email", priority = 1)]
async fn with_payload(to: ::std::string::String, count: u32, _ctx: JobContext) {
    let _ = (to, count);
}

fn main() {}
