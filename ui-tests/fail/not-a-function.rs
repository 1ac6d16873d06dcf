use jobs_runtime::job;

#[job(every = "1m")]
struct Cleanup;

fn main() {}
