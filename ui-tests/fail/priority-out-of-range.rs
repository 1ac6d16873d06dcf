use jobs_runtime::job;

#[job(priority = 40000)]
async fn send_email(to: String) {
    println!("to {to}");
}

fn main() {}
