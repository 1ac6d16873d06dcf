//! A daylight-saving weekend in Europe/Berlin, simulated with `jobs_runtime::testing::simulate`:
//! the runtime follows cronie. In the spring-forward gap (02:00 → 03:00 local) a fixed-time job
//! runs once at the first instant after the jump and a wildcard job skips the missing hour; in the
//! fall-back fold (03:00 → 02:00 local) a fixed-time job runs once, on the first pass, and a
//! wildcard job runs in both passes.
#![allow(
    clippy::unused_async,
    reason = "`#[job]` and `on_failure` take an `async fn`; these test jobs have nothing to await"
)]

use chrono::{DateTime, TimeZone, Utc};
use jobs_runtime::{job, testing, Outcome, Runtime};

/// Fixed time: neither minute nor hour is a wildcard.
#[job(cron = "30 2 * * *", tz = "Europe/Berlin")]
async fn nightly() {}

/// Wildcard: every half hour within the 2 o'clock hour, the one that DST removes or repeats.
#[job(cron = "*/30 2 * * *", tz = "Europe/Berlin")]
async fn half_hourly() {}

fn utc(month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, minute, 0)
        .unwrap()
}

fn simulate(from: DateTime<Utc>, until: DateTime<Utc>) -> testing::Report {
    let report = testing::simulate(
        Runtime::builder().only(["nightly", "half_hourly"]),
        from,
        until,
    )
    .unwrap();
    // Every tick started on time and succeeded; none was skipped or missed.
    for record in report.records() {
        assert_eq!(record.outcome, Outcome::Succeeded, "{record:?}");
        assert_eq!(record.started_at, Some(record.scheduled_at), "{record:?}");
    }
    report
}

#[test]
fn spring_forward() {
    // Sunday 29 March 2026, 02:00 CET (01:00 UTC) becomes 03:00 CEST: 02:00-02:59 do not exist.
    let report = simulate(utc(3, 28, 0, 0), utc(3, 30, 12, 0));
    assert_eq!(
        report.runs("nightly"),
        [
            utc(3, 28, 1, 30), // Saturday 02:30 CET
            utc(3, 29, 1, 0),  // Sunday: 02:30 does not exist; 03:00 CEST, right after the jump
            utc(3, 30, 0, 30), // Monday 02:30 CEST
        ]
    );
    assert_eq!(
        report.runs("half_hourly"),
        [
            utc(3, 28, 1, 0), // Saturday 02:00 and 02:30 CET
            utc(3, 28, 1, 30),
            // Sunday: the whole hour is missing, so nothing runs.
            utc(3, 30, 0, 0), // Monday 02:00 and 02:30 CEST
            utc(3, 30, 0, 30),
        ]
    );
}

#[test]
fn fall_back() {
    // Sunday 25 October 2026, 03:00 CEST (01:00 UTC) becomes 02:00 CET: 02:00-02:59 come twice,
    // first in CEST (00:00-00:59 UTC), then in CET (01:00-01:59 UTC).
    // Start on Friday: Saturday's first tick, 02:00 CEST, is 00:00 UTC, and a simulation runs the
    // ticks strictly after its start.
    let report = simulate(utc(10, 23, 12, 0), utc(10, 26, 12, 0));
    assert_eq!(
        report.runs("nightly"),
        [
            utc(10, 24, 0, 30), // Saturday 02:30 CEST
            utc(10, 25, 0, 30), // Sunday: the first 02:30 (CEST) only
            utc(10, 26, 1, 30), // Monday 02:30 CET
        ]
    );
    assert_eq!(
        report.runs("half_hourly"),
        [
            utc(10, 24, 0, 0), // Saturday 02:00 and 02:30 CEST
            utc(10, 24, 0, 30),
            utc(10, 25, 0, 0), // Sunday, first pass: 02:00 and 02:30 CEST
            utc(10, 25, 0, 30),
            utc(10, 25, 1, 0), // Sunday, second pass: 02:00 and 02:30 CET
            utc(10, 25, 1, 30),
            utc(10, 26, 1, 0), // Monday 02:00 and 02:30 CET
            utc(10, 26, 1, 30),
        ]
    );
}
