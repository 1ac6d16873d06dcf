//! A store on a database: everything above the SQL, written once for both databases. A
//! [`Dialect`] (postgres.rs, sqlite.rs) gives the statements; [`Database`] batches what many
//! callers ask at once and is the [`Store`] the runtime sees.

use super::batch::{self, Batcher};
use super::sql::{micros, ClaimRequest, Served, Shares, TickKey};
use super::{
    Cancel, Claim, Claimed, Completion, ControlChange, DefinedJob, Enqueued, Heartbeat, JobId,
    JobState, NewJob, QueueStats, Store, StoreFuture, StoredJob, Waiting,
};
use crate::history::RunRecord;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::mpsc;

/// The statements of one database: each answers for a whole batch where callers were batched.
/// See [`Store`] for what each does.
pub(super) trait Dialect: Send + Sync + 'static {
    /// The jobs this process runs.
    fn served(&self) -> &Served;
    /// Stores one job, unless its unique key is held: then answers the holder's id.
    fn enqueue_one(&self, job: NewJob) -> StoreFuture<'_, Enqueued>;
    /// Stores jobs in one statement (one transaction when unique keys need their check).
    fn enqueue_many(&self, jobs: Vec<NewJob>) -> StoreFuture<'_, Vec<Enqueued>>;
    /// Records how attempts of this process's jobs ended.
    fn complete<'a>(
        &'a self,
        completed: &'a [(JobId, Completion)],
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, ()>;
    /// Records how `completed` ended, then takes up to `limit` due jobs of `queue`, in the
    /// queue's order.
    fn claim_rows<'a>(
        &'a self,
        queue: &'a str,
        limit: usize,
        now: DateTime<Utc>,
        completed: &'a [(JobId, Completion)],
    ) -> StoreFuture<'a, Vec<Claimed>>;
    /// Cancels the job if it waits.
    fn cancel_waiting(&self, id: JobId) -> StoreFuture<'_, Option<Cancel>>;
    /// If the job runs: where (this process), or asks its process to stop it.
    fn cancel_running(&self, id: JobId) -> StoreFuture<'_, Option<Cancel>>;
    fn state(&self, id: JobId, now: DateTime<Utc>) -> StoreFuture<'_, JobState>;
    fn waiting(&self) -> StoreFuture<'_, usize>;
    /// Every queue's jobs by state, in one statement.
    fn queues(&self, now: DateTime<Utc>) -> StoreFuture<'_, Vec<QueueStats>>;
    /// Claims a batch of ticks: whether each was won.
    fn claim_ticks(&self, batch: Vec<TickKey>) -> StoreFuture<'_, Vec<bool>>;
    /// Finishes (or, `true`, releases) a batch of ticks.
    fn finish_ticks(&self, batch: Vec<(TickKey, bool)>) -> StoreFuture<'_, Vec<()>>;
    fn seen(&self) -> StoreFuture<'_, HashMap<String, DateTime<Utc>>>;
    /// The jobs whose version is above `since` (every job for -1).
    fn stored_jobs(&self, since: i64) -> StoreFuture<'_, Vec<StoredJob>>;
    fn define(&self, jobs: Vec<DefinedJob>) -> StoreFuture<'_, ()>;
    fn control<'a>(&'a self, job: &'a str, change: ControlChange) -> StoreFuture<'a, ()>;
    fn record<'a>(&'a self, runs: &'a [RunRecord]) -> StoreFuture<'a, ()>;
    fn runs<'a>(
        &'a self,
        job: &'a str,
        limit: usize,
        before: Option<DateTime<Utc>>,
    ) -> StoreFuture<'a, Vec<RunRecord>>;
    fn prune(&self, before: DateTime<Utc>) -> StoreFuture<'_, u64>;
    fn heartbeat(&self, now: DateTime<Utc>) -> StoreFuture<'_, Heartbeat>;
    fn poll(&self) -> StoreFuture<'_, Vec<Waiting>>;
    /// Whether a job can be enqueued in the caller's own transaction.
    fn transactional(&self) -> bool {
        false
    }

    /// Whether the database can tell other processes that jobs were enqueued.
    fn announces(&self) -> bool {
        false
    }

    /// Tells other processes that `queues` got jobs.
    fn announce(&self, queues: Vec<Arc<str>>) -> StoreFuture<'_, Vec<()>> {
        let done = vec![(); queues.len()];
        Box::pin(async move { Ok(done) })
    }
}

/// A store on a database, whichever the dialect.
pub(crate) struct Database<D> {
    db: Arc<D>,
    /// What the database announces of other processes' enqueues, until the runtime takes it.
    announcements: Mutex<Option<mpsc::UnboundedReceiver<Arc<str>>>>,
    ticks: Batcher<TickKey, bool>,
    finished: Batcher<(TickKey, bool), ()>,
    /// The workers' claims, with the ends of their last jobs, written together.
    claims: Batcher<ClaimRequest, Vec<Claimed>>,
    /// Single enqueues from many callers at once share a statement, and a commit.
    enqueues: Batcher<NewJob, Enqueued>,
    /// Announcements of enqueued jobs to other processes, sent apart from the inserts and
    /// coalesced: PostgreSQL lets one notifying transaction commit at a time, so a NOTIFY in
    /// every insert would queue the inserts behind each other.
    announce: Batcher<Arc<str>, ()>,
}

impl<D: Dialect> Database<D> {
    pub(super) fn new(db: D, announcements: Option<mpsc::UnboundedReceiver<Arc<str>>>) -> Self {
        let db = Arc::new(db);
        Self {
            ticks: batch::on(&db, |db, batch| async move { db.claim_ticks(batch).await }),
            finished: batch::on(&db, |db, batch| async move { db.finish_ticks(batch).await }),
            claims: batch::on(
                &db,
                |db, batch| async move { claim_batch(&*db, batch).await },
            ),
            enqueues: batch::on(&db, |db, batch| async move { db.enqueue_many(batch).await }),
            announce: batch::on(&db, |db, mut queues: Vec<Arc<str>>| async move {
                let asked = queues.len();
                queues.sort_unstable();
                queues.dedup();
                db.announce(queues).await?;
                Ok(vec![(); asked])
            }),
            announcements: Mutex::new(announcements),
            db,
        }
    }
}

impl<D: Dialect> Database<D> {
    /// Tells the other processes, without waiting, that `queue` got jobs.
    fn announce(&self, queue: Arc<str>) {
        if self.db.announces() {
            self.announce.push(queue);
        }
    }
}

/// Writes the ends of a batch of workers' jobs, then claims each queue's share once.
async fn claim_batch<D: Dialect>(
    db: &D,
    batch: Vec<ClaimRequest>,
) -> Result<Vec<Vec<Claimed>>, super::StoreError> {
    let mut shares = Shares::new(batch);
    let mut completed = std::mem::take(&mut shares.completed);
    let wanted = shares.wanted();
    if wanted.is_empty() && !completed.is_empty() {
        db.complete(&completed, shares.now).await?;
    }
    for (queue, limit) in wanted {
        // The ends go with the first claim.
        let jobs = db.claim_rows(&queue, limit, shares.now, &completed).await?;
        completed.clear();
        shares.give(&queue, jobs);
    }
    Ok(shares.answers())
}

impl<D: Dialect> Store for Database<D> {
    fn enqueue(&self, job: NewJob) -> StoreFuture<'_, Enqueued> {
        Box::pin(async move {
            let queue = Arc::clone(&job.queue);
            let stored = if job.unique.is_some() {
                // Its key needs its own statements.
                self.db.enqueue_one(job).await?
            } else {
                self.enqueues.call(job).await?
            };
            if matches!(stored, Enqueued::New(_)) {
                self.announce(queue);
            }
            Ok(stored)
        })
    }

    fn enqueue_many(&self, jobs: Vec<NewJob>) -> StoreFuture<'_, Vec<Enqueued>> {
        Box::pin(async move {
            let queue = jobs.first().map(|job| Arc::clone(&job.queue));
            let stored = self.db.enqueue_many(jobs).await?;
            if let Some(queue) = queue {
                self.announce(queue);
            }
            Ok(stored)
        })
    }

    fn claim<'a>(
        &'a self,
        queue: &'a str,
        limit: usize,
        now: DateTime<Utc>,
        completed: &'a mut Vec<(JobId, Completion)>,
    ) -> StoreFuture<'a, Claim> {
        Box::pin(async move {
            let request = ClaimRequest::new(queue, limit, now, completed);
            let jobs = self.claims.call(request).await?;
            completed.clear();
            Ok(Claim {
                jobs,
                // The poll finds the instants of later jobs, whoever enqueued them.
                next_at: None,
            })
        })
    }

    fn cancel(&self, id: JobId) -> StoreFuture<'_, Cancel> {
        Box::pin(async move {
            loop {
                if let Some(cancel) = self.db.cancel_waiting(id).await? {
                    return Ok(cancel);
                }
                if let Some(cancel) = self.db.cancel_running(id).await? {
                    return Ok(cancel);
                }
                match self.db.state(id, Utc::now()).await? {
                    // It started, or went back to waiting, between the statements: again.
                    JobState::Pending | JobState::Scheduled(_) | JobState::Running { .. } => {}
                    ended => return Ok(Cancel::Finished(ended)),
                }
            }
        })
    }

    fn state(&self, id: JobId) -> StoreFuture<'_, JobState> {
        self.db.state(id, Utc::now())
    }

    fn waiting(&self) -> StoreFuture<'_, usize> {
        self.db.waiting()
    }

    fn queues(&self, now: DateTime<Utc>) -> StoreFuture<'_, Vec<QueueStats>> {
        self.db.queues(now)
    }

    fn durable(&self) -> bool {
        true
    }

    fn claim_tick(&self, job: &Arc<str>, scheduled_at: DateTime<Utc>) -> StoreFuture<'_, bool> {
        let key = (Arc::clone(job), micros(scheduled_at));
        Box::pin(self.ticks.call(key))
    }

    fn finish_tick(
        &self,
        job: &Arc<str>,
        scheduled_at: DateTime<Utc>,
        released: bool,
    ) -> StoreFuture<'_, ()> {
        let key = (Arc::clone(job), micros(scheduled_at));
        Box::pin(self.finished.call((key, released)))
    }

    fn serve(&self, jobs: Vec<Arc<str>>) {
        self.db.served().set(jobs);
    }

    fn seen(&self) -> StoreFuture<'_, HashMap<String, DateTime<Utc>>> {
        self.db.seen()
    }

    fn jobs(&self) -> StoreFuture<'_, Vec<StoredJob>> {
        self.db.stored_jobs(-1)
    }

    fn changes(&self, since: i64) -> StoreFuture<'_, Vec<StoredJob>> {
        self.db.stored_jobs(since)
    }

    fn define(&self, jobs: Vec<DefinedJob>) -> StoreFuture<'_, ()> {
        self.db.define(jobs)
    }

    fn control<'a>(&'a self, job: &'a str, change: ControlChange) -> StoreFuture<'a, ()> {
        self.db.control(job, change)
    }

    fn record<'a>(&'a self, runs: &'a [RunRecord]) -> StoreFuture<'a, ()> {
        self.db.record(runs)
    }

    fn runs<'a>(
        &'a self,
        job: &'a str,
        limit: usize,
        before: Option<DateTime<Utc>>,
    ) -> StoreFuture<'a, Vec<RunRecord>> {
        self.db.runs(job, limit, before)
    }

    fn prune(&self, before: DateTime<Utc>) -> StoreFuture<'_, u64> {
        self.db.prune(before)
    }

    fn heartbeat(&self, now: DateTime<Utc>) -> StoreFuture<'_, Heartbeat> {
        self.db.heartbeat(now)
    }

    fn transactional(&self) -> bool {
        self.db.transactional()
    }

    fn announcements(&self) -> Option<mpsc::UnboundedReceiver<Arc<str>>> {
        self.announcements
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn poll(&self) -> StoreFuture<'_, Vec<Waiting>> {
        self.db.poll()
    }
}
