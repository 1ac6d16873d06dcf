//! The `#[job]` attribute of the `jobs` scheduler.
//!
//! Use it through `jobs_runtime`, which re-exports it as `jobs_runtime::job` and pins this crate
//! to its own version: the code the attribute generates names the runtime's private contract,
//! which only that exact version implements.

mod args;
mod expand;
mod validate;

use proc_macro::TokenStream;

/// Registers an `async fn` as a background job: on a `cron` schedule, at a fixed interval
/// (`every`), or, with neither, on demand.
///
/// ```
/// use jobs_runtime::{job, JobContext, State};
///
/// struct Db;
///
/// #[job(cron = "0 */5 * * * *", retries = 3, timeout = "30s")]
/// async fn cleanup(db: State<Db>) -> anyhow::Result<()> {
///     Ok(())
/// }
///
/// #[job(cron = "30 9 * * Mon-Fri", tz = "Europe/Berlin")]
/// async fn weekday_report(ctx: JobContext) -> Result<(), std::io::Error> {
///     println!("report for {}", ctx.scheduled_at());
///     Ok(())
/// }
///
/// #[job(every = "10s")]
/// async fn heartbeat() {}
/// ```
///
/// The function stays exactly as written, so a test can call it directly:
/// `cleanup(State::new(db)).await`. Beside it the attribute adds a registration that
/// `jobs_runtime::run()` and `Runtime::builder()` find at startup; nothing runs before `main`.
///
/// # The function
///
/// - An `async fn`: free (no `self`, and at module level or in a block rather than in an
///   `impl`), not generic, not `const`, `unsafe` or `extern`.
/// - It returns `()` or `Result<(), E>` where `E` converts into
///   `Box<dyn std::error::Error + Send + Sync>`, as `anyhow::Error` and every
///   `std::error::Error + Send + Sync` type do.
/// - Its parameters are extractors, in any order: `JobContext` (name, run id, attempt, scheduled
///   instant, cancellation on shutdown) and `State<T>` (a value given to
///   `Runtime::builder().state(value)`, where `T: Send + Sync + 'static`). A job that takes a
///   `State<T>` the builder was not given is a startup error naming the job and `T`.
/// - Its future is `Send`: the runtime may move it between threads. Holding an `Rc` or a
///   `std::sync::MutexGuard` across an `.await` is a compile error on the function's `async`.
///
/// # Arguments
///
/// Every argument is `key = literal`. Every key, value and combination is checked at compile
/// time, with the error on the offending token, and every error of one attribute is reported at
/// once. Durations are strings of whole numbers with the units `d`, `h`, `m`, `s` and `ms`, from
/// largest to smallest, each at most once: `"500ms"`, `"30s"`, `"5m"`, `"1h30m"`, `"2d"`; zero is
/// an error.
///
/// ## `cron = "…"`
///
/// A calendar schedule with crontab(5) semantics: 5 fields
/// (`minute hour day-of-month month day-of-week`), 6 (seconds first) or 7 (a year last), or one
/// of `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`.
/// Day-of-week runs 0-7 where 0 and 7 are Sunday; names `Mon`…`Sun` and `Jan`…`Dec`; lists,
/// ranges, steps and `?`; `L`, `LW`, `15W`, `5L`, `FriL` and `Mon#1`. When day-of-month and
/// day-of-week are both restricted, a day matches if either does. An expression that can never
/// fire (`0 0 30 2 *`) is an error.
///
/// ```
/// # use jobs_runtime::job;
/// #[job(cron = "0 */5 * * * *")] // second 0 of every fifth minute
/// async fn every_five_minutes() {}
///
/// #[job(cron = "@daily")]
/// async fn nightly() {}
/// ```
///
/// ## `every = "…"`
///
/// A fixed interval, a duration. Ticks are aligned to the Unix epoch, so every process computes
/// the same instants: `every = "10s"` fires at :00, :10, :20 … of each minute. `cron` and
/// `every` together are an error.
///
/// ```
/// # use jobs_runtime::job;
/// #[job(every = "10s")]
/// async fn heartbeat() {}
/// ```
///
/// ## `tz = "…"`
///
/// The IANA time zone in which `cron` is read; `"UTC"` by default. Daylight-saving transitions
/// follow cronie. Only with `cron`: intervals are the same in every zone.
///
/// ```
/// # use jobs_runtime::job;
/// #[job(cron = "30 9 * * Mon-Fri", tz = "Europe/Berlin")]
/// async fn weekday_report() {}
/// ```
///
/// ## `jitter = "…"`
///
/// A random delay in `[0, jitter)` added to each tick, to spread load; none by default. Only on a
/// job with a schedule, and shorter than an `every` interval.
///
/// ```
/// # use jobs_runtime::job;
/// #[job(cron = "@hourly", jitter = "5m")]
/// async fn refresh_cache() {}
/// ```
///
/// ## `retries = n`
///
/// How many times a failed attempt is retried (an error, a panic or a timeout): `retries = 3`
/// allows at most 4 attempts. An integer from 0; 0 by default.
///
/// ## `backoff = "…"` and `backoff_max = "…"`
///
/// The delay before the first retry (`"1s"` by default), doubled for each further retry with
/// full jitter, and the cap on a delay (`"5m"` by default). Only with `retries`; `backoff` may not
/// be longer than `backoff_max`. With only a `backoff_max` below one second, the first delay is
/// that cap.
///
/// ```
/// # use jobs_runtime::job;
/// #[job(every = "1m", retries = 5, backoff = "2s", backoff_max = "1m")]
/// async fn sync_accounts() -> Result<(), std::io::Error> {
///     Ok(())
/// }
/// ```
///
/// ## `timeout = "…"`
///
/// The longest an attempt may take; at the deadline its future is dropped and the attempt fails
/// (and is retried if `retries` allows). None by default.
///
/// ```
/// # use jobs_runtime::job;
/// #[job(cron = "0 3 * * *", timeout = "1h30m", retries = 1)]
/// async fn export() {}
/// ```
///
/// ## `overlap = "…"`
///
/// What a tick does when the previous run of the job is still running: `"skip"` (the default;
/// the tick is recorded as skipped with the reason `overlap`), `"queue"` (it starts when the
/// running one finishes), `"allow"` (it starts alongside) or `"replace"` (the running one is
/// cancelled).
///
/// ```
/// # use jobs_runtime::job;
/// #[job(every = "1s", overlap = "queue")]
/// async fn drain() {}
/// ```
///
/// ## `catch_up = "…"` and `catch_up_window = "…"`
///
/// What to do with the ticks missed while no process ran, which a durable store knows of when
/// the next process starts: `"none"` (none of them runs), `"latest"` (the default; the most recent
/// one runs, once) or `"all"` (each runs, in order). `catch_up_window` is how old a missed tick
/// may be and still run, a duration; by default one tick period of the schedule, at most an hour.
/// Only on a job with a schedule, and `catch_up_window` not with `catch_up = "none"`.
///
/// ```
/// # use jobs_runtime::job;
/// #[job(cron = "0 2 * * *", catch_up = "all", catch_up_window = "1d")]
/// async fn nightly_rollup() {}
/// ```
///
/// ## `name = "…"`
///
/// The job's stable identity in stores, metrics and the dashboard; `module_path::fn_name` by
/// default. Set it before moving or renaming a function whose history should carry over. Two
/// jobs with one name are a startup error naming both.
///
/// ```
/// # use jobs_runtime::job;
/// #[job(every = "1h", name = "billing::invoices")]
/// async fn send_invoices() {}
/// ```
///
/// ## `on_failure = "…"`
///
/// A path to an `async fn(jobs_runtime::Failure)` returning `()` or `Result<(), E>`, called
/// after the final failed attempt of a run, to alert. It is resolved like any path written at the
/// attribute, so a handler in another module is named through it (`"crate::alerts::page"`).
///
/// ```
/// # use jobs_runtime::{job, Failure};
/// async fn page_on_call(failure: Failure) {
///     eprintln!("{} failed: {}", failure.job(), failure.error());
/// }
///
/// #[job(cron = "0 3 * * *", retries = 2, on_failure = "page_on_call")]
/// async fn nightly_export() -> Result<(), std::io::Error> {
///     Ok(())
/// }
/// ```
///
/// ## `crate = "…"`
///
/// The path to `jobs_runtime` in the generated code, `::jobs_runtime` by default: for a crate
/// that uses the attribute through a re-export and does not depend on `jobs_runtime` itself.
///
/// ```
/// mod reexport {
///     pub use jobs_runtime as jobs;
/// }
///
/// #[reexport::jobs::job(every = "1m", crate = "crate::reexport::jobs")]
/// async fn tick() {}
/// # fn main() {} // at the crate root, where `crate::reexport` is
/// ```
///
/// # Errors
///
/// A compile error on the offending token for an unknown key (with the closest known one),
/// a repeated key, a value of the wrong kind, an invalid schedule, duration or zone, keys that
/// contradict each other, and a function the runtime cannot call. When the attribute is
/// rejected, the function is left as it is and nothing is registered, so these are the only
/// errors.
#[proc_macro_attribute]
pub fn job(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::job(args.into(), item.into()).into()
}
