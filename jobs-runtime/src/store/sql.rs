//! What the two database stores share beyond SQL: the jobs this process serves, how a
//! completion becomes a row, and the queue's order among the rows a claim returned.

use super::{Claimed, Completion, JobId, JobState, Pause, QueueStats, StoredJob, StoredSchedule};
use crate::context::RunId;
use crate::history::{Outcome, RunRecord};
use chrono::{DateTime, Utc};
use std::sync::{Arc, PoisonError, RwLock};

/// The jobs this process runs (see [`Store::serve`](super::Store::serve)).
#[derive(Default)]
pub(super) struct Served(RwLock<Arc<[Arc<str>]>>);

impl Served {
    /// Sorted, so that statements that lock a row per job (the heartbeat's) lock them in the
    /// same order in every process.
    pub(super) fn set(&self, mut jobs: Vec<Arc<str>>) {
        jobs.sort_unstable();
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = jobs.into();
    }

    pub(super) fn names(&self) -> Arc<[Arc<str>]> {
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// A job's name as the runtime holds it, so that the worker's lookups compare pointers
    /// instead of strings.
    pub(super) fn intern(&self, name: &str) -> Arc<str> {
        let jobs = self.0.read().unwrap_or_else(PoisonError::into_inner);
        // Sorted by `set`: a claim of 1 000 ticks among 1 000 jobs does not compare a million
        // names.
        jobs.binary_search_by(|job| (**job).cmp(name))
            .map_or_else(|_| name.into(), |at| Arc::clone(&jobs[at]))
    }
}

/// A completion as the columns it sets: the state (`released` is a state of the statement
/// only: waiting again, its attempt not counted), the error, and the next `run_at`.
pub(super) fn completion_row(
    completion: &Completion,
    now: DateTime<Utc>,
) -> (&'static str, Option<&str>, Option<DateTime<Utc>>) {
    match completion {
        Completion::Succeeded => ("succeeded", None, None),
        Completion::Failed {
            error,
            retry_at: Some(at),
        } => ("waiting", Some(error.as_str()), Some(*at)),
        Completion::Failed {
            error,
            retry_at: None,
        } => ("failed", Some(error.as_str()), None),
        Completion::Cancelled => ("cancelled", None, None),
        Completion::Released => ("released", None, Some(now)),
    }
}

/// Where a claimed row stands in its queue: priority, then `run_at` (in microseconds), then id.
pub(super) type Order = (i64, i64, i64);

/// `RETURNING` keeps no order: the claim's order is the queue's.
pub(super) fn in_queue_order(mut jobs: Vec<(Order, Claimed)>) -> Vec<Claimed> {
    jobs.sort_by(|(a, _), (b, _)| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    jobs.into_iter().map(|(_, job)| job).collect()
}

/// An instant as microseconds since the Unix epoch: how SQLite keeps instants, and the key of
/// a tick in a batch.
/// A row of the statement of [`Store::queues`](super::Store::queues): the queue, its pending,
/// scheduled and running jobs, and the instant its oldest pending job became due.
pub(super) type QueueRow<Instant> = (String, i64, i64, i64, Option<Instant>);

pub(super) fn queue_stats<Instant>(
    (queue, pending, scheduled, running, oldest_pending): QueueRow<Instant>,
    instant: impl Fn(Instant) -> DateTime<Utc>,
) -> QueueStats {
    QueueStats {
        queue: queue.into(),
        pending: u64::try_from(pending).unwrap_or(0),
        scheduled: u64::try_from(scheduled).unwrap_or(0),
        running: u64::try_from(running).unwrap_or(0),
        oldest_pending: oldest_pending.map(instant),
    }
}

pub(super) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// [`micros`] read back.
pub(super) fn instant(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// A database's row id as a [`JobId`].
pub(super) fn job_id(id: i64) -> JobId {
    JobId(u64::try_from(id).unwrap_or(0))
}

/// A [`JobId`] as a database's row id.
pub(super) fn db_id(id: JobId) -> i64 {
    i64::try_from(id.get()).unwrap_or(i64::MAX)
}

/// A database row's state column, with the columns that complete it, as a [`JobState`].
pub(super) fn job_state(
    state: &str,
    run_at: DateTime<Utc>,
    attempt: i64,
    error: Option<String>,
    now: DateTime<Utc>,
) -> JobState {
    match state {
        "waiting" if run_at > now => JobState::Scheduled(run_at),
        "waiting" => JobState::Pending,
        "running" => JobState::Running {
            attempt: u32::try_from(attempt).unwrap_or(1),
        },
        "succeeded" => JobState::Succeeded,
        "failed" => JobState::Failed {
            error: error.unwrap_or_default(),
        },
        _ => JobState::Cancelled,
    }
}

/// One worker's call to `claim`, as the batch of all workers' calls carries it.
pub(super) struct ClaimRequest {
    pub(super) queue: Arc<str>,
    pub(super) limit: usize,
    pub(super) now: DateTime<Utc>,
    pub(super) completed: Vec<(JobId, Completion)>,
}

impl ClaimRequest {
    pub(super) fn new(
        queue: &str,
        limit: usize,
        now: DateTime<Utc>,
        completed: &[(JobId, Completion)],
    ) -> Self {
        Self {
            queue: queue.into(),
            limit,
            now,
            // Copied, not taken: the worker keeps them until the batch is written, to send
            // them again if it fails.
            completed: completed.to_vec(),
        }
    }
}

/// A batch of claims, shared out: every completion is written in one statement, then each
/// queue is claimed once for the sum of its requests' limits, and each request gets its share,
/// in the order the requests came.
pub(super) struct Shares {
    requests: Vec<(Arc<str>, usize)>,
    answers: Vec<Vec<Claimed>>,
    /// The latest instant of the batch: what the claim compares `run_at` with.
    pub(super) now: DateTime<Utc>,
    pub(super) completed: Vec<(JobId, Completion)>,
}

impl Shares {
    pub(super) fn new(batch: Vec<ClaimRequest>) -> Self {
        let now = batch
            .iter()
            .map(|request| request.now)
            .max()
            .unwrap_or_default();
        let mut requests = Vec::with_capacity(batch.len());
        let mut completed = Vec::new();
        for request in batch {
            requests.push((request.queue, request.limit));
            completed.extend(request.completed);
        }
        Self {
            answers: requests.iter().map(|_| Vec::new()).collect(),
            requests,
            now,
            completed,
        }
    }

    /// Each queue asked for, once, with how many jobs its requests want in all.
    pub(super) fn wanted(&self) -> Vec<(Arc<str>, usize)> {
        let mut wanted: Vec<(Arc<str>, usize)> = Vec::new();
        for (queue, limit) in &self.requests {
            match wanted.iter_mut().find(|(seen, _)| seen == queue) {
                Some((_, total)) => *total += limit,
                None => wanted.push((Arc::clone(queue), *limit)),
            }
        }
        wanted.retain(|&(_, total)| total > 0);
        wanted
    }

    /// Hands the jobs claimed for `queue` to its requests, in order.
    pub(super) fn give(&mut self, queue: &str, jobs: Vec<Claimed>) {
        let mut jobs = jobs.into_iter();
        for ((asked, limit), answer) in self.requests.iter().zip(&mut self.answers) {
            if **asked == *queue {
                answer.extend(jobs.by_ref().take(*limit));
            }
        }
    }

    pub(super) fn answers(self) -> Vec<Vec<Claimed>> {
        self.answers
    }
}

/// A row of `jobs_schedules` as both databases read it: job, schedule, zone, overridden, paused,
/// version, since when (as the database keeps instants) and by whom it is paused.
pub(super) type StoredRow<At = DateTime<Utc>> = (
    String,
    Option<String>,
    Option<String>,
    bool,
    bool,
    i64,
    Option<At>,
    Option<String>,
);

pub(super) fn stored_job(row: StoredRow) -> StoredJob {
    let (job, expr, tz, overridden, paused, version, paused_at, paused_by) = row;
    let pause = paused_at
        .zip(paused_by)
        .filter(|_| paused)
        .map(|(at, by)| Pause { at, by });
    StoredJob {
        job,
        schedule: expr.map(|expr| StoredSchedule {
            expr,
            tz: tz.unwrap_or_else(|| "UTC".to_owned()),
        }),
        overridden,
        paused,
        pause,
        version,
    }
}

/// A run record as both databases keep it, instants aside: job, run id, job id, attempts,
/// outcome, error, lateness in microseconds, permanent, payload.
pub(super) struct RunColumns<'a> {
    pub(super) job: &'a str,
    pub(super) run_id: Option<i64>,
    pub(super) job_id: Option<i64>,
    pub(super) attempts: i32,
    pub(super) outcome: String,
    pub(super) error: Option<&'a str>,
    pub(super) lateness_us: Option<i64>,
    pub(super) permanent: bool,
    pub(super) payload: Option<&'a str>,
}

impl<'a> RunColumns<'a> {
    pub(super) fn of(record: &'a RunRecord) -> Self {
        Self {
            job: &record.job,
            run_id: record
                .run_id
                .map(|id| i64::try_from(id.0).unwrap_or(i64::MAX)),
            job_id: record.job_id.map(db_id),
            attempts: i32::try_from(record.attempts).unwrap_or(i32::MAX),
            outcome: record.outcome.stored(),
            error: record.error.as_deref(),
            lateness_us: record
                .lateness
                .map(|late| i64::try_from(late.as_micros()).unwrap_or(i64::MAX)),
            permanent: record.permanent,
            payload: record.payload.as_deref(),
        }
    }
}

/// A stored run record read back, its instants already read; `None` for an outcome this
/// version does not know.
#[allow(clippy::too_many_arguments, reason = "one per column")]
pub(super) fn run_record(
    job: Arc<str>,
    ids: (Option<i64>, Option<i64>),
    instants: (DateTime<Utc>, Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    attempts: i64,
    outcome: &str,
    error: Option<String>,
    lateness_us: Option<i64>,
    permanent: bool,
    payload: Option<String>,
) -> Option<RunRecord> {
    Some(RunRecord {
        job,
        run_id: ids.0.map(|id| RunId(u64::try_from(id).unwrap_or(0))),
        scheduled_at: instants.0,
        started_at: instants.1,
        finished_at: instants.2,
        attempts: u32::try_from(attempts).unwrap_or(0),
        outcome: Outcome::from_stored(outcome)?,
        error,
        lateness: lateness_us
            .and_then(|late| u64::try_from(late).ok())
            .map(std::time::Duration::from_micros),
        permanent,
        job_id: ids.1.map(job_id),
        payload: payload.map(Arc::from),
    })
}

/// A tick in a batch of claims: the job, and its instant in microseconds.
pub(super) type TickKey = (Arc<str>, i64);

/// The ticks of a batch, each once (an upsert may not touch a row twice), in order: processes
/// claiming the same ticks at once then lock their rows in the same order, and never deadlock
/// (which PostgreSQL would break only after its `deadlock_timeout`, a second late).
pub(super) fn distinct(batch: &[TickKey]) -> Vec<TickKey> {
    let mut keys = batch.to_vec();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Whether each request of a batch won its tick: the first request of a tick that the statement
/// returned; a second request of the same tick loses, so that it runs once here too.
pub(super) fn answer(
    batch: &[TickKey],
    mut won: std::collections::HashSet<(String, i64)>,
) -> Vec<bool> {
    batch
        .iter()
        .map(|(job, at)| won.remove(&(job.to_string(), *at)))
        .collect()
}

/// Waiting and running jobs by queue, in both databases' SQL: due, scheduled later, running, and
/// the earliest due instant. Each arm of the union reads its own partial index (the claim's, and
/// the heartbeat's), so ended jobs kept for the retention period are not scanned.
pub(super) const QUEUES: &str = "SELECT queue,
        COUNT(*) FILTER (WHERE NOT running AND run_at <= $1),
        COUNT(*) FILTER (WHERE NOT running AND run_at > $1),
        COUNT(*) FILTER (WHERE running),
        MIN(run_at) FILTER (WHERE NOT running AND run_at <= $1)
    FROM (
        SELECT queue, run_at, FALSE AS running FROM jobs_jobs WHERE state = 'waiting'
        UNION ALL
        SELECT queue, run_at, TRUE FROM jobs_jobs WHERE state = 'running'
    ) AS live
    GROUP BY queue ORDER BY queue";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_asked_twice_in_one_batch_is_won_once() {
        let tick = |job: &str, at| (Arc::from(job), at);
        let batch = vec![tick("a", 1), tick("b", 1), tick("a", 1), tick("c", 2)];
        assert_eq!(distinct(&batch), [tick("a", 1), tick("b", 1), tick("c", 2)]);
        let unordered = vec![tick("b", 2), tick("a", 3), tick("b", 1)];
        assert_eq!(
            distinct(&unordered),
            [tick("a", 3), tick("b", 1), tick("b", 2)],
            "every process locks in one order"
        );
        let won = [("a".to_owned(), 1), ("c".to_owned(), 2)].into();
        assert_eq!(answer(&batch, won), [true, false, false, true]);
    }
}
