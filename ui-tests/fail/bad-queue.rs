use jobs_runtime::job;

#[job(queue = "e-mail queue")]
async fn send_email(to: String) {
    println!("to {to}");
}

fn main() {}
