use jobs_runtime::job;

#[job(cron = "30 9 * * Mon-Fri", tz = "Europe/Berln")]
async fn weekday_report() {}

fn main() {}
