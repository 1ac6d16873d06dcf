//! Feeds arbitrary UTF-8 to `Schedule::parse`; whatever parses must evaluate at the edges of
//! time without panicking, stop after 9999, and print as an expression with the same instants.

#![no_main]

use chrono::{DateTime, TimeZone, Utc};
use jobs_schedule::Schedule;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Raw bytes rather than `&str` from `arbitrary`, so corpus files are the expressions verbatim.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(schedule) = Schedule::parse(text) else {
        return;
    };

    let last_second = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
    let starts = [
        DateTime::<Utc>::MIN_UTC,
        Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap(),
        DateTime::UNIX_EPOCH,
        Utc.with_ymd_and_hms(2024, 2, 29, 12, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 58).unwrap(),
        last_second,
        last_second + chrono::TimeDelta::nanoseconds(999_999_999),
        DateTime::<Utc>::MAX_UTC,
    ];
    for &t in &starts {
        let mut previous = t;
        for next in schedule.after(t).take(3) {
            assert!(
                next > previous,
                "{text:?}: {next} does not follow {previous}"
            );
            assert!(next <= last_second, "{text:?}: {next} is after 9999");
            previous = next;
        }
    }
    assert_eq!(schedule.next_after(last_second), None, "{text:?}");

    let shown = schedule.to_string();
    let reparsed = Schedule::parse(&shown)
        .unwrap_or_else(|e| panic!("{text:?} displays as {shown:?}, which does not parse: {e}"));
    for &t in &starts[1..5] {
        assert_eq!(
            reparsed.after(t).take(3).collect::<Vec<_>>(),
            schedule.after(t).take(3).collect::<Vec<_>>(),
            "{text:?} displays as {shown:?}, which runs differently after {t}"
        );
    }
});
