//! `.delay(d)` and `.at(t)`: an enqueued job waits as `JobState::Scheduled(t)` and runs at
//! exactly its instant, never before; an instant already past runs at once; a job that enqueues
//! its own next run at an instant it computes (a schedule read from data) runs at each one.

mod support;

use chrono::{DateTime, TimeDelta, Utc};
use jobs_runtime::{job, Handle, JobContext, JobId, JobState, Outcome, RunRecord, State};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use support::{at, ended};
use tokio::time::Instant;

/// What each run saw: its note, `JobContext::scheduled_at`, and when it ran.
#[derive(Default)]
struct Seen(Mutex<Vec<(String, DateTime<Utc>, Instant)>>);

#[job]
async fn remind(note: String, ctx: JobContext, seen: State<Arc<Seen>>) {
    seen.0
        .lock()
        .unwrap()
        .push((note, ctx.scheduled_at(), Instant::now()));
}

/// The runtime's handle, given to `poll` once the runtime has started, and what `poll` saw.
#[derive(Default)]
struct Poller {
    handle: OnceLock<Handle>,
    rounds: Mutex<Vec<Round>>,
}

/// One run of `poll`.
#[derive(Clone, Copy, Debug)]
struct Round {
    number: u32,
    id: JobId,
    scheduled_at: DateTime<Utc>,
    ran_at: Instant,
    /// The job it enqueued for the next round.
    next: Option<JobId>,
}

/// Polls a remote system that says when to look again: here, 90s after each run's instant, for
/// three more rounds.
#[job]
async fn poll(
    round: u32,
    ctx: JobContext,
    poller: State<Arc<Poller>>,
) -> Result<(), jobs_runtime::Error> {
    let ran_at = Instant::now();
    let next = if round < 3 {
        let handle = poller.handle.get().expect("set after start");
        let next_at = ctx.scheduled_at() + TimeDelta::seconds(90);
        Some(
            poll::options()
                .handle(handle)
                .at(next_at)
                .enqueue(round + 1)
                .await?,
        )
    } else {
        None
    };
    let id = ctx.job_id().expect("an enqueued run has a job id");
    poller.rounds.lock().unwrap().push(Round {
        number: round,
        id,
        scheduled_at: ctx.scheduled_at(),
        ran_at,
        next,
    });
    Ok(())
}

/// The test's start, which the simulated clock reads as `at(0)`, and the runtime.
async fn start(seen: &Arc<Seen>, poller: &Arc<Poller>) -> (Instant, Handle) {
    let start = Instant::now();
    let handle = support::simulated_with_jobs()
        .only(["remind", "poll"])
        .state(Arc::clone(seen))
        .state(Arc::clone(poller))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    (start, handle)
}

fn only_record(handle: &Handle, job: &str) -> RunRecord {
    let history = handle.history(job);
    assert_eq!(history.len(), 1, "{history:?}");
    history[0].clone()
}

#[tokio::test(start_paused = true)]
async fn a_delayed_job_runs_at_exactly_the_end_of_its_delay() {
    let seen = Arc::new(Seen::default());
    let (start, handle) = start(&seen, &Arc::default()).await;
    let id = remind::options()
        .handle(&handle)
        .delay(Duration::from_secs(90))
        .enqueue("in 90s".into())
        .await
        .unwrap();
    assert_eq!(
        handle.job_state(id).await.unwrap(),
        JobState::Scheduled(at(90))
    );

    tokio::time::sleep_until(start + Duration::from_secs(90) - Duration::from_millis(1)).await;
    assert!(seen.0.lock().unwrap().is_empty(), "ran before its instant");
    assert_eq!(
        handle.job_state(id).await.unwrap(),
        JobState::Scheduled(at(90))
    );

    assert_eq!(ended(&handle, id).await, JobState::Succeeded);
    handle.shutdown().await;
    assert_eq!(
        *seen.0.lock().unwrap(),
        [("in 90s".to_owned(), at(90), start + Duration::from_secs(90))]
    );
    let record = only_record(&handle, "remind");
    assert_eq!(record.outcome, Outcome::Succeeded);
    assert_eq!(record.job_id, Some(id));
    assert_eq!(record.scheduled_at, at(90));
    assert_eq!(record.started_at, Some(at(90)));
    assert_eq!(record.lateness, Some(Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn a_job_enqueued_at_an_instant_runs_at_exactly_that_instant() {
    let seen = Arc::new(Seen::default());
    let (start, handle) = start(&seen, &Arc::default()).await;
    // Of `delay` and `at`, the one set last wins.
    let id = remind::options()
        .handle(&handle)
        .delay(Duration::from_secs(5))
        .at(at(3600))
        .enqueue("in an hour".into())
        .await
        .unwrap();
    assert_eq!(
        handle.job_state(id).await.unwrap(),
        JobState::Scheduled(at(3600))
    );
    let other = remind::options()
        .handle(&handle)
        .at(at(3600))
        .delay(Duration::from_secs(5))
        .enqueue("in 5s".into())
        .await
        .unwrap();
    assert_eq!(
        handle.job_state(other).await.unwrap(),
        JobState::Scheduled(at(5))
    );

    tokio::time::sleep_until(start + Duration::from_secs(3600) - Duration::from_millis(1)).await;
    assert_eq!(seen.0.lock().unwrap().len(), 1, "only `in 5s` has run");
    assert_eq!(
        handle.job_state(id).await.unwrap(),
        JobState::Scheduled(at(3600))
    );
    assert_eq!(ended(&handle, id).await, JobState::Succeeded);
    handle.shutdown().await;

    assert_eq!(
        *seen.0.lock().unwrap(),
        [
            ("in 5s".to_owned(), at(5), start + Duration::from_secs(5)),
            (
                "in an hour".to_owned(),
                at(3600),
                start + Duration::from_secs(3600)
            ),
        ]
    );
    let history = handle.history("remind");
    let record = history
        .iter()
        .find(|record| record.job_id == Some(id))
        .unwrap();
    assert_eq!(record.scheduled_at, at(3600));
    assert_eq!(record.lateness, Some(Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn an_instant_already_past_runs_at_once() {
    let seen = Arc::new(Seen::default());
    let (start, handle) = start(&seen, &Arc::default()).await;
    let id = remind::options()
        .handle(&handle)
        .at(at(-3600))
        .enqueue("an hour ago".into())
        .await
        .unwrap();
    assert_eq!(handle.job_state(id).await.unwrap(), JobState::Pending);
    assert_eq!(ended(&handle, id).await, JobState::Succeeded);
    handle.shutdown().await;
    let seen = seen.0.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].2, start, "it ran without waiting");
}

#[tokio::test(start_paused = true)]
async fn a_job_that_enqueues_its_next_run_at_a_computed_instant_runs_at_each() {
    let poller = Arc::new(Poller::default());
    let (start, handle) = start(&Arc::default(), &poller).await;
    poller.handle.set(handle.clone()).unwrap();
    let first = poll::options().handle(&handle).enqueue(0).await.unwrap();
    assert_eq!(ended(&handle, first).await, JobState::Succeeded);

    // Between rounds, the next one waits for its instant.
    let next = poller.rounds.lock().unwrap()[0]
        .next
        .expect("round 0 enqueued round 1");
    assert_eq!(
        handle.job_state(next).await.unwrap(),
        JobState::Scheduled(at(90))
    );
    tokio::time::sleep_until(start + Duration::from_secs(600)).await;
    handle.shutdown().await;

    let rounds = poller.rounds.lock().unwrap();
    let when: Vec<(u32, DateTime<Utc>, Duration)> = rounds
        .iter()
        .map(|round| (round.number, round.scheduled_at, round.ran_at - start))
        .collect();
    assert_eq!(
        when,
        [
            (0, at(0), Duration::ZERO),
            (1, at(90), Duration::from_secs(90)),
            (2, at(180), Duration::from_secs(180)),
            (3, at(270), Duration::from_secs(270)),
        ]
    );
    // Each round is the job its predecessor enqueued, and the last enqueued none.
    for pair in rounds.windows(2) {
        assert_eq!(pair[0].next, Some(pair[1].id));
    }
    assert_eq!(rounds[3].next, None);

    let history = handle.history("poll");
    let records: Vec<(DateTime<Utc>, Outcome, Option<Duration>)> = history
        .iter()
        .map(|record| (record.scheduled_at, record.outcome, record.lateness))
        .collect();
    let on_time = |seconds| (at(seconds), Outcome::Succeeded, Some(Duration::ZERO));
    assert_eq!(
        records,
        [on_time(0), on_time(90), on_time(180), on_time(270)]
    );
    for (record, round) in history.iter().zip(rounds.iter()) {
        assert_eq!(record.job_id, Some(round.id));
    }
}
