//! "Why didn't it run?": what became of a job at one instant, in one sentence and as data. The
//! run history says what happened to every tick that came (ran, or skipped with its reason);
//! the schedule says why an instant is not a tick at all.

use super::views::RunView;
use crate::history::{Outcome, RunRecord, SkipReason};
use crate::{Error, Handle};
use chrono::{DateTime, SecondsFormat, Utc};
use jobs_schedule::Explanation;
use serde::Serialize;

#[derive(Serialize)]
pub(crate) struct Explained {
    job: String,
    at: DateTime<Utc>,
    /// `ran`, `running`, `skipped`, `no_tick`, `not_yet`, `no_record` or `on_demand`.
    verdict: &'static str,
    sentence: String,
    run: Option<RunView>,
    skip_reason: Option<String>,
    /// The schedule's field that excludes the instant, for `no_tick`.
    field: Option<&'static str>,
    previous_tick: Option<DateTime<Utc>>,
    next_tick: Option<DateTime<Utc>>,
}

/// An instant to the millisecond, or the second when it is whole, as ticks are.
fn time(at: DateTime<Utc>) -> String {
    let precision = if at.timestamp_subsec_millis() == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Millis
    };
    at.to_rfc3339_opts(precision, true)
}

pub(super) async fn explain(
    handle: &Handle,
    job: &str,
    at: DateTime<Utc>,
) -> Result<Explained, Error> {
    let name = handle.shared.full_name(job)?;
    let status = handle
        .jobs()
        .await?
        .into_iter()
        .find(|status| *status.name == *name)
        .ok_or_else(|| Error::UnknownJob(name.clone()))?;
    let mut history = handle.history(&name);
    if handle.shared.store.durable() {
        // Every process's record of that instant, should another process have run it.
        let after = at + chrono::TimeDelta::microseconds(1);
        let stored = handle.shared.store.runs(&name, 1, Some(after)).await?;
        history.extend(stored);
    }
    let mut answer = Explained {
        job: name.clone(),
        at,
        verdict: "no_record",
        sentence: String::new(),
        run: None,
        skip_reason: None,
        field: None,
        previous_tick: None,
        next_tick: None,
    };
    if let Some(record) = history.iter().find(|record| record.scheduled_at == at) {
        answer.run = Some(RunView::new(record));
        (answer.verdict, answer.sentence) = recorded(record, &history);
        if let Outcome::Skipped(reason) = record.outcome {
            answer.skip_reason = Some(reason.to_string());
        }
        return Ok(answer);
    }
    if let Some(&(run, _)) = status
        .running_runs
        .iter()
        .find(|&&(_, scheduled_at)| scheduled_at == at)
    {
        answer.run = Some(RunView::running(&name, run, at));
        answer.verdict = "running";
        answer.sentence = format!("running: run {run} started for this tick and has not ended yet");
        return Ok(answer);
    }
    let Some(schedule) = &status.schedule else {
        answer.verdict = "on_demand";
        answer.sentence = format!(
            "`{name}` is an on-demand job: it runs when enqueued or triggered, never at the instants of a schedule"
        );
        return Ok(answer);
    };
    match schedule.explain(at) {
        Explanation::NoTick(no_tick) => {
            answer.verdict = "no_tick";
            answer.field = no_tick.field;
            answer.previous_tick = no_tick.previous;
            answer.next_tick = no_tick.next;
            answer.sentence = no_tick.sentence;
        }
        Explanation::Tick { note } => {
            let now = handle.shared.clock.now();
            let note = note.map(|note| format!(" ({note})")).unwrap_or_default();
            (answer.verdict, answer.sentence) = if at > now {
                let paused = if status.paused {
                    "; the job is paused, so it will be skipped unless it is resumed first"
                } else {
                    ""
                };
                (
                    "not_yet",
                    format!(
                        "not yet: {} is a tick{note} still to come{paused}",
                        time(at)
                    ),
                )
            } else if at < handle.shared.started_at && !handle.shared.store.durable() {
                (
                    "no_record",
                    format!(
                        "no record: {} is a tick{note}, but this process started later, at {}, and the memory store keeps no history across restarts (a durable store records ticks missed while no process ran as `missed`)",
                        time(at),
                        time(handle.shared.started_at)
                    ),
                )
            } else {
                (
                    "no_record",
                    format!(
                        "no record: {} is a tick of the current schedule{note}, but the history kept no longer reaches it, or the job had another schedule then",
                        time(at)
                    ),
                )
            };
        }
        _ => {}
    }
    Ok(answer)
}

/// What a record of the instant says.
fn recorded(record: &RunRecord, history: &[RunRecord]) -> (&'static str, String) {
    let run = record
        .run_id
        .map_or_else(|| "the run".to_owned(), |id| format!("run {id}"));
    let late = record
        .lateness
        .map(|late| format!(" ({:.1} ms late)", late.as_secs_f64() * 1000.0))
        .unwrap_or_default();
    let attempts = match record.attempts {
        1 => "1 attempt".to_owned(),
        n => format!("{n} attempts"),
    };
    let started = record
        .started_at
        .map(|started| format!(", started at {}{late},", time(started)))
        .unwrap_or_default();
    let error = record
        .error
        .as_deref()
        .map(|error| format!(": {error}"))
        .unwrap_or_default();
    match record.outcome {
        Outcome::Succeeded => (
            "ran",
            format!("ran: {run}{started} succeeded after {attempts}"),
        ),
        Outcome::Failed => (
            "ran",
            format!("ran: {run}{started} failed after {attempts}{error}"),
        ),
        Outcome::Cancelled => ("ran", format!("ran: {run}{started} was cancelled{error}")),
        Outcome::Skipped(reason) => ("skipped", skipped(record, reason, history)),
    }
}

fn skipped(record: &RunRecord, reason: SkipReason, history: &[RunRecord]) -> String {
    let at = record.scheduled_at;
    match reason {
        SkipReason::Overlap => {
            // The run that held it back: started before the tick, not ended by then.
            let holder = history.iter().find(|other| {
                other.run_id.is_some()
                    && other.started_at.is_some_and(|started| started <= at)
                    && other.finished_at.is_none_or(|finished| finished > at)
            });
            match holder.and_then(|holder| Some((holder.run_id?, holder.started_at?))) {
                Some((id, started)) => format!(
                    "skipped: run {id}, started at {}, was still running, and the job's overlap policy is `skip`",
                    time(started)
                ),
                None => "skipped: the previous run was still running, and the job's overlap policy is `skip`".to_owned(),
            }
        }
        SkipReason::Paused => match &record.error {
            Some(detail) => format!("skipped: the job was {detail}"),
            None => "skipped: the job was paused".to_owned(),
        },
        SkipReason::Missed => match &record.error {
            Some(detail) => format!("skipped: {detail}"),
            None => {
                "skipped: missed, a later tick was already due when this one came round".to_owned()
            }
        },
        SkipReason::Shutdown => "skipped: the runtime was shutting down".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RunId;
    use chrono::TimeZone;
    use std::sync::Arc;
    use std::time::Duration;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, 9, 30, 0).unwrap() + chrono::TimeDelta::seconds(seconds)
    }

    fn record(outcome: Outcome, error: Option<&str>) -> RunRecord {
        let ran = !matches!(outcome, Outcome::Skipped(_));
        RunRecord {
            job: Arc::from("report"),
            run_id: ran.then_some(RunId(0x2a)),
            scheduled_at: at(0),
            started_at: ran.then(|| at(0) + chrono::TimeDelta::milliseconds(3)),
            finished_at: ran.then(|| at(2)),
            attempts: u32::from(ran) * 2,
            outcome,
            error: error.map(str::to_owned),
            lateness: ran.then_some(Duration::from_millis(3)),
            permanent: false,
            job_id: None,
            payload: None,
        }
    }

    /// Every outcome and every skip reason, as the sentence says it.
    #[test]
    fn each_record_in_one_sentence() {
        let holder = RunRecord {
            scheduled_at: at(-10),
            started_at: Some(at(-10)),
            finished_at: Some(at(5)),
            run_id: Some(RunId(0x29)),
            ..record(Outcome::Succeeded, None)
        };
        let cases = [
            (
                record(Outcome::Succeeded, None),
                "ran",
                "ran: run 0000002a, started at 2026-12-05T09:30:00.003Z (3.0 ms late), succeeded after 2 attempts",
            ),
            (
                record(Outcome::Failed, Some("the disk is full")),
                "ran",
                "ran: run 0000002a, started at 2026-12-05T09:30:00.003Z (3.0 ms late), failed after 2 attempts: the disk is full",
            ),
            (
                record(Outcome::Cancelled, Some("cancelled through the dashboard while it ran")),
                "ran",
                "ran: run 0000002a, started at 2026-12-05T09:30:00.003Z (3.0 ms late), was cancelled: cancelled through the dashboard while it ran",
            ),
            (
                record(Outcome::Skipped(SkipReason::Overlap), None),
                "skipped",
                "skipped: run 00000029, started at 2026-12-05T09:29:50Z, was still running, and the job's overlap policy is `skip`",
            ),
            (
                record(
                    Outcome::Skipped(SkipReason::Paused),
                    Some("paused since 2026-12-05T08:00:00Z through the dashboard"),
                ),
                "skipped",
                "skipped: the job was paused since 2026-12-05T08:00:00Z through the dashboard",
            ),
            (
                record(
                    Outcome::Skipped(SkipReason::Missed),
                    Some("missed while no process ran (the last ran until 2026-12-05T09:00:00Z); catch_up = \"none\" ran 0 of them"),
                ),
                "skipped",
                "skipped: missed while no process ran (the last ran until 2026-12-05T09:00:00Z); catch_up = \"none\" ran 0 of them",
            ),
            (
                record(Outcome::Skipped(SkipReason::Shutdown), None),
                "skipped",
                "skipped: the runtime was shutting down",
            ),
        ];
        for (record, verdict, sentence) in cases {
            let history = [holder.clone(), record.clone()];
            assert_eq!(
                recorded(&record, &history),
                (verdict, sentence.to_owned()),
                "{:?}",
                record.outcome
            );
        }
    }
}
