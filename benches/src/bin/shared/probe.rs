//! What this process costs, read from `/proc`: resident memory, CPU time and context switches.
//!
//! `/proc` rather than `getrusage` because the workspace forbids `unsafe`, and because it gives
//! CPU time in nanoseconds per thread (`schedstat`) where `getrusage` rounds to the tick on some
//! kernels.

use std::collections::HashMap;
use std::fs;

/// Resident set size of this process in KiB (`VmRSS`).
pub(crate) fn rss_kib() -> u64 {
    status_field(
        &fs::read_to_string("/proc/self/status").unwrap_or_default(),
        "VmRSS:",
    )
}

/// One thread's counters at one moment.
#[derive(Clone, Copy, Default)]
struct ThreadUsage {
    cpu_ns: u64,
    voluntary: u64,
    involuntary: u64,
}

/// Every live thread's counters, by thread id.
///
/// `/proc/self/status` counts context switches of the main thread only, so each thread is read
/// from `/proc/self/task/<tid>`.
pub(crate) struct Snapshot {
    threads: HashMap<u32, ThreadUsage>,
}

/// What happened between two snapshots.
pub(crate) struct Delta {
    pub(crate) cpu_ns: u64,
    /// Each one is a thread that blocked and was later woken: the wake-ups we are after.
    pub(crate) voluntary: u64,
    pub(crate) involuntary: u64,
    pub(crate) threads: usize,
    /// Threads that ended in between: their last counts are lost, so the delta undercounts.
    pub(crate) threads_gone: usize,
}

pub(crate) fn snapshot() -> Snapshot {
    let mut threads = HashMap::new();
    let Ok(entries) = fs::read_dir("/proc/self/task") else {
        return Snapshot { threads };
    };
    for entry in entries.flatten() {
        let Some(tid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let dir = entry.path();
        let status = fs::read_to_string(dir.join("status")).unwrap_or_default();
        let cpu_ns = fs::read_to_string(dir.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        threads.insert(
            tid,
            ThreadUsage {
                cpu_ns,
                voluntary: status_field(&status, "voluntary_ctxt_switches:"),
                involuntary: status_field(&status, "nonvoluntary_ctxt_switches:"),
            },
        );
    }
    Snapshot { threads }
}

impl Snapshot {
    pub(crate) fn since(&self, earlier: &Snapshot) -> Delta {
        let mut delta = Delta {
            cpu_ns: 0,
            voluntary: 0,
            involuntary: 0,
            threads: self.threads.len(),
            threads_gone: earlier
                .threads
                .keys()
                .filter(|tid| !self.threads.contains_key(tid))
                .count(),
        };
        for (tid, now) in &self.threads {
            // A thread born in between started from zero.
            let before = earlier.threads.get(tid).copied().unwrap_or_default();
            delta.cpu_ns += now.cpu_ns.saturating_sub(before.cpu_ns);
            delta.voluntary += now.voluntary.saturating_sub(before.voluntary);
            delta.involuntary += now.involuntary.saturating_sub(before.involuntary);
        }
        delta
    }
}

/// CPU time used by everything on the machine so far, steal included, in clock ticks
/// (`/proc/stat`, first line: user nice system idle iowait irq softirq steal).
pub(crate) fn machine_busy_ticks() -> u64 {
    let stat = fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(cpu) = stat.lines().next().and_then(|l| l.strip_prefix("cpu ")) else {
        return 0;
    };
    let fields: Vec<u64> = cpu
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // Everything but idle (3) and iowait (4); guest time is already inside user.
    [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| fields.get(i))
        .sum()
}

/// CPU time this process used so far, threads that ended included, in clock ticks (the unit of
/// [`machine_busy_ticks`]).
pub(crate) fn own_cpu_ticks() -> u64 {
    let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name may hold spaces and parentheses; the fields after it do not. utime and
    // stime are fields 14 and 15, so the 12th and 13th after the name.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .map(|f| f.parse::<u64>().unwrap_or(0))
        .sum()
}

fn status_field(status: &str, key: &str) -> u64 {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The machine, as the report describes it.
pub(crate) struct Machine {
    pub(crate) cpus: usize,
    pub(crate) cpu_model: String,
    pub(crate) memory_mib: u64,
    pub(crate) kernel: String,
    pub(crate) rustc: String,
    /// The workspace's commit, and whether `jobs-runtime` had uncommitted changes when built.
    pub(crate) revision: String,
}

pub(crate) fn machine() -> Machine {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == "model name").then(|| value.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map_or_else(|| "unknown".to_owned(), |s| s.trim().to_owned());
    Machine {
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
        cpu_model,
        memory_mib: status_field(&meminfo, "MemTotal:") / 1024,
        kernel: fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| "unknown".to_owned(), |s| s.trim().to_owned()),
        rustc,
        revision: revision(),
    }
}

/// Others work in the same tree, so the report says which code it measured: the commit, and
/// whether the runtime differed from it. Read when the benchmark starts, just after cargo built
/// it, so it describes the binary's sources.
fn revision() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|out| out.status.success())
            .and_then(|out| String::from_utf8(out.stdout).ok())
    };
    let Some(commit) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "unknown (not a git checkout)".to_owned();
    };
    let dirty = git(&[
        "status",
        "--porcelain",
        "--",
        "../jobs-runtime",
        "../jobs-schedule",
    ])
    .is_some_and(|status| !status.trim().is_empty());
    format!(
        "commit `{}`{}",
        commit.trim(),
        if dirty {
            ", with uncommitted changes in `jobs-runtime` or `jobs-schedule`"
        } else {
            ""
        }
    )
}
