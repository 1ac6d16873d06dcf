//! Not public API: the contract between the code that `#[job]` generates and this runtime.
//!
//! Everything here may change in any release; the macro and the runtime are released together
//! and the runtime pins the macro to its exact version.
#![allow(
    missing_docs,
    reason = "not public API: the fields are described on their types"
)]

use std::future::Future;
use std::pin::Pin;

pub use crate::context::{JobContext, States};
pub use crate::enqueue::{codec, Codec, Enqueue, PayloadReader, PayloadWriter};
pub use crate::failure::Failure;
pub use crate::job::{CatchUp, Overlap};
pub use crate::runtime::Handle;
pub use crate::store::{InsertFuture, JobId, PendingJob, Transactional};
pub use crate::Error;
pub use chrono::{DateTime, Utc};
pub use inventory;
pub use std::string::String;
pub use std::vec::Vec;

/// The error a job's attempt failed with, once converted from the user's error type.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// One attempt of a job, boxed so that every job has the same function-pointer type.
pub type JobFuture = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'static>>;

/// One job as `#[job]` registers it: constant data only, read when the runtime starts.
#[derive(Debug)]
pub struct JobDef {
    /// `module_path!()::fn_name`, or the `name` argument.
    pub name: &'static str,
    pub schedule: ScheduleDef,
    pub retries: u32,
    pub backoff_ms: u64,
    pub backoff_max_ms: u64,
    pub timeout_ms: Option<u64>,
    pub jitter_ms: Option<u64>,
    pub overlap: Overlap,
    pub catch_up: CatchUp,
    /// `None`: one tick period of the schedule, at most an hour.
    pub catch_up_window_ms: Option<u64>,
    pub queue: &'static str,
    pub priority: i16,
    /// The names of the payload parameters, in order; empty for a job without payload.
    pub payload: &'static [&'static str],
    /// Called after the final failed attempt.
    pub on_failure: Option<fn(Failure) -> JobFuture>,
    /// Whether every `State<T>` the job takes was given to the builder; `Err` names the type.
    pub check: fn(&States) -> Result<(), &'static str>,
    /// Extracts the parameters and calls the user's function.
    pub run: fn(JobContext) -> JobFuture,
    pub file: &'static str,
    pub line: u32,
    pub column: u32,
}

/// The schedule of a [`JobDef`], as validated at compile time.
#[derive(Debug, Clone, Copy)]
pub enum ScheduleDef {
    /// No `cron` and no `every`: runs when triggered.
    OnDemand,
    /// `cron = "…"` read in `tz` (an IANA name, `"UTC"` by default).
    Cron {
        expr: &'static str,
        tz: &'static str,
    },
    /// `every = "…"`, in milliseconds.
    Every { millis: u64 },
}

inventory::collect!(JobDef);

/// A parameter of a `#[job]` function that the runtime supplies.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of a `#[job]` function",
    label = "not a job extractor",
    note = "a job takes `JobContext` and `State<T>` parameters, in any order, and an on-demand job its payload parameters besides"
)]
pub trait Extract: Sized + Send + 'static {
    /// `Err(type name)` when the runtime was not given what this parameter needs.
    fn check(states: &States) -> Result<(), &'static str>;
    /// Called only after [`Extract::check`] succeeded for the same states.
    fn extract(context: &JobContext) -> Self;
}

/// What a `#[job]` function may return.
#[diagnostic::on_unimplemented(
    message = "`#[job]` functions must return `()` or `Result<(), E>`, not `{Self}`",
    label = "unsupported return type",
    note = "`E` must convert into `Box<dyn std::error::Error + Send + Sync>`, as `anyhow::Error` and every `std::error::Error + Send + Sync` type do"
)]
pub trait IntoJobResult {
    /// The outcome of one attempt.
    fn into_job_result(self) -> Result<(), BoxError>;
}

impl IntoJobResult for () {
    fn into_job_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<E: Into<BoxError>> IntoJobResult for Result<(), E> {
    fn into_job_result(self) -> Result<(), BoxError> {
        self.map_err(Into::into)
    }
}

/// Boxes an attempt; the `Send` bound here is where a non-`Send` job future is reported.
pub fn job_future<F>(future: F) -> JobFuture
where
    F: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    Box::pin(future)
}

/// A payload parameter of an on-demand job: stored as JSON between enqueue and each attempt.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a payload parameter of an on-demand `#[job]`",
    label = "not a serde payload",
    note = "payload parameters are stored as JSON between enqueue and run: derive `serde::Serialize` and `serde::Deserialize` for it, and take it by value (`String`, not `&str`)"
)]
pub trait Payload: serde::Serialize + serde::de::DeserializeOwned + Send + 'static {}

impl<T: serde::Serialize + serde::de::DeserializeOwned + Send + 'static> Payload for T {}

/// An attempt that fails at once with `error`: a payload that does not read.
#[must_use]
pub fn failed(error: BoxError) -> JobFuture {
    Box::pin(async move { Err(error) })
}
