// `catch_up` belongs to durable stores, which a later version adds: rejected, never ignored.
use jobs_runtime::job;

#[job(cron = "@hourly", catch_up = "all")]
async fn cleanup() {}

fn main() {}
