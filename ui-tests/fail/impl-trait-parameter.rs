use jobs_runtime::job;

#[job(every = "1m")]
async fn cleanup(_store: impl Send + 'static) {}

fn main() {}
