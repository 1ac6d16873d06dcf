use jobs_runtime::job;

#[job(queue = "email")]
async fn send_email(to: &'static str) {
    println!("to {to}");
}

fn main() {}
