//! Bursts of N jobs due together, for a profiler: what one scheduled run costs in instructions
//! and cache misses, beside the tokio timer floor firing the same number of tasks. The lateness
//! benchmark (`--bin runtime`) measures wall-clock time, which varies by tens of percent from one
//! run to the next on a shared machine; counts under valgrind do not, so they can compare two
//! versions of the runtime's code:
//!
//! ```text
//! cargo build --release -p jobs-benches --bin burst
//! valgrind --tool=cachegrind --cache-sim=yes --LL=2097152,16,64 target/release/burst jobs 10000 4
//! valgrind --tool=cachegrind --cache-sim=yes --LL=2097152,16,64 target/release/burst jobs 10000 6
//! ```
//!
//! (`tokio` instead of `jobs` for the floor; `--tool=callgrind` for the cost by function.) The
//! difference of the two totals divided by 2 × N is the cost of one run in the 5th and 6th bursts:
//! start-up, registration and the bursts before cancel out, and no history buffer grows in those
//! two (a job's buffer of 4 records grows to 8 in the 3rd or 4th burst, to 16 in the 7th or 8th,
//! as the runs of a burst end before or after the scheduler makes room for the next).
//! The last level cache is set to 2 MiB, the L2 of one core of the machines the benchmarks ran on,
//! so that a run's misses are those that leave the core, whatever the host's cache.
//!
//! The counts show what a change costs, not what it gains in time: check a gain with the lateness
//! benchmark. Two changes that were tried (a pool of run tasks, -24 % instructions per run, and
//! starting a burst 64 runs at a time, -50 % simulated misses) measured no earlier there.

use chrono::Utc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Every 2 s: a burst under valgrind ends well before the next one is due.
const CRON: &str = "*/2 * * * * *";
const PERIOD_SECS: i64 = 2;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [subject, n, bursts] => n
            .parse::<usize>()
            .ok()
            .zip(bursts.parse::<usize>().ok())
            .map(|(n, bursts)| (subject.as_str(), n, bursts)),
        _ => None,
    };
    let Some((subject, n, bursts)) = parsed.filter(|(s, ..)| matches!(*s, "jobs" | "tokio")) else {
        eprintln!("usage: burst jobs|tokio JOBS BURSTS");
        std::process::exit(2);
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async move {
        let fired = Arc::new(AtomicUsize::new(0));
        // The handle is held until every firing is counted, as a program holds it while it runs
        // (dropping it would not stop the jobs, only close their commands).
        let _keep = if subject == "jobs" {
            Some(start_jobs(n, &fired).await)
        } else {
            start_floor(n, bursts, &fired);
            None
        };
        while fired.load(Ordering::Relaxed) < n * bursts {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
}

async fn start_jobs(n: usize, fired: &Arc<AtomicUsize>) -> jobs_runtime::Handle {
    let schedule = jobs_runtime::Schedule::parse(CRON).expect("a valid schedule");
    let mut builder = jobs_runtime::Runtime::builder().without_registered_jobs();
    for job in 0..n {
        let fired = Arc::clone(fired);
        builder = builder.job(jobs_runtime::Job::new(
            format!("job-{job}"),
            schedule.clone(),
            move |_| {
                let fired = Arc::clone(&fired);
                async move {
                    fired.fetch_add(1, Ordering::Relaxed);
                }
            },
        ));
    }
    builder
        .build()
        .expect("a valid runtime")
        .start()
        .await
        .expect("a started runtime")
}

/// N tasks asleep until each tick, as the lateness benchmark's floor.
fn start_floor(n: usize, bursts: usize, fired: &Arc<AtomicUsize>) {
    let now = Utc::now().timestamp();
    let first = now - now % PERIOD_SECS + PERIOD_SECS;
    let ticks: Arc<[i64]> = (0..bursts)
        .map(|burst| first + PERIOD_SECS * i64::try_from(burst).unwrap_or(i64::MAX))
        .collect();
    for _ in 0..n {
        let (fired, ticks) = (Arc::clone(fired), Arc::clone(&ticks));
        tokio::spawn(async move {
            for &tick in ticks.iter() {
                let wait = (tick * 1_000_000_000)
                    .saturating_sub(Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX));
                tokio::time::sleep(Duration::from_nanos(u64::try_from(wait).unwrap_or(0))).await;
                fired.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
}
