use jobs_runtime::job;

const SCHEDULE: &str = "@daily";

#[job(cron = SCHEDULE)]
async fn cleanup() {}

fn main() {}
