use crate::context::RunId;
use crate::private::BoxError;
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

/// An error that must not be retried: returned by a job, it ends the run at once, whatever
/// retries remain, recorded as failed with [`RunRecord::permanent`](crate::RunRecord::permanent)
/// set, and the job's `on_failure` handler is called.
///
/// It is found anywhere in the returned error's source chain, so a job that returns
/// `anyhow::Result` can wrap it in context. A bad request, a missing row or a refused payment
/// are permanent; a timeout or a lost connection are worth retrying.
///
/// # Examples
///
/// ```
/// use jobs_runtime::{job, Permanent};
///
/// #[derive(Debug)]
/// struct UnknownUser(u64);
///
/// impl std::fmt::Display for UnknownUser {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         write!(f, "no user {}", self.0)
///     }
/// }
///
/// impl std::error::Error for UnknownUser {}
///
/// #[job(retries = 5)]
/// async fn sync_user(user: u64) -> anyhow::Result<()> {
///     if user == 0 {
///         // Retrying cannot make this user exist.
///         return Err(Permanent::new(UnknownUser(user)).into());
///     }
///     Ok(())
/// }
/// ```
pub struct Permanent(Marked);

/// The wrapped error, as [`Permanent`]'s source. A converter that erases the outer type (anyhow
/// turns an `anyhow::Error` into a box of its own wrapper type) leaves the sources in place, so
/// this one still marks the chain as permanent.
struct Marked(BoxError);

impl Permanent {
    /// Marks `error` as not worth retrying.
    pub fn new(error: impl Into<BoxError>) -> Self {
        Self(Marked(error.into()))
    }

    /// The wrapped error.
    #[must_use]
    pub fn into_inner(self) -> BoxError {
        self.0 .0
    }
}

impl std::fmt::Display for Permanent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0 .0, f)
    }
}

impl std::fmt::Debug for Permanent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Permanent").field(&self.0 .0).finish()
    }
}

/// Its message is the wrapped error's: the history shows that error once, since a source that
/// repeats the end of the message is not printed again.
impl std::error::Error for Permanent {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl std::fmt::Display for Marked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::fmt::Debug for Marked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl std::error::Error for Marked {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Whether `error`, or any error in its source chain, is [`Permanent`].
pub(crate) fn is_permanent(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if error.is::<Permanent>() || error.is::<Marked>() {
            return true;
        }
        next = error.source();
    }
    false
}
