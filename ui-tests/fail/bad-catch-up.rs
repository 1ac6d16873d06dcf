use jobs_runtime::job;

#[job(cron = "@hourly", catch_up = "missed")]
async fn rollup() {}

fn main() {}
