use crate::clock::Clock;
use crate::context::{RunId, States};
use crate::executor::Done;
use crate::history::{History, RunRecord};
use crate::job::{Job, JobSpec};
use crate::registry::{self, name_matches};
use crate::scheduler::{Command, Scheduler};
use crate::Error;
use chrono::{DateTime, Utc};
use jobs_schedule::Schedule;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

/// What the scheduler, the runs and the handles share.
pub(crate) struct Shared {
    pub(crate) history: History,
    pub(crate) states: Arc<States>,
    pub(crate) clock: Clock,
    /// `true` once shutdown begins: runs see it through `JobContext::cancelled`.
    pub(crate) shutdown: watch::Sender<bool>,
    /// `true` once the scheduler has stopped and every run has ended.
    stopped: watch::Sender<bool>,
    /// Where runs report that they ended.
    pub(crate) done: mpsc::UnboundedSender<Done>,
    /// Why the scheduler aborted a run, read by the run's record as it is dropped.
    cancel_reasons: Mutex<HashMap<RunId, String>>,
    run_ids: AtomicU64,
}

impl Shared {
    pub(crate) fn next_run_id(&self) -> RunId {
        RunId(self.run_ids.fetch_add(1, Ordering::Relaxed) + 1)
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

    /// Checks the configuration against the registered jobs.
    ///
    /// # Errors
    ///
    /// [`Error::MissingState`] when a job takes a `State<T>` that [`Builder::state`] was not
    /// given; [`Error::DuplicateJob`] when two jobs share a name; [`Error::UnknownJob`] when
    /// `only` or `exclude` names no registered job.
    pub fn build(self) -> Result<Runtime, Error> {
        let mut specs = Vec::new();
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
                    specs.push(JobSpec::from_def(def)?);
                }
            }
        }
        specs.extend(self.jobs.into_iter().map(|job| job.spec));
        let mut seen: HashMap<&str, &JobSpec> = HashMap::new();
        for spec in &specs {
            if let Some(first) = seen.insert(&spec.name, spec) {
                let place = |spec: &JobSpec| {
                    spec.location
                        .clone()
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
        }
    }

    /// Starts scheduling in the background, on the current tokio runtime, and returns a
    /// [`Handle`] to control it. Jobs go on running if every handle is dropped.
    ///
    /// # Errors
    ///
    /// None yet; durable stores will report connection errors here.
    #[allow(
        clippy::unused_async,
        reason = "durable stores will connect here; callers already await"
    )]
    pub async fn start(self) -> Result<Handle, Error> {
        let (commands, receiver) = mpsc::unbounded_channel();
        let (done, done_receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            history: History::new(self.history_limit),
            states: self.states,
            clock: self.clock.anchor(),
            shutdown: watch::Sender::new(false),
            stopped: watch::Sender::new(false),
            done,
            cancel_reasons: Mutex::default(),
            run_ids: AtomicU64::new(0),
        });
        let scheduler = Scheduler::new(
            self.specs,
            Arc::clone(&shared),
            receiver,
            done_receiver,
            self.shutdown_timeout,
        );
        let stopped = Arc::clone(&shared);
        tokio::spawn(async move {
            scheduler.run().await;
            stopped.stopped.send_replace(true);
        });
        Ok(Handle { commands, shared })
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
    shared: Arc<Shared>,
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
    /// How many of its runs are running.
    pub running: usize,
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
        self.ask(|reply| Command::Pause(job.to_owned(), reply))
            .await
    }

    /// Undoes [`Handle::pause`].
    ///
    /// # Errors
    ///
    /// [`Error::UnknownJob`], or [`Error::ShutDown`].
    pub async fn resume(&self, job: &str) -> Result<(), Error> {
        self.ask(|reply| Command::Resume(job.to_owned(), reply))
            .await
    }

    /// Replaces a job's schedule; the next tick is the new schedule's first after now.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownJob`], or [`Error::ShutDown`].
    pub async fn reschedule(&self, job: &str, schedule: Schedule) -> Result<(), Error> {
        self.ask(|reply| Command::Reschedule(job.to_owned(), schedule, reply))
            .await
    }

    /// Adds a job defined at run time.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateJob`] when a job has its name, or [`Error::ShutDown`].
    pub async fn add_job(&self, job: Job) -> Result<(), Error> {
        self.ask(|reply| Command::Add(Box::new(job), reply)).await
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

    /// Every job's last records, by scheduled instant.
    #[must_use]
    pub fn all_history(&self) -> Vec<RunRecord> {
        self.shared.history.all()
    }

    /// Shuts down: no new runs; running ones get the shutdown timeout and are then cancelled.
    /// Returns when every run has ended and been recorded; at once if already shut down.
    pub async fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown);
        let mut stopped = self.shared.stopped.subscribe();
        // An error means the scheduler task is gone, which only happens once it has stopped.
        let _ = stopped.wait_for(|&stopped| stopped).await;
    }
}
