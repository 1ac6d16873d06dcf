//! The PostgreSQL store: a cluster of processes on many machines shares its jobs and ticks.
//!
//! Jobs are claimed with `FOR UPDATE SKIP LOCKED`, so processes never wait for each other's
//! claims; a tick is claimed by inserting its `(job, scheduled_at)` row, which only one process
//! can. Every claim carries a lease that the owner's heartbeat renews; a process that stops
//! renewing loses its claims to the others. Every value is a bound parameter.

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
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPool, PgPoolOptions};
use sqlx::{Connection, Row};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// The migrations, in order; a version is never edited once released, only added to.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("migrations/postgres/0002_pause_provenance.sql"),
    ),
];

/// The key of the advisory lock under which migrations run: "jobs" in ASCII.
const MIGRATION_LOCK: i64 = 0x6a6f_6273;

/// The Postgres dialect: the connection and what every statement needs.
pub(crate) struct Postgres {
    pool: PgPool,
    owner: Arc<str>,
    leases: StoreOptions,
    /// The jobs this process runs; see [`Store::serve`](super::Store::serve).
    jobs: Served,
}

impl Postgres {
    pub(crate) async fn open(url: &str, leases: StoreOptions) -> Result<Database<Self>, Error> {
        let unreachable = |error: sqlx::Error| Error::Database {
            reason: format!("cannot connect to {}: {error}", redact(url)),
        };
        let options = PgConnectOptions::from_str(url).map_err(unreachable)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
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
        let announcements = listen(&db.pool).await.map_err(unreachable)?;
        Ok(Database::new(db, Some(announcements)))
    }
}

impl Postgres {
    fn names(&self) -> Vec<String> {
        self.jobs.names().iter().map(ToString::to_string).collect()
    }

    /// The lease, in microseconds, for statements to add to the database's clock.
    ///
    /// Leases run on the database's clock alone: taken, renewed and found expired by
    /// `clock_timestamp()` when each statement runs. A lease counted from the instant a worker
    /// asked for jobs would be shortened by however long its statement waited behind others (on
    /// a busy machine, seconds), and one compared with another process's clock by their skew.
    fn lease_micros(&self) -> i64 {
        i64::try_from(self.leases.lease.as_micros()).unwrap_or(i64::MAX)
    }
}

impl Dialect for Postgres {
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
            let column = |field: fn(&NewJob) -> &str| jobs.iter().map(field).collect::<Vec<_>>();
            let mut ids: Vec<i64> = sqlx::query_scalar(
            "INSERT INTO jobs_jobs (job, queue, priority, payload, state, run_at, due_at, enqueued_at)
             SELECT job, queue, priority, payload, 'waiting', run_at, run_at, enqueued_at
             FROM UNNEST($1::TEXT[], $2::TEXT[], $3::SMALLINT[], $4::TEXT[], $5::TIMESTAMPTZ[], $6::TIMESTAMPTZ[])
                 AS j(job, queue, priority, payload, run_at, enqueued_at)
             RETURNING id",
        )
        .bind(column(|job| &job.job))
        .bind(column(|job| &job.queue))
        .bind(jobs.iter().map(|job| job.priority).collect::<Vec<_>>())
        .bind(column(|job| &job.payload))
        .bind(jobs.iter().map(|job| job.run_at).collect::<Vec<_>>())
        .bind(jobs.iter().map(|job| job.enqueued_at).collect::<Vec<_>>())
        .fetch_all(&self.pool)
        .await?;
            // The sequence numbers the rows in the order UNNEST gives them, which is the jobs'.
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
            let (ids, states, errors, run_ats) = completion_columns(completed, now);
            // Only rows this process still holds: a job whose lease was lost belongs to whoever took
            // it over.
            sqlx::query(
            "UPDATE jobs_jobs AS j SET
                 state = CASE c.state WHEN 'released' THEN 'waiting' ELSE c.state END,
                 attempt = CASE c.state WHEN 'released' THEN j.attempt - 1 ELSE j.attempt END,
                 run_at = COALESCE(c.run_at, j.run_at),
                 error = COALESCE(c.error, j.error),
                 finished_at = CASE WHEN c.state IN ('succeeded', 'failed', 'cancelled') THEN $2 END,
                 owner = NULL,
                 lease_until = NULL
             FROM UNNEST($3::BIGINT[], $4::TEXT[], $5::TEXT[], $6::TIMESTAMPTZ[])
                 AS c(id, state, error, run_at)
             WHERE j.id = c.id AND j.owner = $1 AND j.state = 'running'",
        )
        .bind(&*self.owner)
        .bind(now)
        .bind(&ids)
        .bind(&states)
        .bind(&errors)
        .bind(&run_ats)
        .execute(&self.pool)
        .await
        ?;
            Ok(())
        })
    }

    /// The jobs whose version is above `since` (all of them for -1).
    fn stored_jobs(&self, since: i64) -> StoreFuture<'_, Vec<StoredJob>> {
        Box::pin(async move {
            let rows: Vec<StoredRow> = sqlx::query_as(
                "SELECT job, schedule, tz, overridden, paused, version, paused_at, paused_by
                 FROM jobs_schedules WHERE version > $1 ORDER BY job",
            )
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(stored_job).collect())
        })
    }

    /// Takes up to `limit` due jobs of `queue`, in the queue's order.
    /// One statement, so one commit: the ends of the batch's jobs (a data-modifying `WITH`,
    /// which runs whether or not it is read) and the claim of the next.
    fn claim_rows<'a>(
        &'a self,
        queue: &'a str,
        limit: usize,
        now: DateTime<Utc>,
        completed: &'a [(JobId, Completion)],
    ) -> StoreFuture<'a, Vec<Claimed>> {
        Box::pin(async move {
            let (ids, states, errors, run_ats) = completion_columns(completed, now);
            let rows = sqlx::query(
            "WITH done AS (
                 UPDATE jobs_jobs AS j SET
                     state = CASE c.state WHEN 'released' THEN 'waiting' ELSE c.state END,
                     attempt = CASE c.state WHEN 'released' THEN j.attempt - 1 ELSE j.attempt END,
                     run_at = COALESCE(c.run_at, j.run_at),
                     error = COALESCE(c.error, j.error),
                     finished_at = CASE WHEN c.state IN ('succeeded', 'failed', 'cancelled') THEN $2 END,
                     owner = NULL,
                     lease_until = NULL
                 FROM UNNEST($7::BIGINT[], $8::TEXT[], $9::TEXT[], $10::TIMESTAMPTZ[])
                     AS c(id, state, error, run_at)
                 WHERE j.id = c.id AND j.owner = $5 AND j.state = 'running'
             ),
             picked AS (
                 SELECT id FROM jobs_jobs
                 WHERE state = 'waiting' AND queue = $1 AND run_at <= $2 AND job = ANY($3)
                 ORDER BY priority DESC, run_at, id
                 LIMIT $4
                 FOR UPDATE SKIP LOCKED
             )
             UPDATE jobs_jobs AS j SET
                 state = 'running',
                 attempt = j.attempt + 1,
                 started_at = COALESCE(j.started_at, $2),
                 owner = $5,
                 lease_until = clock_timestamp() + $6 * INTERVAL '1 microsecond'
             FROM picked WHERE j.id = picked.id
             RETURNING j.id, j.job, j.payload, j.attempt, j.due_at, j.started_at, j.priority, j.run_at",
        )
        .bind(queue)
        .bind(now)
        .bind(self.names())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .bind(&*self.owner)
        .bind(self.lease_micros())
        .bind(&ids)
        .bind(&states)
        .bind(&errors)
        .bind(&run_ats)
        .fetch_all(&self.pool)
        .await
        ?;
            let mut jobs = Vec::with_capacity(rows.len());
            for row in rows {
                let claimed = (|| -> Result<_, sqlx::Error> {
                    let name: String = row.try_get(1)?;
                    let payload: String = row.try_get(2)?;
                    let order = (
                        i64::from(row.try_get::<i16, _>(6)?),
                        micros(row.try_get(7)?),
                        row.try_get(0)?,
                    );
                    Ok((
                        order,
                        Claimed {
                            id: job_id(row.try_get(0)?),
                            job: self.jobs.intern(&name),
                            payload: payload.into(),
                            attempt: u32::try_from(row.try_get::<i32, _>(3)?).unwrap_or(1),
                            due_at: row.try_get(4)?,
                            started_at: row.try_get::<Option<DateTime<Utc>>, _>(5)?.unwrap_or(now),
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
            "UPDATE jobs_jobs SET state = 'cancelled', finished_at = now(), owner = NULL, lease_until = NULL
             WHERE id = $1 AND state = 'waiting'
             RETURNING job, payload, due_at, attempt, started_at, error",
        )
        .bind(db_id(id))
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
                    due_at: row.try_get(2)?,
                    attempts: u32::try_from(row.try_get::<i32, _>(3)?).unwrap_or(0),
                    started_at: row.try_get(4)?,
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
                let run_at: DateTime<Utc> = row.try_get(1)?;
                let attempt: i32 = row.try_get(2)?;
                let error: Option<String> = row.try_get(3)?;
                Ok(job_state(&state, run_at, attempt.into(), error, now))
            })()
            .map_err(StoreError::from)
        })
    }

    fn heartbeat(&self, now: DateTime<Utc>) -> StoreFuture<'_, Heartbeat> {
        Box::pin(async move {
            let lease = self.lease_micros();
            let mut beat = Heartbeat::default();
            let mine = sqlx::query(
                "UPDATE jobs_jobs SET lease_until = clock_timestamp() + $2 * INTERVAL '1 microsecond'
                 WHERE owner = $1 AND state = 'running'
                 RETURNING id, queue, cancel_requested",
            )
            .bind(&*self.owner)
            .bind(lease)
            .fetch_all(&self.pool)
            .await?;
            for row in mine {
                if row.try_get::<bool, _>(2)? {
                    let queue: String = row.try_get(1)?;
                    beat.cancel.push((job_id(row.try_get(0)?), queue.into()));
                }
            }
            sqlx::query(
                "UPDATE jobs_ticks SET lease_until = clock_timestamp() + $2 * INTERVAL '1 microsecond'
                 WHERE owner = $1 AND finished_at IS NULL",
            )
            .bind(&*self.owner)
            .bind(lease)
            .execute(&self.pool)
            .await?;
            // Up to when the jobs ran, rewritten at most once a lease per job: finer is not needed
            // (`seen` also counts the last claimed tick), and a row rewritten by every process at
            // every heartbeat would compete with the claims of a burst of ticks.
            sqlx::query(
            "INSERT INTO jobs_schedules (job, seen_until) SELECT job, $2 FROM UNNEST($1::TEXT[]) AS job
             ON CONFLICT (job) DO UPDATE SET seen_until = EXCLUDED.seen_until
             WHERE jobs_schedules.seen_until IS NULL OR jobs_schedules.seen_until < $3",
        )
        .bind(self.names())
        .bind(now)
        .bind(now - self.leases.lease)
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
                 cancel_requested = FALSE
             WHERE state = 'running' AND lease_until < clock_timestamp()
             RETURNING queue",
            )
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
            let reclaimed: HashSet<String> = reclaimed.into_iter().collect();
            beat.reclaimed = reclaimed.into_iter().map(Into::into).collect();
            let ticks = sqlx::query(
                "UPDATE jobs_ticks SET owner = $1,
                     lease_until = clock_timestamp() + $2 * INTERVAL '1 microsecond'
                 WHERE finished_at IS NULL AND lease_until < clock_timestamp() AND job = ANY($3)
                 RETURNING job, scheduled_at",
            )
            .bind(&*self.owner)
            .bind(lease)
            .bind(self.names())
            .fetch_all(&self.pool)
            .await?;
            for row in ticks {
                let name: String = row.try_get(0)?;
                beat.ticks.push((self.jobs.intern(&name), row.try_get(1)?));
            }
            Ok(beat)
        })
    }

    fn poll(&self) -> StoreFuture<'_, Vec<Waiting>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT queue, MIN(run_at) FROM jobs_jobs
             WHERE state = 'waiting' AND job = ANY($1)
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
                        next_at: row.try_get(1)?,
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
            let jobs: Vec<&str> = keys.iter().map(|(job, _)| &**job).collect();
            let instants: Vec<DateTime<Utc>> = keys.iter().map(|&(_, at)| instant(at)).collect();
            // A tick this process claimed already (its answer lost with a connection) is won again;
            // one that another process holds is not.
            let won: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
                "INSERT INTO jobs_ticks AS t (job, scheduled_at, owner, claimed_at, lease_until)
             SELECT k.job, k.scheduled_at, $1, $2,
                 clock_timestamp() + $3 * INTERVAL '1 microsecond'
             FROM UNNEST($4::TEXT[], $5::TIMESTAMPTZ[]) AS k(job, scheduled_at)
             ON CONFLICT (job, scheduled_at) DO UPDATE SET lease_until = EXCLUDED.lease_until
                 WHERE t.owner = $1 AND t.finished_at IS NULL
             RETURNING job, scheduled_at",
            )
            .bind(owner)
            .bind(now)
            .bind(i64::try_from(leases.lease.as_micros()).unwrap_or(i64::MAX))
            .bind(&jobs)
            .bind(&instants)
            .fetch_all(pool)
            .await?;
            Ok(answer(
                &batch,
                won.into_iter().map(|(job, at)| (job, micros(at))).collect(),
            ))
        })
    }

    /// Marks a batch of ticks finished, or released for another process to take over at once.
    fn finish_ticks(&self, batch: Vec<(TickKey, bool)>) -> StoreFuture<'_, Vec<()>> {
        Box::pin(async move {
            let pool = &self.pool;
            let jobs: Vec<&str> = batch.iter().map(|((job, _), _)| &**job).collect();
            let instants: Vec<DateTime<Utc>> =
                batch.iter().map(|&((_, at), _)| instant(at)).collect();
            let released: Vec<bool> = batch.iter().map(|&(_, released)| released).collect();
            sqlx::query(
            "UPDATE jobs_ticks AS t SET
             finished_at = CASE WHEN f.released THEN NULL ELSE $1 END,
             owner = CASE WHEN f.released THEN NULL ELSE t.owner END,
             lease_until = CASE WHEN f.released THEN 'epoch'::TIMESTAMPTZ ELSE NULL END
             FROM UNNEST($2::TEXT[], $3::TIMESTAMPTZ[], $4::BOOLEAN[]) AS f(job, scheduled_at, released)
             WHERE t.job = f.job AND t.scheduled_at = f.scheduled_at AND t.owner = $5",
        )
        .bind(Utc::now())
        .bind(&jobs)
        .bind(&instants)
        .bind(&released)
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
            let rows: Vec<QueueRow<DateTime<Utc>>> = sqlx::query_as(QUEUES)
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
            Ok(rows
                .into_iter()
                .map(|row| queue_stats(row, |at| at))
                .collect())
        })
    }

    fn seen(&self) -> StoreFuture<'_, HashMap<String, DateTime<Utc>>> {
        Box::pin(async {
            let rows: Vec<(String, DateTime<Utc>)> =
                // A tick claimed later than the last heartbeat ran too: in a live cluster, the
                // ticks since the last heartbeat were run by the others, not missed.
                sqlx::query_as(
                    "SELECT s.job, GREATEST(s.seen_until,
                         (SELECT MAX(t.scheduled_at) FROM jobs_ticks t WHERE t.job = s.job))
                     FROM jobs_schedules s WHERE s.seen_until IS NOT NULL",
                )
                    .fetch_all(&self.pool)
                    .await?;
            Ok(rows.into_iter().collect())
        })
    }

    fn define(&self, jobs: Vec<DefinedJob>) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let column =
                |field: fn(&DefinedJob) -> Option<&str>| jobs.iter().map(field).collect::<Vec<_>>();
            sqlx::query(
                "INSERT INTO jobs_schedules AS s (job, schedule, tz, code_schedule, code_tz, origin)
                 SELECT job, schedule, tz, schedule, tz, origin
                 FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[])
                     AS d(job, schedule, tz, origin)
                 ON CONFLICT (job) DO UPDATE SET
                     code_schedule = EXCLUDED.code_schedule,
                     code_tz = EXCLUDED.code_tz,
                     origin = EXCLUDED.origin,
                     schedule = CASE WHEN s.overridden THEN s.schedule ELSE EXCLUDED.schedule END,
                     tz = CASE WHEN s.overridden THEN s.tz ELSE EXCLUDED.tz END,
                     version = CASE
                         WHEN s.overridden OR (s.schedule IS NOT DISTINCT FROM EXCLUDED.schedule
                             AND s.tz IS NOT DISTINCT FROM EXCLUDED.tz)
                         THEN s.version
                         ELSE nextval('jobs_control_version') END",
            )
            .bind(column(|job| Some(&job.job)))
            .bind(column(|job| job.schedule.as_ref().map(|s| s.expr.as_str())))
            .bind(column(|job| job.schedule.as_ref().map(|s| s.tz.as_str())))
            .bind(column(|job| Some(job.origin)))
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
                 VALUES ($1, $2, $3, $2 IS NOT NULL, COALESCE($4, FALSE),
                         nextval('jobs_control_version'), $5, $6)
                 ON CONFLICT (job) DO UPDATE SET
                     paused_at = CASE WHEN $4 IS NULL OR ($4 AND s.paused) THEN s.paused_at
                                      ELSE $5 END,
                     paused_by = CASE WHEN $4 IS NULL OR ($4 AND s.paused) THEN s.paused_by
                                      ELSE $6 END,
                     paused = COALESCE($4, s.paused),
                     schedule = COALESCE($2, s.schedule),
                     tz = COALESCE($3, s.tz),
                     overridden = s.overridden OR $2 IS NOT NULL,
                     version = EXCLUDED.version",
            )
            .bind(job)
            .bind(schedule.map(|s| s.expr.as_str()))
            .bind(schedule.map(|s| s.tz.as_str()))
            .bind(paused)
            .bind(pause.map(|pause| pause.at))
            .bind(pause.map(|pause| pause.by.as_str()))
            .execute(&self.pool)
            .await?;
            Ok(())
        })
    }

    fn record<'a>(&'a self, runs: &'a [RunRecord]) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let columns: Vec<RunColumns<'_>> = runs.iter().map(RunColumns::of).collect();
            sqlx::query(
                "INSERT INTO jobs_runs (job, run_id, job_id, scheduled_at, started_at, finished_at,
                     attempts, outcome, error, lateness_us, permanent, payload, owner, recorded_at)
                 SELECT r.*, $13, $14 FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::BIGINT[],
                     $4::TIMESTAMPTZ[], $5::TIMESTAMPTZ[], $6::TIMESTAMPTZ[], $7::INTEGER[],
                     $8::TEXT[], $9::TEXT[], $10::BIGINT[], $11::BOOLEAN[], $12::TEXT[]) AS r",
            )
            .bind(columns.iter().map(|run| run.job).collect::<Vec<_>>())
            .bind(columns.iter().map(|run| run.run_id).collect::<Vec<_>>())
            .bind(columns.iter().map(|run| run.job_id).collect::<Vec<_>>())
            .bind(runs.iter().map(|run| run.scheduled_at).collect::<Vec<_>>())
            .bind(runs.iter().map(|run| run.started_at).collect::<Vec<_>>())
            .bind(runs.iter().map(|run| run.finished_at).collect::<Vec<_>>())
            .bind(columns.iter().map(|run| run.attempts).collect::<Vec<_>>())
            .bind(
                columns
                    .iter()
                    .map(|run| run.outcome.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(columns.iter().map(|run| run.error).collect::<Vec<_>>())
            .bind(
                columns
                    .iter()
                    .map(|run| run.lateness_us)
                    .collect::<Vec<_>>(),
            )
            .bind(columns.iter().map(|run| run.permanent).collect::<Vec<_>>())
            .bind(columns.iter().map(|run| run.payload).collect::<Vec<_>>())
            .bind(&*self.owner)
            .bind(Utc::now())
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
                 FROM jobs_runs WHERE job = $1 AND ($3::TIMESTAMPTZ IS NULL OR scheduled_at < $3)
                 ORDER BY scheduled_at DESC, id DESC LIMIT $2",
            )
            .bind(job)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .bind(before)
            .fetch_all(&self.pool)
            .await?;
            let name = self.jobs.intern(job);
            let mut runs = Vec::with_capacity(rows.len());
            for row in rows.iter().rev() {
                let outcome: String = row.try_get(6)?;
                runs.extend(run_record(
                    Arc::clone(&name),
                    (row.try_get(0)?, row.try_get(1)?),
                    (row.try_get(2)?, row.try_get(3)?, row.try_get(4)?),
                    row.try_get::<i32, _>(5)?.into(),
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
                "DELETE FROM jobs_runs WHERE id IN
                     (SELECT id FROM jobs_runs WHERE recorded_at < $1 LIMIT 5000)",
                "DELETE FROM jobs_jobs WHERE id IN
                     (SELECT id FROM jobs_jobs WHERE finished_at < $1 LIMIT 5000)",
                "DELETE FROM jobs_ticks WHERE ctid = ANY(ARRAY(
                     SELECT ctid FROM jobs_ticks WHERE finished_at < $1 LIMIT 5000))",
            ] {
                loop {
                    let deleted = sqlx::query(statement)
                        .bind(before)
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

    fn transactional(&self) -> bool {
        true
    }

    fn announces(&self) -> bool {
        true
    }

    fn announce(&self, queues: Vec<Arc<str>>) -> StoreFuture<'_, Vec<()>> {
        Box::pin(async move {
            let names: Vec<&str> = queues.iter().map(AsRef::as_ref).collect();
            sqlx::query(
                "SELECT pg_notify('jobs_enqueued', queue) FROM UNNEST($1::TEXT[]) AS queue",
            )
            .bind(&names)
            .execute(&self.pool)
            .await?;
            Ok(vec![(); queues.len()])
        })
    }
}

/// Listens for the queues that enqueues announce (`Dialect::announce`), from a
/// connection of its own. The listener reconnects by itself when the connection drops; what is
/// announced meanwhile is found by the poll.
async fn listen(pool: &PgPool) -> Result<mpsc::UnboundedReceiver<Arc<str>>, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen("jobs_enqueued").await?;
    let (announce, announced) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match listener.recv().await {
                Ok(notification) => {
                    if announce.send(Arc::from(notification.payload())).is_err() {
                        // The store is gone.
                        break;
                    }
                }
                Err(error) => {
                    tracing::debug!(%error, "listening for enqueued jobs failed; reconnecting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    Ok(announced)
}

/// The ends of jobs as the arrays a statement unnests: ids, states, errors, next instants.
type CompletionColumns<'a> = (
    Vec<i64>,
    Vec<&'static str>,
    Vec<Option<&'a str>>,
    Vec<Option<DateTime<Utc>>>,
);

fn completion_columns(
    completed: &[(JobId, Completion)],
    now: DateTime<Utc>,
) -> CompletionColumns<'_> {
    let mut columns: CompletionColumns<'_> = Default::default();
    for (id, completion) in completed {
        let (state, error, run_at) = completion_row(completion, now);
        columns.0.push(db_id(*id));
        columns.1.push(state);
        columns.2.push(error);
        columns.3.push(run_at);
    }
    columns
}

/// Stores one job, unless its unique key is held: then answers the holder's id.
pub(super) async fn insert(
    connection: &mut PgConnection,
    job: &NewJob,
) -> Result<Enqueued, StoreError> {
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
        .bind(job.run_at)
        .bind(job.enqueued_at)
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

/// Applies the migrations this database lacks, one transaction each, under an advisory lock so
/// that processes starting together migrate once.
async fn migrate(pool: &PgPool) -> Result<(), Error> {
    let failed = |error: sqlx::Error| Error::Database {
        reason: format!("migrating the job store's schema: {error}"),
    };
    let mut connection = pool.acquire().await.map_err(failed)?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *connection)
        .await
        .map_err(failed)?;
    let result = async {
        // `IF NOT EXISTS` would otherwise log a notice at every start.
        sqlx::raw_sql("SET client_min_messages TO warning")
            .execute(&mut *connection)
            .await
            .map_err(failed)?;
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS jobs_schema (
                 version    BIGINT PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
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
            let mut transaction = connection.begin().await.map_err(failed)?;
            sqlx::raw_sql(script)
                .execute(&mut *transaction)
                .await
                .map_err(failed)?;
            sqlx::query("INSERT INTO jobs_schema (version) VALUES ($1)")
                .bind(version)
                .execute(&mut *transaction)
                .await
                .map_err(failed)?;
            transaction.commit().await.map_err(failed)?;
            tracing::info!(version, "job store schema migrated");
        }
        Ok(())
    }
    .await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *connection)
        .await;
    if unlocked.is_err() {
        // The lock dies with the session: close it rather than return it to the pool.
        connection.detach();
    }
    result
}
