//! `overlap = "replace"`: a tick that comes while the previous run still runs cancels that run
//! (recorded `Cancelled`, "replaced by …") and starts in its place.

use chrono::{DateTime, TimeDelta, Utc};
use jobs_runtime::{Job, JobContext, Outcome, Overlap, Schedule};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

mod support;
use support::at;

/// Which runs' futures were dropped (by scheduled instant), and when.
type Drops = Arc<Mutex<Vec<(DateTime<Utc>, Instant)>>>;

struct DropGuard {
    scheduled_at: DateTime<Utc>,
    drops: Drops,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.drops
            .lock()
            .unwrap()
            .push((self.scheduled_at, Instant::now()));
    }
}

#[tokio::test(start_paused = true)]
async fn a_tick_cancels_the_running_run_and_takes_its_place() {
    let drops = Drops::default();
    let log = Arc::clone(&drops);
    // Ticks every 10s; a run needs 25s, so it never finishes before the next tick replaces it.
    let job = Job::new(
        "latest_only",
        Schedule::every(Duration::from_secs(10)).unwrap(),
        move |ctx: JobContext| {
            let guard = DropGuard {
                scheduled_at: ctx.scheduled_at(),
                drops: Arc::clone(&log),
            };
            async move {
                let _guard = guard;
                tokio::time::sleep(Duration::from_secs(25)).await;
            }
        },
    )
    .overlap(Overlap::Replace);
    let start = Instant::now();
    let handle = support::simulated()
        .job(job)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();

    tokio::time::sleep_until(start + Duration::from_secs(41)).await;

    let history = handle.history("latest_only");
    let observed: Vec<_> = history
        .iter()
        .map(|r| (r.scheduled_at, r.outcome, r.started_at, r.finished_at))
        .collect();
    let replaced = |t: i64| (at(t), Outcome::Cancelled, Some(at(t)), Some(at(t + 10)));
    assert_eq!(observed, [replaced(10), replaced(20), replaced(30)]);
    for record in &history {
        let error = record.error.as_deref().unwrap_or_default();
        let successor = (record.scheduled_at + TimeDelta::seconds(10)).to_string();
        assert!(
            error.starts_with("replaced by") && error.contains(&successor),
            "error {error:?} should name the replacing run at {successor}"
        );
    }
    // The replaced runs' futures were dropped when the next tick came, not left running.
    assert_eq!(
        *drops.lock().unwrap(),
        [10, 20, 30].map(|t| (at(t), start + Duration::from_secs(t.unsigned_abs() + 10)))
    );
    // The run of 40s is the one running now.
    assert_eq!(handle.jobs().await.unwrap()[0].running, 1);
}

#[tokio::test(start_paused = true)]
async fn a_run_that_ends_before_the_next_tick_is_not_replaced() {
    let handle = support::simulated()
        .job(
            Job::new(
                "quick",
                Schedule::every(Duration::from_secs(10)).unwrap(),
                |_ctx: JobContext| tokio::time::sleep(Duration::from_secs(5)),
            )
            .overlap(Overlap::Replace),
        )
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();

    tokio::time::sleep(Duration::from_secs(36)).await;

    let observed: Vec<_> = handle
        .history("quick")
        .iter()
        .map(|r| (r.scheduled_at, r.outcome, r.error.clone()))
        .collect();
    assert_eq!(
        observed,
        [10, 20, 30].map(|t| (at(t), Outcome::Succeeded, None))
    );
}
