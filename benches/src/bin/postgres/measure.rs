//! What a child process measures: enqueue-plus-complete throughput, enqueue-to-start latency,
//! and (ours only) the ticks of scheduled jobs in a cluster of processes.

use crate::fields::Fields;
use crate::probe;
use crate::subjects::{start, Producer, Subject};
use crate::work::{self, now_ns, percentile};
use std::time::{Duration, Instant};

/// How long a child waits after its jobs ran, for runs of jobs that should not run again.
const LINGER: Duration = Duration::from_millis(200);
/// How long the jobs of a latency run may take to start after the last enqueue.
const DRAIN: Duration = Duration::from_secs(20);

/// How a throughput run enqueues.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    /// One job per call, from [`crate::PRODUCERS`] tasks at once: request handlers.
    Single,
    /// [`crate::BATCH`] jobs per call, from one task: the subject's bulk path.
    Bulk,
}

impl Mode {
    pub(crate) const ALL: [Mode; 2] = [Mode::Single, Mode::Bulk];

    pub(crate) fn arg(self) -> &'static str {
        match self {
            Mode::Single => "single",
            Mode::Bulk => "bulk",
        }
    }

    pub(crate) fn parse(arg: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|mode| mode.arg() == arg)
    }
}

/// Enqueue-plus-complete: `warm_up` jobs first (connections opened, statements prepared, queues
/// grown), then `jobs` jobs timed from the first enqueue until the last job body has started.
pub(crate) async fn throughput(
    subject: Subject,
    url: &str,
    mode: Mode,
    jobs: u64,
    warm_up: u64,
    concurrency: usize,
) -> Result<Fields, String> {
    work::init(warm_up + jobs, u64::MAX);
    let started = start(subject, url, concurrency).await?;
    let producer = started.producer.clone();

    round(&producer, mode, 0..warm_up).await?;
    let before = probe::snapshot();
    let (enqueued, elapsed) = round(&producer, mode, warm_up..warm_up + jobs).await?;
    let cpu = probe::snapshot().since(&before);

    tokio::time::sleep(LINGER).await;
    started.shutdown().await?;
    let mut fields = Fields::default();
    fields.put("jobs", jobs);
    fields.put("elapsed_ns", elapsed.as_nanos());
    fields.put("enqueue_ns", enqueued.as_nanos());
    fields.put("cpu_ns", cpu.cpu_ns);
    fields.put("duplicates", work::duplicates());
    Ok(fields)
}

/// Enqueues `seqs` and waits until each has run once; returns how long the enqueueing and the
/// whole round took.
async fn round(
    producer: &Producer,
    mode: Mode,
    seqs: std::ops::Range<u64>,
) -> Result<(Duration, Duration), String> {
    let jobs = seqs.end - seqs.start;
    work::start_round(jobs);
    let begin = Instant::now();
    let tasks: Vec<_> = match mode {
        Mode::Single => {
            let count = crate::PRODUCERS as u64;
            (0..count)
                .map(|k| {
                    let from = seqs.start + jobs * k / count;
                    let to = seqs.start + jobs * (k + 1) / count;
                    let mut producer = producer.clone();
                    tokio::spawn(async move {
                        for seq in from..to {
                            producer.one(seq, 0).await?;
                        }
                        Ok::<(), String>(())
                    })
                })
                .collect()
        }
        Mode::Bulk => {
            let mut producer = producer.clone();
            vec![tokio::spawn(async move {
                let mut from = seqs.start;
                while from < seqs.end {
                    let to = (from + crate::BATCH).min(seqs.end);
                    producer.many(from..to).await?;
                    from = to;
                }
                Ok::<(), String>(())
            })]
        }
    };
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    let enqueued = begin.elapsed();
    // A subject that stalls leaves jobs that never run: bounded, and said so.
    let budget = crate::THROUGHPUT_TIMEOUT;
    if tokio::time::timeout(budget, work::finished())
        .await
        .is_err()
    {
        return Err(format!(
            "{} of {jobs} jobs had not started {} s after the first enqueue",
            work::remaining(),
            budget.as_secs()
        ));
    }
    Ok((enqueued, begin.elapsed()))
}

/// Enqueue-to-start latency: one job every `1/rate` s, each enqueue a task of its own (a request
/// does not wait for another's), for `warm_up` then `seconds` seconds; each job's wait is its
/// start minus the instant its enqueue was called, recorded for the jobs after the warm-up.
pub(crate) async fn latency(
    subject: Subject,
    url: &str,
    concurrency: usize,
    rate: u64,
    seconds: u64,
    warm_up: u64,
) -> Result<Fields, String> {
    let warm = rate * warm_up;
    let total = warm + rate * seconds;
    work::init(total, warm);
    let started = start(subject, url, concurrency).await?;
    work::start_round(total);

    let period = Duration::from_secs(1) / u32::try_from(rate).map_err(|e| e.to_string())?;
    let begin = tokio::time::Instant::now();
    let mut enqueues = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    for seq in 0..total {
        tokio::time::sleep_until(begin + period * u32::try_from(seq).unwrap_or(u32::MAX)).await;
        let mut producer = started.producer.clone();
        enqueues.push(tokio::spawn(
            async move { producer.one(seq, now_ns()).await },
        ));
    }
    for enqueue in enqueues {
        enqueue.await.map_err(|e| e.to_string())??;
    }
    #[allow(
        clippy::cast_precision_loss,
        reason = "a few thousand jobs over a few seconds"
    )]
    let achieved = total as f64 / begin.elapsed().as_secs_f64();
    if tokio::time::timeout(DRAIN, work::finished()).await.is_err() {
        return Err(format!(
            "{} of {total} jobs had not started {} s after the last enqueue",
            work::remaining(),
            DRAIN.as_secs()
        ));
    }
    tokio::time::sleep(LINGER).await;
    started.shutdown().await?;
    let waits = work::waits();
    let mut fields = Fields::default();
    fields.put("samples", waits.len());
    fields.put("p50_ns", percentile(&waits, 500));
    fields.put("p99_ns", percentile(&waits, 990));
    fields.put("max_ns", percentile(&waits, 1000));
    fields.put("rate", format!("{achieved:.1}"));
    fields.put("duplicates", work::duplicates());
    Ok(fields)
}

/// One process of a cluster of ours: `jobs` jobs every second, defined at run time, on the store
/// at `url`, until `until_ns` (wall clock) and a little more for late ticks; then a graceful
/// shutdown. Reports every run as `job:scheduled_ns:started_ns`, comma-separated, in `runs`.
pub(crate) async fn cron(url: &str, jobs: u32, until_ns: i64) -> Result<Fields, String> {
    use std::sync::{Arc, Mutex, PoisonError};

    let runs = Arc::new(Mutex::new(Vec::<(u32, i64, i64)>::with_capacity(
        usize::try_from(jobs).unwrap_or(0) * 32,
    )));
    let schedule = jobs_runtime::Schedule::parse(crate::CRON).map_err(|e| e.to_string())?;
    let mut builder = jobs_runtime::Runtime::builder()
        .without_registered_jobs()
        .store(url);
    for job in 0..jobs {
        let runs = Arc::clone(&runs);
        builder = builder.job(jobs_runtime::Job::new(
            format!("tick-{job}"),
            schedule.clone(),
            move |ctx| {
                let runs = Arc::clone(&runs);
                async move {
                    let started_ns = now_ns();
                    let scheduled_ns = ctx.scheduled_at().timestamp_nanos_opt().unwrap_or(0);
                    runs.lock().unwrap_or_else(PoisonError::into_inner).push((
                        job,
                        scheduled_ns,
                        started_ns,
                    ));
                }
            },
        ));
    }
    let registered = Instant::now();
    let handle = builder
        .build()
        .map_err(|e| e.to_string())?
        .start()
        .await
        .map_err(|e| e.to_string())?;
    let start_ms = registered.elapsed().as_millis();

    let stop_ns = until_ns + i64::try_from(crate::CRON_SETTLE.as_nanos()).unwrap_or(0);
    let wait = u64::try_from(stop_ns - now_ns()).unwrap_or(0);
    tokio::time::sleep(Duration::from_nanos(wait)).await;
    let shutdown = Instant::now();
    tokio::time::timeout(crate::CRON_SHUTDOWN_BUDGET, handle.shutdown())
        .await
        .map_err(|_| {
            format!(
                "our runtime's shutdown did not finish within {} s",
                crate::CRON_SHUTDOWN_BUDGET.as_secs()
            )
        })?;
    let shutdown_ms = shutdown.elapsed().as_millis();

    let runs = std::mem::take(&mut *runs.lock().unwrap_or_else(PoisonError::into_inner));
    let mut fields = Fields::default();
    fields.put("start_ms", start_ms);
    fields.put("shutdown_ms", shutdown_ms);
    fields.put(
        "runs",
        runs.iter()
            .map(|(job, scheduled, started)| format!("{job}:{scheduled}:{started}"))
            .collect::<Vec<_>>()
            .join(","),
    );
    Ok(fields)
}
