//! Shutdown with enqueued jobs: a running job gets the shutdown timeout, then is cancelled and
//! recorded so; jobs still waiting do not start (in memory they are lost, and the log says how
//! many); nothing can be enqueued afterwards.

mod support;

use jobs_runtime::{job, Error, JobState, Outcome};
use std::time::Duration;
use support::at;

#[job(queue = "slow")]
async fn sleep_for(seconds: u64) {
    tokio::time::sleep(Duration::from_secs(seconds)).await;
}

async fn start(shutdown_timeout: Duration) -> jobs_runtime::Handle {
    support::simulated_with_jobs()
        .queue("slow", 1)
        .shutdown_timeout(shutdown_timeout)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_running_job_finishes_within_the_shutdown_timeout() {
    let handle = start(Duration::from_secs(10)).await;
    let running = sleep_for::options()
        .handle(&handle)
        .enqueue(5)
        .await
        .unwrap();
    let waiting = sleep_for::options()
        .handle(&handle)
        .enqueue(5)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        handle.job_state(running).await.unwrap(),
        JobState::Running { attempt: 1 }
    );
    handle.shutdown().await;
    assert_eq!(
        handle.job_state(running).await.unwrap(),
        JobState::Succeeded
    );
    assert_eq!(
        handle.job_state(waiting).await.unwrap(),
        JobState::Pending,
        "a job that had not started does not start during shutdown"
    );
    let history = handle.history("sleep_for");
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].finished_at, Some(at(5)));
    let late = sleep_for::options()
        .handle(&handle)
        .enqueue(1)
        .await
        .unwrap_err();
    assert!(matches!(late, Error::ShutDown), "{late}");
}

#[tokio::test(start_paused = true)]
async fn a_job_still_running_at_the_shutdown_timeout_is_cancelled_and_recorded() {
    let handle = start(Duration::from_secs(2)).await;
    let id = sleep_for::options()
        .handle(&handle)
        .enqueue(60)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    handle.shutdown().await;
    assert_eq!(handle.job_state(id).await.unwrap(), JobState::Cancelled);
    let history = handle.history("sleep_for");
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].outcome, Outcome::Cancelled);
    assert_eq!(
        history[0].finished_at,
        Some(at(3)),
        "1s of work, then the 2s timeout"
    );
    assert_eq!(
        history[0].error.as_deref(),
        Some("cancelled at shutdown: still running after the shutdown timeout of 2s")
    );
}
