//! The job body every subject runs, and what it records: which jobs ran (to count those that ran
//! twice), how many are left (to time the last completion), and, in a latency run, how long each
//! waited from its enqueue to its start.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// One flag per job of the process's run, by sequence number: set by the job's first run.
static SEEN: OnceLock<Vec<AtomicBool>> = OnceLock::new();
/// Runs of a job that had run already.
static DUPLICATES: AtomicU64 = AtomicU64::new(0);
/// Jobs of the current round that have not run yet; the body that runs the last one wakes
/// [`FINISHED`].
static REMAINING: AtomicI64 = AtomicI64::new(0);
static FINISHED: Notify = Notify::const_new();
/// Jobs from this sequence number on record their wait; the ones before are warm-up.
static RECORD_FROM: AtomicU64 = AtomicU64::new(u64::MAX);
/// Enqueue-to-start waits in nanoseconds, of the recorded jobs.
static WAITS: Mutex<Vec<i64>> = Mutex::new(Vec::new());

/// Wall-clock nanoseconds since the Unix epoch: the unit of the enqueue instant a latency run
/// passes in each payload, and of cron ticks.
pub(crate) fn now_ns() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_nanos()).unwrap_or(i64::MAX)
}

/// Room for `jobs` sequence numbers (`0..jobs`), of which those from `record_from` on record
/// their wait. Once per process.
pub(crate) fn init(jobs: u64, record_from: u64) {
    let _ = SEEN.set((0..jobs).map(|_| AtomicBool::new(false)).collect());
    RECORD_FROM.store(record_from, Ordering::Relaxed);
    if record_from < jobs {
        let capacity = usize::try_from(jobs - record_from).unwrap_or(0);
        lock(&WAITS).reserve(capacity);
    }
}

/// Starts a round of `jobs` jobs: [`finished`] returns once that many first runs happened.
pub(crate) fn start_round(jobs: u64) {
    REMAINING.store(i64::try_from(jobs).unwrap_or(i64::MAX), Ordering::Relaxed);
}

/// The body of every subject's job: `seq` numbers the job within the process's run,
/// `enqueued_ns` is when its enqueue was called (0 in a throughput run, which does not record it).
pub(crate) fn complete(seq: u64, enqueued_ns: i64) {
    let started_ns = now_ns();
    let first = SEEN
        .get()
        .and_then(|seen| usize::try_from(seq).ok().and_then(|i| seen.get(i)))
        .is_none_or(|flag| !flag.swap(true, Ordering::Relaxed));
    if !first {
        DUPLICATES.fetch_add(1, Ordering::Relaxed);
        return;
    }
    if seq >= RECORD_FROM.load(Ordering::Relaxed) {
        lock(&WAITS).push(started_ns - enqueued_ns);
    }
    if REMAINING.fetch_sub(1, Ordering::Relaxed) == 1 {
        FINISHED.notify_one();
    }
}

/// Returns once every job of the round (of at least one job) ran. The body that runs the last job
/// notifies once per round; a notification with no waiter yet is kept for the next wait.
pub(crate) async fn finished() {
    FINISHED.notified().await;
}

/// Jobs of the round that have not run yet.
pub(crate) fn remaining() -> i64 {
    REMAINING.load(Ordering::Relaxed)
}

pub(crate) fn duplicates() -> u64 {
    DUPLICATES.load(Ordering::Relaxed)
}

/// The recorded waits, sorted.
pub(crate) fn waits() -> Vec<i64> {
    let mut waits = std::mem::take(&mut *lock(&WAITS));
    waits.sort_unstable();
    waits
}

/// The value at `permille` of `sorted` (nearest rank), 0 when it is empty.
pub(crate) fn percentile(sorted: &[i64], permille: usize) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (sorted.len() * permille).div_ceil(1000).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
