//! The jobs a durable store knows against the jobs this process's code defines, at startup: what
//! is new, what changed in code, what was overridden at run time, and what is stored but no
//! longer in code. The result is logged and kept as data ([`Handle::reconciliation`]).
//!
//! [`Handle::reconciliation`]: crate::Handle::reconciliation

use crate::job::JobSpec;
use crate::store::{DefinedJob, Pause, Store, StoredJob, StoredSchedule};
use crate::Error;
use jobs_schedule::{parse_duration, Schedule, Tz};
use std::collections::{HashMap, HashSet};

/// How a job of the store compares with this process's code, as the process found it when it
/// started.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reconciliation {
    /// In code, and new to the store: added as defined.
    Added,
    /// In code and in the store, alike.
    Unchanged,
    /// The code's schedule differs from the stored one, which it replaced (for every process).
    CodeChanged {
        /// The stored schedule it replaced.
        was: String,
    },
    /// Rescheduled at run time: the stored schedule stands, whatever the code says.
    Overridden {
        /// The schedule every process follows.
        stored: String,
        /// The code's.
        code: String,
    },
    /// In the store only: no code of this process defines it, so this process does not run it
    /// (another process may).
    StoredOnly,
}

/// One job of the store, and how it compares with this process's code.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredJobReport {
    /// The job's full name.
    pub name: String,
    /// The schedule every process follows, in words of the expression (`0 30 9 * * 1-5
    /// Europe/Berlin`, `every 1m`); `None` for an on-demand job.
    pub schedule: Option<String>,
    /// Paused through a `Handle`, in any process.
    pub paused: bool,
    /// How it compares with this process's code.
    pub reconciliation: Reconciliation,
}

/// What the startup found: the report, the paused jobs, and the highest version seen (changes
/// after it are polled for).
pub(crate) struct Reconciled {
    pub(crate) report: Vec<StoredJobReport>,
    /// The paused jobs, with since when and by whom when the store knows.
    pub(crate) paused: HashMap<String, Option<Pause>>,
    pub(crate) version: i64,
}

/// Compares the store's jobs with `specs`, makes each spec follow the stored schedule where a
/// run-time reschedule overrides the code's, and records the code's definitions. The memory
/// store starts empty: nothing to compare.
pub(crate) async fn reconcile(
    store: &dyn Store,
    specs: &mut [JobSpec],
) -> Result<Reconciled, Error> {
    if !store.durable() {
        return Ok(Reconciled {
            report: Vec::new(),
            paused: HashMap::new(),
            version: 0,
        });
    }
    let stored: HashMap<String, StoredJob> = store
        .jobs()
        .await?
        .into_iter()
        .map(|job| (job.job.clone(), job))
        .collect();
    let version = stored.values().map(|job| job.version).max().unwrap_or(0);
    let mut report = Vec::new();
    let mut paused = HashMap::new();
    let mut defined = Vec::with_capacity(specs.len());
    for spec in specs.iter_mut() {
        let code = spec.schedule.as_ref().map(encode);
        let name = spec.name.to_string();
        let reconciliation = match stored.get(&name) {
            None => {
                tracing::info!(job = %name, "job added to the store");
                Reconciliation::Added
            }
            Some(row) if row.overridden && row.schedule != code => {
                let stored_schedule = row.schedule.as_ref().map(words).unwrap_or_default();
                let code_schedule = code.as_ref().map(words).unwrap_or_default();
                match row.schedule.as_ref().map(decode) {
                    Some(Ok(schedule)) => {
                        tracing::info!(job = %name, stored = %stored_schedule, code = %code_schedule, "job rescheduled at run time: the stored schedule stands over the code's");
                        spec.schedule = Some(schedule);
                    }
                    _ => {
                        tracing::warn!(job = %name, stored = %stored_schedule, "the stored schedule does not parse: the code's is followed here");
                    }
                }
                Reconciliation::Overridden {
                    stored: stored_schedule,
                    code: code_schedule,
                }
            }
            Some(row) if row.schedule != code => {
                let was = row.schedule.as_ref().map(words).unwrap_or_default();
                tracing::info!(job = %name, was = %was, now = %code.as_ref().map(words).unwrap_or_default(), "schedule changed in code: it replaces the stored one");
                Reconciliation::CodeChanged { was }
            }
            Some(_) => Reconciliation::Unchanged,
        };
        let is_paused = stored.get(&name).is_some_and(|row| row.paused);
        if let Some(row) = stored.get(&name).filter(|row| row.paused) {
            tracing::info!(job = %name, "job paused in the store: it stays paused");
            paused.insert(name.clone(), row.pause.clone());
        }
        report.push(StoredJobReport {
            name: name.clone(),
            schedule: spec
                .schedule
                .as_ref()
                .map(|schedule| words(&encode(schedule))),
            paused: is_paused,
            reconciliation,
        });
        defined.push(DefinedJob {
            job: name,
            schedule: code,
            origin: if spec.def.is_some() {
                "code"
            } else {
                "run time"
            },
        });
    }
    let in_code: HashSet<&str> = specs.iter().map(|spec| &*spec.name).collect();
    for row in stored
        .values()
        .filter(|row| !in_code.contains(row.job.as_str()))
    {
        tracing::warn!(job = %row.job, "a stored job is not in this process's code: it does not run here");
        report.push(StoredJobReport {
            name: row.job.clone(),
            schedule: row.schedule.as_ref().map(words),
            paused: row.paused,
            reconciliation: Reconciliation::StoredOnly,
        });
    }
    report.sort_by(|a, b| a.name.cmp(&b.name));
    // In name order, so that processes starting together lock the rows in one order.
    defined.sort_by(|a, b| a.job.cmp(&b.job));
    store.define(defined).await?;
    Ok(Reconciled {
        report,
        paused,
        version,
    })
}

/// A schedule as a store keeps it.
pub(crate) fn encode(schedule: &Schedule) -> StoredSchedule {
    StoredSchedule {
        expr: schedule.to_string(),
        tz: schedule.timezone().name().to_owned(),
    }
}

/// A stored schedule read back.
pub(crate) fn decode(stored: &StoredSchedule) -> Result<Schedule, String> {
    if let Some(interval) = stored.expr.strip_prefix("every ") {
        let interval = parse_duration(interval).map_err(|error| error.to_string())?;
        return Schedule::every(interval).map_err(|error| error.to_string());
    }
    let tz: Tz = stored.tz.parse().map_err(|error| format!("{error}"))?;
    Schedule::parse(&stored.expr)
        .map(|schedule| schedule.with_timezone(tz))
        .map_err(|error| error.to_string())
}

/// A stored schedule as the report and the log show it.
pub(crate) fn words(stored: &StoredSchedule) -> String {
    if stored.expr.starts_with("every ") || stored.tz == "UTC" {
        stored.expr.clone()
    } else {
        format!("{} {}", stored.expr, stored.tz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobs_schedule::format_duration;
    use std::time::Duration;

    #[test]
    fn a_schedule_survives_the_store() {
        let schedules = [
            Schedule::parse("30 9 * * Mon-Fri")
                .unwrap()
                .with_timezone(Tz::Europe__Berlin),
            Schedule::parse("0 0 L * *").unwrap(),
            Schedule::every(Duration::from_millis(90_500)).unwrap(),
        ];
        for schedule in schedules {
            let stored = encode(&schedule);
            let back = decode(&stored).unwrap();
            assert_eq!(encode(&back), stored);
            assert_eq!(back.timezone(), schedule.timezone());
        }
        assert_eq!(format_duration(Duration::from_millis(90_500)), "1m30s500ms");
    }
}
