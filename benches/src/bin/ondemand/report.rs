//! `benches/ONDEMAND.md`.

use crate::header::{self, Header};
use crate::probe::Machine;
use crate::subjects::{Subject, CHANNEL_WORKERS, CONCURRENCY};
use crate::throughput::Throughput;
use crate::{Outcome, JOBS, PRODUCERS, REPEATS, WORKER_THREADS};
use chrono::{DateTime, Utc};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// DESIGN.md "Performance targets", and the lead's bars for this benchmark.
const TARGET_JOBS_PER_SECOND: f64 = 500_000.0;
const TARGET_SHARE_OF_SPAWN: f64 = 0.5;

pub(crate) struct Run {
    pub(crate) subject: Subject,
    pub(crate) producers: usize,
    pub(crate) outcome: Outcome<Throughput>,
}

pub(crate) struct Report<'a> {
    pub(crate) machine: &'a Machine,
    pub(crate) date: DateTime<Utc>,
    pub(crate) elapsed: Duration,
    pub(crate) runs: &'a [Run],
}

pub(crate) fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ONDEMAND.md")
}

#[allow(clippy::cast_precision_loss, reason = "kibibytes are far below 2^52")]
pub(crate) fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The median of each figure over one (subject, producers) cell's successful runs.
struct Cell<'a> {
    runs: Vec<&'a Throughput>,
    errors: Vec<&'a str>,
}

impl<'a> Cell<'a> {
    fn of(report: &'a Report<'_>, subject: Subject, producers: usize) -> Self {
        let mut cell = Cell {
            runs: Vec::new(),
            errors: Vec::new(),
        };
        for run in report
            .runs
            .iter()
            .filter(|run| run.subject == subject && run.producers == producers)
        {
            match &run.outcome {
                Ok(t) => cell.runs.push(t),
                Err(e) => cell.errors.push(e),
            }
        }
        cell
    }

    fn median(&self, figure: impl Fn(&Throughput) -> f64) -> Option<f64> {
        let mut values: Vec<f64> = self.runs.iter().map(|t| figure(t)).collect();
        values.sort_by(f64::total_cmp);
        // With an even count (a failed run), the lower of the middle two: never flattering.
        values.get(values.len().saturating_sub(1) / 2).copied()
    }

    fn jobs_per_second(&self) -> Option<f64> {
        self.median(Throughput::jobs_per_second)
    }
}

/// A non-negative figure rounded and grouped by thousands with a narrow space.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "throughputs are non-negative and far below 2^52"
)]
fn whole(value: f64) -> String {
    header::thousands(value.round() as u64)
}

fn with_producers(producers: usize) -> String {
    match producers {
        1 => "1 producer".to_owned(),
        n => format!("{n} producers"),
    }
}

fn yes(met: bool) -> &'static str {
    if met {
        "yes"
    } else {
        "**no**"
    }
}

pub(crate) fn markdown(report: &Report<'_>) -> String {
    let mut md = String::new();
    header::write(
        &mut md,
        &Header {
            title: "On-demand throughput benchmark: jobs, tokio::spawn, a channel pool, apalis",
            bin: "ondemand",
            date: report.date,
            elapsed: report.elapsed,
            note: None,
            machine: report.machine,
            peers: "tokio (`tokio::spawn`, `tokio::sync::mpsc`), apalis 1.0 (`MemoryStorage`)",
        },
    );
    targets(&mut md, report);
    results(&mut md, report);
    subjects(&mut md);
    method(&mut md);
    md
}

fn targets(md: &mut String, report: &Report<'_>) {
    let _ = writeln!(md, "## Our targets (DESIGN.md \"Performance targets\")\n");
    let _ = writeln!(md, "| target | measured | met |\n|---|---|---|");
    for producers in PRODUCERS {
        let with = with_producers(producers);
        let ours = Cell::of(report, Subject::Jobs, producers);
        let Some(jobs) = ours.jobs_per_second() else {
            let _ = writeln!(
                md,
                "| on-demand in memory, {with} | failed: {} | **no** |",
                ours.errors.first().unwrap_or(&"no run")
            );
            continue;
        };
        let _ = writeln!(
            md,
            "| ≥ {} jobs/s on {WORKER_THREADS} cores, {with} | {} jobs/s | {} |",
            whole(TARGET_JOBS_PER_SECOND),
            whole(jobs),
            yes(jobs >= TARGET_JOBS_PER_SECOND)
        );
        if let Some(spawn) = Cell::of(report, Subject::Spawn, producers).jobs_per_second() {
            let share = jobs / spawn;
            let _ = writeln!(
                md,
                "| ≥ {TARGET_SHARE_OF_SPAWN}× `tokio::spawn` per job, {with} | {share:.2}× ({} jobs/s) | {} |",
                whole(spawn),
                yes(share >= TARGET_SHARE_OF_SPAWN)
            );
        }
        if let Some(apalis) = Cell::of(report, Subject::Apalis, producers).jobs_per_second() {
            let _ = writeln!(
                md,
                "| ahead of apalis, {with} | {:.2}× apalis ({} jobs/s) | {} |",
                jobs / apalis,
                whole(apalis),
                yes(jobs > apalis)
            );
        }
    }
    let _ = writeln!(md);
}

fn results(md: &mut String, report: &Report<'_>) {
    let _ = writeln!(md, "## Throughput\n");
    let _ = writeln!(
        md,
        "{} jobs per measurement, split evenly across the producers; a tokio multi-thread runtime \
         with {WORKER_THREADS} worker threads; each figure is the median of {REPEATS} runs, each in \
         its own process. Throughput = jobs ÷ the time from the first enqueue until the last job \
         body ran. \"cores busy\" = CPU time of every thread of the process ÷ that time. \"peak \
         RSS\" = the process's `VmHWM` at its end. \"other load\" is the CPU time other processes \
         (and the hypervisor, as steal) took while the run's process lived, as a share of every \
         CPU, from `/proc/stat`; a run above {} % was run again, up to {} times in all, and the \
         quietest kept.\n",
        whole(f64::from(u32::try_from(JOBS).unwrap_or(u32::MAX))),
        crate::RERUN_ABOVE_LOAD_PCT,
        crate::ATTEMPTS
    );
    let _ = writeln!(
        md,
        "| producers | implementation | jobs/s | runs (jobs/s) | × `tokio::spawn` | cores busy | peak RSS | other load |"
    );
    let _ = writeln!(md, "|---:|---|---:|---|---:|---:|---:|---:|");
    for producers in PRODUCERS {
        let spawn = Cell::of(report, Subject::Spawn, producers).jobs_per_second();
        for subject in Subject::ALL {
            let cell = Cell::of(report, subject, producers);
            let Some(jobs) = cell.jobs_per_second() else {
                let _ = writeln!(
                    md,
                    "| {producers} | {} | failed: {} | | | | | |",
                    subject.label(),
                    cell.errors.first().unwrap_or(&"no run")
                );
                continue;
            };
            let mut runs: Vec<String> = cell
                .runs
                .iter()
                .map(|t| {
                    let mark = if t.other_load_pct > crate::RERUN_ABOVE_LOAD_PCT {
                        " †"
                    } else {
                        ""
                    };
                    format!("{}{mark}", whole(t.jobs_per_second()))
                })
                .collect();
            runs.extend(cell.errors.iter().map(|_| "failed".to_owned()));
            let share = spawn.map_or_else(|| "—".to_owned(), |s| format!("{:.2}×", jobs / s));
            let _ = writeln!(
                md,
                "| {producers} | {} | **{}** | {} | {share} | {:.2} | {:.1} MiB | {:.0} % |",
                subject.label(),
                whole(jobs),
                runs.join(" · "),
                cell.median(Throughput::cores).unwrap_or(0.0),
                cell.median(|t| mib(t.vm_hwm_kib)).unwrap_or(0.0),
                cell.median(|t| t.other_load_pct).unwrap_or(0.0),
            );
        }
    }
    if report.runs.iter().any(|run| {
        run.outcome
            .as_ref()
            .is_ok_and(|t| t.other_load_pct > crate::RERUN_ABOVE_LOAD_PCT)
    }) {
        let _ = writeln!(
            md,
            "\n† other load stayed above {} % in every attempt: that run had less than the whole \
             machine.",
            crate::RERUN_ABOVE_LOAD_PCT
        );
    }
    // One line per distinct failure, with how often it happened.
    let mut failures: Vec<(String, usize)> = Vec::new();
    for run in report.runs {
        let Err(e) = &run.outcome else { continue };
        let line = format!(
            "{}, {}: {e}",
            run.subject.label(),
            with_producers(run.producers)
        );
        match failures.iter_mut().find(|(known, _)| *known == line) {
            Some((_, times)) => *times += 1,
            None => failures.push((line, 1)),
        }
    }
    let failures: Vec<String> = failures
        .into_iter()
        .map(|(line, times)| format!("- {line} ({times}×)"))
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(md, "\nFailed runs:\n\n{}", failures.join("\n"));
    }
    let _ = writeln!(md);
}

fn subjects(md: &mut String) {
    let _ = writeln!(md, "## What each implementation does\n");
    let _ = writeln!(
        md,
        "Every job runs the same body: it takes a `u64` payload by value, passes it through \
         `std::hint::black_box` and decrements one shared `AtomicI64` (the body that reaches zero \
         wakes the measuring task). **`tokio::spawn` per job**, the reference, spawns the body's \
         future for each job and drops the `JoinHandle`: no queue and no concurrency limit, just \
         tokio's scheduler. **mpsc + {CHANNEL_WORKERS} worker tasks** is the pool people write by \
         hand: one unbounded `tokio::sync::mpsc` channel of payloads, whose single receiver sits \
         in an `Arc<tokio::sync::Mutex<_>>` shared by {CHANNEL_WORKERS} worker tasks, each \
         locking it, taking one payload, releasing it and running the body (preferred over one \
         channel per worker fed round-robin because an idle worker always takes the next job, as \
         a job queue must). **apalis 1.0** runs one worker on its in-memory backend, \
         `MemoryStorage` (an unbounded `futures` channel), built as its README shows: \
         `WorkerBuilder::new(..).backend(storage).concurrency({CONCURRENCY}).parallelize(tokio::spawn).build(job)`; \
         since `MemoryStorage` is not `Clone` and the worker takes it by value, each producer \
         gets a storage of its own around a clone of the channel's sender \
         (`MemoryStorage::new_with`) and enqueues with the usual `TaskSink::push`. **jobs** is a \
         `#[job(queue = \"bench\")] async fn noop(n: u64)` on a runtime built with \
         `.only([\"noop\"]).queue(\"bench\", {CONCURRENCY}).max_pending(2_000_000)`, enqueued with \
         `noop::options().handle(&handle).enqueue(n).await`.\n"
    );
}

fn method(md: &mut String) {
    let _ = writeln!(md, "## How it is measured\n");
    let _ = writeln!(
        md,
        "- Each run is a fresh child process that starts the implementation, enqueues a warm-up \
         round of a tenth of the jobs through the same producers and workers (threads started, \
         queues and allocator pools grown), then the measured round.\n\
         - Each producer is a tokio task that enqueues its share one job at a time, awaiting each \
         enqueue where the API is async, as a request handler would. With 2 producers the jobs \
         are split in halves.\n\
         - The clock starts just before the producer tasks are spawned and stops when the last \
         job body has run, so throughput includes enqueueing, queueing, dispatch and the body.\n\
         - After the measured round the child waits {} ms and fails the run if any job body ran \
         more than once.\n\
         - The subjects alternate within each of the {REPEATS} repeats, so that a drift of the \
         shared machine during the run falls on all of them alike; a child still running after \
         {} s is killed and the run reported as failed.",
        crate::throughput::LINGER.as_millis(),
        crate::CHILD_TIMEOUT.as_secs()
    );
}
