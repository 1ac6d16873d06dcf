use jobs_runtime::{job, State};

#[job(every = "1m")]
async fn cleanup<T: Send + Sync + 'static>(_store: State<T>) {}

fn main() {}
