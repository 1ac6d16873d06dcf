//! A stored payload read back by a job whose parameters have changed since: a member that no
//! longer deserialises fails the job permanently, after one attempt whatever its retries, with
//! serde's message naming the parameter in its state and history; a missing member reads as
//! `None` for an `Option` parameter (one added since), and a member no parameter reads any more
//! is ignored.
//!
//! The typed `my_job::options().enqueue(…)` cannot write such a payload: the compiler checks its
//! arguments against the current parameters. A payload stored by an older version of the job, in
//! a durable store, has no such check. The tests write one through the runtime's private
//! `Enqueue` and `PayloadWriter`, which the generated `enqueue` itself calls with the typed
//! arguments, so that the job meets exactly the JSON an older version would have stored. Being
//! private, they may change in any release: this file changes with them.

mod support;

use jobs_runtime::__private::{codec, Enqueue, PayloadWriter};
use jobs_runtime::{job, Handle, JobId, JobState, Outcome, State};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::ended;

/// What each job's body received.
#[derive(Default)]
struct Seen(Mutex<Vec<String>>);

impl Seen {
    fn get(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

#[job(retries = 3)]
async fn send(to: String, seen: State<Arc<Seen>>) {
    seen.0.lock().unwrap().push(to);
}

/// `locale` was added after jobs were stored without it.
#[job]
async fn greet(name: String, locale: Option<String>, seen: State<Arc<Seen>>) {
    seen.0.lock().unwrap().push(format!("{name} {locale:?}"));
}

async fn start(seen: &Arc<Seen>) -> Handle {
    support::simulated_with_jobs()
        .only(["send", "greet"])
        .state(Arc::clone(seen))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

/// Stores `members` as the payload of `job` (its full name), as an older version of it would
/// have.
async fn enqueue_stored(
    handle: &Handle,
    job: &'static str,
    members: &[(&str, serde_json::Value)],
) -> JobId {
    let mut payload = PayloadWriter::new();
    for (name, value) in members {
        payload.field(codec::<serde_json::Value>(), name, value);
    }
    Enqueue::new(job)
        .handle(handle)
        .enqueue(payload)
        .await
        .unwrap()
}

/// Checks that job `id` of `send` failed for good after one attempt with an error that contains
/// `reason`, and that its body never ran.
async fn failed_permanently(handle: &Handle, seen: &Seen, id: JobId, reason: &str) {
    let JobState::Failed { error } = ended(handle, id).await else {
        panic!("job {id} should have failed");
    };
    assert!(error.contains(reason), "{reason:?} in {error:?}");
    assert!(
        error.contains("`payload::send`"),
        "the error names the job: {error:?}"
    );
    // Retries of up to 1s, 2s and 4s would all have come by now.
    tokio::time::sleep(Duration::from_secs(60)).await;
    handle.shutdown().await;
    assert!(
        seen.get().is_empty(),
        "the body never ran: {:?}",
        seen.get()
    );

    let history = handle.history("send");
    assert_eq!(history.len(), 1, "{history:?}");
    let record = &history[0];
    assert_eq!(record.job_id, Some(id));
    assert_eq!(record.outcome, Outcome::Failed);
    assert_eq!(record.attempts, 1, "no retry can make the payload read");
    assert!(record.permanent);
    assert_eq!(record.error.as_deref(), Some(error.as_str()));
}

#[tokio::test(start_paused = true)]
async fn a_member_of_the_wrong_type_fails_the_job_permanently_with_serdes_message() {
    let seen = Arc::new(Seen::default());
    let handle = start(&seen).await;
    // `to` was a number in an older version of `send`.
    let id = enqueue_stored(&handle, "payload::send", &[("to", 5.into())]).await;
    failed_permanently(
        &handle,
        &seen,
        id,
        "parameter `to`: invalid type: integer `5`, expected a string",
    )
    .await;
    assert_eq!(
        handle.history("send")[0].payload.as_deref(),
        Some(r#"{"to":5}"#),
        "the stored payload is kept for inspection"
    );
}

#[tokio::test(start_paused = true)]
async fn a_missing_member_of_a_required_parameter_fails_the_job_permanently() {
    let seen = Arc::new(Seen::default());
    let handle = start(&seen).await;
    let id = enqueue_stored(&handle, "payload::send", &[]).await;
    failed_permanently(
        &handle,
        &seen,
        id,
        "parameter `to`: invalid type: null, expected a string",
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_missing_member_of_an_option_parameter_reads_as_none() {
    let seen = Arc::new(Seen::default());
    let handle = start(&seen).await;
    let old = enqueue_stored(&handle, "payload::greet", &[("name", "Ada".into())]).await;
    assert_eq!(ended(&handle, old).await, JobState::Succeeded);
    let new = greet::options()
        .handle(&handle)
        .enqueue("Grace".into(), Some("de".into()))
        .await
        .unwrap();
    assert_eq!(ended(&handle, new).await, JobState::Succeeded);
    handle.shutdown().await;
    assert_eq!(seen.get(), ["Ada None", "Grace Some(\"de\")"]);
}

#[tokio::test(start_paused = true)]
async fn a_member_no_parameter_reads_any_more_is_ignored() {
    let seen = Arc::new(Seen::default());
    let handle = start(&seen).await;
    let id = enqueue_stored(
        &handle,
        "payload::greet",
        &[
            ("name", "Ada".into()),
            ("locale", "en".into()),
            ("title", "Countess".into()),
        ],
    )
    .await;
    assert_eq!(ended(&handle, id).await, JobState::Succeeded);
    handle.shutdown().await;
    assert_eq!(seen.get(), ["Ada Some(\"en\")"]);
}
