//! Firing lateness: N jobs due at the same instant, over several ticks, in a child process.
//!
//! Lateness is the wall clock read at the start of the job body minus the tick's instant. The
//! tick comes from the implementation itself where it says which tick it fired for (ours, apalis),
//! and otherwise from the clock: tokio-cron-scheduler's firing is given to the latest tick at or
//! before it started, so a firing later than one period would show as one missed tick plus one
//! duplicate, never as a smaller lateness.

use crate::fields::Fields;
use crate::subjects::{deadline, now_ns, register, Recorder, Subject};
use std::sync::Arc;
use std::time::Duration;

/// Every job's schedule: every 2 seconds, so that a peer has 2 s to clear a burst of 10 000
/// firings before the next one is due.
pub(crate) const CRON: &str = "*/2 * * * * *";
pub(crate) const PERIOD_NS: i64 = 2_000_000_000;
/// Ticks measured per run.
pub(crate) const TICKS: usize = 8;
/// Ticks between the end of registration and the first measured tick are warm-up and ignored:
/// at least this long.
const LEAD_NS: i64 = 1_000_000_000;
/// Listening stops this long before the tick after the last measured one.
pub(crate) const MARGIN_NS: i64 = 200_000_000;
pub(crate) const REGISTER_BUDGET: Duration = Duration::from_secs(60);

pub(crate) struct Lateness {
    /// Firings of measured ticks.
    pub(crate) fired: usize,
    /// (job, tick) pairs with no firing.
    pub(crate) missed: usize,
    /// Firings beyond the first of a (job, tick) pair.
    pub(crate) duplicated: usize,
    /// Firings that started before their tick.
    pub(crate) early: usize,
    /// Firings for an instant that is not a tick of the schedule.
    pub(crate) stray: usize,
    /// Other processes' share of the CPUs while this run's process ran.
    pub(crate) other_load_pct: f64,
    /// Lateness at every permille, from the minimum (0) to the maximum (1000).
    pub(crate) permille_ns: Vec<i64>,
    /// Per measured tick, the lateness of the first and of the last job of the burst to start:
    /// their spread is how long a burst of N due jobs takes to get going.
    pub(crate) first_ns: Vec<i64>,
    pub(crate) last_ns: Vec<i64>,
}

impl Lateness {
    pub(crate) fn p50(&self) -> i64 {
        self.permille_ns[500]
    }

    pub(crate) fn p99(&self) -> i64 {
        self.permille_ns[990]
    }

    pub(crate) fn max(&self) -> i64 {
        self.permille_ns[1000]
    }

    /// The median over ticks of the first job's lateness.
    pub(crate) fn first(&self) -> i64 {
        median(&self.first_ns)
    }

    /// The median over ticks of the last job's lateness.
    pub(crate) fn last(&self) -> i64 {
        median(&self.last_ns)
    }
}

fn median(values: &[i64]) -> i64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

/// The child's work: register, wait for the measured ticks, count.
pub(crate) async fn measure(subject: Subject, n: usize) -> Result<Fields, String> {
    // Room for warm-up ticks too, so that no push reallocates (and stalls every other job body)
    // during a measured burst.
    let recorder = Arc::new(Recorder::new(n * (TICKS + 16)));
    let no_ticks: Arc<[i64]> = Arc::from([]);
    let peer = if subject == Subject::Floor {
        None
    } else {
        Some(register(subject, n, CRON, &no_ticks, &recorder, REGISTER_BUDGET).await?)
    };
    let first = (now_ns() + LEAD_NS).div_euclid(PERIOD_NS) * PERIOD_NS + PERIOD_NS;
    let ticks: Arc<[i64]> = (0..TICKS)
        .map(|k| first + i64::try_from(k).unwrap_or(0) * PERIOD_NS)
        .collect();
    let registered = match peer {
        Some(registered) => registered,
        None => register(subject, n, CRON, &ticks, &recorder, REGISTER_BUDGET).await?,
    };
    if !registered.complete {
        return Err(format!(
            "registered only {} of {n} jobs within {}s",
            registered.count,
            REGISTER_BUDGET.as_secs()
        ));
    }
    let last = ticks[TICKS - 1];
    tokio::time::sleep_until(deadline(last + PERIOD_NS - MARGIN_NS).into()).await;
    let samples = recorder.take();

    let mut counts = vec![0_u32; n * TICKS];
    let mut lateness = Vec::with_capacity(samples.len());
    let mut first_ns = vec![i64::MAX; TICKS];
    let mut last_ns = vec![i64::MIN; TICKS];
    let (mut early, mut stray) = (0, 0);
    for sample in samples {
        let tick = sample
            .scheduled_ns
            .unwrap_or_else(|| sample.started_ns.div_euclid(PERIOD_NS) * PERIOD_NS);
        if tick < first || tick > last {
            continue; // warm-up, or a tick after the window
        }
        if (tick - first) % PERIOD_NS != 0 {
            stray += 1;
            continue;
        }
        let k = usize::try_from((tick - first) / PERIOD_NS).unwrap_or(0);
        counts[sample.job as usize * TICKS + k] += 1;
        let late = sample.started_ns - tick;
        if late < 0 {
            early += 1;
        }
        first_ns[k] = first_ns[k].min(late);
        last_ns[k] = last_ns[k].max(late);
        lateness.push(late);
    }
    if lateness.is_empty() {
        return Err("no job fired during the measured ticks".to_owned());
    }
    lateness.sort_unstable();
    let permille: Vec<i64> = (0..=1000)
        .map(|k| lateness[k * (lateness.len() - 1) / 1000])
        .collect();

    let mut fields = Fields::default();
    fields.put("registered", registered.count);
    fields.put("register_ms", registered.elapsed.as_millis());
    fields.put("fired", lateness.len());
    fields.put("missed", counts.iter().filter(|&&c| c == 0).count());
    fields.put(
        "duplicated",
        counts.iter().map(|&c| c.saturating_sub(1)).sum::<u32>(),
    );
    fields.put("early", early);
    fields.put("stray", stray);
    let comma_separated = |values: &[i64]| {
        values
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    fields.put("permille_ns", comma_separated(&permille));
    // A tick with no firing at all keeps its sentinel out of the lists.
    let fired_ticks = |values: Vec<i64>| -> Vec<i64> {
        values
            .into_iter()
            .filter(|&v| v != i64::MAX && v != i64::MIN)
            .collect()
    };
    fields.put("first_ns", comma_separated(&fired_ticks(first_ns)));
    fields.put("last_ns", comma_separated(&fired_ticks(last_ns)));
    Ok(fields)
}

fn numbers(fields: &Fields, name: &str) -> Result<Vec<i64>, String> {
    fields
        .text(name)?
        .split(',')
        .filter(|v| !v.is_empty())
        .map(|v| v.parse().map_err(|e| format!("{name}: {e}")))
        .collect()
}

impl TryFrom<&Fields> for Lateness {
    type Error = String;

    fn try_from(fields: &Fields) -> Result<Self, String> {
        let permille_ns = numbers(fields, "permille_ns")?;
        if permille_ns.len() != 1001 {
            return Err(format!("{} permille values", permille_ns.len()));
        }
        Ok(Self {
            fired: fields.number("fired")?,
            missed: fields.number("missed")?,
            duplicated: fields.number("duplicated")?,
            early: fields.number("early")?,
            stray: fields.number("stray")?,
            other_load_pct: fields.number("other_load_pct")?,
            permille_ns,
            first_ns: numbers(fields, "first_ns")?,
            last_ns: numbers(fields, "last_ns")?,
        })
    }
}
