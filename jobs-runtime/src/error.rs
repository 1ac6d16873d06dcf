use crate::context::RunId;
use crate::store::{JobId, JobState, StoreError};
use std::fmt;

/// Why the runtime could not start, or could not do what a [`Handle`](crate::Handle) asked.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A job takes a `State<T>` that [`Builder::state`](crate::Builder::state) was not given.
    MissingState {
        /// The job.
        job: String,
        /// `T`.
        type_name: &'static str,
    },
    /// Two jobs share a name.
    DuplicateJob {
        /// The name.
        name: String,
        /// Where the first is defined (`file:line:column`, or "added at run time").
        first: String,
        /// Where the second is defined.
        second: String,
    },
    /// A registered schedule does not parse: `jobs-macros` and `jobs-runtime` come from different
    /// versions.
    InvalidSchedule {
        /// The job.
        job: String,
        /// The parser's message.
        reason: String,
    },
    /// No job has this name (or `only`/`exclude` named a job that is not registered).
    UnknownJob(String),
    /// A short name that ends the names of several jobs.
    AmbiguousJob {
        /// The name given.
        name: String,
        /// The jobs it could mean.
        matches: Vec<String>,
    },
    /// The runtime has shut down.
    ShutDown,
    /// No run with this id is running in this process (it ended, or runs in another process).
    UnknownRun(RunId),
    /// An enqueue found no running runtime in this process: none has started, or it has shut
    /// down.
    NotRunning {
        /// The job.
        job: String,
    },
    /// The runtime does not run this job (its `only` or `exclude` left it out), so nothing would
    /// ever run it.
    NotInRuntime {
        /// The job.
        job: String,
    },
    /// More than one running runtime of this process runs this job: enqueue through the
    /// [`Handle`](crate::Handle) of the one meant.
    SeveralRuntimes {
        /// The job.
        job: String,
    },
    /// The payload could not be written as JSON (a map with keys that are not strings, a
    /// `Serialize` implementation that fails).
    Payload {
        /// The job.
        job: String,
        /// serde's message.
        reason: String,
    },
    /// A job that takes a payload was triggered or enqueued by name; enqueue it with its payload
    /// instead.
    PayloadRequired {
        /// The job.
        job: String,
    },
    /// As many enqueued jobs wait as [`Builder::max_pending`](crate::Builder::max_pending)
    /// allows; this one was not stored.
    Full {
        /// The limit.
        limit: usize,
    },
    /// No enqueued job has this id, or it ended so long ago that it was forgotten.
    UnknownJobId(JobId),
    /// The enqueued job had already ended, so it cannot be cancelled.
    AlreadyFinished {
        /// The job.
        id: JobId,
        /// How it ended.
        state: JobState,
    },
    /// Listening for SIGINT or SIGTERM failed.
    Signal(std::io::Error),
    /// The store's URL (from [`Builder::store`](crate::Builder::store) or `JOBS_DATABASE_URL`)
    /// names no store this build can open.
    StoreUrl {
        /// The URL, its password hidden.
        url: String,
        /// Where it came from.
        from: &'static str,
        /// What is wrong, and how to fix it.
        reason: String,
    },
    /// The database could not be reached, or failed: at startup the runtime does not start; an
    /// enqueue or a lookup did not happen.
    Database {
        /// The database's or the driver's message.
        reason: String,
    },
    /// A job was enqueued in a transaction, but its runtime's store is not PostgreSQL: nothing
    /// would ever read the job from there.
    NotTransactional {
        /// The job.
        job: String,
    },
    /// The dashboard is misconfigured (a bad `JOBS_DASHBOARD` address, an empty token, an
    /// address beyond loopback without a token, a build without the `dashboard` feature), or it
    /// cannot listen on its address.
    Dashboard {
        /// What is wrong, naming the setting.
        reason: String,
    },
    /// The database's schema was written by a newer version of jobs-runtime than this one.
    SchemaTooNew {
        /// The schema version found.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingState { job, type_name } => write!(
                f,
                "job `{job}` takes `State<{type_name}>`, but the runtime was given no `{type_name}`: add `.state(value)` to `Runtime::builder()`"
            ),
            Self::DuplicateJob { name, first, second } => write!(
                f,
                "two jobs are named `{name}`: one at {first}, one at {second}; give one of them `#[job(name = \"…\")]`"
            ),
            Self::InvalidSchedule { job, reason } => write!(
                f,
                "job `{job}` has an invalid schedule ({reason}); jobs-macros and jobs-runtime must be the same version"
            ),
            Self::UnknownJob(name) => write!(f, "no job is named `{name}`"),
            Self::AmbiguousJob { name, matches } => write!(
                f,
                "`{name}` could be any of {}; give the full name",
                matches.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
            ),
            Self::ShutDown => f.write_str("the job runtime has shut down"),
            Self::NotRunning { job } => write!(
                f,
                "cannot enqueue `{job}`: no job runtime is running in this process (none has started, or it has shut down); start one with `jobs_runtime::run()` or `Runtime::start()` first"
            ),
            Self::NotInRuntime { job } => write!(
                f,
                "cannot enqueue `{job}`: the running job runtime does not run it (its `only` or `exclude` left it out), so nothing would ever run it"
            ),
            Self::SeveralRuntimes { job } => write!(
                f,
                "cannot enqueue `{job}`: several running job runtimes run it; enqueue through the handle of one with `{}::options().handle(&handle)`",
                job.rsplit("::").next().unwrap_or(job)
            ),
            Self::Payload { job, reason } => {
                write!(f, "cannot enqueue `{job}`: its payload does not serialise to JSON: {reason}")
            }
            Self::PayloadRequired { job } => write!(
                f,
                "job `{job}` takes a payload, so it cannot be triggered or enqueued by name; enqueue it with `{}::enqueue(…)`",
                job.rsplit("::").next().unwrap_or(job)
            ),
            Self::Full { limit } => write!(
                f,
                "the job was not enqueued: {limit} enqueued jobs are already waiting in memory, the runtime's `max_pending`; retry later, raise a queue's limit with `.queue(name, limit)`, or raise `.max_pending(…)`"
            ),
            Self::UnknownJobId(id) => write!(
                f,
                "no enqueued job has id {id} (or it ended long enough ago to be forgotten)"
            ),
            Self::AlreadyFinished { id, state } => {
                write!(f, "job {id} cannot be cancelled: it has already ended ({state:?})")
            }
            Self::Signal(error) => write!(f, "cannot listen for shutdown signals: {error}"),
            Self::StoreUrl { url, from, reason } => {
                write!(f, "cannot use the store `{url}` (from {from}): {reason}")
            }
            Self::Database { reason } => write!(f, "the job store's database failed: {reason}"),
            Self::NotTransactional { job } => write!(
                f,
                "cannot enqueue `{job}` in a transaction: its runtime's store is not PostgreSQL; give the runtime the same database with `.store(\"postgres://…\")` or JOBS_DATABASE_URL"
            ),
            Self::UnknownRun(run) => write!(
                f,
                "no run {run} is running in this process (it ended, or it runs in another process)"
            ),
            Self::Dashboard { reason } => write!(f, "the dashboard cannot start: {reason}"),
            Self::SchemaTooNew { found, supported } => write!(
                f,
                "the job store's schema is at version {found}, newer than the {supported} this build of jobs-runtime knows: a newer release migrated it; run that release (or newer) against this database"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Signal(error) => Some(error),
            _ => None,
        }
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Full { limit } => Self::Full { limit },
            StoreError::UnknownId(id) => Self::UnknownJobId(id),
            StoreError::Database(reason) => Self::Database {
                reason: reason.to_string(),
            },
        }
    }
}
