//! The dashboard's page in a real headless Chromium, against the `dashboard` example run as a
//! separate process: the jobs and their next runs show, a job paused with the token shows as
//! paused and its next tick as skipped with reason `paused`, and "why didn't it run?" answers for
//! that tick and for an instant that is no tick. Saves a screenshot under `target/` when
//! everything passed, and to `docs/dashboard.png` (the README's) when `JOBS_UPDATE_SCREENSHOT`
//! is set, so that a test run leaves the sources as they were.
//!
//! Needs `chromedriver` and Chromium (Debian: `apt-get install chromium chromium-driver`); without
//! them the test is skipped with a message, unless `JOBS_TEST_REQUIRE_BROWSER` is set (CI).

#[path = "support/db.rs"]
mod db;
#[path = "support/webdriver.rs"]
mod webdriver;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use webdriver::Browser;

/// The job the test pauses: it ticks every 2 seconds.
const HEARTBEAT: &str = "dashboard::heartbeat";

/// Every job of the example, by full name.
const JOBS: [&str; 6] = [
    HEARTBEAT,
    "dashboard::flaky_upstream",
    "dashboard::slow_import",
    "dashboard::weekday_report",
    "dashboard::export",
    "dashboard::plan_exports",
];

/// The heartbeat's runs that were skipped because it was paused, in the selected job's table.
const SKIPPED: &str = "#runs-body tr[data-skip-reason=\"paused\"]";

/// How long the page may take to show what the API says: it refreshes every 2 s.
const SHOWN: Duration = Duration::from_secs(15);

/// How long the example takes to have failed a run (every other tick of a 5 s job, after its
/// retries) and skipped a tick for overlap, with margin for a loaded machine.
const HISTORY: Duration = Duration::from_secs(40);

/// The `dashboard` example, run as its own process with its output in files.
struct Example {
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Example {
    fn start(dir: &Path, port: u16, token: &str) -> Self {
        let out = dir.join("dashboard.out");
        let err = dir.join("dashboard.err");
        build_example();
        let child = Command::new(db::example("dashboard"))
            .env("JOBS_DASHBOARD", format!("127.0.0.1:{port}"))
            .env("JOBS_DASHBOARD_TOKEN", token)
            .env_remove("JOBS_DATABASE_URL")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        let mut example = Self { child, out, err };
        let started = Instant::now();
        while !example.output().contains("dashboard on http://") {
            if let Ok(Some(exit)) = example.child.try_wait() {
                panic!(
                    "the example exited with {exit}; its log:\n{}",
                    example.log()
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the example printed no `dashboard on http://` within 30 s; its log:\n{}",
                example.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        example
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds the `dashboard` example, with this test's features and profile and into its target
/// directory, when it is missing or older than the sources it is built from: `cargo test` builds
/// the examples only when no target is named, so `cargo test --test dashboard_browser` would
/// otherwise run a stale one, or none.
fn build_example() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let exe = std::env::current_exe().unwrap();
    // <target>/<profile>/deps/<test>
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let built = std::fs::metadata(profile_dir.join("examples").join("dashboard"))
        .and_then(|metadata| metadata.modified())
        .ok();
    let sources = [
        "Cargo.lock",
        "Cargo.toml",
        "examples/dashboard.rs",
        "jobs-runtime",
        "jobs-macros",
        "jobs-schedule/src",
        "jobs-schedule/Cargo.toml",
    ];
    let newest = sources
        .iter()
        .filter_map(|source| newest_modification(&workspace.join(source)))
        .max();
    if built.is_some_and(|built| newest.is_some_and(|newest| built >= newest)) {
        return;
    }
    let target = profile_dir.parent().unwrap();
    let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let features: Vec<&str> = [
        ("dashboard", cfg!(feature = "dashboard")),
        ("sqlite", cfg!(feature = "sqlite")),
        ("postgres", cfg!(feature = "postgres")),
        ("metrics", cfg!(feature = "metrics")),
        ("testing", cfg!(feature = "testing")),
    ]
    .into_iter()
    .filter_map(|(feature, on)| on.then_some(feature))
    .collect();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let started = Instant::now();
    let output = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "jobs-runtime",
            "--example",
            "dashboard",
        ])
        .args(["--profile", profile, "--features", &features.join(",")])
        .arg("--target-dir")
        .arg(target)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .expect("running cargo to build the dashboard example");
    assert!(
        output.status.success(),
        "building the dashboard example failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("built the dashboard example in {:?}", started.elapsed());
}

/// When the file, or the newest file under the directory, was last modified.
fn newest_modification(path: &Path) -> Option<std::time::SystemTime> {
    let metadata = std::fs::metadata(path).ok()?;
    if !metadata.is_dir() {
        return metadata.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| newest_modification(&entry.path()))
        .max()
}

/// The CSS selector of a job's row in the jobs table.
fn row(job: &str) -> String {
    format!("#jobs-body tr[data-job=\"{job}\"]")
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|error| panic!("`{text}` is not RFC 3339: {error}"))
        .with_timezone(&Utc)
}

#[test]
fn the_dashboard_in_a_real_browser() {
    let test = "dashboard_browser";
    let Some(browser) = Browser::start(test) else {
        return;
    };
    let dir = db::TempDir::new(test);
    let port = webdriver::free_port();
    let token = format!("token-{}-{}", std::process::id(), port);
    let example = Example::start(&dir.0, port, &token);
    // On failure, say what the example logged: the page only shows the API's side.
    let guard = LogOnPanic(&example);

    browser.goto(&format!("http://127.0.0.1:{port}/")).unwrap();
    jobs_are_listed(&browser);
    timelines_show_outcomes(&browser);
    let paused_at = pause_with_the_token(&browser, &token);
    let tick = skipped_as_paused(&browser, paused_at);
    why_did_it_not_run(&browser, tick);
    let screenshot = screenshot(&browser, &dir.0.join("dashboard.png"));
    drop(guard);

    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let saved = if std::env::var_os("JOBS_UPDATE_SCREENSHOT").is_some() {
        workspace.join("docs").join("dashboard.png")
    } else {
        workspace.join("target").join("dashboard.png")
    };
    std::fs::create_dir_all(saved.parent().unwrap()).unwrap();
    std::fs::copy(&screenshot, &saved).unwrap();
    eprintln!("saved {}", saved.display());
}

/// Every job is listed; the scheduled ones with their next run, in the future, and their
/// schedule in words.
fn jobs_are_listed(browser: &Browser) {
    for job in JOBS {
        browser.wait_for(&format!("the row of {job}"), SHOWN, |browser| {
            Ok(Some(browser.find(&row(job))?))
        });
    }
    let next = browser.wait_for("the heartbeat's next run", SHOWN, |browser| {
        let cell = browser.find(&format!("{} .next-run", row(HEARTBEAT)))?;
        browser.attribute(&cell, "data-next-run")
    });
    let next = instant(&next);
    assert!(
        next > Utc::now() - TimeDelta::seconds(3),
        "the heartbeat's next run {next} is in the past"
    );
    let words = browser.text_of(
        &format!("{} .words", row("dashboard::weekday_report")),
        SHOWN,
        |text| !text.is_empty(),
    );
    assert!(
        words.contains("09:30") && words.contains("Europe/Berlin"),
        "the weekday report's schedule in words: {words:?}"
    );
}

/// The timelines colour runs by outcome and mark skipped ticks: a run of the flaky job that
/// failed all its attempts, and a tick of the slow one skipped because it still ran.
fn timelines_show_outcomes(browser: &Browser) {
    let failed = "svg[data-timeline=\"dashboard::flaky_upstream\"] [data-outcome=\"failed\"]";
    browser.wait_for(
        "a failed run in the flaky job's timeline",
        HISTORY,
        |browser| Ok(Some(browser.find(failed)?)),
    );
    let overlap = "svg[data-timeline=\"dashboard::slow_import\"] [data-skip-reason=\"overlap\"]";
    browser.wait_for(
        "a tick skipped for overlap in the slow job's timeline",
        HISTORY,
        |browser| Ok(Some(browser.find(overlap)?)),
    );
}

/// Pausing the heartbeat without the token is refused, and the page says why; with the token it
/// pauses. Returns when it was paused.
fn pause_with_the_token(browser: &Browser, token: &str) -> DateTime<Utc> {
    let pause = format!("{} [data-action=\"pause\"]", row(HEARTBEAT));
    browser.click_css(&pause, SHOWN);
    let refused = browser.text_of("#message", SHOWN, |text| text.contains("refused"));
    assert!(
        refused.contains("401"),
        "a pause without the token should be refused with 401: {refused:?}"
    );
    assert_eq!(
        browser
            .attribute(&browser.find(&row(HEARTBEAT)).unwrap(), "data-paused")
            .unwrap()
            .as_deref(),
        Some("false"),
        "a refused pause paused the job"
    );

    let field = browser.find("#token").unwrap();
    browser.send_keys(&field, token).unwrap();
    let paused_at = Utc::now();
    browser.click_css(&pause, SHOWN);
    browser.wait_for("the heartbeat to show as paused", SHOWN, |browser| {
        let paused = browser.attribute(&browser.find(&row(HEARTBEAT))?, "data-paused")?;
        let state = browser.text(&browser.find(&format!("{} .state", row(HEARTBEAT)))?)?;
        Ok((paused.as_deref() == Some("true") && state.contains("paused")).then_some(()))
    });
    let resume = format!("{} [data-action=\"resume\"]", row(HEARTBEAT));
    browser.wait_for("the Resume button", SHOWN, |browser| {
        Ok(Some(browser.find(&resume)?))
    });
    paused_at
}

/// The paused job's next tick is skipped, marked `paused` in its runs and its timeline. Returns
/// that tick's instant.
fn skipped_as_paused(browser: &Browser, paused_at: DateTime<Utc>) -> DateTime<Utc> {
    browser.click_css(&format!("{} a.name", row(HEARTBEAT)), SHOWN);
    let tick = browser.wait_for("a tick skipped as paused in the runs", SHOWN, |browser| {
        let rows = browser.find_all(SKIPPED)?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        browser.attribute(first, "data-scheduled-at")
    });
    let tick = instant(&tick);
    assert!(
        tick >= paused_at - TimeDelta::seconds(1),
        "the tick skipped as paused ({tick}) came before the pause ({paused_at})"
    );
    let mark = format!(
        "svg[data-timeline=\"{HEARTBEAT}\"] [data-skip-reason=\"paused\"][data-outcome=\"skipped\"]"
    );
    browser.wait_for(
        "a paused mark in the heartbeat's timeline",
        SHOWN,
        |browser| Ok(Some(browser.find(&mark)?)),
    );
    tick
}

/// "Why didn't it run?": for an instant between two ticks, no tick; for the skipped tick, asked
/// from its detail, it was paused.
fn why_did_it_not_run(browser: &Browser, tick: DateTime<Utc>) {
    // The `datetime-local` field is set as a script would: typing into it depends on the locale.
    let between = (tick + TimeDelta::seconds(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    browser
        .execute(
            "document.getElementById('explain-job').value = arguments[0];\
             document.getElementById('explain-at').value = arguments[1];",
            &[json!(HEARTBEAT), json!(between)],
        )
        .unwrap();
    browser.click_css("#explain-ask", SHOWN);
    let answer = browser.text_of("#explain-answer", SHOWN, |text| {
        !text.is_empty() && text != "asking…"
    });
    assert!(
        answer.starts_with("no tick"),
        "asked about {between}Z, between two ticks: {answer:?}"
    );

    let skipped_row = format!(
        "#runs-body tr[data-scheduled-at=\"{}\"]",
        tick.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    );
    let skipped_row = match browser.find(&skipped_row) {
        Ok(_) => skipped_row,
        // The API may write the instant with other digits; the first paused row is the same.
        Err(_) => SKIPPED.to_owned(),
    };
    browser.click_css(&skipped_row, SHOWN);
    let detail = browser.text_of("#run-error", SHOWN, |text| text.contains("paused"));
    assert!(
        detail.contains("dashboard"),
        "the skipped tick's detail should say who paused the job: {detail:?}"
    );
    browser.click_css("#run-detail [data-action=\"why\"]", SHOWN);
    let answer = browser.text_of("#explain-answer", SHOWN, |text| {
        !text.is_empty() && text != "asking…" && !text.starts_with("no tick")
    });
    assert!(
        answer.contains("paused"),
        "asked why the tick at {tick} did not run: {answer:?}"
    );
    let verdict = browser
        .attribute(&browser.find("#explain-answer").unwrap(), "data-verdict")
        .unwrap();
    assert_eq!(
        verdict.as_deref(),
        Some("skipped"),
        "the verdict of {answer:?}"
    );
}

/// The whole page as a PNG at `path`, in a window as tall as the page.
fn screenshot(browser: &Browser, path: &Path) -> PathBuf {
    let height = browser
        .execute("return document.documentElement.scrollHeight;", &[])
        .unwrap()
        .as_u64()
        .unwrap_or(1000);
    let frame = browser
        .execute("return window.outerHeight - window.innerHeight;", &[])
        .unwrap()
        .as_u64()
        .unwrap_or(0);
    let height = u32::try_from((height + frame).clamp(600, 2400)).unwrap();
    browser.set_window_size(1400, height).unwrap();
    // One refresh later, so that the timelines are drawn at the new size and time.
    let status = browser.text(&browser.find("#status").unwrap()).unwrap();
    browser.text_of("#status", SHOWN, |text| {
        text != status && text.contains("updated")
    });
    browser.screenshot(path).unwrap()
}

/// Prints the example's log when the test panics while this lives.
struct LogOnPanic<'a>(&'a Example);

impl Drop for LogOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the example's log:\n{}", self.0.log());
        }
    }
}
