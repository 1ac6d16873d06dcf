use jobs_runtime::job;

#[job(cron = "@hourly", every = "1h")]
async fn cleanup() {}

fn main() {}
