use crate::private::Extract;
use crate::store::JobId;
use chrono::{DateTime, Utc};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use tokio::sync::watch;

/// What a running job knows about its run: take it as a parameter of a `#[job]` function.
///
/// # Examples
///
/// ```
/// use jobs_runtime::{job, JobContext};
///
/// #[job(every = "1m")]
/// async fn sync_accounts(ctx: JobContext) {
///     tracing::info!(attempt = ctx.attempt(), scheduled = %ctx.scheduled_at(), "syncing");
///     tokio::select! {
///         () = ctx.cancelled() => tracing::info!("shutting down, stopping early"),
///         () = async { /* the work */ } => {}
///     }
/// }
/// ```
//
// Its fields are held by value, not behind an `Arc`: a context is made for every attempt and
// cloned rarely, and an allocation per run is a measurable share of a run in a burst.
#[derive(Clone)]
pub struct JobContext {
    name: Arc<str>,
    run_id: RunId,
    attempt: u32,
    scheduled_at: DateTime<Utc>,
    shutdown: watch::Receiver<bool>,
    states: Arc<States>,
    /// An on-demand run's job and its JSON payload.
    enqueued: Option<(JobId, Arc<str>)>,
    catch_up: bool,
}

/// What started a run.
pub(crate) enum Origin {
    /// A tick, a trigger, or (`catch_up`) a tick missed while no process ran.
    Tick { catch_up: bool },
    /// An enqueued job, with its JSON payload.
    Enqueued(JobId, Arc<str>),
}

impl JobContext {
    pub(crate) fn new(
        name: Arc<str>,
        run_id: RunId,
        attempt: u32,
        scheduled_at: DateTime<Utc>,
        shutdown: watch::Receiver<bool>,
        states: Arc<States>,
        origin: Origin,
    ) -> Self {
        let (enqueued, catch_up) = match origin {
            Origin::Tick { catch_up } => (None, catch_up),
            Origin::Enqueued(id, payload) => (Some((id, payload)), false),
        };
        Self {
            name,
            run_id,
            attempt,
            scheduled_at,
            shutdown,
            states,
            enqueued,
            catch_up,
        }
    }

    /// Whether this run is a tick that was missed while no process ran, run late by the job's
    /// `catch_up` policy when a process started again (durable stores only).
    #[must_use]
    pub fn is_catch_up(&self) -> bool {
        self.catch_up
    }

    /// The enqueued job this run belongs to; `None` for a scheduled tick or a triggered run.
    #[must_use]
    pub fn job_id(&self) -> Option<JobId> {
        self.enqueued.as_ref().map(|(id, _)| *id)
    }

    /// The enqueued job's payload, a JSON object of its payload parameters.
    pub(crate) fn payload(&self) -> Option<&str> {
        self.enqueued.as_ref().map(|(_, payload)| &**payload)
    }

    /// The job's name: `module::path::fn_name` unless `#[job(name = "…")]` says otherwise.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// This run's identifier, the same for every attempt of the run and in its history record.
    #[must_use]
    pub fn run_id(&self) -> RunId {
        self.run_id
    }

    /// The attempt, counting from 1; `retries = 3` allows attempts 1 to 4.
    #[must_use]
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The instant this run was scheduled for, before any jitter: the same for every attempt and
    /// on every process. For a triggered run, when it was triggered; for an enqueued job, the
    /// instant it was due (when it was enqueued, or its delay's end).
    #[must_use]
    pub fn scheduled_at(&self) -> DateTime<Utc> {
        self.scheduled_at
    }

    /// Resolves when the runtime begins to shut down. The run may go on until the shutdown
    /// timeout, when it is cancelled; a job that can stop early should listen here.
    pub async fn cancelled(&self) {
        let mut shutdown = self.shutdown.clone();
        // An error means the runtime is gone, which is a shutdown too.
        let _ = shutdown.wait_for(|&stopping| stopping).await;
    }

    /// Whether the runtime has begun to shut down.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        *self.shutdown.borrow()
    }

    pub(crate) fn states(&self) -> &States {
        &self.states
    }
}

impl fmt::Debug for JobContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobContext")
            .field("name", &self.name())
            .field("run_id", &self.run_id())
            .field("attempt", &self.attempt())
            .field("scheduled_at", &self.scheduled_at())
            .finish_non_exhaustive()
    }
}

/// Identifies one run of a job (all its attempts) within a runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(pub(crate) u64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

/// A shared value given to [`Builder::state`](crate::Builder::state), taken as a job parameter.
///
/// A job that takes a `State<T>` the builder was not given fails at startup, naming the job and
/// `T`, not at its first run.
///
/// # Examples
///
/// ```
/// use jobs_runtime::{job, State};
///
/// struct Pool { url: String }
///
/// #[job(every = "30s")]
/// async fn ping(pool: State<Pool>) {
///     println!("pinging {}", pool.url);
/// }
///
/// # async fn start() -> Result<(), jobs_runtime::Error> {
/// let runtime = jobs_runtime::Runtime::builder()
///     .state(Pool { url: "postgres://localhost/app".into() })
///     .build()?;
/// # Ok(()) }
/// ```
pub struct State<T>(Arc<T>);

impl<T> State<T> {
    /// Wraps a value, to call a job function directly, as in a unit test.
    pub fn new(value: T) -> Self {
        Self(Arc::new(value))
    }

    /// The shared value.
    #[must_use]
    pub fn into_inner(self) -> Arc<T> {
        self.0
    }
}

impl<T> From<Arc<T>> for State<T> {
    fn from(value: Arc<T>) -> Self {
        Self(value)
    }
}

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> Deref for State<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for State<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("State").field(&self.0).finish()
    }
}

/// The values given to [`Builder::state`](crate::Builder::state), by type.
#[derive(Default)]
pub struct States {
    values: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl States {
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.values.insert(TypeId::of::<T>(), Arc::new(value));
    }

    fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let value = Arc::clone(self.values.get(&TypeId::of::<T>())?);
        value.downcast().ok()
    }
}

impl fmt::Debug for States {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("States")
            .field("count", &self.values.len())
            .finish()
    }
}

impl<T: Send + Sync + 'static> Extract for State<T> {
    fn check(states: &States) -> Result<(), &'static str> {
        states
            .get::<T>()
            .map(drop)
            .ok_or_else(std::any::type_name::<T>)
    }

    fn extract(context: &JobContext) -> Self {
        // The runtime checks every job's states before it starts, so this cannot fail.
        Self(
            context
                .states()
                .get::<T>()
                .expect("states are checked when the runtime starts"),
        )
    }
}

impl Extract for JobContext {
    fn check(_: &States) -> Result<(), &'static str> {
        Ok(())
    }

    fn extract(context: &JobContext) -> Self {
        context.clone()
    }
}
