//! The implementations under test, and how each is given N jobs on one cron expression.
//!
//! Every job body does the same thing: read the wall clock, then push one [`Sample`]. The clock is
//! read first so that the push (and its lock) is not counted as lateness.

use std::any::Any;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Subject {
    /// N tasks on `tokio::time::sleep_until`: what any tokio scheduler pays at least.
    Floor,
    Jobs,
    TokioCron,
    Apalis,
}

impl Subject {
    pub(crate) const ALL: [Subject; 4] = [
        Subject::Floor,
        Subject::Jobs,
        Subject::TokioCron,
        Subject::Apalis,
    ];

    /// The name on the command line of a child process.
    pub(crate) fn arg(self) -> &'static str {
        match self {
            Subject::Floor => "tokio",
            Subject::Jobs => "jobs",
            Subject::TokioCron => "tokio-cron-scheduler",
            Subject::Apalis => "apalis-cron",
        }
    }

    pub(crate) fn parse(arg: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|subject| subject.arg() == arg)
    }

    /// The name in the report.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Subject::Floor => "tokio timer (floor)",
            Subject::Jobs => "jobs (this workspace)",
            Subject::TokioCron => "tokio-cron-scheduler 0.15",
            Subject::Apalis => "apalis-cron 1.0",
        }
    }

    /// The plot's colour.
    pub(crate) fn colour(self) -> &'static str {
        match self {
            Subject::Floor => "#7f7f7f",
            Subject::Jobs => "#1f77b4",
            Subject::TokioCron => "#ff7f0e",
            Subject::Apalis => "#2ca02c",
        }
    }
}

/// Wall-clock nanoseconds since the Unix epoch: the unit of every instant in this program, as
/// every implementation schedules on the wall clock.
pub(crate) fn now_ns() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_nanos()).unwrap_or(i64::MAX)
}

/// The monotonic instant at which the wall clock will read `at_ns`, by one reading of both
/// clocks, the way each implementation turns a wall-clock tick into a timer deadline.
pub(crate) fn deadline(at_ns: i64) -> Instant {
    let wait = u64::try_from(at_ns - now_ns()).unwrap_or(0);
    Instant::now() + Duration::from_nanos(wait)
}

/// One firing of one job.
#[derive(Clone, Copy)]
pub(crate) struct Sample {
    pub(crate) job: u32,
    /// The tick the implementation says it fired for; `None` when it does not say
    /// (tokio-cron-scheduler passes no instant to a job).
    pub(crate) scheduled_ns: Option<i64>,
    pub(crate) started_ns: i64,
}

/// Collects samples in one buffer per thread, so that job bodies on different threads never wait
/// for each other: a shared lock would add its contention to every implementation, the floor
/// included, and hide the differences being measured.
pub(crate) struct Recorder {
    buffers: Mutex<Vec<Buffer>>,
    capacity: usize,
}

type Buffer = Arc<Mutex<Vec<Sample>>>;

thread_local! {
    /// This thread's buffer, with the address of the recorder it belongs to.
    static BUFFER: RefCell<Option<(usize, Buffer)>> = const { RefCell::new(None) };
}

impl Recorder {
    /// `capacity` per thread up front, so that no push reallocates during a measured burst.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            buffers: Mutex::new(Vec::new()),
            capacity,
        }
    }

    pub(crate) fn record(&self, job: u32, scheduled_ns: Option<i64>) {
        let started_ns = now_ns();
        let sample = Sample {
            job,
            scheduled_ns,
            started_ns,
        };
        let me = std::ptr::from_ref(self) as usize;
        BUFFER.with_borrow_mut(|slot| {
            let buffer = match slot {
                Some((owner, buffer)) if *owner == me => buffer,
                _ => {
                    let buffer = Arc::new(Mutex::new(Vec::with_capacity(self.capacity)));
                    lock(&self.buffers).push(Arc::clone(&buffer));
                    &slot.insert((me, buffer)).1
                }
            };
            // Only this thread locks it until the end of the run.
            lock(buffer).push(sample);
        });
    }

    pub(crate) fn take(&self) -> Vec<Sample> {
        lock(&self.buffers)
            .iter()
            .flat_map(|buffer| std::mem::take(&mut *lock(buffer)))
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.buffers)
            .iter()
            .map(|buffer| lock(buffer).len())
            .sum()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What registration left running; dropping it would stop some of the implementations.
pub(crate) struct Registered {
    pub(crate) count: usize,
    pub(crate) elapsed: Duration,
    /// `false` when the budget ran out before every job was registered.
    pub(crate) complete: bool,
    /// A handle, a scheduler or the workers' tasks, only held.
    _keep: Box<dyn Any + Send>,
}

/// Gives `subject` `n` jobs on `cron` (6 fields, seconds first: every implementation reads it the
/// same way) and starts it. For the floor, `ticks` are the instants its tasks sleep until; the
/// others compute their own from `cron`.
///
/// Registration stops when `budget` runs out, so that a peer that slows down with many jobs
/// is reported as such instead of stalling the whole run.
pub(crate) async fn register(
    subject: Subject,
    n: usize,
    cron: &str,
    ticks: &Arc<[i64]>,
    recorder: &Arc<Recorder>,
    budget: Duration,
) -> Result<Registered, String> {
    let start = Instant::now();
    let give_up = start + budget;
    let mut count = 0;
    let keep: Box<dyn Any + Send> = match subject {
        Subject::Floor => {
            let mut tasks = Vec::with_capacity(n);
            for job in 0..n {
                tasks.push(tokio::spawn(floor_task(
                    job_id(job),
                    Arc::clone(ticks),
                    Arc::clone(recorder),
                )));
            }
            count = n;
            Box::new(tasks)
        }
        Subject::Jobs => {
            let schedule = jobs_runtime::Schedule::parse(cron).map_err(|e| e.to_string())?;
            let mut builder = jobs_runtime::Runtime::builder().without_registered_jobs();
            for job in 0..n {
                builder = builder.job(jobs_job(job_id(job), schedule.clone(), recorder));
                count += 1;
                if Instant::now() > give_up {
                    break;
                }
            }
            let handle = builder
                .build()
                .map_err(|e| e.to_string())?
                .start()
                .await
                .map_err(|e| e.to_string())?;
            Box::new(handle)
        }
        Subject::TokioCron => {
            let scheduler = tokio_cron_scheduler::JobScheduler::new()
                .await
                .map_err(|e| format!("{e:?}"))?;
            for job in 0..n {
                let remaining = give_up.saturating_duration_since(Instant::now());
                // One `add` can wait forever: it listens on a broadcast channel for its own
                // confirmation, which it misses if the channel lags.
                match tokio::time::timeout(
                    remaining,
                    scheduler.add(tokio_cron_job(job_id(job), cron, recorder)?),
                )
                .await
                {
                    Ok(Ok(_)) => count += 1,
                    Ok(Err(e)) => return Err(format!("adding job {job}: {e:?}")),
                    Err(_) => break,
                }
            }
            scheduler.start().await.map_err(|e| format!("{e:?}"))?;
            Box::new(scheduler)
        }
        Subject::Apalis => {
            let schedule =
                <cron::Schedule as std::str::FromStr>::from_str(cron).map_err(|e| e.to_string())?;
            let mut tasks = Vec::with_capacity(n);
            for job in 0..n {
                tasks.push(tokio::spawn(apalis_worker(
                    job_id(job),
                    schedule.clone(),
                    Arc::clone(recorder),
                )));
                count += 1;
                if Instant::now() > give_up {
                    break;
                }
            }
            Box::new(tasks)
        }
    };
    Ok(Registered {
        count,
        elapsed: start.elapsed(),
        complete: count == n,
        _keep: keep,
    })
}

fn job_id(job: usize) -> u32 {
    u32::try_from(job).expect("fewer than 2^32 jobs")
}

/// The floor: the bare timer, with no schedule to evaluate and nothing to spawn.
async fn floor_task(job: u32, ticks: Arc<[i64]>, recorder: Arc<Recorder>) {
    for &tick in ticks.iter() {
        tokio::time::sleep_until(deadline(tick).into()).await;
        recorder.record(job, Some(tick));
    }
}

fn jobs_job(
    job: u32,
    schedule: jobs_runtime::Schedule,
    recorder: &Arc<Recorder>,
) -> jobs_runtime::Job {
    let recorder = Arc::clone(recorder);
    jobs_runtime::Job::new(format!("job-{job}"), schedule, move |ctx| {
        let recorder = Arc::clone(&recorder);
        async move {
            recorder.record(job, ctx.scheduled_at().timestamp_nanos_opt());
        }
    })
}

fn tokio_cron_job(
    job: u32,
    cron: &str,
    recorder: &Arc<Recorder>,
) -> Result<tokio_cron_scheduler::Job, String> {
    let recorder = Arc::clone(recorder);
    tokio_cron_scheduler::Job::new_async(cron, move |_id, _scheduler| {
        let recorder = Arc::clone(&recorder);
        Box::pin(async move { recorder.record(job, None) })
    })
    .map_err(|e| format!("{e:?}"))
}

/// apalis runs one worker per schedule; its data is how a handler knows which job it is.
#[derive(Clone)]
struct ApalisJob {
    job: u32,
    recorder: Arc<Recorder>,
}

async fn apalis_worker(job: u32, schedule: cron::Schedule, recorder: Arc<Recorder>) {
    use apalis::prelude::WorkerBuilder;
    let worker = WorkerBuilder::new(format!("job-{job}"))
        .backend(apalis_cron::CronScheduler::new(schedule))
        .data(ApalisJob { job, recorder })
        .build(apalis_tick);
    if let Err(e) = worker.run().await {
        eprintln!("apalis-cron worker {job} stopped: {e}");
    }
}

async fn apalis_tick(tick: apalis_cron::Tick, data: apalis::prelude::Data<ApalisJob>) {
    let scheduled_ns = i64::try_from(tick.get_timestamp())
        .ok()
        .and_then(|secs| secs.checked_mul(1_000_000_000));
    data.recorder.record(data.job, scheduled_ns);
}
