use jobs_runtime::job;

#[job(every = "1m", retries = 3, backoff = "1x")]
async fn sync() {}

fn main() {}
