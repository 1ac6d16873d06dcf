//! "Why didn't it run?" against a table of cases: a tick that ran, each reason a tick is skipped
//! for, each field of a cron expression that excludes an instant, daylight-saving gaps and folds,
//! ticks still to come, and an on-demand job. Asked through the dashboard's API, as an operator
//! would.

use axum::http::{Method, StatusCode};
use axum::Router;
use jobs_runtime::{CatchUp, Clock, Job, JobContext, Runtime, Schedule};
use serde_json::Value;
use std::time::Duration;

#[path = "support/api.rs"]
mod api;
mod support;
use api::call;

const TOKEN: &str = "token";

async fn explain(router: &Router, job: &str, at: &str) -> Value {
    let (status, answer) = call(
        router,
        Method::GET,
        &format!("/api/jobs/{job}/explain?at={at}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{job} at {at}: {answer}");
    answer
}

/// One case: the job, the instant, and what the answer must say.
struct Case {
    job: &'static str,
    at: &'static str,
    verdict: &'static str,
    field: Option<&'static str>,
    sentence: &'static str,
}

/// The instants asked about, at 36 s past 2026-01-01T00:00:00Z (a Thursday): `slow` ran at
/// 10 s and skipped 20 s and 30 s on overlap; `beat` was paused at 5 s.
const CASES: &[Case] = &[
    Case {
        job: "slow",
        at: "2026-01-01T00:00:10Z",
        verdict: "ran",
        field: None,
        sentence: "ran: run ",
    },
    Case {
        job: "slow",
        at: "2026-01-01T00:00:20Z",
        verdict: "skipped",
        field: None,
        sentence: "skipped: run ",
    },
    Case {
        job: "beat",
        at: "2026-01-01T00:00:20Z",
        verdict: "skipped",
        field: None,
        sentence: "skipped: the job was paused since 2026-01-01T00:00:05Z through the dashboard",
    },
    Case {
        job: "beat",
        at: "2025-12-31T23:59:50Z",
        verdict: "no_record",
        field: None,
        sentence: "no record: 2025-12-31T23:59:50Z is a tick, but this process started later",
    },
    Case {
        job: "beat",
        at: "2026-01-01T00:00:25Z",
        verdict: "no_tick",
        field: None,
        sentence: "no tick: ",
    },
    // Saturday 3 January 2026, 09:30 in Berlin.
    Case {
        job: "report",
        at: "2026-01-03T08:30:00Z",
        verdict: "no_tick",
        field: Some("day-of-week"),
        sentence:
            "no tick: `30 9 * * Mon-Fri` does not match Saturday 2026-01-03 09:30 Europe/Berlin",
    },
    Case {
        job: "report",
        at: "2026-01-05T09:30:00Z",
        verdict: "no_tick",
        field: Some("hour"),
        sentence:
            "no tick: `30 9 * * Mon-Fri` does not match Monday 2026-01-05 10:30 Europe/Berlin",
    },
    Case {
        job: "report",
        at: "2026-01-05T08:31:00Z",
        verdict: "no_tick",
        field: Some("minute"),
        sentence: "no tick: ",
    },
    Case {
        job: "report",
        at: "2026-01-05T08:30:07Z",
        verdict: "no_tick",
        field: Some("second"),
        sentence: "no tick: ",
    },
    Case {
        job: "report",
        at: "2026-01-02T08:30:00Z",
        verdict: "not_yet",
        field: None,
        sentence: "not yet: 2026-01-02T08:30:00Z is a tick",
    },
    Case {
        job: "monthly",
        at: "2026-02-01T06:00:00Z",
        verdict: "no_tick",
        field: Some("month"),
        sentence: "no tick: ",
    },
    Case {
        job: "monthly",
        at: "2026-01-02T06:00:00Z",
        verdict: "no_tick",
        field: Some("day-of-month"),
        sentence: "no tick: ",
    },
    // 2026-03-29: Berlin springs from 02:00 to 03:00; 02:30 runs at 03:00 CEST (01:00Z).
    Case {
        job: "night",
        at: "2026-03-29T01:00:00Z",
        verdict: "not_yet",
        field: None,
        sentence: "not yet: 2026-03-29T01:00:00Z is a tick (",
    },
    Case {
        job: "night",
        at: "2026-03-29T01:30:00Z",
        verdict: "no_tick",
        field: Some("hour"),
        sentence: "no tick: ",
    },
    // 2026-10-25: Berlin falls back from 03:00 to 02:00; 02:30 comes twice.
    Case {
        job: "night",
        at: "2026-10-25T00:30:00Z",
        verdict: "not_yet",
        field: None,
        sentence: "not yet: ",
    },
    Case {
        job: "night",
        at: "2026-10-25T01:30:00Z",
        verdict: "no_tick",
        field: None,
        sentence: "no tick: ",
    },
    Case {
        job: "half_hourly",
        at: "2026-10-25T01:30:00Z",
        verdict: "not_yet",
        field: None,
        sentence: "not yet: ",
    },
    Case {
        job: "reindex",
        at: "2026-01-01T00:00:10Z",
        verdict: "on_demand",
        field: None,
        sentence: "`reindex` is an on-demand job",
    },
];

#[tokio::test(start_paused = true)]
async fn every_kind_of_answer() {
    let handle = support::simulated()
        .dashboard_token(TOKEN)
        .job(Job::new(
            "beat",
            Schedule::every(Duration::from_secs(10)).unwrap(),
            |_ctx: JobContext| async {},
        ))
        .job(Job::new(
            "slow",
            Schedule::every(Duration::from_secs(10)).unwrap(),
            |_ctx: JobContext| tokio::time::sleep(Duration::from_secs(25)),
        ))
        .job(Job::new(
            "report",
            Schedule::parse("30 9 * * Mon-Fri")
                .unwrap()
                .with_timezone("Europe/Berlin".parse().unwrap()),
            |_ctx: JobContext| async {},
        ))
        .job(Job::new(
            "monthly",
            Schedule::parse("0 0 6 1 Jan,Jul *").unwrap(),
            |_ctx: JobContext| async {},
        ))
        .job(Job::new(
            "night",
            Schedule::parse("30 2 * * *")
                .unwrap()
                .with_timezone("Europe/Berlin".parse().unwrap()),
            |_ctx: JobContext| async {},
        ))
        .job(Job::new(
            "half_hourly",
            Schedule::parse("30 * * * *")
                .unwrap()
                .with_timezone("Europe/Berlin".parse().unwrap()),
            |_ctx: JobContext| async {},
        ))
        .job(Job::on_demand("reindex", |_ctx: JobContext| async {}))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let router = jobs_runtime::dashboard::router(handle.clone());
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (status, _) = call(
        &router,
        Method::POST,
        "/api/jobs/beat/pause",
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(Duration::from_secs(31)).await;

    for case in CASES {
        let answer = explain(&router, case.job, case.at).await;
        let context = format!("{} at {}: {answer}", case.job, case.at);
        assert_eq!(answer["verdict"], case.verdict, "{context}");
        assert_eq!(answer["field"].as_str(), case.field, "{context}");
        let sentence = answer["sentence"].as_str().unwrap();
        assert!(sentence.starts_with(case.sentence), "{context}");
    }
    // The skipped tick names the run that held it back; the run it ran is given whole.
    let ran = explain(&router, "slow", "2026-01-01T00:00:10Z").await;
    let run_id = ran["run"]["run_id"].as_str().unwrap().to_owned();
    let skipped = explain(&router, "slow", "2026-01-01T00:00:20Z").await;
    assert_eq!(
        skipped["sentence"],
        format!(
            "skipped: run {run_id}, started at 2026-01-01T00:00:10Z, was still running, and the job's overlap policy is `skip`"
        )
    );
    assert_eq!(skipped["skip_reason"], "overlap");
    let fold = explain(&router, "night", "2026-10-25T01:30:00Z").await;
    assert!(
        fold["sentence"].as_str().unwrap().contains("first"),
        "a fixed-time job runs the first 02:30 of the fold: {fold}"
    );
    handle.shutdown().await;
}

/// Ticks missed while no process ran: the first process to start records them with the
/// catch-up policy that left them, kept in a durable store. On real time: SQLite does its work
/// on threads that paused time does not wait for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_missed_while_no_process_ran_says_so() {
    let dir = std::env::temp_dir().join(format!("jobs-explain-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("jobs.db").display());
    let job = || {
        Job::new(
            "minutely",
            Schedule::every(Duration::from_secs(60)).unwrap(),
            |_ctx: JobContext| async {},
        )
        .catch_up(CatchUp::None)
    };
    let first = Runtime::builder()
        .without_registered_jobs()
        .store(&url)
        .clock(Clock::starting_at(support::at(0)))
        .job(job())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    first.shutdown().await;
    // Ten minutes later, by the clock.
    let second = Runtime::builder()
        .without_registered_jobs()
        .store(&url)
        .clock(Clock::starting_at(support::at(600)))
        .job(job())
        .dashboard_token(TOKEN)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let router = jobs_runtime::dashboard::router(second.clone());
    let answer = explain(&router, "minutely", "2026-01-01T00:05:00Z").await;
    assert_eq!(answer["verdict"], "skipped", "{answer}");
    assert_eq!(answer["skip_reason"], "missed", "{answer}");
    let sentence = answer["sentence"].as_str().unwrap();
    assert!(
        sentence.starts_with(
            "skipped: missed while no process ran (the last ran until 2026-01-01T00:00:0"
        ) && sentence.ends_with("catch_up = \"none\" ran 0 of them"),
        "{sentence}"
    );
    second.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
