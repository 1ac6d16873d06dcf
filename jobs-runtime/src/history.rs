use crate::context::RunId;
use crate::runtime::Shared;
use crate::store::JobId;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// One tick of a job: a run with its outcome, or a tick that did not run and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunRecord {
    /// The job's name.
    pub job: Arc<str>,
    /// The run; `None` for a tick that did not run.
    pub run_id: Option<RunId>,
    /// The instant the tick was scheduled for (a triggered run: when it was triggered; an
    /// enqueued job: when it was due).
    pub scheduled_at: DateTime<Utc>,
    /// When the first attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When the run ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Attempts made, counting from 1; 0 for a tick that did not run.
    pub attempts: u32,
    /// How it ended.
    pub outcome: Outcome,
    /// The last attempt's error, or why the run was cancelled; for a skipped tick, what the
    /// reason alone does not say (since when and by whom the job was paused).
    pub error: Option<String>,
    /// How long after its intended instant (scheduled plus jitter) the first attempt started.
    pub lateness: Option<Duration>,
    /// Whether the run failed with a [`Permanent`](crate::Permanent) error, which ends a run
    /// whatever retries remain.
    pub permanent: bool,
    /// The enqueued job this run was; `None` for a scheduled tick or a triggered run.
    pub job_id: Option<JobId>,
    /// An enqueued job's payload: a JSON object of its payload parameters.
    pub payload: Option<Arc<str>>,
}

/// How a tick ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// An attempt succeeded.
    Succeeded,
    /// Every attempt failed (an error, a panic or a timeout); the error is in the record.
    Failed,
    /// The run was stopped: shutdown, or a newer run under `overlap = "replace"`.
    Cancelled,
    /// The tick did not run.
    Skipped(SkipReason),
}

/// Why a tick did not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SkipReason {
    /// The previous run was still running and the job's overlap policy is `skip`.
    Overlap,
    /// The job was paused.
    Paused,
    /// A later tick of the same job was already due when this one came round (the process was
    /// stalled or suspended); the latest one ran.
    Missed,
    /// The runtime was shutting down.
    Shutdown,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Overlap => "overlap",
            Self::Paused => "paused",
            Self::Missed => "missed",
            Self::Shutdown => "shutdown",
        })
    }
}

#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, reason = "only a database store keeps records")
)]
impl Outcome {
    /// As a store keeps it.
    pub(crate) fn stored(self) -> String {
        match self {
            Self::Succeeded => "succeeded".to_owned(),
            Self::Failed => "failed".to_owned(),
            Self::Cancelled => "cancelled".to_owned(),
            Self::Skipped(reason) => format!("skipped: {reason}"),
        }
    }

    /// [`Outcome::stored`] read back.
    pub(crate) fn from_stored(stored: &str) -> Option<Self> {
        Some(match stored {
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            "skipped: overlap" => Self::Skipped(SkipReason::Overlap),
            "skipped: paused" => Self::Skipped(SkipReason::Paused),
            "skipped: missed" => Self::Skipped(SkipReason::Missed),
            "skipped: shutdown" => Self::Skipped(SkipReason::Shutdown),
            _ => return None,
        })
    }
}

/// Writes every record to a durable store, in batches of what piled up meanwhile, away from the
/// runs that make them; retried with backoff while the database fails. Ends once `finish` is
/// sent, after writing what is left (within `limit`: past it, the rest is reported lost).
pub(crate) async fn write(
    shared: Arc<Shared>,
    mut records: mpsc::UnboundedReceiver<RunRecord>,
    mut finish: oneshot::Receiver<()>,
    limit: Duration,
) {
    let mut batch: Vec<RunRecord> = Vec::new();
    let mut finishing: Option<tokio::time::Instant> = None;
    loop {
        if finishing.is_none() && batch.is_empty() {
            tokio::select! {
                biased;
                _ = &mut finish => finishing = Some(tokio::time::Instant::now() + limit),
                record = records.recv() => match record {
                    Some(record) => batch.push(record),
                    None => finishing = Some(tokio::time::Instant::now() + limit),
                },
            }
        }
        while batch.len() < 1_000 {
            let Ok(record) = records.try_recv() else {
                break;
            };
            batch.push(record);
        }
        if batch.is_empty() {
            if finishing.is_some() {
                break;
            }
            continue;
        }
        let mut backoff = Duration::from_millis(100);
        loop {
            let written = shared.stored("writing run history", shared.store.record(&batch));
            if written.await.is_ok() {
                batch.clear();
                break;
            }
            if finishing.is_some_and(|until| tokio::time::Instant::now() >= until) {
                tracing::error!(
                    records = batch.len(),
                    "stopped before the run history could be written"
                );
                return;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }
}

/// The last records of every job, bounded per job.
///
/// Each job has its own buffer behind its own lock, handed to its runs, so that runs of
/// different jobs never contend and the hot path does no lookup by name.
#[derive(Debug)]
pub(crate) struct History {
    limit: usize,
    jobs: Mutex<HashMap<Arc<str>, Arc<JobHistory>>>,
    /// Where every record also goes, with a durable store: the task that writes them there.
    sink: Option<mpsc::UnboundedSender<RunRecord>>,
}

/// One job's last records.
#[derive(Debug)]
pub(crate) struct JobHistory {
    job: Arc<str>,
    limit: usize,
    records: Mutex<VecDeque<RunRecord>>,
    sink: Option<mpsc::UnboundedSender<RunRecord>>,
    metrics: crate::metrics::JobMetrics,
}

impl History {
    pub(crate) fn new(limit: usize, sink: Option<mpsc::UnboundedSender<RunRecord>>) -> Self {
        Self {
            limit,
            jobs: Mutex::default(),
            sink,
        }
    }

    /// The buffer of `job`, the same one again if a job of that name was removed and re-added.
    pub(crate) fn of_job(&self, job: &Arc<str>) -> Arc<JobHistory> {
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        let history = jobs.entry(Arc::clone(job)).or_insert_with(|| {
            Arc::new(JobHistory {
                job: Arc::clone(job),
                limit: self.limit,
                records: Mutex::default(),
                sink: self.sink.clone(),
                metrics: crate::metrics::JobMetrics::new(),
            })
        });
        Arc::clone(history)
    }

    pub(crate) fn of(&self, job: &str) -> Vec<RunRecord> {
        let history = {
            let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
            let Ok(name) = crate::registry::resolve(jobs.keys().map(AsRef::as_ref), job) else {
                return Vec::new();
            };
            Arc::clone(&jobs[name.as_str()])
        };
        let mut of = history.records();
        // Records are pushed as runs end, so a skipped tick can precede the run that caused it.
        of.sort_by_key(|record| record.scheduled_at);
        of
    }

    /// The job's latest record by scheduled instant, without copying the others: the dashboard
    /// asks it of every job every few seconds.
    #[cfg_attr(
        not(feature = "dashboard"),
        allow(dead_code, reason = "only the dashboard asks")
    )]
    pub(crate) fn last_of(&self, job: &str) -> Option<RunRecord> {
        let history = {
            let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(jobs.get(job)?)
        };
        let records = history
            .records
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        records
            .iter()
            .max_by_key(|record| record.scheduled_at)
            .cloned()
    }

    /// Calls `f` with every job's name and buffer.
    #[cfg_attr(
        not(feature = "metrics"),
        allow(dead_code, reason = "only the metrics go through every job")
    )]
    pub(crate) fn each(&self, mut f: impl FnMut(&Arc<str>, &JobHistory)) {
        let jobs: Vec<(Arc<str>, Arc<JobHistory>)> = {
            let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
            jobs.iter()
                .map(|(name, history)| (Arc::clone(name), Arc::clone(history)))
                .collect()
        };
        for (name, history) in &jobs {
            f(name, history);
        }
    }

    pub(crate) fn all(&self) -> Vec<RunRecord> {
        let jobs: Vec<Arc<JobHistory>> = {
            let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
            jobs.values().cloned().collect()
        };
        let mut all: Vec<RunRecord> = jobs.iter().flat_map(|job| job.records()).collect();
        all.sort_by(|a, b| (a.scheduled_at, &a.job).cmp(&(b.scheduled_at, &b.job)));
        all
    }
}

impl JobHistory {
    /// Keeps a record, writes it to a durable store, and counts it in the metrics: every run
    /// and skipped tick, of every kind of job, ends here.
    pub(crate) fn push(&self, record: RunRecord) {
        self.metrics.record(&record);
        if let Some(sink) = &self.sink {
            // Closed only once the runtime has stopped, when no record is made any more.
            let _ = sink.send(record.clone());
        }
        if self.limit == 0 {
            return;
        }
        // A panicking job never holds this lock, so poisoning can only come from a bug here;
        // the data stays consistent either way.
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        if records.len() == self.limit {
            records.pop_front();
        }
        self.grow(&mut records, 1);
        records.push_back(record);
    }

    /// Grows the buffer ahead of the next records when it is about full. The scheduler calls it
    /// once a tick's runs have started: jobs on one schedule fill their buffers at the same
    /// pace, and regrowing every buffer inside a burst of runs (at 10 000 jobs, ~13 MB copied
    /// into fresh pages) held up the 5th and 9th ticks' runs by 10-20 ms.
    pub(crate) fn make_room(&self) {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        // Room for this tick's record, if its run has not ended yet, and the next one's.
        self.grow(&mut records, 2);
    }

    /// Makes room for `ahead` more records, doubling the buffer as a `VecDeque` would, from 4,
    /// but never beyond the limit, where doubling would overshoot it (128 for 100).
    fn grow(&self, records: &mut VecDeque<RunRecord>, ahead: usize) {
        let (len, capacity) = (records.len(), records.capacity());
        if capacity - len < ahead && capacity < self.limit {
            let grown = capacity.saturating_mul(2).max(4).min(self.limit);
            records.reserve_exact(grown - len);
        }
    }

    pub(crate) fn skipped(&self, scheduled_at: DateTime<Utc>, reason: SkipReason) {
        self.skipped_with(scheduled_at, reason, None);
    }

    /// [`JobHistory::skipped`], with what the reason alone does not say ("paused since … through
    /// the dashboard"), kept in the record's `error`.
    pub(crate) fn skipped_because(
        &self,
        scheduled_at: DateTime<Utc>,
        reason: SkipReason,
        detail: String,
    ) {
        self.skipped_with(scheduled_at, reason, Some(detail));
    }

    fn skipped_with(
        &self,
        scheduled_at: DateTime<Utc>,
        reason: SkipReason,
        detail: Option<String>,
    ) {
        tracing::info!(job = %self.job, %scheduled_at, reason = %reason, detail, "tick skipped");
        self.push(RunRecord {
            job: Arc::clone(&self.job),
            run_id: None,
            scheduled_at,
            started_at: None,
            finished_at: None,
            attempts: 0,
            outcome: Outcome::Skipped(reason),
            error: detail,
            lateness: None,
            permanent: false,
            job_id: None,
            payload: None,
        });
    }

    #[cfg_attr(
        not(feature = "metrics"),
        allow(dead_code, reason = "only the metrics read them")
    )]
    pub(crate) fn metrics(&self) -> &crate::metrics::JobMetrics {
        &self.metrics
    }

    fn records(&self) -> Vec<RunRecord> {
        let records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capacity(history: &JobHistory) -> usize {
        history
            .records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .capacity()
    }

    /// Below the first size of 4: the limit bounds the buffer from the start.
    #[test]
    fn a_limit_below_four_records_is_kept() {
        for limit in 1..4 {
            let history = History::new(limit, None).of_job(&Arc::from("job"));
            for _ in 0..6 {
                history.make_room();
                history.skipped(Utc::now(), SkipReason::Overlap);
                assert!(capacity(&history) <= limit, "limit {limit}");
            }
            assert_eq!(history.records().len(), limit);
        }
    }

    #[test]
    fn room_is_made_ahead_of_two_records_and_never_beyond_the_limit() {
        let limit = 5;
        let history = History::new(limit, None).of_job(&Arc::from("job"));
        for tick in 0..8 {
            history.make_room();
            let held = history.records().len();
            let room = capacity(&history) - held;
            assert!(
                room >= 2 || held + room == limit,
                "tick {tick}: room for {room} beside {held}"
            );
            // Doubling the 4 records' buffer would have made it 8.
            assert!(capacity(&history) < 8, "tick {tick}: grown past the limit");
            history.skipped(Utc::now(), SkipReason::Overlap);
        }
        assert_eq!(history.records().len(), limit);
    }
}
