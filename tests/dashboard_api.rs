//! The dashboard's JSON API, called through its axum router without a socket, on paused time:
//! every route, every action, the refusals of actions without the right token, and bad input
//! answered with the library's own error text.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use jobs_runtime::{Handle, Job, JobContext, Schedule};
use serde_json::{json, Value};
use std::time::Duration;
use tower::ServiceExt;

#[path = "support/api.rs"]
mod api;
mod support;
use api::call;

const TOKEN: &str = "s3cret-token";

/// A runtime at 2026-01-01T00:00:00Z (a Thursday): `beat` every 10 s, `slow` every 10 s for
/// 25 s (so it skips on overlap), `flaky` that always fails, `report` at 09:30 on weekdays in
/// Berlin, and `reindex`, on demand in queue `search`.
async fn start(token: Option<&str>) -> (Handle, Router) {
    let mut builder = support::simulated()
        .job(Job::new(
            "beat",
            Schedule::every(Duration::from_secs(10)).unwrap(),
            |_ctx: JobContext| async {},
        ))
        .job(Job::new(
            "slow",
            Schedule::every(Duration::from_secs(10)).unwrap(),
            |_ctx: JobContext| tokio::time::sleep(Duration::from_secs(25)),
        ))
        .job(
            Job::new(
                "flaky",
                Schedule::every(Duration::from_secs(60)).unwrap(),
                |_ctx: JobContext| async { Err::<(), _>("the disk is full") },
            )
            .retries(1)
            .backoff(Duration::from_secs(1)),
        )
        .job(Job::new(
            "report",
            Schedule::parse("30 9 * * Mon-Fri")
                .unwrap()
                .with_timezone("Europe/Berlin".parse().unwrap()),
            |_ctx: JobContext| async {},
        ))
        .job(
            Job::on_demand("reindex", |_ctx: JobContext| {
                tokio::time::sleep(Duration::from_secs(100))
            })
            .queue("search"),
        )
        .queue("search", 3);
    if let Some(token) = token {
        builder = builder.dashboard_token(token);
    }
    let handle = builder.build().unwrap().start().await.unwrap();
    let router = jobs_runtime::dashboard::router(handle.clone());
    (handle, router)
}

async fn get(router: &Router, uri: &str) -> Value {
    let (status, value) = call(router, Method::GET, uri, None, None).await;
    assert_eq!(status, StatusCode::OK, "GET {uri}: {value}");
    value
}

fn job<'a>(jobs: &'a Value, name: &str) -> &'a Value {
    jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|job| job["name"] == name)
        .unwrap_or_else(|| panic!("no job {name} in {jobs}"))
}

#[tokio::test(start_paused = true)]
async fn jobs_show_their_schedule_in_words_next_runs_and_last_outcome() {
    let (handle, router) = start(None).await;
    tokio::time::sleep(Duration::from_secs(15)).await;
    let jobs = get(&router, "/api/jobs").await;
    let report = job(&jobs, "report");
    assert_eq!(
        report["schedule"],
        json!({
            // As the runtime writes it, seconds first.
            "expression": "0 30 9 * * 1-5",
            "timezone": "Europe/Berlin",
            "words": "at 09:30, Monday through Friday, Europe/Berlin"
        })
    );
    // Thursday 1 January 2026, 08:30 UTC is 09:30 in Berlin; then Friday; then Monday.
    assert_eq!(
        report["next_runs"],
        json!([
            "2026-01-01T08:30:00Z",
            "2026-01-02T08:30:00Z",
            "2026-01-05T08:30:00Z",
            "2026-01-06T08:30:00Z",
            "2026-01-07T08:30:00Z"
        ])
    );
    assert_eq!(report["on_demand"], false);
    assert_eq!(report["last_outcome"], Value::Null);
    let beat = job(&jobs, "beat");
    assert_eq!(beat["schedule"]["timezone"], Value::Null);
    assert_eq!(beat["last_outcome"], "succeeded");
    assert_eq!(beat["last_run"]["scheduled_at"], "2026-01-01T00:00:10Z");
    assert_eq!(beat["next_runs"][0], "2026-01-01T00:00:20Z");
    let reindex = job(&jobs, "reindex");
    assert_eq!(reindex["on_demand"], true);
    assert_eq!(reindex["queue"], "search");
    assert_eq!(reindex["schedule"], Value::Null);
    assert_eq!(reindex["next_runs"], json!([]));
    assert_eq!(job(&jobs, "slow")["running"], 1);
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn runs_are_paged_newest_first_with_outcomes_errors_and_skips() {
    let (handle, router) = start(None).await;
    tokio::time::sleep(Duration::from_secs(66)).await;
    let slow = get(&router, "/api/jobs/slow/runs").await;
    let outcomes: Vec<(&str, &str)> = slow["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| {
            (
                run["scheduled_at"].as_str().unwrap(),
                run["skip_reason"]
                    .as_str()
                    .unwrap_or(run["outcome"].as_str().unwrap()),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("2026-01-01T00:01:00Z", "overlap"),
            ("2026-01-01T00:00:50Z", "overlap"),
            ("2026-01-01T00:00:40Z", "succeeded"),
            ("2026-01-01T00:00:30Z", "overlap"),
            ("2026-01-01T00:00:20Z", "overlap"),
            ("2026-01-01T00:00:10Z", "succeeded"),
        ]
    );
    let first = get(&router, "/api/jobs/slow/runs?limit=2").await;
    assert_eq!(first["runs"].as_array().unwrap().len(), 2);
    assert_eq!(first["next_before"], "2026-01-01T00:00:50Z");
    let second = get(
        &router,
        "/api/jobs/slow/runs?limit=2&before=2026-01-01T00:00:50Z",
    )
    .await;
    assert_eq!(second["runs"][0]["scheduled_at"], "2026-01-01T00:00:40Z");
    assert_eq!(second["runs"][0]["outcome"], "succeeded");
    assert!(second["runs"][0]["lateness_ms"].is_number());
    let flaky = get(&router, "/api/jobs/flaky/runs").await;
    let failed = &flaky["runs"][0];
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(failed["attempts"], 2);
    assert_eq!(failed["error"], "the disk is full");
    let id = failed["run_id"].as_str().unwrap();
    let run = get(&router, &format!("/api/runs/{id}")).await;
    assert_eq!(run, *failed);
    let (status, answer) = call(&router, Method::GET, "/api/runs/zz", None, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer["error"],
        "`zz` is not a run id: expected hexadecimal digits such as `0000001a`"
    );
    let (status, _) = call(&router, Method::GET, "/api/runs/ffffff", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, answer) = call(
        &router,
        Method::GET,
        "/api/jobs/slow/runs?before=yesterday",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn actions_need_the_token() {
    let (handle, router) = start(Some(TOKEN)).await;
    let actions = [
        (Method::POST, "/api/jobs/beat/trigger", None),
        (Method::POST, "/api/jobs/beat/pause", None),
        (Method::POST, "/api/jobs/beat/resume", None),
        (
            Method::PUT,
            "/api/jobs/beat/schedule",
            Some(json!({"every": "5s"})),
        ),
        (Method::POST, "/api/runs/00000001/retry", None),
        (Method::POST, "/api/runs/00000001/cancel", None),
    ];
    for (method, uri, body) in actions {
        let (status, answer) = call(&router, method.clone(), uri, None, body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri}: {answer}");
        assert_eq!(
            answer["error"],
            "this action needs the dashboard's token as `Authorization: Bearer <token>`"
        );
        let (status, answer) = call(&router, method.clone(), uri, Some("guess"), body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri}: {answer}");
        assert_eq!(
            answer["error"],
            "the bearer token does not match the dashboard's"
        );
    }
    // Nothing was done.
    let jobs = get(&router, "/api/jobs").await;
    assert_eq!(job(&jobs, "beat")["paused"], false);
    assert_eq!(job(&jobs, "beat")["schedule"]["expression"], "every 10s");
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn without_a_configured_token_every_action_is_forbidden_and_says_why() {
    let (handle, router) = start(None).await;
    let (status, answer) = call(
        &router,
        Method::POST,
        "/api/jobs/beat/pause",
        Some("anything"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .starts_with("actions are disabled: no dashboard token is configured"),
        "{answer}"
    );
    assert_eq!(
        job(&get(&router, "/api/jobs").await, "beat")["paused"],
        false
    );
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn pause_resume_trigger_and_reschedule_act_as_the_library_does() {
    let (handle, router) = start(Some(TOKEN)).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (status, paused) = call(
        &router,
        Method::POST,
        "/api/jobs/beat/pause",
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    assert_eq!(paused["paused"], true);
    assert_eq!(paused["paused_by"], "through the dashboard");
    assert_eq!(paused["paused_since"], "2026-01-01T00:00:05Z");
    tokio::time::sleep(Duration::from_secs(10)).await;
    let runs = get(&router, "/api/jobs/beat/runs").await;
    assert_eq!(runs["runs"][0]["scheduled_at"], "2026-01-01T00:00:10Z");
    assert_eq!(runs["runs"][0]["skip_reason"], "paused");
    assert_eq!(
        runs["runs"][0]["error"],
        "paused since 2026-01-01T00:00:05Z through the dashboard"
    );
    let (status, resumed) = call(
        &router,
        Method::POST,
        "/api/jobs/beat/resume",
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{resumed}");
    assert_eq!(resumed["paused"], false);
    let (status, triggered) = call(
        &router,
        Method::POST,
        "/api/jobs/report/trigger",
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{triggered}");
    let id = triggered["run_id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(
        get(&router, &format!("/api/runs/{id}")).await["outcome"],
        "succeeded"
    );
    let (status, rescheduled) = call(
        &router,
        Method::PUT,
        "/api/jobs/report/schedule",
        Some(TOKEN),
        Some(json!({"cron": "0 17 * * Fri", "timezone": "America/New_York"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rescheduled}");
    assert_eq!(
        rescheduled["schedule"]["words"],
        "at 17:00, on Fridays, America/New_York"
    );
    assert_eq!(rescheduled["next_runs"][0], "2026-01-02T22:00:00Z");
    let (status, answer) = call(
        &router,
        Method::PUT,
        "/api/jobs/beat/schedule",
        Some(TOKEN),
        Some(json!({"every": "5s"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["schedule"]["words"], "every 5 seconds");
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn bad_input_is_answered_with_the_librarys_error() {
    let (handle, router) = start(Some(TOKEN)).await;
    let cases: [(Method, &str, Option<Value>, StatusCode, String); 7] = [
        (
            Method::POST,
            "/api/jobs/nightly/pause",
            None,
            StatusCode::NOT_FOUND,
            handle.pause("nightly").await.unwrap_err().to_string(),
        ),
        (
            Method::GET,
            "/api/jobs/nightly/runs",
            None,
            StatusCode::NOT_FOUND,
            handle.pause("nightly").await.unwrap_err().to_string(),
        ),
        (
            Method::PUT,
            "/api/jobs/beat/schedule",
            Some(json!({"cron": "61 * * * *"})),
            StatusCode::BAD_REQUEST,
            Schedule::parse("61 * * * *").unwrap_err().to_string(),
        ),
        (
            Method::PUT,
            "/api/jobs/beat/schedule",
            Some(json!({"cron": "0 9 * * *", "timezone": "Mars/Olympus"})),
            StatusCode::BAD_REQUEST,
            jobs_schedule::parse_timezone("Mars/Olympus")
                .unwrap_err()
                .to_string(),
        ),
        (
            Method::PUT,
            "/api/jobs/beat/schedule",
            Some(json!({"every": "10x"})),
            StatusCode::BAD_REQUEST,
            format!(
                "invalid `every` \"10x\": {}",
                jobs_schedule::parse_duration("10x").unwrap_err().reason()
            ),
        ),
        (
            Method::GET,
            "/api/jobs/beat/explain?at=tomorrow",
            None,
            StatusCode::BAD_REQUEST,
            format!(
                "`at` = `tomorrow` is not an RFC 3339 instant such as `2026-12-05T09:30:00+01:00`: {}",
                chrono::DateTime::parse_from_rfc3339("tomorrow").unwrap_err()
            ),
        ),
        (
            Method::POST,
            "/api/runs/00000999/cancel",
            None,
            StatusCode::NOT_FOUND,
            format!(
                "{}; and {}",
                handle
                    .cancel(jobs_runtime::JobId::from(0x999))
                    .await
                    .unwrap_err(),
                "no run 00000999 is running in this process (it ended, or it runs in another process)"
            ),
        ),
    ];
    for (method, uri, body, expected_status, expected) in cases {
        let (status, answer) = call(&router, method.clone(), uri, Some(TOKEN), body).await;
        assert_eq!(status, expected_status, "{method} {uri}: {answer}");
        assert_eq!(answer["error"], expected, "{method} {uri}");
    }
    let (status, answer) = call(&router, Method::GET, "/api/jobs/beat/explain", None, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer["error"],
        "`at` is missing: ask `?at=2026-12-05T09:30:00+01:00` (an RFC 3339 instant)"
    );
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn queues_show_depth_running_and_the_oldest_pending_and_jobs_cancel() {
    let (handle, router) = start(Some(TOKEN)).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(handle.enqueue("reindex").await.unwrap());
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // Three run (the queue's limit), two wait: the oldest since the fourth's enqueue at 3 s.
    let queues = get(&router, "/api/queues").await;
    assert_eq!(
        queues,
        json!({"queues": [{
            "name": "search",
            "pending": 2,
            "scheduled": 0,
            "running": 3,
            "limit": 3,
            "oldest_pending": "2026-01-01T00:00:03Z"
        }]})
    );
    let waiting = format!("/api/runs/{:08x}", ids[4].get());
    let (status, answer) = call(
        &router,
        Method::POST,
        &format!("{waiting}/cancel"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, json!({"cancelled": true}));
    let cancelled = get(&router, &waiting).await;
    assert_eq!(cancelled["outcome"], "cancelled", "{cancelled}");
    assert_eq!(
        cancelled["error"],
        "cancelled through the dashboard before it ran"
    );
    // A job that waits and has no record yet answers with its state.
    let pending = get(&router, &format!("/api/runs/{:08x}", ids[3].get())).await;
    assert_eq!(pending["state"], "pending", "{pending}");
    tokio::time::sleep(Duration::from_secs(200)).await;
    let (status, answer) = call(
        &router,
        Method::POST,
        &format!("/api/runs/{:08x}/cancel", ids[0].get()),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(
        answer["error"],
        handle.cancel(ids[0]).await.unwrap_err().to_string()
    );
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn retry_runs_a_failed_run_again() {
    let (handle, router) = start(Some(TOKEN)).await;
    tokio::time::sleep(Duration::from_secs(62)).await;
    let flaky = get(&router, "/api/jobs/flaky/runs").await;
    let id = flaky["runs"][0]["run_id"].as_str().unwrap().to_owned();
    let (status, retried) = call(
        &router,
        Method::POST,
        &format!("/api/runs/{id}/retry"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    let again = retried["run_id"].as_str().unwrap();
    assert_ne!(again, id);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        get(&router, &format!("/api/runs/{again}")).await["outcome"],
        "failed"
    );
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_page_and_its_assets_are_served_without_a_network() {
    let (handle, router) = start(None).await;
    for (uri, kind) in [
        ("/", "text/html"),
        ("/assets/app.js", "text/javascript"),
        ("/assets/app.css", "text/css"),
    ] {
        let response = router
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(content_type.starts_with(kind), "{uri}: {content_type}");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{uri} refers to the network"
        );
    }
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_running_tick_is_cancelled_where_it_runs() {
    let (handle, router) = start(Some(TOKEN)).await;
    let (status, triggered) = call(
        &router,
        Method::POST,
        "/api/jobs/slow/trigger",
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{triggered}");
    let id = triggered["run_id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let running = get(&router, &format!("/api/runs/{id}")).await;
    assert_eq!(running["outcome"], "running", "{running}");
    let runs = get(&router, "/api/jobs/slow/runs").await;
    assert_eq!(runs["runs"][0], running);
    let cancel = format!("/api/runs/{id}/cancel");
    let (status, answer) = call(&router, Method::POST, &cancel, Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    tokio::time::sleep(Duration::from_millis(10)).await;
    let run = get(&router, &format!("/api/runs/{id}")).await;
    assert_eq!(run["outcome"], "cancelled", "{run}");
    assert_eq!(run["error"], "cancelled through the dashboard while it ran");
    // Ended: nothing left to cancel.
    let (status, answer) = call(&router, Method::POST, &cancel, Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert_eq!(
        answer["error"],
        format!(
            "no enqueued job has id {} (or it ended long enough ago to be forgotten); and no run {id} is running in this process (it ended, or it runs in another process)",
            u64::from_str_radix(&id, 16).unwrap()
        )
    );
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn requests_as_curl_sends_them_are_understood() {
    let (handle, router) = start(Some(TOKEN)).await;
    // `curl -d` sends no JSON content type; a bare expression is a cron expression.
    let request = |body: &str| {
        Request::put("/api/jobs/beat/schedule")
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    for (body, words) in [
        ("0 9 * * *", "at 09:00, every day, UTC"),
        (r#"{"expression": "every 30s"}"#, "every 30 seconds"),
        (
            r#"{"schedule": "0 18 * * Fri", "tz": "Europe/Paris"}"#,
            "at 18:00, on Fridays, Europe/Paris",
        ),
    ] {
        let response = router.clone().oneshot(request(body)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{body}");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let job: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(job["schedule"]["words"], words, "{body}");
    }
    // An unencoded `+01:00` in the query arrives as a space.
    let answer = get(
        &router,
        "/api/jobs/report/explain?at=2026-01-03T09:30:00+01:00",
    )
    .await;
    assert_eq!(answer["at"], "2026-01-03T08:30:00Z", "{answer}");
    assert_eq!(answer["field"], "day-of-week");
    handle.shutdown().await;
}
