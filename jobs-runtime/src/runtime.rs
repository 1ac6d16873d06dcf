use crate::clock::Clock;
use crate::context::{RunId, States};
use crate::dashboard;
use crate::enqueue::When;
use crate::history::{History, JobHistory, Outcome, RunRecord};
use crate::job::{Job, JobSpec};
use crate::queue::{self, Listed, Queues};
use crate::reconcile::{self, Reconciliation, StoredJobReport};
use crate::registry::{self, name_matches};
use crate::scheduler::{Command, Event, Scheduler};
use crate::store::{
    self, Cancel, ControlChange, DefinedJob, JobId, JobState, MemoryStore, Pause, Store,
    StoreError, StoreOptions, StoreUrl,
};
use crate::Error;
use chrono::{DateTime, Utc};
use jobs_schedule::Schedule;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch, Notify};

/// What the scheduler, the runs and the handles share.
pub(crate) struct Shared {
    pub(crate) history: History,
    pub(crate) states: Arc<States>,
    pub(crate) clock: Clock,
    /// `true` once shutdown begins: runs see it through `JobContext::cancelled`.
    pub(crate) shutdown: watch::Sender<bool>,
    /// The same, read without the watch's lock on every enqueue and claim.
    pub(crate) stopping: AtomicBool,
    /// `true` once the scheduler has stopped and every run has ended.
    stopped: watch::Sender<bool>,
    /// Where runs and queue workers report to the scheduler.
    pub(crate) events: mpsc::UnboundedSender<Event>,
    /// Why the scheduler aborted a run, read by the run's record as it is dropped.
    cancel_reasons: Mutex<HashMap<RunId, String>>,
    /// The same for enqueued jobs: a database's job ids and this process's run ids are counted
    /// apart, so they may meet.
    job_cancel_reasons: Mutex<HashMap<JobId, String>>,
    /// Whether the store's database is failing: logged once when it starts and once when it ends.
    outage: Outage,
    /// How the store's jobs compared with this process's code at startup, with the changes made
    /// through handles since.
    pub(crate) report: RwLock<Vec<StoredJobReport>>,
    /// Store writes retried in the background, which shutdown waits for.
    writes: AtomicUsize,
    writes_settled: Notify,
    /// Run ids and job ids come from one counter, so that an enqueued job's run can use its
    /// job's number as its run id.
    run_ids: AtomicU64,
    /// Set in every run id this process gives (ticks, triggers) when job ids are a database's:
    /// see [`Shared::next_run_id`].
    run_id_base: u64,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) queues: Queues,
    /// Every job the runtime runs, by full name: what enqueue and the queue workers look up.
    pub(crate) catalog: RwLock<HashMap<Arc<str>, Listed>>,
    /// Bumped on every change of `catalog`, so that a worker can keep an entry while it holds.
    catalog_version: AtomicU64,
    /// The tokio runtime the job runtime started on: queue workers run there, even when a job is
    /// enqueued from another tokio runtime.
    pub(crate) tokio: tokio::runtime::Handle,
    /// The bearer token the dashboard's actions need; `None` refuses them all.
    #[cfg_attr(
        not(feature = "dashboard"),
        allow(dead_code, reason = "only the dashboard reads it")
    )]
    pub(crate) dashboard_token: Option<Arc<str>>,
    /// When this process's runtime started: the dashboard's `explain` knows no earlier run
    /// unless a durable store kept it.
    #[cfg_attr(
        not(feature = "dashboard"),
        allow(dead_code, reason = "only the dashboard reads it")
    )]
    pub(crate) started_at: DateTime<Utc>,
}

impl Shared {
    pub(crate) fn catalog(&self, job: &str) -> Option<Listed> {
        let catalog = self.catalog.read().unwrap_or_else(PoisonError::into_inner);
        catalog.get(job).cloned()
    }

    pub(crate) fn catalog_version(&self) -> u64 {
        self.catalog_version.load(Ordering::Acquire)
    }

    pub(crate) fn add_to_catalog(
        &self,
        spec: &Arc<JobSpec>,
        history: &Arc<JobHistory>,
        slot: usize,
    ) {
        let listed = Listed {
            spec: Arc::clone(spec),
            history: Arc::clone(history),
            queue: self.queues.queue(&spec.options.queue),
            slot,
        };
        let mut catalog = self.catalog.write().unwrap_or_else(PoisonError::into_inner);
        catalog.insert(Arc::clone(&spec.name), listed);
        self.catalog_version.fetch_add(1, Ordering::AcqRel);
    }

    /// Tells the store which jobs this process runs. Called once after a change to the
    /// catalog, not per job added: at startup that listed every job again for each one, which
    /// took a second for 10 000 jobs and grows with the square.
    pub(crate) fn serve_catalog(&self) {
        let catalog = self.catalog.read().unwrap_or_else(PoisonError::into_inner);
        self.store.serve(catalog.keys().cloned().collect());
    }

    /// The scheduler slot of the job `name` names, in full or by the last parts of its name.
    pub(crate) fn slot_named(&self, name: &str) -> Result<usize, Error> {
        let catalog = self.catalog.read().unwrap_or_else(PoisonError::into_inner);
        let full = registry::resolve(catalog.keys().map(AsRef::as_ref), name)?;
        Ok(catalog[full.as_str()].slot)
    }

    /// The full name of the job `name` names, in full or by the last parts of its name.
    pub(crate) fn full_name(&self, name: &str) -> Result<String, Error> {
        let catalog = self.catalog.read().unwrap_or_else(PoisonError::into_inner);
        registry::resolve(catalog.keys().map(AsRef::as_ref), name)
    }

    /// The scheduler slot of the job named `name` in full.
    pub(crate) fn slot_of(&self, name: &str) -> Option<usize> {
        let catalog = self.catalog.read().unwrap_or_else(PoisonError::into_inner);
        catalog.get(name).map(|listed| listed.slot)
    }

    pub(crate) fn remove_from_catalog(&self, job: &str) {
        let mut catalog = self.catalog.write().unwrap_or_else(PoisonError::into_inner);
        catalog.remove(job);
        self.catalog_version.fetch_add(1, Ordering::AcqRel);
    }

    /// Asks the scheduler to wake `queue`'s workers at `at`.
    pub(crate) fn wake_queue_at(&self, queue: &Arc<str>, at: DateTime<Utc>) {
        // The scheduler is gone only once the runtime has stopped, and then no worker waits.
        let _ = self.events.send(Event::WakeQueue(Arc::clone(queue), at));
    }

    /// A new run id. With a durable store, job ids (and so the run ids of enqueued jobs) are
    /// the database's, and every process counts its other runs from 1: those take bit 62 and a
    /// random number of the process above a 32-bit count, so that they meet neither a job id nor
    /// another process's runs in the stored history or the dashboard's `/api/runs/{id}`.
    pub(crate) fn next_run_id(&self) -> RunId {
        let count = self.run_ids.fetch_add(1, Ordering::Relaxed) + 1;
        if self.run_id_base == 0 {
            RunId(count)
        } else {
            RunId(self.run_id_base | (count & 0xffff_ffff))
        }
    }

    pub(crate) fn set_cancel_reason(&self, run: RunId, reason: String) {
        let mut reasons = self
            .cancel_reasons
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        reasons.insert(run, reason);
    }

    pub(crate) fn take_cancel_reason(&self, run: RunId) -> Option<String> {
        let mut reasons = self
            .cancel_reasons
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        reasons.remove(&run)
    }

    pub(crate) fn set_job_cancel_reason(&self, job: JobId, reason: String) {
        let mut reasons = self
            .job_cancel_reasons
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        reasons.insert(job, reason);
    }

    pub(crate) fn take_job_cancel_reason(&self, job: JobId) -> Option<String> {
        let mut reasons = self
            .job_cancel_reasons
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        reasons.remove(&job)
    }

    /// Runs a store operation, noting its outcome in the outage it may start or end; `what` names
    /// it in the log ("claiming jobs").
    pub(crate) async fn stored<T>(
        &self,
        what: &str,
        operation: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let attempt = self.outage.attempt();
        let round_trip = crate::metrics::RoundTrip::start(&*self.store);
        let result = operation.await;
        match &result {
            Ok(_) => {
                round_trip.end(what);
                self.outage.succeeded(attempt);
            }
            Err(error) => self.outage.failed(what, error),
        }
        result
    }

    /// Runs `write` in the background until the store takes it, retrying with backoff while the
    /// database fails; shutdown waits for it (see [`Shared::writes_settled`]).
    pub(crate) fn write<F, W>(self: &Arc<Self>, what: &'static str, write: W)
    where
        W: Fn() -> F + Send + 'static,
        F: Future<Output = Result<(), StoreError>> + Send,
    {
        self.writes.fetch_add(1, Ordering::AcqRel);
        let shared = Arc::clone(self);
        self.tokio.spawn(async move {
            let mut backoff = Duration::from_millis(100);
            loop {
                if shared.stored(what, write()).await.is_ok() {
                    break;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
            if shared.writes.fetch_sub(1, Ordering::AcqRel) == 1 {
                shared.writes_settled.notify_waiters();
            }
        });
    }

    /// Waits until no background write is left, or `limit` has passed.
    pub(crate) async fn writes_settled(&self, limit: Duration) {
        let settled = async {
            loop {
                let notified = self.writes_settled.notified();
                if self.writes.load(Ordering::Acquire) == 0 {
                    return;
                }
                notified.await;
            }
        };
        if tokio::time::timeout(limit, settled).await.is_err() {
            tracing::warn!(
                writes = self.writes.load(Ordering::Acquire),
                "stopped with store writes still failing: the claims they would have ended expire with this process's lease, and another process runs them again"
            );
        }
    }
}

/// Runs every registered job, in memory, until SIGINT or SIGTERM; then shuts down gracefully.
///
/// The same as `Runtime::builder().build()?.run().await`; use [`Runtime::builder`] to give jobs
/// their `State<T>`, pick jobs, or change the shutdown timeout.
///
/// # Errors
///
/// A startup error (a job takes a `State<T>` nobody gave, two jobs share a name), or a failure to
/// listen for signals.
///
/// # Examples
///
/// ```no_run
/// #[jobs_runtime::job(every = "10s")]
/// async fn heartbeat() {
///     println!("alive");
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), jobs_runtime::Error> {
///     jobs_runtime::run().await
/// }
/// ```
pub async fn run() -> Result<(), Error> {
    Runtime::builder().build()?.run().await
}

/// Configures a [`Runtime`]: its states, which jobs it runs, its shutdown timeout and clock.
#[must_use]
pub struct Builder {
    states: States,
    only: Option<Vec<String>>,
    exclude: Vec<String>,
    jobs: Vec<Job>,
    registered: bool,
    shutdown_timeout: Duration,
    history_limit: usize,
    clock: Clock,
    queue_limits: HashMap<String, usize>,
    default_queue_limit: usize,
    max_pending: usize,
    store: Option<String>,
    options: StoreOptions,
    dashboard: Option<std::net::SocketAddr>,
    dashboard_token: Option<String>,
}

impl Builder {
    /// Gives jobs that take a `State<T>` their `T`. One value per type.
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(value);
        self
    }

    /// Runs only these registered jobs, by full name (`my_crate::jobs::cleanup`) or by the last
    /// part of it (`cleanup`).
    pub fn only<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.only
            .get_or_insert_with(Vec::new)
            .extend(names.into_iter().map(Into::into));
        self
    }

    /// Runs every registered job but these, named as in [`Builder::only`].
    pub fn exclude<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.exclude.extend(names.into_iter().map(Into::into));
        self
    }

    /// Runs no `#[job]` function, only the jobs given to [`Builder::job`] or added later.
    pub fn without_registered_jobs(mut self) -> Self {
        self.registered = false;
        self
    }

    /// Adds a job defined at run time.
    pub fn job(mut self, job: Job) -> Self {
        self.jobs.push(job);
        self
    }

    /// How long shutdown waits for running jobs before cancelling them (default 30s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// How many records of each job the history keeps (default 100).
    pub fn history_limit(mut self, records: usize) -> Self {
        self.history_limit = records;
        self
    }

    /// Where the runtime reads the time; [`Clock::starting_at`] for tests on paused time.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// How many enqueued jobs of `queue` run at once in this process (default 10). A limit of 0
    /// is taken as 1: a queue that can never run a job would hold its jobs forever.
    pub fn queue(mut self, queue: impl Into<String>, limit: usize) -> Self {
        self.queue_limits.insert(queue.into(), limit.max(1));
        self
    }

    /// How many enqueued jobs of a queue the builder did not name run at once (default 10).
    pub fn default_queue_limit(mut self, limit: usize) -> Self {
        self.default_queue_limit = limit.max(1);
        self
    }

    /// How many enqueued jobs may wait in memory, pending or scheduled, over all queues (default
    /// 1 000 000, a few hundred megabytes at most). When it is reached, `enqueue` returns
    /// [`Error::Full`] at once and stores nothing: the caller still holds the job and decides
    /// whether to retry, shed load or fail its request. Jobs that have started do not count.
    pub fn max_pending(mut self, jobs: usize) -> Self {
        self.max_pending = jobs;
        self
    }

    /// Where enqueued jobs wait and ticks are claimed: `"sqlite://path/to/jobs.db"` (feature
    /// `sqlite`: durable on one machine, shared by the processes that open the file),
    /// `"postgres://user@host/database"` (feature `postgres`: a cluster of processes on many
    /// machines), or `"memory://"`.
    ///
    /// Without it, `JOBS_DATABASE_URL` is read, and without that the store is in memory. The
    /// database is connected and its schema migrated when the runtime starts.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), jobs_runtime::Error> {
    /// let runtime = jobs_runtime::Runtime::builder().store("memory://").build()?;
    /// # Ok(()) }
    /// ```
    pub fn store(mut self, url: impl Into<String>) -> Self {
        self.store = Some(url.into());
        self
    }

    /// How long a durable store's claim on a job or a tick holds without this process's
    /// heartbeat (default 10 s; it beats three times per lease). When a process dies, its
    /// claims pass to the others this long after its last heartbeat. A longer lease tolerates
    /// longer database outages and clock skew between processes; a shorter one retries the
    /// work of a dead process sooner.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.options.lease = lease.max(Duration::from_millis(300));
        self
    }

    /// How often a durable store is asked for jobs that other processes enqueued (default 1 s).
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.options.poll = every.max(Duration::from_millis(10));
        self
    }

    /// How long a durable store keeps run history, ended jobs and finished ticks (default 7
    /// days). Older ones are deleted in small chunks in the background, never in the way of
    /// claims. The memory store keeps [`Builder::history_limit`] records per job instead.
    pub fn history_retention(mut self, retention: Duration) -> Self {
        self.options.retention = retention;
        self
    }

    /// Serves the dashboard (its page and JSON API) at `address` while the runtime runs, as
    /// `JOBS_DASHBOARD=127.0.0.1:7878` does when this is not called. An address beyond loopback
    /// needs a token ([`Builder::dashboard_token`]). To serve it from the application's own
    /// axum app instead, mount [`dashboard::router`](crate::dashboard::router).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let runtime = jobs_runtime::Runtime::builder()
    ///     .dashboard("127.0.0.1:7878".parse()?)
    ///     .dashboard_token("a long random string")
    ///     .build()?;
    /// # drop(runtime); Ok(()) }
    /// ```
    #[cfg(feature = "dashboard")]
    pub fn dashboard(mut self, address: std::net::SocketAddr) -> Self {
        self.dashboard = Some(address);
        self
    }

    /// The bearer token the dashboard's actions need (`Authorization: Bearer <token>`), as
    /// `JOBS_DASHBOARD_TOKEN` gives it when this is not called. Without one, every action is
    /// refused (403) and only reads are served.
    #[cfg(feature = "dashboard")]
    pub fn dashboard_token(mut self, token: impl Into<String>) -> Self {
        self.dashboard_token = Some(token.into());
        self
    }

    /// Checks the configuration against the registered jobs.
    ///
    /// # Errors
    ///
    /// [`Error::MissingState`] when a job takes a `State<T>` that [`Builder::state`] was not
    /// given; [`Error::DuplicateJob`] when two jobs share a name; [`Error::UnknownJob`] when
    /// `only` or `exclude` names no registered job; [`Error::StoreUrl`] when the store's URL
    /// (given, or from `JOBS_DATABASE_URL`) is not one this build can open; [`Error::Dashboard`]
    /// when the dashboard's address or token (given, or from `JOBS_DASHBOARD` and
    /// `JOBS_DASHBOARD_TOKEN`) is unusable.
    pub fn build(self) -> Result<Runtime, Error> {
        let store = StoreUrl::choose(self.store.as_deref())?;
        let dashboard =
            dashboard::Settings::choose(self.dashboard, self.dashboard_token, |name| {
                std::env::var(name).ok()
            })?;
        let mut specs = Vec::new();
        let mut queues = HashMap::new();
        if self.registered {
            let definitions: Vec<_> = registry::definitions().collect();
            for name in self.only.iter().flatten().chain(&self.exclude) {
                if !definitions.iter().any(|def| name_matches(def.name, name)) {
                    return Err(Error::UnknownJob(name.clone()));
                }
            }
            for def in definitions {
                let picked = self
                    .only
                    .as_ref()
                    .is_none_or(|only| only.iter().any(|name| name_matches(def.name, name)));
                let excluded = self.exclude.iter().any(|name| name_matches(def.name, name));
                if picked && !excluded {
                    (def.check)(&self.states).map_err(|type_name| Error::MissingState {
                        job: def.name.to_owned(),
                        type_name,
                    })?;
                    specs.push(JobSpec::from_def(def, &mut queues)?);
                }
            }
        }
        specs.extend(self.jobs.into_iter().map(|job| job.spec));
        let mut seen: HashMap<&str, &JobSpec> = HashMap::new();
        for spec in &specs {
            if let Some(first) = seen.insert(&spec.name, spec) {
                let place = |spec: &JobSpec| {
                    spec.location()
                        .unwrap_or_else(|| "added at run time".to_owned())
                };
                let (mut first, mut second) = (place(first), place(spec));
                if location_order(&first) > location_order(&second) {
                    std::mem::swap(&mut first, &mut second);
                }
                return Err(Error::DuplicateJob {
                    name: spec.name.to_string(),
                    first,
                    second,
                });
            }
        }
        if specs.is_empty() {
            tracing::warn!(
                "no jobs to run: no `#[job]` function is registered in this binary. Jobs defined in a \
                 library crate are registered only if the binary links that crate; if the binary \
                 refers to nothing in it, add `use my_jobs_crate as _;`"
            );
        }
        Ok(Runtime {
            specs,
            states: Arc::new(self.states),
            shutdown_timeout: self.shutdown_timeout,
            history_limit: self.history_limit,
            clock: self.clock,
            queue_limits: self.queue_limits,
            default_queue_limit: self.default_queue_limit,
            max_pending: self.max_pending,
            store,
            options: self.options,
            dashboard,
        })
    }
}

/// `file:line:column` ordered by file, then numerically.
fn location_order(location: &str) -> (&str, u32, u32) {
    let mut parts = location.rsplitn(3, ':');
    let column = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
    (parts.next().unwrap_or(location), line, column)
}

/// The job runtime: the jobs it runs and how. Start it with [`Runtime::start`],
/// [`Runtime::run`] or [`Runtime::run_until`].
///
/// # Examples
///
/// ```
/// use jobs_runtime::Runtime;
/// use std::time::Duration;
///
/// #[jobs_runtime::job(every = "1s")]
/// async fn tick() {}
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), jobs_runtime::Error> {
/// let runtime = Runtime::builder()
///     .shutdown_timeout(Duration::from_secs(5))
///     .build()?;
/// runtime.run_until(tokio::time::sleep(Duration::from_millis(1500))).await?;
/// # Ok(()) }
/// ```
pub struct Runtime {
    specs: Vec<JobSpec>,
    states: Arc<States>,
    shutdown_timeout: Duration,
    history_limit: usize,
    clock: Clock,
    queue_limits: HashMap<String, usize>,
    default_queue_limit: usize,
    max_pending: usize,
    store: StoreUrl,
    options: StoreOptions,
    dashboard: dashboard::Settings,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field(
                "jobs",
                &self.specs.iter().map(|s| &s.name).collect::<Vec<_>>(),
            )
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// A builder with every registered job, no states, a 30s shutdown timeout and the system
    /// clock.
    pub fn builder() -> Builder {
        Builder {
            states: States::default(),
            only: None,
            exclude: Vec::new(),
            jobs: Vec::new(),
            registered: true,
            shutdown_timeout: Duration::from_secs(30),
            history_limit: 100,
            clock: Clock::system(),
            queue_limits: HashMap::new(),
            default_queue_limit: queue::DEFAULT_LIMIT,
            max_pending: 1_000_000,
            dashboard: None,
            dashboard_token: None,
            store: None,
            options: StoreOptions {
                lease: Duration::from_secs(10),
                poll: Duration::from_secs(1),
                retention: Duration::from_secs(7 * 24 * 3600),
            },
        }
    }

    /// Starts scheduling in the background, on the current tokio runtime, and returns a
    /// [`Handle`] to control it. Jobs go on running if every handle is dropped.
    ///
    /// From then on, the runtime's on-demand jobs can be enqueued (`my_job::enqueue(…)`).
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when a durable store's database cannot be reached or migrated;
    /// [`Error::SchemaTooNew`] when a newer release has migrated it.
    pub async fn start(self) -> Result<Handle, Error> {
        let (commands, receiver) = mpsc::unbounded_channel();
        let (events, events_receiver) = mpsc::unbounded_channel();
        // Ended jobs answer `job_state` for as long as a job's history keeps its records.
        let keep_finished = self.history_limit.max(10_000);
        let store = store::open(&self.store, self.options, || {
            MemoryStore::new(self.max_pending, keep_finished)
        })
        .await?;
        // With a durable store, every record is also written there, by a task of its own.
        let (sink, records) = if store.durable() {
            let (sink, records) = mpsc::unbounded_channel();
            (Some(sink), Some(records))
        } else {
            (None, None)
        };
        let clock = self.clock.anchor();
        let started_at = clock.now();
        let shared = Arc::new(Shared {
            history: History::new(self.history_limit, sink),
            states: self.states,
            clock,
            shutdown: watch::Sender::new(false),
            stopping: AtomicBool::new(false),
            stopped: watch::Sender::new(false),
            events,
            cancel_reasons: Mutex::default(),
            job_cancel_reasons: Mutex::default(),
            outage: Outage::default(),
            report: RwLock::default(),
            writes: AtomicUsize::new(0),
            writes_settled: Notify::new(),
            run_ids: AtomicU64::new(0),
            run_id_base: run_id_base(&*store),
            queues: Queues::new(self.queue_limits, self.default_queue_limit, store.durable()),
            store,
            catalog: RwLock::default(),
            catalog_version: AtomicU64::new(0),
            tokio: tokio::runtime::Handle::current(),
            dashboard_token: self.dashboard.token.clone(),
            started_at,
        });
        // Read before the first heartbeat moves it to now.
        let seen = shared.store.seen().await?;
        let mut specs = self.specs;
        let reconciled = reconcile::reconcile(&*shared.store, &mut specs).await?;
        *shared
            .report
            .write()
            .unwrap_or_else(PoisonError::into_inner) = reconciled.report;
        let scheduler = Scheduler::new(
            specs,
            &seen,
            &reconciled.paused,
            Arc::clone(&shared),
            receiver,
            events_receiver,
            self.shutdown_timeout,
        );
        let upkeep = shared.store.durable().then(|| {
            let (finish, finished) = oneshot::channel();
            let task = tokio::spawn(crate::upkeep::run(
                Arc::clone(&shared),
                self.options,
                reconciled.version,
                finished,
            ));
            (finish, task)
        });
        let history = records.map(|records| {
            let (finish, finished) = oneshot::channel();
            let task = tokio::spawn(crate::history::write(
                Arc::clone(&shared),
                records,
                finished,
                self.options.lease,
            ));
            (finish, task)
        });
        crate::metrics::start(&shared, self.options.poll);
        let stopped = Arc::clone(&shared);
        tokio::spawn(async move {
            scheduler.run().await;
            // The last records, and the last heartbeat, which records up to when this process
            // ran its jobs: stopped only once they are written.
            for (finish, task) in history.into_iter().chain(upkeep) {
                let _ = finish.send(());
                let _ = task.await;
            }
            crate::metrics::export(&stopped);
            stopped.stopped.send_replace(true);
        });
        crate::enqueue::register(&shared);
        let handle = Handle { commands, shared };
        #[cfg(feature = "dashboard")]
        dashboard::start(&handle, &self.dashboard).await?;
        Ok(handle)
    }

    /// Runs until `signal` completes, then shuts down gracefully.
    ///
    /// # Errors
    ///
    /// As [`Runtime::start`].
    pub async fn run_until<F: Future>(self, signal: F) -> Result<(), Error> {
        let handle = self.start().await?;
        signal.await;
        handle.shutdown().await;
        Ok(())
    }

    /// Runs until SIGINT (Ctrl-C) or SIGTERM, then shuts down gracefully.
    ///
    /// # Errors
    ///
    /// As [`Runtime::start`], or [`Error::Signal`] if the signals cannot be listened for.
    pub async fn run(self) -> Result<(), Error> {
        let signal = shutdown_signal()?;
        self.run_until(signal).await
    }
}

/// What [`Shared::next_run_id`] sets in the run ids of a process on `store`.
fn run_id_base(store: &dyn Store) -> u64 {
    if store.durable() {
        (1 << 62) | (u64::from(fastrand::u32(..) >> 2) << 32)
    } else {
        0
    }
}

/// Resolves on SIGINT or SIGTERM (Ctrl-C elsewhere). Set up before returning, so that a signal
/// that arrives while jobs start is not lost.
fn shutdown_signal() -> Result<impl Future<Output = ()>, Error> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(Error::Signal)?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => tracing::info!("received SIGINT"),
            _ = terminate.recv() => tracing::info!("received SIGTERM"),
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Controls a started [`Runtime`]; cheap to clone.
///
/// # Examples
///
/// ```
/// use jobs_runtime::{Job, Outcome, Runtime};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), jobs_runtime::Error> {
/// let handle = Runtime::builder()
///     .without_registered_jobs()
///     .job(Job::on_demand("rebuild_index", |_ctx| async { println!("rebuilding") }))
///     .build()?
///     .start()
///     .await?;
/// handle.trigger("rebuild_index").await?;
/// handle.shutdown().await;
/// assert_eq!(handle.history("rebuild_index")[0].outcome, Outcome::Succeeded);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Handle {
    commands: mpsc::UnboundedSender<Command>,
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

/// A job as the runtime sees it now; see [`Handle::jobs`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct JobStatus {
    /// The job's name.
    pub name: Arc<str>,
    /// Its current schedule; `None` for an on-demand job.
    pub schedule: Option<Schedule>,
    /// When it runs next (the scheduled instant, before jitter).
    pub next_run: Option<DateTime<Utc>>,
    /// Whether it is paused.
    pub paused: bool,
    /// Since when it is paused, as this process knows.
    pub paused_since: Option<DateTime<Utc>>,
    /// Who paused it: "through `Handle::pause`", "through the dashboard", "by another process
    /// of the cluster".
    pub paused_by: Option<Arc<str>>,
    /// The queue its enqueued runs wait in.
    pub queue: Arc<str>,
    /// Where it is defined (`file:line:column`); `None` for a job added at run time.
    pub location: Option<String>,
    /// How many of its runs are running (enqueued jobs not counted: see their queue).
    pub running: usize,
    /// Those runs: their ids and the instants they were scheduled for.
    pub running_runs: Vec<(RunId, DateTime<Utc>)>,
}

impl Handle {
    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T, Error>>) -> Command,
    ) -> Result<T, Error> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .map_err(|_| Error::ShutDown)?;
        answer.await.map_err(|_| Error::ShutDown)?
    }

    /// Runs a job now, whatever its schedule, pause or overlap policy; returns the new run's id.
    ///
    /// Here and in the other methods, a job is named in full (`my_app::jobs::cleanup`) or by the
    /// last parts of its name (`cleanup`, `jobs::cleanup`) when only one job's name ends so.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownJob`], [`Error::AmbiguousJob`], or [`Error::ShutDown`].
    pub async fn trigger(&self, job: &str) -> Result<RunId, Error> {
        self.ask(|reply| Command::Trigger(job.to_owned(), reply))
            .await
    }

    /// Stops a job's ticks from starting runs; each is recorded as skipped with reason `paused`.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownJob`], or [`Error::ShutDown`].
    pub async fn pause(&self, job: &str) -> Result<(), Error> {
        self.pause_by(job, "through `Handle::pause`").await
    }

    /// [`Handle::pause`], saying who paused the job in its skipped ticks and its status.
    pub(crate) async fn pause_by(&self, job: &str, by: &str) -> Result<(), Error> {
        // To the microsecond, as the databases keep it, so that every process says the same.
        let pause = Pause {
            at: chrono::SubsecRound::trunc_subsecs(self.shared.clock.now(), 6),
            by: by.to_owned(),
        };
        self.persist(job, ControlChange::Paused(Some(pause.clone())))
            .await?;
        self.ask(|reply| Command::Pause(job.to_owned(), pause, reply))
            .await
    }

    /// Undoes [`Handle::pause`].
    ///
    /// # Errors
    ///
    /// [`Error::UnknownJob`], or [`Error::ShutDown`].
    pub async fn resume(&self, job: &str) -> Result<(), Error> {
        self.persist(job, ControlChange::Paused(None)).await?;
        self.ask(|reply| Command::Resume(job.to_owned(), reply))
            .await
    }

    /// Replaces a job's schedule; the next tick is the new schedule's first after now.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownJob`], or [`Error::ShutDown`].
    pub async fn reschedule(&self, job: &str, schedule: Schedule) -> Result<(), Error> {
        let stored = reconcile::encode(&schedule);
        self.persist(job, ControlChange::Rescheduled(stored))
            .await?;
        self.ask(|reply| Command::Reschedule(job.to_owned(), schedule, reply))
            .await
    }

    /// Writes a pause, resume or reschedule to a durable store, where every process of the
    /// cluster finds it, before this process follows it; and notes a reschedule in the report.
    async fn persist(&self, job: &str, change: ControlChange) -> Result<(), Error> {
        if !self.shared.store.durable() {
            return Ok(());
        }
        let name = self.shared.full_name(job)?;
        self.shared.store.control(&name, change.clone()).await?;
        if let ControlChange::Rescheduled(stored) = change {
            let mut report = self
                .shared
                .report
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = report.iter_mut().find(|entry| entry.name == name) {
                let code = match &entry.reconciliation {
                    Reconciliation::Overridden { code, .. } => code.clone(),
                    _ => entry.schedule.clone().unwrap_or_default(),
                };
                entry.schedule = Some(reconcile::words(&stored));
                entry.reconciliation = Reconciliation::Overridden {
                    stored: reconcile::words(&stored),
                    code,
                };
            }
        }
        Ok(())
    }

    /// How the jobs of a durable store compared with this process's code when it started: jobs
    /// added, changed in code, overridden at run time (with both schedules), and stored but not
    /// in this process's code (not run here). Reschedules made since through this handle are
    /// shown as overrides. Empty for the memory store.
    pub fn reconciliation(&self) -> Vec<StoredJobReport> {
        self.shared
            .report
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Adds a job defined at run time.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateJob`] when a job has its name, or [`Error::ShutDown`].
    pub async fn add_job(&self, job: Job) -> Result<(), Error> {
        let defined = DefinedJob {
            job: job.spec.name.to_string(),
            schedule: job.spec.schedule.as_ref().map(reconcile::encode),
            origin: "run time",
        };
        self.ask(|reply| Command::Add(Box::new(job), reply)).await?;
        // Recorded for the reports of every process; its code lives only where it was added.
        Ok(self.shared.store.define(vec![defined]).await?)
    }

    /// Removes a job: no more ticks; a run in progress finishes.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownJob`], or [`Error::ShutDown`].
    pub async fn remove_job(&self, job: &str) -> Result<(), Error> {
        self.ask(|reply| Command::Remove(job.to_owned(), reply))
            .await
    }

    /// Every job with its schedule, next run, pause state and running count, by name.
    ///
    /// # Errors
    ///
    /// [`Error::ShutDown`].
    pub async fn jobs(&self) -> Result<Vec<JobStatus>, Error> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Jobs(reply))
            .map_err(|_| Error::ShutDown)?;
        answer.await.map_err(|_| Error::ShutDown)
    }

    /// The job's last records by scheduled instant: runs with their outcome, and ticks that did
    /// not run with the reason. The job is named in full or by the last parts of its name.
    #[must_use]
    pub fn history(&self, job: &str) -> Vec<RunRecord> {
        self.shared.history.of(job)
    }

    /// The last `limit` records of a job from a durable store: the runs of every process of
    /// the cluster, and of earlier processes, oldest first. With the memory store, the same as
    /// [`Handle::history`].
    ///
    /// # Errors
    ///
    /// [`Error::UnknownJob`] or [`Error::AmbiguousJob`] for a name that is not one job's;
    /// [`Error::Database`] when the store cannot be read.
    pub async fn stored_history(&self, job: &str, limit: usize) -> Result<Vec<RunRecord>, Error> {
        if !self.shared.store.durable() {
            let mut history = self.history(job);
            history.drain(..history.len().saturating_sub(limit));
            return Ok(history);
        }
        let name = self.shared.full_name(job)?;
        Ok(self.shared.store.runs(&name, limit, None).await?)
    }

    /// Every job's last records, by scheduled instant.
    #[must_use]
    pub fn all_history(&self) -> Vec<RunRecord> {
        self.shared.history.all()
    }

    /// Enqueues a job that takes no payload, by name: a job defined at run time
    /// ([`Job::on_demand`] with [`Job::queue`]), or a `#[job]` function named by string. It runs
    /// once, as soon as a worker of its queue is free, with its retries and timeout; unlike
    /// [`Handle::trigger`], it waits its turn in its queue. A `#[job]` function is usually
    /// enqueued through its generated module instead: `my_job::enqueue(…)`.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownJob`], [`Error::AmbiguousJob`], [`Error::PayloadRequired`],
    /// [`Error::Full`], or [`Error::ShutDown`].
    ///
    /// # Examples
    ///
    /// ```
    /// use jobs_runtime::{Job, JobState, Runtime};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), jobs_runtime::Error> {
    /// let handle = Runtime::builder()
    ///     .without_registered_jobs()
    ///     .job(Job::on_demand("reindex", |_ctx| async {}).queue("search"))
    ///     .build()?
    ///     .start()
    ///     .await?;
    /// let id = handle.enqueue("reindex").await?;
    /// # while handle.job_state(id).await? != JobState::Succeeded { tokio::task::yield_now().await }
    /// handle.shutdown().await;
    /// assert_eq!(handle.job_state(id).await?, JobState::Succeeded);
    /// # Ok(()) }
    /// ```
    pub async fn enqueue(&self, job: &str) -> Result<JobId, Error> {
        let full = {
            let catalog = self
                .shared
                .catalog
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            registry::resolve(catalog.keys().map(AsRef::as_ref), job)?
        };
        if let Some(Listed { spec, .. }) = self.shared.catalog(&full) {
            if !spec.payload().is_empty() {
                return Err(Error::PayloadRequired { job: full });
            }
        }
        self.shared
            .enqueue(&full, "{}".to_owned(), When::Now, None, None)
            .await
    }

    /// Cancels an enqueued job: one that waits never runs; one that runs is stopped as at the
    /// shutdown timeout (its future is dropped) and recorded as cancelled, unless it ends first,
    /// which then stands. Cancelling a job that was already cancelled does nothing.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownJobId`]; [`Error::AlreadyFinished`] for a job that succeeded or failed.
    pub async fn cancel(&self, id: JobId) -> Result<(), Error> {
        self.cancel_by(id, "through `Handle::cancel`").await
    }

    /// [`Handle::cancel`], saying who cancelled the job in its record.
    pub(crate) async fn cancel_by(&self, id: JobId, by: &str) -> Result<(), Error> {
        match self.shared.store.cancel(id).await? {
            Cancel::Cancelled {
                job,
                payload,
                due_at,
                attempts,
                started_at,
                error,
            } => {
                // Nothing else would ever say what became of it.
                let reason = match (attempts, error) {
                    (0, _) => format!("cancelled {by} before it ran"),
                    (_, Some(last)) => format!(
                        "cancelled {by} while it waited for retry {attempts}; last error: {last}"
                    ),
                    (_, None) => format!("cancelled {by} while it waited for retry {attempts}"),
                };
                self.shared.history.of_job(&job).push(RunRecord {
                    job: Arc::clone(&job),
                    run_id: (attempts > 0).then_some(RunId(id.get())),
                    scheduled_at: due_at,
                    started_at,
                    finished_at: Some(self.shared.clock.now()),
                    attempts,
                    outcome: Outcome::Cancelled,
                    error: Some(reason),
                    lateness: started_at.and_then(|started| (started - due_at).to_std().ok()),
                    permanent: false,
                    job_id: Some(id),
                    payload: Some(payload),
                });
                Ok(())
            }
            Cancel::Running { queue } => {
                let reason = format!("cancelled {by} while it ran");
                self.shared
                    .queues
                    .queue(&queue)
                    .cancel(&self.shared, id, reason);
                Ok(())
            }
            Cancel::Requested | Cancel::Finished(JobState::Cancelled) => Ok(()),
            Cancel::Finished(state) => Err(Error::AlreadyFinished { id, state }),
        }
    }

    /// Stops a run of this process that is running (a tick, a triggered run): its future is
    /// dropped, as at the shutdown timeout, and it is recorded as cancelled. An enqueued job is
    /// cancelled by its id instead, from any process: [`Handle::cancel`].
    ///
    /// # Errors
    ///
    /// [`Error::UnknownRun`] when no such run is running here.
    pub async fn cancel_run(&self, run: RunId) -> Result<(), Error> {
        self.cancel_run_by(run, "cancelled through `Handle::cancel_run` while it ran")
            .await
    }

    /// [`Handle::cancel_run`], with the reason its record keeps.
    pub(crate) async fn cancel_run_by(&self, run: RunId, reason: &str) -> Result<(), Error> {
        self.ask(|reply| Command::CancelRun(run, reason.to_owned(), reply))
            .await
    }

    /// Where an enqueued job is in its life: waiting, running (with its attempt), or how it
    /// ended.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownJobId`] when no job has this id, or it ended so long ago that it was
    /// forgotten (the memory store answers for the last 10 000 ended jobs at least).
    pub async fn job_state(&self, id: JobId) -> Result<JobState, Error> {
        Ok(self.shared.store.state(id).await?)
    }

    /// Completes once the runtime has stopped.
    #[cfg_attr(
        not(feature = "dashboard"),
        allow(dead_code, reason = "only the dashboard waits for it")
    )]
    pub(crate) async fn stopped(&self) {
        let mut stopped = self.shared.stopped.subscribe();
        // An error means the scheduler task is gone, which only happens once it has stopped.
        let _ = stopped.wait_for(|&stopped| stopped).await;
    }

    /// Shuts down: no new runs; running ones get the shutdown timeout and are then cancelled.
    /// Returns when every run has ended and been recorded; at once if already shut down.
    pub async fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown);
        self.stopped().await;
    }
}

/// Whether the store's database is failing. An outage starts at the first failed operation and
/// ends at the first success of an operation begun well after its latest failure: when a
/// database goes, its connections are closed one by one, and statements on those not yet closed
/// still succeed for a few milliseconds; counted as recoveries, they would log one outage as
/// several. One outage is one line in the log when it starts and one when it ends.
#[derive(Default)]
struct Outage {
    /// Read without the lock by every operation that succeeds.
    down: AtomicBool,
    /// When the latest failure of the current outage came; `None` while the database answers.
    latest_failure: Mutex<Option<tokio::time::Instant>>,
}

impl Outage {
    /// How long after the outage's latest failure an operation must begin for its success to
    /// end the outage.
    const SETTLED: Duration = Duration::from_millis(500);

    /// To be taken before an operation and handed to [`Outage::succeeded`]: when it began, read
    /// only during an outage (an operation begun before one cannot end it).
    fn attempt(&self) -> Option<tokio::time::Instant> {
        self.down
            .load(Ordering::Acquire)
            .then(tokio::time::Instant::now)
    }

    fn failed(&self, what: &str, error: &StoreError) {
        let mut latest = self
            .latest_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let first = latest.is_none();
        *latest = Some(tokio::time::Instant::now());
        if first {
            self.down.store(true, Ordering::Release);
            tracing::error!(
                ?error,
                "the job store's database failed while {what}; retrying with backoff, and nothing is lost meanwhile: running jobs go on and their ends are written when it answers again"
            );
        }
    }

    fn succeeded(&self, began: Option<tokio::time::Instant>) {
        let Some(began) = began else {
            return;
        };
        let mut latest = self
            .latest_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if latest.is_some_and(|failed| began >= failed + Self::SETTLED) {
            *latest = None;
            self.down.store(false, Ordering::Release);
            tracing::info!("the job store's database answers again");
        }
    }
}
