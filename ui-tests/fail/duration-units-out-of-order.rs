use jobs_runtime::job;

#[job(cron = "0 3 * * *", timeout = "30m1h")]
async fn export() {}

fn main() {}
