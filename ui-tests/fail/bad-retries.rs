use jobs_runtime::job;

#[job(every = "1m", retries = -1)]
async fn sync() {}

fn main() {}
