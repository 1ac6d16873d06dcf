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
    use ::metrics::{Counter, Gauge, Label, SharedString, Unit};
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex, OnceLock, PoisonError};
    use std::time::{Duration, Instant};
    use tokio::time::MissedTickBehavior;

    pub(crate) const RUNS: &str = "jobs_runs_total";
    pub(crate) const SKIPPED_TICKS: &str = "jobs_skipped_ticks_total";
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
        for (names, what) in [
            (
                &RUN_DURATION_SERIES,
                "time from the start of a run's first attempt to its end, retries included",
            ),
            (
                &LATENESS_SERIES,
                "time from when a run was due (tick plus jitter, or enqueued due instant) to its start",
            ),
            (
                &ATTEMPTS_SERIES,
                "attempts made by each run that started, when it ended",
            ),
        ] {
            ::metrics::describe_counter!(
                names.bucket,
                Unit::Count,
                format!("Histogram of the {what}: runs up to `le`")
            );
            ::metrics::describe_counter!(names.count, Unit::Count, format!("Histogram of the {what}: runs"));
            ::metrics::describe_gauge!(names.sum, format!("Histogram of the {what}: their sum"));
        }
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

    /// Upper bounds of the buckets of the histograms in seconds (`+Inf` follows): from a
    /// millisecond to half an hour.
    const SECONDS: [f64; 13] = [
        0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0,
    ];
    /// Upper bounds of the buckets of attempts (`+Inf` follows).
    const ATTEMPT_BOUNDS: [f64; 5] = [1.0, 2.0, 3.0, 5.0, 10.0];

    /// How many copies of each job's counts the threads that end runs share out among them.
    const SHARDS: usize = 4;

    /// The shard of the current thread: threads take them in turn, so that two workers rarely
    /// write to one cache line.
    fn shard() -> usize {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
        }
        SHARD.with(|shard| *shard)
    }

    /// One job's runs and skipped ticks, counted by the runtime itself and handed to the
    /// recorder by the sampling task (every second, or every poll of a durable store).
    ///
    /// Counting a run is then a few uncontended atomic additions on the thread's own shard. A
    /// recorder's histogram stores every sample it is given (the Prometheus exporter's takes a
    /// clock reading and an epoch-protected push per sample), which at a million runs a second
    /// cost a quarter of the on-demand throughput; the histograms here are bucketed as they are
    /// counted, and reach the recorder as Prometheus-style `_bucket`, `_count` and `_sum`
    /// series.
    ///
    /// Made when the job first ends a run, so that a job that never runs costs one pointer.
    pub(crate) struct JobMetrics {
        counts: OnceLock<Box<[Shard; SHARDS]>>,
        /// The recorder's handles, made by the sampling task as each series first counts.
        exported: Mutex<Option<Exported>>,
    }

    impl std::fmt::Debug for JobMetrics {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("JobMetrics").finish_non_exhaustive()
        }
    }

    /// One shard of a job's counts, on cache lines of its own.
    #[derive(Default)]
    #[repr(align(128))]
    struct Shard {
        /// By outcome: succeeded, failed, cancelled.
        runs: [AtomicU64; 3],
        /// By reason: overlap, paused, missed, shutdown.
        skipped: [AtomicU64; 4],
        /// By outcome.
        durations: [Buckets<14>; 3],
        lateness: Buckets<14>,
        attempts: Buckets<6>,
    }

    /// A histogram's counts: one per bucket (the value's, not cumulative), and the sum of the
    /// values in nanoseconds (attempts: in attempts).
    struct Buckets<const N: usize> {
        counts: [AtomicU64; N],
        sum: AtomicU64,
    }

    impl<const N: usize> Default for Buckets<N> {
        fn default() -> Self {
            Self {
                counts: std::array::from_fn(|_| AtomicU64::new(0)),
                sum: AtomicU64::new(0),
            }
        }
    }

    impl<const N: usize> Buckets<N> {
        fn add(&self, bounds: &[f64], value: f64, sum: u64) {
            let bucket = bounds
                .iter()
                .position(|&bound| value <= bound)
                .unwrap_or(bounds.len());
            self.counts[bucket].fetch_add(1, Ordering::Relaxed);
            self.sum.fetch_add(sum, Ordering::Relaxed);
        }
    }

    const OUTCOMES: [&str; 3] = ["succeeded", "failed", "cancelled"];
    const REASONS: [&str; 4] = ["overlap", "paused", "missed", "shutdown"];

    impl JobMetrics {
        pub(crate) fn new() -> Self {
            Self {
                counts: OnceLock::new(),
                exported: Mutex::new(None),
            }
        }

        /// Counts a record that ends a run or skips a tick.
        pub(crate) fn record(&self, record: &RunRecord) {
            let shards = self.counts.get_or_init(Box::default);
            let shard = &shards[shard()];
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
                    shard.skipped[reason].fetch_add(1, Ordering::Relaxed);
                    return;
                }
            };
            shard.runs[outcome].fetch_add(1, Ordering::Relaxed);
            // A job cancelled before it ever started has no duration, lateness or attempts.
            let Some(started_at) = record.started_at else {
                return;
            };
            if let Some(duration) = record
                .finished_at
                .and_then(|finished_at| (finished_at - started_at).to_std().ok())
            {
                shard.durations[outcome].add(&SECONDS, duration.as_secs_f64(), nanos(duration));
            }
            if let Some(lateness) = record.lateness {
                shard
                    .lateness
                    .add(&SECONDS, lateness.as_secs_f64(), nanos(lateness));
            }
            shard.attempts.add(
                &ATTEMPT_BOUNDS,
                f64::from(record.attempts),
                u64::from(record.attempts),
            );
        }

        /// Hands the job's counts to the recorder: each series is made at its first count.
        fn export(&self, job: &Arc<str>) {
            let Some(shards) = self.counts.get() else {
                return;
            };
            let total = |pick: &dyn Fn(&Shard) -> &AtomicU64| -> u64 {
                shards
                    .iter()
                    .map(|shard| pick(shard).load(Ordering::Relaxed))
                    .sum()
            };
            let mut exported = self.exported.lock().unwrap_or_else(PoisonError::into_inner);
            let exported = exported.get_or_insert_with(|| Exported::new(job));
            let job = exported.job.clone();
            for (outcome, series) in exported.runs.iter_mut().enumerate() {
                let count = total(&|shard| &shard.runs[outcome]);
                if count > 0 {
                    series
                        .get_or_insert_with(|| {
                            ::metrics::counter!(RUNS, "job" => job.clone(), "outcome" => OUTCOMES[outcome])
                        })
                        .absolute(count);
                }
            }
            for (reason, series) in exported.skipped.iter_mut().enumerate() {
                let count = total(&|shard| &shard.skipped[reason]);
                if count > 0 {
                    series
                        .get_or_insert_with(|| {
                            ::metrics::counter!(SKIPPED_TICKS, "job" => job.clone(), "reason" => REASONS[reason])
                        })
                        .absolute(count);
                }
            }
            for (outcome, series) in exported.durations.iter_mut().enumerate() {
                let labels = || {
                    vec![
                        Label::new("job", job.clone()),
                        Label::new("outcome", OUTCOMES[outcome]),
                    ]
                };
                Bucketed::export(series, &RUN_DURATION_SERIES, labels, &SECONDS, |bucket| {
                    total(&|shard| shard.durations[outcome].at(bucket))
                });
            }
            let labels = || vec![Label::new("job", job.clone())];
            Bucketed::export(
                &mut exported.lateness,
                &LATENESS_SERIES,
                labels,
                &SECONDS,
                |bucket| total(&|shard| shard.lateness.at(bucket)),
            );
            Bucketed::export(
                &mut exported.attempts,
                &ATTEMPTS_SERIES,
                labels,
                &ATTEMPT_BOUNDS,
                |bucket| total(&|shard| shard.attempts.at(bucket)),
            );
        }
    }

    impl<const N: usize> Buckets<N> {
        /// Bucket `bucket`'s count, or the sum past the last bucket.
        fn at(&self, bucket: usize) -> &AtomicU64 {
            self.counts.get(bucket).unwrap_or(&self.sum)
        }
    }

    fn nanos(duration: Duration) -> u64 {
        u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
    }

    /// The names of a histogram's series, Prometheus-style.
    struct SeriesNames {
        bucket: &'static str,
        count: &'static str,
        sum: &'static str,
        /// The sum's unit per count: nanoseconds are handed over as seconds.
        sum_scale: f64,
    }

    const RUN_DURATION_SERIES: SeriesNames = SeriesNames {
        bucket: "jobs_run_duration_seconds_bucket",
        count: "jobs_run_duration_seconds_count",
        sum: "jobs_run_duration_seconds_sum",
        sum_scale: 1e-9,
    };
    const LATENESS_SERIES: SeriesNames = SeriesNames {
        bucket: "jobs_lateness_seconds_bucket",
        count: "jobs_lateness_seconds_count",
        sum: "jobs_lateness_seconds_sum",
        sum_scale: 1e-9,
    };
    const ATTEMPTS_SERIES: SeriesNames = SeriesNames {
        bucket: "jobs_run_attempts_bucket",
        count: "jobs_run_attempts_count",
        sum: "jobs_run_attempts_sum",
        sum_scale: 1.0,
    };

    /// The recorder's handles of one job.
    struct Exported {
        job: SharedString,
        runs: [Option<Counter>; 3],
        skipped: [Option<Counter>; 4],
        durations: [Option<Bucketed>; 3],
        lateness: Option<Bucketed>,
        attempts: Option<Bucketed>,
    }

    impl Exported {
        fn new(job: &Arc<str>) -> Self {
            Self {
                job: SharedString::from(Arc::clone(job)),
                runs: Default::default(),
                skipped: Default::default(),
                durations: Default::default(),
                lateness: None,
                attempts: None,
            }
        }
    }

    /// A histogram's series: a cumulative counter per bucket (label `le`), the count, and the
    /// sum (a gauge: the facade's counters hold integers).
    struct Bucketed {
        buckets: Vec<Counter>,
        count: Counter,
        sum: Gauge,
    }

    impl Bucketed {
        /// Sets the series from the counts `bucket` gives (the sum past the last bucket),
        /// making them when the histogram first counts.
        #[allow(
            clippy::cast_precision_loss,
            reason = "a sum in nanoseconds loses nothing that matters as an f64 of seconds"
        )]
        fn export(
            series: &mut Option<Self>,
            names: &SeriesNames,
            labels: impl Fn() -> Vec<Label>,
            bounds: &[f64],
            bucket: impl Fn(usize) -> u64,
        ) {
            let counts: Vec<u64> = (0..=bounds.len()).map(&bucket).collect();
            let count: u64 = counts.iter().sum();
            if count == 0 {
                return;
            }
            let series = series.get_or_insert_with(|| Self {
                buckets: bounds
                    .iter()
                    .map(|bound| format!("{bound}"))
                    .chain(std::iter::once("+Inf".to_owned()))
                    .map(|le| {
                        let mut labels = labels();
                        labels.push(Label::new("le", le));
                        ::metrics::counter!(names.bucket, labels)
                    })
                    .collect(),
                count: ::metrics::counter!(names.count, labels()),
                sum: ::metrics::gauge!(names.sum, labels()),
            });
            let mut cumulative = 0;
            for (handle, count) in series.buckets.iter().zip(&counts) {
                cumulative += count;
                handle.absolute(cumulative);
            }
            series.count.absolute(count);
            series
                .sum
                .set(bucket(bounds.len() + 1) as f64 * names.sum_scale);
        }
    }

    /// Hands every job's counts to the recorder: every sample, and once more when the runtime
    /// has stopped, for the runs that ended during shutdown.
    pub(crate) fn export(shared: &Shared) {
        shared
            .history
            .each(|job, history| history.metrics().export(job));
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
            // Half-way between whole seconds, where ticks are most often due, so that sampling
            // never competes with a burst of them.
            let into_second = u64::from(shared.clock.now().timestamp_subsec_millis() % 1000);
            let phase = Duration::from_millis((1500 - into_second) % 1000);
            let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + phase, every);
            interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
            let mut shutdown = shared.shutdown.subscribe();
            let mut gauges: HashMap<Arc<str>, QueueGauges> = HashMap::new();
            loop {
                tokio::select! {
                    biased;
                    _ = shutdown.wait_for(|&stopping| stopping) => break,
                    _ = interval.tick() => {}
                }
                export(&shared);
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

    #[inline]
    pub(crate) fn export(_shared: &Shared) {}

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
