use jobs_runtime::job;

#[job(cron = "@hourly", jitter = "a bit")]
async fn refresh() {}

fn main() {}
