use jobs_runtime::job;

#[job(cron = "@daily", retries = 1, cron = "@hourly")]
async fn cleanup() {}

fn main() {}
