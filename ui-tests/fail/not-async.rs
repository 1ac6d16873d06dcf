use jobs_runtime::job;

#[job(every = "1m")]
fn cleanup() {}

fn main() {}
