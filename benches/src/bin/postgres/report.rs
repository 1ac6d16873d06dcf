//! The PostgreSQL section of `BENCHMARKS.md`, and the count of a cluster run's ticks.

use crate::header::thousands;
use crate::measure::Mode;
use crate::probe::Machine;
use crate::subjects::Subject;
use crate::work::percentile;
use crate::{Cluster, Latency, Load, Outcome, Throughput, Tick};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// The issue's targets.
const TARGET_JOBS_PER_SECOND: f64 = 10_000.0;
const TARGET_TICK_P99_MS: f64 = 50.0;

pub(crate) struct Row<K, T> {
    pub(crate) key: K,
    pub(crate) subject: Subject,
    pub(crate) outcome: Outcome<T>,
}

pub(crate) struct Run<'a> {
    pub(crate) machine: &'a Machine,
    /// `SELECT version()`, shortened.
    pub(crate) server: &'a str,
    pub(crate) date: DateTime<Utc>,
    pub(crate) elapsed: Duration,
    pub(crate) throughput: &'a [Row<Mode, Throughput>],
    pub(crate) latency: &'a [Row<usize, Latency>],
    pub(crate) cluster: &'a Outcome<Cluster>,
}

/// `BENCHMARKS.md` at the workspace root.
pub(crate) fn path() -> PathBuf {
    let benches = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    benches
        .parent()
        .map_or_else(|| benches.clone(), Into::into)
        .join("BENCHMARKS.md")
}

#[allow(
    clippy::cast_precision_loss,
    reason = "nanoseconds of lateness are far below 2^52"
)]
pub(crate) fn ms(ns: i64) -> f64 {
    ns as f64 / 1e6
}

pub(crate) fn cores(cores: Option<f64>) -> String {
    cores.map_or_else(|| "n/a".to_owned(), |c| format!("{c:.2}"))
}

fn load(load: &Load) -> String {
    format!("{:.0} %", load.other_pct)
}

/// Counts the runs the cluster's processes reported for the ticks in `[from_ns, until_ns)`.
pub(crate) fn cluster(
    answers: &[Outcome<crate::Fields>],
    from_ns: i64,
    until_ns: i64,
    jobs: u32,
    load: Load,
) -> Outcome<Cluster> {
    const SECOND: i64 = 1_000_000_000;
    let mut counts: HashMap<(u32, i64), usize> = HashMap::new();
    let mut lateness = Vec::new();
    let mut tick_lateness = Vec::new();
    let mut per_process = Vec::new();
    let mut start_ms = Vec::new();
    let mut shutdown_ms = Vec::new();
    let mut stray = 0;
    let mut failures = Vec::new();
    for (process, answer) in answers.iter().enumerate() {
        // A process that failed is reported; the others' runs are still counted, as the cluster
        // is meant to run every tick while any of its processes lives.
        let fields = match answer {
            Ok(fields) => fields,
            Err(e) => {
                failures.push(format!("process {}: {e}", process + 1));
                continue;
            }
        };
        start_ms.push(fields.number("start_ms")?);
        shutdown_ms.push(fields.number("shutdown_ms")?);
        let mut mine = 0;
        for record in fields.text("runs")?.split(',').filter(|r| !r.is_empty()) {
            let mut parts = record.split(':').map(str::parse::<i64>);
            let (Some(Ok(job)), Some(Ok(scheduled)), Some(Ok(started))) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(format!("process {}: bad run `{record}`", process + 1));
            };
            if !(from_ns..until_ns).contains(&scheduled) {
                continue;
            }
            if scheduled.rem_euclid(SECOND) != 0 {
                stray += 1;
                continue;
            }
            let job = u32::try_from(job).map_err(|e| e.to_string())?;
            *counts.entry((job, scheduled)).or_default() += 1;
            lateness.push(started - scheduled);
            tick_lateness.push(((scheduled - from_ns) / SECOND, started - scheduled));
            mine += 1;
        }
        per_process.push(mine);
    }
    if failures.len() == answers.len() {
        return Err(failures.join("; "));
    }
    let ticks = usize::try_from((until_ns - from_ns) / SECOND).unwrap_or(0);
    let expected = ticks * usize::try_from(jobs).unwrap_or(0);
    let mut by_tick: Vec<Vec<i64>> = vec![Vec::new(); ticks];
    for &(second, late) in &tick_lateness {
        if let Some(tick) = usize::try_from(second)
            .ok()
            .and_then(|s| by_tick.get_mut(s))
        {
            tick.push(late);
        }
    }
    let per_tick = by_tick
        .into_iter()
        .zip(0..)
        .map(|(mut late, second)| {
            late.sort_unstable();
            Tick {
                second,
                runs: late.len(),
                first_ns: late.first().copied().unwrap_or(0),
                p50_ns: percentile(&late, 500),
                last_ns: late.last().copied().unwrap_or(0),
            }
        })
        .collect();
    lateness.sort_unstable();
    Ok(Cluster {
        expected,
        runs: lateness.len(),
        missed: expected.saturating_sub(counts.len()),
        duplicated: counts.values().map(|&n| n - 1).sum(),
        stray,
        p50_ns: percentile(&lateness, 500),
        p99_ns: percentile(&lateness, 990),
        max_ns: percentile(&lateness, 1000),
        per_process,
        failures,
        ticks: per_tick,
        start_ms,
        shutdown_ms,
        load,
    })
}

pub(crate) fn markdown(run: &Run<'_>) -> String {
    let mut md = String::new();
    let m = run.machine;
    let _ = writeln!(
        md,
        "## PostgreSQL store: jobs, apalis-postgres, graphile-worker\n"
    );
    let _ = writeln!(
        md,
        "Written by `benches/src/bin/postgres.rs` on {} in {:.0} s; every figure in this section comes from that one run (the runtime benchmark keeps this section as it is when it rewrites the rest of the file).\n",
        run.date.format("%Y-%m-%d %H:%M UTC"),
        run.elapsed.as_secs_f64()
    );
    let _ = writeln!(
        md,
        "Reproduce (from the workspace root, with PostgreSQL on `127.0.0.1:5432`, user `postgres`, trust authentication, or `JOBS_BENCH_POSTGRES=postgres://…/postgres`; Node.js 20 or later for graphile-worker, installed by `npm install` in `benches/graphile/` on the first run):\n"
    );
    let _ = writeln!(
        md,
        "```sh\ncargo run --release -p jobs-benches --bin postgres\n```\n"
    );
    let _ = writeln!(md, "| machine | |\n|---|---|");
    let _ = writeln!(
        md,
        "| CPUs | {} × {}, {} MiB |",
        m.cpus,
        m.cpu_model,
        thousands(m.memory_mib)
    );
    let _ = writeln!(md, "| kernel, compiler | {}, {} |", m.kernel, m.rustc);
    let _ = writeln!(
        md,
        "| database | {}, on the same machine, default settings (`fsync` and `synchronous_commit` on); a fresh database per run |",
        run.server
    );
    let _ = writeln!(md, "| code measured | {} |", m.revision);
    let _ = writeln!(
        md,
        "| peers | apalis 1.0 + apalis-postgres 1.0 (`PostgresStorage` with `with_pubsub()`, default `Config`, one worker with `.concurrency(c).parallelize(tokio::spawn)`); graphile-worker 0.17.3 on Node.js {} (`run({{ concurrency: c, maxPoolSize: min(c, 40) }})`, jobs added through `makeWorkerUtils`) |\n",
        node_version()
    );

    targets(&mut md, run);
    throughput(&mut md, run.throughput);
    latency(&mut md, run.latency);
    cluster_section(&mut md, run.cluster);
    method(&mut md);
    md
}

fn node_version() -> String {
    std::process::Command::new("node")
        .arg("--version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map_or_else(|| "(not found)".to_owned(), |v| v.trim().to_owned())
}

fn yes(met: bool) -> &'static str {
    if met {
        "yes"
    } else {
        "**no**"
    }
}

fn targets(md: &mut String, run: &Run<'_>) {
    let _ = writeln!(md, "### Targets\n");
    let _ = writeln!(md, "| target | measured | met |\n|---|---|---|");
    let find = |mode: Mode, subject: Subject| {
        run.throughput
            .iter()
            .find(|row| row.key == mode && row.subject == subject)
            .and_then(|row| row.outcome.as_ref().ok())
    };
    for mode in Mode::ALL {
        let what = match mode {
            Mode::Single => "one job per enqueue",
            Mode::Bulk => "bulk enqueue",
        };
        let ours = find(mode, Subject::Jobs);
        let floor = find(mode, Subject::Floor).map_or_else(String::new, |t| {
            format!(" (bare `INSERT`s alone: {} rows/s)", thousands(rate(t)))
        });
        let _ = writeln!(
            md,
            "| ≥ {} jobs/s enqueued and completed, {what}, concurrency {} | {}{floor} | {} |",
            thousands(10_000),
            crate::CONCURRENCY,
            ours.map_or_else(
                || "no figure".to_owned(),
                |t| format!("{} jobs/s", thousands(rate(t)))
            ),
            yes(ours.is_some_and(|t| t.jobs_per_second() >= TARGET_JOBS_PER_SECOND))
        );
    }
    let ours = find(Mode::Single, Subject::Jobs);
    let peers: Vec<String> = [Subject::Apalis, Subject::Graphile]
        .into_iter()
        .map(|peer| {
            find(Mode::Single, peer).map_or_else(
                || format!("{}: no figure", peer.label()),
                |t| format!("{}: {} jobs/s", peer.label(), thousands(rate(t))),
            )
        })
        .collect();
    let ahead = ours.is_some_and(|o| {
        [Subject::Apalis, Subject::Graphile]
            .into_iter()
            .filter_map(|peer| find(Mode::Single, peer))
            .all(|p| o.jobs_per_second() > p.jobs_per_second())
    });
    let _ = writeln!(
        md,
        "| ahead of apalis-postgres and graphile-worker, one job per enqueue | ours {}; {} | {} |",
        ours.map_or_else(
            || "no figure".to_owned(),
            |t| format!("{} jobs/s", thousands(rate(t)))
        ),
        peers.join("; "),
        yes(ahead)
    );
    cluster_targets(md, run.cluster);
    let duplicates: u64 = run
        .throughput
        .iter()
        .filter(|row| row.subject == Subject::Jobs)
        .filter_map(|row| row.outcome.as_ref().ok().map(|t| t.duplicates))
        .chain(
            run.latency
                .iter()
                .filter(|row| row.subject == Subject::Jobs)
                .filter_map(|row| row.outcome.as_ref().ok().map(|l| l.duplicates)),
        )
        .sum();
    let _ = writeln!(
        md,
        "| no on-demand job run twice (every throughput and latency run of ours) | {duplicates} run twice | {} |\n",
        yes(duplicates == 0)
    );
}

/// The cluster's rows of the targets table.
fn cluster_targets(md: &mut String, cluster: &Outcome<Cluster>) {
    match cluster {
        Ok(c) => {
            let _ = writeln!(
                md,
                "| cron tick lateness p99 ≤ {TARGET_TICK_P99_MS} ms, {} processes × {} jobs every second | {:.1} ms | {} |",
                crate::CRON_PROCESSES,
                thousands(u64::from(crate::CRON_JOBS)),
                ms(c.p99_ns),
                yes(ms(c.p99_ns) <= TARGET_TICK_P99_MS)
            );
            let failed = if c.failures.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} of {} processes failed: {}",
                    c.failures.len(),
                    crate::CRON_PROCESSES,
                    c.failures.join("; ")
                )
            };
            let _ = writeln!(
                md,
                "| ticks run exactly once across the cluster, every process up | {} missed, {} duplicated of {}{failed} | {} |",
                c.missed,
                c.duplicated,
                thousands(c.expected as u64),
                yes(c.missed == 0 && c.duplicated == 0 && c.failures.is_empty())
            );
        }
        Err(e) => {
            let _ = writeln!(md, "| cron ticks in a cluster | failed: {e} | **no** |");
        }
    }
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a positive rate far below 2^64"
)]
fn rate(t: &Throughput) -> u64 {
    t.jobs_per_second().round() as u64
}

fn failed(e: &str) -> String {
    if e.starts_with("n/a") {
        e.to_owned()
    } else {
        format!("failed: {e}")
    }
}

fn throughput(md: &mut String, rows: &[Row<Mode, Throughput>]) {
    let _ = writeln!(
        md,
        "### Enqueue plus complete: {} jobs, concurrency {}\n",
        thousands(crate::JOBS),
        crate::CONCURRENCY
    );
    let _ = writeln!(
        md,
        "| enqueue | implementation | jobs/s | enqueueing took | all ran after | CPU of the subject | CPU of PostgreSQL | run twice | other load |\n|---|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    for row in rows {
        let how = match row.key {
            Mode::Single => format!("one per call, {} tasks", crate::PRODUCERS),
            Mode::Bulk => format!("{} per call", thousands(crate::BATCH)),
        };
        match &row.outcome {
            Ok(t) => {
                #[allow(
                    clippy::cast_precision_loss,
                    reason = "nanoseconds of a run are far below 2^52"
                )]
                let total = t.elapsed_ns as f64 / 1e9;
                let _ = writeln!(
                    md,
                    "| {how} | {} | {} | {:.2} s | {total:.2} s | {:.2} cores | {} cores | {} | {} |",
                    row.subject.label(),
                    thousands(rate(t)),
                    t.enqueue_seconds(),
                    t.cores(),
                    cores(t.load.db_cores),
                    t.duplicates,
                    load(&t.load)
                );
            }
            Err(e) => {
                let _ = writeln!(
                    md,
                    "| {how} | {} | {} | | | | | | |",
                    row.subject.label(),
                    failed(e)
                );
            }
        }
    }
    md.push('\n');
}

fn latency(md: &mut String, rows: &[Row<usize, Latency>]) {
    let _ = writeln!(
        md,
        "### Enqueue to start: {} jobs/s for {} s, one job per enqueue\n",
        crate::RATE,
        crate::LATENCY_SECONDS
    );
    let _ = writeln!(
        md,
        "| concurrency | implementation | p50 ms | p99 ms | max ms | jobs | enqueued per s | CPU of PostgreSQL | run twice | other load |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for row in rows {
        match &row.outcome {
            Ok(l) => {
                let _ = writeln!(
                    md,
                    "| {} | {} | {:.2} | {:.2} | {:.2} | {} | {:.0} | {} cores | {} | {} |",
                    row.key,
                    row.subject.label(),
                    ms(l.p50_ns),
                    ms(l.p99_ns),
                    ms(l.max_ns),
                    thousands(l.samples),
                    l.rate,
                    cores(l.load.db_cores),
                    l.duplicates,
                    load(&l.load)
                );
            }
            Err(e) => {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | | | | | | | |",
                    row.key,
                    row.subject.label(),
                    failed(e)
                );
            }
        }
    }
    md.push('\n');
}

fn cluster_section(md: &mut String, cluster: &Outcome<Cluster>) {
    let _ = writeln!(
        md,
        "### Cron ticks in a cluster: {} of our processes on one database, {} jobs every second, {} s\n",
        crate::CRON_PROCESSES,
        thousands(u64::from(crate::CRON_JOBS)),
        crate::CRON_SECONDS
    );
    let _ = writeln!(
        md,
        "| ticks due | runs | lateness p50 ms | p99 ms | max ms | missed | run twice | runs per process | startup per process | shutdown per process | CPU of PostgreSQL | other load |\n|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|---:|"
    );
    match cluster {
        Ok(c) => {
            let list = |values: &[u64], unit: &str| {
                values
                    .iter()
                    .map(|v| format!("{}{unit}", thousands(*v)))
                    .collect::<Vec<_>>()
                    .join(" / ")
            };
            let per_process: Vec<u64> = c.per_process.iter().map(|&n| n as u64).collect();
            let _ = writeln!(
                md,
                "| {} | {} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} | {} | {} cores | {} |",
                thousands(c.expected as u64),
                thousands(c.runs as u64),
                ms(c.p50_ns),
                ms(c.p99_ns),
                ms(c.max_ns),
                c.missed,
                c.duplicated,
                list(&per_process, ""),
                list(&c.start_ms, " ms"),
                list(&c.shutdown_ms, " ms"),
                cores(c.load.db_cores),
                load(&c.load)
            );
            for failure in &c.failures {
                let _ = writeln!(
                    md,
                    "\nFailed: {failure} (its runs are missing from the table; the other processes' are counted)."
                );
            }
            if c.stray > 0 {
                let _ = writeln!(
                    md,
                    "\n{} runs were for an instant that is not a whole second.",
                    c.stray
                );
            }
        }
        Err(e) => {
            let _ = writeln!(md, "| failed: {e} | | | | | | | | | | | |");
        }
    }
    md.push('\n');
}

fn method(md: &mut String) {
    let _ = writeln!(md, "### What each row means\n");
    let lines = [
        format!(
            "**Enqueue plus complete**: the floor is no job system: the same producers, each enqueue a bare `INSERT` of the payload into a table of an id and a text column (`INSERT … UNNEST` for a batch) through a pool of 16 connections, as many as our store's; its \"jobs/s\" are rows inserted per second, what the database allows the enqueue side alone. The subject's workers run at concurrency {c} in a child process (a Rust process with a multi-threaded tokio runtime, one worker thread per CPU, or Node.js); a warm-up round of {w} jobs, then {n} jobs, timed from the first enqueue until the last job's body has started (each job's body only records that it ran). \"one per call\" is {p} tasks each enqueueing its share one job at a time, each enqueue a statement of its own (`work::enqueue`, apalis's `push`, graphile-worker's `addJob`), as request handlers would; \"{b} per call\" is one task enqueueing batches of {b} (`work::enqueue_many`, apalis's `push_bulk`, one `INSERT … UNNEST` each, graphile-worker's `addJobs`). \"enqueueing took\" is until the last enqueue returned. CPU of the subject is its process's CPU time over the measured round ÷ its wall time; CPU of PostgreSQL is the server's (every `postgres` process, from `/proc`) over the whole child run, warm-up and startup included.",
            c = crate::CONCURRENCY,
            w = thousands(crate::WARM_UP),
            n = thousands(crate::JOBS),
            p = crate::PRODUCERS,
            b = thousands(crate::BATCH),
        ),
        format!(
            "**Enqueue to start**: one job enqueued every {period} ms ({rate} per second), each enqueue a task of its own so that a slow one does not delay the next, for {warm} s of warm-up and then {secs} s measured; each job's payload holds the instant its enqueue was called, and its body records its start minus that instant: the insert, the notification or poll that finds the job, the claim and the hand-over to a worker. A subject that cannot take 500 jobs per second enqueues fewer (\"enqueued per s\" is the jobs over the time until the last enqueue returned): its waits are then those of a growing queue.",
            period = 1000 / crate::RATE,
            rate = crate::RATE,
            warm = crate::LATENCY_WARM_UP_SECONDS,
            secs = crate::LATENCY_SECONDS,
        ),
        format!(
            "**Cron ticks in a cluster**: {p} processes of ours, started together on one fresh database, each with the same {j} jobs on `{cron}` defined at run time (`Job::new`); each claims ticks through the store, so each (job, tick) must run in exactly one process. Each run reports its job, its scheduled instant and its start to the parent (on the child's stdout, at its end); lateness is start − scheduled instant. Ticks of the {s} whole seconds starting {lead} s after the processes were launched are counted: \"missed\" are (job, tick) pairs no process ran, \"run twice\" the runs beyond the first. Startup is building and starting the runtime with its {j} jobs (connection, migrations); shutdown is the graceful `Handle::shutdown`.",
            p = crate::CRON_PROCESSES,
            j = thousands(u64::from(crate::CRON_JOBS)),
            cron = crate::CRON,
            s = crate::CRON_SECONDS,
            lead = crate::CRON_LEAD.as_secs(),
        ),
        "**run twice**: jobs whose body ran more than once (each job's sequence number is in its payload). **other load**: CPU time of every other process on the machine (hypervisor steal included, the subject and PostgreSQL excluded) as a share of both CPUs, from `/proc/stat`; a run above 10 % was run once more and the quieter of the two kept.".to_owned(),
        "Every run gets a database of its own (`CREATE DATABASE` before, `DROP DATABASE … WITH (FORCE)` after), so that no run finds another's rows or dead tuples. One run per row: on this shared 2-vCPU machine, with the server on the same two cores as the subject, figures vary from run to run.".to_owned(),
    ];
    for line in lines {
        let _ = writeln!(md, "- {line}");
    }
}
