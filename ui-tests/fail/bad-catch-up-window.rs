use jobs_runtime::job;

#[job(cron = "@hourly", catch_up_window = "1 hour")]
async fn rollup() {}

fn main() {}
