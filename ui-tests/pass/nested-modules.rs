// Jobs in nested modules, with the same function name in each, and inside a function body.
mod billing {
    use jobs_runtime::job;

    #[job(every = "1h")]
    pub(crate) async fn cleanup() {}

    pub(crate) mod invoices {
        use jobs_runtime::{job, JobContext};

        #[job(cron = "0 3 * * *")]
        pub async fn cleanup(_ctx: JobContext) {}

        pub(super) mod reminders {
            #[jobs_runtime::job(cron = "0 9 * * Mon", on_failure = "super::super::alert")]
            pub(crate) async fn cleanup() -> Result<(), std::io::Error> {
                Ok(())
            }
        }
    }

    async fn alert(_failure: jobs_runtime::Failure) {}
}

fn main() {
    #[jobs_runtime::job(every = "1s")]
    async fn local() {}
}
