// Jobs whose names and parameters match the expansion's own locals still call the job.
use jobs_runtime::{job, JobContext, State};

struct Db;

#[job(every = "1m")]
async fn context(context: JobContext, states: State<Db>) {
    let _ = (context, states);
}

#[job(every = "1m")]
async fn arg0(arg0: JobContext) {
    let _ = arg0;
}

#[job(every = "1m")]
async fn r#type() {}

#[job(every = "1m")]
async fn states(arg1: State<Db>, arg0: JobContext) {
    let _ = (arg0, arg1);
}

fn main() {}
