use jobs_runtime::job;

#[job(every = "1h", tz = "Europe/Berlin")]
async fn hourly() {}

fn main() {}
