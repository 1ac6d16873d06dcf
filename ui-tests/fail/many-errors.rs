// Every problem of one attribute is reported in one compile, each on its own token.
use jobs_runtime::job;

#[job(cron = "61 * * * *", retry = 3, timeout = "30x", overlap = "never")]
async fn cleanup() {}

fn main() {}
