//! What `#[job]` registers, read back through the runtime's private contract.
//!
//! This file is also where clippy sees generated code: `cargo clippy --all-targets` compiles it
//! with the workspace's `clippy::pedantic` and `unsafe_code = "forbid"`, which trybuild's
//! `pass/` cases (plain rustc) cannot check. Among others, `clippy::unused_async` must stay quiet
//! about jobs with nothing to await, such as `heartbeat`: they must be `async` for `#[job]`.
#![deny(clippy::pedantic)]

use jobs_runtime::__private::{inventory, CatchUp, JobDef, Overlap, ScheduleDef, States};
use jobs_runtime::{job, Failure, JobContext, State};
use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Clone, Copy)]
struct Db;

struct Counter(AtomicU32);

async fn alert(failure: Failure) -> anyhow::Result<()> {
    anyhow::bail!("{} failed: {}", failure.job(), failure.error())
}

#[job(cron = "0 */5 * * * *", retries = 3)]
async fn cleanup(db: State<Db>, ctx: JobContext) -> anyhow::Result<()> {
    let Db = *db;
    anyhow::ensure!(ctx.attempt() > 0, "attempts count from 1");
    Ok(())
}

#[job(
    cron = "30 9 * * Mon-Fri",
    tz = "Europe/Berlin",
    jitter = "10s",
    retries = 2,
    backoff = "2s",
    backoff_max = "1m",
    timeout = "1h30m",
    overlap = "replace",
    catch_up = "all",
    catch_up_window = "6h",
    name = "reports::weekday",
    on_failure = "alert"
)]
async fn weekday_report(_ctx: JobContext) -> Result<(), std::io::Error> {
    Ok(())
}

#[job(every = "1m30s", overlap = "queue", catch_up = "none")]
async fn heartbeat() {}

#[job]
async fn on_demand(_counter: State<Counter>) {}

#[job(every = "1m", retries = 1, backoff_max = "500ms")]
async fn fast_retry() {}

#[job(every = "1m")]
async fn r#type() {}

#[job(every = "1m")]
#[cfg(any())]
async fn compiled_out() {}

#[job(every = "1m")]
async fn count(counter: State<Counter>) {
    counter.0.fetch_add(1, Ordering::SeqCst);
}

mod billing {
    #[jobs_runtime::job(every = "1h")]
    pub(crate) async fn cleanup() {}
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Email {
    to: String,
}

#[job(queue = "email", priority = -3, retries = 2)]
async fn send_email(email: Email, ctx: JobContext, r#type: u8) -> anyhow::Result<()> {
    anyhow::ensure!(ctx.job_id().is_some() || email.to.is_empty() || r#type > 0);
    Ok(())
}

fn def(name: &str) -> &'static JobDef {
    inventory::iter::<JobDef>
        .into_iter()
        .find(|def| def.name == name)
        .unwrap_or_else(|| panic!("no job named {name}"))
}

fn named(function: &str) -> String {
    format!("{}::{function}", module_path!())
}

#[test]
fn registers_a_cron_job_with_the_defaults() {
    let def = def(&named("cleanup"));
    assert!(
        matches!(
            def.schedule,
            ScheduleDef::Cron {
                expr: "0 */5 * * * *",
                tz: "UTC"
            }
        ),
        "{:?}",
        def.schedule
    );
    assert_eq!(def.retries, 3);
    assert_eq!(def.backoff_ms, 1_000);
    assert_eq!(def.backoff_max_ms, 300_000);
    assert_eq!(def.timeout_ms, None);
    assert_eq!(def.jitter_ms, None);
    assert_eq!(def.overlap, Overlap::Skip);
    assert_eq!(def.catch_up, CatchUp::Latest);
    assert_eq!(def.catch_up_window_ms, None);
    assert!(def.on_failure.is_none());
}

#[test]
fn registers_every_argument() {
    let def = def("reports::weekday");
    assert!(
        matches!(
            def.schedule,
            ScheduleDef::Cron {
                expr: "30 9 * * Mon-Fri",
                tz: "Europe/Berlin"
            }
        ),
        "{:?}",
        def.schedule
    );
    assert_eq!(def.jitter_ms, Some(10_000));
    assert_eq!(def.retries, 2);
    assert_eq!(def.backoff_ms, 2_000);
    assert_eq!(def.backoff_max_ms, 60_000);
    assert_eq!(def.timeout_ms, Some(5_400_000));
    assert_eq!(def.overlap, Overlap::Replace);
    assert_eq!(def.catch_up, CatchUp::All);
    assert_eq!(def.catch_up_window_ms, Some(21_600_000));
    assert!(def.on_failure.is_some());
}

#[test]
fn registers_intervals_and_on_demand_jobs() {
    let def = def(&named("heartbeat"));
    assert!(
        matches!(def.schedule, ScheduleDef::Every { millis: 90_000 }),
        "{:?}",
        def.schedule
    );
    assert_eq!(def.overlap, Overlap::Queue);
    assert_eq!(def.catch_up, CatchUp::None);
    let def = self::def(&named("on_demand"));
    assert!(
        matches!(def.schedule, ScheduleDef::OnDemand),
        "{:?}",
        def.schedule
    );
}

#[test]
fn a_low_backoff_max_lowers_the_first_delay() {
    let def = def(&named("fast_retry"));
    assert_eq!((def.backoff_ms, def.backoff_max_ms), (500, 500));
}

#[test]
fn default_names_follow_the_module_path() {
    assert_eq!(
        def(&named("billing::cleanup")).name,
        "expansion::billing::cleanup"
    );
    // A raw identifier is named without its `r#`.
    def(&named("type"));
    let names: Vec<&str> = inventory::iter::<JobDef>
        .into_iter()
        .map(|def| def.name)
        .collect();
    assert!(
        !names.iter().any(|name| name.ends_with("compiled_out")),
        "{names:?}"
    );
}

#[test]
fn the_location_is_the_function_name() {
    let source = include_str!("expansion.rs");
    let (line, text) = source
        .lines()
        .enumerate()
        .find(|(_, text)| text.starts_with("async fn cleanup("))
        .expect("the function is in this file");
    let def = def(&named("cleanup"));
    assert!(def.file.ends_with("expansion.rs"), "{}", def.file);
    assert_eq!(def.line as usize, line + 1);
    assert_eq!(def.column as usize, text.find("cleanup").unwrap() + 1);
}

#[test]
fn check_names_the_missing_state() {
    let states = States::default();
    assert_eq!(
        (def(&named("cleanup")).check)(&states),
        Err(std::any::type_name::<Db>())
    );
    assert_eq!(
        (def(&named("on_demand")).check)(&states),
        Err(std::any::type_name::<Counter>())
    );
    assert_eq!((def(&named("heartbeat")).check)(&states), Ok(()));
    assert_eq!((def("reports::weekday").check)(&states), Ok(()));
}

#[tokio::test]
async fn the_function_stays_callable() {
    let counter = State::new(Counter(AtomicU32::new(0)));
    count(counter.clone()).await;
    count(counter.clone()).await;
    assert_eq!(counter.0.load(Ordering::SeqCst), 2);
}

#[test]
fn registers_an_on_demand_job_with_its_queue_priority_and_payload_names() {
    let def = def(&named("send_email"));
    assert!(matches!(def.schedule, ScheduleDef::OnDemand));
    assert_eq!((def.queue, def.priority), ("email", -3));
    // Extractors are not payload; a raw identifier is named without its `r#`.
    assert_eq!(def.payload, ["email", "type"]);
    let def = self::def(&named("cleanup"));
    assert_eq!(
        (def.queue, def.priority, def.payload),
        ("default", 0, &[][..])
    );
}

#[test]
fn the_enqueue_module_names_the_job_as_its_registration_does() {
    for (options, job) in [
        (format!("{:?}", send_email::options()), named("send_email")),
        (format!("{:?}", r#type::options()), named("type")),
        (
            format!("{:?}", weekday_report::options()),
            "reports::weekday".to_owned(),
        ),
        (
            format!("{:?}", billing::cleanup::options()),
            named("billing::cleanup"),
        ),
    ] {
        assert!(
            options.contains(&format!("job: {job:?}")),
            "{options} for {job}"
        );
    }
}
