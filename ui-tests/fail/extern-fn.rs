use jobs_runtime::job;

#[job(every = "1m")]
async extern "C" fn cleanup() {}

fn main() {}
