//! The routes: each reads through a [`Handle`] (or the store, for paged history) or acts
//! through the same [`Handle`] method a program would call, and answers JSON.

use super::auth::Authorized;
use super::explain;
use super::views::{EnqueuedView, JobView, Jobs, QueueView, Queues, RunView, Runs, ScheduleView};
use crate::enqueue::When;
use crate::reconcile::Reconciliation;
use crate::{Error, Handle, JobId, Schedule};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// What every route shares.
pub(super) struct Api {
    handle: Handle,
}

impl Api {
    pub(super) fn token(&self) -> Option<&str> {
        self.handle.shared.dashboard_token.as_deref()
    }
}

/// The dashboard of the runtime `handle` controls, to mount in an axum app: its page at `/`, its
/// JSON API under `/api`. Actions need the token of
/// [`Builder::dashboard_token`](crate::Builder::dashboard_token) (or `JOBS_DASHBOARD_TOKEN`).
///
/// # Examples
///
/// ```no_run
/// use jobs_runtime::Runtime;
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let handle = Runtime::builder().dashboard_token("a long random string").build()?.start().await?;
/// let app = axum::Router::new().nest("/jobs", jobs_runtime::dashboard::router(handle.clone()));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app).await?;
/// # Ok(()) }
/// ```
pub fn router(handle: Handle) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/assets/app.js", get(script))
        .route("/assets/app.css", get(style))
        .route("/api/jobs", get(jobs))
        .route("/api/jobs/{name}/runs", get(runs))
        .route("/api/jobs/{name}/explain", get(explain))
        .route("/api/jobs/{name}/trigger", post(trigger))
        .route("/api/jobs/{name}/pause", post(pause))
        .route("/api/jobs/{name}/resume", post(resume))
        .route("/api/jobs/{name}/schedule", put(reschedule))
        .route("/api/queues", get(queues))
        .route("/api/runs/{id}", get(run))
        .route("/api/runs/{id}/retry", post(retry))
        .route("/api/runs/{id}/cancel", post(cancel))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such dashboard route") })
        .with_state(Arc::new(Api { handle }))
}

/// An answer other than success: the status, and the same text the library's error gives.
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub(super) fn unauthorized(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let status = match &error {
            Error::UnknownJob(_) | Error::UnknownJobId(_) | Error::UnknownRun(_) => {
                StatusCode::NOT_FOUND
            }
            Error::AlreadyFinished { .. } => StatusCode::CONFLICT,
            Error::ShutDown | Error::Full { .. } | Error::Database { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(status, error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "error": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

type Answer<T> = Result<Json<T>, ApiError>;

async fn page() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("page/index.html"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("page/app.js"),
    )
}

async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("page/app.css"),
    )
}

async fn jobs(State(api): State<Arc<Api>>) -> Answer<Jobs> {
    let report = api.handle.reconciliation();
    let mut jobs: Vec<JobView> = api
        .handle
        .jobs()
        .await?
        .iter()
        .map(|status| {
            let last = api.handle.shared.history.last_of(&status.name);
            let reported = report.iter().find(|entry| *entry.name == *status.name);
            JobView::new(status, last.as_ref(), reported)
        })
        .collect();
    jobs.extend(
        report
            .iter()
            .filter(|entry| entry.reconciliation == Reconciliation::StoredOnly)
            .map(JobView::stored_only),
    );
    Ok(Json(Jobs { jobs }))
}

/// The view of one job, as the actions on it answer.
async fn job(api: &Api, name: &str) -> Result<Json<JobView>, ApiError> {
    let full = api.handle.shared.full_name(name)?;
    let status = api
        .handle
        .jobs()
        .await?
        .into_iter()
        .find(|status| *status.name == *full)
        .ok_or(Error::UnknownJob(full))?;
    let last = api.handle.shared.history.last_of(&status.name);
    let report = api.handle.reconciliation();
    let reported = report.iter().find(|entry| *entry.name == *status.name);
    Ok(Json(JobView::new(&status, last.as_ref(), reported)))
}

/// The most records one page holds.
const PAGE_LIMIT: usize = 500;

#[derive(Deserialize)]
struct Page {
    limit: Option<usize>,
    before: Option<DateTime<Utc>>,
}

async fn runs(
    State(api): State<Arc<Api>>,
    Path(name): Path<String>,
    page: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Answer<Runs> {
    let Query(page) = page.map_err(|rejection| {
        ApiError::bad_request(format!(
            "{}; expected `?limit=50&before=2026-12-01T09:30:00Z`",
            rejection.body_text()
        ))
    })?;
    let limit = page.limit.unwrap_or(50).clamp(1, PAGE_LIMIT);
    let full = api.handle.shared.full_name(&name)?;
    // A durable store holds every process's runs; the memory store, this process's.
    let mut records = if api.handle.shared.store.durable() {
        api.handle
            .shared
            .store
            .runs(&full, limit, page.before)
            .await
            .map_err(Error::from)?
    } else {
        let mut records = api.handle.history(&full);
        records.retain(|record| {
            page.before
                .is_none_or(|before| record.scheduled_at < before)
        });
        records.drain(..records.len().saturating_sub(limit));
        records
    };
    records.reverse();
    let next_before = (records.len() == limit)
        .then(|| records.last().map(|record| record.scheduled_at))
        .flatten();
    // The first page starts with the runs still running here, newest first.
    let mut runs = Vec::new();
    if page.before.is_none() {
        let jobs = api.handle.jobs().await?;
        if let Some(status) = jobs.iter().find(|status| *status.name == *full) {
            let mut running = status.running_runs.clone();
            running.sort_by_key(|&(_, scheduled_at)| std::cmp::Reverse(scheduled_at));
            runs.extend(
                running
                    .into_iter()
                    .map(|(id, scheduled_at)| RunView::running(&full, id, scheduled_at)),
            );
        }
    }
    runs.extend(records.iter().map(RunView::new));
    Ok(Json(Runs { runs, next_before }))
}

#[derive(Deserialize)]
struct At {
    at: Option<String>,
}

async fn explain(
    State(api): State<Arc<Api>>,
    Path(name): Path<String>,
    Query(at): Query<At>,
) -> Answer<explain::Explained> {
    let Some(text) = at.at else {
        return Err(ApiError::bad_request(
            "`at` is missing: ask `?at=2026-12-05T09:30:00+01:00` (an RFC 3339 instant)",
        ));
    };
    // An unencoded `+01:00` arrives as ` 01:00`: a space is never part of an instant.
    let at = DateTime::parse_from_rfc3339(text.trim())
        .or_else(|error| {
            let repaired = text.trim().replace(' ', "+");
            DateTime::parse_from_rfc3339(&repaired).map_err(|_| error)
        })
        .map_err(|error| {
            ApiError::bad_request(format!(
                "`at` = `{text}` is not an RFC 3339 instant such as `2026-12-05T09:30:00+01:00`: {error}"
            ))
        })?
        .with_timezone(&Utc);
    Ok(Json(explain::explain(&api.handle, &name, at).await?))
}

/// Logs an action with its outcome, as every dashboard action is.
fn logged<T>(action: &str, target: &str, result: Result<T, Error>) -> Result<T, Error> {
    match &result {
        Ok(_) => tracing::info!(action, target, "dashboard action done"),
        Err(error) => tracing::warn!(action, target, %error, "dashboard action refused"),
    }
    result
}

async fn trigger(
    _: Authorized,
    State(api): State<Arc<Api>>,
    Path(name): Path<String>,
) -> Answer<Value> {
    let run = logged("trigger", &name, api.handle.trigger(&name).await)?;
    Ok(Json(json!({ "run_id": run.to_string() })))
}

async fn pause(
    _: Authorized,
    State(api): State<Arc<Api>>,
    Path(name): Path<String>,
) -> Answer<JobView> {
    let paused = api.handle.pause_by(&name, "through the dashboard").await;
    logged("pause", &name, paused)?;
    job(&api, &name).await
}

async fn resume(
    _: Authorized,
    State(api): State<Arc<Api>>,
    Path(name): Path<String>,
) -> Answer<JobView> {
    logged("resume", &name, api.handle.resume(&name).await)?;
    job(&api, &name).await
}

/// A new schedule: `{"cron": "30 9 * * Mon-Fri", "timezone": "Europe/Berlin"}` or
/// `{"every": "10s"}`. The names the job's view uses are understood too (`expression`, and
/// `every 10s` as an expression), as are `schedule`, `tz` and `interval`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSchedule {
    #[serde(alias = "expression", alias = "schedule")]
    cron: Option<String>,
    #[serde(alias = "tz", alias = "zone")]
    timezone: Option<String>,
    #[serde(alias = "interval")]
    every: Option<String>,
}

impl NewSchedule {
    /// The body of `PUT …/schedule`: that JSON whatever the content type says, or a bare
    /// expression as text (`curl -d '0 9 * * *'`).
    fn read(body: &[u8]) -> Result<Self, ApiError> {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        if text.starts_with('{') {
            return serde_json::from_str(text).map_err(|error| {
                ApiError::bad_request(format!(
                    "{error}; {}",
                    "expected {\"cron\": \"30 9 * * Mon-Fri\", \"timezone\": \"Europe/Berlin\"} or {\"every\": \"10s\"}"
                ))
            });
        }
        let text = serde_json::from_str::<String>(text).unwrap_or_else(|_| text.to_owned());
        Ok(Self {
            cron: Some(text),
            timezone: None,
            every: None,
        })
    }

    fn parse(mut self) -> Result<Schedule, ApiError> {
        let bad = |error: &dyn std::fmt::Display| ApiError::bad_request(error.to_string());
        // `every 10s`, as the job's view writes an interval.
        if let Some(every) = self
            .cron
            .as_deref()
            .and_then(|cron| cron.trim().strip_prefix("every "))
        {
            if self.every.is_none() {
                self.every = Some(every.to_owned());
                self.cron = None;
            }
        }
        match (self.cron, self.every, self.timezone) {
            (Some(cron), None, zone) => {
                let schedule = Schedule::parse(&cron).map_err(|error| bad(&error))?;
                match zone {
                    None => Ok(schedule),
                    Some(zone) => Ok(schedule.with_timezone(
                        jobs_schedule::parse_timezone(&zone).map_err(|error| bad(&error))?,
                    )),
                }
            }
            (None, Some(every), None) => {
                let interval = jobs_schedule::parse_duration(&every).map_err(|error| {
                    ApiError::bad_request(format!("invalid `every` \"{every}\": {}", error.reason()))
                })?;
                Schedule::every(interval).map_err(|error| bad(&error))
            }
            (None, Some(_), Some(_)) => Err(ApiError::bad_request(
                "`timezone` goes with `cron`: an interval runs the same in every zone",
            )),
            _ => Err(ApiError::bad_request(
                "expected {\"cron\": \"30 9 * * Mon-Fri\", \"timezone\": \"Europe/Berlin\"} or {\"every\": \"10s\"}",
            )),
        }
    }
}

async fn reschedule(
    _: Authorized,
    State(api): State<Arc<Api>>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Answer<JobView> {
    let schedule = NewSchedule::read(&body)
        .and_then(NewSchedule::parse)
        .inspect_err(|error| {
        tracing::warn!(action = "reschedule", target = %name, error = %error.message, "dashboard action refused");
    })?;
    let words = ScheduleView::new(&schedule).words;
    logged(
        "reschedule",
        &format!("{name} to {words}"),
        api.handle.reschedule(&name, schedule).await,
    )?;
    job(&api, &name).await
}

async fn queues(State(api): State<Arc<Api>>) -> Answer<Queues> {
    let shared = &api.handle.shared;
    let stats = shared
        .store
        .queues(shared.clock.now())
        .await
        .map_err(Error::from)?;
    let queues = stats
        .into_iter()
        .map(|stats| QueueView {
            limit: shared.queues.limit(&stats.queue),
            name: stats.queue.to_string(),
            pending: stats.pending,
            scheduled: stats.scheduled,
            running: stats.running,
            oldest_pending: stats.oldest_pending,
        })
        .collect();
    Ok(Json(Queues { queues }))
}

/// A run id as the API shows it: eight or more hexadecimal digits.
fn run_id(text: &str) -> Result<u64, ApiError> {
    u64::from_str_radix(text, 16).map_err(|_| {
        ApiError::bad_request(format!(
            "`{text}` is not a run id: expected hexadecimal digits such as `0000001a`"
        ))
    })
}

/// The record of run `id` in this process's history; an enqueued job's run id is its job id,
/// which also finds a job cancelled before it ran.
fn record(api: &Api, id: u64) -> Option<crate::RunRecord> {
    api.handle.all_history().into_iter().find(|record| {
        record.run_id.is_some_and(|run| run.0 == id) || record.job_id.is_some_and(|job| job.0 == id)
    })
}

async fn run(State(api): State<Arc<Api>>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = run_id(&id)?;
    if let Some(record) = record(&api, id) {
        return Ok(Json(RunView::new(&record)).into_response());
    }
    for status in api.handle.jobs().await? {
        if let Some(&(run, scheduled_at)) = status.running_runs.iter().find(|(run, _)| run.0 == id)
        {
            return Ok(Json(RunView::running(&status.name, run, scheduled_at)).into_response());
        }
    }
    // An enqueued job's run id is its job id: one that waits (or runs in another process)
    // has no record here yet.
    let state = api.handle.job_state(JobId(id)).await.map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no run {id:08x} in this process's history, and no enqueued job has that id"),
        )
    })?;
    Ok(Json(EnqueuedView::new(id, &state)).into_response())
}

async fn retry(
    _: Authorized,
    State(api): State<Arc<Api>>,
    Path(id): Path<String>,
) -> Answer<Value> {
    let id = run_id(&id)?;
    let record = record(&api, id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no run {id:08x} in this process's history"),
        )
    })?;
    let target = format!("run {id:08x} of {}", record.job);
    // An enqueued job runs again with its payload, as a new job; any other run, as a trigger.
    if let (Some(_), Some(payload)) = (record.job_id, &record.payload) {
        let enqueued = api
            .handle
            .shared
            .enqueue(&record.job, payload.to_string(), When::Now, None, None)
            .await;
        let job = logged("retry", &target, enqueued)?;
        return Ok(Json(json!({ "job_id": job.get() })));
    }
    let run = logged("retry", &target, api.handle.trigger(&record.job).await)?;
    Ok(Json(json!({ "run_id": run.to_string() })))
}

async fn cancel(
    _: Authorized,
    State(api): State<Arc<Api>>,
    Path(id): Path<String>,
) -> Answer<Value> {
    let id = run_id(&id)?;
    let target = format!("run {id:08x}");
    // A run of this process's scheduler (a tick, a trigger) is cancelled here; otherwise the id
    // is an enqueued job's (its run id is its job id), cancelled wherever it runs. The scheduler
    // is asked first: with a database, job ids are the database's and may equal a tick's run id.
    let reason = "cancelled through the dashboard while it ran";
    let cancelled = match api.handle.cancel_run_by(crate::RunId(id), reason).await {
        Err(Error::UnknownRun(run)) => {
            match api
                .handle
                .cancel_by(JobId(id), "through the dashboard")
                .await
            {
                Err(Error::UnknownJobId(job)) => {
                    let message = format!(
                        "{}; and {}",
                        Error::UnknownJobId(job),
                        Error::UnknownRun(run)
                    );
                    tracing::warn!(action = "cancel", target, error = %message, "dashboard action refused");
                    return Err(ApiError::new(StatusCode::NOT_FOUND, message));
                }
                other => other,
            }
        }
        other => other,
    };
    logged("cancel", &target, cancelled)?;
    Ok(Json(json!({ "cancelled": true })))
}
