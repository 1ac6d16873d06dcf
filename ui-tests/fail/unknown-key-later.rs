// `queue` belongs to on-demand jobs, which a later version adds: rejected, never ignored.
use jobs_runtime::job;

#[job(queue = "email", retries = 5)]
async fn send_email() {}

fn main() {}
