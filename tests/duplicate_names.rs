//! Two `#[job]` functions with one name are a startup error that names both source locations.
#![allow(
    clippy::unused_async,
    reason = "`#[job]` and `on_failure` take an `async fn`; these test jobs have nothing to await"
)]

use jobs_runtime::{job, Error, Runtime};

mod support;

#[job(name = "same", every = "1m")]
async fn first_same() {}

mod elsewhere {
    #[jobs_runtime::job(name = "same", cron = "0 3 * * *")]
    async fn second_same() {}
}

#[job(every = "1m")]
async fn unique() {}

fn location_of(name: &str) -> String {
    support::location_of(include_str!("duplicate_names.rs"), file!(), name)
}

#[test]
fn a_duplicate_name_fails_the_build_naming_both_locations() {
    let error = Runtime::builder().build().unwrap_err();
    let Error::DuplicateJob {
        name,
        first,
        second,
    } = &error
    else {
        panic!("expected DuplicateJob, got {error:?}");
    };
    assert_eq!(name, "same");
    let mut found = [first.clone(), second.clone()];
    found.sort();
    let mut expected = [location_of("first_same"), location_of("second_same")];
    expected.sort();
    assert_eq!(found, expected);

    let message = error.to_string();
    for location in &expected {
        assert!(message.contains(location.as_str()), "{message}");
    }
}

#[test]
fn excluding_the_shared_name_or_picking_another_job_builds() {
    // `exclude` goes by name, so it removes both jobs named `same`.
    let runtime = Runtime::builder().exclude(["same"]).build();
    assert!(runtime.is_ok(), "{runtime:?}");
    let runtime = Runtime::builder().only(["unique"]).build();
    assert!(runtime.is_ok(), "{runtime:?}");
}

#[test]
fn a_run_time_job_with_a_registered_name_is_a_duplicate_too() {
    let error = Runtime::builder()
        .only(["unique"])
        .job(jobs_runtime::Job::on_demand(
            "duplicate_names::unique",
            |_ctx: jobs_runtime::JobContext| async {},
        ))
        .build()
        .unwrap_err();
    let Error::DuplicateJob {
        name,
        first,
        second,
    } = &error
    else {
        panic!("expected DuplicateJob, got {error:?}");
    };
    assert_eq!(name, "duplicate_names::unique");
    let mut found = [first.as_str(), second.as_str()];
    found.sort_unstable();
    assert_eq!(found, ["added at run time", location_of("unique").as_str()]);
}
