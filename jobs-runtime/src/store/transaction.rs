//! Enqueueing inside the caller's own database transaction: the job exists if and only if the
//! transaction commits.

use super::NewJob;
use crate::{Error, JobId};
use std::future::Future;
use std::pin::Pin;

/// A database connection that a job can be enqueued in, inside whatever transaction it has
/// open: with the `postgres` feature, `&mut sqlx::PgConnection`, which a `sqlx::Transaction`
/// gives as `&mut *tx`.
///
/// # Examples
///
/// ```no_run
/// # #[cfg(feature = "postgres")]
/// # async fn example(pool: sqlx::PgPool) -> Result<(), Box<dyn std::error::Error>> {
/// #[jobs_runtime::job(queue = "email")]
/// async fn send_welcome(user_id: i64) {}
///
/// let mut tx = pool.begin().await?;
/// let user_id: i64 = sqlx::query_scalar("INSERT INTO users (email) VALUES ($1) RETURNING id")
///     .bind("ada@example.com")
///     .fetch_one(&mut *tx)
///     .await?;
/// // Stored by the same transaction: no welcome for a user whose insert rolls back, and no
/// // user without one.
/// send_welcome::options().enqueue_in(&mut *tx, user_id).await?;
/// tx.commit().await?;
/// # Ok(()) }
/// ```
#[diagnostic::on_unimplemented(
    message = "a job is enqueued in a transaction through `&mut sqlx::PgConnection`, with jobs-runtime's `postgres` feature",
    label = "not a PostgreSQL connection",
    note = "for a `sqlx::Transaction` named `tx`, pass `&mut *tx`"
)]
pub trait Transactional<'c>: Send {
    #[doc(hidden)]
    fn insert(self, job: PendingJob) -> InsertFuture<'c>;
}

/// A job as an enqueue in a transaction stores it; not for use outside the runtime.
#[doc(hidden)]
#[derive(Debug)]
pub struct PendingJob(
    #[cfg_attr(
        not(feature = "postgres"),
        allow(dead_code, reason = "only a PostgreSQL connection takes the job")
    )]
    pub(crate) NewJob,
);

#[doc(hidden)]
pub type InsertFuture<'c> = Pin<Box<dyn Future<Output = Result<JobId, Error>> + Send + 'c>>;

#[cfg(feature = "postgres")]
impl<'c> Transactional<'c> for &'c mut sqlx::PgConnection {
    fn insert(self, job: PendingJob) -> InsertFuture<'c> {
        Box::pin(async move {
            match super::postgres::insert(&mut *self, &job.0).await? {
                super::Enqueued::New(id) => {
                    // Delivered when the transaction commits, and only if it does.
                    sqlx::query("SELECT pg_notify('jobs_enqueued', $1)")
                        .bind(&*job.0.queue)
                        .execute(self)
                        .await
                        .map_err(super::StoreError::from)?;
                    Ok(id)
                }
                super::Enqueued::Existing(id) => Ok(id),
            }
        })
    }
}
