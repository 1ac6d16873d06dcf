use jobs_runtime::job;

#[job(tz = "Europe/Berlin")]
async fn report() {}

fn main() {}
