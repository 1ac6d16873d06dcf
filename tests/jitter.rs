//! `jitter`: each tick starts at a random instant in `[scheduled, scheduled + jitter)`, while the
//! schedule itself, and so every next tick, stays on the unjittered instants.

use jobs_runtime::{Job, JobContext, Outcome, Schedule};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

mod support;
use support::at;

/// Enough ticks that a correct runtime fails the spread checks below with a probability of
/// about 1e-15, while a constant or absent jitter fails them for certain.
const TICKS: i64 = 50;

#[tokio::test(start_paused = true)]
async fn each_run_starts_within_its_jitter_window() {
    let jitter = Duration::from_secs(5);
    let starts = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&starts);
    let job = Job::new(
        "spread",
        Schedule::every(Duration::from_secs(10)).unwrap(),
        move |ctx: JobContext| {
            let log = Arc::clone(&log);
            async move {
                log.lock()
                    .unwrap()
                    .push((ctx.scheduled_at(), Instant::now()));
            }
        },
    )
    .jitter(jitter);
    let start = Instant::now();
    let handle = support::simulated()
        .job(job)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();

    // The last tick, at 500s, starts before 505s.
    tokio::time::sleep_until(start + Duration::from_secs(506)).await;

    let history = handle.history("spread");
    let scheduled: Vec<_> = history.iter().map(|r| r.scheduled_at).collect();
    let expected: Vec<_> = (1..=TICKS).map(|n| at(10 * n)).collect();
    assert_eq!(scheduled, expected, "jitter never moves the schedule");

    let starts = starts.lock().unwrap();
    let mut offsets = Vec::new();
    for (record, &(seen_scheduled, started)) in history.iter().zip(starts.iter()) {
        assert_eq!(record.outcome, Outcome::Succeeded);
        assert_eq!(
            seen_scheduled, record.scheduled_at,
            "JobContext::scheduled_at is the instant before jitter"
        );
        // Measured on tokio's clock, the start lies in the window. Tokio's timer rounds a
        // deadline up to the next millisecond, so a draw just below 5s may start at 5s.
        let tick = start + (record.scheduled_at - at(0)).to_std().unwrap();
        let offset = started - tick;
        assert!(offset <= jitter, "started {offset:?} after the tick");
        // The record tells the draw exactly: start = scheduled + draw + lateness.
        let lateness = record.lateness.expect("never started before its instant");
        assert!(lateness < Duration::from_millis(1), "{lateness:?}");
        let draw = (record.started_at.unwrap() - record.scheduled_at)
            .to_std()
            .unwrap()
            .checked_sub(lateness)
            .expect("lateness is part of the time from tick to start");
        assert!(draw < jitter, "drew {draw:?}");
        offsets.push(draw);
    }
    assert_eq!(offsets.len(), expected.len());
    let below_half = offsets.iter().filter(|&&d| d < jitter / 2).count();
    assert!(
        below_half > 0 && below_half < offsets.len(),
        "draws are not spread over [0, 5s): {offsets:?}"
    );
    let distinct: std::collections::BTreeSet<_> = offsets.iter().collect();
    assert!(distinct.len() > 1, "the same delay every time: {offsets:?}");
}
