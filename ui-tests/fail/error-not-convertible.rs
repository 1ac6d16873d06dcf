// `E` of `Result<(), E>` must convert into `Box<dyn Error + Send + Sync>`; `()` does not.
use jobs_runtime::job;

#[job(every = "1m")]
async fn cleanup() -> Result<(), ()> {
    Ok(())
}

fn main() {}
