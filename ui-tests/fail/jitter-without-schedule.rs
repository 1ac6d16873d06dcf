use jobs_runtime::job;

#[job(jitter = "5s")]
async fn refresh() {}

fn main() {}
