//! Whether an instant is one of a schedule's, and if not, why: for an operator asking "why did my
//! job not run at 09:30 on Saturday?".
//!
//! The evaluator decides what a tick is (`at` is one exactly when `next_after` of the instant
//! before it returns `at`); this module only finds the words. It reads the instant's wall-clock
//! time in the schedule's zone and names the coarsest field that excludes it; when every field
//! matches, daylight saving is the reason.

use crate::describe::{describe_interval, join_and, ordinal, MONTH_NAMES, WEEKDAY_NAMES};
use crate::eval::{first_instant_where, offset_at};
use crate::expr::{Expr, FIELD_NAMES, MAX_YEAR, MIN_YEAR};
use crate::Schedule;
use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone,
    Timelike, Utc,
};
use chrono_tz::Tz;

/// What [`Schedule::explain`] found out about an instant.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Explanation {
    /// The instant is one of the schedule's.
    Tick {
        /// What daylight saving did to this tick, when it did something: a fixed-time schedule
        /// whose time the clocks skipped runs at the first instant after the jump, and the note
        /// says which time it stands for; in a fall-back fold it says which pass this is.
        note: Option<String>,
    },
    /// The instant is not one of the schedule's.
    NoTick(NoTick),
}

/// Why an instant is not one of a schedule's; see [`Schedule::explain`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NoTick {
    /// The cron field that excludes the instant (`"second"`, `"minute"`, `"hour"`,
    /// `"day-of-month"`, `"month"`, `"day-of-week"` or `"year"`), the coarsest when several do.
    /// `None` when no field does: a fraction of a second, a fall-back fold, or an interval.
    pub field: Option<&'static str>,
    /// The reason as data.
    pub reason: NoTickReason,
    /// The schedule's last instant before the one explained, if it has one.
    pub previous: Option<DateTime<Utc>>,
    /// The schedule's first instant after the one explained, if it has one.
    pub next: Option<DateTime<Utc>>,
    /// A spring-forward gap next to the instant that removed times the schedule names: the
    /// answer to "where did 02:30 go?".
    pub gap: Option<Gap>,
    /// The explanation in one sentence, such as ``no tick: `30 9 * * Mon-Fri` does not match
    /// Saturday 2026-12-05 09:30 Europe/Berlin: day-of-week Saturday is not in Mon-Fri``.
    pub sentence: String,
}

/// Why an instant is not one of a schedule's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoTickReason {
    /// The field named in [`NoTick::field`] does not allow the instant's value.
    Field {
        /// The instant's value in the schedule's zone: `"9"`, `"Saturday"`, `"December"`.
        value: String,
        /// The field as written in the expression, such as `"Mon-Fri"`.
        allowed: String,
    },
    /// Both day fields are restricted, so a day matching either would do (the Vixie cron rule),
    /// and the day matches neither.
    NeitherDay {
        /// The day of the month, such as `"5"`.
        day_of_month: String,
        /// The day-of-month field as written.
        allowed_days_of_month: String,
        /// The weekday, such as `"Saturday"`.
        day_of_week: String,
        /// The day-of-week field as written.
        allowed_days_of_week: String,
    },
    /// The wall-clock time happens twice as the clocks fall back, the instant is the second
    /// pass, and a fixed-time schedule runs only on the first.
    Fold {
        /// The first pass, when the schedule ran.
        first_pass: DateTime<Utc>,
    },
    /// An interval's ticks are whole multiples of it since the Unix epoch; this is none.
    Interval,
    /// Cron instants are whole seconds; this one has a fraction.
    Fraction,
}

/// Times a spring-forward gap removed; see [`NoTick::gap`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Gap {
    /// The wall-clock times the schedule names that the clocks skipped, in order.
    pub skipped: Vec<NaiveDateTime>,
    /// Where a fixed-time schedule ran them instead: the first instant after the jump. `None` for
    /// a wildcard schedule, which skips them.
    pub ran_at: Option<DateTime<Utc>>,
}

/// A spring-forward or fall-back transition: the wall-clock time before and after.
struct Transition {
    before: String,
    after: String,
}

pub(crate) fn explain_interval(schedule: &Schedule, millis: u64, at: DateTime<Utc>) -> Explanation {
    if schedule.next_after(at - TimeDelta::nanoseconds(1)) == Some(at) {
        return Explanation::Tick { note: None };
    }
    let previous = previous_interval(millis, at);
    let next = schedule.next_after(at);
    let near = |other: DateTime<Utc>| near(other, at, Tz::UTC);
    let neighbours = match (previous, next) {
        (Some(previous), Some(next)) => format!(
            "; the previous is {} and the next {}",
            near(previous),
            near(next)
        ),
        (Some(previous), None) => format!("; the last is {}", near(previous)),
        (None, Some(next)) => format!("; the first is {}", near(next)),
        (None, None) => String::new(),
    };
    let sentence = format!(
        "{}: its ticks are whole multiples of {} since the Unix epoch{neighbours}",
        opening(&schedule.to_string(), at, Tz::UTC),
        describe_interval(millis).trim_start_matches("every "),
    );
    Explanation::NoTick(NoTick {
        field: None,
        reason: NoTickReason::Interval,
        previous,
        next,
        gap: None,
        sentence,
    })
}

/// The last multiple of the interval strictly before `at`.
fn previous_interval(millis: u64, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let period = i64::try_from(millis).ok()?;
    let whole_millis = at.timestamp_millis();
    let mut previous = whole_millis.div_euclid(period) * period;
    if previous == whole_millis && at.timestamp_subsec_nanos() % 1_000_000 == 0 {
        previous = previous.checked_sub(period)?;
    }
    DateTime::from_timestamp_millis(previous)
}

pub(crate) fn explain_cron(
    schedule: &Schedule,
    expr: &Expr,
    tz: Tz,
    at: DateTime<Utc>,
) -> Explanation {
    let second = at.with_nanosecond(0).unwrap_or(at);
    // A leap second's nanoseconds run past 10^9: not a whole second either.
    let whole = at.nanosecond() == 0;
    if whole && schedule.next_after(at - TimeDelta::seconds(1)) == Some(at) {
        return Explanation::Tick {
            note: tick_note(expr, tz, at),
        };
    }
    let previous = previous_cron(schedule, at);
    let next = schedule.next_after(at);
    let opening = opening(expr.written(), at, tz);
    if !whole {
        let one = if schedule.next_after(second - TimeDelta::seconds(1)) == Some(second) {
            format!(" ({} is one)", near(second, at, tz))
        } else {
            String::new()
        };
        let sentence = format!("{opening}: cron instants are whole seconds{one}");
        return Explanation::NoTick(NoTick {
            field: None,
            reason: NoTickReason::Fraction,
            previous,
            next,
            gap: None,
            sentence,
        });
    }
    let wall = at.with_timezone(&tz).naive_local();
    if let Some((field, reason, detail)) = excluding_field(expr, wall) {
        let gap = gap_near(schedule, expr, tz, at, previous, next);
        let mut sentence = format!("{opening}: {detail}");
        if let Some((gap, transition)) = &gap {
            sentence.push_str(&gap_clause(gap, transition, at, tz));
        }
        return Explanation::NoTick(NoTick {
            field: Some(field),
            reason,
            previous,
            next,
            gap: gap.map(|(gap, _)| gap),
            sentence,
        });
    }
    // Every field matches the wall-clock time, so daylight saving left the instant out, and only
    // a fold can: a time in a gap has no instant to explain. A wall-clock time with one instant,
    // or the first pass of two, is the first candidate the evaluator tries after `at - 1s`, and it
    // returns it (see eval.rs); only a second pass can be left out.
    let first_pass = match tz.from_local_datetime(&wall) {
        LocalResult::Ambiguous(first, second) if second == at => first.with_timezone(&Utc),
        _ => unreachable!("{opening}: every field matches, outside the second pass of a fold"),
    };
    let transition = fold(tz, first_pass, at);
    let time = hm(wall.time());
    let rule = if expr.fixed_time {
        "a fixed-time schedule runs only on the first pass"
    } else {
        "this is the second pass"
    };
    let sentence = format!(
        "{opening}: {time} happens twice as the clocks fall back from {} to {}, and {rule}: it \
         ran at {time} {}",
        transition.before,
        transition.after,
        first_pass.with_timezone(&tz).format("%Z")
    );
    Explanation::NoTick(NoTick {
        field: None,
        reason: NoTickReason::Fold { first_pass },
        previous,
        next,
        gap: None,
        sentence,
    })
}

/// The schedule's last instant strictly before `at`: an exponential search back for an instant
/// whose next tick comes before `at`, then a binary search for the latest such second.
fn previous_cron(schedule: &Schedule, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let before = |t: i64| {
        DateTime::from_timestamp(t, 0)
            .and_then(|t| schedule.next_after(t))
            .is_some_and(|next| next < at)
    };
    let earliest = DateTime::<Utc>::MIN_UTC.timestamp();
    let mut high = at.timestamp();
    let mut low;
    let mut stride: i64 = 1;
    loop {
        low = high.saturating_sub(stride).max(earliest);
        if before(low) {
            break;
        }
        if low == earliest {
            return None;
        }
        high = low;
        stride = stride.saturating_mul(2);
    }
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if before(middle) {
            low = middle;
        } else {
            high = middle;
        }
    }
    schedule.next_after(DateTime::from_timestamp(low, 0)?)
}

/// The coarsest field that excludes `wall`: year, month, day, hour, minute, second.
fn excluding_field(
    expr: &Expr,
    wall: NaiveDateTime,
) -> Option<(&'static str, NoTickReason, String)> {
    let field = |index: usize, value: String, extra: String| {
        let allowed = expr.field_text(index);
        let detail = format!(
            "{} {value} {} {allowed}{extra}",
            FIELD_NAMES[index],
            if is_single(index, allowed) {
                "is not"
            } else {
                "is not in"
            }
        );
        let reason = NoTickReason::Field {
            value,
            allowed: allowed.to_owned(),
        };
        Some((FIELD_NAMES[index], reason, detail))
    };
    let date = wall.date();
    let year = date.year();
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        let detail =
            format!("year {year} is not in {MIN_YEAR}-{MAX_YEAR}, the years schedules run in");
        let reason = NoTickReason::Field {
            value: year.to_string(),
            allowed: format!("{MIN_YEAR}-{MAX_YEAR}"),
        };
        return Some((FIELD_NAMES[6], reason, detail));
    }
    if !expr.year_matches(year) {
        return field(6, year.to_string(), String::new());
    }
    let month = date.month();
    if expr.months() & (1 << month) == 0 {
        return field(4, month_name(date).to_owned(), String::new());
    }
    let weekday = WEEKDAY_NAMES[date.weekday().num_days_from_sunday() as usize];
    let by_month_day = expr.month_day_matches(date);
    let by_weekday = expr.weekday_matches(date);
    if expr.either_day() && !by_month_day && !by_weekday {
        let (days, weekdays) = (expr.field_text(3), expr.field_text(5));
        let detail = format!(
            "day-of-month {} {} {days} and day-of-week {weekday} {} {weekdays} (with both day \
             fields restricted, a day matching either would do)",
            date.day(),
            if is_single(3, days) {
                "is not"
            } else {
                "is not in"
            },
            if is_single(5, weekdays) {
                "is not"
            } else {
                "is not in"
            },
        );
        let reason = NoTickReason::NeitherDay {
            day_of_month: date.day().to_string(),
            allowed_days_of_month: days.to_owned(),
            day_of_week: weekday.to_owned(),
            allowed_days_of_week: weekdays.to_owned(),
        };
        return Some((FIELD_NAMES[3], reason, detail));
    }
    if !expr.either_day() && !by_month_day {
        let extra = matching_days(expr.field_text(3), "LW", date, |d| {
            expr.month_day_matches(d)
        });
        return field(3, date.day().to_string(), extra);
    }
    if !expr.either_day() && !by_weekday {
        let extra = matching_days(expr.field_text(5), "L#", date, |d| expr.weekday_matches(d));
        return field(5, weekday.to_owned(), extra);
    }
    let checks = [
        (2, u64::from(expr.hours()), wall.hour()),
        (1, expr.minutes(), wall.minute()),
        (0, expr.seconds(), wall.second()),
    ];
    for (index, mask, value) in checks {
        if mask & (1 << value) == 0 {
            return field(index, value.to_string(), String::new());
        }
    }
    None
}

/// For `L`, `W`, `#` and `5L`, whose days change from month to month: which days they are in
/// this one.
fn matching_days(
    allowed: &str,
    markers: &str,
    date: NaiveDate,
    matches: impl Fn(NaiveDate) -> bool,
) -> String {
    if !allowed
        .to_ascii_uppercase()
        .contains(|c| markers.contains(c))
    {
        return String::new();
    }
    let days: Vec<String> = date
        .with_day(1)
        .into_iter()
        .flat_map(|first| first.iter_days())
        .take_while(|d| d.month() == date.month())
        .filter(|&d| matches(d))
        .map(|d| format!("the {}", ordinal(d.day())))
        .collect();
    let month = format!("{} {}", month_name(date), date.year());
    match days.len() {
        0 => format!(", which no day of {month} matches"),
        1 => format!(": in {month} that is {}", days[0]),
        _ => format!(": in {month} those are {}", join_and(&days)),
    }
}

/// Whether field `index` as written is one plain value (`9`, `Mon`, `Jul`), which reads as "is
/// not 9". A trailing `L` or `W` is a day form only in the day fields: `Jul` is one month.
fn is_single(index: usize, allowed: &str) -> bool {
    let day_form = (index == 3 || index == 5) && allowed.to_ascii_uppercase().ends_with(['L', 'W']);
    !allowed.contains([',', '-', '/', '*', '?', '#']) && !day_form
}

/// The note on a tick that daylight saving moved or doubled.
fn tick_note(expr: &Expr, tz: Tz, at: DateTime<Utc>) -> Option<String> {
    let wall = at.with_timezone(&tz).naive_local();
    if let LocalResult::Ambiguous(first, second) = tz.from_local_datetime(&wall) {
        let (first, second) = (first.with_timezone(&Utc), second.with_timezone(&Utc));
        let transition = fold(tz, first, second);
        let time = hm(wall.time());
        let pass = if at == first { "first" } else { "second" };
        let rule = if expr.fixed_time {
            "a fixed-time schedule runs only on the first"
        } else {
            "a wildcard schedule runs on both"
        };
        return Some(format!(
            "{time} happens twice as the clocks fall back from {} to {}: this is the {pass} pass, and {rule}",
            transition.before, transition.after
        ));
    }
    let before = at - TimeDelta::seconds(1);
    if !expr.fixed_time || offset_at(tz, before) >= offset_at(tz, at) {
        return None;
    }
    let (skipped, transition) = skipped_times(expr, tz, at)?;
    let times = times(&skipped);
    Some(format!(
        "stands for {times}, which the clocks skip on {} when they jump from {} to {}",
        skipped[0].date(),
        transition.before,
        transition.after
    ))
}

/// The spring-forward gap between the neighbours of `at` (within a day of it) that removed some of
/// the schedule's times.
fn gap_near(
    schedule: &Schedule,
    expr: &Expr,
    tz: Tz,
    at: DateTime<Utc>,
    previous: Option<DateTime<Utc>>,
    next: Option<DateTime<Utc>>,
) -> Option<(Gap, Transition)> {
    // From just before the previous tick, so that a fixed-time tick at the jump itself counts.
    let low = previous
        .map_or(at, |p| p - TimeDelta::seconds(1))
        .max(at - TimeDelta::days(1));
    let high = next.unwrap_or(at).min(at + TimeDelta::days(1));
    let offset = offset_at(tz, low);
    if offset_at(tz, high) <= offset {
        return None;
    }
    let jump = first_instant_where(low, high, |t| offset_at(tz, t) > offset)?;
    let (skipped, transition) = skipped_times(expr, tz, jump)?;
    let ran_at = (expr.fixed_time
        && schedule.next_after(jump - TimeDelta::seconds(1)) == Some(jump))
    .then_some(jump);
    Some((Gap { skipped, ran_at }, transition))
}

/// The schedule's wall-clock times that the jump at `jump` removed; `None` when it removed none.
fn skipped_times(
    expr: &Expr,
    tz: Tz,
    jump: DateTime<Utc>,
) -> Option<(Vec<NaiveDateTime>, Transition)> {
    let before = jump - TimeDelta::seconds(1);
    let from = before.naive_utc() + offset_at(tz, before) + TimeDelta::seconds(1);
    let until = jump.naive_utc() + offset_at(tz, jump);
    let mut skipped = Vec::new();
    let mut cursor = from;
    while let Some(time) = expr.next_match(cursor).filter(|&t| t < until) {
        skipped.push(time);
        cursor = time + TimeDelta::seconds(1);
    }
    if skipped.is_empty() {
        return None;
    }
    let transition = Transition {
        before: format!(
            "{} {}",
            hm(from.time()),
            before.with_timezone(&tz).format("%Z")
        ),
        after: format!(
            "{} {}",
            hm(until.time()),
            jump.with_timezone(&tz).format("%Z")
        ),
    };
    Some((skipped, transition))
}

/// `; 02:30 does not exist on 2026-03-29, when the clocks jump from 02:00 CET to 03:00 CEST, so
/// the schedule runs at 03:00 CEST instead`.
fn gap_clause(gap: &Gap, transition: &Transition, at: DateTime<Utc>, tz: Tz) -> String {
    let one = gap.skipped.len() == 1;
    let outcome = match gap.ran_at {
        Some(ran_at) => format!("runs at {} instead", near_with_zone(ran_at, at, tz)),
        None if one => "skips it".to_owned(),
        None => "skips them".to_owned(),
    };
    format!(
        "; {} {} not exist on {}, when the clocks jump from {} to {}, so the schedule {outcome}",
        times(&gap.skipped),
        if one { "does" } else { "do" },
        gap.skipped[0].date(),
        transition.before,
        transition.after,
    )
}

/// The fall-back transition between the two passes `first` and `second` of a wall-clock time.
fn fold(tz: Tz, first: DateTime<Utc>, second: DateTime<Utc>) -> Transition {
    let offset = offset_at(tz, first);
    let back = first_instant_where(first, second, |t| offset_at(tz, t) < offset).unwrap_or(second);
    let before = back - TimeDelta::seconds(1);
    let clock = |wall: NaiveDateTime, at: DateTime<Utc>| {
        format!(
            "{} {}",
            wall.format("%H:%M"),
            at.with_timezone(&tz).format("%Z")
        )
    };
    Transition {
        before: clock(back.naive_utc() + offset, before),
        after: clock(back.naive_utc() + offset_at(tz, back), back),
    }
}

/// `Saturday 2026-12-05 09:30 Europe/Berlin`, after the expression.
fn opening(expression: &str, at: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    let time = if at.nanosecond() != 0 {
        local.format("%H:%M:%S%.f").to_string()
    } else if local.second() != 0 {
        local.format("%H:%M:%S").to_string()
    } else {
        local.format("%H:%M").to_string()
    };
    format!(
        "no tick: `{expression}` does not match {} {time} {}",
        local.format("%A %Y-%m-%d"),
        tz.name()
    )
}

/// `other` in the zone, with its date only when it is not `at`'s.
fn near(other: DateTime<Utc>, at: DateTime<Utc>, tz: Tz) -> String {
    let (other, at) = (other.with_timezone(&tz), at.with_timezone(&tz));
    let format = match (
        other.date_naive() == at.date_naive(),
        other.nanosecond() != 0,
    ) {
        (true, false) => "%H:%M:%S",
        (true, true) => "%H:%M:%S%.f",
        (false, false) => "%A %Y-%m-%d %H:%M:%S",
        (false, true) => "%A %Y-%m-%d %H:%M:%S%.f",
    };
    other.format(format).to_string()
}

fn near_with_zone(other: DateTime<Utc>, at: DateTime<Utc>, tz: Tz) -> String {
    let local = other.with_timezone(&tz);
    let same_day = local.date_naive() == at.with_timezone(&tz).date_naive();
    let time = if local.second() == 0 {
        local.format("%H:%M")
    } else {
        local.format("%H:%M:%S")
    };
    if same_day {
        format!("{time} {}", local.format("%Z"))
    } else {
        format!("{time} {} on {}", local.format("%Z"), local.date_naive())
    }
}

/// A wall-clock time as `02:30`, or `02:30:15` when it has seconds.
fn hm(time: NaiveTime) -> String {
    if time.second() == 0 {
        time.format("%H:%M").to_string()
    } else {
        time.format("%H:%M:%S").to_string()
    }
}

/// `02:30`, `02:15, 02:30 and 02:45`, `the 60 times from 02:00 through 02:59`.
fn times(skipped: &[NaiveDateTime]) -> String {
    let with_seconds = skipped.iter().any(|t| t.second() != 0);
    let show = |t: &NaiveDateTime| {
        t.format(if with_seconds { "%H:%M:%S" } else { "%H:%M" })
            .to_string()
    };
    match skipped {
        [first, .., last] if skipped.len() > 3 => format!(
            "the {} times from {} through {}",
            skipped.len(),
            show(first),
            show(last)
        ),
        _ => join_and(&skipped.iter().map(show).collect::<Vec<_>>()),
    }
}

fn month_name(date: NaiveDate) -> &'static str {
    MONTH_NAMES[date.month0() as usize]
}

#[cfg(test)]
mod tests {
    use crate::{Explanation, Gap, NoTick, NoTickReason, Schedule, Tz};
    use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
    use std::time::Duration;

    const BERLIN: Tz = Tz::Europe__Berlin;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn explain(expr: &str, tz: Tz, instant: &str) -> Explanation {
        Schedule::parse(expr)
            .unwrap()
            .with_timezone(tz)
            .explain(at(instant))
    }

    fn no_tick(explanation: Explanation) -> NoTick {
        match explanation {
            Explanation::NoTick(why) => why,
            Explanation::Tick { note } => panic!("expected no tick, got a tick ({note:?})"),
        }
    }

    #[test]
    fn names_the_coarsest_excluding_field() {
        let utc = Tz::UTC;
        for (expr, tz, instant, field, sentence) in [
            (
                "30 9 * * Mon-Fri",
                BERLIN,
                "2026-12-05T08:30:00Z",
                "day-of-week",
                "no tick: `30 9 * * Mon-Fri` does not match Saturday 2026-12-05 09:30 Europe/Berlin: day-of-week Saturday is not in Mon-Fri",
            ),
            (
                "30 9 * * Mon-Fri",
                BERLIN,
                "2026-12-04T09:30:00Z",
                "hour",
                "no tick: `30 9 * * Mon-Fri` does not match Friday 2026-12-04 10:30 Europe/Berlin: hour 10 is not 9",
            ),
            (
                "0 9 * * *",
                utc,
                "2026-02-01T09:01:00Z",
                "minute",
                "no tick: `0 9 * * *` does not match Sunday 2026-02-01 09:01 UTC: minute 1 is not 0",
            ),
            (
                "*/10 * * * * *",
                utc,
                "2026-02-01T00:00:05Z",
                "second",
                "no tick: `*/10 * * * * *` does not match Sunday 2026-02-01 00:00:05 UTC: second 5 is not in */10",
            ),
            (
                "0 9 * * *",
                utc,
                "2026-02-01T09:00:30Z",
                "second",
                "no tick: `0 9 * * *` does not match Sunday 2026-02-01 09:00:30 UTC: second 30 is not 0",
            ),
            (
                "0 0 1,15 * *",
                utc,
                "2026-12-05T00:00:00Z",
                "day-of-month",
                "no tick: `0 0 1,15 * *` does not match Saturday 2026-12-05 00:00 UTC: day-of-month 5 is not in 1,15",
            ),
            (
                "0 0 1 Jan,Jul *",
                utc,
                "2026-02-01T00:00:00Z",
                "month",
                "no tick: `0 0 1 Jan,Jul *` does not match Sunday 2026-02-01 00:00 UTC: month February is not in Jan,Jul",
            ),
            (
                "0 0 0 1 1 * 2030",
                utc,
                "2026-01-01T00:00:00Z",
                "year",
                "no tick: `0 0 0 1 1 * 2030` does not match Thursday 2026-01-01 00:00 UTC: year 2026 is not 2030",
            ),
            (
                "0 0 1 Jul *",
                utc,
                "2026-04-01T00:00:00Z",
                "month",
                "no tick: `0 0 1 Jul *` does not match Wednesday 2026-04-01 00:00 UTC: month April is not Jul",
            ),
            (
                // Month, day, hour and minute all exclude it: the month is named.
                "0 9 1 Jan *",
                utc,
                "2026-02-05T10:30:00Z",
                "month",
                "no tick: `0 9 1 Jan *` does not match Thursday 2026-02-05 10:30 UTC: month February is not Jan",
            ),
        ] {
            let why = no_tick(explain(expr, tz, instant));
            assert_eq!(why.field, Some(field), "`{expr}` at {instant}");
            assert_eq!(why.sentence, sentence, "`{expr}` at {instant}");
            assert_eq!(why.gap, None, "`{expr}` at {instant}");
        }
    }

    #[test]
    fn names_the_day_forms_and_the_either_day_rule() {
        let utc = Tz::UTC;
        for (expr, tz, instant, field, sentence) in [
            (
                "0 0 L * *",
                utc,
                "2026-12-30T00:00:00Z",
                "day-of-month",
                "no tick: `0 0 L * *` does not match Wednesday 2026-12-30 00:00 UTC: day-of-month 30 is not in L: in December 2026 that is the 31st",
            ),
            (
                // 2026-11-15 is a Sunday: 15W is Monday the 16th.
                "0 0 15W * *",
                utc,
                "2026-11-15T00:00:00Z",
                "day-of-month",
                "no tick: `0 0 15W * *` does not match Sunday 2026-11-15 00:00 UTC: day-of-month 15 is not in 15W: in November 2026 that is the 16th",
            ),
            (
                "0 0 * * Mon#1",
                utc,
                "2026-12-14T00:00:00Z",
                "day-of-week",
                "no tick: `0 0 * * Mon#1` does not match Monday 2026-12-14 00:00 UTC: day-of-week Monday is not in Mon#1: in December 2026 that is the 7th",
            ),
            (
                "0 0 * * FriL",
                utc,
                "2026-12-18T00:00:00Z",
                "day-of-week",
                "no tick: `0 0 * * FriL` does not match Friday 2026-12-18 00:00 UTC: day-of-week Friday is not in FriL: in December 2026 that is the 25th",
            ),
            (
                "0 0 * * Mon#1,Mon#3",
                utc,
                "2026-12-14T00:00:00Z",
                "day-of-week",
                "no tick: `0 0 * * Mon#1,Mon#3` does not match Monday 2026-12-14 00:00 UTC: day-of-week Monday is not in Mon#1,Mon#3: in December 2026 those are the 7th and the 21st",
            ),
            (
                "0 0 1 * Mon",
                utc,
                "2026-12-05T00:00:00Z",
                "day-of-month",
                "no tick: `0 0 1 * Mon` does not match Saturday 2026-12-05 00:00 UTC: day-of-month 5 is not 1 and day-of-week Saturday is not Mon (with both day fields restricted, a day matching either would do)",
            ),
            (
                "0 9 * * *",
                utc,
                "1969-02-01T09:00:00Z",
                "year",
                "no tick: `0 9 * * *` does not match Saturday 1969-02-01 09:00 UTC: year 1969 is not in 1970-9999, the years schedules run in",
            ),
        ] {
            let why = no_tick(explain(expr, tz, instant));
            assert_eq!(why.field, Some(field), "`{expr}` at {instant}");
            assert_eq!(why.sentence, sentence, "`{expr}` at {instant}");
        }
    }

    #[test]
    fn a_field_reason_carries_the_value_and_the_field_as_written() {
        let why = no_tick(explain("30 9 * * Mon-Fri", BERLIN, "2026-12-05T08:30:00Z"));
        assert_eq!(
            why.reason,
            NoTickReason::Field {
                value: "Saturday".to_owned(),
                allowed: "Mon-Fri".to_owned()
            }
        );
        assert_eq!(why.previous, Some(at("2026-12-04T08:30:00Z")));
        assert_eq!(why.next, Some(at("2026-12-07T08:30:00Z")));
        let why = no_tick(explain("0 0 1 * Mon", Tz::UTC, "2026-12-05T00:00:00Z"));
        assert_eq!(
            why.reason,
            NoTickReason::NeitherDay {
                day_of_month: "5".to_owned(),
                allowed_days_of_month: "1".to_owned(),
                day_of_week: "Saturday".to_owned(),
                allowed_days_of_week: "Mon".to_owned(),
            }
        );
        // Either day field is enough: the 1st and any Monday are ticks.
        for instant in ["2026-12-01T00:00:00Z", "2026-12-07T00:00:00Z"] {
            assert_eq!(
                explain("0 0 1 * Mon", Tz::UTC, instant),
                Explanation::Tick { note: None }
            );
        }
        let never = no_tick(explain("0 0 0 1 1 * 2030", Tz::UTC, "2031-01-01T00:00:00Z"));
        assert_eq!(never.previous, Some(at("2030-01-01T00:00:00Z")));
        assert_eq!(never.next, None);
    }

    #[test]
    fn a_fixed_time_in_a_gap_runs_after_the_jump_and_says_so() {
        // 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST (01:00Z), and 02:30 never happens.
        assert_eq!(
            explain("30 2 * * *", BERLIN, "2026-03-29T01:00:00Z"),
            Explanation::Tick {
                note: Some(
                    "stands for 02:30, which the clocks skip on 2026-03-29 when they jump from \
                     02:00 CET to 03:00 CEST"
                        .to_owned()
                )
            }
        );
        let why = no_tick(explain("30 2 * * *", BERLIN, "2026-03-29T01:30:00Z"));
        assert_eq!(why.field, Some("hour"));
        assert_eq!(
            why.sentence,
            "no tick: `30 2 * * *` does not match Sunday 2026-03-29 03:30 Europe/Berlin: hour 3 is \
             not 2; 02:30 does not exist on 2026-03-29, when the clocks jump from 02:00 CET to \
             03:00 CEST, so the schedule runs at 03:00 CEST instead"
        );
        assert_eq!(
            why.gap,
            Some(Gap {
                skipped: vec![local("2026-03-29T02:30:00")],
                ran_at: Some(at("2026-03-29T01:00:00Z")),
            })
        );
        assert_eq!(why.previous, Some(at("2026-03-29T01:00:00Z")));
        // The day before, the gap is ahead.
        let why = no_tick(explain("30 2 * * *", BERLIN, "2026-03-28T12:00:00Z"));
        assert!(
            why.sentence
                .ends_with("so the schedule runs at 03:00 CEST on 2026-03-29 instead"),
            "{}",
            why.sentence
        );
    }

    #[test]
    fn a_wildcard_schedule_skips_the_gap_and_says_so() {
        for instant in ["2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z"] {
            assert_eq!(
                explain("30 * * * *", BERLIN, instant),
                Explanation::Tick { note: None }
            );
        }
        let why = no_tick(explain("30 * * * *", BERLIN, "2026-03-29T01:00:00Z"));
        assert_eq!(why.field, Some("minute"));
        assert_eq!(
            why.sentence,
            "no tick: `30 * * * *` does not match Sunday 2026-03-29 03:00 Europe/Berlin: minute 0 \
             is not 30; 02:30 does not exist on 2026-03-29, when the clocks jump from 02:00 CET to \
             03:00 CEST, so the schedule skips it"
        );
        assert_eq!(
            why.gap,
            Some(Gap {
                skipped: vec![local("2026-03-29T02:30:00")],
                ran_at: None,
            })
        );
        // Many skipped times are counted, not listed.
        let why = no_tick(explain("*/10 * * * * *", BERLIN, "2026-03-29T01:00:05Z"));
        assert_eq!(why.gap.map(|gap| gap.skipped.len()), Some(360));
        assert!(
            why.sentence.contains(
                "; the 360 times from 02:00:00 through 02:59:50 do not exist on 2026-03-29"
            ),
            "{}",
            why.sentence
        );
    }

    #[test]
    fn a_fixed_time_runs_on_the_first_pass_of_a_fold() {
        // 2026-10-25 in Berlin: 03:00 CEST falls back to 02:00 CET (01:00Z), so 02:30 happens at
        // 00:30Z and again at 01:30Z.
        let Explanation::Tick { note: Some(note) } =
            explain("30 2 * * *", BERLIN, "2026-10-25T00:30:00Z")
        else {
            panic!("the first pass is a tick with a note");
        };
        assert_eq!(
            note,
            "02:30 happens twice as the clocks fall back from 03:00 CEST to 02:00 CET: this is \
             the first pass, and a fixed-time schedule runs only on the first"
        );
        let why = no_tick(explain("30 2 * * *", BERLIN, "2026-10-25T01:30:00Z"));
        assert_eq!(why.field, None);
        assert_eq!(
            why.reason,
            NoTickReason::Fold {
                first_pass: at("2026-10-25T00:30:00Z")
            }
        );
        assert_eq!(
            why.sentence,
            "no tick: `30 2 * * *` does not match Sunday 2026-10-25 02:30 Europe/Berlin: 02:30 \
             happens twice as the clocks fall back from 03:00 CEST to 02:00 CET, and a fixed-time \
             schedule runs only on the first pass: it ran at 02:30 CEST"
        );
        assert_eq!(why.previous, Some(at("2026-10-25T00:30:00Z")));
        assert_eq!(why.next, Some(at("2026-10-26T01:30:00Z")));
    }

    #[test]
    fn a_wildcard_schedule_runs_on_both_passes_of_a_fold() {
        for (instant, pass) in [
            ("2026-10-25T00:30:00Z", "first"),
            ("2026-10-25T01:30:00Z", "second"),
        ] {
            let note = format!(
                "02:30 happens twice as the clocks fall back from 03:00 CEST to 02:00 CET: this \
                 is the {pass} pass, and a wildcard schedule runs on both"
            );
            assert_eq!(
                explain("30 * * * *", BERLIN, instant),
                Explanation::Tick { note: Some(note) }
            );
        }
    }

    #[test]
    fn interval_ticks_are_multiples_since_the_epoch() {
        let every = Schedule::every(Duration::from_secs(10)).unwrap();
        let why = no_tick(every.explain(at("2026-01-01T09:30:05Z")));
        assert_eq!((why.field, &why.reason), (None, &NoTickReason::Interval));
        assert_eq!(why.previous, Some(at("2026-01-01T09:30:00Z")));
        assert_eq!(why.next, Some(at("2026-01-01T09:30:10Z")));
        assert_eq!(
            why.sentence,
            "no tick: `every 10s` does not match Thursday 2026-01-01 09:30:05 UTC: its ticks are \
             whole multiples of 10 seconds since the Unix epoch; the previous is 09:30:00 and the \
             next 09:30:10"
        );
        assert_eq!(
            every.explain(at("2026-01-01T09:30:10Z")),
            Explanation::Tick { note: None }
        );
        let why = no_tick(every.explain(at("2026-01-01T09:30:10.5Z")));
        assert_eq!(why.previous, Some(at("2026-01-01T09:30:10Z")));
        let half = Schedule::every(Duration::from_millis(500)).unwrap();
        assert_eq!(
            half.explain(at("2026-01-01T09:30:10.5Z")),
            Explanation::Tick { note: None }
        );
    }

    #[test]
    fn cron_instants_are_whole_seconds() {
        let why = no_tick(explain("0 9 * * *", Tz::UTC, "2026-02-01T09:00:00.5Z"));
        assert_eq!((why.field, &why.reason), (None, &NoTickReason::Fraction));
        assert_eq!(
            why.sentence,
            "no tick: `0 9 * * *` does not match Sunday 2026-02-01 09:00:00.500 UTC: cron instants \
             are whole seconds (09:00:00 is one)"
        );
        assert_eq!(why.previous, Some(at("2026-02-01T09:00:00Z")));
        assert_eq!(why.next, Some(at("2026-02-02T09:00:00Z")));
    }

    /// Around every transition of 2026 in three zones, the explanation agrees with the evaluator:
    /// a tick exactly when `next_after` returns the instant, and the neighbours it names are the
    /// evaluator's.
    #[test]
    fn agrees_with_the_evaluator_across_transitions() {
        let zones = [
            (
                Tz::Europe__Berlin,
                ["2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"],
            ),
            (
                Tz::America__New_York,
                ["2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z"],
            ),
            (
                Tz::Australia__Lord_Howe,
                ["2026-04-04T15:00:00Z", "2026-10-03T15:30:00Z"],
            ),
        ];
        let expressions = [
            "30 2 * * *",
            "0,30 1,2 * * *",
            "30 * * * *",
            "0,50 * * * *",
            "*/7 * * * *",
            "15 */5 1-3 * * *",
        ];
        for (tz, transitions) in zones {
            for expr in expressions {
                let schedule = Schedule::parse(expr).unwrap().with_timezone(tz);
                for transition in transitions {
                    let start = at(transition) - TimeDelta::hours(3);
                    for step in 0..=72 {
                        let instant = start + TimeDelta::minutes(5 * step);
                        let tick = schedule.next_after(instant - TimeDelta::seconds(1));
                        match schedule.explain(instant) {
                            Explanation::Tick { .. } => {
                                assert_eq!(tick, Some(instant), "`{expr}` {tz} {instant}");
                            }
                            Explanation::NoTick(why) => {
                                assert_ne!(tick, Some(instant), "`{expr}` {tz} {instant}");
                                assert_eq!(why.next, schedule.next_after(instant));
                                let previous = why.previous.unwrap();
                                assert!(previous < instant);
                                assert_eq!(schedule.next_after(previous), why.next);
                            }
                        }
                    }
                }
            }
        }
    }

    fn local(text: &str) -> NaiveDateTime {
        text.parse().unwrap()
    }
}
