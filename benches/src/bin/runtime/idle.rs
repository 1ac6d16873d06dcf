//! Idle cost: N registered jobs whose next tick is months away, in a child process.
//!
//! Between deadlines a scheduler should sleep: no CPU, no thread woken. Memory is the resident
//! set after registration minus before, so it counts everything the implementation keeps per job
//! (and what the allocator keeps for it).

use crate::fields::Fields;
use crate::probe;
use crate::subjects::{register, Recorder, Subject};
use chrono::{Datelike, TimeZone, Utc};
use std::sync::Arc;
use std::time::Duration;

/// Yearly, at the start of January 1st: every implementation reads this the same way, and on any
/// day but New Year's Eve the next tick is far beyond the window.
pub(crate) const CRON: &str = "0 0 0 1 1 *";
/// Lets lazy initialisation (first polls, first timer registrations) finish before memory is read
/// and the window opens.
const SETTLE: Duration = Duration::from_secs(2);
pub(crate) const WINDOW: Duration = Duration::from_secs(20);
pub(crate) const REGISTER_BUDGET: Duration = Duration::from_secs(90);

pub(crate) struct Idle {
    pub(crate) registered: usize,
    pub(crate) complete: bool,
    pub(crate) register_ms: u64,
    pub(crate) rss_before_kib: u64,
    pub(crate) rss_after_kib: u64,
    pub(crate) cpu_ns: u64,
    pub(crate) voluntary: u64,
    pub(crate) involuntary: u64,
    pub(crate) threads: usize,
    pub(crate) threads_gone: usize,
    pub(crate) window_ms: u64,
    /// Job bodies that ran: none should.
    pub(crate) fired: usize,
}

pub(crate) async fn measure(subject: Subject, n: usize) -> Result<Fields, String> {
    // The runtime's threads exist and have touched their stacks before the first reading.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_before_kib = probe::rss_kib();
    let recorder = Arc::new(Recorder::new(0));
    let next_year = Utc
        .with_ymd_and_hms(Utc::now().year() + 1, 1, 1, 0, 0, 0)
        .single()
        .and_then(|t| t.timestamp_nanos_opt())
        .ok_or("no next New Year")?;
    let ticks: Arc<[i64]> = Arc::from([next_year]);
    let registered = register(subject, n, CRON, &ticks, &recorder, REGISTER_BUDGET).await?;
    tokio::time::sleep(SETTLE).await;
    let rss_after_kib = probe::rss_kib();

    let before = probe::snapshot();
    tokio::time::sleep(WINDOW).await;
    let delta = probe::snapshot().since(&before);

    let mut fields = Fields::default();
    fields.put("registered", registered.count);
    fields.put("complete", registered.complete);
    fields.put("register_ms", registered.elapsed.as_millis());
    fields.put("rss_before_kib", rss_before_kib);
    fields.put("rss_after_kib", rss_after_kib);
    fields.put("cpu_ns", delta.cpu_ns);
    fields.put("voluntary", delta.voluntary);
    fields.put("involuntary", delta.involuntary);
    fields.put("threads", delta.threads);
    fields.put("threads_gone", delta.threads_gone);
    fields.put("window_ms", WINDOW.as_millis());
    fields.put("fired", recorder.len());
    Ok(fields)
}

impl TryFrom<&Fields> for Idle {
    type Error = String;

    fn try_from(fields: &Fields) -> Result<Self, String> {
        Ok(Self {
            registered: fields.number("registered")?,
            complete: fields.number("complete")?,
            register_ms: fields.number("register_ms")?,
            rss_before_kib: fields.number("rss_before_kib")?,
            rss_after_kib: fields.number("rss_after_kib")?,
            cpu_ns: fields.number("cpu_ns")?,
            voluntary: fields.number("voluntary")?,
            involuntary: fields.number("involuntary")?,
            threads: fields.number("threads")?,
            threads_gone: fields.number("threads_gone")?,
            window_ms: fields.number("window_ms")?,
            fired: fields.number("fired")?,
        })
    }
}
