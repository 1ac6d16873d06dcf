use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Where the runtime reads wall-clock time.
///
/// Schedules are wall-clock (`09:30 in Europe/Berlin`) while waiting is done with `tokio::time`.
/// [`Clock::system`] reads the system clock; [`Clock::starting_at`] starts at a given instant and
/// then follows `tokio::time`, so that a test on paused time (`#[tokio::test(start_paused = true)]`)
/// can cover a day, or a daylight-saving weekend, in milliseconds.
#[derive(Clone, Debug)]
pub struct Clock {
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    System,
    Simulated {
        start: DateTime<Utc>,
    },
    Anchored {
        start: DateTime<Utc>,
        anchor: Instant,
    },
}

impl Clock {
    /// The system's wall clock: the default.
    #[must_use]
    pub fn system() -> Self {
        Self { kind: Kind::System }
    }

    /// A clock that reads `start` when the runtime starts and then advances with `tokio::time`,
    /// paused or not.
    #[must_use]
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            kind: Kind::Simulated { start },
        }
    }

    /// Fixes the simulated clock's origin to the current `tokio::time` instant; called inside the
    /// runtime, where paused time is visible.
    pub(crate) fn anchor(&self) -> Self {
        match self.kind {
            Kind::Simulated { start } => Self {
                kind: Kind::Anchored {
                    start,
                    anchor: Instant::now(),
                },
            },
            _ => self.clone(),
        }
    }

    /// Whether this is the system's clock, which follows real time (a simulated one may follow
    /// paused tokio time).
    pub(crate) fn is_system(&self) -> bool {
        matches!(self.kind, Kind::System)
    }

    /// The current wall-clock instant.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        match self.kind {
            Kind::System => system_now(),
            Kind::Simulated { start } => start,
            Kind::Anchored { start, anchor } => {
                let elapsed = TimeDelta::from_std(anchor.elapsed()).unwrap_or(TimeDelta::MAX);
                start
                    .checked_add_signed(elapsed)
                    .unwrap_or(DateTime::<Utc>::MAX_UTC)
            }
        }
    }

    /// The `tokio::time` instant at which this clock reads `at` (now, if `at` is past).
    pub(crate) fn deadline(&self, at: DateTime<Utc>) -> Instant {
        let wait = (at - self.now()).to_std().unwrap_or_default();
        // About 30 years: far enough for any tick, near enough not to overflow `Instant`.
        Instant::now() + wait.min(std::time::Duration::from_secs(1 << 30))
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

/// `Utc::now()`, without its conversion of the day number into a date on every read: a run reads
/// the clock twice, and that conversion was more than half of each read (callgrind: 118 of ~195
/// instructions). Each thread keeps the date of the last day it read.
fn system_now() -> DateTime<Utc> {
    const SECONDS_PER_DAY: u64 = 86_400;
    thread_local! {
        static TODAY: Cell<Option<(u64, NaiveDate)>> = const { Cell::new(None) };
    }
    let Ok(since_epoch) = SystemTime::now().duration_since(UNIX_EPOCH) else {
        return Utc::now(); // a clock set before 1970: as `Utc::now` deals with it
    };
    let (day, second) = (
        since_epoch.as_secs() / SECONDS_PER_DAY,
        since_epoch.as_secs() % SECONDS_PER_DAY,
    );
    let date = match TODAY.get() {
        Some((today, date)) if today == day => Some(date),
        _ => {
            let date = DateTime::from_timestamp(
                i64::try_from(day * SECONDS_PER_DAY).unwrap_or(i64::MAX),
                0,
            )
            .map(|midnight| midnight.date_naive());
            TODAY.set(date.map(|date| (day, date)));
            date
        }
    };
    let time = u32::try_from(second).ok().and_then(|second| {
        NaiveTime::from_num_seconds_from_midnight_opt(second, since_epoch.subsec_nanos())
    });
    match (date, time) {
        (Some(date), Some(time)) => date.and_time(time).and_utc(),
        _ => Utc::now(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_reads_what_chrono_reads() {
        // Twice: the first read of a thread finds no date kept, the second finds today's.
        for _ in 0..2 {
            let before = Utc::now();
            let read = Clock::system().now();
            let after = Utc::now();
            assert!(
                before <= read && read <= after,
                "{before} <= {read} <= {after}"
            );
        }
    }
}
