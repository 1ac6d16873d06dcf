use jobs_runtime::{job, State};
use std::cell::Cell;

#[job(every = "1m")]
async fn count(counter: State<Cell<u32>>) {
    counter.set(counter.get() + 1);
}

fn main() {}
