//! What the scenario tests share. Each test file is its own binary and includes this module.
#![allow(
    dead_code,
    reason = "each test binary uses its own part of this module"
)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use jobs_runtime::{Builder, Clock, Runtime};

/// `seconds` after the simulated start, 2026-01-01T00:00:00Z.
pub(crate) fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + TimeDelta::seconds(seconds)
}

/// A runtime without the file's `#[job]` functions whose wall clock reads [`at`]`(0)` when it
/// starts and then follows tokio's (paused) time.
pub(crate) fn simulated() -> Builder {
    Runtime::builder()
        .without_registered_jobs()
        .clock(Clock::starting_at(at(0)))
}

/// Where `async fn <name>()` is defined in a test file, as the runtime writes locations:
/// `file:line:column` of the function's name. Read from the file's `source` so that editing the
/// file cannot break its test.
pub(crate) fn location_of(source: &str, file: &str, name: &str) -> String {
    let needle = format!("async fn {name}()");
    let (index, line) = source
        .lines()
        .enumerate()
        .find(|(_, line)| line.trim_start().starts_with(&needle))
        .unwrap_or_else(|| panic!("no `{needle}` in {file}"));
    let column = line.find(name).unwrap() + 1;
    format!("{file}:{}:{column}", index + 1)
}
