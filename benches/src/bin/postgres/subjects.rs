//! The implementations under test, how each is started on a database, and how a producer hands
//! it jobs: one at a time, or many in one call.
//!
//! Every job runs the same body, [`crate::work::complete`], with a `(seq, enqueued_ns)` payload.
//! graphile-worker runs in Node.js (see `graphile.rs`); the two Rust subjects are here.

use crate::work::complete;
use std::any::Any;
use std::ops::Range;
use std::time::Duration;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Subject {
    /// No job system: each enqueue is a bare `INSERT` of the payload into a table of two
    /// columns, and counts as done when it returns. What the database allows the enqueue side.
    Floor,
    Jobs,
    /// apalis 1.0 with apalis-postgres 1.0: `PostgresStorage` with LISTEN/NOTIFY
    /// (`with_pubsub()`), one worker with `.concurrency(c).parallelize(tokio::spawn)`.
    Apalis,
    /// graphile-worker 0.17 in Node.js: `run({ concurrency, maxPoolSize })`, `WorkerUtils` to add.
    Graphile,
}

impl Subject {
    /// The job systems.
    pub(crate) const SYSTEMS: [Subject; 3] = [Subject::Jobs, Subject::Apalis, Subject::Graphile];
    /// The throughput runs: the floor, then the systems.
    pub(crate) const ALL: [Subject; 4] = [
        Subject::Floor,
        Subject::Jobs,
        Subject::Apalis,
        Subject::Graphile,
    ];

    /// The name on the command line of a child process.
    pub(crate) fn arg(self) -> &'static str {
        match self {
            Subject::Floor => "floor",
            Subject::Jobs => "jobs",
            Subject::Apalis => "apalis",
            Subject::Graphile => "graphile",
        }
    }

    pub(crate) fn parse(arg: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|subject| subject.arg() == arg)
    }

    /// The name in the report.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Subject::Floor => "bare INSERT (floor)",
            Subject::Jobs => "jobs (this workspace)",
            Subject::Apalis => "apalis-postgres 1.0",
            Subject::Graphile => "graphile-worker 0.17",
        }
    }
}

/// How long a graceful shutdown of our runtime may take before the run reports it as an error.
const SHUTDOWN_BUDGET: Duration = Duration::from_secs(10);

/// What a producer holds to enqueue jobs into one subject; cloned for each producer task.
#[derive(Clone)]
pub(crate) enum Producer {
    Floor(sqlx::PgPool),
    /// `work::enqueue` goes to the one running runtime of the process.
    Jobs,
    Apalis(Box<apalis_postgres::PostgresStorage<Payload>>),
}

/// Every subject's payload: the job's sequence number in the run and when its enqueue was called
/// (wall-clock nanoseconds; 0 in a throughput run).
type Payload = (u64, i64);

impl Producer {
    /// Enqueues one job, with one statement.
    pub(crate) async fn one(&mut self, seq: u64, enqueued_ns: i64) -> Result<(), String> {
        match self {
            Producer::Floor(pool) => {
                sqlx::query("INSERT INTO floor (payload) VALUES ($1)")
                    .bind(payload_json(seq, enqueued_ns))
                    .execute(&*pool)
                    .await
                    .map_err(|e| e.to_string())?;
                complete(seq, enqueued_ns);
                Ok(())
            }
            Producer::Jobs => work::enqueue(seq, enqueued_ns)
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            Producer::Apalis(storage) => {
                use apalis::prelude::TaskSink;
                storage
                    .push((seq, enqueued_ns))
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// Enqueues one job per sequence number in `seqs`, in one call (the subject's bulk path).
    pub(crate) async fn many(&mut self, seqs: Range<u64>) -> Result<(), String> {
        match self {
            Producer::Floor(pool) => {
                let payloads: Vec<String> = seqs.clone().map(|seq| payload_json(seq, 0)).collect();
                sqlx::query("INSERT INTO floor (payload) SELECT * FROM UNNEST($1::TEXT[])")
                    .bind(&payloads)
                    .execute(&*pool)
                    .await
                    .map_err(|e| e.to_string())?;
                for seq in seqs {
                    complete(seq, 0);
                }
                Ok(())
            }
            Producer::Jobs => enqueue_many(seqs).await,
            Producer::Apalis(storage) => {
                use apalis::prelude::TaskSink;
                storage
                    .push_bulk(seqs.map(|seq| (seq, 0)).collect())
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// The payload as our store writes it.
fn payload_json(seq: u64, enqueued_ns: i64) -> String {
    format!("{{\"seq\":{seq},\"enqueued_ns\":{enqueued_ns}}}")
}

/// Our bulk enqueue: `work::enqueue_many`, one statement for the whole batch.
async fn enqueue_many(seqs: Range<u64>) -> Result<(), String> {
    work::enqueue_many(seqs.map(|seq| (seq, 0)))
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// A started subject: its producer, and what must stay alive while it runs.
pub(crate) struct Started {
    pub(crate) producer: Producer,
    keep: Keep,
}

enum Keep {
    Jobs(jobs_runtime::Handle),
    /// The worker's task, only held.
    Other(#[allow(dead_code, reason = "held, never read")] Box<dyn Any + Send>),
}

impl Started {
    /// Stops the subject the way a service would on SIGTERM, where the subject has a way to; an
    /// error if that takes longer than [`SHUTDOWN_BUDGET`].
    pub(crate) async fn shutdown(self) -> Result<(), String> {
        match self.keep {
            Keep::Jobs(handle) => tokio::time::timeout(SHUTDOWN_BUDGET, handle.shutdown())
                .await
                .map_err(|_| {
                    format!(
                        "our runtime's shutdown did not finish within {} s",
                        SHUTDOWN_BUDGET.as_secs()
                    )
                }),
            Keep::Other(_) => Ok(()),
        }
    }
}

/// Starts `subject`'s workers on the database at `url`, `concurrency` jobs at once.
pub(crate) async fn start(
    subject: Subject,
    url: &str,
    concurrency: usize,
) -> Result<Started, String> {
    match subject {
        Subject::Floor => {
            // As many connections as our store's pool.
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(16)
                .connect(url)
                .await
                .map_err(|e| format!("cannot connect: {e}"))?;
            sqlx::raw_sql("CREATE TABLE floor (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL)")
                .execute(&pool)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Started {
                producer: Producer::Floor(pool),
                keep: Keep::Other(Box::new(())),
            })
        }
        Subject::Jobs => {
            let handle = jobs_runtime::Runtime::builder()
                .only(["work"])
                .store(url)
                .queue("bench", concurrency)
                .build()
                .map_err(|e| e.to_string())?
                .start()
                .await
                .map_err(|e| e.to_string())?;
            Ok(Started {
                producer: Producer::Jobs,
                keep: Keep::Jobs(handle),
            })
        }
        Subject::Apalis => start_apalis(url, concurrency).await,
        Subject::Graphile => Err("graphile-worker runs in Node.js, not in this process".into()),
    }
}

#[jobs_runtime::job(queue = "bench")]
async fn work(seq: u64, enqueued_ns: i64) {
    complete(seq, enqueued_ns);
}

/// As apalis-postgres's README starts a worker: a pool, `setup` (its migrations), a storage,
/// a worker on it. The storage listens for inserts (`with_pubsub()`, LISTEN/NOTIFY): without
/// it, a worker that found its queue empty waits for its next heartbeat (30 s by default) or
/// for one of its tasks to finish before it looks again.
async fn start_apalis(url: &str, concurrency: usize) -> Result<Started, String> {
    use apalis::prelude::{ParallelizeExt, WorkerBuilder, WorkerBuilderExt};
    use apalis_postgres::{PgPool, PostgresStorage};

    let pool = PgPool::connect(url)
        .await
        .map_err(|e| format!("apalis-postgres: cannot connect: {e}"))?;
    PostgresStorage::<()>::setup(&pool)
        .await
        .map_err(|e| format!("apalis-postgres: setup: {e}"))?;
    let storage = PostgresStorage::<Payload>::new(&pool);
    let worker = WorkerBuilder::new("bench")
        .backend(storage.clone().with_pubsub())
        .concurrency(concurrency)
        .parallelize(tokio::spawn)
        .build(apalis_job);
    let run: futures_util::future::BoxFuture<'static, _> = Box::pin(worker.run());
    let worker = tokio::spawn(async move {
        if let Err(e) = run.await {
            eprintln!("apalis worker stopped: {e}");
        }
    });
    Ok(Started {
        producer: Producer::Apalis(Box::new(storage)),
        keep: Keep::Other(Box::new(worker)),
    })
}

async fn apalis_job(payload: Payload) {
    complete(payload.0, payload.1);
}
