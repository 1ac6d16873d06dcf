//! Priority within a queue: of the jobs waiting in one queue, the highest priority runs first, and
//! jobs of equal priority run in the order they were enqueued. A job's priority is its
//! `#[job(priority = N)]` or `Job::priority` (0 without it), and `.priority(p)` overrides it for
//! one enqueue.

mod support;

use jobs_runtime::{job, Handle, Job, JobContext, JobState, State};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{ended, Gate};

/// The labels of the reports, in the order they ran.
#[derive(Default)]
struct Ran(Mutex<Vec<String>>);

/// Holds the queue's only worker until the test opens the gate.
#[job(queue = "reports")]
async fn hold(gate: State<Arc<Gate>>) {
    gate.pass().await;
}

#[job(queue = "reports", priority = 5)]
async fn urgent_report(label: String, ran: State<Arc<Ran>>) {
    ran.0.lock().unwrap().push(label);
}

/// No `priority`: 0.
#[job(queue = "reports")]
async fn report(label: String, ran: State<Arc<Ran>>) {
    ran.0.lock().unwrap().push(label);
}

async fn start(gate: &Arc<Gate>, ran: &Arc<Ran>) -> Handle {
    support::simulated_with_jobs()
        .only(["hold", "urgent_report", "report"])
        .queue("reports", 1)
        .state(Arc::clone(gate))
        .state(Arc::clone(ran))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

/// The jobs are enqueued while the queue's one worker is held, so that all of them wait together.
#[tokio::test(start_paused = true)]
async fn the_highest_priority_runs_first_and_equal_priorities_in_enqueue_order() {
    let (gate, ran) = (Gate::new(), Arc::new(Ran::default()));
    let handle = start(&gate, &ran).await;
    let hold = hold::options().handle(&handle).enqueue().await.unwrap();
    // The worker has taken `hold` before anything else is waiting: what follows competes only
    // with itself.
    gate.arrivals(1).await;
    assert_eq!(
        handle.job_state(hold).await.unwrap(),
        JobState::Running { attempt: 1 }
    );

    // `u…` jobs are `urgent_report` (priority 5 by its attribute), `r…` jobs are `report` (0, no
    // attribute); each label says the priority the job should run with and why. Ignoring the
    // attribute, ignoring `.priority()`, or ordering equal priorities other than by arrival each
    // gives another order than the one checked below.
    let mut ids = Vec::new();
    for (label, override_priority) in [
        ("u1 (5, the attribute's)", None),
        ("r1 (0, the default)", None),
        ("r2 (10, overridden)", Some(10)),
        ("u2 (-3, overridden)", Some(-3)),
        ("u3 (5, the attribute's)", None),
        ("r3 (5, overridden)", Some(5)),
        ("u4 (0, overridden)", Some(0)),
        ("r4 (0, the default)", None),
        ("u5 (10, overridden)", Some(10)),
        ("u6 (5, the attribute's)", None),
    ] {
        let label = label.to_owned();
        let id = if label.starts_with('u') {
            let options = urgent_report::options().handle(&handle);
            let options = match override_priority {
                Some(priority) => options.priority(priority),
                None => options,
            };
            options.enqueue(label).await.unwrap()
        } else {
            let options = report::options().handle(&handle);
            let options = match override_priority {
                Some(priority) => options.priority(priority),
                None => options,
            };
            options.enqueue(label).await.unwrap()
        };
        assert_eq!(handle.job_state(id).await.unwrap(), JobState::Pending);
        ids.push(id);
    }

    gate.open();
    for &id in &ids {
        assert_eq!(ended(&handle, id).await, JobState::Succeeded);
    }
    assert_eq!(ended(&handle, hold).await, JobState::Succeeded);
    handle.shutdown().await;

    assert_eq!(
        *ran.0.lock().unwrap(),
        [
            "r2 (10, overridden)",
            "u5 (10, overridden)",
            "u1 (5, the attribute's)",
            "u3 (5, the attribute's)",
            "r3 (5, overridden)",
            "u6 (5, the attribute's)",
            "r1 (0, the default)",
            "u4 (0, overridden)",
            "r4 (0, the default)",
            "u2 (-3, overridden)",
        ],
        "highest priority first; within a priority, first in, first out"
    );
}

/// Delayed jobs that come due at the same instant wait together, so priority orders them too.
#[tokio::test(start_paused = true)]
async fn delayed_jobs_that_come_due_together_run_by_priority() {
    let (gate, ran) = (Gate::new(), Arc::new(Ran::default()));
    let handle = start(&gate, &ran).await;
    let mut ids = Vec::new();
    for (label, priority) in [("low", -1), ("middle", 0), ("high", 1)] {
        let id = report::options()
            .handle(&handle)
            .delay(Duration::from_secs(10))
            .priority(priority)
            .enqueue(label.into())
            .await
            .unwrap();
        ids.push(id);
    }
    for &id in &ids {
        assert_eq!(ended(&handle, id).await, JobState::Succeeded);
    }
    handle.shutdown().await;
    assert_eq!(*ran.0.lock().unwrap(), ["high", "middle", "low"]);
}

/// A job defined at run time takes its priority from `Job::priority`.
#[tokio::test(start_paused = true)]
async fn jobs_defined_at_run_time_run_by_their_priority() {
    let (gate, ran) = (Gate::new(), Arc::new(Ran::default()));
    let hold = {
        let gate = Arc::clone(&gate);
        Job::on_demand("hold", move |_ctx: JobContext| {
            let gate = Arc::clone(&gate);
            async move { gate.pass().await }
        })
        .queue("reports")
    };
    let report = |name: &'static str, priority: i16| {
        let ran = Arc::clone(&ran);
        Job::on_demand(name, move |_ctx: JobContext| {
            let ran = Arc::clone(&ran);
            async move { ran.0.lock().unwrap().push(name.to_owned()) }
        })
        .queue("reports")
        .priority(priority)
    };
    let handle = support::simulated()
        .queue("reports", 1)
        .job(hold)
        .job(report("low", -1))
        .job(report("plain", 0))
        .job(report("high", 7))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let mut ids = vec![handle.enqueue("hold").await.unwrap()];
    gate.arrivals(1).await;
    for name in ["low", "plain", "high", "low", "high"] {
        ids.push(handle.enqueue(name).await.unwrap());
    }
    gate.open();
    for &id in &ids {
        assert_eq!(ended(&handle, id).await, JobState::Succeeded);
    }
    handle.shutdown().await;
    assert_eq!(
        *ran.0.lock().unwrap(),
        ["high", "high", "plain", "low", "low"]
    );
}
