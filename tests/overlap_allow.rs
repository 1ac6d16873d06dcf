//! `overlap = "allow"`: every tick starts a run at once, alongside any that are still running.

use jobs_runtime::{Job, JobContext, Outcome, Overlap, Schedule};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

mod support;
use support::at;

#[tokio::test(start_paused = true)]
async fn every_tick_starts_a_run_alongside_the_running_ones() {
    let running = Arc::new(AtomicUsize::new(0));
    let most_at_once = Arc::new(AtomicUsize::new(0));
    let (counter, most) = (Arc::clone(&running), Arc::clone(&most_at_once));
    // Ticks every 10s, runs of 25s: from the third tick on, three runs overlap (e.g. 30s-35s).
    let job = Job::new(
        "parallel",
        Schedule::every(Duration::from_secs(10)).unwrap(),
        move |_ctx: JobContext| {
            let (counter, most) = (Arc::clone(&counter), Arc::clone(&most));
            async move {
                let now_running = counter.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now_running, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(25)).await;
                counter.fetch_sub(1, Ordering::SeqCst);
            }
        },
    )
    .overlap(Overlap::Allow);
    let start = Instant::now();
    let handle = support::simulated()
        .job(job)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();

    tokio::time::sleep_until(start + Duration::from_secs(33)).await;
    // Runs of the ticks at 10s, 20s and 30s are all running now.
    assert_eq!(handle.jobs().await.unwrap()[0].running, 3);
    assert!(handle.history("parallel").is_empty());

    tokio::time::sleep_until(start + Duration::from_secs(56)).await;
    let observed: Vec<_> = handle
        .history("parallel")
        .iter()
        .map(|r| (r.scheduled_at, r.outcome, r.started_at, r.finished_at))
        .collect();
    // Every run started on its tick, not when the previous one ended, and none was skipped.
    let ran = |t: i64| (at(t), Outcome::Succeeded, Some(at(t)), Some(at(t + 25)));
    assert_eq!(observed, [ran(10), ran(20), ran(30)]);
    assert_eq!(most_at_once.load(Ordering::SeqCst), 3);
    // The runs of 40s and 50s are still going.
    assert_eq!(running.load(Ordering::SeqCst), 2);
}
