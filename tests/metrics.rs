//! The `metrics` feature: what a Prometheus scrape shows after a known sequence of runs, skipped
//! ticks and enqueued jobs, through the recorder a user would install.
#![allow(
    clippy::float_cmp,
    reason = "the samples compared exactly are counts of whole jobs, exact in an f64"
)]

use jobs_runtime::{job, State};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

mod support;
use support::Gate;

#[cfg(feature = "sqlite")]
#[path = "support/db.rs"]
mod db;

#[job(name = "ok", every = "10s")]
async fn ok() {
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[job(name = "flaky", every = "1m", retries = 2, backoff = "1s")]
async fn flaky() -> Result<(), std::io::Error> {
    Err(std::io::Error::other("connection refused"))
}

#[job(name = "slow", every = "10s")]
async fn slow() {
    tokio::time::sleep(Duration::from_secs(25)).await;
}

#[job(name = "idle", every = "10s")]
async fn idle() {}

#[job(name = "work", queue = "work")]
async fn work(gate: State<Arc<Gate>>) {
    gate.pass().await;
}

/// One recorder for the whole binary, as an application installs it, before the runtime starts:
/// the store's round trips as a Prometheus histogram (the runtime buckets the rest itself).
fn recorder() -> &'static PrometheusHandle {
    static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();
    RECORDER.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("jobs_store_round_trip_seconds".into()),
                &[0.001, 0.01, 0.1, 1.0, 10.0, 100.0],
            )
            .unwrap()
            .install_recorder()
            .unwrap()
    })
}

/// A scrape: each sample by its name and its labels in order.
struct Scrape {
    text: String,
    samples: BTreeMap<String, f64>,
}

impl Scrape {
    fn now() -> Self {
        let text = recorder().render();
        let mut samples = BTreeMap::new();
        for line in text.lines().filter(|line| !line.starts_with('#')) {
            let Some((series, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let (name, labels) = series.split_once('{').unwrap_or((series, "}"));
            let mut labels: Vec<&str> = labels
                .trim_end_matches('}')
                .split(',')
                .filter(|label| !label.is_empty())
                .collect();
            labels.sort_unstable();
            samples.insert(
                format!("{name}{{{}}}", labels.join(",")),
                value.parse().unwrap(),
            );
        }
        Self { text, samples }
    }

    /// The sample of `name` with exactly these labels (`job="ok"`), in any order.
    fn get(&self, name: &str, labels: &[&str]) -> Option<f64> {
        let mut labels = labels.to_vec();
        labels.sort_unstable();
        self.samples
            .get(&format!("{name}{{{}}}", labels.join(",")))
            .copied()
    }

    fn value(&self, name: &str, labels: &[&str]) -> f64 {
        self.get(name, labels)
            .unwrap_or_else(|| panic!("no sample {name} {labels:?} in the scrape:\n{}", self.text))
    }
}

/// The tests of this file share the one recorder: they run one at a time, so that each can tell
/// what it recorded.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The lines of the store's round trips in a scrape.
fn round_trips(scrape: &Scrape) -> Vec<String> {
    scrape
        .text
        .lines()
        .filter(|line| line.starts_with("jobs_store_round_trip_seconds"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_scrape_shows_runs_skipped_ticks_and_queues() {
    let _alone = ONE_AT_A_TIME.lock().await;
    recorder();
    let round_trips_before = round_trips(&Scrape::now());
    let gate = Gate::new();
    let handle = support::simulated_with_jobs()
        .only(["ok", "flaky", "slow", "idle", "work"])
        .queue("work", 1)
        .state(Arc::clone(&gate))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    handle.pause("idle").await.unwrap();
    // The first runs and waits at the gate; two wait for the queue's one worker; one waits an
    // hour.
    let mut enqueued = Vec::new();
    for _ in 0..3 {
        enqueued.push(work::options().handle(&handle).enqueue().await.unwrap());
    }
    let later = work::options()
        .handle(&handle)
        .delay(Duration::from_secs(3600))
        .enqueue()
        .await
        .unwrap();
    gate.arrivals(1).await;

    // Ticks at 10 s … 60 s.
    tokio::time::sleep(Duration::from_secs(66)).await;
    let scrape = Scrape::now();
    while_work_waits(&scrape);
    gate.open();
    for id in enqueued {
        support::ended(&handle, id).await;
    }
    handle.cancel(later).await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let scrape = Scrape::now();
    after_work_ended(&scrape);
    assert_eq!(
        round_trips(&scrape),
        round_trips_before,
        "the memory store makes no round trips"
    );
    handle.shutdown().await;
}

/// At 66 s: six ticks of each job, the queue's first job held at the gate and three waiting.
fn while_work_waits(scrape: &Scrape) {
    let runs = |job: &str, outcome: &str| {
        scrape.get(
            "jobs_runs_total",
            &[&format!("job=\"{job}\""), &format!("outcome=\"{outcome}\"")],
        )
    };
    assert_eq!(runs("ok", "succeeded"), Some(6.0), "{}", scrape.text);
    assert_eq!(
        runs("ok", "failed"),
        None,
        "no series for what never happened"
    );
    assert_eq!(runs("flaky", "failed"), Some(1.0));
    assert_eq!(
        runs("slow", "succeeded"),
        Some(2.0),
        "the runs at 10 s and 40 s"
    );
    assert_eq!(runs("work", "succeeded"), None, "held at the gate");
    let skipped = |job: &str, reason: &str| {
        scrape.get(
            "jobs_skipped_ticks_total",
            &[&format!("job=\"{job}\""), &format!("reason=\"{reason}\"")],
        )
    };
    assert_eq!(
        skipped("slow", "overlap"),
        Some(4.0),
        "20 s, 30 s, 50 s, 60 s"
    );
    assert_eq!(skipped("idle", "paused"), Some(6.0));
    assert_eq!(runs("idle", "succeeded"), None);

    let ok_duration = ["job=\"ok\"", "outcome=\"succeeded\""];
    assert_eq!(
        scrape.value("jobs_run_duration_seconds_count", &ok_duration),
        6.0
    );
    let total = scrape.value("jobs_run_duration_seconds_sum", &ok_duration);
    assert!((total - 6.0).abs() < 0.1, "six runs of 1 s: {total}");
    assert_eq!(
        scrape.value(
            "jobs_run_duration_seconds_bucket",
            &["job=\"ok\"", "outcome=\"succeeded\"", "le=\"0.1\""]
        ),
        0.0
    );
    assert_eq!(
        scrape.value("jobs_lateness_seconds_count", &["job=\"ok\""]),
        6.0
    );
    assert!(scrape.value("jobs_lateness_seconds_sum", &["job=\"ok\""]) < 0.1);
    // Three attempts, one run.
    assert_eq!(
        scrape.value("jobs_run_attempts_count", &["job=\"flaky\""]),
        1.0
    );
    assert_eq!(
        scrape.value("jobs_run_attempts_sum", &["job=\"flaky\""]),
        3.0
    );
    assert_eq!(
        scrape.value("jobs_run_attempts_bucket", &["job=\"flaky\"", "le=\"2\""]),
        0.0
    );
    assert_eq!(scrape.value("jobs_run_attempts_sum", &["job=\"ok\""]), 6.0);

    // Sampled every second.
    let queue = |name: &str, state: Option<&str>| {
        let state = state.map(|state| format!("state=\"{state}\""));
        let mut labels = vec!["queue=\"work\""];
        labels.extend(state.as_deref());
        scrape.value(name, &labels)
    };
    assert_eq!(queue("jobs_queue_depth", Some("pending")), 2.0);
    assert_eq!(queue("jobs_queue_depth", Some("scheduled")), 1.0);
    assert_eq!(queue("jobs_queue_running", None), 1.0);
    let waited = queue("jobs_queue_latency_seconds", None);
    assert!(
        (65.0..=66.0).contains(&waited),
        "the pending jobs have been due since the start: {waited}"
    );
    assert!(
        scrape
            .text
            .contains("# HELP jobs_runs_total Runs that ended, by job and outcome"),
        "{}",
        scrape.text
    );
}

/// Once the gate opened and the delayed job was cancelled.
fn after_work_ended(scrape: &Scrape) {
    let work = |outcome: &str| {
        scrape.get(
            "jobs_runs_total",
            &["job=\"work\"", &format!("outcome=\"{outcome}\"")],
        )
    };
    assert_eq!(work("succeeded"), Some(3.0));
    assert_eq!(work("cancelled"), Some(1.0), "cancelled while it waited");
    // The cancelled job never started: no lateness, duration or attempts of its own.
    assert_eq!(
        scrape.value("jobs_lateness_seconds_count", &["job=\"work\""]),
        3.0
    );
    let waited = scrape.value("jobs_lateness_seconds_sum", &["job=\"work\""]);
    assert!(
        (130.0..=134.0).contains(&waited),
        "two jobs waited for the first, about 66 s each: {waited}"
    );
    assert_eq!(
        scrape.value("jobs_run_attempts_count", &["job=\"work\""]),
        3.0
    );
    assert_eq!(
        scrape.get(
            "jobs_run_duration_seconds_count",
            &["job=\"work\"", "outcome=\"cancelled\""]
        ),
        None
    );
    let queue = |name: &str, state: Option<&str>| {
        let state = state.map(|state| format!("state=\"{state}\""));
        let mut labels = vec!["queue=\"work\""];
        labels.extend(state.as_deref());
        scrape.value(name, &labels)
    };
    assert_eq!(queue("jobs_queue_depth", Some("pending")), 0.0);
    assert_eq!(queue("jobs_queue_depth", Some("scheduled")), 0.0);
    assert_eq!(queue("jobs_queue_running", None), 0.0);
    assert_eq!(queue("jobs_queue_latency_seconds", None), 0.0);
}

/// A durable store: its round trips are timed, and the queue gauges count its jobs.
#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_durable_store_reports_round_trips_and_its_queues() {
    use jobs_runtime::{Job, JobContext, Runtime};

    let _alone = ONE_AT_A_TIME.lock().await;
    recorder();
    let dir = db::TempDir::new("metrics");
    let gate = Gate::new();
    let held = Arc::clone(&gate);
    let handle = Runtime::builder()
        .without_registered_jobs()
        .job(
            Job::on_demand("stored", move |_: JobContext| {
                let gate = Arc::clone(&held);
                async move { gate.pass().await }
            })
            .queue("stored"),
        )
        .queue("stored", 1)
        .store(format!("sqlite://{}", dir.0.join("jobs.db").display()))
        .poll_interval(Duration::from_millis(50))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    for _ in 0..3 {
        handle.enqueue("stored").await.unwrap();
    }
    gate.arrivals(1).await;
    let depth = |scrape: &Scrape, state: &str| {
        scrape.get(
            "jobs_queue_depth",
            &["queue=\"stored\"", &format!("state=\"{state}\"")],
        )
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    // The gauges of one sample are set one after the other, and a scrape may come between:
    // wait for a scrape that shows the whole sample.
    let running = |scrape: &Scrape| scrape.get("jobs_queue_running", &["queue=\"stored\""]);
    let scrape = loop {
        let scrape = Scrape::now();
        if depth(&scrape, "pending") == Some(2.0) && running(&scrape) == Some(1.0) {
            break scrape;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the gauges never showed two pending jobs and one running:\n{}",
            scrape.text
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    for operation in ["claim", "queues", "poll"] {
        let count = scrape.value(
            "jobs_store_round_trip_seconds_count",
            &[&format!("operation=\"{operation}\"")],
        );
        assert!(count >= 1.0, "{operation}: {count}");
    }
    assert_eq!(
        scrape.get(
            "jobs_store_round_trip_seconds_count",
            &["operation=\"other\""]
        ),
        None,
        "every operation has its own label"
    );
    gate.open();
    handle.shutdown().await;
}
