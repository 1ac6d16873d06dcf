//! Metrics through the [`metrics`](https://docs.rs/metrics) facade (feature `metrics`): their
//! names and descriptions, and what the runtime calls where it records them.
//!
//! Runs and skipped ticks are recorded at one seam, [`JobHistory::push`](crate::history), which
//! every history record goes through; queue depths are sampled from the store by a task of
//! their own; store round trips are timed in [`Shared::stored`](crate::runtime::Shared).
//! Without the feature, every function here is empty and every type holds nothing, and no task
//! is started: the calls compile to nothing.

#[cfg(feature = "metrics")]
pub(crate) use enabled::*;

#[cfg(not(feature = "metrics"))]
pub(crate) use disabled::*;

#[cfg(feature = "metrics")]
mod enabled {
    use crate::history::{Outcome, RunRecord, SkipReason};
    use crate::runtime::Shared;
    use crate::store::{QueueStats, Store};
    use ::metrics::{Counter, Gauge, Histogram, SharedString, Unit};
    use std::collections::HashMap;
    use std::sync::{Arc, OnceLock};
    use std::time::{Duration, Instant};
    use tokio::time::MissedTickBehavior;

    pub(crate) const RUNS: &str = "jobs_runs_total";
    pub(crate) const SKIPPED_TICKS: &str = "jobs_skipped_ticks_total";
    pub(crate) const RUN_DURATION: &str = "jobs_run_duration_seconds";
    pub(crate) const LATENESS: &str = "jobs_lateness_seconds";
    pub(crate) const ATTEMPTS: &str = "jobs_run_attempts";
    pub(crate) const QUEUE_DEPTH: &str = "jobs_queue_depth";
    pub(crate) const QUEUE_RUNNING: &str = "jobs_queue_running";
    pub(crate) const QUEUE_LATENCY: &str = "jobs_queue_latency_seconds";
    pub(crate) const STORE_ROUND_TRIP: &str = "jobs_store_round_trip_seconds";

    /// When a runtime starts: describes the metrics to the recorder installed then, and starts
    /// sampling the queues into their gauges, every `poll` for a durable store (a database may
    /// take a while to count) and every second in memory, until the runtime shuts down.
    pub(crate) fn start(shared: &Arc<Shared>, poll: Duration) {
        describe();
        let every = if shared.store.durable() {
            poll
        } else {
            Duration::from_secs(1)
        };
        sample_queues(shared, every);
    }

    fn describe() {
        ::metrics::describe_counter!(
            RUNS,
            Unit::Count,
            "Runs that ended, by job and outcome (succeeded, failed, cancelled)"
        );
        ::metrics::describe_counter!(
            SKIPPED_TICKS,
            Unit::Count,
            "Ticks that did not run, by job and reason (overlap, paused, missed, shutdown)"
        );
        ::metrics::describe_histogram!(
            RUN_DURATION,
            Unit::Seconds,
            "Time from the start of a run's first attempt to its end, retries included"
        );
        ::metrics::describe_histogram!(
            LATENESS,
            Unit::Seconds,
            "Time from when a run was due (tick plus jitter, or enqueued due instant) to its start"
        );
        ::metrics::describe_histogram!(
            ATTEMPTS,
            Unit::Count,
            "Attempts made by each run that started, when it ended"
        );
        ::metrics::describe_gauge!(
            QUEUE_DEPTH,
            Unit::Count,
            "Enqueued jobs waiting, by queue and state (pending: due, waiting for a worker; scheduled: waiting for a delay or a retry's backoff)"
        );
        ::metrics::describe_gauge!(
            QUEUE_RUNNING,
            Unit::Count,
            "Enqueued jobs running, by queue"
        );
        ::metrics::describe_gauge!(
            QUEUE_LATENCY,
            Unit::Seconds,
            "How long the queue's longest-waiting pending job has been due (0 when none is)"
        );
        ::metrics::describe_histogram!(
            STORE_ROUND_TRIP,
            Unit::Seconds,
            "Successful operations of a durable store, by operation"
        );
    }

    /// One job's handles, each made when first needed and then kept: recording a run is then a
    /// few atomic operations, with no key built, hashed and looked up with its labels.
    ///
    /// Made lazily so that a job registers only the series it uses (a job that never fails has
    /// no `failed` series), and so that a job that never runs costs one pointer.
    pub(crate) struct JobMetrics {
        handles: OnceLock<Box<Handles>>,
    }

    impl std::fmt::Debug for JobMetrics {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("JobMetrics").finish_non_exhaustive()
        }
    }

    struct Handles {
        job: SharedString,
        /// By outcome: succeeded, failed, cancelled.
        runs: [OnceLock<Counter>; 3],
        durations: [OnceLock<Histogram>; 3],
        lateness: OnceLock<Histogram>,
        attempts: OnceLock<Histogram>,
        /// By reason: overlap, paused, missed, shutdown.
        skipped: [OnceLock<Counter>; 4],
    }

    const OUTCOMES: [&str; 3] = ["succeeded", "failed", "cancelled"];
    const REASONS: [&str; 4] = ["overlap", "paused", "missed", "shutdown"];

    impl JobMetrics {
        pub(crate) fn new() -> Self {
            Self {
                handles: OnceLock::new(),
            }
        }

        /// Counts a record that ends a run or skips a tick.
        pub(crate) fn record(&self, record: &RunRecord) {
            let handles = self.handles.get_or_init(|| {
                Box::new(Handles {
                    job: SharedString::from(Arc::clone(&record.job)),
                    runs: Default::default(),
                    durations: Default::default(),
                    lateness: OnceLock::new(),
                    attempts: OnceLock::new(),
                    skipped: Default::default(),
                })
            });
            let job = &handles.job;
            let outcome = match record.outcome {
                Outcome::Succeeded => 0,
                Outcome::Failed => 1,
                Outcome::Cancelled => 2,
                Outcome::Skipped(reason) => {
                    let reason = match reason {
                        SkipReason::Overlap => 0,
                        SkipReason::Paused => 1,
                        SkipReason::Missed => 2,
                        SkipReason::Shutdown => 3,
                    };
                    handles.skipped[reason]
                        .get_or_init(|| {
                            ::metrics::counter!(SKIPPED_TICKS, "job" => job.clone(), "reason" => REASONS[reason])
                        })
                        .increment(1);
                    return;
                }
            };
            handles.runs[outcome]
                .get_or_init(|| {
                    ::metrics::counter!(RUNS, "job" => job.clone(), "outcome" => OUTCOMES[outcome])
                })
                .increment(1);
            // A job cancelled before it ever started has no duration, lateness or attempts.
            let Some(started_at) = record.started_at else {
                return;
            };
            if let Some(duration) = record
                .finished_at
                .and_then(|finished_at| (finished_at - started_at).to_std().ok())
            {
                handles.durations[outcome]
                    .get_or_init(|| {
                        ::metrics::histogram!(RUN_DURATION, "job" => job.clone(), "outcome" => OUTCOMES[outcome])
                    })
                    .record(duration.as_secs_f64());
            }
            if let Some(lateness) = record.lateness {
                handles
                    .lateness
                    .get_or_init(|| ::metrics::histogram!(LATENESS, "job" => job.clone()))
                    .record(lateness.as_secs_f64());
            }
            handles
                .attempts
                .get_or_init(|| ::metrics::histogram!(ATTEMPTS, "job" => job.clone()))
                .record(f64::from(record.attempts));
        }
    }

    /// Times one operation of a durable store.
    pub(crate) struct RoundTrip(Option<Instant>);

    impl RoundTrip {
        pub(crate) fn start(store: &dyn Store) -> Self {
            // The memory store answers in nanoseconds, on every claim: not worth a clock read.
            Self(store.durable().then(Instant::now))
        }

        /// The operation succeeded; `what` is the name [`Shared::stored`] logs it by.
        pub(crate) fn end(self, what: &str) {
            if let Some(started) = self.0 {
                ::metrics::histogram!(STORE_ROUND_TRIP, "operation" => operation(what))
                    .record(started.elapsed().as_secs_f64());
            }
        }
    }

    /// A short, stable label for an operation, from the words the outage log uses for it.
    fn operation(what: &str) -> &'static str {
        match what {
            "claiming jobs" => "claim",
            "claiming a tick" => "claim_tick",
            "finishing a tick" | "handing back a tick" => "finish_tick",
            "writing run history" => "record",
            "renewing this process's leases" => "heartbeat",
            "looking for enqueued jobs" => "poll",
            "looking for changes of schedule or pause" => "changes",
            "pruning history" => "prune",
            SAMPLING => "queues",
            _ => "other",
        }
    }

    const SAMPLING: &str = "counting the jobs of each queue";

    /// Starts the task that samples the queues into their gauges every `every`, until the
    /// runtime shuts down (the gauges keep their last values).
    fn sample_queues(shared: &Arc<Shared>, every: Duration) {
        let shared = Arc::clone(shared);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
            let mut shutdown = shared.shutdown.subscribe();
            let mut gauges: HashMap<Arc<str>, QueueGauges> = HashMap::new();
            loop {
                tokio::select! {
                    biased;
                    _ = shutdown.wait_for(|&stopping| stopping) => break,
                    _ = interval.tick() => {}
                }
                let now = shared.clock.now();
                let Ok(queues) = shared.stored(SAMPLING, shared.store.queues(now)).await else {
                    continue;
                };
                // A queue that emptied keeps its series, at zero.
                for gauge in gauges.values() {
                    gauge.set(None, now);
                }
                for stats in &queues {
                    gauges
                        .entry(Arc::clone(&stats.queue))
                        .or_insert_with(|| QueueGauges::new(&stats.queue))
                        .set(Some(stats), now);
                }
            }
        });
    }

    struct QueueGauges {
        pending: Gauge,
        scheduled: Gauge,
        running: Gauge,
        latency: Gauge,
    }

    impl QueueGauges {
        fn new(queue: &Arc<str>) -> Self {
            let queue = SharedString::from(Arc::clone(queue));
            Self {
                pending: ::metrics::gauge!(QUEUE_DEPTH, "queue" => queue.clone(), "state" => "pending"),
                scheduled: ::metrics::gauge!(QUEUE_DEPTH, "queue" => queue.clone(), "state" => "scheduled"),
                running: ::metrics::gauge!(QUEUE_RUNNING, "queue" => queue.clone()),
                latency: ::metrics::gauge!(QUEUE_LATENCY, "queue" => queue),
            }
        }

        #[allow(
            clippy::cast_precision_loss,
            reason = "a gauge is an f64; counts of jobs are far below 2^53"
        )]
        fn set(&self, stats: Option<&QueueStats>, now: chrono::DateTime<chrono::Utc>) {
            let (pending, scheduled, running, oldest) = stats.map_or((0, 0, 0, None), |stats| {
                (
                    stats.pending,
                    stats.scheduled,
                    stats.running,
                    stats.oldest_pending,
                )
            });
            self.pending.set(pending as f64);
            self.scheduled.set(scheduled as f64);
            self.running.set(running as f64);
            let waited = oldest
                .and_then(|oldest| (now - oldest).to_std().ok())
                .unwrap_or_default();
            self.latency.set(waited.as_secs_f64());
        }
    }
}

#[cfg(not(feature = "metrics"))]
mod disabled {
    use crate::history::RunRecord;
    use crate::runtime::Shared;
    use crate::store::Store;
    use std::sync::Arc;
    use std::time::Duration;

    /// No task: nothing to sample into, and no wake-up.
    #[inline]
    pub(crate) fn start(_shared: &Arc<Shared>, _poll: Duration) {}

    #[derive(Debug)]
    pub(crate) struct JobMetrics;

    #[allow(
        clippy::unused_self,
        reason = "the signatures of the feature's, so that callers need no `cfg`"
    )]
    impl JobMetrics {
        #[inline]
        pub(crate) fn new() -> Self {
            Self
        }

        #[inline]
        pub(crate) fn record(&self, _record: &RunRecord) {}
    }

    pub(crate) struct RoundTrip;

    #[allow(
        clippy::unused_self,
        reason = "the signatures of the feature's, so that callers need no `cfg`"
    )]
    impl RoundTrip {
        #[inline]
        pub(crate) fn start(_store: &dyn Store) -> Self {
            Self
        }

        #[inline]
        pub(crate) fn end(self, _what: &str) {}
    }
}
