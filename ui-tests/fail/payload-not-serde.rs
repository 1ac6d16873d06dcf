use jobs_runtime::job;

struct Email {
    to: String,
}

#[job(queue = "email")]
async fn send_email(email: Email) {
    println!("to {}", email.to);
}

fn main() {}
