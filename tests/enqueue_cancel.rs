//! `Handle::cancel(id)`: a job that waits (for a worker, its instant or a retry) never runs; a
//! running one is stopped, its future dropped; either way its state is `Cancelled` and its
//! history record says it was cancelled through `Handle::cancel`. A job that has ended cannot be
//! cancelled, an unknown id is an error, and cancelling twice is harmless.

mod support;

use jobs_runtime::{job, Error, Handle, JobContext, JobId, JobState, Outcome, RunRecord, State};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{at, ended, Gate};

/// Which tasks started, finished, and had their future dropped (finished or not).
#[derive(Default)]
struct Log {
    started: Mutex<Vec<u32>>,
    finished: Mutex<Vec<u32>>,
    dropped: Mutex<Vec<u32>>,
}

impl Log {
    fn started(&self) -> Vec<u32> {
        self.started.lock().unwrap().clone()
    }

    fn finished(&self) -> Vec<u32> {
        self.finished.lock().unwrap().clone()
    }

    fn dropped(&self) -> Vec<u32> {
        self.dropped.lock().unwrap().clone()
    }
}

/// Notes when a task's future is dropped.
struct DropGuard(u32, Arc<Log>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.1.dropped.lock().unwrap().push(self.0);
    }
}

#[job(queue = "work")]
async fn task(n: u32, gate: State<Arc<Gate>>, log: State<Arc<Log>>) {
    let _guard = DropGuard(n, Arc::clone(&log));
    log.started.lock().unwrap().push(n);
    gate.pass().await;
    log.finished.lock().unwrap().push(n);
}

/// Fails every attempt; retries come up to a minute later.
#[job(queue = "work", retries = 3, backoff = "1m")]
async fn flaky(ctx: JobContext, log: State<Arc<Log>>) -> Result<(), String> {
    log.started.lock().unwrap().push(ctx.attempt());
    Err(format!("attempt {} failed", ctx.attempt()))
}

async fn start(gate: &Arc<Gate>, log: &Arc<Log>) -> Handle {
    support::simulated_with_jobs()
        .only(["task", "flaky"])
        .queue("work", 1)
        .state(Arc::clone(gate))
        .state(Arc::clone(log))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

async fn enqueue(handle: &Handle, n: u32) -> JobId {
    task::options().handle(handle).enqueue(n).await.unwrap()
}

fn record_of(handle: &Handle, id: JobId) -> RunRecord {
    let history = handle.history("task");
    let records: Vec<&RunRecord> = history
        .iter()
        .filter(|record| record.job_id == Some(id))
        .collect();
    assert_eq!(records.len(), 1, "one record of job {id}: {history:?}");
    records[0].clone()
}

#[tokio::test(start_paused = true)]
async fn a_job_cancelled_while_it_waits_for_a_worker_never_runs() {
    let (gate, log) = (Gate::new(), Arc::new(Log::default()));
    let handle = start(&gate, &log).await;
    let held = enqueue(&handle, 0).await;
    gate.arrivals(1).await;
    let waiting = enqueue(&handle, 1).await;
    assert_eq!(handle.job_state(waiting).await.unwrap(), JobState::Pending);

    handle.cancel(waiting).await.unwrap();
    assert_eq!(
        handle.job_state(waiting).await.unwrap(),
        JobState::Cancelled
    );
    gate.open();
    assert_eq!(ended(&handle, held).await, JobState::Succeeded);
    // A job enqueued after it runs, so the worker has gone past where it stood.
    let after = enqueue(&handle, 2).await;
    assert_eq!(ended(&handle, after).await, JobState::Succeeded);
    handle.shutdown().await;

    assert_eq!(log.started(), [0, 2], "the cancelled job never started");
    assert_eq!(
        handle.job_state(waiting).await.unwrap(),
        JobState::Cancelled
    );
    let record = record_of(&handle, waiting);
    assert_eq!(record.outcome, Outcome::Cancelled);
    assert_eq!(record.attempts, 0);
    assert_eq!(record.started_at, None);
    assert_eq!(
        record.error.as_deref(),
        Some("cancelled through `Handle::cancel` before it ran")
    );
}

#[tokio::test(start_paused = true)]
async fn a_job_cancelled_while_it_waits_for_its_instant_never_runs() {
    let (gate, log) = (Gate::new(), Arc::new(Log::default()));
    gate.open();
    let handle = start(&gate, &log).await;
    let delayed = task::options()
        .handle(&handle)
        .delay(Duration::from_secs(60))
        .enqueue(1)
        .await
        .unwrap();
    assert_eq!(
        handle.job_state(delayed).await.unwrap(),
        JobState::Scheduled(at(60))
    );
    tokio::time::sleep(Duration::from_secs(30)).await;
    handle.cancel(delayed).await.unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;
    handle.shutdown().await;

    assert!(log.started().is_empty(), "it never ran");
    assert_eq!(
        handle.job_state(delayed).await.unwrap(),
        JobState::Cancelled
    );
    let record = record_of(&handle, delayed);
    assert_eq!(record.outcome, Outcome::Cancelled);
    assert_eq!(record.scheduled_at, at(60));
    assert_eq!(record.finished_at, Some(at(30)), "when it was cancelled");
    assert_eq!(
        record.error.as_deref(),
        Some("cancelled through `Handle::cancel` before it ran")
    );
}

#[tokio::test(start_paused = true)]
async fn a_running_job_is_stopped_and_its_future_dropped() {
    let (gate, log) = (Gate::new(), Arc::new(Log::default()));
    let handle = start(&gate, &log).await;
    let running = enqueue(&handle, 5).await;
    gate.arrivals(1).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        handle.job_state(running).await.unwrap(),
        JobState::Running { attempt: 1 }
    );

    handle.cancel(running).await.unwrap();
    assert_eq!(ended(&handle, running).await, JobState::Cancelled);
    assert_eq!(log.dropped(), [5], "its future was dropped");
    // Opening the gate now reaches no one: the job is gone, not merely marked.
    gate.open();
    // Its worker is free for the next job.
    let next = enqueue(&handle, 6).await;
    assert_eq!(ended(&handle, next).await, JobState::Succeeded);
    handle.shutdown().await;

    assert_eq!(log.started(), [5, 6]);
    assert_eq!(
        log.finished(),
        [6],
        "the cancelled job never got past the gate"
    );
    let record = record_of(&handle, running);
    assert_eq!(record.outcome, Outcome::Cancelled);
    assert_eq!(record.attempts, 1);
    assert_eq!(record.started_at, Some(at(0)));
    assert_eq!(record.finished_at, Some(at(5)), "stopped when cancelled");
    assert_eq!(
        record.error.as_deref(),
        Some("cancelled through `Handle::cancel` while it ran")
    );
}

#[tokio::test(start_paused = true)]
async fn a_job_cancelled_while_it_waits_for_a_retry_is_not_retried() {
    let (gate, log) = (Gate::new(), Arc::new(Log::default()));
    let handle = start(&gate, &log).await;
    let id = flaky::options().handle(&handle).enqueue().await.unwrap();
    support::waiting_for_retry(&handle, id).await;
    handle.cancel(id).await.unwrap();
    tokio::time::sleep(Duration::from_secs(600)).await;
    handle.shutdown().await;

    assert_eq!(log.started(), [1], "no attempt after the cancel");
    assert_eq!(handle.job_state(id).await.unwrap(), JobState::Cancelled);
    let history = handle.history("flaky");
    assert_eq!(history.len(), 1, "{history:?}");
    let record = &history[0];
    assert_eq!(record.outcome, Outcome::Cancelled);
    let error = concat!(
        "cancelled through `Handle::cancel` while it waited for retry 1; ",
        "last error: attempt 1 failed"
    );
    assert_eq!(record.error.as_deref(), Some(error));
    // The record keeps what happened before the cancel: one attempt, started at 0.
    assert_eq!(record.started_at, Some(at(0)), "{record:?}");
    assert_eq!(record.attempts, 1, "{record:?}");
}

#[tokio::test(start_paused = true)]
async fn a_job_that_has_ended_cannot_be_cancelled() {
    let (gate, log) = (Gate::new(), Arc::new(Log::default()));
    gate.open();
    let handle = start(&gate, &log).await;
    let done = enqueue(&handle, 1).await;
    assert_eq!(ended(&handle, done).await, JobState::Succeeded);

    let error = handle.cancel(done).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::AlreadyFinished { id, state: JobState::Succeeded } if *id == done
        ),
        "{error:?}"
    );
    assert_eq!(
        handle.job_state(done).await.unwrap(),
        JobState::Succeeded,
        "the refused cancel changed nothing"
    );
    handle.shutdown().await;
    assert_eq!(record_of(&handle, done).outcome, Outcome::Succeeded);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_id_cannot_be_cancelled() {
    let (gate, log) = (Gate::new(), Arc::new(Log::default()));
    let handle = start(&gate, &log).await;
    let unknown = JobId::from(4_000_000_000);
    let error = handle.cancel(unknown).await.unwrap_err();
    assert!(
        matches!(error, Error::UnknownJobId(id) if id == unknown),
        "{error:?}"
    );
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn cancelling_twice_is_harmless() {
    let (gate, log) = (Gate::new(), Arc::new(Log::default()));
    let handle = start(&gate, &log).await;
    let running = enqueue(&handle, 1).await;
    gate.arrivals(1).await;
    let waiting = enqueue(&handle, 2).await;

    handle.cancel(waiting).await.unwrap();
    handle.cancel(waiting).await.unwrap();
    handle.cancel(running).await.unwrap();
    handle.cancel(running).await.unwrap();
    assert_eq!(ended(&handle, running).await, JobState::Cancelled);
    handle.cancel(running).await.unwrap();
    handle.shutdown().await;

    assert_eq!(
        handle.job_state(waiting).await.unwrap(),
        JobState::Cancelled
    );
    assert_eq!(log.started(), [1]);
    // One record each: the second cancel added none.
    assert_eq!(record_of(&handle, waiting).outcome, Outcome::Cancelled);
    assert_eq!(record_of(&handle, running).outcome, Outcome::Cancelled);
    assert_eq!(handle.history("task").len(), 2);
}
