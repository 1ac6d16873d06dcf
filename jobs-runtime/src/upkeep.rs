//! What a durable store needs from a live process: a heartbeat that renews its leases and takes
//! over those of processes that died, and a poll that finds jobs other processes enqueued.

use crate::queue::Queues;
use crate::runtime::Shared;
use crate::scheduler::Event;
use crate::store::StoreOptions;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::MissedTickBehavior;

/// Beats and polls until `finish` (sent once the scheduler has stopped and every run has ended:
/// runs that outlive the shutdown's start keep their leases until they end), then beats once
/// more, which the runtime waits for before it reports itself stopped.
/// `version`: the highest version of control changes seen at startup; later ones are followed.
pub(crate) async fn run(
    shared: Arc<Shared>,
    options: StoreOptions,
    mut version: i64,
    finish: oneshot::Receiver<()>,
) {
    let mut heartbeat = tokio::time::interval(options.heartbeat());
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut poll = tokio::time::interval(options.poll);
    poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // A task of its own: deleting a long backlog must not delay the heartbeat past the lease.
    let pruning = tokio::spawn(prune(Arc::clone(&shared), options.retention));
    tokio::pin!(finish);
    let mut announcements = shared.store.announcements();
    loop {
        tokio::select! {
            biased;
            _ = &mut finish => break,
            Some(queue) = next(&mut announcements) => {
                if !shared.stopping.load(Ordering::Acquire) {
                    Queues::wake_named(&shared, &queue);
                }
            }
            _ = heartbeat.tick() => beat(&shared).await,
            _ = poll.tick() => {
                look(&shared).await;
                version = follow(&shared, version).await;
            }
        }
    }
    pruning.abort();
    // Up to when this process ran its jobs, so that the next start knows what nobody ran.
    beat(&shared).await;
}

/// Deletes history, ended jobs and finished ticks older than `retention`, every minute, in small
/// chunks (each statement holds its locks briefly): never in the way of claims.
async fn prune(shared: Arc<Shared>, retention: Duration) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        // A retention too long to subtract keeps everything.
        let before = chrono::TimeDelta::from_std(retention)
            .ok()
            .and_then(|retention| shared.clock.now().checked_sub_signed(retention));
        let Some(before) = before else {
            continue;
        };
        match shared
            .stored("pruning history", shared.store.prune(before))
            .await
        {
            Ok(0) | Err(_) => {}
            Ok(rows) => tracing::debug!(rows, "pruned history and ended jobs"),
        }
    }
}

async fn beat(shared: &Arc<Shared>) {
    let beat = shared.stored(
        "renewing this process's leases",
        shared.store.heartbeat(shared.clock.now()),
    );
    let Ok(beat) = beat.await else {
        return;
    };
    for queue in &beat.reclaimed {
        tracing::warn!(%queue, "took back jobs whose process stopped renewing its lease; they run again");
        Queues::wake_named(shared, queue);
    }
    for (job, scheduled_at) in beat.ticks {
        tracing::warn!(%job, %scheduled_at, "took over a tick whose process stopped before it finished; it runs here");
        // The scheduler is gone only once the runtime has stopped.
        let _ = shared.events.send(Event::TakenOver { job, scheduled_at });
    }
    for (id, queue) in beat.cancel {
        let reason = "cancelled through `Handle::cancel` of another process while it ran";
        shared
            .queues
            .queue(&queue)
            .cancel(shared, id, reason.to_owned());
    }
}

/// Hands the scheduler the changes of schedule and pause made after `version`; returns the
/// version now seen.
async fn follow(shared: &Arc<Shared>, version: i64) -> i64 {
    let changes = shared.stored(
        "looking for changes of schedule or pause",
        shared.store.changes(version),
    );
    match changes.await {
        Ok(changes) => {
            let seen = changes
                .iter()
                .map(|job| job.version)
                .max()
                .unwrap_or(version);
            for change in changes {
                // The scheduler is gone only once the runtime has stopped.
                let _ = shared.events.send(Event::Control(change));
            }
            seen
        }
        Err(_) => version,
    }
}

async fn look(shared: &Arc<Shared>) {
    if shared.stopping.load(Ordering::Acquire) {
        return;
    }
    let waiting = shared.stored("looking for enqueued jobs", shared.store.poll());
    let Ok(waiting) = waiting.await else {
        return;
    };
    let now = shared.clock.now();
    for queue in waiting {
        if queue.next_at <= now {
            Queues::wake_named(shared, &queue.queue);
        } else {
            shared.wake_queue_at(&queue.queue, queue.next_at);
        }
    }
}

/// The next queue announced, or never when the store announces nothing.
async fn next(announcements: &mut Option<mpsc::UnboundedReceiver<Arc<str>>>) -> Option<Arc<str>> {
    match announcements {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}
