use jobs_runtime::job;

#[job(every = "1h", crate = "jobs runtime")]
async fn invoices() {}

fn main() {}
