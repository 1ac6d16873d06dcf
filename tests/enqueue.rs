//! On-demand jobs: `my_job::enqueue(…)` and `my_job::options()…enqueue(…)` store a typed payload,
//! a queue worker runs it once, and its state and history say what became of it.

mod support;

use jobs_runtime::{job, Error, Handle, JobContext, JobState, Outcome, State};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use support::{at, ended};

#[derive(Default)]
struct Outbox(Mutex<Vec<(String, String)>>);

#[job(queue = "email", retries = 2)]
async fn send_email(to: String, outbox: State<Outbox>, body: String) {
    outbox.0.lock().unwrap().push((to, body));
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Report {
    tenant: u32,
    formats: Vec<String>,
}

#[job]
async fn build_report(report: Report, ctx: JobContext, seen: State<Mutex<Vec<(Report, u32)>>>) {
    seen.lock().unwrap().push((report, ctx.attempt()));
}

/// A scheduled job can be enqueued too: the run goes through the default queue.
#[job(cron = "0 0 3 * * *", retries = 1)]
async fn nightly(runs: State<AtomicU32>) {
    runs.fetch_add(1, Ordering::SeqCst);
}

async fn start() -> Handle {
    support::simulated_with_jobs()
        .only(["send_email", "build_report", "nightly"])
        .state(Outbox::default())
        .state(Mutex::new(Vec::<(Report, u32)>::new()))
        .state(AtomicU32::new(0))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn an_enqueued_job_runs_once_with_its_payload_and_is_recorded() {
    let handle = start().await;
    let id = send_email::options()
        .handle(&handle)
        .enqueue("a@b.c".into(), "hi".into())
        .await
        .unwrap();
    assert_eq!(ended(&handle, id).await, JobState::Succeeded);
    handle.shutdown().await;

    let history = handle.history("send_email");
    assert_eq!(history.len(), 1, "{history:?}");
    let record = &history[0];
    assert_eq!(record.outcome, Outcome::Succeeded);
    assert_eq!(record.job_id, Some(id));
    assert_eq!(record.attempts, 1);
    assert_eq!(record.scheduled_at, at(0));
    assert_eq!(
        record.payload.as_deref(),
        Some(r#"{"to":"a@b.c","body":"hi"}"#),
        "the payload is a JSON object of the payload parameters, by name"
    );
}

#[tokio::test(start_paused = true)]
async fn a_struct_payload_round_trips_through_json() {
    let handle = start().await;
    let report = Report {
        tenant: 7,
        formats: vec!["pdf".into(), "csv".into()],
    };
    let id = build_report::options()
        .handle(&handle)
        .enqueue(report.clone())
        .await
        .unwrap();
    assert_eq!(ended(&handle, id).await, JobState::Succeeded);
    handle.shutdown().await;
    let history = handle.history("build_report");
    assert_eq!(
        history[0].payload.as_deref(),
        Some(r#"{"report":{"tenant":7,"formats":["pdf","csv"]}}"#)
    );
}

#[tokio::test(start_paused = true)]
async fn the_job_function_stays_callable_as_written() {
    let outbox = State::new(Outbox::default());
    send_email("x@y.z".into(), outbox.clone(), "direct".into()).await;
    assert_eq!(
        *outbox.0.lock().unwrap(),
        [("x@y.z".to_owned(), "direct".to_owned())]
    );
}

#[tokio::test(start_paused = true)]
async fn a_scheduled_job_can_be_enqueued_on_demand() {
    let handle = start().await;
    let id = nightly::options().handle(&handle).enqueue().await.unwrap();
    assert_eq!(ended(&handle, id).await, JobState::Succeeded);
    handle.shutdown().await;
    let history = handle.history("nightly");
    assert_eq!(history.len(), 1, "the 03:00 tick has not come: {history:?}");
    assert_eq!(history[0].job_id, Some(id));
    assert_eq!(history[0].payload.as_deref(), Some("{}"));
}

#[tokio::test(start_paused = true)]
async fn a_job_with_a_payload_cannot_be_triggered() {
    let handle = start().await;
    let error = handle.trigger("send_email").await.unwrap_err();
    assert!(matches!(error, Error::PayloadRequired { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "job `enqueue::send_email` takes a payload, so it cannot be triggered or enqueued by name; enqueue it with `send_email::enqueue(…)`"
    );
    let error = handle.enqueue("send_email").await.unwrap_err();
    assert!(matches!(error, Error::PayloadRequired { .. }), "{error}");
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_job_without_payload_can_be_enqueued_by_name() {
    let handle = start().await;
    let id = handle.enqueue("nightly").await.unwrap();
    assert_eq!(ended(&handle, id).await, JobState::Succeeded);
    let unknown = handle.enqueue("no_such_job").await.unwrap_err();
    assert!(matches!(unknown, Error::UnknownJob(_)), "{unknown}");
    handle.shutdown().await;
    assert_eq!(handle.history("nightly")[0].job_id, Some(id));
}

#[tokio::test(start_paused = true)]
async fn the_job_state_follows_the_job() {
    let handle = start().await;
    let id = send_email::options()
        .handle(&handle)
        .delay(Duration::from_secs(60))
        .enqueue("later@b.c".into(), "in a minute".into())
        .await
        .unwrap();
    assert_eq!(
        handle.job_state(id).await.unwrap(),
        JobState::Scheduled(at(60))
    );
    assert_eq!(ended(&handle, id).await, JobState::Succeeded);
    let unknown = handle.job_state(jobs_runtime::JobId::from(u64::MAX)).await;
    assert!(
        matches!(unknown, Err(Error::UnknownJobId(_))),
        "{unknown:?}"
    );
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_job_excluded_from_the_runtime_cannot_be_enqueued_into_it() {
    let handle = support::simulated_with_jobs()
        .only(["nightly"])
        .state(AtomicU32::new(0))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let error = send_email::options()
        .handle(&handle)
        .enqueue("a@b.c".into(), "hi".into())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotInRuntime { .. }), "{error}");
    handle.shutdown().await;
    let error = nightly::options()
        .handle(&handle)
        .enqueue()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::ShutDown), "{error}");
}
