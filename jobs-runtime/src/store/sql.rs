//! What the two database stores share beyond SQL: the jobs this process serves, how a
//! completion becomes a row, and the queue's order among the rows a claim returned.

use super::{Claimed, Completion, JobId, JobState};
use chrono::{DateTime, Utc};
use std::sync::{Arc, PoisonError, RwLock};

/// The jobs this process runs (see [`Store::serve`](super::Store::serve)).
#[derive(Default)]
pub(super) struct Served(RwLock<Arc<[Arc<str>]>>);

impl Served {
    pub(super) fn set(&self, jobs: Vec<Arc<str>>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = jobs.into();
    }

    pub(super) fn names(&self) -> Arc<[Arc<str>]> {
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// A job's name as the runtime holds it, so that the worker's lookups compare pointers
    /// instead of strings.
    pub(super) fn intern(&self, name: &str) -> Arc<str> {
        let jobs = self.0.read().unwrap_or_else(PoisonError::into_inner);
        jobs.iter()
            .find(|job| ***job == *name)
            .cloned()
            .unwrap_or_else(|| name.into())
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
