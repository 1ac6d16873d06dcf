// A crate that reaches the runtime through a re-export names it with `crate = "…"`.
mod reexport {
    pub use jobs_runtime as jobs;
}

mod deep {
    pub mod inside {
        pub use jobs_runtime as runtime;
    }
}

use reexport::jobs::{Failure, JobContext, State};

struct Db;

async fn alert(_failure: Failure) {}

#[reexport::jobs::job(crate = "crate::reexport::jobs", every = "1m", on_failure = "alert")]
async fn tick(_db: State<Db>, _ctx: JobContext) {}

#[deep::inside::runtime::job(cron = "@daily", crate = "deep::inside::runtime")]
async fn nightly() {}

#[reexport::jobs::job(crate = "crate::reexport::jobs", queue = "mail")]
async fn send(to: String) {
    let _ = to;
}

fn main() {
    let _ = send::enqueue("a@b.c".to_owned());
    let _ = nightly::enqueue();
}
