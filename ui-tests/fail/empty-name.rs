use jobs_runtime::job;

#[job(every = "1h", name = "")]
async fn invoices() {}

fn main() {}
