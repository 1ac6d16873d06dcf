use jobs_runtime::job;

#[job(cron = "@hourly", queue = "reports", priority = 5)]
async fn hourly_report() {}

fn main() {}
