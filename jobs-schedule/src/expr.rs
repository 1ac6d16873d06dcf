//! The cron grammar: text to field sets, and field sets to matching local dates and times.
//!
//! Fields are kept as bit masks, so that matching a date or finding the next matching time of day
//! is a few shifts instead of a walk over sorted sets.

use crate::ParseError;
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use std::fmt::{self, Write as _};

/// No instants after this year: chrono reaches further, but nobody schedules that far ahead, and
/// the bound keeps every search finite.
pub(crate) const MAX_YEAR: i32 = 9999;
pub(crate) const MIN_YEAR: i32 = 1970;

/// Full names; each is also accepted by its first three letters (see [`spells`]).
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

const MACROS: [(&str, &str); 7] = [
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

/// A parsed cron expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Expr {
    seconds: u64,
    minutes: u64,
    hours: u32,
    months: u16,
    days: DaysOfMonth,
    weekdays: DaysOfWeek,
    /// `None` when the expression has no year field or it is `*`.
    years: Option<Vec<Range>>,
    /// The Vixie rule: when both day fields are restricted, a day matching either one matches.
    either_day: bool,
    /// Neither minute nor hour starts with `*` or `?`: cronie's fixed-time jobs, for DST.
    pub(crate) fixed_time: bool,
    /// The normalised text that `Display` prints.
    text: String,
    /// The expression as the user wrote it, for descriptions and explanations.
    written: Written,
}

/// The names of the seven fields, in the order of [`Expr::field_text`].
pub(crate) const FIELD_NAMES: [&str; 7] = [
    "second",
    "minute",
    "hour",
    "day-of-month",
    "month",
    "day-of-week",
    "year",
];

/// The expression and its fields as written (`Mon-Fri`, not `1-5`): messages quote what the user
/// typed. A 5-field expression's second is `0` and a missing year `*`.
#[derive(Clone, Debug)]
struct Written {
    expression: Box<str>,
    /// The seven fields, one space apart (a field holds no space): one allocation instead of
    /// seven, since a process may hold a hundred thousand schedules.
    fields: Box<str>,
    has_seconds: bool,
}

/// Two spellings of one schedule (`Mon` and `1`, `@daily` and `0 0 * * *`) are the same schedule:
/// equality stays about meaning, as it was before the written text was kept.
impl PartialEq for Written {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Written {}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DaysOfMonth {
    /// Bit `d` for day `d` (1-31).
    pub(crate) mask: u32,
    /// Bit `n` for `L-n` (`L` is `L-0`).
    pub(crate) before_last: u32,
    /// Bit `d` for `dW`.
    pub(crate) nearest_weekday: u32,
    pub(crate) last_weekday: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DaysOfWeek {
    /// Bit `w` for weekday `w`, Sunday = 0.
    pub(crate) mask: u8,
    /// For weekday `w`, bit `n` for `w#n`.
    pub(crate) nth: [u8; 7],
    /// Bit `w` for `wL`, the last such weekday of the month.
    pub(crate) last: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Range {
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) step: u32,
}

impl Range {
    fn contains(self, value: u32) -> bool {
        (self.start..=self.end).contains(&value) && (value - self.start) % self.step == 0
    }
}

/// What one field accepts: its name in messages, its bounds, and its names for values.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// First value of `names`.
    names_from: u32,
}

const SECOND: Field = Field::numeric("second", 0, 59);
const MINUTE: Field = Field::numeric("minute", 0, 59);
const HOUR: Field = Field::numeric("hour", 0, 23);
const DAY_OF_MONTH: Field = Field::numeric("day-of-month", 1, 31);
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &MONTHS,
    names_from: 1,
};
const DAY_OF_WEEK: Field = Field {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: &WEEKDAYS,
    names_from: 0,
};
#[allow(clippy::cast_sign_loss, reason = "both bounds are positive constants")]
const YEAR: Field = Field::numeric("year", MIN_YEAR as u32, MAX_YEAR as u32);

impl Field {
    const fn numeric(name: &'static str, min: u32, max: u32) -> Self {
        Self {
            name,
            min,
            max,
            names: &[],
            names_from: 0,
        }
    }

    fn expected(&self) -> String {
        let names = match self.name {
            "month" => ", a name such as `Jan` or `January`",
            "day-of-week" => ", a name such as `Mon` or `Monday`",
            _ => "",
        };
        format!(
            "expected `*`, a number {}-{}{names}, a range such as `{}-{}`, a step such as `*/{}`, or a list of those",
            self.min,
            self.max,
            self.min,
            self.min + 1,
            if self.max > 12 { 15 } else { 2 },
        )
    }

    fn value(&self, token: &str) -> Result<u32, ParseError> {
        if let Some(index) = self.names.iter().position(|name| spells(name, token)) {
            #[allow(clippy::cast_possible_truncation, reason = "at most 12 names")]
            return Ok(self.names_from + index as u32);
        }
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::new(format!(
                "invalid {} `{token}`: {}",
                self.name,
                self.expected()
            )));
        }
        match token.parse::<u32>() {
            Ok(value) if (self.min..=self.max).contains(&value) => Ok(value),
            _ => Err(ParseError::new(format!(
                "{} {token} is out of range {}-{}",
                self.name, self.min, self.max
            ))),
        }
    }

    /// One list item without the extensions: `*`, `?`, `5`, `1-5`, `*/15`, `5/15`, `1-30/5`.
    fn range(&self, item: &str) -> Result<Range, ParseError> {
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => {
                let parsed = step.parse::<u32>().ok().filter(|&s| s > 0);
                let Some(step) = parsed else {
                    return Err(ParseError::new(format!(
                        "invalid {} step `{item}`: expected a step of 1 or more, such as `*/15`",
                        self.name
                    )));
                };
                (base, Some(step))
            }
            None => (item, None),
        };
        let (start, end) = if base == "*" || base == "?" {
            (self.min, self.max)
        } else if let Some((first, last)) = base.split_once('-') {
            let start = self.value(first)?;
            let mut end = self.value(last)?;
            // `Fri-Sun`: Sunday is 7 when it closes a range.
            if self.name == "day-of-week" && end == 0 && start > 0 {
                end = 7;
            }
            if end < start {
                return Err(ParseError::new(format!(
                    "{} range `{base}` is backwards: write the smaller value first, or a list such as `{last},{first}`",
                    self.name
                )));
            }
            (start, end)
        } else {
            let start = self.value(base)?;
            // `5/15` means from 5 to the end of the field in steps of 15 (Quartz, croner).
            (start, if step.is_some() { self.max } else { start })
        };
        Ok(Range {
            start,
            end,
            step: step.unwrap_or(1),
        })
    }

    fn mask(&self, text: &str) -> Result<(u64, String), ParseError> {
        let mut mask = 0u64;
        let mut normal = Vec::new();
        for item in self.items(text)? {
            let range = self.range(item)?;
            for value in (range.start..=range.end).step_by(range.step as usize) {
                mask |= 1 << value;
            }
            normal.push(normalise(item, range));
        }
        Ok((mask, normal.join(",")))
    }

    fn items<'t>(&self, text: &'t str) -> Result<Vec<&'t str>, ParseError> {
        let items: Vec<&str> = text.split(',').collect();
        if items.iter().any(|item| item.is_empty()) {
            return Err(ParseError::new(format!(
                "invalid {} `{text}`: a list needs a value between every two commas",
                self.name
            )));
        }
        Ok(items)
    }
}

/// Whether `token` is `name` in full or by its first three letters (crontab(5)'s form), in any
/// case. Other prefixes such as `Janu` stay errors: a typo is reported, not guessed at.
fn spells(name: &str, token: &str) -> bool {
    (token.len() == 3 || token.len() == name.len())
        && name
            .get(..token.len())
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(token))
}

/// Writes an item with numbers for names and `*` for `?`, keeping whether it started with `*`
/// (which decides the OR rule).
fn normalise(item: &str, range: Range) -> String {
    let (base, step) = match item.split_once('/') {
        Some((base, _)) => (base, Some(range.step)),
        None => (item, None),
    };
    let mut out = if base.starts_with('*') || base.starts_with('?') {
        "*".to_owned()
    } else if base.contains('-') && (step.is_some() || range.start != range.end) {
        // `4-4/1` must stay a range: `4/1` would mean from 4 to the end of the field.
        format!("{}-{}", range.start, range.end)
    } else {
        range.start.to_string()
    };
    if let Some(step) = step {
        let _ = write!(out, "/{step}");
    }
    out
}

impl Expr {
    pub(crate) fn parse(input: &str) -> Result<Self, ParseError> {
        let trimmed = input.trim();
        let text = if trimmed.starts_with('@') {
            MACROS
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(trimmed))
                .map(|(_, expansion)| *expansion)
                .ok_or_else(|| {
                    ParseError::new(format!(
                        "unknown macro `{trimmed}`: expected one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly"
                    ))
                })?
        } else {
            trimmed
        };
        let fields: Vec<&str> = text.split_whitespace().collect();
        let (second, rest) = match fields.len() {
            5 => ("0", &fields[..]),
            6 | 7 => (fields[0], &fields[1..]),
            0 => {
                return Err(ParseError::new(
                    "empty cron expression: expected 5, 6 or 7 fields such as \"0 9 * * Mon-Fri\", or a macro such as \"@daily\"",
                ))
            }
            n => {
                return Err(ParseError::new(format!(
                    "expected 5, 6 or 7 fields, found {n} in {input:?}: \"minute hour day-of-month month day-of-week\", optionally with seconds first and a year last"
                )))
            }
        };
        let (seconds, second_text) = SECOND.mask(second)?;
        let (minutes, minute_text) = MINUTE.mask(rest[0])?;
        let (hours, hour_text) = HOUR.mask(rest[1])?;
        let (days, day_text) = parse_days_of_month(rest[2])?;
        let (months, month_text) = MONTH.mask(rest[3])?;
        let (weekdays, weekday_text) = parse_days_of_week(rest[4])?;
        let (years, year_text) = match rest.get(5) {
            Some(&text) if text != "*" && text != "?" => {
                let ranges = YEAR
                    .items(text)?
                    .into_iter()
                    .map(|item| YEAR.range(item))
                    .collect::<Result<Vec<_>, _>>()?;
                let normal = YEAR
                    .items(text)?
                    .into_iter()
                    .zip(&ranges)
                    .map(|(item, &range)| normalise(item, range))
                    .collect::<Vec<_>>()
                    .join(",");
                (Some(ranges), Some(normal))
            }
            _ => (None, None),
        };
        let starred = |field: &str| field.starts_with('*') || field.starts_with('?');
        let written = Written {
            expression: trimmed.into(),
            fields: [
                second,
                rest[0],
                rest[1],
                rest[2],
                rest[3],
                rest[4],
                rest.get(5).copied().unwrap_or("*"),
            ]
            .join(" ")
            .into(),
            has_seconds: fields.len() > 5,
        };
        let mut normal = format!(
            "{second_text} {minute_text} {hour_text} {day_text} {month_text} {weekday_text}"
        );
        if let Some(year_text) = year_text {
            normal.push(' ');
            normal.push_str(&year_text);
        }
        #[allow(clippy::cast_possible_truncation, reason = "masks of 24 and 13 bits")]
        let expr = Self {
            seconds,
            minutes,
            hours: hours as u32,
            months: months as u16,
            days,
            weekdays,
            years,
            either_day: !starred(rest[2]) && !starred(rest[4]),
            fixed_time: !starred(rest[0]) && !starred(rest[1]),
            text: normal,
            written,
        };
        expr.check_can_fire(input)?;
        Ok(expr)
    }

    /// Rejects expressions like `0 0 30 2 *`. Without a year field the calendar repeats every 400
    /// years (146 097 days, a whole number of weeks), so one cycle decides.
    fn check_can_fire(&self, input: &str) -> Result<(), ParseError> {
        let start = chrono::DateTime::UNIX_EPOCH.naive_utc();
        let found = match self.years {
            None => self
                .next_match(start)
                .is_some_and(|at| at.year() < MIN_YEAR + 400),
            Some(_) => self.next_match(start).is_some(),
        };
        if found {
            Ok(())
        } else {
            Err(ParseError::new(format!(
                "cron expression {:?} can never fire: no date matches its day, month and year fields",
                input.trim()
            )))
        }
    }

    /// The expression as written, a macro such as `@daily` included.
    pub(crate) fn written(&self) -> &str {
        &self.written.expression
    }

    /// Field `index` (see [`FIELD_NAMES`]) as written: `0` for the second of a 5-field expression,
    /// `*` for a missing year.
    pub(crate) fn field_text(&self, index: usize) -> &str {
        self.written
            .fields
            .split(' ')
            .nth(index)
            .unwrap_or_default()
    }

    /// Whether the expression was written with a second field (6 or 7 fields).
    pub(crate) fn has_seconds(&self) -> bool {
        self.written.has_seconds
    }

    pub(crate) fn seconds(&self) -> u64 {
        self.seconds
    }

    pub(crate) fn minutes(&self) -> u64 {
        self.minutes
    }

    pub(crate) fn hours(&self) -> u32 {
        self.hours
    }

    /// Bit `m` for month `m` (1-12).
    pub(crate) fn months(&self) -> u16 {
        self.months
    }

    pub(crate) fn days_of_month(&self) -> &DaysOfMonth {
        &self.days
    }

    pub(crate) fn days_of_week(&self) -> &DaysOfWeek {
        &self.weekdays
    }

    /// The year field's items; `None` when it is missing or `*`.
    pub(crate) fn years(&self) -> Option<&[Range]> {
        self.years.as_deref()
    }

    /// Whether the Vixie rule applies: both day fields restricted, either one matching is enough.
    pub(crate) fn either_day(&self) -> bool {
        self.either_day
    }

    pub(crate) fn year_matches(&self, year: i32) -> bool {
        let Ok(year) = u32::try_from(year) else {
            return false;
        };
        self.years
            .as_ref()
            .is_none_or(|ranges| ranges.iter().any(|range| range.contains(year)))
    }

    fn day_matches(&self, date: NaiveDate) -> bool {
        let by_month_day = self.month_day_matches(date);
        let by_weekday = self.weekday_matches(date);
        if self.either_day {
            by_month_day || by_weekday
        } else {
            by_month_day && by_weekday
        }
    }

    /// Whether the day-of-month field alone matches `date`.
    pub(crate) fn month_day_matches(&self, date: NaiveDate) -> bool {
        let day = date.day();
        let last = last_day_of_month(date);
        let days = &self.days;
        days.mask & (1 << day) != 0
            || (days.before_last != 0 && day <= last && days.before_last & (1 << (last - day)) != 0)
            || (days.last_weekday && day == nearest_weekday(date, last, last))
            || (days.nearest_weekday != 0 && {
                // A `dW` matches on the weekday nearest to day `d`; only `d` within two days of
                // today can land here.
                (day.saturating_sub(2).max(1)..=(day + 2).min(last)).any(|target| {
                    days.nearest_weekday & (1 << target) != 0
                        && nearest_weekday(date, target, last) == day
                })
            })
    }

    /// Whether the day-of-week field alone matches `date`.
    pub(crate) fn weekday_matches(&self, date: NaiveDate) -> bool {
        let day = date.day();
        let last = last_day_of_month(date);
        let weekday = date.weekday().num_days_from_sunday();
        let weekdays = &self.weekdays;
        weekdays.mask & (1 << weekday) != 0
            || weekdays.nth[weekday as usize] & (1 << day.div_ceil(7)) != 0
            || (weekdays.last & (1 << weekday) != 0 && day + 7 > last)
    }

    /// The first time of day at or after `from` whose second, minute and hour all match.
    fn next_time(&self, from: NaiveTime) -> Option<NaiveTime> {
        use chrono::Timelike;
        let (h0, m0, s0) = (from.hour(), from.minute(), from.second());
        let mut hour = next_bit(u64::from(self.hours), h0)?;
        loop {
            let mut minute = next_bit(self.minutes, if hour == h0 { m0 } else { 0 });
            while let Some(m) = minute {
                let second_from = if hour == h0 && m == m0 { s0 } else { 0 };
                if let Some(second) = next_bit(self.seconds, second_from) {
                    return NaiveTime::from_hms_opt(hour, m, second);
                }
                minute = next_bit(self.minutes, m + 1);
            }
            hour = next_bit(u64::from(self.hours), hour + 1)?;
        }
    }

    /// The first local date and time at or after `from` that every field matches, ignoring time
    /// zones; `None` past [`MAX_YEAR`].
    pub(crate) fn next_match(&self, from: NaiveDateTime) -> Option<NaiveDateTime> {
        let mut date = from.date();
        let mut time = from.time();
        loop {
            let year = date.year();
            if year > MAX_YEAR {
                return None;
            }
            if year < MIN_YEAR {
                date = NaiveDate::from_ymd_opt(MIN_YEAR, 1, 1)?;
                time = NaiveTime::MIN;
                continue;
            }
            if !self.year_matches(year) {
                let next_year = (year + 1..=MAX_YEAR).find(|&y| self.year_matches(y))?;
                date = NaiveDate::from_ymd_opt(next_year, 1, 1)?;
                time = NaiveTime::MIN;
                continue;
            }
            let month = date.month();
            if self.months & (1 << month) == 0 {
                date = match next_bit(u64::from(self.months), month + 1) {
                    Some(next) => NaiveDate::from_ymd_opt(year, next, 1)?,
                    None => NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
                };
                time = NaiveTime::MIN;
                continue;
            }
            if self.day_matches(date) {
                if let Some(at) = self.next_time(time) {
                    return Some(date.and_time(at));
                }
            }
            date = date.succ_opt()?;
            time = NaiveTime::MIN;
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn next_bit(mask: u64, from: u32) -> Option<u32> {
    if from >= 64 {
        return None;
    }
    let rest = mask >> from;
    (rest != 0).then(|| from + rest.trailing_zeros())
}

fn last_day_of_month(date: NaiveDate) -> u32 {
    let (year, month) = (date.year(), date.month());
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    first_of_next
        .and_then(|d| d.pred_opt())
        .map_or(31, |d| d.day())
}

/// The weekday nearest to day `target` of `date`'s month, never leaving the month (Quartz's `W`):
/// a Saturday moves to Friday unless that is in the previous month, a Sunday to Monday unless that
/// is in the next. `0` when the month has no day `target`.
fn nearest_weekday(date: NaiveDate, target: u32, last: u32) -> u32 {
    if target > last {
        return 0;
    }
    let Some(day) = date.with_day(target) else {
        return 0;
    };
    match day.weekday() {
        Weekday::Sat if target == 1 => 3,
        Weekday::Sat => target - 1,
        Weekday::Sun if target == last => target - 2,
        Weekday::Sun => target + 1,
        _ => target,
    }
}

fn parse_days_of_month(text: &str) -> Result<(DaysOfMonth, String), ParseError> {
    let mut days = DaysOfMonth::default();
    let mut normal = Vec::new();
    for item in DAY_OF_MONTH.items(text)? {
        let upper = item.to_ascii_uppercase();
        if upper == "L" {
            days.before_last |= 1;
            normal.push("L".to_owned());
        } else if upper == "LW" {
            days.last_weekday = true;
            normal.push("LW".to_owned());
        } else if let Some(offset) = upper.strip_prefix("L-") {
            let offset = offset.parse::<u32>().ok().filter(|n| (1..=30).contains(n));
            let Some(offset) = offset else {
                return Err(ParseError::new(format!(
                    "invalid day-of-month `{item}`: expected `L-n` with n from 1 to 30, such as `L-3`"
                )));
            };
            days.before_last |= 1 << offset;
            normal.push(format!("L-{offset}"));
        } else if let Some(target) = upper.strip_suffix('W') {
            let value = DAY_OF_MONTH.value(target).map_err(|_| {
                ParseError::new(format!(
                    "invalid day-of-month `{item}`: expected `nW` with n from 1 to 31, such as `15W`"
                ))
            })?;
            days.nearest_weekday |= 1 << value;
            normal.push(format!("{value}W"));
        } else {
            let range = DAY_OF_MONTH.range(item)?;
            for value in (range.start..=range.end).step_by(range.step as usize) {
                days.mask |= 1 << value;
            }
            normal.push(normalise(item, range));
        }
    }
    Ok((days, normal.join(",")))
}

fn parse_days_of_week(text: &str) -> Result<(DaysOfWeek, String), ParseError> {
    let mut weekdays = DaysOfWeek::default();
    let mut normal = Vec::new();
    for item in DAY_OF_WEEK.items(text)? {
        if let Some((day, nth)) = item.split_once('#') {
            let day = DAY_OF_WEEK.value(day)? % 7;
            let nth = nth.parse::<u32>().ok().filter(|n| (1..=5).contains(n));
            let Some(nth) = nth else {
                return Err(ParseError::new(format!(
                    "invalid day-of-week `{item}`: expected `weekday#n` with n from 1 to 5, such as `Mon#1`"
                )));
            };
            weekdays.nth[day as usize] |= 1 << nth;
            normal.push(format!("{day}#{nth}"));
        } else if item.len() > 1 && (item.ends_with('L') || item.ends_with('l')) {
            let day = DAY_OF_WEEK.value(&item[..item.len() - 1])? % 7;
            weekdays.last |= 1 << day;
            normal.push(format!("{day}L"));
        } else if item.eq_ignore_ascii_case("L") {
            return Err(ParseError::new(
                "invalid day-of-week `L`: name the weekday, as in `5L` or `FriL` for the last Friday",
            ));
        } else {
            let range = DAY_OF_WEEK.range(item)?;
            for value in (range.start..=range.end).step_by(range.step as usize) {
                weekdays.mask |= 1 << (value % 7);
            }
            let text = normalise(item, range);
            normal.push(if text == "7" { "0".to_owned() } else { text });
        }
    }
    Ok((weekdays, normal.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(expr: &str) -> String {
        Expr::parse(expr).unwrap_err().to_string()
    }

    fn display(expr: &str) -> String {
        Expr::parse(expr).unwrap().to_string()
    }

    #[test]
    fn names_the_field_the_token_and_the_range() {
        assert_eq!(err("61 * * * *"), "minute 61 is out of range 0-59");
        assert_eq!(err("* 24 * * *"), "hour 24 is out of range 0-23");
        assert_eq!(err("* * 0 * *"), "day-of-month 0 is out of range 1-31");
        assert_eq!(err("* * * 13 *"), "month 13 is out of range 1-12");
        assert_eq!(err("* * * * 8"), "day-of-week 8 is out of range 0-7");
        assert_eq!(err("60 * * * * *"), "second 60 is out of range 0-59");
        assert_eq!(
            err("0 * * * * * 1969"),
            "year 1969 is out of range 1970-9999"
        );
        assert!(err("* * * * Foo").starts_with("invalid day-of-week `Foo`: expected"));
        assert!(err("*/0 * * * *").starts_with("invalid minute step `*/0`"));
        assert!(err("30-10 * * * *").starts_with("minute range `30-10` is backwards"));
        assert!(err("1,,2 * * * *").contains("a list needs a value"));
        assert!(err("* * *").starts_with("expected 5, 6 or 7 fields, found 3"));
        assert!(err("").starts_with("empty cron expression"));
        assert!(err("@reboot").starts_with("unknown macro `@reboot`"));
        assert!(err("* * * * Mon#6").contains("`weekday#n`"));
        assert!(err("* * L-31 * *").contains("`L-n`"));
        assert!(err("* * 32W * *").contains("`nW`"));
        assert!(err("* * * * L").contains("name the weekday"));
    }

    #[test]
    fn never_firing_expressions_are_errors() {
        assert!(err("0 0 30 2 *").contains("can never fire"));
        assert!(err("0 0 31 4,6,9,11 *").contains("can never fire"));
        assert!(err("0 0 0 29 2 * 2100").contains("can never fire"));
        assert!(Expr::parse("0 0 29 2 *").is_ok());
        // The OR rule: every Sunday, although February has no 31st.
        assert!(Expr::parse("0 0 31 2 0").is_ok());
    }

    #[test]
    fn display_is_normalised() {
        assert_eq!(display("30 9 * * Mon-Fri"), "0 30 9 * * 1-5");
        assert_eq!(display("@daily"), "0 0 0 * * *");
        assert_eq!(display("0 0 ? * Fri-Sun"), "0 0 0 * * 5-7");
        assert_eq!(display("*/15 0 1,15 Jan-Mar 7"), "0 */15 0 1,15 1-3 0");
        assert_eq!(
            display("0 0 12 L,LW,15W,L-3 * *"),
            "0 0 12 L,LW,15W,L-3 * *"
        );
        assert_eq!(
            display("0 0 12 * * FriL,Mon#1 2027-2030/2"),
            "0 0 12 * * 5L,1#1 2027-2030/2"
        );
        assert_eq!(display("0 5/20 * * * *"), "0 5/20 * * * *");
        assert_eq!(display("* * * * 4-4/1"), "0 * * * * 4-4/1");
        assert_eq!(display("* * * * 4-4"), "0 * * * * 4");
    }

    #[test]
    fn every_name_is_its_number_in_full_or_by_three_letters() {
        let fields = [
            (&MONTHS[..], 1, "0 0 1 {} *"),
            (&WEEKDAYS[..], 0, "0 0 * * {}"),
        ];
        for (names, first, pattern) in fields {
            for (value, name) in (first..).zip(names) {
                let number = Expr::parse(&pattern.replace("{}", &value.to_string())).unwrap();
                let title = name[..1].to_ascii_uppercase() + &name[1..];
                for spelling in [&name[..3], &title[..3], &title, name, &name.to_uppercase()] {
                    let expr = pattern.replace("{}", spelling);
                    assert_eq!(Expr::parse(&expr).unwrap(), number, "{expr}");
                }
            }
        }
    }

    #[test]
    fn full_names_work_wherever_three_letters_do() {
        for (full, short) in [
            ("0 9 * * Monday-Friday", "0 9 * * Mon-Fri"),
            ("0 9 * * MONDAY-friday", "0 9 * * Mon-Fri"),
            ("0 9 * * Fri-Sunday", "0 9 * * Fri-Sun"),
            ("0 9 * * Friday-SUN", "0 9 * * Fri-Sun"),
            ("0 9 * * Monday,Wednesday,fri", "0 9 * * Mon,Wed,Fri"),
            ("0 9 * * Sunday-Saturday/2", "0 9 * * Sun-Sat/2"),
            ("0 9 * * Tuesday/3", "0 9 * * Tue/3"),
            ("0 9 * * 1,Thursday-Saturday", "0 9 * * 1,Thu-Sat"),
            ("0 0 12 * * FridayL", "0 0 12 * * FriL"),
            ("0 0 12 * * sundayl", "0 0 12 * * SunL"),
            ("0 0 12 * * Monday#1", "0 0 12 * * Mon#1"),
            ("0 0 12 * * SATURDAY#5,FridayL", "0 0 12 * * Sat#5,FriL"),
            ("0 0 1 January-June *", "0 0 1 Jan-Jun *"),
            ("0 0 1 january,MARCH,Dec *", "0 0 1 Jan,Mar,Dec *"),
            ("0 0 1 February-December/2 *", "0 0 1 Feb-Dec/2 *"),
            ("0 0 1 September/1 *", "0 0 1 Sep/1 *"),
            ("0 0 13 October Friday", "0 0 13 Oct Fri"),
        ] {
            assert_eq!(
                Expr::parse(full).unwrap(),
                Expr::parse(short).unwrap(),
                "{full}"
            );
        }
        assert_eq!(display("30 9 * * Monday-Friday"), "0 30 9 * * 1-5");
        assert_eq!(display("0 0 1 January-June Sunday#2"), "0 0 0 1 1-6 0#2");
    }

    #[test]
    fn a_name_is_three_letters_or_the_full_name() {
        for (expr, field, token) in [
            ("* * * * Mond", "day-of-week", "Mond"),
            ("* * * * Mo", "day-of-week", "Mo"),
            ("* * * * Tues", "day-of-week", "Tues"),
            ("* * * * Thurs-Sat", "day-of-week", "Thurs"),
            ("* * * * Mon-Frid", "day-of-week", "Frid"),
            ("* * * * Mondays", "day-of-week", "Mondays"),
            ("* * * * MondL", "day-of-week", "Mond"),
            ("* * * * Satur#1", "day-of-week", "Satur"),
            ("* * * * January", "day-of-week", "January"),
            ("* * * Janu *", "month", "Janu"),
            ("* * * Sept *", "month", "Sept"),
            ("* * * Januar-Jun *", "month", "Januar"),
            ("* * * Decembers *", "month", "Decembers"),
            ("* * * Monday *", "month", "Monday"),
        ] {
            assert!(
                err(expr).starts_with(&format!("invalid {field} `{token}`: expected `*`")),
                "{expr}: {}",
                err(expr)
            );
        }
        assert!(err("* * * Janu *").contains("a name such as `Jan` or `January`"));
        assert!(err("* * * * Mond").contains("a name such as `Mon` or `Monday`"));
    }

    #[test]
    fn fixed_time_is_decided_by_minute_and_hour() {
        assert!(Expr::parse("30 2 * * *").unwrap().fixed_time);
        assert!(Expr::parse("*/10 30 2 * * *").unwrap().fixed_time);
        assert!(!Expr::parse("0 * * * *").unwrap().fixed_time);
        assert!(!Expr::parse("*/30 2 * * *").unwrap().fixed_time);
    }

    #[test]
    fn star_steps_keep_the_and_rule() {
        // cronie: a field that starts with `*` is unrestricted for the OR rule, even `*/2`.
        assert!(!Expr::parse("0 0 */2 * 1").unwrap().either_day);
        assert!(Expr::parse("0 0 1-31/2 * 1").unwrap().either_day);
    }
}
