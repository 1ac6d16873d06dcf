use jobs_runtime::job;

#[job(every = "1m", retries = 3, backoff_max = "forever")]
async fn sync() {}

fn main() {}
