use jobs_runtime::job;

#[job(every = "1m", retries)]
async fn cleanup() {}

fn main() {}
