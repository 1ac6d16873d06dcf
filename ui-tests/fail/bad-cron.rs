use jobs_runtime::job;

#[job(cron = "61 * * * *")]
async fn cleanup() {}

fn main() {}
