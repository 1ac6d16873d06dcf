//! `.unique(key)`: while a job enqueued with a key waits (for a worker, its instant or a retry) or
//! runs, enqueueing with the same key stores nothing and returns that job's id; once it has
//! ended, the key is free and the next enqueue is a new job. Different keys are independent.

mod support;

use jobs_runtime::{job, Handle, JobContext, JobState, State};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{ended, Gate};

/// The accounts synced, in the order their runs started.
#[derive(Default)]
struct Ran(Mutex<Vec<u32>>);

impl Ran {
    fn get(&self) -> Vec<u32> {
        self.0.lock().unwrap().clone()
    }
}

#[job(queue = "sync")]
async fn sync_account(account: u32, gate: State<Arc<Gate>>, ran: State<Arc<Ran>>) {
    ran.0.lock().unwrap().push(account);
    gate.pass().await;
}

/// Fails its first attempt, then waits a minute at most for its retry.
#[job(queue = "sync", retries = 1, backoff = "1m")]
async fn flaky_sync(account: u32, ctx: JobContext, ran: State<Arc<Ran>>) -> Result<(), String> {
    ran.0.lock().unwrap().push(account);
    if ctx.attempt() == 1 {
        return Err("the remote timed out".into());
    }
    Ok(())
}

async fn start(gate: &Arc<Gate>, ran: &Arc<Ran>) -> Handle {
    support::simulated_with_jobs()
        .only(["sync_account", "flaky_sync"])
        .queue("sync", 1)
        .state(Arc::clone(gate))
        .state(Arc::clone(ran))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn while_a_job_with_the_key_waits_the_same_id_is_returned_and_it_runs_once() {
    let (gate, ran) = (Gate::new(), Arc::new(Ran::default()));
    let handle = start(&gate, &ran).await;
    // Holds the queue's one worker, so that the jobs below wait.
    let held = sync_account::options()
        .handle(&handle)
        .enqueue(0)
        .await
        .unwrap();
    gate.arrivals(1).await;

    let enqueue = |key: &str, account: u32| {
        sync_account::options()
            .handle(&handle)
            .unique(key)
            .enqueue(account)
    };
    let first = enqueue("account:1", 1).await.unwrap();
    assert_eq!(handle.job_state(first).await.unwrap(), JobState::Pending);
    // The same key, even with another payload: the waiting job is the one.
    assert_eq!(enqueue("account:1", 11).await.unwrap(), first);
    assert_eq!(enqueue("account:1", 111).await.unwrap(), first);
    // Another key is another job.
    let second = enqueue("account:2", 2).await.unwrap();
    assert_ne!(second, first);
    // A job waiting for its instant holds its key too.
    let delayed = sync_account::options()
        .handle(&handle)
        .unique("account:3")
        .delay(Duration::from_secs(60))
        .enqueue(3)
        .await
        .unwrap();
    assert_eq!(enqueue("account:3", 33).await.unwrap(), delayed);
    assert_eq!(
        handle.job_state(delayed).await.unwrap(),
        JobState::Scheduled(support::at(60))
    );

    gate.open();
    for id in [held, first, second, delayed] {
        assert_eq!(ended(&handle, id).await, JobState::Succeeded);
    }
    handle.shutdown().await;
    assert_eq!(
        ran.get(),
        [0, 1, 2, 3],
        "each key ran once, with its first payload"
    );
    assert_eq!(handle.history("sync_account").len(), 4);
}

#[tokio::test(start_paused = true)]
async fn while_a_job_with_the_key_runs_the_same_id_is_returned_and_after_it_a_new_one() {
    let (gate, ran) = (Gate::new(), Arc::new(Ran::default()));
    let handle = start(&gate, &ran).await;
    let enqueue = |account: u32| {
        sync_account::options()
            .handle(&handle)
            .unique("account:7")
            .enqueue(account)
    };
    let first = enqueue(7).await.unwrap();
    gate.arrivals(1).await;
    assert_eq!(
        handle.job_state(first).await.unwrap(),
        JobState::Running { attempt: 1 }
    );
    assert_eq!(enqueue(7).await.unwrap(), first, "it is running");

    gate.open();
    assert_eq!(ended(&handle, first).await, JobState::Succeeded);
    let second = enqueue(7).await.unwrap();
    assert_ne!(second, first, "the first has ended: this is a new job");
    assert_eq!(ended(&handle, second).await, JobState::Succeeded);
    handle.shutdown().await;
    assert_eq!(ran.get(), [7, 7], "two jobs, two runs");
    let history = handle.history("sync_account");
    let ids: Vec<_> = history.iter().map(|record| record.job_id).collect();
    assert_eq!(ids, [Some(first), Some(second)]);
}

#[tokio::test(start_paused = true)]
async fn while_a_job_with_the_key_waits_for_its_retry_the_same_id_is_returned() {
    let (gate, ran) = (Gate::new(), Arc::new(Ran::default()));
    let handle = start(&gate, &ran).await;
    let enqueue = || {
        flaky_sync::options()
            .handle(&handle)
            .unique("account:5")
            .enqueue(5)
    };
    let first = enqueue().await.unwrap();
    // The first attempt fails at once; the retry comes within a minute.
    support::waiting_for_retry(&handle, first).await;
    assert_eq!(enqueue().await.unwrap(), first);
    assert_eq!(ended(&handle, first).await, JobState::Succeeded);
    handle.shutdown().await;
    assert_eq!(ran.get(), [5, 5], "one job: its two attempts, nothing more");
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_job_frees_its_key() {
    let (gate, ran) = (Gate::new(), Arc::new(Ran::default()));
    let handle = start(&gate, &ran).await;
    let enqueue = || {
        sync_account::options()
            .handle(&handle)
            .unique("account:9")
            .delay(Duration::from_secs(60))
            .enqueue(9)
    };
    let first = enqueue().await.unwrap();
    handle.cancel(first).await.unwrap();
    let second = enqueue().await.unwrap();
    assert_ne!(second, first);
    gate.open();
    assert_eq!(ended(&handle, second).await, JobState::Succeeded);
    handle.shutdown().await;
    assert_eq!(ran.get(), [9]);
}
