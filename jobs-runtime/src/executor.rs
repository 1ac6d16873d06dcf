//! One run of a job: its attempts, retries, timeouts and panics, and its history record.

use crate::context::{JobContext, RunId};
use crate::failure::Failure;
use crate::history::{JobHistory, Outcome, RunRecord};
use crate::job::JobSpec;
use crate::private::JobFuture;
use crate::runtime::Shared;
use chrono::{DateTime, Utc};
use jobs_schedule::format_duration;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tracing::Instrument;

/// Told to the scheduler when a run ends, however it ends.
#[derive(Debug)]
pub(crate) struct Done {
    pub(crate) slot: usize,
    pub(crate) run_id: RunId,
}

/// Everything one run needs; the scheduler builds it and spawns [`drive`].
pub(crate) struct Run {
    pub(crate) spec: Arc<JobSpec>,
    pub(crate) history: Arc<JobHistory>,
    pub(crate) slot: usize,
    pub(crate) id: RunId,
    pub(crate) scheduled_at: DateTime<Utc>,
    /// `scheduled_at` plus jitter: what lateness is measured from.
    pub(crate) intended_at: DateTime<Utc>,
    pub(crate) shared: Arc<Shared>,
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
        },
        run,
    };
    attempts(&mut record).instrument(span).await;
}

async fn attempts(recorder: &mut Recorder) {
    let run = &recorder.run;
    let options = &run.spec.options;
    let mut shutdown = run.shared.shutdown.subscribe();
    for attempt in 1..=options.retries.saturating_add(1) {
        recorder.record.attempts = attempt;
        let context = JobContext::new(
            Arc::clone(&run.spec.name),
            run.id,
            attempt,
            run.scheduled_at,
            shutdown.clone(),
            Arc::clone(&run.shared.states),
        );
        let attempt_future = catch_panic(|| (run.spec.run)(context));
        let result = match options.timeout {
            Some(limit) => tokio::time::timeout(limit, attempt_future)
                .instrument(tracing::info_span!("attempt", attempt))
                .await
                .unwrap_or_else(|_| Err(format!("timed out after {}", format_duration(limit)))),
            None => {
                attempt_future
                    .instrument(tracing::info_span!("attempt", attempt))
                    .await
            }
        };
        let error = match result {
            Ok(()) => {
                tracing::info!(attempt, "job succeeded");
                recorder.record.outcome = Outcome::Succeeded;
                recorder.record.error = None;
                return;
            }
            Err(error) => error,
        };
        if attempt > options.retries {
            tracing::error!(attempt, error = %error, "job failed");
            recorder.record.outcome = Outcome::Failed;
            recorder.record.error = Some(error);
            break;
        }
        let delay = options.retry_delay(attempt);
        tracing::warn!(attempt, error = %error, retry_in = %format_duration(delay), "attempt failed");
        recorder.record.error = Some(error);
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
    if let Some(handler) = &run.spec.on_failure {
        let failure = Failure {
            job: Arc::clone(&run.spec.name),
            run_id: run.id,
            attempts: recorder.record.attempts,
            scheduled_at: run.scheduled_at,
            error: recorder.record.error.clone().unwrap_or_default(),
        };
        if let Err(error) = catch_panic(|| handler(failure)).await {
            tracing::error!(error = %error, "on_failure handler failed");
        }
    }
}

/// Writes the history record and tells the scheduler, when the run ends or is aborted (an
/// aborted task drops its future, so this is the one place that sees every ending).
struct Recorder {
    run: Run,
    record: RunRecord,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let run = &self.run;
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
        let _ = run.shared.done.send(Done {
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
struct CatchPanic(Result<JobFuture, Option<String>>);

impl Future for CatchPanic {
    type Output = Result<(), String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let attempt = match &mut self.0 {
            Ok(attempt) => attempt,
            Err(message) => return Poll::Ready(Err(message.take().unwrap_or_default())),
        };
        match catch_unwind(AssertUnwindSafe(|| attempt.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(result)) => Poll::Ready(result.map_err(|error| error_chain(&*error))),
            Err(panic) => Poll::Ready(Err(panicked(&*panic))),
        }
    }
}

fn panicked(panic: &(dyn std::any::Any + Send)) -> String {
    format!("panicked: {}", panic_message(panic))
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
