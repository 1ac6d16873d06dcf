// A job compiled out by a `cfg` below the attribute takes its registration with it.
use jobs_runtime::job;

#[job(every = "1m")]
#[cfg(any())]
async fn never_compiled() {}

#[job(every = "1m")]
#[cfg(all())]
async fn always_compiled() {}

fn main() {}
