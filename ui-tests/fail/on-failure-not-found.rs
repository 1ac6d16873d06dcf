use jobs_runtime::job;

#[job(every = "1h", on_failure = "alerts::page")]
async fn invoices() {}

mod alerts {}

fn main() {}
