//! `registered_jobs()` lists every `#[job]` function of the binary, nested modules included, with
//! its name (`module::path::fn_name` or `name = "…"`), schedule, options and source location; the
//! builder picks registered jobs by those names.
#![allow(
    clippy::unused_async,
    reason = "`#[job]` and `on_failure` take an `async fn`; these test jobs have nothing to await"
)]

use jobs_runtime::{
    job, registered_jobs, Error, JobOptions, Overlap, RegisteredJob, Runtime, Schedule, Tz,
};
use std::time::Duration;

mod support;

#[job(cron = "0 3 * * *")]
async fn nightly() {}

#[job(name = "custom-name", cron = "30 9 * * Mon-Fri", tz = "Europe/Berlin")]
async fn renamed() {}

#[job(retries = 1)]
async fn manual() {}

mod nested {
    mod deeper {
        use jobs_runtime::job;

        #[job(
            every = "10s",
            retries = 3,
            backoff = "2s",
            backoff_max = "1m",
            timeout = "30s",
            jitter = "500ms",
            overlap = "queue"
        )]
        async fn heartbeat() {}
    }
}

fn location_of(name: &str) -> String {
    support::location_of(include_str!("registry.rs"), file!(), name)
}

#[test]
fn lists_every_job_by_name_with_its_location() {
    let listed: Vec<(&str, String)> = registered_jobs()
        .iter()
        .map(|job| (job.name(), job.location()))
        .collect();
    assert_eq!(
        listed,
        [
            ("custom-name", location_of("renamed")),
            ("registry::manual", location_of("manual")),
            (
                "registry::nested::deeper::heartbeat",
                location_of("heartbeat")
            ),
            ("registry::nightly", location_of("nightly")),
        ]
    );
}

#[test]
fn lists_each_schedule_in_its_time_zone() {
    let schedules: Vec<Option<Schedule>> = registered_jobs()
        .iter()
        .map(RegisteredJob::schedule)
        .collect();
    assert_eq!(
        schedules,
        [
            Some(
                Schedule::parse("30 9 * * Mon-Fri")
                    .unwrap()
                    .with_timezone(Tz::Europe__Berlin)
            ),
            None,
            Some(Schedule::every(Duration::from_secs(10)).unwrap()),
            Some(Schedule::parse("0 3 * * *").unwrap()),
        ]
    );
    let zones: Vec<Option<Tz>> = registered_jobs()
        .iter()
        .map(|job| job.schedule().map(|s| s.timezone()))
        .collect();
    assert_eq!(zones[0], Some(Tz::Europe__Berlin));
    assert_eq!(zones[3], Some(Tz::UTC), "`tz` defaults to UTC");
}

#[test]
fn lists_the_options_with_the_documented_defaults() {
    let by_name = |name: &str| {
        registered_jobs()
            .into_iter()
            .find(|job| job.name() == name)
            .unwrap()
            .options()
    };
    // retries 0, backoff 1s, backoff_max 5m, no timeout, no jitter, overlap skip.
    assert_eq!(by_name("registry::nightly"), JobOptions::default());
    let defaults = JobOptions::default();
    assert_eq!(
        (defaults.retries, defaults.backoff, defaults.backoff_max),
        (0, Duration::from_secs(1), Duration::from_secs(300))
    );
    assert_eq!(
        (defaults.timeout, defaults.jitter, defaults.overlap),
        (None, None, Overlap::Skip)
    );

    let mut heartbeat = JobOptions::default();
    heartbeat.retries = 3;
    heartbeat.backoff = Duration::from_secs(2);
    heartbeat.backoff_max = Duration::from_secs(60);
    heartbeat.timeout = Some(Duration::from_secs(30));
    heartbeat.jitter = Some(Duration::from_millis(500));
    heartbeat.overlap = Overlap::Queue;
    assert_eq!(by_name("registry::nested::deeper::heartbeat"), heartbeat);

    let mut manual = JobOptions::default();
    manual.retries = 1;
    assert_eq!(by_name("registry::manual"), manual);
}

/// The names `Handle::jobs` reports for a builder.
async fn picked(builder: jobs_runtime::Builder) -> Vec<String> {
    let handle = builder.build().unwrap().start().await.unwrap();
    let names = handle
        .jobs()
        .await
        .unwrap()
        .iter()
        .map(|job| job.name.to_string())
        .collect();
    handle.shutdown().await;
    names
}

#[tokio::test(start_paused = true)]
async fn the_builder_picks_registered_jobs_by_full_name_or_last_parts() {
    assert_eq!(
        picked(Runtime::builder()).await,
        [
            "custom-name",
            "registry::manual",
            "registry::nested::deeper::heartbeat",
            "registry::nightly"
        ]
    );
    assert_eq!(
        picked(Runtime::builder().only(["custom-name", "deeper::heartbeat"])).await,
        ["custom-name", "registry::nested::deeper::heartbeat"]
    );
    assert_eq!(
        picked(Runtime::builder().only(["registry::nightly", "heartbeat"])).await,
        ["registry::nested::deeper::heartbeat", "registry::nightly"]
    );
    assert_eq!(
        picked(Runtime::builder().exclude(["nightly", "manual", "heartbeat"])).await,
        ["custom-name"]
    );
    assert!(picked(Runtime::builder().without_registered_jobs())
        .await
        .is_empty());
}

#[test]
fn naming_a_job_that_is_not_registered_is_an_error() {
    // A suffix counts only at a `::` boundary: `beat` is not `heartbeat`.
    for builder in [
        Runtime::builder().only(["beat"]),
        Runtime::builder().exclude(["renamed"]),
    ] {
        let error = builder.build().unwrap_err();
        assert!(matches!(error, Error::UnknownJob(_)), "{error:?}");
    }
}
