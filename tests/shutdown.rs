//! Shutdown: no new runs; running ones get the shutdown timeout; those that end in time keep
//! their outcome, the rest are cancelled with the timeout in the error; `JobContext::cancelled`
//! resolves as shutdown begins; queued ticks are recorded as skipped with reason `shutdown`.

use jobs_runtime::{Error, Job, JobContext, Outcome, Overlap, Schedule, SkipReason};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

mod support;
use support::at;

type Moments = Arc<Mutex<Vec<(&'static str, Instant)>>>;

/// Notes when the run's future is dropped.
struct DropGuard(&'static str, Moments);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.1.lock().unwrap().push((self.0, Instant::now()));
    }
}

fn jobs(moments: &Moments) -> Vec<Job> {
    let (listener_log, stubborn_log) = (Arc::clone(moments), Arc::clone(moments));
    vec![
        // Runs 10s-35s; the ticks of 20s and 30s queue behind it.
        Job::new(
            "queued",
            Schedule::every(Duration::from_secs(10)).unwrap(),
            |_ctx: JobContext| tokio::time::sleep(Duration::from_secs(25)),
        )
        .overlap(Overlap::Queue),
        // Triggered at 29s, done at 34s: within the grace period.
        Job::on_demand("quick", |_ctx: JobContext| {
            tokio::time::sleep(Duration::from_secs(5))
        }),
        // Never ends on its own.
        Job::on_demand("stubborn", move |_ctx: JobContext| {
            let guard = DropGuard("stubborn dropped", Arc::clone(&stubborn_log));
            async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            }
        }),
        // Stops as soon as it hears of the shutdown.
        Job::on_demand("listener", move |ctx: JobContext| {
            let log = Arc::clone(&listener_log);
            async move {
                assert!(!ctx.is_cancelled());
                ctx.cancelled().await;
                assert!(ctx.is_cancelled());
                log.lock().unwrap().push(("listener heard", Instant::now()));
            }
        }),
        // Fails, then waits for a retry that is practically never due before the shutdown (the
        // chance that a delay drawn from a year falls within the 2s left is below 1e-7).
        Job::on_demand("retrying", |_ctx: JobContext| async {
            Err::<(), _>("database unavailable")
        })
        .retries(1)
        .backoff(Duration::from_secs(365 * 24 * 3600))
        .backoff_max(Duration::from_secs(365 * 24 * 3600)),
    ]
}

#[tokio::test(start_paused = true)]
async fn running_jobs_get_the_shutdown_timeout_then_are_cancelled() {
    let moments = Moments::default();
    let mut builder = support::simulated().shutdown_timeout(Duration::from_secs(10));
    for job in jobs(&moments) {
        builder = builder.job(job);
    }
    let start = Instant::now();
    let handle = builder.build().unwrap().start().await.unwrap();

    tokio::time::sleep_until(start + Duration::from_secs(29)).await;
    for name in ["quick", "stubborn", "listener", "retrying"] {
        handle.trigger(name).await.unwrap();
    }
    tokio::time::sleep_until(start + Duration::from_secs(31)).await;
    handle.shutdown().await;

    // `shutdown` returns once the last run has ended: the stubborn one, at the timeout.
    assert_eq!(Instant::now(), start + Duration::from_secs(41));
    assert_eq!(
        *moments.lock().unwrap(),
        [
            ("listener heard", start + Duration::from_secs(31)),
            ("stubborn dropped", start + Duration::from_secs(41)),
        ]
    );

    let summary = |job: &str| {
        let mut history = handle.history(job);
        history.sort_by_key(|record| record.scheduled_at);
        history
            .into_iter()
            .map(|r| (r.scheduled_at, r.outcome, r.finished_at))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        summary("quick"),
        [(at(29), Outcome::Succeeded, Some(at(34)))]
    );
    assert_eq!(
        summary("listener"),
        [(at(29), Outcome::Succeeded, Some(at(31)))]
    );
    assert_eq!(
        summary("stubborn"),
        [(at(29), Outcome::Cancelled, Some(at(41)))]
    );
    let stubborn_error = handle.history("stubborn")[0].error.clone().unwrap();
    assert!(
        stubborn_error.contains("shutdown") && stubborn_error.contains("10s"),
        "{stubborn_error}"
    );
    // A run waiting for a retry does not wait out the backoff: it ends as shutdown begins.
    assert_eq!(
        summary("retrying"),
        [(at(29), Outcome::Cancelled, Some(at(31)))]
    );
    let retrying_error = handle.history("retrying")[0].error.clone().unwrap();
    assert!(
        retrying_error.contains("shutdown") && retrying_error.contains("database unavailable"),
        "{retrying_error}"
    );
    // The running tick finished within the grace period; the queued ones never started.
    let queued = summary("queued");
    assert_eq!(
        queued[..3],
        [
            (at(10), Outcome::Succeeded, Some(at(35))),
            (at(20), Outcome::Skipped(SkipReason::Shutdown), None),
            (at(30), Outcome::Skipped(SkipReason::Shutdown), None),
        ]
    );
    // No run started once shutdown had begun (the tick of 40s came during the grace period).
    assert!(
        queued[3..]
            .iter()
            .all(|(_, outcome, _)| matches!(outcome, Outcome::Skipped(_))),
        "{queued:?}"
    );

    // Shut down is final: nothing more can be started, and shutting down again returns at once.
    assert!(matches!(
        handle.trigger("quick").await,
        Err(Error::ShutDown)
    ));
    handle.shutdown().await;
    assert_eq!(Instant::now(), start + Duration::from_secs(41));
}

#[tokio::test(start_paused = true)]
async fn shutdown_with_nothing_running_returns_at_once() {
    let handle = support::simulated()
        .job(Job::new(
            "tick",
            Schedule::every(Duration::from_secs(10)).unwrap(),
            |_ctx: JobContext| async {},
        ))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(15)).await;

    let before = Instant::now();
    handle.shutdown().await;
    assert_eq!(Instant::now(), before, "waited with nothing to wait for");
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        handle
            .history("tick")
            .iter()
            .map(|r| (r.scheduled_at, r.outcome))
            .collect::<Vec<_>>(),
        [(at(10), Outcome::Succeeded)],
        "no tick runs after shutdown"
    );
}

/// Ticks that come while shutdown waits for running jobs do not run, and are recorded as skipped
/// with reason `shutdown`; commands sent meanwhile are answered at once with `Error::ShutDown`.
#[tokio::test(start_paused = true)]
async fn ticks_and_commands_during_the_grace_period_are_refused_and_recorded() {
    let handle = support::simulated()
        .shutdown_timeout(Duration::from_secs(10))
        .job(Job::on_demand("slow", |_ctx: JobContext| {
            tokio::time::sleep(Duration::from_secs(60))
        }))
        .job(Job::new(
            "every_3s",
            Schedule::every(Duration::from_secs(3)).unwrap(),
            |_ctx: JobContext| async {},
        ))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    handle.trigger("slow").await.unwrap();

    let stopping = handle.clone();
    let shutdown = tokio::spawn(async move { stopping.shutdown().await });
    tokio::time::sleep(Duration::from_secs(4)).await;
    let asked = Instant::now();
    assert!(matches!(
        handle.trigger("every_3s").await,
        Err(Error::ShutDown)
    ));
    assert_eq!(
        asked.elapsed(),
        Duration::ZERO,
        "answered without waiting for the shutdown"
    );
    shutdown.await.unwrap();

    let every = handle.history("every_3s");
    let ran: Vec<_> = every
        .iter()
        .filter(|r| r.outcome == Outcome::Succeeded)
        .map(|r| r.scheduled_at)
        .collect();
    let refused: Vec<_> = every
        .iter()
        .filter(|r| r.outcome == Outcome::Skipped(SkipReason::Shutdown))
        .map(|r| r.scheduled_at)
        .collect();
    // Shutdown began at 1s; the grace period ran until 11s.
    assert!(ran.is_empty(), "{ran:?}");
    assert_eq!(refused, [at(3), at(6), at(9)]);
}
