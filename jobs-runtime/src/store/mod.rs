//! The seam between the runtime and where on-demand jobs wait and ticks are claimed: the
//! [`Store`] trait, the types it speaks, and its implementations (memory; SQLite and PostgreSQL
//! behind their features).
//!
//! The executor and the queue workers know only this trait, so a durable store changes where jobs
//! live without changing how they run.

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod batch;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod database;
mod memory;
mod open;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
mod transaction;

pub(crate) use memory::MemoryStore;
pub(crate) use open::{open, StoreOptions, StoreUrl};
pub use transaction::{InsertFuture, PendingJob, Transactional};

use crate::history::RunRecord;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
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
    /// The id the runtime drew from its counter of run ids: the memory store keeps it; a
    /// database answers [`Enqueued::New`] with the id its own sequence gives, unique across
    /// processes.
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
    /// Stopped by a shutdown before it ended: waiting again, for another process to run at once.
    /// The interrupted attempt does not count.
    Released,
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
    /// It is running in `queue` of this process: the runtime must stop the attempt, which
    /// completes it as cancelled.
    Running { queue: Arc<str> },
    /// It is running in another process, which is asked to stop it (its next heartbeat sees
    /// the request).
    #[cfg_attr(
        not(any(feature = "sqlite", feature = "postgres")),
        allow(dead_code, reason = "only a database store has other processes")
    )]
    Requested,
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
    /// The database failed or could not be reached: the operation did not happen and may be
    /// tried again.
    #[cfg_attr(
        not(any(feature = "sqlite", feature = "postgres")),
        allow(dead_code, reason = "only a database store has a database")
    )]
    Database(Arc<str>),
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(error.to_string().into())
    }
}

/// What a durable store's heartbeat found.
#[derive(Debug, Default)]
pub(crate) struct Heartbeat {
    /// Queues that got jobs back from a process whose lease expired: wake them.
    pub(crate) reclaimed: Vec<Arc<str>>,
    /// Ticks that a stopped process claimed and never finished: this process now holds them and
    /// runs them.
    pub(crate) ticks: Vec<(Arc<str>, DateTime<Utc>)>,
    /// Jobs this process runs that another process asked to cancel.
    pub(crate) cancel: Vec<(JobId, Arc<str>)>,
}

/// A schedule as a store keeps it: the normalised expression (`0 30 9 * * 1-5`, or `every 1m`)
/// and its zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredSchedule {
    pub(crate) expr: String,
    pub(crate) tz: String,
}

/// A job as the cluster shares it: one row per name.
#[derive(Clone, Debug)]
pub(crate) struct StoredJob {
    pub(crate) job: String,
    /// What every process follows; `None` for an on-demand job.
    pub(crate) schedule: Option<StoredSchedule>,
    /// Rescheduled at run time: the code's schedule no longer replaces it.
    pub(crate) overridden: bool,
    pub(crate) paused: bool,
    /// Since when and by whom, when it is paused (a pause made before they were recorded has
    /// neither).
    pub(crate) pause: Option<Pause>,
    /// Raised by every change of schedule or pause.
    pub(crate) version: i64,
}

/// A job as this process's code (or `Handle::add_job`) defines it, for the store to record.
#[derive(Clone, Debug)]
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, reason = "only a database store records it")
)]
pub(crate) struct DefinedJob {
    pub(crate) job: String,
    pub(crate) schedule: Option<StoredSchedule>,
    /// `"code"` or `"run time"`.
    pub(crate) origin: &'static str,
}

/// A change made through a `Handle`, for every process to follow.
#[derive(Clone, Debug)]
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, reason = "only a database store records it")
)]
pub(crate) enum ControlChange {
    /// Paused, since when and by whom; or resumed (`None`).
    Paused(Option<Pause>),
    Rescheduled(StoredSchedule),
}

/// Since when and by whom a job is paused ("through the dashboard").
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pause {
    pub(crate) at: DateTime<Utc>,
    pub(crate) by: String,
}

/// The waiting jobs of one queue, as a durable store's poll sees them.
#[derive(Debug)]
pub(crate) struct Waiting {
    pub(crate) queue: Arc<str>,
    /// The earliest instant one of them is due.
    pub(crate) next_at: DateTime<Utc>,
}

/// The jobs of one queue by where they stand, over every process of a durable store: what
/// [`Store::queues`] answers, for the queue metrics and the dashboard.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    not(any(feature = "metrics", feature = "dashboard")),
    allow(dead_code, reason = "read by the metrics and the dashboard")
)]
pub(crate) struct QueueStats {
    pub(crate) queue: Arc<str>,
    /// Due now, or earlier, and waiting for a worker.
    pub(crate) pending: u64,
    /// Waiting for a later instant: a delay, `at`, or the backoff before a retry.
    pub(crate) scheduled: u64,
    pub(crate) running: u64,
    /// The earliest instant at which one of the pending jobs became due (a retry: when its
    /// backoff ended): how long the queue has kept someone waiting.
    pub(crate) oldest_pending: Option<DateTime<Utc>>,
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

    /// Stores jobs in one go, all or none; answers for each, in order, as `enqueue` does.
    fn enqueue_many(&self, jobs: Vec<NewJob>) -> StoreFuture<'_, Vec<Enqueued>>;

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

    /// Every queue with a job pending, scheduled or running at `now`, by name, with how many
    /// are in each state; a durable store counts the jobs of every process.
    #[cfg_attr(
        not(any(feature = "metrics", feature = "dashboard")),
        allow(dead_code, reason = "read by the metrics and the dashboard")
    )]
    fn queues(&self, now: DateTime<Utc>) -> StoreFuture<'_, Vec<QueueStats>>;

    /// Whether jobs outlive the process. Only a durable store is asked for the rest below.
    fn durable(&self) -> bool;

    /// Claims the tick of `job` at `scheduled_at` for this process: `false` when another process
    /// has claimed it. The claim is held by this process's lease until [`Store::finish_tick`].
    fn claim_tick(&self, _job: &Arc<str>, _scheduled_at: DateTime<Utc>) -> StoreFuture<'_, bool> {
        Box::pin(async { Ok(true) })
    }

    /// The run of a claimed tick ended; `released` when a shutdown stopped it, so that another
    /// process runs it again at once.
    fn finish_tick(
        &self,
        _job: &Arc<str>,
        _scheduled_at: DateTime<Utc>,
        _released: bool,
    ) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }

    /// The jobs this process runs, whenever they change: a durable store claims only their
    /// jobs and ticks, since other processes of the cluster may run other code.
    fn serve(&self, _jobs: Vec<Arc<str>>) {}

    /// Up to when some process ran each job, as heartbeats recorded it: the ticks after that
    /// instant were missed while no process ran. Asked once, before this process's first
    /// heartbeat.
    fn seen(&self) -> StoreFuture<'_, HashMap<String, DateTime<Utc>>> {
        Box::pin(async { Ok(HashMap::new()) })
    }

    /// Every job the store knows, whichever process defined it.
    fn jobs(&self) -> StoreFuture<'_, Vec<StoredJob>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Records the jobs this process defines: a new job is added as defined; a known one takes
    /// the defined schedule unless it was rescheduled at run time (then only the code's
    /// schedule is noted).
    fn define(&self, _jobs: Vec<DefinedJob>) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }

    /// Records a pause, resume or reschedule for every process to follow.
    fn control<'a>(&'a self, _job: &'a str, _change: ControlChange) -> StoreFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    /// The jobs whose schedule or pause changed after `version`.
    fn changes(&self, _since: i64) -> StoreFuture<'_, Vec<StoredJob>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Writes run history records (of every process: each writes its own).
    fn record<'a>(&'a self, _runs: &'a [RunRecord]) -> StoreFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    /// The last `limit` records of `job` scheduled before `before` (all when `None`), of every
    /// process, oldest first.
    fn runs<'a>(
        &'a self,
        _job: &'a str,
        _limit: usize,
        _before: Option<DateTime<Utc>>,
    ) -> StoreFuture<'a, Vec<RunRecord>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Deletes run history, ended jobs and finished ticks older than `before`, a chunk per
    /// statement so that no statement holds locks for long; answers how many rows went.
    fn prune(&self, _before: DateTime<Utc>) -> StoreFuture<'_, u64> {
        Box::pin(async { Ok(0) })
    }

    /// Renews the leases of this process's jobs and ticks, records that its jobs ran until
    /// `now`, and takes back the leases of processes that let theirs expire.
    fn heartbeat(&self, _now: DateTime<Utc>) -> StoreFuture<'_, Heartbeat> {
        Box::pin(async { Ok(Heartbeat::default()) })
    }

    /// Whether a job can be enqueued in the caller's own transaction on this store's database
    /// (see [`Transactional`]).
    fn transactional(&self) -> bool {
        false
    }

    /// Queues that other processes enqueued into, as the database announces them, so that
    /// their jobs start without waiting for a poll. Taken once; `None` when the store cannot
    /// announce (polling alone finds their jobs).
    fn announcements(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<Arc<str>>> {
        None
    }

    /// The queues with waiting jobs this process runs, and when each is next due: jobs
    /// enqueued by other processes are found so.
    fn poll(&self) -> StoreFuture<'_, Vec<Waiting>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

#[cfg(test)]
mod tests;
