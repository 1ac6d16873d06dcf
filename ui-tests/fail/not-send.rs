use jobs_runtime::job;
use std::rc::Rc;

async fn flush() {}

#[job(every = "1m")]
async fn cleanup() {
    let counter = Rc::new(0);
    flush().await;
    println!("{counter}");
}

fn main() {}
