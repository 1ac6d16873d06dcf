use jobs_runtime::job;

#[job(cron = 5)]
async fn cleanup() {}

fn main() {}
