use crate::context::JobContext;
use crate::failure::Failure;
use crate::private::{IntoJobResult, JobDef, JobFuture, ScheduleDef};
use crate::Error;
use jobs_schedule::Schedule;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// What to do with a tick that comes while the previous run of the job is still running.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Overlap {
    /// Do not start; record the tick as skipped with reason `overlap`.
    #[default]
    Skip,
    /// Start it when the running one finishes, in order.
    Queue,
    /// Start it alongside the running one.
    Allow,
    /// Cancel the running one and start this one.
    Replace,
}

/// What to do with the ticks of a scheduled job that were missed while no process ran, which a
/// durable store knows of when the next process starts.
///
/// A missed tick older than the job's catch-up window never runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CatchUp {
    /// Run none of them.
    None,
    /// Run the most recent one, once.
    #[default]
    Latest,
    /// Run every one of them, in order.
    All,
}

/// How a job is retried, timed out, overlapped, caught up and queued: the `#[job]` arguments other
/// than its schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobOptions {
    /// Retries after the first failed attempt.
    pub retries: u32,
    /// The first retry delay; it doubles on each retry, with full jitter.
    pub backoff: Duration,
    /// The longest retry delay.
    pub backoff_max: Duration,
    /// The limit of one attempt.
    pub timeout: Option<Duration>,
    /// A random delay in `[0, jitter)` added to each tick.
    pub jitter: Option<Duration>,
    /// What to do with a tick while the previous run still runs.
    pub overlap: Overlap,
    /// What to do with the ticks missed while no process ran.
    pub catch_up: CatchUp,
    /// How old a missed tick may be and still run; `None`: one tick period of the schedule, at
    /// most an hour.
    pub catch_up_window: Option<Duration>,
    /// The queue its enqueued runs wait in (`"default"` unless `#[job(queue = "…")]`).
    pub queue: Arc<str>,
    /// The priority of its enqueued runs within the queue: higher runs first.
    pub priority: i16,
}

impl Default for JobOptions {
    fn default() -> Self {
        Self {
            retries: 0,
            backoff: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            timeout: None,
            jitter: None,
            overlap: Overlap::Skip,
            catch_up: CatchUp::Latest,
            catch_up_window: None,
            queue: default_queue(),
            priority: 0,
        }
    }
}

/// The name of the default queue, shared by every job that names none (a run-time job's options
/// would otherwise allocate it once per job).
fn default_queue() -> Arc<str> {
    static DEFAULT: std::sync::OnceLock<Arc<str>> = std::sync::OnceLock::new();
    Arc::clone(DEFAULT.get_or_init(|| Arc::from(DEFAULT_QUEUE)))
}

/// The queue of a job that names none.
pub(crate) const DEFAULT_QUEUE: &str = "default";

impl JobOptions {
    /// The delay before retry `retry` (1 for the first): a uniformly random duration up to
    /// `backoff * 2^(retry-1)`, capped at `backoff_max` ("full jitter", which spreads the retries
    /// of many failing jobs instead of having them retry in lockstep).
    pub(crate) fn retry_delay(&self, retry: u32) -> Duration {
        let exponential = self.backoff.saturating_mul(
            1u32.checked_shl(retry.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        random_below(exponential.min(self.backoff_max))
    }
}

/// A uniformly random duration in `[0, limit)`, or zero.
pub(crate) fn random_below(limit: Duration) -> Duration {
    let nanos = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(fastrand::u64(..nanos))
}

type RunFn = Arc<dyn Fn(JobContext) -> JobFuture + Send + Sync>;
type FailureFn = Arc<dyn Fn(Failure) -> JobFuture + Send + Sync>;

/// A job defined at run time, for schedules known only then (say one report per tenant).
///
/// It runs through the same machinery as a `#[job]` function: add it with
/// [`Builder::job`](crate::Builder::job) or [`Handle::add_job`](crate::Handle::add_job).
///
/// # Examples
///
/// ```
/// use jobs_runtime::{Job, JobContext, Schedule};
/// use std::time::Duration;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let tenant = "acme".to_owned();
/// let report = Job::new(
///     format!("report::{tenant}"),
///     Schedule::parse("0 30 9 * * Mon-Fri")?.with_timezone(jobs_runtime::Tz::Europe__Berlin),
///     move |ctx: JobContext| {
///         let tenant = tenant.clone();
///         async move {
///             println!("report for {tenant}, scheduled at {}", ctx.scheduled_at());
///             Ok::<(), std::io::Error>(())
///         }
///     },
/// )
/// .retries(3)
/// .timeout(Duration::from_secs(60));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Job {
    pub(crate) spec: JobSpec,
}

#[derive(Clone)]
pub(crate) struct JobSpec {
    pub(crate) name: Arc<str>,
    pub(crate) schedule: Option<Schedule>,
    pub(crate) options: JobOptions,
    pub(crate) run: RunFn,
    pub(crate) on_failure: Option<FailureFn>,
    /// The registration of a `#[job]` function: its location and payload names are read from
    /// there when asked for, rather than copied into every job.
    pub(crate) def: Option<&'static JobDef>,
}

impl Job {
    /// A job that runs `run` on `schedule`.
    pub fn new<F, Fut>(name: impl Into<String>, schedule: Schedule, run: F) -> Self
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoJobResult,
    {
        Self::build(name.into(), Some(schedule), run)
    }

    /// A job with no schedule, run by [`Handle::trigger`](crate::Handle::trigger).
    pub fn on_demand<F, Fut>(name: impl Into<String>, run: F) -> Self
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoJobResult,
    {
        Self::build(name.into(), None, run)
    }

    fn build<F, Fut>(name: String, schedule: Option<Schedule>, run: F) -> Self
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoJobResult,
    {
        let run: RunFn = Arc::new(move |context| {
            let attempt = run(context);
            Box::pin(async move { attempt.await.into_job_result() })
        });
        Self {
            spec: JobSpec {
                name: name.into(),
                schedule,
                options: JobOptions::default(),
                run,
                on_failure: None,
                def: None,
            },
        }
    }

    /// Retries after the first failed attempt (default 0).
    #[must_use]
    pub fn retries(mut self, retries: u32) -> Self {
        self.spec.options.retries = retries;
        self
    }

    /// The first retry delay (default 1s); it doubles on each retry, with full jitter.
    #[must_use]
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.spec.options.backoff = backoff;
        self
    }

    /// The longest retry delay (default 5m).
    #[must_use]
    pub fn backoff_max(mut self, backoff_max: Duration) -> Self {
        self.spec.options.backoff_max = backoff_max;
        self
    }

    /// The limit of one attempt; the attempt fails when it passes.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.spec.options.timeout = Some(timeout);
        self
    }

    /// A random delay in `[0, jitter)` added to each tick.
    #[must_use]
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.spec.options.jitter = Some(jitter);
        self
    }

    /// What to do with a tick while the previous run still runs (default [`Overlap::Skip`]).
    #[must_use]
    pub fn overlap(mut self, overlap: Overlap) -> Self {
        self.spec.options.overlap = overlap;
        self
    }

    /// What to do with the ticks missed while no process ran (default [`CatchUp::Latest`]).
    #[must_use]
    pub fn catch_up(mut self, catch_up: CatchUp) -> Self {
        self.spec.options.catch_up = catch_up;
        self
    }

    /// How old a missed tick may be and still run (default one tick period of the schedule, at
    /// most an hour).
    #[must_use]
    pub fn catch_up_window(mut self, window: Duration) -> Self {
        self.spec.options.catch_up_window = Some(window);
        self
    }

    /// The queue its enqueued runs wait in (default `"default"`).
    #[must_use]
    pub fn queue(mut self, queue: impl Into<Arc<str>>) -> Self {
        self.spec.options.queue = queue.into();
        self
    }

    /// The priority of its enqueued runs within their queue (default 0): higher runs first.
    #[must_use]
    pub fn priority(mut self, priority: i16) -> Self {
        self.spec.options.priority = priority;
        self
    }

    /// Called after the final failed attempt of a run.
    #[must_use]
    pub fn on_failure<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(Failure) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.spec.on_failure = Some(Arc::new(move |failure| {
            let call = handler(failure);
            Box::pin(async move {
                call.await;
                Ok(())
            })
        }));
        self
    }

    /// The job's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.spec.name
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("name", &self.spec.name)
            .field("schedule", &self.spec.schedule)
            .field("options", &self.spec.options)
            .finish_non_exhaustive()
    }
}

impl JobSpec {
    /// `queues` holds the queue names met so far, so that jobs of one queue share its name.
    pub(crate) fn from_def(
        def: &'static JobDef,
        queues: &mut HashMap<&'static str, Arc<str>>,
    ) -> Result<Self, Error> {
        let run = def.run;
        let mut options = def_options(def);
        options.queue = Arc::clone(queues.entry(def.queue).or_insert(options.queue));
        Ok(Self {
            name: def.name.into(),
            schedule: def_schedule(def)?,
            options,
            run: Arc::new(run),
            on_failure: def.on_failure.map(|handler| Arc::new(handler) as FailureFn),
            def: Some(def),
        })
    }

    /// `file:line:column` of a `#[job]` function.
    pub(crate) fn location(&self) -> Option<String> {
        self.def.map(def_location)
    }

    /// The names of the payload parameters of an on-demand `#[job]` function.
    pub(crate) fn payload(&self) -> &'static [&'static str] {
        self.def.map_or(&[], |def| def.payload)
    }
}

pub(crate) fn def_location(def: &JobDef) -> String {
    format!("{}:{}:{}", def.file, def.line, def.column)
}

pub(crate) fn def_options(def: &JobDef) -> JobOptions {
    JobOptions {
        retries: def.retries,
        backoff: Duration::from_millis(def.backoff_ms),
        backoff_max: Duration::from_millis(def.backoff_max_ms),
        timeout: def.timeout_ms.map(Duration::from_millis),
        jitter: def.jitter_ms.map(Duration::from_millis),
        overlap: def.overlap,
        catch_up: def.catch_up,
        catch_up_window: def.catch_up_window_ms.map(Duration::from_millis),
        queue: Arc::from(def.queue),
        priority: def.priority,
    }
}

/// The macro validated the schedule with the same parser, so an error here means the macro and
/// the runtime come from different versions of `jobs-schedule`.
pub(crate) fn def_schedule(def: &JobDef) -> Result<Option<Schedule>, Error> {
    let invalid = |reason: String| Error::InvalidSchedule {
        job: def.name.to_owned(),
        reason,
    };
    Ok(match def.schedule {
        ScheduleDef::OnDemand => None,
        ScheduleDef::Cron { expr, tz } => {
            let tz = jobs_schedule::parse_timezone(tz).map_err(|e| invalid(e.to_string()))?;
            Some(
                Schedule::parse(expr)
                    .map_err(|e| invalid(e.to_string()))?
                    .with_timezone(tz),
            )
        }
        ScheduleDef::Every { millis } => Some(
            Schedule::every(Duration::from_millis(millis)).map_err(|e| invalid(e.to_string()))?,
        ),
    })
}
