//! `my_job::enqueue(…)` without a handle finds the one running runtime of the process that runs
//! the job, and says clearly when there is none, or more than one.
//!
//! One test function: the runtimes it starts are process-wide, and tests of one binary run in
//! parallel.

mod support;

use jobs_runtime::{job, Error, JobState};
use std::sync::atomic::{AtomicU32, Ordering};

static SENT: AtomicU32 = AtomicU32::new(0);

#[job(queue = "email")]
async fn send_email(to: String) {
    assert_eq!(to, "a@b.c");
    SENT.fetch_add(1, Ordering::SeqCst);
}

#[job]
async fn other() {}

#[tokio::test(start_paused = true)]
async fn enqueue_finds_the_running_runtime_and_refuses_when_there_is_none() {
    let before = send_email::enqueue("a@b.c".into()).await.unwrap_err();
    assert!(matches!(before, Error::NotRunning { .. }), "{before}");
    assert_eq!(
        before.to_string(),
        "cannot enqueue `enqueue_global::send_email`: no job runtime is running in this process \
         (none has started, or it has shut down); start one with `jobs_runtime::run()` or \
         `Runtime::start()` first"
    );

    let handle = support::simulated_with_jobs()
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let id = send_email::enqueue("a@b.c".into()).await.unwrap();
    assert_eq!(support::ended(&handle, id).await, JobState::Succeeded);
    assert_eq!(SENT.load(Ordering::SeqCst), 1);

    // A second runtime that runs only `other`: `send_email` still has one runtime to go to.
    let second = support::simulated_with_jobs()
        .only(["other"])
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let id = send_email::enqueue("a@b.c".into()).await.unwrap();
    assert_eq!(support::ended(&handle, id).await, JobState::Succeeded);
    // `other` now runs in both: which one is meant is for the caller to say.
    let several = other::enqueue().await.unwrap_err();
    assert!(
        matches!(several, Error::SeveralRuntimes { .. }),
        "{several}"
    );
    let id = other::options().handle(&second).enqueue().await.unwrap();
    assert_eq!(support::ended(&second, id).await, JobState::Succeeded);

    handle.shutdown().await;
    let excluded = send_email::enqueue("a@b.c".into()).await.unwrap_err();
    assert!(matches!(excluded, Error::NotInRuntime { .. }), "{excluded}");
    second.shutdown().await;
    let after = send_email::enqueue("a@b.c".into()).await.unwrap_err();
    assert!(matches!(after, Error::NotRunning { .. }), "{after}");
    assert_eq!(SENT.load(Ordering::SeqCst), 2, "nothing ran after shutdown");
}
