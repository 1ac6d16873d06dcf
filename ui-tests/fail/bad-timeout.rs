use jobs_runtime::job;

#[job(cron = "0 */5 * * * *", timeout = "30x")]
async fn cleanup() {}

fn main() {}
