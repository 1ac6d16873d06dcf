use jobs_runtime::job;

#[job(every = "1s", overlap = "never")]
async fn drain() {}

fn main() {}
