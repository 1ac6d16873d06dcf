//! A queue's concurrency limit: `Runtime::builder().queue(name, n)` runs at most `n` of the
//! queue's jobs at once, and uses all `n` while jobs wait; each queue has its own limit, and a
//! queue the builder does not name has `default_queue_limit` (10 unless set).

mod support;

use jobs_runtime::{job, Builder, Handle, Job, JobContext, JobId, JobState, Outcome, State};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{at, ended};

/// How many jobs of one kind run at once, the most that ever did, and which ran.
#[derive(Default)]
struct Gauge {
    running: AtomicUsize,
    max: AtomicUsize,
    ran: Mutex<Vec<u32>>,
}

impl Gauge {
    fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }

    /// The jobs that ran, by number, sorted.
    fn ran(&self) -> Vec<u32> {
        let mut ran = self.ran.lock().unwrap().clone();
        ran.sort_unstable();
        ran
    }
}

#[derive(Default)]
struct Gauges {
    render: Gauge,
    mail: Gauge,
    bulk: Gauge,
    /// Every job of every queue.
    all: Gauge,
}

/// Each job takes this long (on paused time).
const WORK: Duration = Duration::from_secs(1);

/// One job `n` counted by `gauges`: running from its start to its end.
async fn work(n: u32, gauges: &[&Gauge]) {
    for gauge in gauges {
        let now = gauge.running.fetch_add(1, Ordering::SeqCst) + 1;
        gauge.max.fetch_max(now, Ordering::SeqCst);
    }
    tokio::time::sleep(WORK).await;
    for gauge in gauges {
        gauge.running.fetch_sub(1, Ordering::SeqCst);
        gauge.ran.lock().unwrap().push(n);
    }
}

#[job(queue = "render")]
async fn render(n: u32, gauges: State<Arc<Gauges>>) {
    work(n, &[&gauges.render, &gauges.all]).await;
}

#[job(queue = "mail")]
async fn mail(n: u32, gauges: State<Arc<Gauges>>) {
    work(n, &[&gauges.mail, &gauges.all]).await;
}

/// Its queue is named nowhere in the builders below.
#[job(queue = "bulk")]
async fn bulk(n: u32, gauges: State<Arc<Gauges>>) {
    work(n, &[&gauges.bulk, &gauges.all]).await;
}

fn builder(gauges: &Arc<Gauges>) -> Builder {
    support::simulated_with_jobs()
        .only(["render", "mail", "bulk"])
        .state(Arc::clone(gauges))
        .history_limit(1000)
}

async fn wait_all(handle: &Handle, ids: &[JobId]) {
    for &id in ids {
        assert_eq!(ended(handle, id).await, JobState::Succeeded);
    }
}

#[tokio::test(start_paused = true)]
async fn fifty_jobs_in_a_queue_of_three_run_three_at_a_time_each_once() {
    let gauges = Arc::new(Gauges::default());
    let handle = builder(&gauges)
        .queue("render", 3)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 0..50 {
        ids.push(render::options().handle(&handle).enqueue(n).await.unwrap());
    }
    wait_all(&handle, &ids).await;
    handle.shutdown().await;

    assert_eq!(
        gauges.render.max(),
        3,
        "the limit is reached and never exceeded"
    );
    assert_eq!(
        gauges.render.ran(),
        (0..50).collect::<Vec<_>>(),
        "each job ran once"
    );
    let history = handle.history("render");
    assert_eq!(history.len(), 50);
    assert!(history
        .iter()
        .all(|record| record.outcome == Outcome::Succeeded && record.attempts == 1));
    // Three at a time without a gap: 50 one-second jobs take 17 seconds, not one more.
    let last = history.iter().filter_map(|record| record.finished_at).max();
    assert_eq!(last, Some(at(17)));
}

#[tokio::test(start_paused = true)]
async fn two_queues_run_side_by_side_each_within_its_own_limit() {
    let gauges = Arc::new(Gauges::default());
    let handle = builder(&gauges)
        .queue("render", 3)
        .queue("mail", 2)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 0..30 {
        ids.push(render::options().handle(&handle).enqueue(n).await.unwrap());
        ids.push(mail::options().handle(&handle).enqueue(n).await.unwrap());
    }
    wait_all(&handle, &ids).await;
    handle.shutdown().await;

    assert_eq!(gauges.render.max(), 3);
    assert_eq!(gauges.mail.max(), 2);
    assert_eq!(
        gauges.all.max(),
        5,
        "the queues run at the same time, neither waiting for the other"
    );
    assert_eq!(gauges.render.ran(), (0..30).collect::<Vec<_>>());
    assert_eq!(gauges.mail.ran(), (0..30).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn a_queue_the_builder_does_not_name_has_the_default_limit() {
    let gauges = Arc::new(Gauges::default());
    let handle = builder(&gauges)
        .queue("render", 3)
        .default_queue_limit(4)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 0..20 {
        ids.push(bulk::options().handle(&handle).enqueue(n).await.unwrap());
        ids.push(render::options().handle(&handle).enqueue(n).await.unwrap());
    }
    wait_all(&handle, &ids).await;
    handle.shutdown().await;

    assert_eq!(
        gauges.bulk.max(),
        4,
        "`default_queue_limit` applies to `bulk`"
    );
    assert_eq!(gauges.render.max(), 3, "a named queue keeps its own limit");
    assert_eq!(gauges.bulk.ran(), (0..20).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn without_default_queue_limit_a_queue_runs_ten_at_a_time() {
    let gauges = Arc::new(Gauges::default());
    let handle = builder(&gauges).build().unwrap().start().await.unwrap();
    let mut ids = Vec::new();
    for n in 0..30 {
        ids.push(bulk::options().handle(&handle).enqueue(n).await.unwrap());
    }
    wait_all(&handle, &ids).await;
    handle.shutdown().await;

    assert_eq!(gauges.bulk.max(), 10);
    assert_eq!(gauges.bulk.ran(), (0..30).collect::<Vec<_>>());
}

/// A job defined at run time waits in the queue `Job::queue` names, under that queue's limit.
#[tokio::test(start_paused = true)]
async fn a_job_defined_at_run_time_runs_within_its_queues_limit() {
    let gauges = Arc::new(Gauges::default());
    let thumbnail = {
        let gauges = Arc::clone(&gauges);
        Job::on_demand("thumbnail", move |_ctx: JobContext| {
            let gauges = Arc::clone(&gauges);
            async move { work(0, &[&gauges.render]).await }
        })
        .queue("thumbnails")
    };
    let handle = support::simulated()
        .queue("thumbnails", 2)
        .job(thumbnail)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for _ in 0..10 {
        ids.push(handle.enqueue("thumbnail").await.unwrap());
    }
    wait_all(&handle, &ids).await;
    handle.shutdown().await;
    assert_eq!(gauges.render.max(), 2);
    assert_eq!(gauges.render.ran().len(), 10);
}
