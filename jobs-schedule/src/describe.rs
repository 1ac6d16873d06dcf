//! Schedules in plain English for an operator: `at 09:30, Monday through Friday, Europe/Berlin`.
//!
//! Times of day are described from the set of seconds the expression selects, not from its text,
//! so `0,30 9-17 * * *` and `*/30 9-17 * * *` read the same and a description cannot claim a
//! regularity the set does not have. When a set has no short, exact description, the part falls
//! back to the fields as written (`second */10, minute 0-30/5, hour 9-17`): plainer, never wrong.

use crate::duration::format_duration;
use crate::expr::{Expr, FIELD_NAMES};
use chrono_tz::Tz;
use std::time::Duration;

pub(crate) const WEEKDAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

pub(crate) const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Weekdays in the order an operator reads a week, so that `Fri-Sun` is one run.
const WEEK_ORDER: [u32; 7] = [1, 2, 3, 4, 5, 6, 0];

const NTH: [&str; 6] = ["", "first", "second", "third", "fourth", "fifth"];

const DAY: u32 = 86_400;

/// More times than this are described as a rhythm (`every 15 minutes`), not listed.
const LISTED_TIMES: usize = 4;

pub(crate) fn describe_interval(millis: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (86_400_000, "day"),
        (3_600_000, "hour"),
        (60_000, "minute"),
        (1_000, "second"),
        (1, "millisecond"),
    ];
    // One unit reads as words; a mix such as 1h30m keeps the compact form the user wrote.
    for (size, name) in UNITS {
        if millis >= size {
            return if millis % size == 0 {
                format!("every {}", count(millis / size, name))
            } else {
                format!("every {}", format_duration(Duration::from_millis(millis)))
            };
        }
    }
    format!("every {}", format_duration(Duration::from_millis(millis)))
}

pub(crate) fn describe_cron(expr: &Expr, tz: Tz) -> String {
    let (time, whole_day) = describe_time(expr).unwrap_or_else(|| (time_fields(expr), false));
    let mut parts = vec![time];
    let months = bits(u64::from(expr.months()), 1, 12);
    let days = describe_days(expr, &months);
    let month_named = matches!(days, Days::OnDate(_));
    match days {
        Days::Every if !whole_day => parts.push("every day".to_owned()),
        Days::Every => {}
        Days::On(text) | Days::OnDate(text) => parts.push(text),
    }
    if months.len() < 12 && !month_named {
        parts.push(format!("in {}", describe_months(&months)));
    }
    if let Some(years) = expr.years() {
        let items: Vec<String> = years
            .iter()
            .map(|range| match (range.start == range.end, range.step) {
                (true, _) => range.start.to_string(),
                (false, 1) => format!("{} through {}", range.start, range.end),
                (false, step) => format!(
                    "every {} year from {} through {}",
                    ordinal(step),
                    range.start,
                    range.end
                ),
            })
            .collect();
        parts.push(format!("in {}", join_and(&items)));
    }
    parts.push(tz.name().to_owned());
    parts.join(", ")
}

/// The time of day, and whether it already says how often the day is covered (`every hour`), in
/// which case `every day` would only repeat it.
fn describe_time(expr: &Expr) -> Option<(String, bool)> {
    let seconds = bits(expr.seconds(), 0, 59);
    let minutes = bits(expr.minutes(), 0, 59);
    let hours = bits(u64::from(expr.hours()), 0, 23);
    // Describe the shortest period the set repeats in: a minute, an hour or a day.
    let (period, values) = if hours.len() == 24 && minutes.len() == 60 {
        (60, seconds)
    } else if hours.len() == 24 {
        (3600, product(&minutes, 60, &seconds))
    } else {
        (DAY, product(&product(&hours, 60, &minutes), 60, &seconds))
    };
    describe_period(period, &values)
}

fn product(outer: &[u32], size: u32, inner: &[u32]) -> Vec<u32> {
    outer
        .iter()
        .flat_map(|&o| inner.iter().map(move |&i| o * size + i))
        .collect()
}

fn describe_period(period: u32, values: &[u32]) -> Option<(String, bool)> {
    let (&first, &last) = (values.first()?, values.last()?);
    let step = if values.len() == 1 {
        period
    } else {
        values[1] - first
    };
    let arithmetic = values.windows(2).all(|pair| pair[1] - pair[0] == step);
    // The rhythm carries on across the period's end: 0, 15, 30, 45 in an hour, 23:45 to 00:00.
    let whole = arithmetic && first < step && last + step == period + first;
    let every = format!("every {}", unit(step));
    let with_seconds = values.iter().any(|v| v % 60 != 0);
    let listed = values.len() <= LISTED_TIMES;
    // Within a minute or an hour a rhythm reads better (`every 15 minutes`); a few times of day
    // read better listed (`at 00:00 and 12:00`).
    if whole && first == 0 && (period < DAY || !listed) {
        return Some((every, true));
    }
    let text = match period {
        60 => {
            let second = |v: u32| v.to_string();
            if listed {
                let word = if values.len() == 1 {
                    "second"
                } else {
                    "seconds"
                };
                format!("every minute at {word} {}", list(values, second))
            } else if whole {
                format!("{every} from second {first}")
            } else {
                format!(
                    "{} of every minute",
                    runs(values, |v| format!("second {v}"))?
                )
            }
        }
        3600 => {
            let minute = |v: u32| match v % 60 {
                0 => format!("minute {}", v / 60),
                s => format!("minute {}, second {s}", v / 60),
            };
            if listed && !with_seconds {
                let word = if values.len() == 1 {
                    "minute"
                } else {
                    "minutes"
                };
                format!(
                    "every hour at {word} {}",
                    list(values, |v| (v / 60).to_string())
                )
            } else if values.len() == 1 {
                format!("every hour at {}", minute(first))
            } else if whole {
                format!("{every} from {}", minute(first))
            } else if with_seconds {
                return None;
            } else {
                format!("{} of every hour", runs(values, minute)?)
            }
        }
        _ => {
            let time = |v: u32| clock(v, with_seconds);
            if listed {
                return Some((format!("at {}", list(values, time)), false));
            } else if whole {
                format!("{every} from {}", time(first))
            } else {
                return Some((runs(values, time)?, false));
            }
        }
    };
    Some((text, true))
}

/// `every 15 minutes from 09:00 through 11:45 and from 14:00 through 17:45`: stretches with one
/// rhythm, at most three of them.
fn runs(values: &[u32], show: impl Fn(u32) -> String) -> Option<String> {
    let step = values.get(1)? - values[0];
    let mut spans = Vec::new();
    let mut start = 0;
    for index in 1..=values.len() {
        if index == values.len() || values[index] - values[index - 1] != step {
            if index - start < 2 {
                return None;
            }
            spans.push(format!(
                "from {} through {}",
                show(values[start]),
                show(values[index - 1])
            ));
            start = index;
        }
    }
    (spans.len() <= 3).then(|| format!("every {} {}", unit(step), join_and(&spans)))
}

/// The time fields as written, for sets that have no short description.
fn time_fields(expr: &Expr) -> String {
    let first = usize::from(!expr.has_seconds());
    (first..3)
        .map(|index| format!("{} {}", FIELD_NAMES[index], expr.field_text(index)))
        .collect::<Vec<_>>()
        .join(", ")
}

enum Days {
    Every,
    On(String),
    /// Names the month too (`on January 1`), which then needs no part of its own.
    OnDate(String),
}

fn describe_days(expr: &Expr, months: &[u32]) -> Days {
    let month_days = expr.days_of_month();
    let weekdays = expr.days_of_week();
    let all_month_days = month_days.mask == u32::MAX << 1;
    let all_weekdays = weekdays.mask & 0x7f == 0x7f;
    let by_month = (!all_month_days).then(|| month_day_parts(expr));
    let by_week = (!all_weekdays).then(|| weekday_phrase(expr));
    if expr.either_day() {
        // Either field matching is enough, so a field that matches every day makes it every day.
        return match (by_month, by_week) {
            (Some(Some(month)), Some(week)) => {
                Days::On(format!("on {month} of the month or {week}"))
            }
            (Some(None), Some(_)) => Days::On(format!(
                "on day-of-month {} or day-of-week {}",
                expr.field_text(3),
                expr.field_text(5)
            )),
            _ => Days::Every,
        };
    }
    match (by_month, by_week) {
        (None, None) => Days::Every,
        (None, Some(week)) => Days::On(week),
        (Some(Some(month)), None) => {
            let plain = month_days.before_last == 0
                && month_days.nearest_weekday == 0
                && !month_days.last_weekday;
            let values = bits(u64::from(month_days.mask), 1, 31);
            if plain && months.len() == 1 && values.len() <= 3 {
                let month = MONTH_NAMES[months[0] as usize - 1];
                let days = list(&values, |v| v.to_string());
                Days::OnDate(format!("on {month} {days}"))
            } else {
                Days::On(format!("on {month} of the month"))
            }
        }
        (Some(None), None) => Days::On(format!("on day-of-month {}", expr.field_text(3))),
        // Both restricted without the OR rule (a day field such as `*/2`): both must match.
        (Some(_), Some(_)) => Days::On(format!(
            "on days matching both day-of-month {} and day-of-week {}",
            expr.field_text(3),
            expr.field_text(5)
        )),
    }
}

/// `day 1`, `days 1 through 7`, `the last day`, `the weekday nearest day 15`, joined; `None` when
/// the plain days have no short description.
fn month_day_parts(expr: &Expr) -> Option<String> {
    let days = expr.days_of_month();
    let mut parts = Vec::new();
    let values = bits(u64::from(days.mask), 1, 31);
    if !values.is_empty() {
        parts.push(numbers("day", "days", &values)?);
    }
    for before in bits(u64::from(days.before_last), 0, 30) {
        parts.push(match before {
            0 => "the last day".to_owned(),
            1 => "the day before the last day".to_owned(),
            n => format!("the {} day before the last day", ordinal(n)),
        });
    }
    if days.last_weekday {
        parts.push("the last weekday".to_owned());
    }
    for target in bits(u64::from(days.nearest_weekday), 1, 31) {
        parts.push(format!("the weekday nearest day {target}"));
    }
    Some(join_and(&parts))
}

/// `day 1`, `days 1 and 15`, `days 1 through 7`, `every 2nd day from day 1 through 31`.
fn numbers(one: &str, many: &str, values: &[u32]) -> Option<String> {
    if let [value] = values {
        return Some(format!("{one} {value}"));
    }
    let step = values[1] - values[0];
    let arithmetic = values.windows(2).all(|pair| pair[1] - pair[0] == step);
    if arithmetic && values.len() >= 3 {
        let (first, last) = (values[0], values[values.len() - 1]);
        return Some(if step == 1 {
            format!("{many} {first} through {last}")
        } else {
            format!(
                "every {} {one} from {one} {first} through {last}",
                ordinal(step)
            )
        });
    }
    let items = number_runs(values, |v| v.to_string());
    (items.len() <= 8).then(|| format!("{many} {}", join_and(&items)))
}

/// Consecutive values of three or more as `a through b`, the others one by one.
fn number_runs(values: &[u32], show: impl Fn(u32) -> String) -> Vec<String> {
    let mut items = Vec::new();
    let mut start = 0;
    for index in 1..=values.len() {
        if index == values.len() || values[index] != values[index - 1] + 1 {
            if index - start >= 3 {
                items.push(format!(
                    "{} through {}",
                    show(values[start]),
                    show(values[index - 1])
                ));
            } else {
                items.extend(values[start..index].iter().map(|&v| show(v)));
            }
            start = index;
        }
    }
    items
}

/// `Monday through Friday`, `on Mondays and Thursdays`, `on the first Monday of the month`.
fn weekday_phrase(expr: &Expr) -> String {
    let weekdays = expr.days_of_week();
    let mut parts = Vec::new();
    let plain: Vec<u32> = WEEK_ORDER
        .into_iter()
        .filter(|&w| weekdays.mask & (1 << w) != 0)
        .collect();
    let positions: Vec<u32> = plain
        .iter()
        .filter_map(|w| WEEK_ORDER.iter().position(|o| o == w))
        .filter_map(|p| u32::try_from(p).ok())
        .collect();
    let one_run = positions.windows(2).all(|pair| pair[1] == pair[0] + 1);
    if plain.len() >= 3 && one_run {
        parts.push(format!(
            "{} through {}",
            WEEKDAY_NAMES[plain[0] as usize],
            WEEKDAY_NAMES[plain[plain.len() - 1] as usize]
        ));
    } else if !plain.is_empty() {
        let names: Vec<String> = plain
            .iter()
            .map(|&w| format!("{}s", WEEKDAY_NAMES[w as usize]))
            .collect();
        parts.push(format!("on {}", join_and(&names)));
    }
    let mut of_month = Vec::new();
    for weekday in WEEK_ORDER {
        let name = WEEKDAY_NAMES[weekday as usize];
        let nth = bits(u64::from(weekdays.nth[weekday as usize]), 1, 5);
        if !nth.is_empty() {
            let ordinals: Vec<String> = nth.iter().map(|&n| NTH[n as usize].to_owned()).collect();
            of_month.push(format!("the {} {name}", join_and(&ordinals)));
        }
        if weekdays.last & (1 << weekday) != 0 {
            of_month.push(format!("the last {name}"));
        }
    }
    if !of_month.is_empty() {
        parts.push(format!("on {} of the month", join_and(&of_month)));
    }
    parts.join(" and ")
}

fn describe_months(months: &[u32]) -> String {
    join_and(&number_runs(months, |m| {
        MONTH_NAMES[m as usize - 1].to_owned()
    }))
}

/// The values from `min` to `max` whose bit is set.
fn bits(mask: u64, min: u32, max: u32) -> Vec<u32> {
    (min..=max).filter(|&v| mask & (1 << v) != 0).collect()
}

fn list(values: &[u32], show: impl Fn(u32) -> String) -> String {
    join_and(&values.iter().map(|&v| show(v)).collect::<Vec<_>>())
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A second of the day as `09:30`, or `09:30:15` when any time in the same sentence has seconds.
fn clock(second_of_day: u32, with_seconds: bool) -> String {
    let (h, m, s) = (
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    );
    if with_seconds {
        format!("{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}")
    }
}

/// A step in seconds in its largest whole unit: `minute`, `15 minutes`, `2 hours`.
fn unit(seconds: u32) -> String {
    let (amount, name) = if seconds % 3600 == 0 {
        (seconds / 3600, "hour")
    } else if seconds % 60 == 0 {
        (seconds / 60, "minute")
    } else {
        (seconds, "second")
    };
    count(u64::from(amount), name)
}

fn count(amount: u64, name: &str) -> String {
    if amount == 1 {
        name.to_owned()
    } else {
        format!("{amount} {name}s")
    }
}

pub(crate) fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use crate::{Schedule, Tz};
    use std::time::Duration;

    fn describe(expr: &str, tz: Tz) -> String {
        Schedule::parse(expr).unwrap().with_timezone(tz).describe()
    }

    #[test]
    fn times_of_day_read_as_english() {
        let berlin = Tz::Europe__Berlin;
        let utc = Tz::UTC;
        for (expr, tz, expected) in [
            (
                "30 9 * * Mon-Fri",
                berlin,
                "at 09:30, Monday through Friday, Europe/Berlin",
            ),
            ("0 0 * * *", utc, "at 00:00, every day, UTC"),
            ("@daily", utc, "at 00:00, every day, UTC"),
            ("@hourly", utc, "every hour, UTC"),
            ("@weekly", utc, "at 00:00, on Sundays, UTC"),
            ("@monthly", utc, "at 00:00, on day 1 of the month, UTC"),
            ("@yearly", utc, "at 00:00, on January 1, UTC"),
            ("* * * * *", utc, "every minute, UTC"),
            ("* * * * * *", utc, "every second, UTC"),
            ("*/10 * * * * *", utc, "every 10 seconds, UTC"),
            ("30 * * * * *", utc, "every minute at second 30, UTC"),
            ("*/15 * * * *", utc, "every 15 minutes, UTC"),
            ("0 */5 * * * *", utc, "every 5 minutes, UTC"),
            ("30 * * * *", utc, "every hour at minute 30, UTC"),
            ("0,10 * * * *", utc, "every hour at minutes 0 and 10, UTC"),
            ("5/15 * * * *", utc, "every hour at minutes 5, 20, 35 and 50, UTC"),
            ("2/5 * * * *", utc, "every 5 minutes from minute 2, UTC"),
            (
                "0-30 * * * *",
                utc,
                "every minute from minute 0 through minute 30 of every hour, UTC",
            ),
            ("0 */2 * * *", utc, "every 2 hours, UTC"),
            ("0 1-23/2 * * *", utc, "every 2 hours from 01:00, UTC"),
            ("0 9,17 * * *", utc, "at 09:00 and 17:00, every day, UTC"),
            ("0 0,12 * * *", utc, "at 00:00 and 12:00, every day, UTC"),
            (
                "0 */6 * * *",
                utc,
                "at 00:00, 06:00, 12:00 and 18:00, every day, UTC",
            ),
            (
                "*/7 * * * *",
                utc,
                "every 7 minutes from minute 0 through minute 56 of every hour, UTC",
            ),
            (
                "*/15 9-17 * * Mon-Fri",
                utc,
                "every 15 minutes from 09:00 through 17:45, Monday through Friday, UTC",
            ),
            (
                "0 9-17 * * *",
                utc,
                "every hour from 09:00 through 17:00, every day, UTC",
            ),
            (
                "*/30 9,17 * * *",
                utc,
                "at 09:00, 09:30, 17:00 and 17:30, every day, UTC",
            ),
            (
                "*/15 9,17 * * *",
                utc,
                "every 15 minutes from 09:00 through 09:45 and from 17:00 through 17:45, every day, UTC",
            ),
            ("15 30 9 * * *", utc, "at 09:30:15, every day, UTC"),
            (
                "*/10 30 9 * * *",
                utc,
                "every 10 seconds from 09:30:00 through 09:30:50, every day, UTC",
            ),
            (
                "*/10 0-30/5 9-17 * * *",
                utc,
                "second */10, minute 0-30/5, hour 9-17, every day, UTC",
            ),
        ] {
            assert_eq!(describe(expr, tz), expected, "`{expr}`");
        }
    }

    #[test]
    fn days_months_and_years_read_as_english() {
        let utc = Tz::UTC;
        for (expr, tz, expected) in [
            (
                "0 9 * Jan,Jul *",
                utc,
                "at 09:00, every day, in January and July, UTC",
            ),
            (
                "0 9 1 Jan-Mar,Oct-Dec *",
                utc,
                "at 09:00, on day 1 of the month, in January through March and October through December, UTC",
            ),
            ("0 9 1,15 * *", utc, "at 09:00, on days 1 and 15 of the month, UTC"),
            ("0 9 1-7 * *", utc, "at 09:00, on days 1 through 7 of the month, UTC"),
            (
                "0 9 */2 * *",
                utc,
                "at 09:00, on every 2nd day from day 1 through 31 of the month, UTC",
            ),
            ("0 0 L * *", utc, "at 00:00, on the last day of the month, UTC"),
            (
                "0 0 L-3 * *",
                utc,
                "at 00:00, on the 3rd day before the last day of the month, UTC",
            ),
            ("0 0 LW * *", utc, "at 00:00, on the last weekday of the month, UTC"),
            (
                "0 0 15W * *",
                utc,
                "at 00:00, on the weekday nearest day 15 of the month, UTC",
            ),
            (
                "0 0 * * Mon#2",
                utc,
                "at 00:00, on the second Monday of the month, UTC",
            ),
            (
                "0 0 * * Mon#1,Mon#3,FriL",
                utc,
                "at 00:00, on the first and third Monday and the last Friday of the month, UTC",
            ),
            ("0 0 * * Sat,Sun", utc, "at 00:00, on Saturdays and Sundays, UTC"),
            ("0 0 * * Fri-Sun", utc, "at 00:00, Friday through Sunday, UTC"),
            (
                "0 0 1 * Mon",
                utc,
                "at 00:00, on day 1 of the month or on Mondays, UTC",
            ),
            (
                "0 0 13 * Fri",
                utc,
                "at 00:00, on day 13 of the month or on Fridays, UTC",
            ),
            // `1-31` matches every day, and either field is enough.
            ("0 0 1-31 * Mon", utc, "at 00:00, every day, UTC"),
            (
                "0 0 */2 * Mon",
                utc,
                "at 00:00, on days matching both day-of-month */2 and day-of-week Mon, UTC",
            ),
            (
                "0 0 12 * * * 2027",
                utc,
                "at 12:00, every day, in 2027, UTC",
            ),
            (
                "0 0 12 1 1 * 2027-2030,2040-2050/5",
                utc,
                "at 12:00, on January 1, in 2027 through 2030 and every 5th year from 2040 through 2050, UTC",
            ),
        ] {
            assert_eq!(describe(expr, tz), expected, "`{expr}`");
        }
    }

    #[test]
    fn intervals_read_in_one_unit_and_name_no_zone() {
        for (seconds, expected) in [
            (10, "every 10 seconds"),
            (1, "every second"),
            (300, "every 5 minutes"),
            (3600, "every hour"),
            (7200, "every 2 hours"),
            (86_400, "every day"),
            (5400, "every 1h30m"),
        ] {
            let schedule = Schedule::every(Duration::from_secs(seconds)).unwrap();
            assert_eq!(schedule.describe(), expected);
        }
        let half = Schedule::every(Duration::from_millis(500)).unwrap();
        assert_eq!(half.describe(), "every 500 milliseconds");
    }

    #[test]
    fn ordinals() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101]
            .map(super::ordinal)
            .into();
        assert_eq!(
            got,
            ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"]
        );
    }
}
