//! `overlap = "queue"`: a tick that comes while the previous run still runs waits, and starts
//! when the running one finishes; queued ticks run one after another, in order, each with its
//! own scheduled instant.

use chrono::{DateTime, Utc};
use jobs_runtime::{Job, JobContext, Outcome, Overlap, Schedule};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

mod support;
use support::at;

#[derive(Default)]
struct Observed {
    running: AtomicUsize,
    most_at_once: AtomicUsize,
    /// `JobContext::scheduled_at` of each run, in the order the runs started.
    scheduled: Mutex<Vec<DateTime<Utc>>>,
}

#[tokio::test(start_paused = true)]
async fn queued_ticks_run_one_after_another_with_their_own_instants() {
    let observed = Arc::new(Observed::default());
    let seen = Arc::clone(&observed);
    // Ticks every 10s, runs of 13s: the backlog grows by 3s per tick, and no run ends on a tick
    // (23s, 36s, 49s, 62s, 75s), so the order of events is unambiguous.
    let job = Job::new(
        "backlog",
        Schedule::every(Duration::from_secs(10)).unwrap(),
        move |ctx: JobContext| {
            let seen = Arc::clone(&seen);
            async move {
                seen.scheduled.lock().unwrap().push(ctx.scheduled_at());
                let now_running = seen.running.fetch_add(1, Ordering::SeqCst) + 1;
                seen.most_at_once.fetch_max(now_running, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(13)).await;
                seen.running.fetch_sub(1, Ordering::SeqCst);
            }
        },
    )
    .overlap(Overlap::Queue);
    let start = Instant::now();
    let handle = support::simulated()
        .job(job)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();

    tokio::time::sleep_until(start + Duration::from_secs(71)).await;

    let history = handle.history("backlog");
    let observed_runs: Vec<_> = history
        .iter()
        .map(|r| (r.scheduled_at, r.outcome, r.started_at, r.finished_at))
        .collect();
    let ran = |scheduled: i64, started: i64| {
        (
            at(scheduled),
            Outcome::Succeeded,
            Some(at(started)),
            Some(at(started + 13)),
        )
    };
    // Each queued run starts at the instant the previous one finished; none is skipped.
    assert_eq!(
        observed_runs,
        [ran(10, 10), ran(20, 23), ran(30, 36), ran(40, 49)]
    );
    // Lateness is measured from the tick the run was queued for.
    let lateness: Vec<_> = history.iter().map(|r| r.lateness).collect();
    assert_eq!(lateness, [0, 3, 6, 9].map(|s| Some(Duration::from_secs(s))));
    assert_eq!(
        *observed.scheduled.lock().unwrap(),
        [at(10), at(20), at(30), at(40), at(50)],
        "the run that started at 62s is the one queued at 50s"
    );
    assert_eq!(observed.most_at_once.load(Ordering::SeqCst), 1);

    let status = handle.jobs().await.unwrap();
    assert_eq!(status[0].running, 1);
    assert_eq!(status[0].next_run, Some(at(80)));
}
