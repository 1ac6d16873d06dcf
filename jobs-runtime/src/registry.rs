use crate::job::{def_location, def_options, def_schedule, JobOptions};
use crate::private::JobDef;
use crate::Error;
use jobs_schedule::Schedule;
use std::fmt;

/// A job registered with `#[job]`, as [`registered_jobs`] lists it.
#[derive(Clone, Copy)]
pub struct RegisteredJob {
    def: &'static JobDef,
}

impl RegisteredJob {
    /// The job's name: `module::path::fn_name` unless `#[job(name = "…")]` says otherwise.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.def.name
    }

    /// The job's schedule, in its time zone; `None` for an on-demand job.
    #[must_use]
    pub fn schedule(&self) -> Option<Schedule> {
        def_schedule(self.def).ok().flatten()
    }

    /// Retries, backoff, timeout, jitter and overlap.
    #[must_use]
    pub fn options(&self) -> JobOptions {
        def_options(self.def)
    }

    /// Where the function is defined, as `file:line:column`.
    #[must_use]
    pub fn location(&self) -> String {
        def_location(self.def)
    }
}

impl fmt::Debug for RegisteredJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredJob")
            .field("name", &self.name())
            .field("schedule", &self.schedule().map(|s| s.to_string()))
            .field("options", &self.options())
            .field("location", &self.location())
            .finish()
    }
}

/// Every job registered with `#[job]` in the crates linked into this binary, by name.
///
/// A job defined in a library crate is registered only if the binary links that crate: if a
/// binary refers to nothing in it, add `use my_jobs as _;`.
///
/// # Examples
///
/// ```
/// #[jobs_runtime::job(cron = "0 3 * * *")]
/// async fn nightly() {}
///
/// let names: Vec<_> = jobs_runtime::registered_jobs().iter().map(|job| job.name()).collect();
/// assert!(names.iter().any(|name| name.ends_with("::nightly")));
/// ```
#[must_use]
pub fn registered_jobs() -> Vec<RegisteredJob> {
    let mut jobs: Vec<RegisteredJob> = inventory::iter::<JobDef>
        .into_iter()
        .map(|def| RegisteredJob { def })
        .collect();
    jobs.sort_by_key(RegisteredJob::name);
    jobs
}

pub(crate) fn definitions() -> impl Iterator<Item = &'static JobDef> {
    inventory::iter::<JobDef>.into_iter()
}

/// Whether `given` names the job `full`: in full, or by its last parts (`cleanup` for
/// `my_app::jobs::cleanup`).
pub(crate) fn name_matches(full: &str, given: &str) -> bool {
    full == given
        || full
            .strip_suffix(given)
            .is_some_and(|prefix| prefix.ends_with("::"))
}

/// The one name among `known` that `given` names.
pub(crate) fn resolve<'a>(
    known: impl Iterator<Item = &'a str>,
    given: &str,
) -> Result<String, Error> {
    let mut matches: Vec<&str> = known.filter(|full| name_matches(full, given)).collect();
    if let Some(exact) = matches.iter().find(|full| **full == given) {
        return Ok((*exact).to_owned());
    }
    match matches.len() {
        0 => Err(Error::UnknownJob(given.to_owned())),
        1 => Ok(matches[0].to_owned()),
        _ => {
            matches.sort_unstable();
            Err(Error::AmbiguousJob {
                name: given.to_owned(),
                matches: matches.into_iter().map(str::to_owned).collect(),
            })
        }
    }
}
