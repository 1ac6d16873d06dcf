use jobs_runtime::job;

#[job(every = "10s", jitter = "10s")]
async fn heartbeat() {}

fn main() {}
