//! `overlap = "skip"` (the default): a tick that comes while the previous run still runs does not
//! start; it is recorded as skipped with the reason `overlap`.

use jobs_runtime::{Job, JobContext, Outcome, Overlap, Schedule, SkipReason};
use std::time::Duration;
use tokio::time::Instant;

mod support;
use support::at;

#[tokio::test(start_paused = true)]
async fn ticks_during_a_run_are_skipped_with_reason_overlap() {
    // No `.overlap(…)`: skip is the default. Ticks every 10s, runs of 25s: each run covers the
    // next two ticks. The runs end at 35s and 65s, never on a tick, so the order of events is
    // unambiguous.
    let job = Job::new(
        "slow",
        Schedule::every(Duration::from_secs(10)).unwrap(),
        |_ctx: JobContext| tokio::time::sleep(Duration::from_secs(25)),
    );
    let start = Instant::now();
    let handle = support::simulated()
        .job(job)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();

    tokio::time::sleep_until(start + Duration::from_secs(66)).await;

    let mut history = handle.history("slow");
    history.sort_by_key(|record| record.scheduled_at);
    let observed: Vec<_> = history
        .iter()
        .map(|r| (r.scheduled_at, r.outcome, r.started_at, r.finished_at))
        .collect();
    let ran = |t: i64| (at(t), Outcome::Succeeded, Some(at(t)), Some(at(t + 25)));
    let skipped = |t: i64| (at(t), Outcome::Skipped(SkipReason::Overlap), None, None);
    assert_eq!(
        observed,
        [
            ran(10),
            skipped(20),
            skipped(30),
            ran(40),
            skipped(50),
            skipped(60)
        ]
    );
    for record in history.iter().filter(|r| r.run_id.is_none()) {
        assert_eq!(record.attempts, 0);
        assert_eq!(record.error, None);
    }
}

#[tokio::test(start_paused = true)]
async fn an_explicit_skip_policy_behaves_as_the_default() {
    let handle = support::simulated()
        .job(
            Job::new(
                "slow",
                Schedule::every(Duration::from_secs(10)).unwrap(),
                |_ctx: JobContext| tokio::time::sleep(Duration::from_secs(15)),
            )
            .overlap(Overlap::Skip),
        )
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();

    tokio::time::sleep(Duration::from_secs(46)).await;

    let mut history = handle.history("slow");
    history.sort_by_key(|record| record.scheduled_at);
    let observed: Vec<_> = history
        .iter()
        .map(|r| (r.scheduled_at, r.outcome))
        .collect();
    assert_eq!(
        observed,
        [
            (at(10), Outcome::Succeeded),
            (at(20), Outcome::Skipped(SkipReason::Overlap)),
            (at(30), Outcome::Succeeded),
            (at(40), Outcome::Skipped(SkipReason::Overlap)),
        ]
    );
}
