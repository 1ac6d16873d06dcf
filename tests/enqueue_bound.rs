//! `Builder::max_pending(n)`: at most `n` enqueued jobs wait (pending or scheduled); beyond that,
//! `enqueue` fails at once with `Error::Full`, which says what to do, and stores nothing. Jobs
//! already accepted are never dropped, and a job that starts makes room again.

mod support;

use jobs_runtime::{job, Error, Handle, JobId, JobState, State};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{ended, Gate};

/// The jobs that ran, by number, in the order they started.
#[derive(Default)]
struct Ran(Mutex<Vec<u32>>);

impl Ran {
    fn get(&self) -> Vec<u32> {
        self.0.lock().unwrap().clone()
    }
}

/// Every job waits at the gate, so that the test decides when each one ends.
#[job(queue = "exports")]
async fn export(n: u32, gate: State<Arc<Gate>>, ran: State<Arc<Ran>>) {
    ran.0.lock().unwrap().push(n);
    gate.pass().await;
}

async fn start(gate: &Arc<Gate>, ran: &Arc<Ran>, max_pending: usize) -> Handle {
    support::simulated_with_jobs()
        .only(["export"])
        .queue("exports", 1)
        .max_pending(max_pending)
        .state(Arc::clone(gate))
        .state(Arc::clone(ran))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

async fn enqueue(handle: &Handle, n: u32) -> Result<JobId, Error> {
    export::options().handle(handle).enqueue(n).await
}

#[tokio::test(start_paused = true)]
async fn beyond_max_pending_enqueue_fails_and_drops_nothing_accepted() {
    let (gate, ran) = (Gate::new(), Arc::new(Ran::default()));
    let handle = start(&gate, &ran, 5).await;
    // Job 0 runs and holds the queue's one worker: a started job does not count.
    let mut accepted = vec![enqueue(&handle, 0).await.unwrap()];
    gate.arrivals(1).await;
    for n in 1..=5 {
        accepted.push(enqueue(&handle, n).await.unwrap());
    }

    let error = enqueue(&handle, 6).await.unwrap_err();
    assert!(matches!(error, Error::Full { limit: 5 }), "{error:?}");
    let message = error.to_string();
    for advice in ["retry later", ".queue(name, limit)", ".max_pending("] {
        assert!(message.contains(advice), "{advice:?} in {message:?}");
    }
    // Full is full for any payload, and stays so while nothing starts.
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(matches!(
        enqueue(&handle, 7).await,
        Err(Error::Full { limit: 5 })
    ));

    // Job 0 ends and job 1 starts: one waits less, so one more fits, and then no more.
    gate.let_through(1);
    gate.arrivals(2).await;
    assert_eq!(
        handle.job_state(accepted[1]).await.unwrap(),
        JobState::Running { attempt: 1 }
    );
    accepted.push(enqueue(&handle, 8).await.unwrap());
    assert!(matches!(
        enqueue(&handle, 9).await,
        Err(Error::Full { limit: 5 })
    ));

    gate.open();
    for &id in &accepted {
        assert_eq!(ended(&handle, id).await, JobState::Succeeded);
    }
    handle.shutdown().await;
    assert_eq!(
        ran.get(),
        [0, 1, 2, 3, 4, 5, 8],
        "every accepted job ran once, in order; the refused ones never"
    );
    assert_eq!(handle.history("export").len(), 7);
}

#[tokio::test(start_paused = true)]
async fn delayed_jobs_count_as_waiting() {
    let (gate, ran) = (Gate::new(), Arc::new(Ran::default()));
    gate.open();
    let handle = start(&gate, &ran, 2).await;
    let later = |n| {
        export::options()
            .handle(&handle)
            .delay(Duration::from_secs(60))
            .enqueue(n)
    };
    let first = later(1).await.unwrap();
    let second = later(2).await.unwrap();
    assert!(matches!(later(3).await, Err(Error::Full { limit: 2 })));
    assert!(matches!(
        enqueue(&handle, 4).await,
        Err(Error::Full { limit: 2 })
    ));

    assert_eq!(ended(&handle, first).await, JobState::Succeeded);
    assert_eq!(ended(&handle, second).await, JobState::Succeeded);
    let third = enqueue(&handle, 5).await.unwrap();
    assert_eq!(ended(&handle, third).await, JobState::Succeeded);
    handle.shutdown().await;
    assert_eq!(ran.get(), [1, 2, 5]);
}
