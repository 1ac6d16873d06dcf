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

    #[derive(serde::Serialize, serde::Deserialize)]
    pub(crate) struct Invoice {
        pub(crate) number: u64,
    }

    pub(crate) mod payments {
        #[derive(serde::Serialize, serde::Deserialize)]
        pub(crate) struct Amount(pub(crate) u64);

        // Payload types named relative to this module still resolve in the generated module.
        #[jobs_runtime::job(queue = "payments")]
        pub(crate) async fn charge(invoice: super::Invoice, amount: self::Amount, note: Option<String>) {
            let _ = (invoice.number, amount.0, note);
        }
    }
}

async fn enqueue_from_elsewhere() -> Result<jobs_runtime::JobId, jobs_runtime::Error> {
    billing::payments::charge::enqueue(
        billing::Invoice { number: 1 },
        billing::payments::Amount(250),
        None,
    )
    .await
}

fn main() {
    #[jobs_runtime::job(every = "1s")]
    async fn local() {}

    let _ = enqueue_from_elsewhere();
}
