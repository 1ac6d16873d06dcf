use jobs_runtime::job;

#[job(every = "1m", backoff = "2s")]
async fn sync() {}

fn main() {}
