//! The cost of the `metrics` feature on the hot path: on-demand throughput in memory and the
//! lateness of 1 000 ticks due together, built without the feature, with it and no recorder, and
//! with it and a Prometheus recorder installed. Writes the `metrics` section of `BENCHMARKS.md`.
//!
//! ```text
//! cargo run --release -p jobs-benches --bin metrics
//! ```
//!
//! A cargo feature cannot be switched on and off within one binary, so this program (the
//! driver) builds itself twice, `cargo build --release -p jobs-benches --bin metrics` without
//! and with `--features metrics`, and runs each measurement as a child process of either build,
//! the variants interleaved round after round so that a drift of the shared machine falls on all
//! of them alike.

#[allow(
    dead_code,
    reason = "shared with the other benchmarks; this one runs its two builds, not itself"
)]
#[path = "shared/child.rs"]
mod child;
#[path = "shared/fields.rs"]
mod fields;
#[allow(
    dead_code,
    reason = "shared with the other benchmarks; this one only groups digits"
)]
#[path = "shared/header.rs"]
mod header;
#[allow(
    dead_code,
    reason = "shared with the other benchmarks, which use the parts this one does not"
)]
#[path = "shared/probe.rs"]
mod probe;
#[allow(
    dead_code,
    reason = "shared with the benchmarks that rewrite a whole report; this one writes its section"
)]
#[path = "shared/section.rs"]
mod section;

use chrono::{DateTime, Utc};
use fields::Fields;
use jobs_runtime::{job, Job, JobContext, Runtime, Schedule};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Rounds of the interleaved measurements; the report shows each variant's median.
const ROUNDS: usize = 9;
/// Enqueued jobs per throughput run, after a warm-up of a tenth of them: about a second.
const JOBS: u64 = 1_000_000;
const WARM_UP: u64 = JOBS / 10;
/// Concurrency of the queue and limit of waiting jobs, as in the on-demand benchmark.
const CONCURRENCY: usize = 8;
/// Jobs due together in the lateness runs, every second.
const TICK_JOBS: usize = 1_000;
/// Ticks before the measured ones (handles made, buffers grown), and ticks measured.
const WARM_UP_TICKS: i64 = 2;
const MEASURED_TICKS: i64 = 6;
/// How often the Prometheus recorder drains its histogram samples: every 5 s, as the exporter's
/// own HTTP listener does.
const UPKEEP: Duration = Duration::from_secs(5);
/// Other processes' share of the CPUs above which a run is repeated, and how many times at most
/// it runs in all (the quietest is kept).
const RERUN_ABOVE_LOAD_PCT: f64 = 10.0;
const ATTEMPTS: usize = 3;
const CHILD_TIMEOUT: Duration = Duration::from_secs(120);
const CHILD_POLL: Duration = Duration::from_millis(20);
const WORKER_THREADS: usize = 2;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    Off,
    NoRecorder,
    Prometheus,
}

impl Variant {
    const ALL: [Self; 3] = [Self::Off, Self::NoRecorder, Self::Prometheus];

    fn arg(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::NoRecorder => "no-recorder",
            Self::Prometheus => "prometheus",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Off => "feature off",
            Self::NoRecorder => "feature on, no recorder",
            Self::Prometheus => "feature on, Prometheus recorder",
        }
    }

    /// Whether its build has the feature.
    fn featured(self) -> bool {
        self != Self::Off
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Measure {
    Throughput,
    Lateness,
}

impl Measure {
    fn arg(self) -> &'static str {
        match self {
            Self::Throughput => "throughput",
            Self::Lateness => "lateness",
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1..]);
    } else {
        parent();
    }
}

// ---------------------------------------------------------------------------------------------
// The child: one measurement of one variant.

fn child(args: &[String]) -> ! {
    let variant = args
        .first()
        .and_then(|arg| Variant::ALL.into_iter().find(|v| v.arg() == arg));
    let measure = match args.get(1).map(String::as_str) {
        Some("throughput") => Some(Measure::Throughput),
        Some("lateness") => Some(Measure::Lateness),
        _ => None,
    };
    let (Some(variant), Some(measure)) = (variant, measure) else {
        eprintln!("usage: metrics --child off|no-recorder|prometheus throughput|lateness");
        std::process::exit(2);
    };
    if variant.featured() != cfg!(feature = "metrics") {
        child::answer(Err(format!(
            "variant {} needs a build {} the `metrics` feature",
            variant.arg(),
            if variant.featured() {
                "with"
            } else {
                "without"
            }
        )));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKER_THREADS)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = runtime.block_on(async {
        if variant == Variant::Prometheus {
            install_prometheus()?;
        }
        match measure {
            Measure::Throughput => throughput().await,
            Measure::Lateness => lateness().await,
        }
    });
    child::answer(result);
}

/// The recorder as a user installs it (see the `metrics` example): buckets for the store's
/// round trips, drained every [`UPKEEP`].
#[cfg(feature = "metrics")]
fn install_prometheus() -> Result<(), String> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("jobs_store_round_trip_seconds".into()),
            &[0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0],
        )
        .and_then(PrometheusBuilder::install_recorder)
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP);
        loop {
            every.tick().await;
            handle.run_upkeep();
        }
    });
    Ok(())
}

#[cfg(not(feature = "metrics"))]
fn install_prometheus() -> Result<(), String> {
    Err("a build without the `metrics` feature has no recorder to install".to_owned())
}

/// Jobs of the current round that have not run yet; the body that runs the last wakes
/// [`FINISHED`].
static REMAINING: AtomicI64 = AtomicI64::new(0);
static FINISHED: Notify = Notify::const_new();

#[job(queue = "bench")]
async fn noop(n: u64) {
    std::hint::black_box(n);
    if REMAINING.fetch_sub(1, Ordering::Relaxed) == 1 {
        FINISHED.notify_one();
    }
}

/// One producer enqueues one job at a time, awaiting each enqueue, as the on-demand benchmark's
/// `jobs` subject with one producer: from the first enqueue until the last body ran.
async fn throughput() -> Result<Fields, String> {
    let handle = Runtime::builder()
        .only(["noop"])
        .queue("bench", CONCURRENCY)
        .max_pending(2_000_000)
        .build()
        .map_err(|e| e.to_string())?
        .start()
        .await
        .map_err(|e| e.to_string())?;
    let round = |first: u64, jobs: u64| {
        let handle = handle.clone();
        async move {
            REMAINING.store(i64::try_from(jobs).unwrap_or(i64::MAX), Ordering::Relaxed);
            let finished = FINISHED.notified();
            let started = Instant::now();
            for n in first..first + jobs {
                noop::options()
                    .handle(&handle)
                    .enqueue(n)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            finished.await;
            Ok::<_, String>(started.elapsed())
        }
    };
    round(0, WARM_UP).await?;
    let before = probe::snapshot();
    let elapsed = round(WARM_UP, JOBS).await?;
    let cpu = probe::snapshot().since(&before);
    let mut fields = Fields::default();
    fields.put("jobs", JOBS);
    fields.put("elapsed_ns", elapsed.as_nanos());
    fields.put("cpu_ns", cpu.cpu_ns);
    Ok(fields)
}

/// Each firing's tick and lateness in microseconds.
type Samples = Mutex<Vec<(DateTime<Utc>, i64)>>;

/// [`TICK_JOBS`] jobs every second; each body records its lateness (wall clock at its start −
/// its tick's instant) and its tick.
async fn lateness() -> Result<Fields, String> {
    let samples: Arc<Samples> = Arc::new(Mutex::new(Vec::with_capacity(
        TICK_JOBS * usize::try_from(WARM_UP_TICKS + MEASURED_TICKS + 2).unwrap_or(10),
    )));
    let every = Schedule::every(Duration::from_secs(1)).map_err(|e| e.to_string())?;
    let mut builder = Runtime::builder().without_registered_jobs();
    for n in 0..TICK_JOBS {
        let samples = Arc::clone(&samples);
        builder = builder.job(Job::new(
            format!("tick_{n:04}"),
            every.clone(),
            move |ctx: JobContext| {
                let late = Utc::now() - ctx.scheduled_at();
                let micros = late.num_microseconds().unwrap_or(i64::MAX);
                samples
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((ctx.scheduled_at(), micros));
                std::future::ready(())
            },
        ));
    }
    let started = Utc::now();
    let _handle = builder
        .build()
        .map_err(|e| e.to_string())?
        .start()
        .await
        .map_err(|e| e.to_string())?;
    // The first whole second after the start is the first tick.
    let first = started + chrono::TimeDelta::seconds(1)
        - chrono::TimeDelta::nanoseconds(i64::from(started.timestamp_subsec_nanos()));
    let from = first + chrono::TimeDelta::seconds(WARM_UP_TICKS);
    let until = from + chrono::TimeDelta::seconds(MEASURED_TICKS);
    let wait = (until - Utc::now() + chrono::TimeDelta::milliseconds(500))
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(wait).await;
    let samples = samples
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let mut all: Vec<i64> = Vec::new();
    let mut lasts: Vec<i64> = Vec::new();
    let mut tick = from;
    while tick < until {
        let of_tick: Vec<i64> = samples
            .iter()
            .filter(|(at, _)| *at == tick)
            .map(|&(_, micros)| micros)
            .collect();
        if of_tick.len() != TICK_JOBS {
            return Err(format!(
                "the tick at {tick} ran {} of {TICK_JOBS} jobs",
                of_tick.len()
            ));
        }
        lasts.push(of_tick.iter().copied().max().unwrap_or(0));
        all.extend(of_tick);
        tick += chrono::TimeDelta::seconds(1);
    }
    all.sort_unstable();
    lasts.sort_unstable();
    let mut fields = Fields::default();
    fields.put("p50_us", percentile(&all, 50));
    fields.put("p99_us", percentile(&all, 99));
    fields.put("last_us", percentile(&lasts, 50));
    Ok(fields)
}

/// The `pct`th percentile of sorted `values` (nearest rank).
fn percentile(values: &[i64], pct: usize) -> i64 {
    if values.is_empty() {
        return 0;
    }
    let rank = (values.len() * pct).div_ceil(100).max(1);
    values[rank - 1]
}

// ---------------------------------------------------------------------------------------------
// The driver.

/// One child's figures.
#[derive(Clone, Copy, Default)]
struct Figures {
    jobs_per_second: f64,
    cores: f64,
    /// CPU time of the whole process per job.
    cpu_ns_per_job: f64,
    p50_ms: f64,
    p99_ms: f64,
    last_ms: f64,
    other_load_pct: f64,
}

#[allow(
    clippy::cast_precision_loss,
    reason = "job counts, nanoseconds and microseconds of a run are far below 2^52"
)]
fn figures(measure: Measure, fields: &Fields) -> Result<Figures, String> {
    let other_load_pct = fields.number("other_load_pct")?;
    Ok(match measure {
        Measure::Throughput => {
            let jobs: u64 = fields.number("jobs")?;
            let elapsed: u64 = fields.number("elapsed_ns")?;
            let cpu: u64 = fields.number("cpu_ns")?;
            Figures {
                jobs_per_second: jobs as f64 * 1e9 / elapsed.max(1) as f64,
                cores: cpu as f64 / elapsed.max(1) as f64,
                cpu_ns_per_job: cpu as f64 / jobs.max(1) as f64,
                other_load_pct,
                ..Figures::default()
            }
        }
        Measure::Lateness => Figures {
            p50_ms: fields.number::<i64>("p50_us")? as f64 / 1e3,
            p99_ms: fields.number::<i64>("p99_us")? as f64 / 1e3,
            last_ms: fields.number::<i64>("last_us")? as f64 / 1e3,
            other_load_pct,
            ..Figures::default()
        },
    })
}

struct Run {
    variant: Variant,
    measure: Measure,
    figures: Result<Figures, String>,
}

fn parent() {
    let started = Instant::now();
    let machine = probe::machine();
    let date = Utc::now();
    let builds = match (build(false), build(true)) {
        (Ok(off), Ok(on)) => [off, on],
        (Err(error), _) | (_, Err(error)) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    let mut runs = Vec::new();
    for round in 0..ROUNDS {
        for measure in [Measure::Throughput, Measure::Lateness] {
            // The order rotates from round to round, so that no variant always runs first.
            for k in 0..Variant::ALL.len() {
                let variant = Variant::ALL[(round + k) % Variant::ALL.len()];
                let exe = &builds[usize::from(variant.featured())];
                let run = || {
                    let mut command = Command::new(exe);
                    command.args(["--child", variant.arg(), measure.arg()]);
                    child::run_command(command, CHILD_TIMEOUT, CHILD_POLL)
                        .and_then(|fields| figures(measure, &fields))
                };
                let mut figures = run();
                // A neighbour's build takes cores from a run: it is run again, and the quietest
                // kept.
                for _ in 1..ATTEMPTS {
                    let Ok(kept) = &figures else { break };
                    if kept.other_load_pct <= RERUN_ABOVE_LOAD_PCT {
                        break;
                    }
                    if let Ok(again) = run() {
                        if again.other_load_pct < kept.other_load_pct {
                            figures = Ok(again);
                        }
                    }
                }
                match &figures {
                    Ok(f) if measure == Measure::Throughput => eprintln!(
                        "round {}  {:<32} {:>9.0} jobs/s  {:.2} cores  {:.0} ns CPU per job  other load {:.0} %",
                        round + 1,
                        variant.label(),
                        f.jobs_per_second,
                        f.cores,
                        f.cpu_ns_per_job,
                        f.other_load_pct
                    ),
                    Ok(f) => eprintln!(
                        "round {}  {:<32} lateness p50 {:.3} ms  p99 {:.3} ms  last {:.3} ms  other load {:.0} %",
                        round + 1,
                        variant.label(),
                        f.p50_ms,
                        f.p99_ms,
                        f.last_ms,
                        f.other_load_pct
                    ),
                    Err(error) => eprintln!("round {}  {:<32} {error}", round + 1, variant.label()),
                }
                runs.push(Run {
                    variant,
                    measure,
                    figures,
                });
            }
        }
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let body = markdown(&machine, date, started.elapsed(), &runs);
    if let Err(error) = std::fs::write(&path, section::replace(&old, "metrics", &body)) {
        eprintln!("could not write {}: {error}", path.display());
        std::process::exit(1);
    }
    eprintln!("wrote {} in {:.0?}", path.display(), started.elapsed());
}

/// Builds this binary with or without the feature; the path of a copy of it, named after the
/// build, since the next build overwrites the original.
fn build(featured: bool) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .args([
            "build",
            "--release",
            "-p",
            "jobs-benches",
            "--bin",
            "metrics",
            "--message-format=json-render-diagnostics",
        ]);
    if featured {
        command.args(["--features", "metrics"]);
    }
    eprintln!(
        "building the benchmark {} the `metrics` feature",
        if featured { "with" } else { "without" }
    );
    let output = command
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo build failed: {}", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let executable = stdout
        .lines()
        .filter(|line| line.contains("\"reason\":\"compiler-artifact\""))
        .find_map(|line| {
            let at = line.find("\"executable\":\"")? + "\"executable\":\"".len();
            let end = line[at..].find('"')?;
            Some(PathBuf::from(&line[at..at + end]))
        })
        .ok_or("cargo reported no executable")?;
    let copy = executable.with_file_name(if featured {
        "metrics-feature-on"
    } else {
        "metrics-feature-off"
    });
    std::fs::copy(&executable, &copy)
        .map_err(|e| format!("copying {}: {e}", executable.display()))?;
    Ok(copy)
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    (n > 0).then(|| {
        if n % 2 == 1 {
            values[n / 2]
        } else {
            f64::midpoint(values[n / 2 - 1], values[n / 2])
        }
    })
}

fn markdown(
    machine: &probe::Machine,
    date: DateTime<Utc>,
    elapsed: Duration,
    runs: &[Run],
) -> String {
    let of = |variant: Variant, measure: Measure, pick: fn(&Figures) -> f64| -> Vec<f64> {
        runs.iter()
            .filter(|run| run.variant == variant && run.measure == measure)
            .filter_map(|run| run.figures.as_ref().ok().map(pick))
            .collect()
    };
    let med = |variant, measure, pick| median(of(variant, measure, pick));
    let throughput = |variant| {
        med(variant, Measure::Throughput, |f: &Figures| {
            f.jobs_per_second
        })
    };
    let loss = |variant| {
        throughput(Variant::Off)
            .zip(throughput(variant))
            .map(|(off, on)| 100.0 * (off - on) / off)
    };
    let cpu = |variant| med(variant, Measure::Throughput, |f: &Figures| f.cpu_ns_per_job);
    let cpu_change = |variant| {
        cpu(Variant::Off)
            .zip(cpu(variant))
            .map(|(off, on)| 100.0 * (on - off) / off)
    };

    let mut md = String::new();
    let _ = writeln!(md, "## Cost of the `metrics` feature\n");
    let _ = writeln!(
        md,
        "Written by `benches/src/bin/metrics.rs` on {} in {:.0} s; every figure in this section comes from that one run (the runtime benchmark keeps this section as it is when it rewrites the rest of the file).\n",
        date.format("%Y-%m-%d %H:%M UTC"),
        elapsed.as_secs_f64()
    );
    let _ = writeln!(md, "Reproduce (from the workspace root; it builds the benchmark twice, without and with the feature, then takes about as long):\n");
    let _ = writeln!(
        md,
        "```sh\ncargo run --release -p jobs-benches --bin metrics\n```\n"
    );
    let _ = writeln!(
        md,
        "Machine: {} × {}, {}, {}; code measured: {}.\n",
        machine.cpus, machine.cpu_model, machine.kernel, machine.rustc, machine.revision
    );
    let _ = writeln!(md, "### Target\n");
    let _ = writeln!(md, "| target | measured | met |\n|---|---|---|");
    match loss(Variant::Prometheus) {
        Some(loss) => {
            let _ = writeln!(
                md,
                "| under 5 % loss of on-demand throughput with a Prometheus recorder installed | {} | {} |",
                signed_pct(-loss),
                if loss < 5.0 { "yes" } else { "**no**" }
            );
        }
        None => {
            let _ = writeln!(md, "| under 5 % loss of on-demand throughput with a Prometheus recorder installed | no figure | **no** |");
        }
    }
    let _ = writeln!(md);
    let _ = writeln!(md, "### Medians of {ROUNDS} runs each\n");
    let _ = writeln!(
        md,
        "| build | on-demand jobs/s | change | CPU per job | change | cores busy | lateness p50 ms | p99 ms | last of the burst ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for variant in Variant::ALL {
        let cell = |value: Option<f64>, digits: usize| {
            value.map_or_else(|| "—".to_owned(), |v| format!("{v:.digits$}"))
        };
        let (change, cpu_change) = if variant == Variant::Off {
            ("—".to_owned(), "—".to_owned())
        } else {
            (
                loss(variant).map_or_else(|| "—".to_owned(), |loss| signed_pct(-loss)),
                cpu_change(variant).map_or_else(|| "—".to_owned(), signed_pct),
            )
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            variant.label(),
            throughput(variant).map_or_else(|| "—".to_owned(), grouped),
            change,
            cpu(variant).map_or_else(|| "—".to_owned(), |ns| format!("{ns:.0} ns")),
            cpu_change,
            cell(med(variant, Measure::Throughput, |f: &Figures| f.cores), 2),
            cell(med(variant, Measure::Lateness, |f: &Figures| f.p50_ms), 3),
            cell(med(variant, Measure::Lateness, |f: &Figures| f.p99_ms), 3),
            cell(med(variant, Measure::Lateness, |f: &Figures| f.last_ms), 3),
        );
    }
    every_run(&mut md, runs);
    what_is_compared(&mut md);
    md
}

/// Every run's figures, so that a reader sees the spread behind the medians.
fn every_run(md: &mut String, runs: &[Run]) {
    let _ = writeln!(
        md,
        "\nEvery run, in the order they ran within each round (jobs/s; lateness p99 ms):\n"
    );
    let _ = writeln!(
        md,
        "| build | on-demand jobs/s | lateness p99 ms | other load (max) |\n|---|---|---|---:|"
    );
    for variant in Variant::ALL {
        let list = |measure, pick: fn(&Figures) -> f64, fmt: fn(f64) -> String| {
            runs.iter()
                .filter(|run| run.variant == variant && run.measure == measure)
                .map(|run| {
                    run.figures
                        .as_ref()
                        .map_or_else(|_| "failed".to_owned(), |f| fmt(pick(f)))
                })
                .collect::<Vec<_>>()
                .join(" · ")
        };
        let load = runs
            .iter()
            .filter(|run| run.variant == variant)
            .filter_map(|run| run.figures.as_ref().ok().map(|f| f.other_load_pct))
            .fold(0.0, f64::max);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {load:.0} % |",
            variant.label(),
            list(Measure::Throughput, |f| f.jobs_per_second, grouped),
            list(Measure::Lateness, |f| f.p99_ms, |v| format!("{v:.2}")),
        );
    }
    let failures: Vec<String> = runs
        .iter()
        .filter_map(|run| {
            run.figures
                .as_ref()
                .err()
                .map(|error| format!("{} {}: {error}", run.variant.label(), run.measure.arg()))
        })
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(md, "\nFailed runs: {}.", failures.join("; "));
    }
}

fn what_is_compared(md: &mut String) {
    let _ = writeln!(md, "\n### What is compared\n");
    let _ = writeln!(md, "- **feature off**: `jobs-runtime` built without `metrics`, as every other benchmark here builds it: the recording functions are empty `#[inline]` functions, the per-job handles a zero-sized field, and no sampling task is started.");
    let _ = writeln!(md, "- **feature on, no recorder**: built with `metrics`, and no recorder installed: the facade's no-op recorder hands out no-op handles, each made once per job and kept, so what remains is the branch per record and a queue sampling task once a second.");
    let _ = writeln!(md, "- **feature on, Prometheus recorder**: built with `metrics`, and the recorder of `metrics-exporter-prometheus` 0.18 installed before the runtime starts, as the `metrics` example does (the runtime buckets durations, lateness and attempts itself and hands the recorder counters; the store's round trips, none in memory, are the recorder's histogram), `run_upkeep` every {} s as the exporter's own HTTP listener does; nothing scrapes it.", UPKEEP.as_secs());
    let _ = writeln!(md, "- **On-demand throughput**: a `#[job(queue = \"bench\")] async fn noop(n: u64)` on a queue of concurrency {CONCURRENCY}, one producer task enqueueing {} jobs one at a time (`noop::options().handle(&handle).enqueue(n).await`) after a warm-up of {}, on a tokio runtime of {WORKER_THREADS} worker threads; timed from the first enqueue until the last body ran. \"CPU per job\" is the CPU time of every thread of the process over the measured round ÷ its jobs: less sensitive than jobs/s to other processes taking a core. Each job that ends records `jobs_runs_total`, `jobs_run_duration_seconds`, `jobs_lateness_seconds` and `jobs_run_attempts`.", header::thousands(JOBS), header::thousands(WARM_UP));
    let _ = writeln!(md, "- **Tick lateness**: {} jobs defined at run time on `every 1s`, all due together; each body records the wall clock at its start minus its tick's instant. {WARM_UP_TICKS} ticks of warm-up, then {MEASURED_TICKS} ticks measured: p50 and p99 over every firing, and the median over the ticks of the latest firing of each burst.", header::thousands(u64::try_from(TICK_JOBS).unwrap_or(0)));
    let _ = writeln!(md, "- Each run is a fresh child process; within each of the {ROUNDS} rounds the three builds run one after the other, in an order that rotates from round to round, so that a drift of this shared 2-vCPU machine falls on all of them alike. \"other load\" is the CPU time other processes and the hypervisor took while a run's process lived, as a share of both CPUs; a run above {RERUN_ABOVE_LOAD_PCT:.0} % was run again, up to {ATTEMPTS} times in all, and the quietest kept.");
}

fn signed_pct(value: f64) -> String {
    if value < 0.0 {
        format!("−{:.1} %", -value)
    } else {
        format!("+{value:.1} %")
    }
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "jobs per second, rounded, far below 2^52"
)]
fn grouped(value: f64) -> String {
    header::thousands(value.round() as u64)
}
