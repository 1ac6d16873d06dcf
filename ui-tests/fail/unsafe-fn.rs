use jobs_runtime::job;

#[job(every = "1m")]
async unsafe fn cleanup() {}

fn main() {}
