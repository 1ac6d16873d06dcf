//! Parse and next-run cost of `jobs-schedule` beside the `cron` and `croner` crates, in one run.
//!
//! Groups are `parse/<row>/<impl>` and `next/<row>/<impl>`; the expression of each row is in
//! `ROWS` and in `benches/SCHEDULE.md`. A peer that cannot express a row's schedule is left out of
//! that row rather than timed on a different schedule.

use std::hint::black_box;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};

struct Row {
    label: &'static str,
    /// Our dialect (DESIGN.md "Schedule semantics").
    jobs: &'static str,
    /// The `cron` crate's dialect: 6 or 7 fields, weekdays 1-7 from Sunday, no `L` or `#`, and the
    /// two day fields combined with AND. `None` where it cannot say the same thing.
    cron: Option<&'static str>,
    /// croner 4's dialect with its defaults (seconds optional, day fields combined with OR).
    croner: Option<&'static str>,
}

const ROWS: [Row; 6] = [
    Row {
        label: "dense",
        jobs: "* * * * * *",
        cron: Some("* * * * * *"),
        croner: Some("* * * * * *"),
    },
    Row {
        label: "hourly",
        jobs: "0 0 * * * *",
        cron: Some("0 0 * * * *"),
        croner: Some("0 0 * * * *"),
    },
    Row {
        label: "weekday",
        jobs: "0 30 9 * * Mon-Fri",
        // Names mean the same day in every dialect; only the numbers differ.
        cron: Some("0 30 9 * * Mon-Fri"),
        croner: Some("0 30 9 * * Mon-Fri"),
    },
    Row {
        label: "last-day",
        jobs: "0 0 12 L * *",
        cron: None, // no `L`
        croner: Some("0 0 12 L * *"),
    },
    Row {
        label: "third-friday",
        jobs: "0 0 12 ? * Fri#3",
        cron: None, // no `#`
        croner: Some("0 0 12 ? * Fri#3"),
    },
    Row {
        label: "13th-or-friday",
        jobs: "0 0 0 13 * Fri",
        // `cron` ANDs the day fields (Friday the 13th) and has no way to spell the OR.
        cron: None,
        croner: Some("0 0 0 13 * Fri"),
    },
];

/// A fixed start, so every run times the same search: 2025-06-15 is a Sunday, mid-month.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 15, 10, 17, 42).unwrap()
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for row in &ROWS {
        group.bench_function(format!("{}/jobs", row.label), |b| {
            b.iter(|| jobs_schedule::Schedule::parse(black_box(row.jobs)));
        });
        if let Some(expr) = row.cron {
            group.bench_function(format!("{}/cron", row.label), |b| {
                b.iter(|| cron::Schedule::from_str(black_box(expr)));
            });
        }
        if let Some(expr) = row.croner {
            group.bench_function(format!("{}/croner", row.label), |b| {
                b.iter(|| croner::Cron::from_str(black_box(expr)));
            });
        }
    }
    group.finish();
}

fn next(c: &mut Criterion) {
    let t = start();
    let mut group = c.benchmark_group("next");
    for row in &ROWS {
        let jobs = jobs_schedule::Schedule::parse(row.jobs).expect("our expression parses");
        let expected = jobs.next_after(t);
        assert!(expected.is_some(), "{}: no run after {t}", row.jobs);
        group.bench_function(format!("{}/jobs", row.label), |b| {
            b.iter(|| jobs.next_after(black_box(t)));
        });

        // Each peer must find the same instant, or the rows would time different work.
        if let Some(expr) = row.cron {
            let cron = cron::Schedule::from_str(expr).expect("cron parses its translation");
            assert_eq!(cron.after(&t).next(), expected, "cron: {expr}");
            group.bench_function(format!("{}/cron", row.label), |b| {
                b.iter(|| cron.after(&black_box(t)).next());
            });
        }
        if let Some(expr) = row.croner {
            let croner = croner::Cron::from_str(expr).expect("croner parses its translation");
            assert_eq!(
                croner.find_next_occurrence(&t, false).ok(),
                expected,
                "croner: {expr}"
            );
            group.bench_function(format!("{}/croner", row.label), |b| {
                b.iter(|| croner.find_next_occurrence(&black_box(t), false));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, parse, next);
criterion_main!(benches);
