use jobs_runtime::job;

#[job(every = "1m")]
async fn count_rows() -> u64 {
    42
}

fn main() {}
