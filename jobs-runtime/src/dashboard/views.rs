//! The API's JSON: what the runtime's types look like on the wire. Field names are the API's
//! contract (the README documents them); nothing here decides anything.

use crate::history::{Outcome, RunRecord};
use crate::reconcile::{Reconciliation, StoredJobReport};
use crate::store::JobState;
use crate::{JobStatus, Schedule};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize)]
pub(super) struct Jobs {
    pub(super) jobs: Vec<JobView>,
}

#[derive(Serialize)]
pub(super) struct JobView {
    pub(super) name: String,
    pub(super) schedule: Option<ScheduleView>,
    pub(super) on_demand: bool,
    pub(super) queue: String,
    pub(super) paused: bool,
    pub(super) paused_since: Option<DateTime<Utc>>,
    pub(super) paused_by: Option<String>,
    pub(super) next_runs: Vec<DateTime<Utc>>,
    pub(super) last_outcome: Option<&'static str>,
    pub(super) last_run: Option<RunView>,
    pub(super) running: usize,
    pub(super) location: Option<String>,
    pub(super) reconciliation: Option<ReconciliationView>,
}

/// How many upcoming instants a job shows.
const NEXT_RUNS: usize = 5;

impl JobView {
    pub(super) fn new(
        status: &JobStatus,
        last: Option<&RunRecord>,
        report: Option<&StoredJobReport>,
    ) -> Self {
        let next_runs = match (&status.schedule, status.next_run) {
            (Some(schedule), Some(next)) => std::iter::once(next)
                .chain(schedule.after(next))
                .take(NEXT_RUNS)
                .collect(),
            _ => Vec::new(),
        };
        Self {
            name: status.name.to_string(),
            schedule: status.schedule.as_ref().map(ScheduleView::new),
            on_demand: status.schedule.is_none(),
            queue: status.queue.to_string(),
            paused: status.paused,
            paused_since: status.paused_since,
            paused_by: status.paused_by.as_deref().map(str::to_owned),
            next_runs,
            last_outcome: last.map(|record| outcome(record.outcome).0),
            last_run: last.map(RunView::new),
            running: status.running,
            location: status.location.clone(),
            reconciliation: report.map(ReconciliationView::new),
        }
    }

    /// A job of the store that this process's code does not define: shown, never run here.
    pub(super) fn stored_only(report: &StoredJobReport) -> Self {
        Self {
            name: report.name.clone(),
            schedule: None,
            on_demand: report.schedule.is_none(),
            queue: String::new(),
            paused: report.paused,
            paused_since: None,
            paused_by: None,
            next_runs: Vec::new(),
            last_outcome: None,
            last_run: None,
            running: 0,
            location: None,
            reconciliation: Some(ReconciliationView::new(report)),
        }
    }
}

#[derive(Serialize)]
pub(super) struct ScheduleView {
    pub(super) expression: String,
    /// `None` for an interval, which no zone changes.
    pub(super) timezone: Option<String>,
    pub(super) words: String,
}

impl ScheduleView {
    pub(super) fn new(schedule: &Schedule) -> Self {
        Self {
            expression: schedule.to_string(),
            timezone: schedule
                .interval()
                .is_none()
                .then(|| schedule.timezone().name().to_owned()),
            words: schedule.describe(),
        }
    }
}

#[derive(Serialize)]
pub(super) struct ReconciliationView {
    pub(super) state: &'static str,
    pub(super) detail: String,
}

impl ReconciliationView {
    fn new(report: &StoredJobReport) -> Self {
        let (state, detail) = match &report.reconciliation {
            Reconciliation::Added => ("added", "in code, and new to the store".to_owned()),
            Reconciliation::Unchanged => {
                ("unchanged", "in code and in the store, alike".to_owned())
            }
            Reconciliation::CodeChanged { was } => (
                "code_changed",
                format!("the code's schedule replaced the stored `{was}`"),
            ),
            Reconciliation::Overridden { stored, code } => (
                "overridden",
                format!(
                    "rescheduled at run time to `{stored}`, which stands over the code's `{code}`"
                ),
            ),
            Reconciliation::StoredOnly => (
                "stored_only",
                "in the store only: no code of this process defines it, so it does not run here"
                    .to_owned(),
            ),
        };
        Self { state, detail }
    }
}

#[derive(Serialize)]
pub(super) struct Runs {
    pub(super) runs: Vec<RunView>,
    /// Where the next page starts: pass it as `before`.
    pub(super) next_before: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
pub(super) struct RunView {
    pub(super) run_id: Option<String>,
    pub(super) job: String,
    pub(super) scheduled_at: DateTime<Utc>,
    pub(super) started_at: Option<DateTime<Utc>>,
    pub(super) finished_at: Option<DateTime<Utc>>,
    pub(super) attempts: u32,
    pub(super) outcome: &'static str,
    pub(super) skip_reason: Option<String>,
    pub(super) error: Option<String>,
    pub(super) lateness_ms: Option<f64>,
    pub(super) permanent: bool,
    pub(super) job_id: Option<u64>,
    pub(super) payload: Option<Value>,
}

impl RunView {
    pub(super) fn new(record: &RunRecord) -> Self {
        let (outcome, skip_reason) = outcome(record.outcome);
        Self {
            run_id: record.run_id.map(|id| id.to_string()),
            job: record.job.to_string(),
            scheduled_at: record.scheduled_at,
            started_at: record.started_at,
            finished_at: record.finished_at,
            attempts: record.attempts,
            outcome,
            skip_reason,
            error: record.error.clone(),
            lateness_ms: record.lateness.map(|late| late.as_secs_f64() * 1000.0),
            permanent: record.permanent,
            job_id: record.job_id.map(crate::JobId::get),
            // A payload is a JSON object; shown as text should it ever not parse.
            payload: record.payload.as_deref().map(|payload| {
                serde_json::from_str(payload).unwrap_or_else(|_| Value::String(payload.to_owned()))
            }),
        }
    }
}

impl RunView {
    /// A run that has not ended: the scheduler knows its id and instant, its record comes when
    /// it ends.
    pub(super) fn running(job: &str, run_id: crate::RunId, scheduled_at: DateTime<Utc>) -> Self {
        Self {
            run_id: Some(run_id.to_string()),
            job: job.to_owned(),
            scheduled_at,
            started_at: None,
            finished_at: None,
            attempts: 0,
            outcome: "running",
            skip_reason: None,
            error: None,
            lateness_ms: None,
            permanent: false,
            job_id: None,
            payload: None,
        }
    }
}

/// An outcome's word, and a skip's reason apart.
fn outcome(outcome: Outcome) -> (&'static str, Option<String>) {
    match outcome {
        Outcome::Succeeded => ("succeeded", None),
        Outcome::Failed => ("failed", None),
        Outcome::Cancelled => ("cancelled", None),
        Outcome::Skipped(reason) => ("skipped", Some(reason.to_string())),
    }
}

/// An enqueued job that has no run record yet (it waits, or runs elsewhere).
#[derive(Serialize)]
pub(super) struct EnqueuedView {
    pub(super) job_id: u64,
    pub(super) state: &'static str,
    pub(super) due_at: Option<DateTime<Utc>>,
    pub(super) attempt: Option<u32>,
    pub(super) error: Option<String>,
}

impl EnqueuedView {
    pub(super) fn new(job_id: u64, state: &JobState) -> Self {
        let (word, due_at, attempt, error) = match state {
            JobState::Pending => ("pending", None, None, None),
            JobState::Scheduled(at) => ("scheduled", Some(*at), None, None),
            JobState::Running { attempt } => ("running", None, Some(*attempt), None),
            JobState::Succeeded => ("succeeded", None, None, None),
            JobState::Failed { error } => ("failed", None, None, Some(error.clone())),
            JobState::Cancelled => ("cancelled", None, None, None),
        };
        Self {
            job_id,
            state: word,
            due_at,
            attempt,
            error,
        }
    }
}

#[derive(Serialize)]
pub(super) struct Queues {
    pub(super) queues: Vec<QueueView>,
}

#[derive(Serialize)]
pub(super) struct QueueView {
    pub(super) name: String,
    pub(super) pending: u64,
    pub(super) scheduled: u64,
    pub(super) running: u64,
    /// How many of its jobs run at once in this process.
    pub(super) limit: usize,
    pub(super) oldest_pending: Option<DateTime<Utc>>,
}
