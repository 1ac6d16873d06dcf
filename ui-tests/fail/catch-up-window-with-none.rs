use jobs_runtime::job;

#[job(every = "5m", catch_up = "none", catch_up_window = "1h")]
async fn refresh() {}

fn main() {}
