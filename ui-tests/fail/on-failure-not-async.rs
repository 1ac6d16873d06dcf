use jobs_runtime::{job, Failure};

fn page(failure: Failure) {
    eprintln!("{}", failure.error());
}

#[job(every = "1h", on_failure = "page")]
async fn invoices() {}

fn main() {}
