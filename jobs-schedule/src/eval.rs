//! From a parsed expression and a zone to UTC instants, with cronie's daylight-saving policy.
//!
//! The calendar search ([`Expr::next_match`]) works on local wall-clock times; this module maps
//! them to instants. Away from a transition a local time is one instant. In a spring-forward gap
//! it is none: fixed-time schedules run at the first instant after the jump, wildcard schedules
//! skip it. In a fall-back fold it is two: fixed-time schedules take the first, wildcard
//! schedules both.

use crate::expr::Expr;
use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

const SECOND: TimeDelta = TimeDelta::seconds(1);

pub(crate) fn next_interval(millis: u64, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let period = i64::try_from(millis).ok()?;
    let next = after
        .timestamp_millis()
        .div_euclid(period)
        .checked_add(1)?
        .checked_mul(period)?;
    DateTime::from_timestamp_millis(next)
}

pub(crate) fn next_after(expr: &Expr, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // Whole seconds: the first candidate is the next whole second, which is strictly after
    // `after` whatever its fraction.
    let after = after.with_nanosecond_floor();
    if tz == Tz::UTC {
        let next = expr.next_match(after.naive_utc().checked_add_signed(SECOND)?)?;
        return Some(next.and_utc());
    }
    let offset = offset_at(tz, after);
    let local = after.naive_utc().checked_add_signed(offset)?;
    let first = first_instant(expr, tz, after, local)?;
    if expr.fixed_time {
        return Some(first);
    }
    // A wildcard schedule also runs in the second pass of a fold. When `after` is in the first
    // pass (or just before the fold), local times at or before `local` come round again after
    // `after`, and one of them may come before `first`.
    let offset_then = offset_at(tz, first);
    if offset_then >= offset {
        return Some(first);
    }
    let fold_start = first_instant_where(after, first, |t| offset_at(tz, t) < offset)?;
    let second_pass = expr.next_match(fold_start.naive_utc().checked_add_signed(offset_then)?)?;
    if second_pass > local {
        return Some(first);
    }
    let repeated = second_pass.checked_sub_signed(offset_then)?.and_utc();
    Some(if repeated > after {
        repeated.min(first)
    } else {
        first
    })
}

/// The first instant after `after` that a local time after `local` maps to.
fn first_instant(
    expr: &Expr,
    tz: Tz,
    after: DateTime<Utc>,
    local: NaiveDateTime,
) -> Option<DateTime<Utc>> {
    let mut from = local.checked_add_signed(SECOND)?;
    loop {
        let candidate = expr.next_match(from)?;
        let instant = match tz.from_local_datetime(&candidate) {
            LocalResult::Single(at) => Some(at.with_timezone(&Utc)),
            LocalResult::Ambiguous(first, second) => {
                let (first, second) = (first.with_timezone(&Utc), second.with_timezone(&Utc));
                if first > after {
                    Some(first)
                } else if !expr.fixed_time {
                    Some(second)
                } else {
                    None
                }
            }
            LocalResult::None if expr.fixed_time => jump_over(tz, candidate),
            LocalResult::None => None,
        };
        match instant {
            Some(at) if at > after => return Some(at),
            _ => from = candidate.checked_add_signed(SECOND)?,
        }
    }
}

/// The first instant after the spring-forward jump that skipped the local time `missing`.
fn jump_over(tz: Tz, missing: NaiveDateTime) -> Option<DateTime<Utc>> {
    // Offsets lie within -12h..+14h, so the jump lies in this window; the local clock passes
    // `missing` exactly at the jump.
    let missing_as_utc = missing.and_utc();
    let low = missing_as_utc.checked_sub_signed(TimeDelta::hours(15))?;
    let high = missing_as_utc.checked_add_signed(TimeDelta::hours(13))?;
    first_instant_where(low, high, |t| {
        t.naive_utc()
            .checked_add_signed(offset_at(tz, t))
            .is_some_and(|wall| wall > missing)
    })
}

/// The first whole second in `(low, high]` where `reached` holds, for a `reached` that is false
/// at `low` and stays true once it holds (a single transition in the window).
pub(crate) fn first_instant_where(
    mut low: DateTime<Utc>,
    mut high: DateTime<Utc>,
    reached: impl Fn(DateTime<Utc>) -> bool,
) -> Option<DateTime<Utc>> {
    if !reached(high) {
        return None;
    }
    while (high - low) > SECOND {
        let middle = low + TimeDelta::seconds((high - low).num_seconds() / 2);
        if reached(middle) {
            high = middle;
        } else {
            low = middle;
        }
    }
    Some(high)
}

pub(crate) fn offset_at(tz: Tz, at: DateTime<Utc>) -> TimeDelta {
    let seconds = tz
        .offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc();
    TimeDelta::seconds(i64::from(seconds))
}

trait FloorSecond {
    fn with_nanosecond_floor(self) -> Self;
}

impl FloorSecond for DateTime<Utc> {
    fn with_nanosecond_floor(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Schedule;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn run(expr: &str, tz: Tz, from: &str, n: usize) -> Vec<String> {
        Schedule::parse(expr)
            .unwrap()
            .with_timezone(tz)
            .after(at(from))
            .take(n)
            .map(|t| t.to_rfc3339())
            .collect()
    }

    #[test]
    fn weekdays_count_from_sunday_zero() {
        // 2026-11-23 is a Monday.
        assert_eq!(
            run("0 9 * * 1", Tz::UTC, "2026-11-20T12:00:00Z", 1),
            ["2026-11-23T09:00:00+00:00"]
        );
        assert_eq!(
            run("0 9 * * 0", Tz::UTC, "2026-11-20T12:00:00Z", 1),
            ["2026-11-22T09:00:00+00:00"]
        );
        assert_eq!(
            run("0 9 * * 7", Tz::UTC, "2026-11-20T12:00:00Z", 1),
            ["2026-11-22T09:00:00+00:00"]
        );
        assert_eq!(
            run("0 9 * * Fri-Sun", Tz::UTC, "2026-11-20T12:00:00Z", 3),
            [
                "2026-11-21T09:00:00+00:00",
                "2026-11-22T09:00:00+00:00",
                "2026-11-27T09:00:00+00:00"
            ]
        );
    }

    #[test]
    fn either_day_field_matches_when_both_are_restricted() {
        // The 13th or any Friday. 2026-11-13 is a Friday; 2026-12-13 a Sunday.
        assert_eq!(
            run("0 0 13 * 5", Tz::UTC, "2026-11-20T00:00:00Z", 3),
            [
                "2026-11-27T00:00:00+00:00",
                "2026-12-04T00:00:00+00:00",
                "2026-12-11T00:00:00+00:00"
            ]
        );
        assert_eq!(
            // February has no 31st, but its Sundays match.
            run("0 0 31 2 0", Tz::UTC, "2026-11-20T00:00:00Z", 2),
            ["2027-02-07T00:00:00+00:00", "2027-02-14T00:00:00+00:00"]
        );
    }

    #[test]
    fn last_nearest_and_nth_days() {
        assert_eq!(
            run("0 0 L 2 *", Tz::UTC, "2027-01-01T00:00:00Z", 2),
            ["2027-02-28T00:00:00+00:00", "2028-02-29T00:00:00+00:00"]
        );
        // 2026-11-30 is a Monday; LW of January 2027: the 31st is a Sunday, so Friday the 29th.
        assert_eq!(
            run("0 0 LW * *", Tz::UTC, "2026-11-20T00:00:00Z", 3),
            [
                "2026-11-30T00:00:00+00:00",
                "2026-12-31T00:00:00+00:00",
                "2027-01-29T00:00:00+00:00"
            ]
        );
        // 2026-11-01 is a Sunday: 1W moves forward to Monday the 2nd; 2027-05-01 is a Saturday:
        // 1W moves forward to Monday the 3rd, never into April.
        assert_eq!(
            run("0 0 1W 11 *", Tz::UTC, "2026-01-01T00:00:00Z", 1),
            ["2026-11-02T00:00:00+00:00"]
        );
        assert_eq!(
            run("0 0 1W 5 *", Tz::UTC, "2027-01-01T00:00:00Z", 1),
            ["2027-05-03T00:00:00+00:00"]
        );
        assert_eq!(
            run("0 0 L-2 11 *", Tz::UTC, "2026-01-01T00:00:00Z", 1),
            ["2026-11-28T00:00:00+00:00"]
        );
        assert_eq!(
            run("0 0 * * FriL", Tz::UTC, "2026-11-01T00:00:00Z", 2),
            ["2026-11-27T00:00:00+00:00", "2026-12-25T00:00:00+00:00"]
        );
        assert_eq!(
            run("0 0 * * Mon#1", Tz::UTC, "2026-11-20T00:00:00Z", 2),
            ["2026-12-07T00:00:00+00:00", "2027-01-04T00:00:00+00:00"]
        );
    }

    #[test]
    fn spring_forward_gap() {
        let ny = Tz::America__New_York;
        // 2026-03-08 02:00 EST jumps to 03:00 EDT (07:00Z).
        assert_eq!(
            run("30 2 * * *", ny, "2026-03-07T12:00:00Z", 3),
            [
                "2026-03-08T07:00:00+00:00",
                "2026-03-09T06:30:00+00:00",
                "2026-03-10T06:30:00+00:00"
            ]
        );
        assert_eq!(
            run("30 * * * *", ny, "2026-03-08T05:00:00Z", 3),
            [
                "2026-03-08T05:30:00+00:00",
                "2026-03-08T06:30:00+00:00",
                "2026-03-08T07:30:00+00:00"
            ]
        );
    }

    #[test]
    fn fall_back_fold() {
        let ny = Tz::America__New_York;
        // 2026-11-01 02:00 EDT falls back to 01:00 EST: 01:30 happens at 05:30Z and 06:30Z.
        assert_eq!(
            run("30 1 * * *", ny, "2026-10-31T12:00:00Z", 2),
            ["2026-11-01T05:30:00+00:00", "2026-11-02T06:30:00+00:00"]
        );
        assert_eq!(
            run("30 * * * *", ny, "2026-11-01T04:00:00Z", 4),
            [
                "2026-11-01T04:30:00+00:00",
                "2026-11-01T05:30:00+00:00",
                "2026-11-01T06:30:00+00:00",
                "2026-11-01T07:30:00+00:00"
            ]
        );
        // From inside the first pass, the second pass of an earlier minute comes next.
        assert_eq!(
            run("0,50 * * * *", ny, "2026-11-01T05:55:00Z", 3),
            [
                "2026-11-01T06:00:00+00:00",
                "2026-11-01T06:50:00+00:00",
                "2026-11-01T07:00:00+00:00"
            ]
        );
    }

    #[test]
    fn intervals_align_to_the_epoch() {
        let schedule = Schedule::every(std::time::Duration::from_secs(7)).unwrap();
        let next = schedule.next_after(at("2026-01-01T00:00:00.5Z")).unwrap();
        assert_eq!(next.timestamp() % 7, 0);
        assert!(next > at("2026-01-01T00:00:00.5Z"));
        assert!(Schedule::every(std::time::Duration::ZERO).is_err());
    }

    #[test]
    fn ends_after_the_last_year_without_panicking() {
        let schedule = Schedule::parse("0 0 1 1 *").unwrap();
        assert_eq!(schedule.next_after(at("9999-06-01T00:00:00Z")), None);
        assert_eq!(schedule.next_after(DateTime::<Utc>::MAX_UTC), None);
        let berlin = schedule.with_timezone(Tz::Europe__Berlin);
        assert_eq!(berlin.next_after(DateTime::<Utc>::MAX_UTC), None);
        // Schedules start in 1970: midnight of 1970-01-01 in Berlin.
        assert_eq!(
            berlin.next_after(DateTime::<Utc>::MIN_UTC),
            Some(at("1969-12-31T23:00:00Z"))
        );
        let every = Schedule::every(std::time::Duration::from_secs(1)).unwrap();
        assert_eq!(every.next_after(DateTime::<Utc>::MAX_UTC), None);
    }
}
