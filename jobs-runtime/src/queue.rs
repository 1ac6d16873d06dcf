//! Queues of enqueued jobs: up to a queue's concurrency limit of workers, each running one job at
//! a time until none is due. One claim at a time per queue fetches jobs from the store for all of
//! its workers and writes how the last ones ended; with a database, it claims ahead, so that the
//! workers have jobs while the next claim is in flight.
//!
//! Workers are started when a job is enqueued or comes due and end when their queue is empty, so
//! an idle queue costs nothing and a busy one runs its jobs without a task spawned per job.

use crate::executor;
use crate::history::JobHistory;
use crate::job::JobSpec;
use crate::runtime::Shared;
use crate::scheduler::Event;
use crate::store::{Claimed, Completion, JobId};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::futures::Notified;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

/// The concurrency limit of a queue that the builder did not name.
pub(crate) const DEFAULT_LIMIT: usize = 10;

/// The most jobs per worker that a queue claims ahead from a database, however short its jobs
/// (`Pace`). Bulk throughput on PostgreSQL, 32 workers and 20 000 jobs that do nothing (2 cores,
/// the database on the same machine): 14 000 jobs/s with one job ahead per worker, 18 000 with
/// two, 21 000 with three, no more with four or six, which only make each claim longer.
const AHEAD_PER_WORKER: usize = 3;

/// A job as enqueue, the queue workers and the scheduler's commands find it: its definition,
/// its history, its queue, and its slot in the scheduler.
#[derive(Clone)]
pub(crate) struct Listed {
    pub(crate) spec: Arc<JobSpec>,
    pub(crate) history: Arc<JobHistory>,
    pub(crate) queue: Arc<Queue>,
    pub(crate) slot: usize,
}

/// Every queue of one runtime, created when first used.
pub(crate) struct Queues {
    limits: HashMap<String, usize>,
    default_limit: usize,
    /// Whether queues claim jobs ahead of their workers: worth a database's round trip.
    claim_ahead: bool,
    by_name: Mutex<HashMap<Arc<str>, Arc<Queue>>>,
    /// Workers alive over all queues: shutdown waits for them.
    workers: AtomicUsize,
}

pub(crate) struct Queue {
    name: Arc<str>,
    limit: usize,
    /// Workers alive, at most `limit`. Changed without a lock: see [`Queues::wake`].
    active: AtomicUsize,
    /// A job came while the queue had no room for another worker: a worker that finds the
    /// queue empty looks once more instead of ending.
    wanted: AtomicBool,
    /// The workers alive, to find the one running a job that is cancelled; and the jobs
    /// cancelled between their claim and their start, which no worker showed yet.
    workers: Mutex<Workers>,
    /// Whether `Workers::cancelled` holds any job: read without the lock before every start.
    cancels: AtomicUsize,
    /// The most jobs a claim takes ahead, beyond the queue's limit: none without a database.
    most_ahead: usize,
    /// The jobs claimed and not yet started, and the ends not yet written.
    feed: Mutex<Feed>,
    /// Rung when a claim ends, for the workers waiting for its jobs.
    fed: Notify,
}

#[derive(Default)]
struct Feed {
    /// Claimed, in the queue's order, for the next worker free.
    ready: VecDeque<Claimed>,
    /// How jobs ended, in the order they did, until the store has them.
    ended: Vec<(JobId, Completion)>,
    /// A worker is claiming: the others take what is ready or wait for it.
    claiming: bool,
    /// Jobs that workers run now.
    running: usize,
    /// The last claim found fewer jobs than it had room for: workers that find nothing ready
    /// retire instead of asking again, until a job comes (`Queue::wanted`).
    dry: bool,
    pace: Pace,
}

/// How long the queue's jobs run and its claims take, each averaged over the last few: a claim
/// takes ahead as many jobs as the workers end while the next claim is in flight.
///
/// So the workers do not wait for the database between jobs, and each statement carries many
/// jobs (a statement costs far more than a job's row in it); yet a process holds no more jobs
/// than it runs within one claim's time, so in a cluster a slow job never waits here while
/// another process idles, and a job that runs for seconds is never claimed ahead at all.
#[derive(Default)]
struct Pace {
    /// Seconds; `None` until one is seen.
    run: Option<f64>,
    claim: Option<f64>,
}

impl Pace {
    fn ran(&mut self, took: Duration) {
        Self::mix(&mut self.run, took);
    }

    fn claimed(&mut self, took: Duration) {
        Self::mix(&mut self.claim, took);
    }

    /// An average that weighs the last of its samples an eighth: a few slow jobs or statements
    /// move it, a single one does not.
    fn mix(average: &mut Option<f64>, sample: Duration) {
        let sample = sample.as_secs_f64();
        *average = Some(average.map_or(sample, |average| average + (sample - average) / 8.0));
    }

    /// How many jobs the queue's `limit` workers end during one claim, at most `most`.
    fn ahead(&self, limit: usize, most: usize) -> usize {
        let (Some(run), Some(claim)) = (self.run, self.claim) else {
            return 0;
        };
        if run <= 0.0 {
            return most;
        }
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "a positive count, capped at `most` before it is converted"
        )]
        let ahead = (limit as f64 * claim / run).round().min(most as f64) as usize;
        ahead
    }
}

#[derive(Default)]
struct Workers {
    alive: Vec<Arc<Worker>>,
    cancelled: Vec<JobId>,
}

struct Worker {
    /// The job it runs, 0 for none (job ids start at 1).
    running: AtomicU64,
    /// The id of a job to stop; the running job stops when this names it.
    cancel: watch::Sender<u64>,
}

impl Queues {
    pub(crate) fn new(
        limits: HashMap<String, usize>,
        default_limit: usize,
        claim_ahead: bool,
    ) -> Self {
        Self {
            limits,
            default_limit,
            claim_ahead,
            by_name: Mutex::default(),
            workers: AtomicUsize::new(0),
        }
    }

    /// How many jobs of the queue named `name` run at once in this process.
    pub(crate) fn limit(&self, name: &str) -> usize {
        self.limits.get(name).copied().unwrap_or(self.default_limit)
    }

    pub(crate) fn queue(&self, name: &Arc<str>) -> Arc<Queue> {
        let mut queues = lock(&self.by_name);
        let queue = queues.entry(Arc::clone(name)).or_insert_with(|| {
            let limit = self.limit(name);
            Arc::new(Queue {
                name: Arc::clone(name),
                limit,
                active: AtomicUsize::new(0),
                wanted: AtomicBool::new(false),
                workers: Mutex::default(),
                cancels: AtomicUsize::new(0),
                most_ahead: if self.claim_ahead {
                    limit * AHEAD_PER_WORKER
                } else {
                    0
                },
                feed: Mutex::default(),
                fed: Notify::new(),
            })
        });
        Arc::clone(queue)
    }

    /// A job of `queue` is due: starts a worker if the queue has room for one, or else makes
    /// sure that a busy worker looks again.
    ///
    /// Lock-free, since every enqueue calls it. `wanted` is raised before `active` is read, and
    /// a retiring worker lowers `active` before it takes `wanted` (all `SeqCst`): so either this
    /// call sees room and starts a worker, or the last worker to retire sees the signal and
    /// stays. A job is never left without a worker.
    pub(crate) fn wake(shared: &Arc<Shared>, queue: &Arc<Queue>) {
        if shared.stopping.load(Ordering::Acquire) {
            return;
        }
        if !queue.wanted.load(Ordering::SeqCst) {
            queue.wanted.store(true, Ordering::SeqCst);
        }
        Self::start_worker(shared, queue);
    }

    /// Starts one more worker for `queue`, if its limit allows.
    fn start_worker(shared: &Arc<Shared>, queue: &Arc<Queue>) -> bool {
        if !queue.take_room() {
            return false;
        }
        let worker = Arc::new(Worker {
            running: AtomicU64::new(0),
            cancel: watch::Sender::new(0),
        });
        lock(&queue.workers).alive.push(Arc::clone(&worker));
        shared.queues.workers.fetch_add(1, Ordering::AcqRel);
        shared
            .tokio
            .spawn(work(Arc::clone(shared), Arc::clone(queue), worker));
        true
    }

    /// Wakes the queue named `name`: its timer is due.
    pub(crate) fn wake_named(shared: &Arc<Shared>, name: &Arc<str>) {
        let queue = shared.queues.queue(name);
        Self::wake(shared, &queue);
    }

    /// Workers alive, over every queue.
    pub(crate) fn workers(&self) -> usize {
        self.workers.load(Ordering::Acquire)
    }

    /// Stops every running job: the shutdown timeout has passed.
    pub(crate) fn cancel_all(&self, shared: &Shared, reason: &str) {
        let queues: Vec<Arc<Queue>> = lock(&self.by_name).values().cloned().collect();
        for queue in queues {
            for worker in &lock(&queue.workers).alive {
                let id = worker.running.load(Ordering::Acquire);
                if id != 0 {
                    shared.set_job_cancel_reason(JobId(id), reason.to_owned());
                    worker.cancel.send_replace(id);
                }
            }
        }
    }
}

impl Queue {
    pub(crate) fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// Counts one more worker, if the limit allows.
    fn take_room(&self) -> bool {
        let mut active = self.active.load(Ordering::SeqCst);
        loop {
            if active >= self.limit {
                return false;
            }
            match self.active.compare_exchange_weak(
                active,
                active + 1,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return true,
                Err(now) => active = now,
            }
        }
    }

    /// Whether a worker that found the queue empty ends: not if a job came in meanwhile and it
    /// can take the room back.
    fn retire(&self) -> bool {
        self.active.fetch_sub(1, Ordering::SeqCst);
        !(self.wanted.swap(false, Ordering::SeqCst) && self.take_room())
    }

    /// Stops job `id`, which the store says runs in this queue; `reason` goes to its history
    /// record.
    ///
    /// The store marks a job running when it is claimed, before a worker takes it from the
    /// ready jobs and shows it in `running`. A job cancelled meanwhile is noted, and the worker
    /// that takes it finds the note before it starts it (`running` is written before `cancels`
    /// is read, and `cancels` before `running` is read here, all `SeqCst`: one of the two sees
    /// the other). A job that ended, its end not yet written, is in `Feed::ended` instead.
    pub(crate) fn cancel(&self, shared: &Shared, id: JobId, reason: String) {
        shared.set_job_cancel_reason(id, reason);
        let mut workers = lock(&self.workers);
        workers.cancelled.push(id);
        self.cancels.fetch_add(1, Ordering::SeqCst);
        let running = workers
            .alive
            .iter()
            .find(|worker| worker.running.load(Ordering::SeqCst) == id.get());
        if let Some(worker) = running {
            worker.cancel.send_replace(id.get());
        } else if lock(&self.feed).ended.iter().any(|&(ended, _)| ended == id) {
            // It ended and its end is not written yet: nothing to stop, and nothing will start.
            shared.take_job_cancel_reason(id);
        } else {
            return;
        }
        workers.cancelled.retain(|&cancelled| cancelled != id);
        self.cancels.fetch_sub(1, Ordering::SeqCst);
    }

    /// Whether job `id`, about to start, was cancelled since its claim.
    fn cancelled_before_start(&self, id: JobId) -> bool {
        if self.cancels.load(Ordering::SeqCst) == 0 {
            return false;
        }
        let mut workers = lock(&self.workers);
        let before = workers.cancelled.len();
        workers.cancelled.retain(|&cancelled| cancelled != id);
        let found = workers.cancelled.len() < before;
        if found {
            self.cancels.fetch_sub(1, Ordering::SeqCst);
        }
        found
    }
}

/// A worker: takes one claimed job at a time and runs it, until the queue has none or the
/// runtime shuts down. When no claim is in flight, the worker that finds work for one (ends to
/// write, or room for jobs) makes it, writing every end that piled up with the claim of the next
/// jobs; the others take the jobs it brings.
async fn work(shared: Arc<Shared>, queue: Arc<Queue>, worker: Arc<Worker>) {
    let mut cancel = worker.cancel.subscribe();
    // The last job's catalog entry: a queue of one job type looks it up once, not per job.
    let mut listed: Option<(u64, Listed)> = None;
    let mut claimer = Claimer::default();
    let mut ended = None;
    loop {
        let job = match queue.next(&shared, ended.take(), &worker) {
            Step::Run(job) => job,
            Step::Claim => {
                claimer.claim(&shared, &queue).await;
                continue;
            }
            Step::Wait(fed) => {
                fed.await;
                continue;
            }
            Step::Retire => {
                if queue.retire() {
                    break;
                }
                // A job came meanwhile: look for it.
                lock(&queue.feed).dry = false;
                continue;
            }
            Step::Leave => {
                queue.active.fetch_sub(1, Ordering::SeqCst);
                break;
            }
        };
        let version = shared.catalog_version();
        let current = listed
            .take()
            .filter(|(seen, entry)| *seen == version && Arc::ptr_eq(&entry.spec.name, &job.job))
            .map(|(_, entry)| entry);
        let Some(entry) = current.or_else(|| shared.catalog(&job.job)) else {
            // Removed since it was enqueued: nothing can run it.
            let error = format!("job `{}` is no longer in the runtime", job.job);
            tracing::error!(job_id = %job.id, %error, "enqueued job cannot run");
            let failed = Completion::Failed {
                error,
                retry_at: None,
            };
            ended = Some(End {
                id: job.id,
                completion: failed,
                ran: None,
            });
            continue;
        };
        let id = job.id;
        worker.running.store(id.get(), Ordering::SeqCst);
        let cancelled_already = queue.cancelled_before_start(id);
        let stop = async {
            if cancelled_already {
                return;
            }
            // An error means the worker itself is gone, which cannot happen while it runs.
            let _ = cancel.wait_for(|&cancelled| cancelled == id.get()).await;
        };
        // Timed only for a queue that claims ahead, which paces its claims by it: two clock
        // reads were ~180 instructions of an in-memory job's ~11 000 (callgrind).
        let began = (queue.most_ahead > 0).then(Instant::now);
        let completion =
            executor::run_enqueued(job, &entry.spec, &entry.history, &shared, stop).await;
        ended = Some(End {
            id,
            completion,
            ran: began.map(|began| began.elapsed()),
        });
        listed = Some((version, entry));
    }
    lock(&queue.workers)
        .alive
        .retain(|other| !Arc::ptr_eq(other, &worker));
    shared.queues.workers.fetch_sub(1, Ordering::AcqRel);
    // The scheduler waits for the last worker at shutdown.
    let _ = shared.events.send(Event::WorkerEnded);
}

/// How a worker's last job ended.
struct End {
    id: JobId,
    completion: Completion,
    /// How long it ran; `None` when it could not start, or its queue does not claim ahead.
    ran: Option<Duration>,
}

/// What a worker does next.
enum Step<'a> {
    Run(Claimed),
    /// Write the ends that piled up and claim jobs for the queue.
    Claim,
    /// Another worker's claim is in flight and nothing is ready: wait for it.
    Wait(Notified<'a>),
    /// The queue has nothing due: end, unless a job comes.
    Retire,
    /// Stopping, with every end written.
    Leave,
}

impl Queue {
    /// Hands the worker's last job's end to the queue and chooses its next step.
    fn next(&self, shared: &Shared, ended: Option<End>, worker: &Worker) -> Step<'_> {
        let mut feed = lock(&self.feed);
        if let Some(end) = ended {
            feed.ended.push((end.id, end.completion));
            if let Some(ran) = end.ran {
                feed.pace.ran(ran);
            }
            feed.running -= 1;
            // Cleared under the lock that holds the end: a cancel finds the job in one or the
            // other (see `Queue::cancel`).
            worker.running.store(0, Ordering::SeqCst);
        }
        if self.wanted.load(Ordering::SeqCst) && self.wanted.swap(false, Ordering::SeqCst) {
            // A job came since the last claim found none: the next claim looks for it.
            feed.dry = false;
        }
        if shared.stopping.load(Ordering::Acquire) {
            // Jobs claimed ahead go back to the database at once, for another process to run.
            let released = feed
                .ready
                .drain(..)
                .map(|job| (job.id, Completion::Released));
            let released: Vec<_> = released.collect();
            feed.ended.extend(released);
            return if feed.claiming {
                Step::Wait(self.fed.notified())
            } else if feed.ended.is_empty() {
                Step::Leave
            } else {
                feed.claiming = true;
                Step::Claim
            };
        }
        if !feed.claiming && (!feed.ended.is_empty() || (self.room(&feed) > 0 && !feed.dry)) {
            feed.claiming = true;
            return Step::Claim;
        }
        if let Some(job) = feed.ready.pop_front() {
            feed.running += 1;
            return Step::Run(job);
        }
        if feed.claiming {
            Step::Wait(self.fed.notified())
        } else {
            Step::Retire
        }
    }

    /// How many more jobs a claim may take: as many as the queue's limit lets start, and those
    /// its workers end while the next claim is in flight (`Pace`), less those running and ready.
    fn room(&self, feed: &Feed) -> usize {
        let ahead = feed.pace.ahead(self.limit, self.most_ahead);
        (self.limit + ahead).saturating_sub(feed.running + feed.ready.len())
    }
}

/// The worker making a claim: backs off while the store fails.
struct Claimer {
    backoff: Duration,
    failures: u32,
    /// The instant last announced to the scheduler's timer, so that a busy queue does not send
    /// the same instant after every claim.
    announced: Option<DateTime<Utc>>,
}

impl Default for Claimer {
    fn default() -> Self {
        Self {
            backoff: Duration::from_millis(100),
            failures: 0,
            announced: None,
        }
    }
}

impl Claimer {
    /// Writes the ends that piled up and claims what the queue has room for; tries until the
    /// store answers (at shutdown, a few times), then lets the other workers go on.
    async fn claim(&mut self, shared: &Arc<Shared>, queue: &Arc<Queue>) {
        loop {
            let (mut ends, limit) = {
                let feed = lock(&queue.feed);
                // Copied, not taken: until they are written, a cancel finds them here.
                let ends = feed.ended.clone();
                let stopping = shared.stopping.load(Ordering::Acquire);
                (ends, if stopping { 0 } else { queue.room(&feed) })
            };
            let written = ends.len();
            let began = Instant::now();
            let claim = shared
                .stored(
                    "claiming jobs",
                    shared
                        .store
                        .claim(&queue.name, limit, shared.clock.now(), &mut ends),
                )
                .await;
            let mut feed = lock(&queue.feed);
            match claim {
                Ok(claim) => {
                    feed.pace.claimed(began.elapsed());
                    self.backoff = Duration::from_millis(100);
                    self.failures = 0;
                    feed.ended.drain(..written);
                    feed.dry = claim.jobs.len() < limit;
                    feed.ready.extend(claim.jobs);
                    feed.claiming = false;
                    // Workers for the jobs that the idle ones (this one too) do not take, up to
                    // the limit.
                    let idle = queue
                        .active
                        .load(Ordering::SeqCst)
                        .saturating_sub(feed.running);
                    let wanted = feed.ready.len().min(queue.limit).saturating_sub(idle);
                    drop(feed);
                    queue.fed.notify_waiters();
                    for _ in 0..wanted {
                        if !Queues::start_worker(shared, queue) {
                            break;
                        }
                    }
                    if claim.next_at.is_some() && claim.next_at != self.announced {
                        self.announced = claim.next_at;
                        if let Some(at) = claim.next_at {
                            shared.wake_queue_at(&queue.name, at);
                        }
                    }
                    return;
                }
                Err(error) => {
                    // The ends stay in the queue until the database takes them; at shutdown, a
                    // few tries, then their leases expire and other processes run them again.
                    self.failures += 1;
                    if shared.stopping.load(Ordering::Acquire) && self.failures >= 5 {
                        tracing::error!(queue = %queue.name, jobs = feed.ended.len(), ?error, "could not write the ends of jobs before stopping");
                        feed.ended.clear();
                        feed.claiming = false;
                        drop(feed);
                        queue.fed.notify_waiters();
                        return;
                    }
                }
            }
            drop(feed);
            tokio::time::sleep(self.backoff).await;
            self.backoff = (self.backoff * 2).min(Duration::from_secs(5));
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks; the state stays consistent either way.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::Pace;
    use std::time::Duration;

    fn pace(run: Duration, claim: Duration) -> Pace {
        let mut pace = Pace::default();
        pace.ran(run);
        pace.claimed(claim);
        pace
    }

    #[test]
    fn claims_ahead_what_the_workers_end_during_a_claim_and_no_more() {
        let ms = Duration::from_millis;
        assert_eq!(Pace::default().ahead(10, 30), 0, "nothing measured yet");
        // Jobs of 1 s, claims of 2 ms: no job ahead, so none waits here while others idle.
        assert_eq!(pace(ms(1000), ms(2)).ahead(10, 30), 0);
        // Jobs of 4 ms: 10 workers end 5 jobs during a claim of 2 ms.
        assert_eq!(pace(ms(4), ms(2)).ahead(10, 30), 5);
        // Jobs of 50 µs: capped.
        assert_eq!(pace(Duration::from_micros(50), ms(2)).ahead(10, 30), 30);
        assert_eq!(pace(Duration::ZERO, ms(2)).ahead(10, 30), 30);
    }

    #[test]
    fn one_slow_sample_moves_the_average_an_eighth() {
        let mut pace = pace(Duration::from_millis(8), Duration::from_millis(8));
        pace.ran(Duration::from_millis(16));
        assert_eq!(pace.ahead(8, 100), 7, "8 workers × 8 ms ÷ 9 ms");
    }
}
