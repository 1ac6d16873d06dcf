//! Queues of enqueued jobs: up to a queue's concurrency limit of workers, each taking one job at
//! a time from the store until none is due.
//!
//! Workers are started when a job is enqueued or comes due and end when their queue is empty, so
//! an idle queue costs nothing and a busy one runs its jobs without a task spawned per job.

use crate::executor;
use crate::history::JobHistory;
use crate::job::JobSpec;
use crate::runtime::Shared;
use crate::scheduler::Event;
use crate::store::{Completion, JobId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::watch;

/// The concurrency limit of a queue that the builder did not name.
pub(crate) const DEFAULT_LIMIT: usize = 10;

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
    pub(crate) fn new(limits: HashMap<String, usize>, default_limit: usize) -> Self {
        Self {
            limits,
            default_limit,
            by_name: Mutex::default(),
            workers: AtomicUsize::new(0),
        }
    }

    /// How many jobs of the queue named `name` run at once in this process.
    #[cfg_attr(
        not(feature = "dashboard"),
        allow(dead_code, reason = "only the dashboard asks")
    )]
    pub(crate) fn limit(&self, name: &str) -> usize {
        self.limits.get(name).copied().unwrap_or(self.default_limit)
    }

    pub(crate) fn queue(&self, name: &Arc<str>) -> Arc<Queue> {
        let mut queues = lock(&self.by_name);
        let queue = queues.entry(Arc::clone(name)).or_insert_with(|| {
            Arc::new(Queue {
                name: Arc::clone(name),
                limit: self
                    .limits
                    .get(&**name)
                    .copied()
                    .unwrap_or(self.default_limit),
                active: AtomicUsize::new(0),
                wanted: AtomicBool::new(false),
                workers: Mutex::default(),
                cancels: AtomicUsize::new(0),
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
        if !queue.take_room() {
            return;
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
    /// The store marks a job running when a worker claims it, a moment before the worker shows
    /// it in `running`. A job cancelled in that moment is noted, and the worker that claimed it
    /// finds the note before it starts it (`running` is written before `cancels` is read, and
    /// `cancels` before `running` is read here, all `SeqCst`: one of the two sees the other).
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
            workers.cancelled.retain(|&cancelled| cancelled != id);
            self.cancels.fetch_sub(1, Ordering::SeqCst);
        }
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

/// A worker: claims one due job at a time and runs it, until the queue has none or the runtime
/// shuts down. The end of each job is written to the store with the claim of the next.
async fn work(shared: Arc<Shared>, queue: Arc<Queue>, worker: Arc<Worker>) {
    let mut cancel = worker.cancel.subscribe();
    let mut completed: Vec<(JobId, Completion)> = Vec::with_capacity(1);
    // The last job's catalog entry: a queue of one job type looks it up once, not per job.
    let mut listed: Option<(u64, Listed)> = None;
    // The instant last announced to the scheduler's timer, so that a busy queue does not send
    // the same instant after every job.
    let mut announced = None;
    let mut backoff = Duration::from_millis(100);
    let mut failures = 0;
    loop {
        let stopping = shared.stopping.load(Ordering::Acquire);
        // Stopping: only write the last job's end.
        let limit = usize::from(!stopping);
        let claim = shared
            .stored(
                "claiming jobs",
                shared
                    .store
                    .claim(&queue.name, limit, shared.clock.now(), &mut completed),
            )
            .await;
        worker.running.store(0, Ordering::SeqCst);
        let claim = match claim {
            Ok(claim) => {
                backoff = Duration::from_millis(100);
                claim
            }
            Err(error) => {
                // The ends of the jobs run so far stay in `completed` until the database takes
                // them; at shutdown, a few tries, then their leases expire and other processes
                // run them again.
                failures += 1;
                if stopping && failures >= 5 {
                    tracing::error!(queue = %queue.name, jobs = completed.len(), ?error, "could not write the ends of jobs before stopping");
                    queue.active.fetch_sub(1, Ordering::SeqCst);
                    break;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        failures = 0;
        if stopping {
            queue.active.fetch_sub(1, Ordering::SeqCst);
            break;
        }
        if claim.next_at.is_some() && claim.next_at != announced {
            announced = claim.next_at;
            if let Some(at) = claim.next_at {
                shared.wake_queue_at(&queue.name, at);
            }
        }
        let Some(job) = claim.jobs.into_iter().next() else {
            if queue.retire() {
                break;
            }
            continue;
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
            completed.push((
                job.id,
                Completion::Failed {
                    error,
                    retry_at: None,
                },
            ));
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
        let completion =
            executor::run_enqueued(job, &entry.spec, &entry.history, &shared, stop).await;
        completed.push((id, completion));
        listed = Some((version, entry));
        // `running` keeps the id until the claim above has written the job's end: a cancel
        // that comes meanwhile finds the job here, not in the notes for jobs yet to start.
    }
    lock(&queue.workers)
        .alive
        .retain(|other| !Arc::ptr_eq(other, &worker));
    shared.queues.workers.fetch_sub(1, Ordering::AcqRel);
    // The scheduler waits for the last worker at shutdown.
    let _ = shared.events.send(Event::WorkerEnded);
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks; the state stays consistent either way.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
