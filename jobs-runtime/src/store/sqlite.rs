//! The SQLite store: durable across restarts on one machine, and shared by the processes that
//! open the same file.
//!
//! SQLite has no row locks to skip: a writer holds the whole database. Each claim is therefore
//! one `UPDATE … RETURNING` statement, which takes the write lock, picks the due jobs and marks
//! them running before any other process can look: the same guarantee `FOR UPDATE SKIP LOCKED`
//! gives on PostgreSQL. Batches travel as JSON arrays read by `json_each`, so that every value
//! is still a bound parameter. Instants are microseconds since the Unix epoch.

use super::database::{Database, Dialect};
use super::open::{owner, redact, StoreOptions};
use super::sql::{
    answer, completion_row, db_id, distinct, in_queue_order, instant, job_id, job_state, micros,
    queue_stats, run_record, stored_job, QueueRow, RunColumns, Served, StoredRow, TickKey, QUEUES,
};
use super::{
    Cancel, Claimed, Completion, ControlChange, DefinedJob, Enqueued, Heartbeat, JobId, JobState,
    NewJob, QueueStats, StoreError, StoreFuture, StoredJob, Waiting,
};
use crate::history::RunRecord;
use crate::Error;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The migrations, in order; a version is never edited once released, only added to.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("migrations/sqlite/0002_pause_provenance.sql"),
    ),
];

/// The Sqlite dialect: the connection and what every statement needs.
pub(crate) struct Sqlite {
    pool: SqlitePool,
    owner: Arc<str>,
    leases: StoreOptions,
    /// The jobs this process runs; see [`Store::serve`](super::Store::serve).
    jobs: Served,
}

impl Sqlite {
    pub(crate) async fn open(url: &str, leases: StoreOptions) -> Result<Database<Self>, Error> {
        let unreachable = |error: sqlx::Error| Error::Database {
            reason: format!("cannot open {}: {error}", redact(url)),
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(unreachable)?
            .create_if_missing(true)
            // Readers do not wait for the writer, and a commit costs one fsync of the log.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            // Processes sharing the file take turns at the write lock.
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(unreachable)?;
        migrate(&pool).await?;
        let db = Self {
            pool,
            owner: owner().into(),
            leases,
            jobs: Served::default(),
        };
        Ok(Database::new(db, None))
    }
}

impl Sqlite {
    fn names(&self) -> String {
        let jobs = self.jobs.names();
        let names: Vec<&str> = jobs.iter().map(AsRef::as_ref).collect();
        serde_json::to_string(&names).unwrap_or_else(|_| "[]".to_owned())
    }

    /// A lease taken or renewed now. Leases count on the system clock from when their statement
    /// is sent (every process on one file shares that clock): not from when a worker asked for
    /// jobs, which may have waited behind other statements (on a busy machine, seconds), and
    /// not on the runtime's clock, which a test may simulate.
    fn lease_until(&self) -> i64 {
        micros(Utc::now() + self.leases.lease)
    }
}

impl Dialect for Sqlite {
    fn enqueue_one(&self, job: NewJob) -> StoreFuture<'_, Enqueued> {
        Box::pin(async move {
            let mut connection = self.pool.acquire().await?;
            insert(&mut connection, &job).await
        })
    }

    /// One `INSERT` of every job, or, when unique keys need their check, one transaction.
    fn enqueue_many(&self, jobs: Vec<NewJob>) -> StoreFuture<'_, Vec<Enqueued>> {
        Box::pin(async move {
            if jobs.iter().any(|job| job.unique.is_some()) {
                let mut transaction = self.pool.begin().await?;
                let mut stored = Vec::with_capacity(jobs.len());
                for job in &jobs {
                    stored.push(insert(&mut transaction, job).await?);
                }
                transaction.commit().await?;
                return Ok(stored);
            }
            let rows: Vec<serde_json::Value> = jobs
                .iter()
                .map(|job| {
                    serde_json::json!([
                        &*job.job,
                        &*job.queue,
                        job.priority,
                        &*job.payload,
                        micros(job.run_at),
                        micros(job.enqueued_at)
                    ])
                })
                .collect();
            // `WHERE true` tells SQLite's parser that what follows belongs to the INSERT.
            let mut ids: Vec<i64> = sqlx::query_scalar(
            "INSERT INTO jobs_jobs (job, queue, priority, payload, state, run_at, due_at, enqueued_at)
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, 'waiting', value ->> 4,
                    value ->> 4, value ->> 5
             FROM json_each($1) WHERE true
             RETURNING id",
        )
        .bind(serde_json::Value::Array(rows).to_string())
        .fetch_all(&self.pool)
        .await?;
            // AUTOINCREMENT numbers the rows in the order json_each gives them, which is the jobs'.
            ids.sort_unstable();
            Ok(ids
                .into_iter()
                .map(|id| Enqueued::New(job_id(id)))
                .collect())
        })
    }

    fn complete<'a>(
        &'a self,
        completed: &'a [(JobId, Completion)],
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let rows: Vec<serde_json::Value> = completed
                .iter()
                .map(|(id, completion)| {
                    let (state, error, run_at) = completion_row(completion, now);
                    serde_json::json!([db_id(*id), state, error, run_at.map(micros)])
                })
                .collect();
            // Only rows this process still holds: a job whose lease was lost belongs to whoever took
            // it over.
            sqlx::query(
            "UPDATE jobs_jobs SET
                 state = CASE c.state WHEN 'released' THEN 'waiting' ELSE c.state END,
                 attempt = CASE c.state WHEN 'released' THEN jobs_jobs.attempt - 1
                     ELSE jobs_jobs.attempt END,
                 run_at = COALESCE(c.run_at, jobs_jobs.run_at),
                 error = COALESCE(c.error, jobs_jobs.error),
                 finished_at = CASE WHEN c.state IN ('succeeded', 'failed', 'cancelled') THEN $2 END,
                 owner = NULL,
                 lease_until = NULL
             FROM (SELECT value ->> 0 AS id, value ->> 1 AS state, value ->> 2 AS error,
                          value ->> 3 AS run_at
                   FROM json_each($3)) AS c
             WHERE jobs_jobs.id = c.id AND jobs_jobs.owner = $1 AND jobs_jobs.state = 'running'",
        )
        .bind(&*self.owner)
        .bind(micros(now))
        .bind(serde_json::Value::Array(rows).to_string())
        .execute(&self.pool)
        .await
        ?;
            Ok(())
        })
    }

    /// The jobs whose version is above `since` (all of them for -1).
    fn stored_jobs(&self, since: i64) -> StoreFuture<'_, Vec<StoredJob>> {
        Box::pin(async move {
            let rows: Vec<StoredRow<i64>> = sqlx::query_as(
                "SELECT job, schedule, tz, overridden, paused, version, paused_at, paused_by
                 FROM jobs_schedules WHERE version > $1 ORDER BY job",
            )
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(job, expr, tz, overridden, paused, version, at, by)| {
                    let at = at.map(instant);
                    stored_job((job, expr, tz, overridden, paused, version, at, by))
                })
                .collect())
        })
    }

    /// Takes up to `limit` due jobs of `queue`, in the queue's order.
    fn claim_rows<'a>(
        &'a self,
        queue: &'a str,
        limit: usize,
        now: DateTime<Utc>,
        completed: &'a [(JobId, Completion)],
    ) -> StoreFuture<'a, Vec<Claimed>> {
        Box::pin(async move {
            // SQLite has no data-modifying `WITH`: two statements, each a short write.
            if !completed.is_empty() {
                self.complete(completed, now).await?;
            }
            let rows = sqlx::query(
                "UPDATE jobs_jobs SET
                 state = 'running',
                 attempt = attempt + 1,
                 started_at = COALESCE(started_at, $2),
                 owner = $5,
                 lease_until = $6
             WHERE id IN (
                 SELECT id FROM jobs_jobs
                 WHERE state = 'waiting' AND queue = $1 AND run_at <= $2
                     AND job IN (SELECT value FROM json_each($3))
                 ORDER BY priority DESC, run_at, id
                 LIMIT $4
             )
             RETURNING id, job, payload, attempt, due_at, started_at, priority, run_at",
            )
            .bind(queue)
            .bind(micros(now))
            .bind(self.names())
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .bind(&*self.owner)
            .bind(self.lease_until())
            .fetch_all(&self.pool)
            .await?;
            let mut jobs = Vec::with_capacity(rows.len());
            for row in rows {
                let claimed = (|| -> Result<_, sqlx::Error> {
                    let name: String = row.try_get(1)?;
                    let payload: String = row.try_get(2)?;
                    let order = (row.try_get(6)?, row.try_get(7)?, row.try_get(0)?);
                    Ok((
                        order,
                        Claimed {
                            id: job_id(row.try_get(0)?),
                            job: self.jobs.intern(&name),
                            payload: payload.into(),
                            attempt: u32::try_from(row.try_get::<i64, _>(3)?).unwrap_or(1),
                            due_at: instant(row.try_get(4)?),
                            started_at: row.try_get::<Option<i64>, _>(5)?.map_or(now, instant),
                        },
                    ))
                })()?;
                jobs.push(claimed);
            }
            Ok(in_queue_order(jobs))
        })
    }

    fn cancel_waiting(&self, id: JobId) -> StoreFuture<'_, Option<Cancel>> {
        Box::pin(async move {
            let waiting = sqlx::query(
            "UPDATE jobs_jobs SET state = 'cancelled', finished_at = $2, owner = NULL, lease_until = NULL
             WHERE id = $1 AND state = 'waiting'
             RETURNING job, payload, due_at, attempt, started_at, error",
        )
        .bind(db_id(id))
        .bind(micros(Utc::now()))
        .fetch_optional(&self.pool)
        .await
        ?;
            let Some(row) = waiting else {
                return Ok(None);
            };
            (|| -> Result<_, sqlx::Error> {
                let name: String = row.try_get(0)?;
                let payload: String = row.try_get(1)?;
                Ok(Some(Cancel::Cancelled {
                    job: self.jobs.intern(&name),
                    payload: payload.into(),
                    due_at: instant(row.try_get(2)?),
                    attempts: u32::try_from(row.try_get::<i64, _>(3)?).unwrap_or(0),
                    started_at: row.try_get::<Option<i64>, _>(4)?.map(instant),
                    error: row.try_get(5)?,
                }))
            })()
            .map_err(StoreError::from)
        })
    }

    fn cancel_running(&self, id: JobId) -> StoreFuture<'_, Option<Cancel>> {
        Box::pin(async move {
            let running = sqlx::query(
                "UPDATE jobs_jobs SET cancel_requested = owner <> $2
             WHERE id = $1 AND state = 'running'
             RETURNING queue, owner = $2",
            )
            .bind(db_id(id))
            .bind(&*self.owner)
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = running else {
                return Ok(None);
            };
            let queue: String = row.try_get(0)?;
            let here: bool = row.try_get(1)?;
            Ok(Some(if here {
                Cancel::Running {
                    queue: queue.into(),
                }
            } else {
                Cancel::Requested
            }))
        })
    }

    fn state(&self, id: JobId, now: DateTime<Utc>) -> StoreFuture<'_, JobState> {
        Box::pin(async move {
            let row =
                sqlx::query("SELECT state, run_at, attempt, error FROM jobs_jobs WHERE id = $1")
                    .bind(db_id(id))
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::UnknownId(id))?;
            (|| -> Result<_, sqlx::Error> {
                let state: String = row.try_get(0)?;
                Ok(job_state(
                    &state,
                    instant(row.try_get(1)?),
                    row.try_get(2)?,
                    row.try_get(3)?,
                    now,
                ))
            })()
            .map_err(StoreError::from)
        })
    }

    fn heartbeat(&self, now: DateTime<Utc>) -> StoreFuture<'_, Heartbeat> {
        Box::pin(async move {
            let lease_until = self.lease_until();
            let mut beat = Heartbeat::default();
            let mine = sqlx::query(
                "UPDATE jobs_jobs SET lease_until = $2 WHERE owner = $1 AND state = 'running'
             RETURNING id, queue, cancel_requested",
            )
            .bind(&*self.owner)
            .bind(lease_until)
            .fetch_all(&self.pool)
            .await?;
            for row in mine {
                if row.try_get::<bool, _>(2)? {
                    let queue: String = row.try_get(1)?;
                    beat.cancel.push((job_id(row.try_get(0)?), queue.into()));
                }
            }
            sqlx::query(
                "UPDATE jobs_ticks SET lease_until = $2 WHERE owner = $1 AND finished_at IS NULL",
            )
            .bind(&*self.owner)
            .bind(lease_until)
            .execute(&self.pool)
            .await?;
            // Up to when the jobs ran, rewritten at most once a lease per job: finer is not needed
            // (`seen` also counts the last claimed tick), and a row rewritten by every process at
            // every heartbeat would compete with the claims of a burst of ticks.
            sqlx::query(
            "INSERT INTO jobs_schedules (job, seen_until) SELECT value, $2 FROM json_each($1) WHERE true
             ON CONFLICT (job) DO UPDATE SET seen_until = excluded.seen_until
             WHERE jobs_schedules.seen_until IS NULL OR jobs_schedules.seen_until < $3",
        )
        .bind(self.names())
        .bind(micros(now))
        .bind(micros(now - self.leases.lease))
        .execute(&self.pool)
        .await?;
            // The owner's attempt counts: a job that kills its process cannot be retried forever.
            let reclaimed: Vec<String> = sqlx::query_scalar(
                "UPDATE jobs_jobs SET
                 state = 'waiting',
                 run_at = $1,
                 error = 'attempt ' || attempt || ' was lost: its process (' || COALESCE(owner, '?')
                     || ') stopped renewing its lease',
                 owner = NULL,
                 lease_until = NULL,
                 cancel_requested = 0
             WHERE state = 'running' AND lease_until < $2
             RETURNING queue",
            )
            .bind(micros(now))
            .bind(micros(Utc::now()))
            .fetch_all(&self.pool)
            .await?;
            let reclaimed: HashSet<String> = reclaimed.into_iter().collect();
            beat.reclaimed = reclaimed.into_iter().map(Into::into).collect();
            let ticks = sqlx::query(
                "UPDATE jobs_ticks SET owner = $1, lease_until = $2
             WHERE finished_at IS NULL AND lease_until < $3
                 AND job IN (SELECT value FROM json_each($4))
             RETURNING job, scheduled_at",
            )
            .bind(&*self.owner)
            .bind(lease_until)
            .bind(micros(Utc::now()))
            .bind(self.names())
            .fetch_all(&self.pool)
            .await?;
            for row in ticks {
                let name: String = row.try_get(0)?;
                beat.ticks
                    .push((self.jobs.intern(&name), instant(row.try_get(1)?)));
            }
            Ok(beat)
        })
    }

    fn poll(&self) -> StoreFuture<'_, Vec<Waiting>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT queue, MIN(run_at) FROM jobs_jobs
             WHERE state = 'waiting' AND job IN (SELECT value FROM json_each($1))
             GROUP BY queue",
            )
            .bind(self.names())
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|row| {
                    let queue: String = row.try_get(0)?;
                    Ok(Waiting {
                        queue: queue.into(),
                        next_at: instant(row.try_get(1)?),
                    })
                })
                .collect::<Result<_, sqlx::Error>>()
                .map_err(StoreError::from)
        })
    }

    /// Inserts the claims of a batch of ticks; those that conflict were claimed by another process.
    fn claim_ticks(&self, batch: Vec<TickKey>) -> StoreFuture<'_, Vec<bool>> {
        Box::pin(async move {
            let (pool, owner, leases) = (&self.pool, &*self.owner, self.leases);
            let now = Utc::now();
            let keys = distinct(&batch);
            let ticks: Vec<(&str, i64)> = keys.iter().map(|(job, at)| (&**job, *at)).collect();
            // `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT. A tick this
            // process claimed already (its answer lost with a connection) is won again; one that
            // another process holds is not.
            let won: Vec<(String, i64)> = sqlx::query_as(
                "INSERT INTO jobs_ticks AS t (job, scheduled_at, owner, claimed_at, lease_until)
             SELECT value ->> 0, value ->> 1, $1, $2, $3 FROM json_each($4) WHERE true
             ON CONFLICT (job, scheduled_at) DO UPDATE SET lease_until = excluded.lease_until
                 WHERE t.owner = $1 AND t.finished_at IS NULL
             RETURNING job, scheduled_at",
            )
            .bind(owner)
            .bind(micros(now))
            .bind(micros(now + leases.lease))
            .bind(serde_json::to_string(&ticks).unwrap_or_else(|_| "[]".to_owned()))
            .fetch_all(pool)
            .await?;
            Ok(answer(&batch, won.into_iter().collect()))
        })
    }

    /// Marks a batch of ticks finished, or released for another process to take over at once.
    fn finish_ticks(&self, batch: Vec<(TickKey, bool)>) -> StoreFuture<'_, Vec<()>> {
        Box::pin(async move {
            let pool = &self.pool;
            let ticks: Vec<(&str, i64, bool)> = batch
                .iter()
                .map(|((job, at), released)| (&**job, *at, *released))
                .collect();
            sqlx::query(
                "UPDATE jobs_ticks SET
             finished_at = CASE WHEN f.released THEN NULL ELSE $1 END,
             owner = CASE WHEN f.released THEN NULL ELSE jobs_ticks.owner END,
             lease_until = CASE WHEN f.released THEN 0 ELSE NULL END
             FROM (SELECT value ->> 0 AS job, value ->> 1 AS scheduled_at, value ->> 2 AS released
               FROM json_each($2)) AS f
             WHERE jobs_ticks.job = f.job AND jobs_ticks.scheduled_at = f.scheduled_at
                 AND jobs_ticks.owner = $3",
            )
            .bind(micros(Utc::now()))
            .bind(serde_json::to_string(&ticks).unwrap_or_else(|_| "[]".to_owned()))
            .bind(&*self.owner)
            .execute(pool)
            .await?;
            Ok(vec![(); batch.len()])
        })
    }

    fn waiting(&self) -> StoreFuture<'_, usize> {
        Box::pin(async {
            let waiting: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM jobs_jobs WHERE state = 'waiting'")
                    .fetch_one(&self.pool)
                    .await?;
            Ok(usize::try_from(waiting).unwrap_or(0))
        })
    }

    fn queues(&self, now: DateTime<Utc>) -> StoreFuture<'_, Vec<QueueStats>> {
        Box::pin(async move {
            let rows: Vec<QueueRow<i64>> = sqlx::query_as(QUEUES)
                .bind(micros(now))
                .fetch_all(&self.pool)
                .await?;
            Ok(rows
                .into_iter()
                .map(|row| queue_stats(row, instant))
                .collect())
        })
    }

    fn seen(&self) -> StoreFuture<'_, HashMap<String, DateTime<Utc>>> {
        Box::pin(async {
            let rows: Vec<(String, i64)> =
                // A tick claimed later than the last heartbeat ran too: with other processes
                // running, the ticks since the last heartbeat were run by them, not missed.
                sqlx::query_as(
                    "SELECT s.job, MAX(s.seen_until,
                         COALESCE((SELECT MAX(t.scheduled_at) FROM jobs_ticks t WHERE t.job = s.job), 0))
                     FROM jobs_schedules s WHERE s.seen_until IS NOT NULL",
                )
                    .fetch_all(&self.pool)
                    .await?;
            Ok(rows
                .into_iter()
                .map(|(job, at)| (job, instant(at)))
                .collect())
        })
    }

    fn define(&self, jobs: Vec<DefinedJob>) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let rows: Vec<serde_json::Value> = jobs
                .iter()
                .map(|job| {
                    let schedule = job.schedule.as_ref();
                    serde_json::json!([
                        job.job,
                        schedule.map(|s| &s.expr),
                        schedule.map(|s| &s.tz),
                        job.origin
                    ])
                })
                .collect();
            // One writer at a time: the next version is the highest plus one.
            sqlx::query(
                "INSERT INTO jobs_schedules AS s (job, schedule, tz, code_schedule, code_tz, origin)
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 1, value ->> 2, value ->> 3
                 FROM json_each($1) WHERE true
                 ON CONFLICT (job) DO UPDATE SET
                     code_schedule = excluded.code_schedule,
                     code_tz = excluded.code_tz,
                     origin = excluded.origin,
                     schedule = CASE WHEN s.overridden THEN s.schedule ELSE excluded.schedule END,
                     tz = CASE WHEN s.overridden THEN s.tz ELSE excluded.tz END,
                     version = CASE
                         WHEN s.overridden OR (s.schedule IS excluded.schedule AND s.tz IS excluded.tz)
                         THEN s.version
                         ELSE (SELECT MAX(version) + 1 FROM jobs_schedules) END",
            )
            .bind(serde_json::Value::Array(rows).to_string())
            .execute(&self.pool)
            .await?;
            Ok(())
        })
    }

    fn control<'a>(&'a self, job: &'a str, change: ControlChange) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (paused, pause, schedule) = match &change {
                ControlChange::Paused(pause) => (Some(pause.is_some()), pause.as_ref(), None),
                ControlChange::Rescheduled(schedule) => (None, None, Some(schedule)),
            };
            // Pausing a paused job keeps when and by whom it was first paused.
            sqlx::query(
                "INSERT INTO jobs_schedules AS s
                     (job, schedule, tz, overridden, paused, version, paused_at, paused_by)
                 VALUES ($1, $2, $3, $2 IS NOT NULL, COALESCE($4, 0),
                         (SELECT COALESCE(MAX(version), 0) + 1 FROM jobs_schedules), $5, $6)
                 ON CONFLICT (job) DO UPDATE SET
                     paused_at = CASE WHEN $4 IS NULL OR ($4 AND s.paused) THEN s.paused_at
                                      ELSE $5 END,
                     paused_by = CASE WHEN $4 IS NULL OR ($4 AND s.paused) THEN s.paused_by
                                      ELSE $6 END,
                     paused = COALESCE($4, s.paused),
                     schedule = COALESCE($2, s.schedule),
                     tz = COALESCE($3, s.tz),
                     overridden = s.overridden OR $2 IS NOT NULL,
                     version = excluded.version",
            )
            .bind(job)
            .bind(schedule.map(|s| s.expr.as_str()))
            .bind(schedule.map(|s| s.tz.as_str()))
            .bind(paused)
            .bind(pause.map(|pause| micros(pause.at)))
            .bind(pause.map(|pause| pause.by.as_str()))
            .execute(&self.pool)
            .await?;
            Ok(())
        })
    }

    fn record<'a>(&'a self, runs: &'a [RunRecord]) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let rows: Vec<serde_json::Value> = runs
                .iter()
                .map(|run| {
                    let columns = RunColumns::of(run);
                    serde_json::json!([
                        columns.job,
                        columns.run_id,
                        columns.job_id,
                        micros(run.scheduled_at),
                        run.started_at.map(micros),
                        run.finished_at.map(micros),
                        columns.attempts,
                        columns.outcome,
                        columns.error,
                        columns.lateness_us,
                        columns.permanent,
                        columns.payload
                    ])
                })
                .collect();
            sqlx::query(
                "INSERT INTO jobs_runs (job, run_id, job_id, scheduled_at, started_at, finished_at,
                     attempts, outcome, error, lateness_us, permanent, payload, owner, recorded_at)
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4,
                     value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9,
                     value ->> 10, value ->> 11, $2, $3
                 FROM json_each($1)",
            )
            .bind(serde_json::Value::Array(rows).to_string())
            .bind(&*self.owner)
            .bind(micros(Utc::now()))
            .execute(&self.pool)
            .await?;
            Ok(())
        })
    }

    fn runs<'a>(
        &'a self,
        job: &'a str,
        limit: usize,
        before: Option<DateTime<Utc>>,
    ) -> StoreFuture<'a, Vec<RunRecord>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT run_id, job_id, scheduled_at, started_at, finished_at, attempts, outcome,
                     error, lateness_us, permanent, payload
                 FROM jobs_runs WHERE job = $1 AND ($3 IS NULL OR scheduled_at < $3)
                 ORDER BY scheduled_at DESC, id DESC LIMIT $2",
            )
            .bind(job)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .bind(before.map(micros))
            .fetch_all(&self.pool)
            .await?;
            let name = self.jobs.intern(job);
            let mut runs = Vec::with_capacity(rows.len());
            for row in rows.iter().rev() {
                let outcome: String = row.try_get(6)?;
                runs.extend(run_record(
                    Arc::clone(&name),
                    (row.try_get(0)?, row.try_get(1)?),
                    (
                        instant(row.try_get(2)?),
                        row.try_get::<Option<i64>, _>(3)?.map(instant),
                        row.try_get::<Option<i64>, _>(4)?.map(instant),
                    ),
                    row.try_get(5)?,
                    &outcome,
                    row.try_get(7)?,
                    row.try_get(8)?,
                    row.try_get(9)?,
                    row.try_get(10)?,
                ));
            }
            Ok(runs)
        })
    }

    fn prune(&self, before: DateTime<Utc>) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let mut pruned = 0;
            for statement in [
                "DELETE FROM jobs_runs WHERE rowid IN
                     (SELECT rowid FROM jobs_runs WHERE recorded_at < $1 LIMIT 5000)",
                "DELETE FROM jobs_jobs WHERE rowid IN
                     (SELECT rowid FROM jobs_jobs WHERE finished_at < $1 LIMIT 5000)",
                "DELETE FROM jobs_ticks WHERE rowid IN
                     (SELECT rowid FROM jobs_ticks WHERE finished_at < $1 LIMIT 5000)",
            ] {
                loop {
                    let deleted = sqlx::query(statement)
                        .bind(micros(before))
                        .execute(&self.pool)
                        .await?
                        .rows_affected();
                    pruned += deleted;
                    if deleted < 5000 {
                        break;
                    }
                }
            }
            Ok(pruned)
        })
    }

    fn served(&self) -> &Served {
        &self.jobs
    }
}

/// Stores one job, unless its unique key is held: then answers the holder's id.
async fn insert(connection: &mut SqliteConnection, job: &NewJob) -> Result<Enqueued, StoreError> {
    loop {
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO jobs_jobs (job, queue, priority, payload, state, run_at, due_at, enqueued_at, unique_key)
             VALUES ($1, $2, $3, $4, 'waiting', $5, $5, $6, $7)
             ON CONFLICT (job, unique_key) WHERE unique_key IS NOT NULL AND state IN ('waiting', 'running')
             DO NOTHING
             RETURNING id",
        )
        .bind(&*job.job)
        .bind(&*job.queue)
        .bind(job.priority)
        .bind(&*job.payload)
        .bind(micros(job.run_at))
        .bind(micros(job.enqueued_at))
        .bind(job.unique.as_deref())
        .fetch_optional(&mut *connection)
        .await?;
        if let Some(id) = inserted {
            return Ok(Enqueued::New(job_id(id)));
        }
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM jobs_jobs
             WHERE job = $1 AND unique_key = $2 AND state IN ('waiting', 'running')",
        )
        .bind(&*job.job)
        .bind(job.unique.as_deref())
        .fetch_optional(&mut *connection)
        .await?;
        // None: the holder ended between the two statements, so the key is free again.
        if let Some(id) = existing {
            return Ok(Enqueued::Existing(job_id(id)));
        }
    }
}

/// Applies the migrations this database lacks in one transaction that holds SQLite's write
/// lock from its first statement, so that processes starting together migrate once.
async fn migrate(pool: &SqlitePool) -> Result<(), Error> {
    let failed = |error: sqlx::Error| Error::Database {
        reason: format!("migrating the job store's schema: {error}"),
    };
    let mut connection = pool.acquire().await.map_err(failed)?;
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut *connection)
        .await
        .map_err(failed)?;
    let result = async {
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS jobs_schema (
                 version    INTEGER PRIMARY KEY,
                 applied_at INTEGER NOT NULL
             )",
        )
        .execute(&mut *connection)
        .await
        .map_err(failed)?;
        let current: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM jobs_schema")
            .fetch_one(&mut *connection)
            .await
            .map_err(failed)?;
        let supported = MIGRATIONS.last().map_or(0, |&(version, _)| version);
        if current > supported {
            return Err(Error::SchemaTooNew {
                found: current,
                supported,
            });
        }
        for &(version, script) in MIGRATIONS.iter().filter(|(version, _)| *version > current) {
            sqlx::raw_sql(script)
                .execute(&mut *connection)
                .await
                .map_err(failed)?;
            sqlx::query("INSERT INTO jobs_schema (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(micros(Utc::now()))
                .execute(&mut *connection)
                .await
                .map_err(failed)?;
            tracing::info!(version, "job store schema migrated");
        }
        Ok(())
    }
    .await;
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = sqlx::raw_sql(end).execute(&mut *connection).await;
    match (result, ended) {
        (Ok(()), Err(error)) => Err(failed(error)),
        (result, _) => result,
    }
}
