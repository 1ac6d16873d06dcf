//! Enqueueing an on-demand job: the options behind the generated `my_job::options()`, the JSON
//! payload written at enqueue and read at each attempt, and the process-wide list of running
//! runtimes that `my_job::enqueue(…)` finds its runtime in.

use crate::private::{BoxError, Payload};
use crate::queue::{Listed, Queue, Queues};
use crate::runtime::{Handle, Shared};
use crate::store::{Enqueued, NewJob, PendingJob, Transactional};
use crate::{Error, JobContext, JobId, Permanent};
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// When an enqueued job becomes due.
#[derive(Clone, Copy, Debug)]
pub(crate) enum When {
    Now,
    Delay(Duration),
    At(DateTime<Utc>),
}

/// The options of one enqueue, as `my_job::options()` collects them.
pub struct Enqueue {
    job: Cow<'static, str>,
    runtime: Option<Arc<Shared>>,
    when: When,
    priority: Option<i16>,
    unique: Option<String>,
}

impl Enqueue {
    /// Options for job `job` (its full name): due now, the job's own priority, no unique key.
    #[must_use]
    pub fn new(job: &'static str) -> Self {
        Self::named(Cow::Borrowed(job))
    }

    /// [`Enqueue::new`] for a job whose function has a raw name (`async fn r#type`): the
    /// generated module reads the name from `module_path!()`, which keeps the `r#` that the
    /// registration drops.
    #[must_use]
    pub fn unraw(job: &'static str) -> Self {
        let job = match job.rsplit_once("::r#") {
            Some((parent, last)) => Cow::Owned(format!("{parent}::{last}")),
            None => Cow::Borrowed(job),
        };
        Self::named(job)
    }

    fn named(job: Cow<'static, str>) -> Self {
        Self {
            job,
            runtime: None,
            when: When::Now,
            priority: None,
            unique: None,
        }
    }

    /// Due `delay` from now; replaces an earlier `at`.
    #[must_use]
    pub fn delay(mut self, delay: Duration) -> Self {
        self.when = When::Delay(delay);
        self
    }

    /// Due at `at` (now, if it is past); replaces an earlier `delay`.
    #[must_use]
    pub fn at(mut self, at: DateTime<Utc>) -> Self {
        self.when = When::At(at);
        self
    }

    /// Instead of the job's own priority.
    #[must_use]
    pub fn priority(mut self, priority: i16) -> Self {
        self.priority = Some(priority);
        self
    }

    /// While a job with this key waits or runs, enqueueing returns its id instead.
    #[must_use]
    pub fn unique(mut self, key: String) -> Self {
        self.unique = Some(key);
        self
    }

    /// Into this runtime rather than the one running runtime of the process.
    #[must_use]
    pub fn handle(mut self, handle: &Handle) -> Self {
        self.runtime = Some(Arc::clone(&handle.shared));
        self
    }

    /// Stores the job in its runtime: the one given to `handle`, or else the one running
    /// runtime of this process that runs the job.
    pub async fn enqueue(self, payload: PayloadWriter) -> Result<JobId, Error> {
        let payload = payload.finish().map_err(|error| self.unwritable(&error))?;
        let runtime = self.runtime()?;
        runtime
            .enqueue(&self.job, payload, self.when, self.priority, self.unique)
            .await
    }

    /// Stores the job through `connection`, inside the transaction the caller has open on it:
    /// it exists if and only if that transaction commits. The job's runtime must use the same
    /// PostgreSQL database as its store; its workers hear of the job when the transaction
    /// commits.
    pub async fn enqueue_in<'c, C: Transactional<'c>>(
        self,
        connection: C,
        payload: PayloadWriter,
    ) -> Result<JobId, Error> {
        let payload = payload.finish().map_err(|error| self.unwritable(&error))?;
        let runtime = self.runtime()?;
        if !runtime.store.transactional() {
            return Err(Error::NotTransactional {
                job: self.job.to_string(),
            });
        }
        let (new, _) = runtime.new_job(
            &self.job,
            payload.into(),
            self.when,
            self.priority,
            self.unique,
        )?;
        connection.insert(PendingJob(new)).await
    }

    /// The runtime given to `handle`, or else the one running runtime of this process that
    /// runs the job.
    fn runtime(&self) -> Result<Arc<Shared>, Error> {
        match &self.runtime {
            Some(runtime) => Ok(Arc::clone(runtime)),
            None => running_for(&self.job),
        }
    }

    fn unwritable(&self, error: &serde_json::Error) -> Error {
        Error::Payload {
            job: self.job.to_string(),
            reason: error.to_string(),
        }
    }

    /// Stores one job per payload, all or none, as [`Enqueue::enqueue`] stores one.
    pub async fn enqueue_many(self, payloads: Vec<PayloadWriter>) -> Result<Vec<JobId>, Error> {
        let payloads = payloads
            .into_iter()
            .map(PayloadWriter::finish)
            .collect::<Result<Vec<String>, _>>()
            .map_err(|error| self.unwritable(&error))?;
        let runtime = self.runtime()?;
        runtime
            .enqueue_many(&self.job, payloads, self.when, self.priority, self.unique)
            .await
    }
}

impl std::fmt::Debug for Enqueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enqueue")
            .field("job", &self.job)
            .field("handle", &self.runtime.is_some())
            .field("when", &self.when)
            .field("priority", &self.priority)
            .field("unique", &self.unique)
            .finish()
    }
}

/// Writes a payload: a JSON object with one member per payload parameter, so that a stored job
/// reads as `{"to":"a@b.c","body":"hi"}` in history and in a database.
#[derive(Debug)]
pub struct PayloadWriter {
    json: Vec<u8>,
    error: Option<serde_json::Error>,
}

impl PayloadWriter {
    /// An empty object.
    #[must_use]
    pub fn new() -> Self {
        let mut json = Vec::with_capacity(64);
        json.push(b'{');
        Self { json, error: None }
    }

    /// Adds parameter `name`; the first error is kept for [`PayloadWriter::finish`].
    pub fn field<T>(&mut self, codec: Codec<T>, name: &str, value: &T) {
        if self.error.is_some() {
            return;
        }
        if self.json.len() > 1 {
            self.json.push(b',');
        }
        // Parameter names are Rust identifiers: nothing in them needs escaping.
        self.json.push(b'"');
        self.json.extend_from_slice(name.as_bytes());
        self.json.extend_from_slice(b"\":");
        if let Err(error) = (codec.write)(&mut self.json, value) {
            self.error = Some(error);
        }
    }

    fn finish(mut self) -> Result<String, serde_json::Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        self.json.push(b'}');
        // serde_json writes UTF-8 only; the check is a formality that cannot fail.
        String::from_utf8(self.json)
            .map_err(|error| serde::ser::Error::custom(format!("payload is not UTF-8: {error}")))
    }
}

impl Default for PayloadWriter {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads a payload back, parameter by parameter, at each attempt.
#[derive(Debug)]
pub struct PayloadReader {
    fields: serde_json::Map<String, serde_json::Value>,
}

impl PayloadReader {
    /// The payload of the run `context` belongs to.
    ///
    /// A payload that does not read (the job's parameters changed since it was stored) fails the
    /// job permanently: no retry can make it read.
    pub fn read(context: &JobContext) -> Result<Self, BoxError> {
        let Some(payload) = context.payload() else {
            return Err(Box::new(Permanent::new(format!(
                "job `{}` takes a payload and was not enqueued with one: enqueue it with `{}::enqueue(…)`",
                context.name(),
                context.name().rsplit("::").next().unwrap_or_default(),
            ))));
        };
        serde_json::from_str(payload)
            .map(|fields| Self { fields })
            .map_err(|error| unreadable(context, &format!("not a JSON object: {error}")))
    }

    /// Parameter `name`. A missing member reads as `null`, so an `Option` parameter added since
    /// the job was stored reads as `None`.
    pub fn field<T>(
        &mut self,
        codec: Codec<T>,
        name: &str,
        context: &JobContext,
    ) -> Result<T, BoxError> {
        let value = self.fields.remove(name).unwrap_or_default();
        (codec.read)(value)
            .map_err(|error| unreadable(context, &format!("parameter `{name}`: {error}")))
    }
}

/// How one payload parameter's type is written and read.
///
/// Made by [`codec`], the one place that requires [`Payload`]: the writer and the reader take a
/// codec rather than a bound of their own, so a type that is not a payload is one error on the
/// parameter, not one per use.
pub struct Codec<T> {
    write: fn(&mut Vec<u8>, &T) -> Result<(), serde_json::Error>,
    read: fn(serde_json::Value) -> Result<T, serde_json::Error>,
}

impl<T> Clone for Codec<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Codec<T> {}

/// The codec of payload type `T`.
#[must_use]
pub fn codec<T: Payload>() -> Codec<T> {
    Codec {
        write: |json, value| serde_json::to_writer(json, value),
        read: serde_json::from_value,
    }
}

fn unreadable(context: &JobContext, reason: &str) -> BoxError {
    Box::new(Permanent::new(format!(
        "the stored payload no longer matches the parameters of `{}`: {reason}",
        context.name()
    )))
}

impl Shared {
    /// Whether this runtime runs `job` (its full name) and still takes jobs.
    pub(crate) fn runs(&self, job: &str) -> bool {
        !self.closed() && self.catalog(job).is_some()
    }

    /// Whether the runtime has begun to shut down, or its scheduler is gone (with the tokio
    /// runtime it ran on).
    pub(crate) fn closed(&self) -> bool {
        self.stopping.load(Ordering::Acquire) || self.events.is_closed()
    }

    /// Stores an enqueued job and wakes its queue, or arms the timer for its instant.
    pub(crate) async fn enqueue(
        self: &Arc<Self>,
        job: &str,
        payload: String,
        when: When,
        priority: Option<i16>,
        unique: Option<String>,
    ) -> Result<JobId, Error> {
        let (new, queue) = self.new_job(job, payload.into(), when, priority, unique)?;
        let (run_at, now) = (new.run_at, new.enqueued_at);
        match self.store.enqueue(new).await? {
            Enqueued::New(id) => {
                self.enqueued(&queue, run_at, now);
                Ok(id)
            }
            Enqueued::Existing(id) => Ok(id),
        }
    }

    /// Stores one enqueued job per payload, all or none, then wakes their queue once.
    pub(crate) async fn enqueue_many(
        self: &Arc<Self>,
        job: &str,
        payloads: Vec<String>,
        when: When,
        priority: Option<i16>,
        unique: Option<String>,
    ) -> Result<Vec<JobId>, Error> {
        let (template, queue) = self.new_job(job, Arc::from(""), when, priority, unique)?;
        let (run_at, now) = (template.run_at, template.enqueued_at);
        let jobs = payloads
            .into_iter()
            .map(|payload| NewJob {
                id: JobId(self.next_run_id().0),
                payload: payload.into(),
                ..template.clone()
            })
            .collect();
        let stored = self.store.enqueue_many(jobs).await?;
        if stored
            .iter()
            .any(|stored| matches!(stored, Enqueued::New(_)))
        {
            self.enqueued(&queue, run_at, now);
        }
        Ok(stored
            .into_iter()
            .map(|(Enqueued::New(id) | Enqueued::Existing(id))| id)
            .collect())
    }

    /// A job of `job` as enqueue stores it, with its queue.
    fn new_job(
        &self,
        job: &str,
        payload: Arc<str>,
        when: When,
        priority: Option<i16>,
        unique: Option<String>,
    ) -> Result<(NewJob, Arc<Queue>), Error> {
        if self.closed() {
            return Err(Error::ShutDown);
        }
        // Only what the job needs, not the whole entry: every enqueue passes here, and each
        // reference count taken is a cache line that producers on other cores contend for.
        let (name, queue, default_priority) = {
            let catalog = self.catalog.read().unwrap_or_else(PoisonError::into_inner);
            let Some(Listed { spec, queue, .. }) = catalog.get(job) else {
                return Err(Error::NotInRuntime {
                    job: job.to_owned(),
                });
            };
            (
                Arc::clone(&spec.name),
                Arc::clone(queue),
                spec.options.priority,
            )
        };
        let now = self.clock.now();
        // An instant in the past is now: the job is due, and not late for what came before.
        let run_at = match when {
            When::Now => now,
            When::Delay(delay) => now + delay,
            When::At(at) => at.max(now),
        };
        let new = NewJob {
            id: JobId(self.next_run_id().0),
            job: name,
            queue: Arc::clone(queue.name()),
            priority: priority.unwrap_or(default_priority),
            payload,
            run_at,
            enqueued_at: now,
            unique,
        };
        Ok((new, queue))
    }

    /// New jobs of `queue` are stored: wakes its workers, or arms the timer for their instant.
    fn enqueued(self: &Arc<Self>, queue: &Arc<Queue>, run_at: DateTime<Utc>, now: DateTime<Utc>) {
        if run_at > now {
            self.wake_queue_at(queue.name(), run_at);
        } else {
            Queues::wake(self, queue);
        }
    }
}

/// The runtimes of this process that have started and not yet shut down.
static RUNNING: Mutex<Vec<Arc<Shared>>> = Mutex::new(Vec::new());

pub(crate) fn register(shared: &Arc<Shared>) {
    let mut running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
    running.retain(|other| !other.closed());
    running.push(Arc::clone(shared));
}

pub(crate) fn unregister(shared: &Arc<Shared>) {
    let mut running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
    running.retain(|other| !Arc::ptr_eq(other, shared) && !other.closed());
}

/// The one running runtime that runs `job`.
fn running_for(job: &str) -> Result<Arc<Shared>, Error> {
    let running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
    let live: Vec<&Arc<Shared>> = running.iter().filter(|shared| !shared.closed()).collect();
    let mut runs = live.iter().filter(|shared| shared.runs(job));
    match (runs.next(), runs.next()) {
        (Some(shared), None) => Ok(Arc::clone(shared)),
        (Some(_), Some(_)) => Err(Error::SeveralRuntimes {
            job: job.to_owned(),
        }),
        (None, _) if live.is_empty() => Err(Error::NotRunning {
            job: job.to_owned(),
        }),
        (None, _) => Err(Error::NotInRuntime {
            job: job.to_owned(),
        }),
    }
}
