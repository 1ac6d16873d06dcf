// Every return type DESIGN.md allows: `()` and `Result<(), E>` for any `E` that converts into
// `Box<dyn Error + Send + Sync>`.
use jobs_runtime::job;

#[derive(Debug)]
struct MyError;

impl std::fmt::Display for MyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("my error")
    }
}

impl std::error::Error for MyError {}

#[job(every = "1m")]
async fn with_anyhow() -> anyhow::Result<()> {
    anyhow::ensure!(1 + 1 == 2, "arithmetic");
    Ok(())
}

#[job(every = "1m")]
async fn with_io() -> Result<(), std::io::Error> {
    Ok(())
}

#[job(every = "1m")]
async fn with_own_error() -> Result<(), MyError> {
    Err(MyError)
}

#[job(every = "1m")]
async fn with_boxed() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    Ok(())
}

#[job(every = "1m")]
async fn with_string() -> Result<(), String> {
    Ok(())
}

#[job(every = "1m")]
async fn with_unit() -> () {}

fn main() {}
