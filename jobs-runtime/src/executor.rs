//! One run of a job: its attempts, retries, timeouts and panics, and its history record; for an
//! enqueued job, one attempt at a time, taken from the store and given back to it.

use crate::context::{JobContext, Origin, RunId};
use crate::failure::{is_permanent, Failure};
use crate::history::SkipReason;
use crate::history::{JobHistory, Outcome, RunRecord};
use crate::job::JobSpec;
use crate::private::JobFuture;
use crate::runtime::Shared;
use crate::scheduler::Event;
use crate::store::{self, Completion, JobId};
use chrono::{DateTime, Utc};
use jobs_schedule::format_duration;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tracing::Instrument;

/// Everything one run needs; the scheduler builds it and spawns [`drive`].
pub(crate) struct Run {
    pub(crate) spec: Arc<JobSpec>,
    pub(crate) history: Arc<JobHistory>,
    pub(crate) slot: usize,
    pub(crate) id: RunId,
    pub(crate) scheduled_at: DateTime<Utc>,
    /// `scheduled_at` plus jitter: what lateness is measured from.
    pub(crate) intended_at: DateTime<Utc>,
    pub(crate) tick: Tick,
    /// A tick missed while no process ran, run by the job's `catch_up` policy.
    pub(crate) catch_up: bool,
    pub(crate) shared: Arc<Shared>,
}

/// Whether a run is a tick that a durable store must let this process run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tick {
    /// A scheduled tick: claimed in the store first, and run only if this process wins it.
    Claim,
    /// A tick this process already holds: taken over from a process that stopped.
    Held,
    /// A run of this process's own (a trigger): nothing to claim.
    Local,
}

/// Where a run stands with its tick's claim, for the record that ends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Claimed {
    /// Nothing to claim, or not yet asked.
    No,
    /// Asked, and perhaps won: the answer had not come when the run was stopped.
    Asking,
    /// Won, or held already: the store must hear how the run ended.
    Yes,
    /// Another process won it: this run never happened here.
    Lost,
}

/// The task of one run. Only the [`Run`] is moved into the spawned task; the much larger state
/// of [`drive`] is allocated when the task first runs, on whichever worker runs it, so that the
/// scheduler's loop over a burst of due jobs stays short.
pub(crate) async fn spawned(run: Run) {
    Box::pin(drive(run)).await;
}

async fn drive(run: Run) {
    let span = tracing::info_span!(
        "job",
        job = %run.spec.name,
        run_id = %run.id,
        attempt = tracing::field::Empty,
        scheduled_at = %run.scheduled_at,
    );
    let started_at = run.shared.clock.now();
    let mut record = Recorder {
        record: RunRecord {
            job: Arc::clone(&run.spec.name),
            run_id: Some(run.id),
            scheduled_at: run.scheduled_at,
            started_at: Some(started_at),
            finished_at: None,
            attempts: 0,
            outcome: Outcome::Cancelled,
            error: None,
            lateness: (started_at - run.intended_at).to_std().ok(),
            permanent: false,
            job_id: None,
            payload: None,
        },
        claimed: Claimed::No,
        run,
    };
    async {
        if claim_tick(&mut record).await {
            attempts(&mut record).await;
        }
    }
    .instrument(span)
    .await;
}

/// Claims the run's tick in a durable store, so that it runs in one process of the cluster.
/// Returns whether it runs here. While the database is unreachable the claim is retried, so a
/// tick runs late rather than twice or never; a shutdown meanwhile records it as skipped.
async fn claim_tick(recorder: &mut Recorder) -> bool {
    let run = &recorder.run;
    if !run.shared.store.durable() || run.tick == Tick::Local {
        return true;
    }
    if run.tick == Tick::Held {
        recorder.claimed = Claimed::Yes;
        return true;
    }
    let mut shutdown = run.shared.shutdown.subscribe();
    let mut backoff = Duration::from_millis(100);
    loop {
        recorder.claimed = Claimed::Asking;
        let run = &recorder.run;
        let claim = run.shared.stored(
            "claiming a tick",
            run.shared
                .store
                .claim_tick(&run.spec.name, run.scheduled_at),
        );
        let Ok(won) = claim.await else {
            recorder.claimed = Claimed::No;
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                _ = shutdown.wait_for(|&stopping| stopping) => {
                    recorder.claimed = Claimed::Lost;
                    run.history.skipped(run.scheduled_at, SkipReason::Shutdown);
                    return false;
                }
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
            continue;
        };
        recorder.claimed = if won { Claimed::Yes } else { Claimed::Lost };
        if won {
            // The scheduler is gone only once the runtime has stopped.
            let _ = run.shared.events.send(Event::TickClaimed {
                slot: run.slot,
                run_id: run.id,
            });
            // Lateness counts the claim: it is when the job starts that matters.
            let started_at = run.shared.clock.now();
            recorder.record.started_at = Some(started_at);
            recorder.record.lateness = (started_at - run.intended_at).to_std().ok();
        } else {
            tracing::debug!("tick claimed by another process");
        }
        return won;
    }
}

async fn attempts(recorder: &mut Recorder) {
    let run = &recorder.run;
    let options = &run.spec.options;
    let mut shutdown = run.shared.shutdown.subscribe();
    for attempt in 1..=options.retries.saturating_add(1) {
        recorder.record.attempts = attempt;
        // The run's span is current here: one span per run, not one more per attempt, which
        // cost ~340 instructions a run even with no subscriber (callgrind).
        tracing::Span::current().record("attempt", attempt);
        let context = JobContext::new(
            Arc::clone(&run.spec.name),
            run.id,
            attempt,
            run.scheduled_at,
            shutdown.clone(),
            Arc::clone(&run.shared.states),
            Origin::Tick {
                catch_up: run.catch_up,
            },
        );
        let failed = match one_attempt(&run.spec, context).await {
            Ok(()) => {
                tracing::info!(attempt, "job succeeded");
                recorder.record.outcome = Outcome::Succeeded;
                recorder.record.error = None;
                return;
            }
            Err(failed) => failed,
        };
        if failed.permanent || attempt > options.retries {
            tracing::error!(attempt, error = %failed.error, permanent = failed.permanent, "job failed");
            recorder.record.outcome = Outcome::Failed;
            recorder.record.permanent = failed.permanent;
            recorder.record.error = Some(failed.error);
            break;
        }
        let delay = options.retry_delay(attempt);
        tracing::warn!(attempt, error = %failed.error, retry_in = %format_duration(delay), "attempt failed");
        recorder.record.error = Some(failed.error);
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = shutdown.wait_for(|&stopping| stopping) => {
                let last = recorder.record.error.take().unwrap_or_default();
                recorder.record.error =
                    Some(format!("shutdown before retry {attempt}; last error: {last}"));
                return;
            }
        }
    }
    let run = &recorder.run;
    if run.spec.on_failure.is_some() {
        let failure = Failure {
            job: Arc::clone(&run.spec.name),
            run_id: run.id,
            attempts: recorder.record.attempts,
            scheduled_at: run.scheduled_at,
            error: recorder.record.error.clone().unwrap_or_default(),
        };
        on_failure(&run.spec, failure).await;
    }
}

/// Why an attempt failed.
pub(crate) struct Failed {
    pub(crate) error: String,
    /// A [`Permanent`](crate::Permanent) error: no retry.
    pub(crate) permanent: bool,
}

/// One attempt: the job's future within its timeout, a panic caught as a failure. It runs in
/// the run's `job` span, which holds the attempt's number.
async fn one_attempt(spec: &JobSpec, context: JobContext) -> Result<(), Failed> {
    let attempt_future = catch_panic(|| (spec.run)(context));
    match spec.options.timeout {
        Some(limit) => tokio::time::timeout(limit, attempt_future)
            .await
            .unwrap_or_else(|_| {
                Err(Failed {
                    error: format!("timed out after {}", format_duration(limit)),
                    permanent: false,
                })
            }),
        None => attempt_future.await,
    }
}

/// Calls the job's `on_failure` handler, if it has one, after the final failed attempt.
async fn on_failure(spec: &JobSpec, failure: Failure) {
    if let Some(handler) = &spec.on_failure {
        if let Err(failed) = catch_panic(|| handler(failure)).await {
            tracing::error!(error = %failed.error, "on_failure handler failed");
        }
    }
}

/// One attempt of an enqueued job, taken from the store by a queue worker: runs it, writes the
/// history record when the job has ended for good, and returns how it ended for the worker to
/// give back to the store (a failure that has retries left goes back with its retry instant).
///
/// `cancel` resolves when [`Handle::cancel`](crate::Handle::cancel) or the shutdown timeout
/// stops this job; the attempt is dropped then.
pub(crate) async fn run_enqueued(
    claimed: store::Claimed,
    spec: &Arc<JobSpec>,
    history: &JobHistory,
    shared: &Shared,
    cancel: impl Future<Output = ()>,
) -> Completion {
    let run_id = RunId(claimed.id.get());
    let span = tracing::info_span!(
        "job",
        job = %spec.name,
        run_id = %run_id,
        job_id = %claimed.id,
        attempt = claimed.attempt,
        scheduled_at = %claimed.due_at,
    );
    async move {
        let context = JobContext::new(
            Arc::clone(&spec.name),
            run_id,
            claimed.attempt,
            claimed.due_at,
            shared.shutdown.subscribe(),
            Arc::clone(&shared.states),
            Origin::Enqueued(claimed.id, Arc::clone(&claimed.payload)),
        );
        let result = if let Some(failed) = lost_attempts(&claimed, spec) {
            Some(Err(failed))
        } else {
            tokio::select! {
                result = one_attempt(spec, context) => Some(result),
                () = cancel => None,
            }
        };
        let now = shared.clock.now();
        let mut record = RunRecord {
            job: Arc::clone(&spec.name),
            run_id: Some(run_id),
            scheduled_at: claimed.due_at,
            started_at: Some(claimed.started_at),
            finished_at: Some(now),
            attempts: claimed.attempt,
            outcome: Outcome::Succeeded,
            error: None,
            lateness: (claimed.started_at - claimed.due_at).to_std().ok(),
            permanent: false,
            job_id: Some(claimed.id),
            payload: Some(Arc::clone(&claimed.payload)),
        };
        let completion = match result {
            Some(Ok(())) => {
                tracing::info!(attempt = claimed.attempt, "job succeeded");
                Completion::Succeeded
            }
            Some(Err(failed)) if !failed.permanent && claimed.attempt <= spec.options.retries => {
                let delay = spec.options.retry_delay(claimed.attempt);
                tracing::warn!(attempt = claimed.attempt, error = %failed.error, retry_in = %format_duration(delay), "attempt failed");
                let retry_at = now + delay;
                shared.wake_queue_at(&spec.options.queue, retry_at);
                return Completion::Failed {
                    error: failed.error,
                    retry_at: Some(retry_at),
                };
            }
            Some(Err(failed)) => {
                tracing::error!(attempt = claimed.attempt, error = %failed.error, permanent = failed.permanent, "job failed");
                record.outcome = Outcome::Failed;
                record.permanent = failed.permanent;
                record.error = Some(failed.error.clone());
                Completion::Failed {
                    error: failed.error,
                    retry_at: None,
                }
            }
            None => stopped(shared, claimed.id, &mut record),
        };
        let failed = record.outcome == Outcome::Failed && spec.on_failure.is_some();
    let failure = failed.then(|| Failure {
            job: Arc::clone(&spec.name),
            run_id,
            attempts: claimed.attempt,
            scheduled_at: claimed.due_at,
            error: record.error.clone().unwrap_or_default(),
        });
        history.push(record);
        if let Some(failure) = failure {
            on_failure(spec, failure).await;
        }
        completion
    }
    .instrument(span)
    .await
}

/// How an enqueued job that was stopped while it ran ends: cancelled, or, when a shutdown
/// stopped it and a durable store keeps it, released for another process to run again.
fn stopped(shared: &Shared, id: JobId, record: &mut RunRecord) -> Completion {
    let reason = shared
        .take_job_cancel_reason(id)
        .unwrap_or_else(|| "cancelled".to_owned());
    record.outcome = Outcome::Cancelled;
    if shared.stopping.load(Ordering::Acquire) && shared.store.durable() {
        let reason = format!("{reason}; released for another process to run again");
        tracing::warn!(error = %reason, "job released");
        record.error = Some(reason);
        return Completion::Released;
    }
    tracing::warn!(error = %reason, "job cancelled");
    record.error = Some(reason);
    Completion::Cancelled
}

/// Attempts lost with the processes that ran them (a durable store's lease expired) count, so
/// that a job that kills its process is not retried forever: past its retries, it fails.
fn lost_attempts(claimed: &store::Claimed, spec: &JobSpec) -> Option<Failed> {
    (claimed.attempt > spec.options.retries.saturating_add(1)).then(|| Failed {
        error: format!(
            "attempt {} exceeds the job's {} retries: the last attempts were lost with the processes that ran them",
            claimed.attempt, spec.options.retries
        ),
        permanent: true,
    })
}

/// Writes the history record and tells the scheduler, when the run ends or is aborted (an
/// aborted task drops its future, so this is the one place that sees every ending).
struct Recorder {
    run: Run,
    record: RunRecord,
    claimed: Claimed,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let run = &self.run;
        if matches!(self.claimed, Claimed::Asking | Claimed::Yes) {
            // A run stopped by a shutdown is released, for another process to run at once.
            let released = self.record.outcome == Outcome::Cancelled
                && run.shared.stopping.load(Ordering::Acquire);
            let shared = Arc::clone(&run.shared);
            let (job, scheduled_at) = (Arc::clone(&run.spec.name), run.scheduled_at);
            // Written in the background, retried until the database answers: shutdown waits
            // for it (see `Shared::write`), and a write that never lands leaves a claim that
            // expires with this process's lease.
            run.shared.write("finishing a tick", move || {
                let (shared, job) = (Arc::clone(&shared), Arc::clone(&job));
                async move { shared.store.finish_tick(&job, scheduled_at, released).await }
            });
        }
        if self.claimed == Claimed::Lost {
            let _ = run.shared.events.send(Event::RunEnded {
                slot: run.slot,
                run_id: run.id,
            });
            return;
        }
        let mut record = self.record.clone();
        record.finished_at = Some(run.shared.clock.now());
        if record.outcome == Outcome::Cancelled {
            record.error = Some(
                match (run.shared.take_cancel_reason(run.id), record.error.take()) {
                    (Some(reason), Some(last)) => format!("{reason}; last error: {last}"),
                    (Some(reason), None) => reason,
                    (None, last) => last.unwrap_or_else(|| "cancelled".to_owned()),
                },
            );
            tracing::warn!(
                job = %record.job,
                run_id = %run.id,
                error = record.error.as_deref().unwrap_or_default(),
                "job cancelled"
            );
        }
        run.history.push(record);
        // The scheduler is gone only when the whole runtime is, and then nobody waits for this.
        let _ = run.shared.events.send(Event::RunEnded {
            slot: run.slot,
            run_id: run.id,
        });
    }
}

/// Turns a panic inside an attempt, or inside the function that creates it, into a failed
/// attempt, so that it is retried like an error and never reaches the scheduler.
fn catch_panic(start: impl FnOnce() -> JobFuture) -> CatchPanic {
    CatchPanic(catch_unwind(AssertUnwindSafe(start)).map_err(|panic| Some(panicked(&*panic))))
}

/// The attempt, or the message of the panic that prevented it.
struct CatchPanic(Result<JobFuture, Option<Failed>>);

impl Future for CatchPanic {
    type Output = Result<(), Failed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let attempt = match &mut self.0 {
            Ok(attempt) => attempt,
            Err(failed) => {
                return Poll::Ready(Err(failed.take().unwrap_or(Failed {
                    error: String::new(),
                    permanent: false,
                })))
            }
        };
        match catch_unwind(AssertUnwindSafe(|| attempt.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(result)) => Poll::Ready(result.map_err(|error| Failed {
                error: error_chain(&*error),
                permanent: is_permanent(&*error),
            })),
            Err(panic) => Poll::Ready(Err(panicked(&*panic))),
        }
    }
}

/// A panic is a bug that the next attempt may not meet (a race, a bad input that changes): it is
/// retried like an error.
fn panicked(panic: &(dyn std::any::Any + Send)) -> Failed {
    Failed {
        error: format!("panicked: {}", panic_message(panic)),
        permanent: false,
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-string payload")
}

/// The error and its sources, as `anyhow`'s `{:#}` prints them.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // anyhow and others sometimes repeat the source in their own message.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
