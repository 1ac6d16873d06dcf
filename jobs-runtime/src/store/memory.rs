//! The default store: on-demand jobs in this process's memory, lost when it exits.

use super::{
    Cancel, Claim, Claimed, Completion, Enqueued, JobId, JobState, NewJob, QueueStats, Store,
    StoreError, StoreFuture,
};
use chrono::{DateTime, Utc};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::future::ready;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Every job behind one lock: each operation is a few map and heap steps, far shorter than the
/// work between them, and one lock keeps unique keys, states and queues consistent.
pub(crate) struct MemoryStore {
    inner: Mutex<Inner>,
    /// Waiting jobs beyond which `enqueue` refuses; see [`Builder::max_pending`](crate::Builder::max_pending).
    max_waiting: usize,
    /// Ended jobs whose state is still answered.
    keep_finished: usize,
}

#[derive(Default)]
struct Inner {
    rows: Rows,
    queues: HashMap<Arc<str>, Queue>,
    /// Unique keys of pending and running jobs.
    unique: HashMap<String, JobId>,
    /// Ended jobs, oldest first, forgotten beyond `keep_finished`.
    finished: VecDeque<JobId>,
    waiting: usize,
    /// Orders jobs that wait for the same instant: first in, first out.
    sequence: u64,
}

#[derive(Default)]
struct Queue {
    /// Due jobs by priority, highest first, each priority first in, first out: taking the next
    /// job costs the same with a million waiting as with one.
    due: BTreeMap<Reverse<i16>, VecDeque<JobId>>,
    /// Jobs waiting for an instant, by instant.
    later: BTreeSet<(DateTime<Utc>, u64, JobId)>,
}

impl Queue {
    fn push_due(&mut self, priority: i16, id: JobId) {
        self.due.entry(Reverse(priority)).or_default().push_back(id);
    }

    fn pop_due(&mut self) -> Option<JobId> {
        let mut highest = self.due.first_entry()?;
        let id = highest.get_mut().pop_front();
        if highest.get().is_empty() {
            highest.remove();
        }
        id
    }
}

struct Row {
    job: Arc<str>,
    queue: Arc<str>,
    priority: i16,
    /// `None` once the job has ended: only its state is still answered for.
    payload: Option<Arc<str>>,
    unique: Option<String>,
    /// When it was first due; a retry waits for its own instant, in `state` and the queue.
    run_at: DateTime<Utc>,
    /// When it last became due: `run_at`, or the end of a retry's backoff.
    ready_at: DateTime<Utc>,
    /// Attempts started so far.
    attempts: u32,
    started_at: Option<DateTime<Utc>>,
    /// The last failed attempt's error, while a retry waits.
    error: Option<String>,
    state: JobState,
}

/// Rows by id. Ids are handed out in increasing order, so the jobs of the recent past sit in a
/// window indexed by id: no hashing, and jobs enqueued one after the other are neighbours in
/// memory, as they are claimed and forgotten in about that order. A job that outlives the window
/// (a long delay, a retry far away) moves to a map, so the window stays about as long as the
/// number of jobs in it.
#[derive(Default)]
struct Rows {
    /// The id of `window[0]`.
    base: u64,
    window: VecDeque<Option<Row>>,
    /// Rows in the window.
    in_window: usize,
    older: HashMap<JobId, Row, IdHash>,
}

/// Empty slots the window may hold beyond its rows before the oldest rows move to the map.
const WINDOW_SLACK: usize = 1024;

impl Rows {
    fn slot(&self, id: JobId) -> Option<usize> {
        let offset = usize::try_from(id.0.checked_sub(self.base)?).ok()?;
        (offset < self.window.len()).then_some(offset)
    }

    fn get(&self, id: JobId) -> Option<&Row> {
        match self.slot(id) {
            Some(slot) => self.window[slot].as_ref(),
            None => self.older.get(&id),
        }
    }

    fn get_mut(&mut self, id: JobId) -> Option<&mut Row> {
        match self.slot(id) {
            Some(slot) => self.window[slot].as_mut(),
            None => self.older.get_mut(&id),
        }
    }

    fn insert(&mut self, id: JobId, row: Row) {
        if self.window.is_empty() {
            self.base = id.0;
        }
        let Some(offset) =
            id.0.checked_sub(self.base)
                .and_then(|offset| usize::try_from(offset).ok())
        else {
            // An id handed out before the window moved past it.
            self.older.insert(id, row);
            return;
        };
        if offset >= self.window.len() {
            self.window.resize_with(offset + 1, || None);
        }
        if self.window[offset].replace(row).is_none() {
            self.in_window += 1;
        }
    }

    fn remove(&mut self, id: JobId) -> Option<Row> {
        let Some(slot) = self.slot(id) else {
            return self.older.remove(&id);
        };
        let row = self.window[slot].take()?;
        self.in_window -= 1;
        self.compact();
        Some(row)
    }

    fn iter(&self) -> impl Iterator<Item = &Row> {
        self.window.iter().flatten().chain(self.older.values())
    }

    /// Drops empty slots at the front, and moves the oldest rows to the map while the window
    /// is mostly empty slots.
    fn compact(&mut self) {
        loop {
            match self.window.front() {
                Some(None) => {}
                Some(Some(_)) if self.window.len() > 2 * self.in_window + WINDOW_SLACK => {}
                _ => break,
            }
            if let Some(Some(row)) = self.window.pop_front() {
                self.in_window -= 1;
                self.older.insert(JobId(self.base), row);
            }
            self.base += 1;
        }
    }
}

/// Hashes job ids, which are distinct counters: one multiplication spreads them over the table,
/// where the default hasher (built against adversarial keys) costs several times more on every
/// enqueue, claim and completion.
#[derive(Clone, Copy, Default)]
struct IdHash;

impl BuildHasher for IdHash {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used, by `JobId`'s derived `Hash`; this keeps any other key sound.
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(FIBONACCI);
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(FIBONACCI);
    }
}

/// 2^64 divided by the golden ratio: consecutive ids land far apart in the high bits, which
/// hashbrown uses.
const FIBONACCI: u64 = 0x9E37_79B9_7F4A_7C15;

impl MemoryStore {
    pub(crate) fn new(max_waiting: usize, keep_finished: usize) -> Self {
        Self {
            inner: Mutex::default(),
            max_waiting,
            keep_finished,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing panics while holding the lock except on a bug here; the maps stay usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn enqueue_now(&self, job: NewJob) -> Result<Enqueued, StoreError> {
        let mut inner = self.lock();
        self.insert(&mut inner, job)
    }

    fn enqueue_many_now(&self, jobs: Vec<NewJob>) -> Result<Vec<Enqueued>, StoreError> {
        let mut inner = self.lock();
        // All or none: room for every job, counting those a unique key might fold into one.
        if inner.waiting + jobs.len() > self.max_waiting {
            return Err(StoreError::Full {
                limit: self.max_waiting,
            });
        }
        jobs.into_iter()
            .map(|job| self.insert(&mut inner, job))
            .collect()
    }

    fn insert(&self, inner: &mut Inner, job: NewJob) -> Result<Enqueued, StoreError> {
        if let Some(key) = &job.unique {
            if let Some(&existing) = inner.unique.get(key) {
                return Ok(Enqueued::Existing(existing));
            }
        }
        if inner.waiting >= self.max_waiting {
            return Err(StoreError::Full {
                limit: self.max_waiting,
            });
        }
        if let Some(key) = &job.unique {
            inner.unique.insert(key.clone(), job.id);
        }
        let state = if job.run_at > job.enqueued_at {
            JobState::Scheduled(job.run_at)
        } else {
            JobState::Pending
        };
        inner.rows.insert(
            job.id,
            Row {
                job: job.job,
                queue: Arc::clone(&job.queue),
                priority: job.priority,
                payload: Some(job.payload),
                unique: job.unique,
                run_at: job.run_at,
                ready_at: job.run_at,
                attempts: 0,
                started_at: None,
                error: None,
                state,
            },
        );
        inner.wait(job.queue, job.id, job.priority, job.run_at, job.enqueued_at);
        Ok(Enqueued::New(job.id))
    }

    fn claim_now(
        &self,
        queue: &str,
        limit: usize,
        now: DateTime<Utc>,
        completed: &mut Vec<(JobId, Completion)>,
    ) -> Claim {
        let mut inner = self.lock();
        for (id, completion) in completed.drain(..) {
            // Only a bug could make the id unknown: a worker completes what it claimed.
            if let Err(error) = inner.complete(id, completion, now, self.keep_finished) {
                tracing::error!(?error, "completing a job that the store does not know");
            }
        }
        let inner = &mut *inner;
        let Some(waiting) = inner.queues.get_mut(queue) else {
            return Claim::default();
        };
        // Jobs whose instant has come join the due ones, in the order of their instants.
        while let Some(&(at, _, id)) = waiting.later.first() {
            if at > now {
                break;
            }
            waiting.later.pop_first();
            // A cancelled job leaves its entry behind; it is skipped here.
            let row = inner.rows.get_mut(id);
            if let Some(row) = row.filter(|row| matches!(row.state, JobState::Scheduled(_))) {
                row.state = JobState::Pending;
                waiting.push_due(row.priority, id);
            }
        }
        let mut jobs = Vec::new();
        while jobs.len() < limit {
            let Some(id) = waiting.pop_due() else { break };
            // A cancelled job leaves its entry behind; it is skipped here.
            let Some(row) = inner.rows.get_mut(id) else {
                continue;
            };
            if row.state != JobState::Pending {
                continue;
            }
            let Some(payload) = row.payload.clone() else {
                continue;
            };
            row.attempts += 1;
            let started_at = *row.started_at.get_or_insert(now);
            row.state = JobState::Running {
                attempt: row.attempts,
            };
            inner.waiting -= 1;
            jobs.push(Claimed {
                id,
                job: Arc::clone(&row.job),
                payload,
                attempt: row.attempts,
                due_at: row.run_at,
                started_at,
            });
        }
        let next_at = waiting.later.first().map(|&(at, _, _)| at);
        Claim { jobs, next_at }
    }

    #[cfg(test)]
    fn complete_now(
        &self,
        id: JobId,
        completion: Completion,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.lock()
            .complete(id, completion, now, self.keep_finished)
    }

    /// One pass over the rows, under the lock: a few nanoseconds a job, asked once a second
    /// at most (by the metrics) or by a person (the dashboard).
    fn queues_now(&self, now: DateTime<Utc>) -> Vec<QueueStats> {
        let inner = self.lock();
        let mut queues: Vec<QueueStats> = Vec::new();
        // Rows of a queue share its name, and neighbours are mostly of one queue: the last
        // queue seen is tried first, by address.
        let mut last = 0;
        for row in inner.rows.iter() {
            let (pending, scheduled, running, due) = match row.state {
                JobState::Pending => (1, 0, 0, Some(row.ready_at)),
                JobState::Scheduled(at) if at <= now => (1, 0, 0, Some(at)),
                JobState::Scheduled(_) => (0, 1, 0, None),
                JobState::Running { .. } => (0, 0, 1, None),
                _ => continue,
            };
            if queues
                .get(last)
                .is_none_or(|stats| !Arc::ptr_eq(&stats.queue, &row.queue))
            {
                last = queues
                    .iter()
                    .position(|stats| *stats.queue == *row.queue)
                    .unwrap_or_else(|| {
                        queues.push(QueueStats {
                            queue: Arc::clone(&row.queue),
                            pending: 0,
                            scheduled: 0,
                            running: 0,
                            oldest_pending: None,
                        });
                        queues.len() - 1
                    });
            }
            let stats = &mut queues[last];
            stats.pending += pending;
            stats.scheduled += scheduled;
            stats.running += running;
            stats.oldest_pending = match (stats.oldest_pending, due) {
                (Some(oldest), Some(due)) => Some(oldest.min(due)),
                (oldest, due) => oldest.or(due),
            };
        }
        queues.sort_by(|a, b| a.queue.cmp(&b.queue));
        queues
    }

    fn cancel_now(&self, id: JobId) -> Result<Cancel, StoreError> {
        let mut inner = self.lock();
        let row = inner.rows.get_mut(id).ok_or(StoreError::UnknownId(id))?;
        match &row.state {
            JobState::Pending | JobState::Scheduled(_) => {
                row.state = JobState::Cancelled;
                let cancelled = Cancel::Cancelled {
                    job: Arc::clone(&row.job),
                    payload: row.payload.clone().unwrap_or_default(),
                    due_at: row.run_at,
                    attempts: row.attempts,
                    started_at: row.started_at,
                    error: row.error.take(),
                };
                // Its heap or timer entry stays and is skipped when reached.
                inner.waiting -= 1;
                inner.finish(id, self.keep_finished);
                Ok(cancelled)
            }
            JobState::Running { .. } => Ok(Cancel::Running {
                queue: Arc::clone(&row.queue),
            }),
            ended => Ok(Cancel::Finished(ended.clone())),
        }
    }
}

impl Inner {
    fn complete(
        &mut self,
        id: JobId,
        completion: Completion,
        now: DateTime<Utc>,
        keep_finished: usize,
    ) -> Result<(), StoreError> {
        let row = self.rows.get_mut(id).ok_or(StoreError::UnknownId(id))?;
        let state = match completion {
            Completion::Succeeded => JobState::Succeeded,
            Completion::Failed {
                error,
                retry_at: Some(at),
            } => {
                row.error = Some(error);
                row.ready_at = at;
                row.state = if at > now {
                    JobState::Scheduled(at)
                } else {
                    JobState::Pending
                };
                let (queue, priority) = (Arc::clone(&row.queue), row.priority);
                self.wait(queue, id, priority, at, now);
                return Ok(());
            }
            Completion::Failed {
                error,
                retry_at: None,
            } => JobState::Failed { error },
            // Only a job claimed and not started is released here (a job stopped while it ran
            // ends cancelled: nothing outlives this process to run it again): it waits again, as
            // if never claimed.
            Completion::Released => {
                row.attempts -= 1;
                if row.attempts == 0 {
                    row.started_at = None;
                }
                row.state = JobState::Pending;
                let (queue, priority, at) = (Arc::clone(&row.queue), row.priority, row.ready_at);
                self.wait(queue, id, priority, at, now);
                return Ok(());
            }
            Completion::Cancelled => JobState::Cancelled,
        };
        row.state = state;
        self.finish(id, keep_finished);
        Ok(())
    }

    /// Puts a job where `claim` finds it: among the due ones, or among the later ones.
    fn wait(
        &mut self,
        queue: Arc<str>,
        id: JobId,
        priority: i16,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        self.sequence += 1;
        self.waiting += 1;
        let sequence = self.sequence;
        let waiting = self.queues.entry(queue).or_default();
        if run_at > now {
            waiting.later.insert((run_at, sequence, id));
        } else {
            waiting.push_due(priority, id);
        }
    }

    /// Frees an ended job's unique key and forgets the oldest ended jobs beyond `keep`.
    fn finish(&mut self, id: JobId, keep: usize) {
        let key = self.rows.get_mut(id).and_then(|row| row.unique.take());
        if let Some(key) = key {
            self.unique.remove(&key);
        }
        // An ended job needs its state only: drop the payload now rather than when forgotten.
        if let Some(row) = self.rows.get_mut(id) {
            row.payload = None;
        }
        self.finished.push_back(id);
        while self.finished.len() > keep {
            if let Some(old) = self.finished.pop_front() {
                self.rows.remove(old);
            }
        }
    }
}

impl Store for MemoryStore {
    fn enqueue_many(&self, jobs: Vec<NewJob>) -> StoreFuture<'_, Vec<Enqueued>> {
        let stored = self.enqueue_many_now(jobs);
        Box::pin(async move { stored })
    }

    fn enqueue(&self, job: NewJob) -> StoreFuture<'_, Enqueued> {
        Box::pin(ready(self.enqueue_now(job)))
    }

    fn claim<'a>(
        &'a self,
        queue: &'a str,
        limit: usize,
        now: DateTime<Utc>,
        completed: &'a mut Vec<(JobId, Completion)>,
    ) -> StoreFuture<'a, Claim> {
        Box::pin(ready(Ok(self.claim_now(queue, limit, now, completed))))
    }

    fn cancel(&self, id: JobId) -> StoreFuture<'_, Cancel> {
        Box::pin(ready(self.cancel_now(id)))
    }

    fn state(&self, id: JobId) -> StoreFuture<'_, JobState> {
        let state = self.lock().rows.get(id).map(|row| row.state.clone());
        Box::pin(ready(state.ok_or(StoreError::UnknownId(id))))
    }

    fn waiting(&self) -> StoreFuture<'_, usize> {
        Box::pin(ready(Ok(self.lock().waiting)))
    }

    fn queues(&self, now: DateTime<Utc>) -> StoreFuture<'_, Vec<QueueStats>> {
        Box::pin(ready(Ok(self.queues_now(now))))
    }

    fn durable(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::time::Duration;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
    }

    fn job(id: u64, priority: i16, run_at: i64) -> NewJob {
        NewJob {
            id: JobId(id),
            job: Arc::from("send"),
            queue: Arc::from("email"),
            priority,
            payload: Arc::from("{}"),
            run_at: at(run_at),
            enqueued_at: at(0),
            unique: None,
        }
    }

    fn claim(store: &MemoryStore, queue: &str, limit: usize, now: DateTime<Utc>) -> Claim {
        store.claim_now(queue, limit, now, &mut Vec::new())
    }

    fn ids(claim: &Claim) -> Vec<u64> {
        claim.jobs.iter().map(|job| job.id.0).collect()
    }

    #[test]
    fn claims_by_priority_then_in_order() {
        let store = MemoryStore::new(100, 100);
        for (id, priority) in [(1, 0), (2, 5), (3, 0), (4, 5), (5, -1)] {
            store.enqueue_now(job(id, priority, 0)).unwrap();
        }
        assert_eq!(ids(&claim(&store, "email", 10, at(0))), [2, 4, 1, 3, 5]);
        assert!(claim(&store, "other", 10, at(0)).jobs.is_empty());
    }

    #[test]
    fn a_later_job_waits_for_its_instant_and_is_announced() {
        let store = MemoryStore::new(100, 100);
        store.enqueue_now(job(1, 0, 60)).unwrap();
        let early = claim(&store, "email", 10, at(59));
        assert!(early.jobs.is_empty());
        assert_eq!(early.next_at, Some(at(60)));
        let state = store.lock().rows.get(JobId(1)).map(|row| row.state.clone());
        assert_eq!(state, Some(JobState::Scheduled(at(60))));
        assert_eq!(ids(&claim(&store, "email", 10, at(60))), [1]);
    }

    #[test]
    fn a_retry_comes_back_at_its_instant_with_the_next_attempt() {
        let store = MemoryStore::new(100, 100);
        store.enqueue_now(job(1, 0, 0)).unwrap();
        let first = claim(&store, "email", 1, at(0));
        assert_eq!(first.jobs[0].attempt, 1);
        let retry_at = at(0) + Duration::from_secs(2);
        let failed = Completion::Failed {
            error: "boom".into(),
            retry_at: Some(retry_at),
        };
        store.complete_now(JobId(1), failed, at(0)).unwrap();
        assert!(claim(&store, "email", 1, at(1)).jobs.is_empty());
        let second = &claim(&store, "email", 1, retry_at).jobs[0];
        assert_eq!(
            (second.attempt, second.started_at, second.due_at),
            (2, at(0), at(0)),
            "a retry keeps the instant the job was first due, and when it first started"
        );
    }

    #[test]
    fn a_unique_key_is_held_until_the_job_ends() {
        let store = MemoryStore::new(100, 100);
        let unique = |id| NewJob {
            unique: Some("welcome:42".into()),
            ..job(id, 0, 0)
        };
        assert_eq!(store.enqueue_now(unique(1)), Ok(Enqueued::New(JobId(1))));
        assert_eq!(
            store.enqueue_now(unique(2)),
            Ok(Enqueued::Existing(JobId(1)))
        );
        claim(&store, "email", 1, at(0));
        assert_eq!(
            store.enqueue_now(unique(3)),
            Ok(Enqueued::Existing(JobId(1)))
        );
        store
            .complete_now(JobId(1), Completion::Succeeded, at(0))
            .unwrap();
        assert_eq!(store.enqueue_now(unique(4)), Ok(Enqueued::New(JobId(4))));
    }

    #[test]
    fn a_full_store_refuses_and_frees_room_as_jobs_start() {
        let store = MemoryStore::new(2, 100);
        store.enqueue_now(job(1, 0, 0)).unwrap();
        store.enqueue_now(job(2, 0, 0)).unwrap();
        assert_eq!(
            store.enqueue_now(job(3, 0, 0)),
            Err(StoreError::Full { limit: 2 })
        );
        claim(&store, "email", 1, at(0));
        assert_eq!(store.enqueue_now(job(3, 0, 0)), Ok(Enqueued::New(JobId(3))));
    }

    #[test]
    fn a_cancelled_job_is_never_claimed() {
        let store = MemoryStore::new(100, 100);
        store.enqueue_now(job(1, 0, 0)).unwrap();
        store.enqueue_now(job(2, 0, 30)).unwrap();
        for id in [1, 2] {
            let cancelled = store.cancel_now(JobId(id));
            assert!(
                matches!(cancelled, Ok(Cancel::Cancelled { .. })),
                "{cancelled:?}"
            );
        }
        assert!(claim(&store, "email", 10, at(60)).jobs.is_empty());
        assert_eq!(
            store.cancel_now(JobId(1)),
            Ok(Cancel::Finished(JobState::Cancelled))
        );
        assert_eq!(store.lock().waiting, 0);
    }

    #[test]
    fn ended_jobs_are_forgotten_beyond_the_limit() {
        let store = MemoryStore::new(100, 1);
        for id in 1..=2 {
            store.enqueue_now(job(id, 0, 0)).unwrap();
        }
        claim(&store, "email", 2, at(0));
        for id in 1..=2 {
            store
                .complete_now(JobId(id), Completion::Succeeded, at(0))
                .unwrap();
        }
        assert!(store.lock().rows.get(JobId(1)).is_none());
        let state = store.lock().rows.get(JobId(2)).map(|row| row.state.clone());
        assert_eq!(state, Some(JobState::Succeeded));
    }
}

#[cfg(test)]
mod rows_tests {
    use super::*;
    use chrono::TimeZone;

    fn row(n: u64) -> Row {
        Row {
            job: Arc::from("job"),
            queue: Arc::from("queue"),
            priority: 0,
            payload: Some(Arc::from(n.to_string())),
            unique: None,
            run_at: Utc.timestamp_opt(0, 0).unwrap(),
            ready_at: Utc.timestamp_opt(0, 0).unwrap(),
            attempts: 0,
            started_at: None,
            error: None,
            state: JobState::Pending,
        }
    }

    fn payload(rows: &Rows, id: u64) -> Option<String> {
        rows.get(JobId(id))
            .and_then(|row| row.payload.as_deref().map(str::to_owned))
    }

    #[test]
    fn finds_rows_inserted_out_of_order_and_forgets_removed_ones() {
        let mut rows = Rows::default();
        for id in [3, 1, 2, 5] {
            rows.insert(JobId(id), row(id));
        }
        for id in [1, 2, 3, 5] {
            assert_eq!(payload(&rows, id), Some(id.to_string()));
        }
        assert_eq!(payload(&rows, 4), None);
        assert_eq!(
            rows.remove(JobId(2))
                .and_then(|row| row.payload.as_deref().map(str::to_owned)),
            Some("2".into())
        );
        assert_eq!(payload(&rows, 2), None);
        assert_eq!(payload(&rows, 3), Some("3".into()));
    }

    #[test]
    fn a_long_lived_row_moves_out_of_the_window_and_stays_found() {
        let mut rows = Rows::default();
        rows.insert(JobId(1), row(1));
        let many = 10 * WINDOW_SLACK as u64;
        for id in 2..many {
            rows.insert(JobId(id), row(id));
            rows.remove(JobId(id));
        }
        assert!(
            rows.window.len() <= WINDOW_SLACK + 1,
            "the window shrank: {} slots",
            rows.window.len()
        );
        assert_eq!(payload(&rows, 1), Some("1".into()));
        // An id handed out before the window moved past it is still stored and found.
        rows.insert(JobId(5), row(5));
        assert_eq!(payload(&rows, 5), Some("5".into()));
        assert!(rows.remove(JobId(1)).is_some());
        assert_eq!(payload(&rows, 1), None);
    }
}
