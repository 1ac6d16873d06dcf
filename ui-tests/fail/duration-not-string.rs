use jobs_runtime::job;

#[job(every = 10s)]
async fn heartbeat() {}

fn main() {}
