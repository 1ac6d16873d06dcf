use jobs_runtime::job;

#[job(every = "10x")]
async fn heartbeat() {}

fn main() {}
