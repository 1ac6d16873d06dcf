//! Our PostgreSQL store beside apalis-postgres and graphile-worker, on the local PostgreSQL, in one
//! run: enqueue-plus-complete throughput (one job per call and in bulk), enqueue-to-start latency
//! at three concurrencies, and the ticks of 1 000 scheduled jobs in a cluster of three of our
//! processes. Prints the tables and writes them to `BENCHMARKS.md`, between
//! `<!-- postgres:begin -->` and `<!-- postgres:end -->`.
//!
//! ```text
//! cargo run --release -p jobs-benches --bin postgres
//! ```
//!
//! The server is `JOBS_BENCH_POSTGRES` (a URL of a database to connect to for `CREATE DATABASE`;
//! default `postgres://postgres@127.0.0.1:5432/postgres`). Every run of every implementation gets
//! a database of its own, created before and dropped after it. Every measurement runs in a child
//! process (this binary again with `--child`, or Node.js for graphile-worker), killed at a
//! deadline if it hangs. graphile-worker needs `node` and, the first time, `npm` (it runs
//! `npm install` in `benches/graphile/`); without them its rows say why they are missing.

// A crate root looks for its modules beside itself; they live in `src/bin/postgres/`, and those
// shared with the other benchmarks in `src/bin/shared/`.
#[path = "shared/child.rs"]
mod child;
#[path = "postgres/database.rs"]
mod database;
#[path = "shared/fields.rs"]
mod fields;
#[path = "postgres/graphile.rs"]
mod graphile;
#[allow(
    dead_code,
    reason = "shared with the other benchmarks; this one only groups digits"
)]
#[path = "shared/header.rs"]
mod header;
#[path = "postgres/measure.rs"]
mod measure;
#[allow(
    dead_code,
    reason = "shared with the runtime benchmark, which uses the parts this one does not"
)]
#[path = "shared/probe.rs"]
mod probe;
#[path = "postgres/report.rs"]
mod report;
#[allow(
    dead_code,
    reason = "shared with the runtime benchmark, which carries this one's section over"
)]
#[path = "shared/section.rs"]
mod section;
#[path = "postgres/subjects.rs"]
mod subjects;
#[path = "postgres/work.rs"]
mod work;

pub(crate) use child::Outcome;
use database::Admin;
use fields::Fields;
use measure::Mode;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use subjects::Subject;

/// Jobs of a measured throughput round: a few seconds for us, under 30 s for the slowest peer.
pub(crate) const JOBS: u64 = 20_000;
/// Jobs of the round before it, through the same producers and workers.
pub(crate) const WARM_UP: u64 = 2_000;
/// Jobs run at once in a throughput run.
pub(crate) const CONCURRENCY: usize = 32;
/// Tasks enqueueing at once, one job per call, in a throughput run of [`Mode::Single`].
pub(crate) const PRODUCERS: usize = 8;
/// Jobs per call in a throughput run of [`Mode::Bulk`].
pub(crate) const BATCH: u64 = 1_000;
/// How long a throughput round's jobs may take to run before the child gives up.
pub(crate) const THROUGHPUT_TIMEOUT: Duration = Duration::from_secs(60);

/// Concurrencies of the latency runs.
const LATENCY_CONCURRENCY: [usize; 3] = [8, 32, 128];
/// Jobs enqueued per second in a latency run: well below every subject's throughput.
const RATE: u64 = 500;
const LATENCY_SECONDS: u64 = 5;
const LATENCY_WARM_UP_SECONDS: u64 = 1;

/// graphile-worker's pool is given as many connections as jobs run at once (it warns when it has
/// fewer), up to this many: the server allows 100 in all, and others use it too.
const GRAPHILE_MAX_POOL: usize = 40;

/// The schedule of every job of the cluster run: every second.
pub(crate) const CRON: &str = "* * * * * *";
const CRON_JOBS: u32 = 1_000;
const CRON_PROCESSES: usize = 3;
/// Measured ticks: those of the seconds `[from, from + CRON_SECONDS)`.
const CRON_SECONDS: i64 = 10;
/// From the processes' start to the first measured tick: their startup is not measured.
const CRON_LEAD: Duration = Duration::from_secs(4);
/// How long a cluster process keeps running after the last measured tick, for late runs.
pub(crate) const CRON_SETTLE: Duration = Duration::from_secs(2);
pub(crate) const CRON_SHUTDOWN_BUDGET: Duration = Duration::from_secs(15);

/// How long to wait for a database server that is down (restarted by someone else's test), and
/// how many times a run is tried when the server restarts during it.
const SERVER_WAIT: Duration = Duration::from_secs(60);
const SERVER_ATTEMPTS: usize = 3;

/// Other processes' share of the CPUs (the database server's excluded) above which a run is
/// repeated once, and the quieter of the two kept.
const RERUN_ABOVE_LOAD_PCT: f64 = 10.0;
/// What a child may take beyond its own budget before it is killed.
const CHILD_SLACK: Duration = Duration::from_secs(30);
const CHILD_POLL: Duration = Duration::from_millis(50);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1..]);
    } else {
        parent();
    }
}

const USAGE: &str =
    "usage: postgres --child throughput jobs|apalis URL single|bulk JOBS WARM_UP CONCURRENCY
       postgres --child latency jobs|apalis URL CONCURRENCY RATE SECONDS WARM_UP_SECONDS
       postgres --child cron URL JOBS UNTIL_NS";

fn child(args: &[String]) {
    let number = |i: usize| args.get(i).and_then(|a| a.parse::<u64>().ok());
    let subject = args.get(1).and_then(|a| Subject::parse(a));
    let url = args.get(2).cloned().unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = match (args.first().map_or("", String::as_str), args.len()) {
        ("throughput", 7) => {
            let mode = args.get(3).and_then(|a| Mode::parse(a));
            match (subject, mode, number(4), number(5), number(6)) {
                (Some(subject), Some(mode), Some(jobs), Some(warm_up), Some(concurrency)) => {
                    runtime.block_on(measure::throughput(
                        subject,
                        &url,
                        mode,
                        jobs,
                        warm_up,
                        usize::try_from(concurrency).unwrap_or(1),
                    ))
                }
                _ => usage(),
            }
        }
        ("latency", 7) => match (subject, number(3), number(4), number(5), number(6)) {
            (Some(subject), Some(concurrency), Some(rate), Some(seconds), Some(warm_up)) => runtime
                .block_on(measure::latency(
                    subject,
                    &url,
                    usize::try_from(concurrency).unwrap_or(1),
                    rate,
                    seconds,
                    warm_up,
                )),
            _ => usage(),
        },
        ("cron", 4) => {
            let url = &args[1];
            match (args[2].parse::<u32>().ok(), args[3].parse::<i64>().ok()) {
                (Some(jobs), Some(until_ns)) => {
                    runtime.block_on(measure::cron(url, jobs, until_ns))
                }
                _ => usage(),
            }
        }
        _ => usage(),
    };
    child::answer(result);
}

fn usage() -> ! {
    eprintln!("{USAGE}");
    std::process::exit(2);
}

fn parent() {
    // `postgres throughput latency cluster`: only those parts, printed but not written to the
    // report (a partial table would replace the whole section).
    let parts: Vec<String> = std::env::args().skip(1).collect();
    if let Some(unknown) = parts
        .iter()
        .find(|p| !["throughput", "latency", "cluster"].contains(&p.as_str()))
    {
        eprintln!(
            "unknown part `{unknown}`: expected throughput, latency or cluster, or none for all"
        );
        std::process::exit(2);
    }
    let part = |name: &str| parts.is_empty() || parts.iter().any(|p| p == name);
    let started = Instant::now();
    let machine = probe::machine();
    let date = chrono::Utc::now();
    let admin = match Admin::connect(database::admin_url()) {
        Ok(admin) => admin,
        Err(error) => {
            eprintln!("{error}\n(set JOBS_BENCH_POSTGRES to the URL of a PostgreSQL server's maintenance database)");
            std::process::exit(1);
        }
    };
    let server = admin.version().unwrap_or_else(|e| format!("unknown ({e})"));
    let graphile = graphile::prepare();
    if let Err(reason) = &graphile {
        eprintln!("graphile-worker will not be measured: {reason}");
    }
    let run = Runner {
        admin: &admin,
        graphile: graphile.as_deref().map_err(Clone::clone),
    };

    let throughput = if part("throughput") {
        throughput_rows(&run)
    } else {
        Vec::new()
    };
    let latency = if part("latency") {
        latency_rows(&run)
    } else {
        Vec::new()
    };
    let cluster = if part("cluster") {
        cluster_run(&run)
    } else {
        Err("not run".into())
    };

    let section = report::markdown(&report::Run {
        machine: &machine,
        server: &server,
        date,
        elapsed: started.elapsed(),
        throughput: &throughput,
        latency: &latency,
        cluster: &cluster,
    });
    println!("{section}");
    if !parts.is_empty() {
        eprintln!("only some parts ran: the report is left as it was");
        return;
    }
    let ours_measured = throughput
        .iter()
        .filter(|row| row.subject == Subject::Jobs)
        .any(|row| row.outcome.is_ok())
        || latency
            .iter()
            .filter(|row| row.subject == Subject::Jobs)
            .any(|row| row.outcome.is_ok())
        || cluster.is_ok();
    if !ours_measured {
        eprintln!("no run of ours succeeded: the report is left as it was");
        std::process::exit(1);
    }
    let path = report::path();
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    if let Err(error) = std::fs::write(&path, section::replace(&old, "postgres", &section)) {
        eprintln!("could not write {}: {error}", path.display());
        std::process::exit(1);
    }
    eprintln!(
        "wrote the PostgreSQL section of {} in {:.0?}",
        path.display(),
        started.elapsed()
    );
}

/// The cluster run, with its ticks one by one on stderr.
fn cluster_run(run: &Runner<'_>) -> Outcome<Cluster> {
    let cluster = run.cluster();
    match &cluster {
        Ok(c) => {
            for failure in &c.failures {
                eprintln!("cron cluster: {failure}");
            }
            for tick in &c.ticks {
                eprintln!(
                    "cron tick +{:>2} s  {:>5} runs  lateness first {:>9.3} ms  p50 {:>9.3} ms  last {:>9.3} ms",
                    tick.second,
                    tick.runs,
                    report::ms(tick.first_ns),
                    report::ms(tick.p50_ns),
                    report::ms(tick.last_ns)
                );
            }
            eprintln!(
                "cron cluster {} processes × {} jobs: {} runs of {} ticks, lateness p50 {:.3} ms p99 {:.3} ms max {:.3} ms, missed {}, duplicated {}",
                CRON_PROCESSES,
                CRON_JOBS,
                c.runs,
                c.expected,
                report::ms(c.p50_ns),
                report::ms(c.p99_ns),
                report::ms(c.max_ns),
                c.missed,
                c.duplicated
            );
        }
        Err(e) => eprintln!("cron cluster: {e}"),
    }
    cluster
}

/// Every throughput run: each mode, each subject.
fn throughput_rows(run: &Runner<'_>) -> Vec<report::Row<Mode, Throughput>> {
    let mut throughput = Vec::new();
    for mode in Mode::ALL {
        // Implementations alternate within a mode, so that a drift of the machine during the run
        // affects them alike.
        for subject in Subject::ALL {
            let outcome = repeat_if_loaded(|| run.throughput(subject, mode));
            match &outcome {
                Ok(t) => eprintln!(
                    "throughput {:<6} {:<22} {:>8.0} jobs/s  enqueue {:>6.2} s  {:.2} cores + DB {}  duplicates {}  other load {:.0} %",
                    mode.arg(),
                    subject.label(),
                    t.jobs_per_second(),
                    t.enqueue_seconds(),
                    t.cores(),
                    report::cores(t.load.db_cores),
                    t.duplicates,
                    t.load.other_pct
                ),
                Err(e) => eprintln!("throughput {:<6} {:<22} {e}", mode.arg(), subject.label()),
            }
            throughput.push(report::Row {
                key: mode,
                subject,
                outcome,
            });
        }
    }
    throughput
}

/// Every latency run: each concurrency, each subject.
fn latency_rows(run: &Runner<'_>) -> Vec<report::Row<usize, Latency>> {
    let mut latency = Vec::new();
    for concurrency in LATENCY_CONCURRENCY {
        for subject in Subject::SYSTEMS {
            let outcome = repeat_if_loaded(|| run.latency(subject, concurrency));
            match &outcome {
                Ok(l) => eprintln!(
                    "latency c={concurrency:<4} {:<22} p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms  {:.0} jobs/s  duplicates {}  other load {:.0} %",
                    subject.label(),
                    report::ms(l.p50_ns),
                    report::ms(l.p99_ns),
                    report::ms(l.max_ns),
                    l.rate,
                    l.duplicates,
                    l.load.other_pct
                ),
                Err(e) => eprintln!("latency c={concurrency:<4} {:<22} {e}", subject.label()),
            }
            latency.push(report::Row {
                key: concurrency,
                subject,
                outcome,
            });
        }
    }
    latency
}

/// What a run cost beside the subject itself.
#[derive(Clone, Copy)]
pub(crate) struct Load {
    /// CPU time of the database server ÷ wall time; `None` when the server's processes are not
    /// visible from here.
    pub(crate) db_cores: Option<f64>,
    /// CPU time of everything else (the subject and the server excluded, hypervisor steal
    /// included), as a share of every CPU.
    pub(crate) other_pct: f64,
}

pub(crate) struct Throughput {
    pub(crate) jobs: u64,
    pub(crate) elapsed_ns: u64,
    pub(crate) enqueue_ns: u64,
    pub(crate) cpu_ns: u64,
    pub(crate) duplicates: u64,
    pub(crate) load: Load,
}

#[allow(
    clippy::cast_precision_loss,
    reason = "job counts and nanoseconds of a run are far below 2^52"
)]
impl Throughput {
    pub(crate) fn jobs_per_second(&self) -> f64 {
        self.jobs as f64 * 1e9 / self.elapsed_ns.max(1) as f64
    }

    pub(crate) fn enqueue_seconds(&self) -> f64 {
        self.enqueue_ns as f64 / 1e9
    }

    /// The subject's own CPU time ÷ wall time of the measured round.
    pub(crate) fn cores(&self) -> f64 {
        self.cpu_ns as f64 / self.elapsed_ns.max(1) as f64
    }
}

pub(crate) struct Latency {
    pub(crate) samples: u64,
    pub(crate) p50_ns: i64,
    pub(crate) p99_ns: i64,
    pub(crate) max_ns: i64,
    /// Jobs enqueued per second, as achieved.
    pub(crate) rate: f64,
    pub(crate) duplicates: u64,
    pub(crate) load: Load,
}

pub(crate) struct Cluster {
    /// (job, tick) pairs of the measured seconds.
    pub(crate) expected: usize,
    /// Runs of those ticks, over every process.
    pub(crate) runs: usize,
    pub(crate) missed: usize,
    /// Runs beyond the first of a (job, tick) pair.
    pub(crate) duplicated: usize,
    /// Runs for an instant that is not a whole second.
    pub(crate) stray: usize,
    pub(crate) p50_ns: i64,
    pub(crate) p99_ns: i64,
    pub(crate) max_ns: i64,
    /// Runs of the measured ticks per process that answered.
    pub(crate) per_process: Vec<usize>,
    /// Processes that failed, and why.
    pub(crate) failures: Vec<String>,
    /// Each measured tick, in order.
    pub(crate) ticks: Vec<Tick>,
    /// Per process: startup (build and start of the runtime) and graceful shutdown, ms.
    pub(crate) start_ms: Vec<u64>,
    pub(crate) shutdown_ms: Vec<u64>,
    pub(crate) load: Load,
}

/// One tick of a cluster run, over every process.
pub(crate) struct Tick {
    /// Seconds from the first measured tick.
    pub(crate) second: i64,
    pub(crate) runs: usize,
    /// Lateness of the first run to start, the median, and the last.
    pub(crate) first_ns: i64,
    pub(crate) p50_ns: i64,
    pub(crate) last_ns: i64,
}

struct Runner<'a> {
    admin: &'a Admin,
    /// `benches/graphile/`, ready, or why graphile-worker cannot run.
    graphile: Result<&'a Path, String>,
}

impl Runner<'_> {
    fn throughput(&self, subject: Subject, mode: Mode) -> Outcome<Throughput> {
        let timeout = THROUGHPUT_TIMEOUT * 2 + CHILD_SLACK;
        let label = format!("throughput_{}_{}", mode.arg(), subject.arg());
        let (fields, load) = self.measured(&label, timeout, |url| {
            let numbers = [JOBS, WARM_UP, CONCURRENCY as u64].map(|n| n.to_string());
            match subject {
                Subject::Graphile => {
                    let pool = CONCURRENCY.min(GRAPHILE_MAX_POOL).to_string();
                    let args = [
                        "throughput",
                        url,
                        mode.arg(),
                        &numbers[0],
                        &numbers[1],
                        &numbers[2],
                        &pool,
                        &PRODUCERS.to_string(),
                        &BATCH.to_string(),
                    ];
                    self.node(&args)
                }
                _ => Ok(this_child(&[
                    "throughput",
                    subject.arg(),
                    url,
                    mode.arg(),
                    &numbers[0],
                    &numbers[1],
                    &numbers[2],
                ])),
            }
        })?;
        Ok(Throughput {
            jobs: fields.number("jobs")?,
            elapsed_ns: fields.number("elapsed_ns")?,
            enqueue_ns: fields.number("enqueue_ns")?,
            cpu_ns: fields.number("cpu_ns")?,
            duplicates: fields.number("duplicates")?,
            load,
        })
    }

    fn latency(&self, subject: Subject, concurrency: usize) -> Outcome<Latency> {
        let timeout =
            Duration::from_secs(LATENCY_SECONDS + LATENCY_WARM_UP_SECONDS + 20) + CHILD_SLACK;
        let label = format!("latency_{concurrency}_{}", subject.arg());
        let (fields, load) = self.measured(&label, timeout, |url| {
            let numbers = [
                concurrency as u64,
                RATE,
                LATENCY_SECONDS,
                LATENCY_WARM_UP_SECONDS,
            ]
            .map(|n| n.to_string());
            match subject {
                Subject::Graphile => {
                    let pool = concurrency.min(GRAPHILE_MAX_POOL).to_string();
                    self.node(&[
                        "latency",
                        url,
                        &numbers[0],
                        &pool,
                        &numbers[1],
                        &numbers[2],
                        &numbers[3],
                    ])
                }
                _ => Ok(this_child(&[
                    "latency",
                    subject.arg(),
                    url,
                    &numbers[0],
                    &numbers[1],
                    &numbers[2],
                    &numbers[3],
                ])),
            }
        })?;
        Ok(Latency {
            samples: fields.number("samples")?,
            p50_ns: fields.number("p50_ns")?,
            p99_ns: fields.number("p99_ns")?,
            max_ns: fields.number("max_ns")?,
            rate: fields.number("rate")?,
            duplicates: fields.number("duplicates")?,
            load,
        })
    }

    /// [`CRON_PROCESSES`] of our processes on one fresh database, each with [`CRON_JOBS`] jobs
    /// every second, started together; the runs of [`CRON_SECONDS`] ticks are counted.
    fn cluster(&self) -> Outcome<Cluster> {
        self.fresh("cron_cluster", |database| {
            let before = Ticks::now();
            let started = Instant::now();
            let now = work::now_ns();
            let second = 1_000_000_000;
            let lead_ns = i64::try_from(CRON_LEAD.as_nanos()).unwrap_or(0);
            let from_ns = (now + lead_ns).div_euclid(second) * second + second;
            let until_ns = from_ns + CRON_SECONDS * second;
            let timeout = Duration::from_nanos(u64::try_from(until_ns - now).unwrap_or(0))
                + CRON_SETTLE
                + CRON_SHUTDOWN_BUDGET
                + CHILD_SLACK;
            let children: Vec<_> = (0..CRON_PROCESSES)
                .map(|_| {
                    let args = [
                        "cron".to_owned(),
                        database.url.clone(),
                        CRON_JOBS.to_string(),
                        until_ns.to_string(),
                    ];
                    std::thread::spawn(move || {
                        let args: Vec<&str> = args.iter().map(String::as_str).collect();
                        child::run(&args, timeout, CHILD_POLL)
                    })
                })
                .collect();
            let answers: Vec<Outcome<Fields>> = children
                .into_iter()
                .map(|child| {
                    child
                        .join()
                        .unwrap_or_else(|_| Err("the thread running a child panicked".into()))
                })
                .collect();
            let load = Self::load_since(before, started, &answers);
            report::cluster(&answers, from_ns, until_ns, CRON_JOBS, load)
        })?
    }

    /// Runs one measurement on a fresh database: `command` gets the database's URL.
    fn measured(
        &self,
        label: &str,
        timeout: Duration,
        command: impl Fn(&str) -> Outcome<Command>,
    ) -> Outcome<(Fields, Load)> {
        self.fresh(label, |database| {
            let before = Ticks::now();
            let started = Instant::now();
            let answer = command(&database.url)
                .and_then(|command| child::run_command(command, timeout, CHILD_POLL));
            let load = Self::load_since(before, started, std::slice::from_ref(&answer));
            answer.map(|fields| (fields, load))
        })?
    }

    /// Runs `run` on a database created for it, and drops the database after. Others restart
    /// the server on this machine (tests of a database outage): when it is down, this waits for
    /// it; when it restarted during `run`, whatever `run` measured is not the subject's, and it
    /// runs again, at most [`SERVER_ATTEMPTS`] times in all.
    fn fresh<T>(&self, label: &str, run: impl Fn(&database::Database) -> T) -> Outcome<T> {
        for _ in 0..SERVER_ATTEMPTS {
            let booted = self.admin.booted(SERVER_WAIT)?;
            let database = self.admin.create(label)?;
            let result = run(&database);
            let restarted = self
                .admin
                .booted(SERVER_WAIT)
                .map_or(true, |now| now != booted);
            if let Err(e) = self.admin.drop(&database) {
                eprintln!("could not drop database {}: {e}", database.name);
            }
            if !restarted {
                return Ok(result);
            }
            eprintln!("the database server restarted during the run: running it again");
        }
        Err(format!(
            "the database server restarted during each of {SERVER_ATTEMPTS} attempts"
        ))
    }

    /// What the server and everything else used since `before`, beside the children that
    /// gave `answers` (each reports its own CPU time).
    #[allow(
        clippy::cast_precision_loss,
        reason = "clock ticks of a few minutes are far below 2^52"
    )]
    fn load_since(before: Ticks, started: Instant, answers: &[Outcome<Fields>]) -> Load {
        let after = Ticks::now();
        let wall = started.elapsed().as_secs_f64().max(1e-3);
        let cpus = std::thread::available_parallelism().map_or(1, usize::from) as f64;
        let own: u64 = answers
            .iter()
            .filter_map(|answer| answer.as_ref().ok())
            .filter_map(|fields| fields.number::<u64>("cpu_ticks").ok())
            .sum();
        let db = before
            .db
            .zip(after.db)
            .map(|(before, after)| after.saturating_sub(before));
        let other = after
            .busy
            .saturating_sub(before.busy)
            .saturating_sub(own)
            .saturating_sub(db.unwrap_or(0));
        // Linux reports /proc in USER_HZ, 100 per second on every architecture it runs on.
        Load {
            db_cores: db.map(|ticks| ticks as f64 / 100.0 / wall),
            other_pct: 100.0 * other as f64 / (wall * 100.0 * cpus),
        }
    }

    fn node(&self, args: &[&str]) -> Outcome<Command> {
        let dir = self
            .graphile
            .as_ref()
            .map_err(|reason| format!("n/a: {reason}"))?;
        let args: Vec<String> = args.iter().map(|&a| a.to_owned()).collect();
        Ok(graphile::command(dir, &args))
    }
}

/// Runs `once`, and once more if other processes took more than [`RERUN_ABOVE_LOAD_PCT`] of
/// the machine meanwhile; keeps the quieter of the two.
fn repeat_if_loaded<T: HasLoad>(once: impl Fn() -> Outcome<T>) -> Outcome<T> {
    let first = once();
    match &first {
        Ok(kept) if kept.load().other_pct > RERUN_ABOVE_LOAD_PCT => {
            eprintln!(
                "other load {:.0} %, running it again",
                kept.load().other_pct
            );
            match once() {
                Ok(second) if second.load().other_pct < kept.load().other_pct => Ok(second),
                _ => first,
            }
        }
        _ => first,
    }
}

/// CPU clock ticks so far: of the whole machine, and of the database server.
#[derive(Clone, Copy)]
struct Ticks {
    busy: u64,
    db: Option<u64>,
}

impl Ticks {
    fn now() -> Self {
        Self {
            busy: probe::machine_busy_ticks(),
            db: database::server_ticks(),
        }
    }
}

/// `this binary --child <args…>`.
fn this_child(args: &[&str]) -> Command {
    let exe = std::env::current_exe().unwrap_or_else(|_| "postgres".into());
    let mut command = Command::new(exe);
    command.arg("--child").args(args);
    command
}

pub(crate) trait HasLoad {
    fn load(&self) -> Load;
}

impl HasLoad for Throughput {
    fn load(&self) -> Load {
        self.load
    }
}

impl HasLoad for Latency {
    fn load(&self) -> Load {
        self.load
    }
}
