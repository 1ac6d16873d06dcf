use jobs_runtime::job;

#[job(every = "0s")]
async fn heartbeat() {}

fn main() {}
