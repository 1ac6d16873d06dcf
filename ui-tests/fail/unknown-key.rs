use jobs_runtime::job;

#[job(cron = "0 */5 * * * *", retry = 3)]
async fn cleanup() {}

fn main() {}
