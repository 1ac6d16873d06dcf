use jobs_runtime::job;

#[job(cron = "0 0 30 2 *")]
async fn february_thirtieth() {}

fn main() {}
