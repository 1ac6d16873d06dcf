//! Drive your own registered jobs through a simulated day, or a daylight-saving weekend, in
//! milliseconds, and assert what ran when. Needs the `testing` feature.
//!
//! The simulation runs the real scheduler on a tokio runtime whose time is paused: whenever every
//! task waits, tokio jumps to the next timer, so a day of ticks costs only the jobs' own work.
//!
//! # Examples
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use jobs_runtime::{job, testing, Runtime};
//!
//! #[job(cron = "30 9 * * Mon-Fri", tz = "Europe/Berlin")]
//! async fn weekday_report() {}
//!
//! let report = testing::simulate(
//!     Runtime::builder().only(["weekday_report"]),
//!     Utc.with_ymd_and_hms(2026, 3, 27, 0, 0, 0).unwrap(), // a Friday
//!     Utc.with_ymd_and_hms(2026, 3, 31, 0, 0, 0).unwrap(), // DST began on Sunday the 29th
//! )?;
//! assert_eq!(
//!     report.runs("weekday_report"),
//!     [
//!         Utc.with_ymd_and_hms(2026, 3, 27, 8, 30, 0).unwrap(), // 09:30 CET
//!         Utc.with_ymd_and_hms(2026, 3, 30, 7, 30, 0).unwrap(), // 09:30 CEST
//!     ]
//! );
//! # Ok::<(), jobs_runtime::Error>(())
//! ```

use crate::context::{Origin, RunId, States};
use crate::{Builder, Clock, Error, JobContext, Outcome, RunRecord, SkipReason};
use chrono::{DateTime, Utc};
use std::sync::{Arc, OnceLock};
use tokio::sync::watch;

/// A context for calling a job function directly in a unit test: attempt 1 of a run scheduled
/// at `scheduled_at`, never cancelled.
///
/// # Examples
///
/// ```
/// use jobs_runtime::{job, testing, JobContext};
///
/// #[job(every = "1m")]
/// async fn sync_accounts(ctx: JobContext) -> Result<(), std::io::Error> {
///     assert_eq!(ctx.attempt(), 1);
///     Ok(())
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ctx = testing::context("sync_accounts", chrono::Utc::now());
/// sync_accounts(ctx).await.unwrap();
/// # }
/// ```
#[must_use]
pub fn context(job: &str, scheduled_at: DateTime<Utc>) -> JobContext {
    // A shutdown that never comes: one sender kept for the whole process, since a dropped sender
    // would read as a shutdown.
    static NEVER: OnceLock<watch::Sender<bool>> = OnceLock::new();
    let receiver = NEVER.get_or_init(|| watch::Sender::new(false)).subscribe();
    JobContext::new(
        job.into(),
        RunId(0),
        1,
        scheduled_at,
        receiver,
        Arc::new(States::default()),
        Origin::Tick { catch_up: false },
    )
}

/// Runs `builder`'s jobs from `from` until `until` on simulated time, then shuts down and returns
/// every record. Call it from a plain `#[test]`, not from inside a tokio runtime.
///
/// # Errors
///
/// The builder's startup errors.
///
/// # Panics
///
/// If called from inside a tokio runtime, or if `until` is before `from`.
pub fn simulate(
    builder: Builder,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Report, Error> {
    let length = (until - from)
        .to_std()
        .expect("`until` must not be before `from`");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime with time enabled always builds");
    runtime.block_on(async move {
        let handle = builder
            .clock(Clock::starting_at(from))
            .build()?
            .start()
            .await?;
        tokio::time::sleep(length).await;
        handle.shutdown().await;
        Ok(Report {
            records: handle.all_history(),
        })
    })
}

/// What a simulation recorded; see [`simulate`].
#[derive(Clone, Debug)]
pub struct Report {
    records: Vec<RunRecord>,
}

impl Report {
    /// Every record, by scheduled instant.
    #[must_use]
    pub fn records(&self) -> &[RunRecord] {
        &self.records
    }

    /// The scheduled instants of the job's runs that succeeded, failed or were cancelled (every
    /// tick that started), in order. The job is named in full or by the last part of its name.
    #[must_use]
    pub fn runs(&self, job: &str) -> Vec<DateTime<Utc>> {
        self.of(job)
            .filter(|record| !matches!(record.outcome, Outcome::Skipped(_)))
            .map(|record| record.scheduled_at)
            .collect()
    }

    /// The job's ticks that did not run, with the reason.
    #[must_use]
    pub fn skipped(&self, job: &str) -> Vec<(DateTime<Utc>, SkipReason)> {
        self.of(job)
            .filter_map(|record| match record.outcome {
                Outcome::Skipped(reason) => Some((record.scheduled_at, reason)),
                _ => None,
            })
            .collect()
    }

    fn of<'a>(&'a self, job: &'a str) -> impl Iterator<Item = &'a RunRecord> + 'a {
        self.records
            .iter()
            .filter(move |record| crate::registry::name_matches(&record.job, job))
    }
}
