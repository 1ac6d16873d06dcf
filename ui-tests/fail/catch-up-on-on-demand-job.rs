use jobs_runtime::job;

#[job(catch_up = "all", catch_up_window = "1h")]
async fn send_digest() {}

fn main() {}
