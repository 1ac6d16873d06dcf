use jobs_runtime::job;

#[job(cron = "@daily")]
async fn send_email(to: String) {
    println!("to {to}");
}

fn main() {}
