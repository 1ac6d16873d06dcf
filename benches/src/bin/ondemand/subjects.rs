//! The implementations under test: how each is started, and how a producer hands it one job.
//!
//! Every job runs the same body, [`crate::throughput::complete`], with a `u64` payload moved in.

use crate::throughput::complete;
use std::any::Any;
use std::ops::Range;
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Subject {
    /// `tokio::spawn` of the job's future per job: the reference.
    Spawn,
    /// An unbounded `tokio::sync::mpsc` channel of payloads, drained by [`CHANNEL_WORKERS`] tasks.
    Channel,
    /// apalis 1.0, `MemoryStorage`, one worker with `.concurrency(8).parallelize(tokio::spawn)`.
    Apalis,
    Jobs,
}

/// Worker tasks of the hand-written pool, and the concurrency given to apalis and to our queue.
pub(crate) const CONCURRENCY: usize = 8;
/// Tasks draining the hand-written pool's channel.
pub(crate) const CHANNEL_WORKERS: usize = CONCURRENCY;
/// The bound on pending jobs our runtime is given: above any measurement's job count, so that it
/// never pushes back on a producer.
const MAX_PENDING: usize = 2_000_000;

impl Subject {
    pub(crate) const ALL: [Subject; 4] = [
        Subject::Spawn,
        Subject::Channel,
        Subject::Apalis,
        Subject::Jobs,
    ];

    /// The name on the command line of a child process.
    pub(crate) fn arg(self) -> &'static str {
        match self {
            Subject::Spawn => "spawn",
            Subject::Channel => "channel",
            Subject::Apalis => "apalis",
            Subject::Jobs => "jobs",
        }
    }

    pub(crate) fn parse(arg: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|subject| subject.arg() == arg)
    }

    /// The name in the report.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Subject::Spawn => "tokio::spawn per job",
            Subject::Channel => "mpsc + 8 worker tasks",
            Subject::Apalis => "apalis 1.0 MemoryStorage",
            Subject::Jobs => "jobs (this workspace)",
        }
    }
}

/// What a producer holds to enqueue jobs into one subject.
pub(crate) enum Producer {
    Spawn,
    Channel(tokio::sync::mpsc::UnboundedSender<u64>),
    Apalis(apalis::prelude::MemoryStorage<u64>),
    Jobs(jobs_runtime::Handle),
}

impl Producer {
    /// Enqueues one job per payload in `payloads`, one at a time, as a request handler would;
    /// gives the producer back for the next round.
    pub(crate) async fn enqueue(mut self, payloads: Range<u64>) -> Result<Self, String> {
        // One loop per subject rather than one `match` per job, so that dispatching on the
        // subject is not part of any subject's cost.
        match &mut self {
            Producer::Spawn => {
                for n in payloads {
                    drop(tokio::spawn(spawned_job(n)));
                }
            }
            Producer::Channel(sender) => {
                for n in payloads {
                    sender
                        .send(n)
                        .map_err(|_| "the worker pool is gone".to_owned())?;
                }
            }
            Producer::Apalis(storage) => {
                use apalis::prelude::TaskSink;
                for n in payloads {
                    storage.push(n).await.map_err(|e| e.to_string())?;
                }
            }
            Producer::Jobs(handle) => {
                for n in payloads {
                    noop::options()
                        .handle(handle)
                        .enqueue(n)
                        .await
                        .map_err(|e| e.to_string())?;
                }
            }
        }
        Ok(self)
    }
}

/// A started subject: one producer per producer task, and what must stay alive while it runs.
pub(crate) struct Started {
    pub(crate) producers: Vec<Producer>,
    /// Workers' handles or a runtime handle, only held.
    _keep: Box<dyn Any + Send>,
}

/// Starts `subject`'s workers, with one [`Producer`] for each of `producers` tasks.
pub(crate) async fn start(subject: Subject, producers: usize) -> Result<Started, String> {
    let started = match subject {
        Subject::Spawn => Started {
            producers: (0..producers).map(|_| Producer::Spawn).collect(),
            _keep: Box::new(()),
        },
        Subject::Channel => {
            let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
            // One receiver behind an async mutex, shared by the workers: the pool as it is
            // usually written. Whichever worker is idle takes the next job, so a slow job never
            // holds up the jobs queued behind it, as it would with one channel per worker fed
            // round-robin.
            let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
            let workers: Vec<_> = (0..CHANNEL_WORKERS)
                .map(|_| tokio::spawn(channel_worker(Arc::clone(&receiver))))
                .collect();
            Started {
                producers: (0..producers)
                    .map(|_| Producer::Channel(sender.clone()))
                    .collect(),
                _keep: Box::new(workers),
            }
        }
        Subject::Apalis => apalis_memory::start(producers),
        Subject::Jobs => start_jobs(producers).await?,
    };
    Ok(started)
}

#[allow(
    clippy::unused_async,
    reason = "a job is an async fn, as every subject's is; this one just never waits"
)]
async fn spawned_job(n: u64) {
    complete(n);
}

async fn channel_worker(
    receiver: Arc<tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<u64>>>,
) {
    loop {
        // The guard is dropped at the end of the statement, before the job runs, so that the
        // other workers can take the next job meanwhile.
        let Some(n) = receiver.lock().await.recv().await else {
            return;
        };
        spawned_job(n).await;
    }
}

mod apalis_memory {
    //! apalis 1.0's in-memory backend is `MemoryStorage`: an unbounded `futures` channel, with
    //! a `TaskSink::push` that takes `&mut self`. The storage is not `Clone`, and the worker takes
    //! it by value, so once a worker runs, nothing else can push through it. The public way for
    //! producers to feed a running worker is `MemoryStorage::new_with(sink, receiver)`: the worker
    //! gets the channel's receiver, and each producer a storage of its own around a clone of the
    //! channel's sender (with no receiver), on which it calls the same `push`.
    //!
    //! Each producer keeps a sink of its own because a `MemorySink` shared by two tasks can
    //! panic: `start_send` takes its lock with `try_lock().unwrap()`, and the worker's
    //! `poll_ready` or another producer may hold that lock at the time. (Tried with one sink for
    //! the worker and 2 producers: one run panicked there, the next one stalled.)

    use super::{complete, Producer, Started, CONCURRENCY};
    use ::apalis::prelude::{
        MemorySink, MemoryStorage, MemoryStorageError, ParallelizeExt, Task, WorkerBuilder,
        WorkerBuilderExt,
    };
    use futures_util::{SinkExt, StreamExt};
    use std::sync::Arc;

    type Sender = futures_channel::mpsc::UnboundedSender<Task<u64>>;

    fn sink(sender: Sender) -> MemorySink<u64> {
        MemorySink::new(Arc::new(futures_util::lock::Mutex::new(Box::new(
            sender.sink_map_err(MemoryStorageError::from),
        ))))
    }

    pub(super) fn start(producers: usize) -> Started {
        let (sender, receiver) = futures_channel::mpsc::unbounded::<Task<u64>>();
        let storage = MemoryStorage::new_with(sink(sender.clone()), receiver.boxed());
        // As apalis's README starts a worker on `MemoryStorage`.
        let worker = WorkerBuilder::new("ondemand")
            .backend(storage)
            .concurrency(CONCURRENCY)
            .parallelize(tokio::spawn)
            .build(job);
        let run: futures_util::future::BoxFuture<'static, _> = Box::pin(worker.run());
        let worker = tokio::spawn(async move {
            if let Err(e) = run.await {
                eprintln!("apalis worker stopped: {e}");
            }
        });
        Started {
            producers: (0..producers)
                .map(|_| {
                    Producer::Apalis(MemoryStorage::new_with(
                        sink(sender.clone()),
                        futures_util::stream::empty().boxed(),
                    ))
                })
                .collect(),
            _keep: Box::new(worker),
        }
    }

    async fn job(n: u64) {
        complete(n);
    }
}

#[jobs_runtime::job(queue = "bench")]
async fn noop(n: u64) {
    complete(n);
}

async fn start_jobs(producers: usize) -> Result<Started, String> {
    let handle = jobs_runtime::Runtime::builder()
        .only(["noop"])
        .queue("bench", CONCURRENCY)
        .max_pending(MAX_PENDING)
        .build()
        .map_err(|e| e.to_string())?
        .start()
        .await
        .map_err(|e| e.to_string())?;
    Ok(Started {
        producers: (0..producers)
            .map(|_| Producer::Jobs(handle.clone()))
            .collect(),
        _keep: Box::new(handle),
    })
}
