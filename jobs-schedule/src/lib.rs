//! Schedules for the `jobs` scheduler: cron expressions with crontab(5) semantics, fixed intervals,
//! time zones and daylight-saving transitions.
//!
//! The `#[job]` macro validates schedules with this crate at compile time and the runtime evaluates
//! them with it, so the two can never disagree about what an expression means.
//!
//! # Examples
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use jobs_schedule::Schedule;
//!
//! // 09:00 on Mondays: crontab numbers weekdays from Sunday = 0 (or 7), so 1 is Monday.
//! let schedule = Schedule::parse("0 9 * * 1")?;
//! let start = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap(); // a Friday
//! assert_eq!(
//!     schedule.next_after(start),
//!     Some(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap())
//! );
//! # Ok::<(), jobs_schedule::ParseError>(())
//! ```
//!
//! # Semantics
//!
//! - 5 fields are `minute hour day-of-month month day-of-week`; 6 fields put seconds first; 7 fields
//!   add a year (1970-9999). `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`
//!   and `@hourly` stand for their usual expressions.
//! - Day-of-week runs 0-7, where 0 and 7 are Sunday; `Mon`…`Sun` and `Jan`…`Dec`, or the full names
//!   (`Monday`, `January`), are accepted in any case. A range may end on Sunday (`Fri-Sun`). `?`
//!   means the same as `*`.
//! - When day-of-month and day-of-week are both restricted (neither starts with `*` or `?`), a day
//!   matches if either field matches, as in Vixie cron and cronie.
//! - `L` is the last day of the month, `L-3` three days before it, `LW` the last weekday, `15W` the
//!   weekday nearest the 15th within the same month; `5L` or `FriL` is the last Friday and `Mon#1`
//!   the first Monday.
//! - Daylight-saving time follows cronie: a fixed-time schedule (neither minute nor hour starts with
//!   `*`) whose time falls into a spring-forward gap runs once, at the first instant after the jump,
//!   and runs once in a fall-back fold (the first pass); a wildcard schedule skips the missing times
//!   and runs in both passes of a fold.
//! - Instants are strictly increasing and each is computed from the previous one, never from "now".

mod describe;
mod duration;
mod error;
mod eval;
mod explain;
mod expr;
mod zone;

pub use chrono_tz::Tz;
pub use duration::{format_duration, parse_duration, DurationError};
pub use error::ParseError;
pub use explain::{Explanation, Gap, NoTick, NoTickReason};
pub use zone::parse_timezone;

use chrono::{DateTime, Utc};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// When a job runs: a cron expression read in a time zone, or a fixed interval.
///
/// Parse one with [`Schedule::parse`] or make an interval with [`Schedule::every`]; ask it for
/// instants with [`Schedule::next_after`] or [`Schedule::after`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// Shared: a schedule is cloned wherever a job is held (its definition, the scheduler's
    /// slot, a run-time job made from one parsed schedule), and a cron expression keeps its text.
    Cron {
        expr: Arc<expr::Expr>,
        tz: Tz,
    },
    Every {
        millis: u64,
    },
}

impl Schedule {
    /// Parses a cron expression of 5, 6 or 7 fields, or one of the `@daily`-style macros.
    ///
    /// The schedule is read in UTC until [`Schedule::with_timezone`] says otherwise.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] naming the field, the offending token and the expected form, for example
    /// `minute 61 is out of range 0-59`. An expression that can never fire, such as `0 0 30 2 *`,
    /// is an error too.
    ///
    /// # Examples
    ///
    /// ```
    /// use jobs_schedule::Schedule;
    ///
    /// assert!(Schedule::parse("*/5 * * * *").is_ok());
    /// let err = Schedule::parse("61 * * * *").unwrap_err();
    /// assert_eq!(err.to_string(), "minute 61 is out of range 0-59");
    /// ```
    pub fn parse(expression: &str) -> Result<Self, ParseError> {
        let expr = expr::Expr::parse(expression)?;
        Ok(Self {
            kind: Kind::Cron {
                expr: Arc::new(expr),
                tz: Tz::UTC,
            },
        })
    }

    /// A fixed interval whose ticks are aligned to the Unix epoch, so that every process computes
    /// the same instants: `every(10s)` fires at :00, :10, :20 … of each minute.
    ///
    /// The interval is kept to whole milliseconds.
    ///
    /// # Errors
    ///
    /// An interval shorter than one millisecond, or longer than about 292 million years.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use jobs_schedule::Schedule;
    /// use std::time::Duration;
    ///
    /// let schedule = Schedule::every(Duration::from_secs(10))?;
    /// let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 3).unwrap();
    /// assert_eq!(
    ///     schedule.next_after(start),
    ///     Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 10).unwrap())
    /// );
    /// # Ok::<(), jobs_schedule::ParseError>(())
    /// ```
    pub fn every(interval: Duration) -> Result<Self, ParseError> {
        let millis = u64::try_from(interval.as_millis())
            .ok()
            .filter(|&m| i64::try_from(m).is_ok())
            .ok_or_else(|| {
                ParseError::new("interval is too long: the longest is 292 million years")
            })?;
        if millis == 0 {
            return Err(ParseError::new(
                "interval must be at least 1ms: expected a duration such as \"500ms\", \"10s\" or \"5m\"",
            ));
        }
        Ok(Self {
            kind: Kind::Every { millis },
        })
    }

    /// Reads the cron expression in `tz` instead of UTC. Intervals ignore the zone: they are
    /// aligned to the Unix epoch.
    #[must_use]
    pub fn with_timezone(mut self, tz: Tz) -> Self {
        if let Kind::Cron { tz: zone, .. } = &mut self.kind {
            *zone = tz;
        }
        self
    }

    /// The zone the expression is read in (UTC for intervals).
    #[must_use]
    pub fn timezone(&self) -> Tz {
        match &self.kind {
            Kind::Cron { tz, .. } => *tz,
            Kind::Every { .. } => Tz::UTC,
        }
    }

    /// The interval of a schedule made by [`Schedule::every`].
    #[must_use]
    pub fn interval(&self) -> Option<Duration> {
        match self.kind {
            Kind::Every { millis } => Some(Duration::from_millis(millis)),
            Kind::Cron { .. } => None,
        }
    }

    /// Whether the daylight-saving rules for fixed-time jobs apply: neither the minute nor the hour
    /// field starts with `*` or `?`. Intervals are never fixed-time.
    #[must_use]
    pub fn is_fixed_time(&self) -> bool {
        match &self.kind {
            Kind::Cron { expr, .. } => expr.fixed_time,
            Kind::Every { .. } => false,
        }
    }

    /// The first instant strictly after `after`, or `None` when the schedule has no more instants
    /// (after the year 9999, or when its year field has run out).
    #[must_use]
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &self.kind {
            Kind::Cron { expr, tz } => eval::next_after(expr, *tz, after),
            Kind::Every { millis } => eval::next_interval(*millis, after),
        }
    }

    /// The schedule in plain English, for an operator: the times, then the days, months and
    /// years, then the zone (a cron schedule always names it, UTC included; an interval has none).
    ///
    /// A combination with no short, exact wording falls back to the fields as written, such as
    /// `second */10, minute 0-30/5, hour 9-17`.
    ///
    /// # Examples
    ///
    /// ```
    /// use jobs_schedule::{Schedule, Tz};
    /// use std::time::Duration;
    ///
    /// let schedule = Schedule::parse("30 9 * * Mon-Fri")?.with_timezone(Tz::Europe__Berlin);
    /// assert_eq!(schedule.describe(), "at 09:30, Monday through Friday, Europe/Berlin");
    /// assert_eq!(Schedule::parse("*/15 * * * *")?.describe(), "every 15 minutes, UTC");
    /// assert_eq!(Schedule::every(Duration::from_secs(10))?.describe(), "every 10 seconds");
    /// # Ok::<(), jobs_schedule::ParseError>(())
    /// ```
    #[must_use]
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Cron { expr, tz } => describe::describe_cron(expr, *tz),
            Kind::Every { millis } => describe::describe_interval(*millis),
        }
    }

    /// Whether `at` is one of the schedule's instants (one that [`Schedule::next_after`] returns),
    /// and if not, why: the coarsest cron field that excludes it, or the daylight-saving or
    /// interval rule that does, with the instants before and after it and one sentence for an
    /// operator.
    ///
    /// Cron instants are whole seconds, so an instant with a fraction of a second is never one.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use jobs_schedule::{Explanation, Schedule, Tz};
    ///
    /// let schedule = Schedule::parse("30 9 * * Mon-Fri")?.with_timezone(Tz::Europe__Berlin);
    /// // 09:30 in Berlin on Friday 2026-12-04, and on the Saturday after.
    /// let friday = Utc.with_ymd_and_hms(2026, 12, 4, 8, 30, 0).unwrap();
    /// assert_eq!(schedule.explain(friday), Explanation::Tick { note: None });
    ///
    /// let saturday = Utc.with_ymd_and_hms(2026, 12, 5, 8, 30, 0).unwrap();
    /// let Explanation::NoTick(why) = schedule.explain(saturday) else {
    ///     panic!("Saturday is not a weekday");
    /// };
    /// assert_eq!(why.field, Some("day-of-week"));
    /// assert_eq!(why.previous, Some(friday));
    /// assert_eq!(
    ///     why.sentence,
    ///     "no tick: `30 9 * * Mon-Fri` does not match Saturday 2026-12-05 09:30 Europe/Berlin: \
    ///      day-of-week Saturday is not in Mon-Fri"
    /// );
    /// # Ok::<(), jobs_schedule::ParseError>(())
    /// ```
    #[must_use]
    pub fn explain(&self, at: DateTime<Utc>) -> Explanation {
        match &self.kind {
            Kind::Cron { expr, tz } => explain::explain_cron(self, expr, *tz, at),
            Kind::Every { millis } => explain::explain_interval(self, *millis, at),
        }
    }

    /// The instants strictly after `after`, in increasing order.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use jobs_schedule::Schedule;
    ///
    /// let schedule = Schedule::parse("@hourly")?;
    /// let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    /// let hours: Vec<_> = schedule.after(start).take(2).collect();
    /// assert_eq!(
    ///     hours,
    ///     [
    ///         Utc.with_ymd_and_hms(2026, 1, 1, 1, 0, 0).unwrap(),
    ///         Utc.with_ymd_and_hms(2026, 1, 1, 2, 0, 0).unwrap()
    ///     ]
    /// );
    /// # Ok::<(), jobs_schedule::ParseError>(())
    /// ```
    #[must_use]
    pub fn after(&self, after: DateTime<Utc>) -> Instants<'_> {
        Instants {
            schedule: self,
            last: Some(after),
        }
    }
}

impl fmt::Display for Schedule {
    /// The normalised expression: six fields (seconds first), a seventh when a year is given,
    /// weekday and month names as numbers. An interval prints as `every 1m30s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Cron { expr, .. } => fmt::Display::fmt(expr, f),
            Kind::Every { millis } => write!(
                f,
                "every {}",
                format_duration(Duration::from_millis(*millis))
            ),
        }
    }
}

/// The instants of a [`Schedule`] after a given one; see [`Schedule::after`].
#[derive(Clone, Debug)]
pub struct Instants<'a> {
    schedule: &'a Schedule,
    last: Option<DateTime<Utc>>,
}

impl Iterator for Instants<'_> {
    type Item = DateTime<Utc>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.schedule.next_after(self.last?);
        self.last = next;
        next
    }
}

impl std::iter::FusedIterator for Instants<'_> {}
