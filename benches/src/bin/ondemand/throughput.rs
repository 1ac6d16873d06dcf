//! Enqueue-to-completion throughput: producers enqueue N jobs, timed from the first enqueue until
//! the last job body has run, in a child process.

use crate::fields::Fields;
use crate::probe;
use crate::subjects::{start, Producer, Subject};
use std::fs;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Jobs of the round before the measured one, through the same producers and workers: threads
/// started, allocator pools and queues grown, so that the measured round sees a warm process.
const WARM_UP_SHARE: u64 = 10;
/// How long the child waits after the measured round for job bodies that should not run.
pub(crate) const LINGER: Duration = Duration::from_millis(100);

/// Jobs of the current round that have not completed yet. Every job body decrements it: one
/// atomic read-modify-write per job, the same in every subject. Counting down rather than up lets
/// the body that completes the last job know it without a second load; a negative value means
/// some job ran more than once.
static REMAINING: AtomicI64 = AtomicI64::new(0);
/// Woken by the body that completes a round's last job.
static FINISHED: Notify = Notify::const_new();

/// The job body of every subject: a no-op on its payload, then the count.
pub(crate) fn complete(n: u64) {
    std::hint::black_box(n);
    if REMAINING.fetch_sub(1, Ordering::Relaxed) == 1 {
        FINISHED.notify_one();
    }
}

pub(crate) struct Throughput {
    pub(crate) jobs: u64,
    pub(crate) elapsed_ns: u64,
    /// CPU time of every thread of the child during the measured round.
    pub(crate) cpu_ns: u64,
    /// Peak resident set of the child (`VmHWM`), read at its end.
    pub(crate) vm_hwm_kib: u64,
    /// Other processes' share of the CPUs while the child ran.
    pub(crate) other_load_pct: f64,
}

impl Throughput {
    #[allow(
        clippy::cast_precision_loss,
        reason = "job counts and nanoseconds of a run are far below 2^52"
    )]
    pub(crate) fn jobs_per_second(&self) -> f64 {
        self.jobs as f64 * 1e9 / self.elapsed_ns.max(1) as f64
    }

    /// CPU time ÷ wall time of the measured round: how many of the cores the subject kept busy.
    #[allow(
        clippy::cast_precision_loss,
        reason = "nanoseconds of a run are far below 2^52"
    )]
    pub(crate) fn cores(&self) -> f64 {
        self.cpu_ns as f64 / self.elapsed_ns.max(1) as f64
    }
}

/// The child's work: start the subject, a warm-up round, the measured round, the figures.
pub(crate) async fn measure(
    subject: Subject,
    producers: usize,
    jobs: u64,
) -> Result<Fields, String> {
    let started = start(subject, producers).await?;
    let mut producers = started.producers;
    let warm_up = (jobs / WARM_UP_SHARE).max(1);
    let (back, _) = round(producers, 0, warm_up).await?;
    producers = back;

    let before = probe::snapshot();
    let (_, elapsed) = round(producers, warm_up, jobs).await?;
    let cpu = probe::snapshot().since(&before);

    tokio::time::sleep(LINGER).await;
    let extra = -REMAINING.load(Ordering::Relaxed);
    if extra != 0 {
        return Err(format!("{extra} job bodies ran more than once"));
    }

    let mut fields = Fields::default();
    fields.put("jobs", jobs);
    fields.put("elapsed_ns", elapsed.as_nanos());
    fields.put("cpu_ns", cpu.cpu_ns);
    fields.put("vm_hwm_kib", vm_hwm_kib());
    Ok(fields)
}

/// Enqueues `jobs` jobs with payloads from `first`, split evenly across the producers, each on a
/// task of its own; returns the producers and the time from the first enqueue until the last
/// job completed.
async fn round(
    producers: Vec<Producer>,
    first: u64,
    jobs: u64,
) -> Result<(Vec<Producer>, Duration), String> {
    REMAINING.store(
        i64::try_from(jobs).map_err(|e| e.to_string())?,
        Ordering::Relaxed,
    );
    let count = producers.len() as u64;
    let start = Instant::now();
    let tasks: Vec<_> = producers
        .into_iter()
        .zip(0..)
        .map(|(producer, k)| {
            let from = first + jobs * k / count;
            let to = first + jobs * (k + 1) / count;
            tokio::spawn(producer.enqueue(from..to))
        })
        .collect();
    let mut finished = std::pin::pin!(FINISHED.notified());
    let mut joined = std::pin::pin!(join(tasks));
    // A producer that fails leaves jobs that never complete: its error ends the round.
    tokio::select! {
        () = finished.as_mut() => {
            let elapsed = start.elapsed();
            Ok((joined.await?, elapsed))
        }
        back = joined.as_mut() => {
            let back = back?;
            finished.await;
            Ok((back, start.elapsed()))
        }
    }
}

async fn join(
    tasks: Vec<tokio::task::JoinHandle<Result<Producer, String>>>,
) -> Result<Vec<Producer>, String> {
    let mut back = Vec::with_capacity(tasks.len());
    for task in tasks {
        back.push(task.await.map_err(|e| e.to_string())??);
    }
    Ok(back)
}

/// Peak resident set size of this process in KiB.
fn vm_hwm_kib() -> u64 {
    fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

impl TryFrom<&Fields> for Throughput {
    type Error = String;

    fn try_from(fields: &Fields) -> Result<Self, String> {
        Ok(Self {
            jobs: fields.number("jobs")?,
            elapsed_ns: fields.number("elapsed_ns")?,
            cpu_ns: fields.number("cpu_ns")?,
            vm_hwm_kib: fields.number("vm_hwm_kib")?,
            other_load_pct: fields.number("other_load_pct")?,
        })
    }
}
