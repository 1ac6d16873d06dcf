//! Daylight saving time, the way cronie handles it, across both transitions of 2026 in three
//! zones: New York and Berlin move by an hour, Lord Howe Island by thirty minutes.
//!
//! - Spring forward: a fixed-time job (neither minute nor hour starts with `*` or `?`) whose time
//!   falls in the gap runs once, at the first instant after the jump; a wildcard job skips the
//!   missing times.
//! - Fall back: a fixed-time job runs once, in the first pass through the repeated times; a
//!   wildcard job runs in both passes.
//!
//! The 2026 transitions, from the tz database (local wall-clock times):
//!
//! - `America/New_York`: March 8, 02:00 EST becomes 03:00 EDT; November 1, 02:00 EDT becomes
//!   01:00 EST.
//! - `Europe/Berlin`: March 29, 02:00 CET becomes 03:00 CEST; October 25, 03:00 CEST becomes
//!   02:00 CET.
//! - `Australia/Lord_Howe`: April 5, 02:00 +11:00 becomes 01:30 +10:30; October 4, 02:00 +10:30
//!   becomes 02:30 +11:00.
//!
//! Expected instants are written in UTC, the comments give the wall-clock time they show.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::{America, Australia, Europe};
use jobs_schedule::{Schedule, Tz};

fn schedule(expr: &str, tz: Tz) -> Schedule {
    Schedule::parse(expr)
        .unwrap_or_else(|error| panic!("`{expr}` should parse: {error}"))
        .with_timezone(tz)
}

fn utc(year: i32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, hour, minute, second)
        .single()
        .expect("a valid UTC time")
}

/// Asserts the first instants after `start`, and that the iterator and `next_after` agree.
fn assert_runs(expr: &str, tz: Tz, start: DateTime<Utc>, expected: &[&str]) {
    let expected: Vec<DateTime<Utc>> = expected
        .iter()
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .unwrap_or_else(|error| panic!("bad expected instant {text:?}: {error}"))
                .with_timezone(&Utc)
        })
        .collect();
    let schedule = schedule(expr, tz);
    let actual: Vec<DateTime<Utc>> = schedule.after(start).take(expected.len()).collect();
    let show = |instants: &[DateTime<Utc>]| {
        instants
            .iter()
            .map(|instant| format!("{instant} ({})", instant.with_timezone(&tz)))
            .collect::<Vec<_>>()
            .join("\n    ")
    };
    assert!(
        actual == expected,
        "`{expr}` in {tz} after {start}\nexpected:\n    {}\nactual:\n    {}",
        show(&expected),
        show(&actual)
    );
    let mut previous = start;
    for &instant in &actual {
        assert_eq!(
            schedule.next_after(previous),
            Some(instant),
            "`{expr}` in {tz}: next_after({previous}) disagrees with the iterator"
        );
        previous = instant;
    }
}

#[test]
fn fixed_and_wildcard_jobs_are_told_apart_by_minute_and_hour() {
    // Only the minute and hour fields decide, as in cronie: seconds and day fields do not.
    for fixed in [
        "30 2 * * *",
        "0 1-3 * * *",
        "0 30 2 * * *",
        "*/20 30 2 * * *",
        "45 1 * * Mon",
    ] {
        assert!(
            schedule(fixed, Tz::UTC).is_fixed_time(),
            "`{fixed}` is fixed-time"
        );
    }
    for wildcard in [
        "*/30 * * * *",
        "0 * * * *",
        "*/15 2 * * *",
        "0 */30 1 * * *",
        "*/20 3 * * *",
    ] {
        assert!(
            !schedule(wildcard, Tz::UTC).is_fixed_time(),
            "`{wildcard}` is a wildcard job"
        );
    }
}

// America/New_York, spring forward on 2026-03-08: 02:00 EST (07:00Z) becomes 03:00 EDT.

#[test]
fn new_york_fixed_time_in_the_gap_runs_once_at_the_jump() {
    assert_runs(
        "30 2 * * *",
        America::New_York,
        utc(2026, 3, 6, 12, 0, 0),
        &[
            "2026-03-07T07:30:00Z", // 02:30 EST
            "2026-03-08T07:00:00Z", // no 02:30: 03:00 EDT, the first instant after the jump
            "2026-03-09T06:30:00Z", // 02:30 EDT
        ],
    );
}

#[test]
fn new_york_fixed_time_with_seconds_in_the_gap_runs_at_the_jump() {
    assert_runs(
        "0 30 2 * * *",
        America::New_York,
        utc(2026, 3, 7, 12, 0, 0),
        &[
            "2026-03-08T07:00:00Z", // 03:00:00 EDT
            "2026-03-09T06:30:00Z", // 02:30:00 EDT
        ],
    );
}

#[test]
fn new_york_fixed_hours_landing_on_the_jump_run_once() {
    // 02:00 is moved to the jump, 03:00 EDT, where the 03:00 run already is: one run, not two.
    assert_runs(
        "0 1-3 * * *",
        America::New_York,
        utc(2026, 3, 8, 5, 30, 0),
        &[
            "2026-03-08T06:00:00Z", // 01:00 EST
            "2026-03-08T07:00:00Z", // 03:00 EDT, standing in for 02:00 as well
            "2026-03-09T05:00:00Z", // 01:00 EDT
            "2026-03-09T06:00:00Z", // 02:00 EDT
            "2026-03-09T07:00:00Z", // 03:00 EDT
        ],
    );
}

#[test]
fn new_york_wildcard_jobs_skip_the_gap() {
    assert_runs(
        "0 * * * *",
        America::New_York,
        utc(2026, 3, 8, 4, 30, 0),
        &[
            "2026-03-08T05:00:00Z", // 00:00 EST
            "2026-03-08T06:00:00Z", // 01:00 EST
            "2026-03-08T07:00:00Z", // 03:00 EDT; there is no 02:00
            "2026-03-08T08:00:00Z", // 04:00 EDT
        ],
    );
    assert_runs(
        "*/30 * * * *",
        America::New_York,
        utc(2026, 3, 8, 6, 0, 0),
        &[
            "2026-03-08T06:30:00Z", // 01:30 EST
            "2026-03-08T07:00:00Z", // 03:00 EDT
            "2026-03-08T07:30:00Z", // 03:30 EDT
            "2026-03-08T08:00:00Z", // 04:00 EDT
        ],
    );
}

#[test]
fn new_york_wildcard_job_inside_the_missing_hour_skips_that_day() {
    // Every minute it names on March 8 is missing, and a wildcard job is not moved to the jump.
    assert_runs(
        "*/15 2 * * *",
        America::New_York,
        utc(2026, 3, 7, 12, 0, 0),
        &[
            "2026-03-09T06:00:00Z", // 02:00 EDT
            "2026-03-09T06:15:00Z",
            "2026-03-09T06:30:00Z",
            "2026-03-09T06:45:00Z",
        ],
    );
}

#[test]
fn new_york_seconds_schedule_runs_straight_through_the_gap() {
    assert_runs(
        "*/20 * * * * *",
        America::New_York,
        utc(2026, 3, 8, 6, 59, 0),
        &[
            "2026-03-08T06:59:20Z", // 01:59:20 EST
            "2026-03-08T06:59:40Z", // 01:59:40 EST
            "2026-03-08T07:00:00Z", // 03:00:00 EDT
            "2026-03-08T07:00:20Z", // 03:00:20 EDT
        ],
    );
}

// America/New_York, fall back on 2026-11-01: 02:00 EDT (06:00Z) becomes 01:00 EST, so 01:00-01:59
// happens twice.

#[test]
fn new_york_fixed_time_in_the_fold_runs_once_in_the_first_pass() {
    assert_runs(
        "30 1 * * *",
        America::New_York,
        utc(2026, 10, 30, 12, 0, 0),
        &[
            "2026-10-31T05:30:00Z", // 01:30 EDT
            "2026-11-01T05:30:00Z", // 01:30 EDT, first pass; not again at 01:30 EST (06:30Z)
            "2026-11-02T06:30:00Z", // 01:30 EST
        ],
    );
}

#[test]
fn new_york_wildcard_jobs_run_in_both_passes_of_the_fold() {
    assert_runs(
        "0 * * * *",
        America::New_York,
        utc(2026, 11, 1, 3, 30, 0),
        &[
            "2026-11-01T04:00:00Z", // 00:00 EDT
            "2026-11-01T05:00:00Z", // 01:00 EDT
            "2026-11-01T06:00:00Z", // 01:00 EST
            "2026-11-01T07:00:00Z", // 02:00 EST
        ],
    );
    assert_runs(
        "*/20 1 * * *",
        America::New_York,
        utc(2026, 11, 1, 4, 0, 0),
        &[
            "2026-11-01T05:00:00Z", // 01:00 EDT
            "2026-11-01T05:20:00Z",
            "2026-11-01T05:40:00Z",
            "2026-11-01T06:00:00Z", // 01:00 EST
            "2026-11-01T06:20:00Z",
            "2026-11-01T06:40:00Z",
            "2026-11-02T06:00:00Z", // 01:00 EST the next day
        ],
    );
}

#[test]
fn new_york_seconds_schedule_runs_in_both_passes_of_the_fold() {
    assert_runs(
        "0 */30 1 * * *",
        America::New_York,
        utc(2026, 11, 1, 4, 0, 0),
        &[
            "2026-11-01T05:00:00Z", // 01:00:00 EDT
            "2026-11-01T05:30:00Z", // 01:30:00 EDT
            "2026-11-01T06:00:00Z", // 01:00:00 EST
            "2026-11-01T06:30:00Z", // 01:30:00 EST
            "2026-11-02T06:00:00Z", // 01:00:00 EST the next day
        ],
    );
}

// Europe/Berlin, spring forward on 2026-03-29: 02:00 CET (01:00Z) becomes 03:00 CEST.

#[test]
fn berlin_fixed_time_in_the_gap_runs_once_at_the_jump() {
    assert_runs(
        "30 2 * * *",
        Europe::Berlin,
        utc(2026, 3, 27, 12, 0, 0),
        &[
            "2026-03-28T01:30:00Z", // 02:30 CET
            "2026-03-29T01:00:00Z", // 03:00 CEST, the first instant after the jump
            "2026-03-30T00:30:00Z", // 02:30 CEST
        ],
    );
}

#[test]
fn berlin_wildcard_jobs_skip_the_gap() {
    assert_runs(
        "*/30 * * * *",
        Europe::Berlin,
        utc(2026, 3, 28, 23, 45, 0),
        &[
            "2026-03-29T00:00:00Z", // 01:00 CET
            "2026-03-29T00:30:00Z", // 01:30 CET
            "2026-03-29T01:00:00Z", // 03:00 CEST
            "2026-03-29T01:30:00Z", // 03:30 CEST
        ],
    );
    assert_runs(
        "*/30 2 * * *",
        Europe::Berlin,
        utc(2026, 3, 28, 12, 0, 0),
        &[
            "2026-03-30T00:00:00Z", // 02:00 CEST; nothing on March 29
            "2026-03-30T00:30:00Z", // 02:30 CEST
            "2026-03-31T00:00:00Z", // 02:00 CEST
        ],
    );
}

#[test]
fn berlin_weekday_report_keeps_its_wall_clock_time_across_both_transitions() {
    // The DESIGN.md example: 09:30 on weekdays in Berlin is 08:30Z in winter and 07:30Z in summer.
    assert_runs(
        "30 9 * * Mon-Fri",
        Europe::Berlin,
        utc(2026, 3, 26, 12, 0, 0),
        &[
            "2026-03-27T08:30:00Z", // Friday 09:30 CET
            "2026-03-30T07:30:00Z", // Monday 09:30 CEST
            "2026-03-31T07:30:00Z", // Tuesday 09:30 CEST
        ],
    );
    assert_runs(
        "30 9 * * Mon-Fri",
        Europe::Berlin,
        utc(2026, 10, 22, 12, 0, 0),
        &[
            "2026-10-23T07:30:00Z", // Friday 09:30 CEST
            "2026-10-26T08:30:00Z", // Monday 09:30 CET
            "2026-10-27T08:30:00Z", // Tuesday 09:30 CET
        ],
    );
}

// Europe/Berlin, fall back on 2026-10-25: 03:00 CEST (01:00Z) becomes 02:00 CET, so 02:00-02:59
// happens twice.

#[test]
fn berlin_fixed_time_in_the_fold_runs_once_in_the_first_pass() {
    assert_runs(
        "30 2 * * *",
        Europe::Berlin,
        utc(2026, 10, 23, 12, 0, 0),
        &[
            "2026-10-24T00:30:00Z", // 02:30 CEST
            "2026-10-25T00:30:00Z", // 02:30 CEST, first pass; not again at 02:30 CET (01:30Z)
            "2026-10-26T01:30:00Z", // 02:30 CET
        ],
    );
}

#[test]
fn berlin_wildcard_jobs_run_in_both_passes_of_the_fold() {
    assert_runs(
        "0 * * * *",
        Europe::Berlin,
        utc(2026, 10, 24, 22, 30, 0),
        &[
            "2026-10-24T23:00:00Z", // 01:00 CEST
            "2026-10-25T00:00:00Z", // 02:00 CEST
            "2026-10-25T01:00:00Z", // 02:00 CET
            "2026-10-25T02:00:00Z", // 03:00 CET
        ],
    );
}

// Australia/Lord_Howe, spring forward on 2026-10-04: 02:00 +10:30 (15:30Z on Oct 3) becomes
// 02:30 +11, a thirty-minute gap.

#[test]
fn lord_howe_fixed_time_in_the_half_hour_gap_runs_at_the_jump() {
    assert_runs(
        "15 2 * * *",
        Australia::Lord_Howe,
        utc(2026, 10, 2, 0, 0, 0),
        &[
            "2026-10-02T15:45:00Z", // Oct 3, 02:15 +10:30
            "2026-10-03T15:30:00Z", // Oct 4, 02:30 +11, the first instant after the jump
            "2026-10-04T15:15:00Z", // Oct 5, 02:15 +11
        ],
    );
}

#[test]
fn lord_howe_wildcard_jobs_skip_the_half_hour_gap() {
    // 02:00 is missing, so the hourly job waits ninety minutes, from 01:00 to 03:00.
    assert_runs(
        "0 * * * *",
        Australia::Lord_Howe,
        utc(2026, 10, 3, 13, 15, 0),
        &[
            "2026-10-03T13:30:00Z", // 00:00 +10:30
            "2026-10-03T14:30:00Z", // 01:00 +10:30
            "2026-10-03T16:00:00Z", // 03:00 +11
            "2026-10-03T17:00:00Z", // 04:00 +11
        ],
    );
    assert_runs(
        "*/30 * * * *",
        Australia::Lord_Howe,
        utc(2026, 10, 3, 14, 0, 0),
        &[
            "2026-10-03T14:30:00Z", // 01:00 +10:30
            "2026-10-03T15:00:00Z", // 01:30 +10:30
            "2026-10-03T15:30:00Z", // 02:30 +11; there is no 02:00
            "2026-10-03T16:00:00Z", // 03:00 +11
        ],
    );
}

#[test]
fn lord_howe_seconds_schedule_runs_straight_through_the_gap() {
    assert_runs(
        "*/10 * * * * *",
        Australia::Lord_Howe,
        utc(2026, 10, 3, 15, 29, 40),
        &[
            "2026-10-03T15:29:50Z", // 01:59:50 +10:30
            "2026-10-03T15:30:00Z", // 02:30:00 +11
            "2026-10-03T15:30:10Z", // 02:30:10 +11
        ],
    );
}

// Australia/Lord_Howe, fall back on 2026-04-05: 02:00 +11 (15:00Z on Apr 4) becomes 01:30 +10:30,
// so 01:30-01:59 happens twice.

#[test]
fn lord_howe_fixed_time_in_the_half_hour_fold_runs_once_in_the_first_pass() {
    assert_runs(
        "45 1 * * *",
        Australia::Lord_Howe,
        utc(2026, 4, 3, 0, 0, 0),
        &[
            "2026-04-03T14:45:00Z", // Apr 4, 01:45 +11
            "2026-04-04T14:45:00Z", // Apr 5, 01:45 +11, first pass; not again at 15:15Z
            "2026-04-05T15:15:00Z", // Apr 6, 01:45 +10:30
        ],
    );
}

#[test]
fn lord_howe_wildcard_jobs_run_in_both_passes_of_the_half_hour_fold() {
    // 02:00 +11 never shows on the clock: the hourly job waits ninety minutes, 01:00 to 02:00.
    assert_runs(
        "0 * * * *",
        Australia::Lord_Howe,
        utc(2026, 4, 4, 12, 45, 0),
        &[
            "2026-04-04T13:00:00Z", // 00:00 +11
            "2026-04-04T14:00:00Z", // 01:00 +11
            "2026-04-04T15:30:00Z", // 02:00 +10:30
            "2026-04-04T16:30:00Z", // 03:00 +10:30
        ],
    );
    assert_runs(
        "*/30 * * * *",
        Australia::Lord_Howe,
        utc(2026, 4, 4, 13, 45, 0),
        &[
            "2026-04-04T14:00:00Z", // 01:00 +11
            "2026-04-04T14:30:00Z", // 01:30 +11
            "2026-04-04T15:00:00Z", // 01:30 +10:30
            "2026-04-04T15:30:00Z", // 02:00 +10:30
            "2026-04-04T16:00:00Z", // 02:30 +10:30
        ],
    );
}

#[test]
fn instants_strictly_increase_and_chain_through_every_transition() {
    // The runtime asks for the next instant after the last scheduled one, so each instant must
    // lead to the next and never repeat or go back, whatever the clock does.
    let transitions = [
        (America::New_York, utc(2026, 3, 8, 7, 0, 0)),
        (America::New_York, utc(2026, 11, 1, 6, 0, 0)),
        (Europe::Berlin, utc(2026, 3, 29, 1, 0, 0)),
        (Europe::Berlin, utc(2026, 10, 25, 1, 0, 0)),
        (Australia::Lord_Howe, utc(2026, 10, 3, 15, 30, 0)),
        (Australia::Lord_Howe, utc(2026, 4, 4, 15, 0, 0)),
    ];
    let expressions = [
        "* * * * *",
        "*/30 * * * *",
        "0 * * * *",
        "15,45 * * * *",
        "*/15 2 * * *",
        "30 2 * * *",
        "30 1 * * *",
        "15 2 * * *",
        "45 1 * * *",
        "0 1-3 * * *",
        "0 0-59/20 0-4 * * *",
        "*/20 * 0-4 * * *",
    ];
    for (tz, transition) in transitions {
        let from = transition - TimeDelta::days(2);
        let until = transition + TimeDelta::days(2);
        for expr in expressions {
            let schedule = schedule(expr, tz);
            let mut previous = from;
            let mut count = 0_u32;
            for instant in schedule.after(from).take_while(|&instant| instant <= until) {
                assert!(
                    instant > previous,
                    "`{expr}` in {tz}: {instant} does not come after {previous}"
                );
                assert_eq!(
                    schedule.next_after(previous),
                    Some(instant),
                    "`{expr}` in {tz}: next_after({previous}) skips or repeats"
                );
                previous = instant;
                count += 1;
            }
            assert!(count > 0, "`{expr}` in {tz} never ran around {transition}");
        }
    }
}
