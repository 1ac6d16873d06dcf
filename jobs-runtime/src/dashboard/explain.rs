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
