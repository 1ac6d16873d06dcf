use jobs_runtime::job;

#[job(every = "1h", on_failure = "page on call")]
async fn invoices() {}

fn main() {}
