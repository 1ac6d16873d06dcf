//! `BENCHMARKS.md` and its plot.

use crate::header::{self, Header};
use crate::idle::{self, Idle};
use crate::lateness::{self, Lateness};
use crate::probe::Machine;
use crate::section;
use crate::subjects::Subject;
use crate::Outcome;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// DESIGN.md "Performance targets".
const TARGET_P99_OVER_FLOOR_MS: f64 = 2.0;
const TARGET_BYTES_PER_JOB: f64 = 1024.0;
/// The job count the lateness target is stated for.
const TARGET_JOBS: usize = 10_000;

pub(crate) struct Row<T> {
    pub(crate) n: usize,
    pub(crate) subject: Subject,
    pub(crate) outcome: Outcome<T>,
}

pub(crate) struct Run<'a> {
    pub(crate) machine: &'a Machine,
    pub(crate) date: DateTime<Utc>,
    pub(crate) elapsed: Duration,
    pub(crate) lateness: &'a [Row<Lateness>],
    pub(crate) idle: &'a [Row<Idle>],
}

pub(crate) struct Paths {
    pub(crate) markdown: PathBuf,
    pub(crate) svg: PathBuf,
    /// How the markdown file refers to the plot.
    svg_link: &'static str,
}

impl Paths {
    pub(crate) fn in_workspace() -> Self {
        let benches = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let workspace = benches.parent().map_or_else(|| benches.clone(), Into::into);
        Self {
            markdown: workspace.join("BENCHMARKS.md"),
            svg: benches.join("lateness.svg"),
            svg_link: "benches/lateness.svg",
        }
    }
}

#[allow(
    clippy::cast_precision_loss,
    reason = "nanoseconds of lateness are far below 2^52"
)]
pub(crate) fn ms(ns: i64) -> f64 {
    ns as f64 / 1e6
}

#[allow(
    clippy::cast_precision_loss,
    reason = "kibibytes and job counts are far below 2^52"
)]
pub(crate) fn bytes_per_job(idle: &Idle) -> f64 {
    let grown = idle.rss_after_kib.saturating_sub(idle.rss_before_kib);
    (grown * 1024) as f64 / idle.registered.max(1) as f64
}

#[allow(
    clippy::cast_precision_loss,
    reason = "nanoseconds of CPU and window milliseconds are far below 2^52"
)]
pub(crate) fn cpu_ms_per_minute(idle: &Idle) -> f64 {
    idle.cpu_ns as f64 / 1e6 * 60_000.0 / idle.window_ms.max(1) as f64
}

fn floor_of<T>(rows: &[Row<T>], n: usize) -> Option<&T> {
    rows.iter()
        .find(|row| row.n == n && row.subject == Subject::Floor)
        .and_then(|row| row.outcome.as_ref().ok())
}

fn count(n: usize) -> String {
    header::thousands(n as u64)
}

/// Writes the plot and the report; the sections of the report that other benchmarks own (the
/// PostgreSQL benchmark's, between its markers) are kept as they were.
pub(crate) fn write(paths: &Paths, run: &Run<'_>) -> std::io::Result<()> {
    std::fs::write(&paths.svg, svg(run.lateness))?;
    let old = std::fs::read_to_string(&paths.markdown).unwrap_or_default();
    std::fs::write(
        &paths.markdown,
        section::carry_over(&old, &markdown(run, paths.svg_link)),
    )
}

fn markdown(run: &Run<'_>, svg_link: &str) -> String {
    let mut md = String::new();
    header::write(
        &mut md,
        &Header {
            title: "Runtime benchmarks: jobs, tokio-cron-scheduler, apalis-cron",
            bin: "runtime",
            date: run.date,
            elapsed: run.elapsed,
            note: Some(
                "The other benchmarks have their own reports: on-demand job throughput against \
                 `tokio::spawn`, a channel with workers and apalis in \
                 [benches/ONDEMAND.md](benches/ONDEMAND.md) (`--bin ondemand`), the schedule \
                 engine against `cron` and `croner` in [benches/SCHEDULE.md](benches/SCHEDULE.md), \
                 and the PostgreSQL store against apalis-postgres and graphile-worker in the last \
                 section of this file (`--bin postgres`, which rewrites only that section; this \
                 benchmark keeps it as it is).",
            ),
            machine: run.machine,
            peers: "tokio-cron-scheduler 0.15 (`JobScheduler::new()`, defaults), apalis 1.0 + \
                    apalis-cron 1.0 (one worker per job, defaults)",
        },
    );
    targets(&mut md, run);
    lateness_section(&mut md, run.lateness, svg_link);
    idle_section(&mut md, run.idle);
    method(&mut md);
    md
}

fn targets(md: &mut String, run: &Run<'_>) {
    let _ = writeln!(md, "## Our targets (DESIGN.md \"Performance targets\")\n");
    let _ = writeln!(md, "| target | measured | met |\n|---|---|---|");
    let ours = |n: usize| {
        run.lateness
            .iter()
            .find(|row| row.n == n && row.subject == Subject::Jobs)
            .map(|row| &row.outcome)
    };
    match (ours(TARGET_JOBS), floor_of(run.lateness, TARGET_JOBS)) {
        (Some(Ok(l)), Some(floor)) => {
            let over = ms(l.p99() - floor.p99());
            let _ = writeln!(
                md,
                "| firing lateness p99 ≤ {TARGET_P99_OVER_FLOOR_MS} ms over the tokio timer floor, {} jobs | {over:.3} ms over (p99 {:.3} ms, floor {:.3} ms) | {} |",
                count(TARGET_JOBS),
                ms(l.p99()),
                ms(floor.p99()),
                yes(over <= TARGET_P99_OVER_FLOOR_MS)
            );
        }
        (Some(Err(e)), _) => {
            let _ = writeln!(
                md,
                "| firing lateness, {} jobs | failed: {e} | no |",
                count(TARGET_JOBS)
            );
        }
        _ => {
            let _ = writeln!(
                md,
                "| firing lateness, {} jobs | no floor measured | ? |",
                count(TARGET_JOBS)
            );
        }
    }
    let (mut missed, mut duplicated, mut failed) = (0, 0, 0);
    for row in run
        .lateness
        .iter()
        .filter(|row| row.subject == Subject::Jobs)
    {
        match &row.outcome {
            Ok(l) => {
                missed += l.missed;
                duplicated += l.duplicated;
            }
            Err(_) => failed += 1,
        }
    }
    let _ = writeln!(
        md,
        "| missed and duplicated firings 0 | {missed} missed, {duplicated} duplicated over every lateness run{} | {} |",
        if failed > 0 { format!(" ({failed} runs failed)") } else { String::new() },
        yes(missed == 0 && duplicated == 0 && failed == 0)
    );
    for row in run.idle.iter().filter(|row| row.subject == Subject::Jobs) {
        let Ok(i) = &row.outcome else {
            let _ = writeln!(md, "| idle, {} jobs | failed | no |", count(row.n));
            continue;
        };
        let floor = floor_of(run.idle, row.n);
        let extra = floor.map_or(i.voluntary, |f| i.voluntary.saturating_sub(f.voluntary));
        let _ = writeln!(
            md,
            "| no wake-ups between deadlines, {} jobs | {} wake-ups in {} s, {} more than the floor | {} |",
            count(row.n),
            i.voluntary,
            i.window_ms / 1000,
            extra,
            yes(extra == 0)
        );
        let per_job = bytes_per_job(i);
        let _ = writeln!(
            md,
            "| ≤ 1 KiB per registered job, {} jobs | {per_job:.0} B | {} |",
            count(row.n),
            yes(per_job <= TARGET_BYTES_PER_JOB)
        );
    }
    let _ = writeln!(md);
}

fn yes(met: bool) -> &'static str {
    if met {
        "yes"
    } else {
        "**no**"
    }
}

fn lateness_section(md: &mut String, rows: &[Row<Lateness>], svg_link: &str) {
    let _ = writeln!(md, "## Firing lateness\n");
    let _ = writeln!(
        md,
        "N jobs on `{}` (every {} s), {} measured ticks per run, each implementation in its own process. \
         Lateness = wall clock at the start of the job body − the tick's instant. \
         \"over floor\" = the implementation's p99 − the floor's p99 at the same N. \
         \"first\" and \"last\" = the lateness of the first and of the last job of a burst to start, \
         the median over the ticks: what a user with many jobs due together sees. \
         A (job, tick) with no firing before the next tick is due is *missed*; each firing beyond \
         the first is *duplicated*. \
         \"other load\" is the CPU time other processes (and the hypervisor, as steal) took \
         while the run's process lived, as a share of both CPUs, from `/proc/stat`; a run above \
         {} % was run once more and the quieter of the two kept.\n",
        lateness::CRON,
        lateness::PERIOD_NS / 1_000_000_000,
        lateness::TICKS,
        crate::RERUN_ABOVE_LOAD_PCT
    );
    let _ = writeln!(
        md,
        "| jobs | implementation | firings | p50 ms | p99 ms | max ms | p99 over floor ms | first ms | last ms | missed | duplicated | other load |"
    );
    let _ = writeln!(
        md,
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut notes = Vec::new();
    for row in rows {
        match &row.outcome {
            Ok(l) => {
                let over = floor_of(rows, row.n)
                    .filter(|_| row.subject != Subject::Floor)
                    .map_or_else(
                        || "—".to_owned(),
                        |f| format!("{:.3}", ms(l.p99() - f.p99())),
                    );
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {over} | {:.3} | {:.3} | {} | {} | {:.0} % |",
                    count(row.n),
                    row.subject.label(),
                    count(l.fired),
                    ms(l.p50()),
                    ms(l.p99()),
                    ms(l.max()),
                    ms(l.first()),
                    ms(l.last()),
                    l.missed,
                    l.duplicated,
                    l.other_load_pct
                );
                if l.early > 0 || l.stray > 0 {
                    notes.push(format!(
                        "{} with {} jobs: {} firings started before their tick, {} were for an instant that is not a tick.",
                        row.subject.label(),
                        count(row.n),
                        l.early,
                        l.stray
                    ));
                }
            }
            Err(e) => {
                let _ = writeln!(
                    md,
                    "| {} | {} | failed: {e} | | | | | | | | | |",
                    count(row.n),
                    row.subject.label()
                );
            }
        }
    }
    notes.extend(fixed_notes(rows));
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "![Lateness distribution with {} jobs]({svg_link})\n",
        count(TARGET_JOBS)
    );
    if !notes.is_empty() {
        let _ = writeln!(md, "Notes:\n");
        for note in notes {
            let _ = writeln!(md, "- {note}");
        }
        let _ = writeln!(md);
    }
}

/// The notes below the lateness table: what its figures alone do not explain.
fn fixed_notes(rows: &[Row<Lateness>]) -> Vec<String> {
    let mut notes = Vec::new();
    if rows.iter().any(|row| {
        row.subject == Subject::TokioCron && row.outcome.as_ref().is_ok_and(|l| l.missed > 0)
    }) {
        notes.push(
            "tokio-cron-scheduler's missed firings: its ticker hands every due job to the runner \
             over a `tokio::sync::broadcast` channel, of capacity 200 with `JobScheduler::new()`; \
             when more jobs are due at once than the runner keeps up with, the receiver lags and \
             the overflowed activations are dropped. How many depends on the race, so it varies \
             from run to run. In a separate check with `JobScheduler::new_with_channel_size(131072)` \
             no firing was missed at 1 000 or 10 000 jobs, with the same lateness."
                .to_owned(),
        );
    }
    if rows
        .iter()
        .any(|row| row.subject == Subject::Jobs && row.n >= TARGET_JOBS)
    {
        notes.push(
            "Where our gap to the floor grows with the number of jobs due together: the floor's \
             tasks only wake, while each of our runs also starts a task, writes its history record \
             and tells the scheduler it ended. `benches/src/bin/burst.rs`, run under valgrind as \
             its header shows, counts that work per run (instructions, cache misses) beside the \
             floor's: figures that do not vary with the machine's load, as these do."
                .to_owned(),
        );
    }
    notes
}

fn idle_section(md: &mut String, rows: &[Row<Idle>]) {
    let _ = writeln!(md, "## Idle cost and memory\n");
    let _ = writeln!(
        md,
        "N jobs on `{}` (next tick on January 1st), each implementation in its own process. \
         After registration and a 2 s settle, a {} s window: CPU is the sum of every thread's \
         `schedstat` run time, scaled to a minute; wake-ups are voluntary context switches summed \
         over every thread (`/proc/self/task/*/status`), each one a thread that went to sleep and \
         was woken. The floor is N tokio tasks asleep in `sleep_until` the same instant; its \
         wake-ups are the measuring process's own (the end of the window). Memory is `VmRSS` after \
         registration − before, ÷ N.\n",
        idle::CRON,
        idle::WINDOW.as_secs()
    );
    let _ = writeln!(
        md,
        "| jobs | implementation | register time | RSS growth | RSS per job | CPU ms/min | wake-ups in window | involuntary switches | threads |"
    );
    let _ = writeln!(md, "|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        match &row.outcome {
            Ok(i) => {
                let registered = if i.complete {
                    format!("{} ms", i.register_ms)
                } else {
                    format!(
                        "**only {} of {} in {} s**",
                        count(i.registered),
                        count(row.n),
                        idle::REGISTER_BUDGET.as_secs()
                    )
                };
                let mut threads = i.threads.to_string();
                if i.threads_gone > 0 {
                    let _ = write!(threads, " ({} ended)", i.threads_gone);
                }
                let _ = writeln!(
                    md,
                    "| {} | {} | {registered} | {:.1} MiB | {} B | {:.1} | {} | {} | {threads} |",
                    count(row.n),
                    row.subject.label(),
                    mib(i.rss_after_kib.saturating_sub(i.rss_before_kib)),
                    whole(bytes_per_job(i)),
                    cpu_ms_per_minute(i),
                    i.voluntary,
                    i.involuntary
                );
                if i.fired > 0 {
                    let _ = writeln!(
                        md,
                        "| | ↑ {} job bodies ran during the idle run; none should have | | | | | | | |",
                        i.fired
                    );
                }
            }
            Err(e) => {
                let _ = writeln!(
                    md,
                    "| {} | {} | failed: {e} | | | | | | |",
                    count(row.n),
                    row.subject.label()
                );
            }
        }
    }
    let _ = writeln!(md);
}

/// A non-negative figure rounded and grouped by thousands, as `count` does.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "bytes per job are non-negative and far below 2^52"
)]
fn whole(value: f64) -> String {
    count(value.round() as usize)
}

#[allow(clippy::cast_precision_loss, reason = "kibibytes are far below 2^52")]
fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn method(md: &mut String) {
    let _ = writeln!(md, "## How it is measured\n");
    let _ = writeln!(
        md,
        "- Every implementation runs in a fresh child process on a multi-threaded tokio runtime with \
         the default worker count (one per CPU), and is started the way its documentation shows, \
         with default settings. Job bodies do the same thing everywhere: read the wall clock, then \
         push a sample into a buffer of the current thread, allocated up front (a buffer shared \
         by all threads would add its lock contention to every implementation).\n\
         - The floor is the same number of tokio tasks each doing `sleep_until` of the tick's \
         deadline and recording their own lateness: what any scheduler built on the tokio timer pays \
         at least (timer wheel granularity of 1 ms, waking N tasks on 2 cores). apalis-cron \
         waits on the `futures-timer` thread instead, which has no 1 ms grid, so with few jobs it \
         can be below the tokio floor.\n\
         - The tick a firing belongs to comes from the implementation where it says so \
         (`JobContext::scheduled_at()`, apalis-cron's `Tick`); tokio-cron-scheduler passes no \
         instant to a job, so its firing is given to the latest tick at or before its start. A \
         firing later than one period would show there as one missed and one duplicated firing.\n\
         - Ticks between registration and the first measured tick are warm-up and not counted. \
         Listening stops {} ms before the tick after the last measured one.\n\
         - Registration of each peer is bounded ({} s for the lateness runs, {} s for the idle runs) \
         and a child still running {} s after its budget and measurement is killed; a peer that \
         does not finish is reported as such, not waited for.\n\
         - One run per row, not a best of several (repeated only when other load was above {} %): \
         on this shared 2-vCPU virtual machine the p99 with 10 000 jobs varied by up to a factor of \
         two from one run to the next during development, for every implementation, the floor \
         included.",
        lateness::MARGIN_NS / 1_000_000,
        lateness::REGISTER_BUDGET.as_secs(),
        idle::REGISTER_BUDGET.as_secs(),
        crate::CHILD_SLACK.as_secs(),
        crate::RERUN_ABOVE_LOAD_PCT
    );
}

/// The plot area of the SVG and its two scales.
struct Plot {
    lo_decade: i32,
    hi_decade: i32,
}

impl Plot {
    const WIDTH: f64 = 760.0;
    const HEIGHT: f64 = 440.0;
    const LEFT: f64 = 70.0;
    /// Room for the legend.
    const RIGHT: f64 = 230.0;
    const TOP: f64 = 50.0;
    const BOTTOM: f64 = 60.0;
    const W: f64 = Self::WIDTH - Self::LEFT - Self::RIGHT;
    const H: f64 = Self::HEIGHT - Self::TOP - Self::BOTTOM;

    /// Lateness at or below the lowest decade is drawn on the axis.
    fn x(&self, ms_value: f64) -> f64 {
        let decades = f64::from(self.hi_decade - self.lo_decade);
        let v = ms_value.max(10_f64.powi(self.lo_decade)).log10() - f64::from(self.lo_decade);
        Self::LEFT + v / decades * Self::W
    }

    fn y(fraction: f64) -> f64 {
        Self::TOP + (1.0 - fraction) * Self::H
    }
}

/// The cumulative distribution of lateness at [`TARGET_JOBS`] jobs, one line per implementation,
/// on a logarithmic time axis (the implementations differ by orders of magnitude).
fn svg(rows: &[Row<Lateness>]) -> String {
    let series: Vec<(Subject, &Lateness)> = rows
        .iter()
        .filter(|row| row.n == TARGET_JOBS)
        .filter_map(|row| Some((row.subject, row.outcome.as_ref().ok()?)))
        .collect();
    let largest = series
        .iter()
        .map(|(_, l)| ms(l.max()))
        .fold(1.0_f64, f64::max);
    let plot = Plot {
        lo_decade: -2,
        hi_decade: ceil_log10(largest).max(-1),
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#,
        w = Plot::WIDTH,
        h = Plot::HEIGHT
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    axes(&mut s, &plot);
    // The target: 2 ms over the floor's p99.
    if let Some((_, floor)) = series
        .iter()
        .find(|(subject, _)| *subject == Subject::Floor)
    {
        let x = plot.x(ms(floor.p99()) + TARGET_P99_OVER_FLOOR_MS);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{:.1}" stroke="#d62728" stroke-dasharray="5,4"/><text x="{:.1}" y="{:.1}" fill="#d62728" font-size="11">target: floor p99 + 2 ms</text>"##,
            Plot::TOP,
            Plot::TOP + Plot::H,
            x + 3.0,
            Plot::TOP + 12.0
        );
    }
    for (i, (subject, l)) in series.iter().enumerate() {
        let mut points = String::new();
        for (k, &ns) in l.permille_ns.iter().enumerate() {
            let fraction = f64::from(u32::try_from(k).unwrap_or(0)) / 1000.0;
            let _ = write!(points, "{:.1},{:.1} ", plot.x(ms(ns)), Plot::y(fraction));
        }
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
            points.trim_end(),
            subject.colour()
        );
        let y = Plot::TOP + 20.0 + 22.0 * f64::from(u32::try_from(i).unwrap_or(0));
        let x = Plot::LEFT + Plot::W + 15.0;
        let _ = writeln!(
            s,
            r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{}" stroke-width="3"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            x + 22.0,
            subject.colour(),
            x + 28.0,
            y + 4.0,
            subject.label()
        );
    }
    let _ = writeln!(s, "</svg>");
    s
}

fn axes(s: &mut String, plot: &Plot) {
    let (left, top, w, h) = (Plot::LEFT, Plot::TOP, Plot::W, Plot::H);
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="25" font-size="15" text-anchor="middle">Firing lateness, {} jobs due together ({} ticks)</text>"#,
        left + w / 2.0,
        count(TARGET_JOBS),
        lateness::TICKS
    );
    for decade in plot.lo_decade..=plot.hi_decade {
        let x = plot.x(10_f64.powi(decade));
        let label = if decade < 0 {
            format!("{}", 10_f64.powi(decade))
        } else {
            format!("{}", 10_i64.pow(decade.unsigned_abs()))
        };
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{label}</text>"##,
            top + h,
            top + h + 18.0
        );
    }
    for tenth in 0..=10 {
        let fraction = f64::from(tenth) / 10.0;
        let y = Plot::y(fraction);
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end">{fraction:.1}</text>"##,
            left + w,
            left - 8.0,
            y + 4.0
        );
    }
    let _ = writeln!(
        s,
        r##"<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#333"/>"##
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">lateness (ms, log scale; 0.01 ms or less drawn at 0.01)</text>"#,
        left + w / 2.0,
        Plot::HEIGHT - 15.0
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle">fraction of firings at most this late</text>"#,
        top + h / 2.0
    );
}

#[allow(
    clippy::cast_possible_truncation,
    reason = "the logarithm of a lateness in milliseconds is a small number"
)]
fn ceil_log10(value: f64) -> i32 {
    value.log10().ceil() as i32
}
