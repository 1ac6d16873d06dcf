//! `retries = n`: a failing run makes at most `n + 1` attempts, each retry after a delay drawn
//! uniformly from `[0, backoff * 2^(retry-1)]`, capped at `backoff_max` (full jitter).

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use jobs_runtime::{Clock, Handle, Job, JobContext, Outcome, RunId, Runtime};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// When each attempt of each run started, by run.
type Attempts = Arc<Mutex<HashMap<RunId, Vec<(u32, Instant)>>>>;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// A job that logs every attempt and fails every attempt before `succeed_on`.
fn logging_job(name: &str, succeed_on: u32, attempts: &Attempts) -> Job {
    let attempts = Arc::clone(attempts);
    Job::on_demand(name, move |ctx: JobContext| {
        let attempts = Arc::clone(&attempts);
        async move {
            attempts
                .lock()
                .unwrap()
                .entry(ctx.run_id())
                .or_default()
                .push((ctx.attempt(), Instant::now()));
            if ctx.attempt() >= succeed_on {
                Ok(())
            } else {
                Err(format!("attempt {} failed", ctx.attempt()))
            }
        }
    })
}

async fn start(job: Job) -> Handle {
    Runtime::builder()
        .without_registered_jobs()
        .clock(Clock::starting_at(t0()))
        .history_limit(1000)
        .job(job)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

/// Many runs, so that the random delays show the jitter, the doubling and the cap: with 100 draws
/// per retry, a correct runtime fails the distribution checks below with a probability under 1e-9,
/// and a runtime without doubling, cap or jitter passes them with a smaller one still.
const RUNS: usize = 100;

#[tokio::test(start_paused = true)]
async fn retries_three_makes_four_attempts_with_capped_doubling_full_jitter_backoff() {
    let backoff = Duration::from_secs(1);
    let backoff_max = Duration::from_millis(2500);
    let attempts = Attempts::default();
    let handle = start(
        logging_job("flaky", u32::MAX, &attempts)
            .retries(3)
            .backoff(backoff)
            .backoff_max(backoff_max),
    )
    .await;

    let mut run_ids = Vec::new();
    for _ in 0..RUNS {
        run_ids.push(handle.trigger("flaky").await.unwrap());
    }
    // The longest possible run is 1s + 2s + 2.5s of delays; nothing else is scheduled.
    tokio::time::sleep(Duration::from_secs(60)).await;

    let history = handle.history("flaky");
    assert_eq!(history.len(), RUNS);
    let attempts = attempts.lock().unwrap();
    // delays[n] holds the delay before retry n + 1 of every run.
    let mut delays = vec![Vec::new(); 3];
    for record in &history {
        let run_id = record.run_id.expect("a triggered run has an id");
        assert!(run_ids.contains(&run_id));
        assert_eq!(record.outcome, Outcome::Failed);
        assert_eq!(record.attempts, 4);
        assert_eq!(record.error.as_deref(), Some("attempt 4 failed"));

        let run = &attempts[&run_id];
        let numbers: Vec<u32> = run.iter().map(|&(attempt, _)| attempt).collect();
        assert_eq!(numbers, [1, 2, 3, 4], "JobContext::attempt counts from 1");
        for (retry, pair) in run.windows(2).enumerate() {
            let delay = pair[1].1 - pair[0].1;
            // Tokio's timer rounds a deadline up to the next millisecond; the limits are whole
            // milliseconds, so a correct delay still never exceeds its limit.
            let limit = (backoff * 2u32.pow(u32::try_from(retry).unwrap())).min(backoff_max);
            assert!(
                delay <= limit,
                "retry {} waited {delay:?}, more than {limit:?}",
                retry + 1
            );
            delays[retry].push(delay);
        }
        // The record spans the whole run: first attempt to last failure, the delays included.
        let span = run[3].1 - run[0].1;
        assert_eq!(
            record.finished_at.unwrap() - record.started_at.unwrap(),
            TimeDelta::from_std(span).unwrap()
        );
    }

    let max = |retry: usize| delays[retry].iter().max().copied().unwrap();
    let min = |retry: usize| delays[retry].iter().min().copied().unwrap();
    // Full jitter: the first delay is spread over [0, 1s], not a constant.
    assert!(min(0) < Duration::from_millis(500), "{:?}", delays[0]);
    assert!(max(0) > Duration::from_millis(500), "{:?}", delays[0]);
    // Doubling: the second retry may wait up to 2s, and some do wait longer than the first limit.
    assert!(max(1) > backoff, "{:?}", delays[1]);
    // The cap: uncapped, the third delay would reach 4s; capped, it stays within 2.5s (checked
    // above) yet goes beyond 2s.
    assert!(max(2) > Duration::from_secs(2), "{:?}", delays[2]);
}

#[tokio::test(start_paused = true)]
async fn a_run_stops_retrying_at_its_first_successful_attempt() {
    let attempts = Attempts::default();
    let handle = start(logging_job("recovers", 3, &attempts).retries(5)).await;

    let run_id = handle.trigger("recovers").await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;

    let history = handle.history("recovers");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].run_id, Some(run_id));
    assert_eq!(history[0].outcome, Outcome::Succeeded);
    assert_eq!(history[0].attempts, 3);
    assert_eq!(history[0].error, None, "a successful run keeps no error");
    let numbers: Vec<u32> = attempts.lock().unwrap()[&run_id]
        .iter()
        .map(|&(attempt, _)| attempt)
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
}

#[tokio::test(start_paused = true)]
async fn without_retries_a_failure_is_final() {
    let attempts = Attempts::default();
    let handle = start(logging_job("once", u32::MAX, &attempts)).await;

    let run_id = handle.trigger("once").await.unwrap();
    tokio::time::sleep(Duration::from_secs(600)).await;

    let history = handle.history("once");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].outcome, Outcome::Failed);
    assert_eq!(history[0].attempts, 1);
    assert_eq!(history[0].error.as_deref(), Some("attempt 1 failed"));
    assert_eq!(attempts.lock().unwrap()[&run_id].len(), 1);
}
