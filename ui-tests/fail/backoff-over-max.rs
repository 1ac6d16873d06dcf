use jobs_runtime::job;

#[job(every = "1m", retries = 3, backoff = "10m", backoff_max = "1m")]
async fn sync() {}

fn main() {}
