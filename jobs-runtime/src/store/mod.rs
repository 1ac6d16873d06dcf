//! The seam between the runtime and where on-demand jobs wait: the [`Store`] trait, the types it
//! speaks, and its implementations (memory today; SQLite and PostgreSQL implement the same trait).
//!
//! The executor and the queue workers know only this trait, so a durable store changes where jobs
//! live without changing how they run.

mod memory;

pub(crate) use memory::MemoryStore;

use chrono::{DateTime, Utc};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Identifies one on-demand job (all its attempts), as returned by `enqueue`.
///
/// # Examples
///
/// ```
/// # async fn example(handle: jobs_runtime::Handle, id: jobs_runtime::JobId) -> Result<(), jobs_runtime::Error> {
/// println!("job {id} is {:?}", handle.job_state(id).await?);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub(crate) u64);

impl JobId {
    /// The id as a number, for storing it elsewhere (a database row, a response).
    #[must_use]
    pub fn get(self) -> u64 {
        self.0
    }
}

/// A job id read back from where it was stored.
impl From<u64> for JobId {
    fn from(id: u64) -> Self {
        Self(id)
    }
}

/// The number, in decimal: what [`JobId::get`] returns and `str::parse` reads back.
impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for JobId {
    type Err = std::num::ParseIntError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(Self)
    }
}

/// Where an on-demand job is in its life; see [`Handle::job_state`](crate::Handle::job_state).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobState {
    /// Waiting for a free worker of its queue.
    Pending,
    /// Waiting for an instant: a delay, `at`, or the backoff before a retry.
    Scheduled(DateTime<Utc>),
    /// Running this attempt (counting from 1).
    Running {
        /// The attempt.
        attempt: u32,
    },
    /// An attempt succeeded.
    Succeeded,
    /// Every attempt failed, or one failed with a [`Permanent`](crate::Permanent) error.
    Failed {
        /// The last attempt's error.
        error: String,
    },
    /// Cancelled before it ran, or while it ran, by [`Handle::cancel`](crate::Handle::cancel) or
    /// a shutdown.
    Cancelled,
}

/// A job to enqueue, with everything a store keeps about it.
#[derive(Clone, Debug)]
pub(crate) struct NewJob {
    pub(crate) id: JobId,
    pub(crate) job: Arc<str>,
    pub(crate) queue: Arc<str>,
    pub(crate) priority: i16,
    /// The payload as a JSON object of the job's payload parameters.
    pub(crate) payload: Arc<str>,
    pub(crate) run_at: DateTime<Utc>,
    pub(crate) enqueued_at: DateTime<Utc>,
    pub(crate) unique: Option<String>,
}

/// What `enqueue` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Enqueued {
    /// Stored as a new job.
    New(JobId),
    /// A job with the same unique key is pending or running: its id.
    Existing(JobId),
}

/// One job taken for one attempt.
#[derive(Clone, Debug)]
pub(crate) struct Claimed {
    pub(crate) id: JobId,
    pub(crate) job: Arc<str>,
    pub(crate) payload: Arc<str>,
    /// This attempt, counting from 1.
    pub(crate) attempt: u32,
    /// The instant it was first due (retries keep it): its scheduled instant, and where
    /// lateness is measured from.
    pub(crate) due_at: DateTime<Utc>,
    /// When its first attempt started (now, for attempt 1).
    pub(crate) started_at: DateTime<Utc>,
}

/// The answer to `claim`: the jobs taken, and when the queue's next waiting job is due.
#[derive(Debug, Default)]
pub(crate) struct Claim {
    pub(crate) jobs: Vec<Claimed>,
    /// The earliest instant of a job of the queue that waits for one, so that the caller can set
    /// a timer instead of polling.
    pub(crate) next_at: Option<DateTime<Utc>>,
}

/// How an attempt ended, as the store records it.
#[derive(Clone, Debug)]
pub(crate) enum Completion {
    Succeeded,
    /// Failed; `retry_at` is the next attempt's instant, `None` when it was the last.
    Failed {
        error: String,
        retry_at: Option<DateTime<Utc>>,
    },
    /// Stopped while it ran; the reason is in the run's history record.
    Cancelled,
}

/// What `cancel` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cancel {
    /// It was waiting (to start, or for a retry) and is now cancelled: it will never run again.
    Cancelled {
        job: Arc<str>,
        payload: Arc<str>,
        due_at: DateTime<Utc>,
        /// Attempts made before, with when the first started and the last one's error.
        attempts: u32,
        started_at: Option<DateTime<Utc>>,
        error: Option<String>,
    },
    /// It is running in `queue`: the runtime must stop the attempt, which completes it as
    /// cancelled.
    Running { queue: Arc<str> },
    /// It had already ended so.
    Finished(JobState),
}

/// Why a store could not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreError {
    /// The store holds as many waiting jobs as it may.
    Full { limit: usize },
    /// No job has this id (or it ended so long ago that it was forgotten).
    UnknownId(JobId),
}

pub(crate) type StoreFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Where on-demand jobs wait, are claimed, and end.
///
/// Boxed futures keep the trait object-safe, so the runtime holds one `Arc<dyn Store>` whatever
/// the backend; a box costs far less than a database round trip, and the memory store answers
/// without awaiting anything.
pub(crate) trait Store: Send + Sync + 'static {
    /// Stores a job, unless its unique key is held by a pending or running job.
    fn enqueue(&self, job: NewJob) -> StoreFuture<'_, Enqueued>;

    /// Records how the attempts in `completed` ended (and empties it), then takes up to `limit`
    /// due jobs of `queue` for an attempt each: highest priority first, then in the order they
    /// became due.
    ///
    /// One call, so that a worker's loop costs one round trip per job: the end of the job it
    /// ran and the start of the next. `limit` 0 only records.
    fn claim<'a>(
        &'a self,
        queue: &'a str,
        limit: usize,
        now: DateTime<Utc>,
        completed: &'a mut Vec<(JobId, Completion)>,
    ) -> StoreFuture<'a, Claim>;

    /// Cancels a waiting job, or says where a running one runs.
    fn cancel(&self, id: JobId) -> StoreFuture<'_, Cancel>;

    /// Where a job is in its life.
    fn state(&self, id: JobId) -> StoreFuture<'_, JobState>;

    /// How many jobs wait (pending or scheduled), over every queue.
    fn waiting(&self) -> StoreFuture<'_, usize>;

    /// Whether jobs outlive the process.
    fn durable(&self) -> bool;
}
