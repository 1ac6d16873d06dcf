use crate::context::RunId;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A run whose last attempt failed, as given to a job's `on_failure` handler.
///
/// # Examples
///
/// ```
/// use jobs_runtime::{job, Failure};
///
/// async fn page_on_call(failure: Failure) {
///     eprintln!(
///         "{} failed after {} attempts: {}",
///         failure.job(),
///         failure.attempts(),
///         failure.error()
///     );
/// }
///
/// #[job(cron = "0 3 * * *", retries = 2, on_failure = "page_on_call")]
/// async fn nightly_export() -> Result<(), std::io::Error> {
///     Ok(())
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Failure {
    pub(crate) job: Arc<str>,
    pub(crate) run_id: RunId,
    pub(crate) attempts: u32,
    pub(crate) scheduled_at: DateTime<Utc>,
    pub(crate) error: String,
}

impl Failure {
    /// The job's name.
    #[must_use]
    pub fn job(&self) -> &str {
        &self.job
    }

    /// The failed run.
    #[must_use]
    pub fn run_id(&self) -> RunId {
        self.run_id
    }

    /// How many attempts were made.
    #[must_use]
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The instant the run was scheduled for.
    #[must_use]
    pub fn scheduled_at(&self) -> DateTime<Utc> {
        self.scheduled_at
    }

    /// The last attempt's error, as text (also kept in the run's history).
    #[must_use]
    pub fn error(&self) -> &str {
        &self.error
    }
}
