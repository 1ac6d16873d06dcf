//! Which store a runtime uses, and opening it: checked when the runtime is built (a URL whose
//! feature is not compiled in), connected and migrated when it starts.

use super::{MemoryStore, Store};
use crate::Error;
use std::sync::Arc;
use std::time::Duration;

/// The environment variable that picks a durable store when the builder names none.
pub(crate) const DATABASE_URL: &str = "JOBS_DATABASE_URL";

/// A store as configured, before it is opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StoreUrl {
    Memory,
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code, reason = "refused in parse"))]
    Sqlite(String),
    #[cfg_attr(
        not(feature = "postgres"),
        allow(dead_code, reason = "refused in parse")
    )]
    Postgres(String),
}

impl StoreUrl {
    /// The store the builder was given, else the one `JOBS_DATABASE_URL` names, else memory.
    pub(crate) fn choose(given: Option<&str>) -> Result<Self, Error> {
        match given {
            Some(url) => Self::parse(url, "`Builder::store`", compiled),
            None => match std::env::var(DATABASE_URL) {
                Ok(url) if !url.trim().is_empty() => Self::parse(&url, DATABASE_URL, compiled),
                _ => Ok(Self::Memory),
            },
        }
    }

    /// `source` says where the URL came from, for the error; `compiled` whether a feature is.
    fn parse(url: &str, source: &'static str, compiled: fn(&str) -> bool) -> Result<Self, Error> {
        let url = url.trim();
        let refuse = |reason: String| Error::StoreUrl {
            url: redact(url),
            from: source,
            reason,
        };
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        let (store, feature) = match scheme {
            "memory" => return Ok(Self::Memory),
            "sqlite" => (Self::Sqlite(url.to_owned()), "sqlite"),
            "postgres" | "postgresql" => (Self::Postgres(url.to_owned()), "postgres"),
            _ => {
                return Err(refuse(
                    "expected `sqlite://path/to/jobs.db`, `postgres://user@host/database` or `memory://`"
                        .to_owned(),
                ))
            }
        };
        if compiled(feature) {
            Ok(store)
        } else {
            Err(refuse(format!(
                "jobs-runtime was built without its `{feature}` feature: add `features = [\"{feature}\"]` to its line in Cargo.toml"
            )))
        }
    }
}

/// Whether this build has the store feature `feature`.
fn compiled(feature: &str) -> bool {
    (feature == "sqlite" && cfg!(feature = "sqlite"))
        || (feature == "postgres" && cfg!(feature = "postgres"))
}

/// How a durable store holds what this process runs, and keeps what has ended.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StoreOptions {
    /// How long a claim holds without a heartbeat: after that, another process takes it over.
    pub(crate) lease: Duration,
    /// How often jobs enqueued by other processes are looked for.
    pub(crate) poll: Duration,
    /// How long run history, ended jobs and finished ticks are kept.
    pub(crate) retention: Duration,
}

impl StoreOptions {
    /// Three heartbeats per lease: one lost or late heartbeat never loses a claim.
    pub(crate) fn heartbeat(self) -> Duration {
        self.lease / 3
    }
}

/// Connects to the store, and for a database applies its migrations.
pub(crate) async fn open(
    url: &StoreUrl,
    leases: StoreOptions,
    memory: impl FnOnce() -> MemoryStore,
) -> Result<Arc<dyn Store>, Error> {
    #[cfg(not(any(feature = "sqlite", feature = "postgres")))]
    let _ = leases;
    match url {
        StoreUrl::Memory => Ok(Arc::new(memory())),
        #[cfg(feature = "sqlite")]
        StoreUrl::Sqlite(url) => Ok(Arc::new(super::sqlite::Sqlite::open(url, leases).await?)),
        #[cfg(feature = "postgres")]
        StoreUrl::Postgres(url) => Ok(Arc::new(
            super::postgres::Postgres::open(url, leases).await?,
        )),
        #[allow(unreachable_patterns, reason = "refused by StoreUrl::parse")]
        _ => unreachable!("a store whose feature is off is refused when the runtime is built"),
    }
}

/// The URL with its password hidden, for messages and logs.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// A name for this process in the leases it holds: which host and process, for an operator
/// reading the table, and a random part so that a restarted process with the same pid is
/// another owner.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn owner() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    format!("{host}:{}:{:08x}", std::process::id(), fastrand::u32(..))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_the_password_only() {
        assert_eq!(
            redact("postgres://jobs:secret@db:5432/app"),
            "postgres://jobs:***@db:5432/app"
        );
        assert_eq!(redact("postgres://jobs@db/app"), "postgres://jobs@db/app");
        assert_eq!(redact("sqlite://jobs.db"), "sqlite://jobs.db");
    }

    #[test]
    fn an_unknown_scheme_says_what_is_expected() {
        let error = StoreUrl::parse("mysql://db/app", DATABASE_URL, compiled).unwrap_err();
        assert!(error.to_string().contains("expected `sqlite://"), "{error}");
    }

    #[test]
    fn a_store_whose_feature_is_off_names_the_feature() {
        let error = StoreUrl::parse("postgres://u:pw@db/app", DATABASE_URL, |_| false).unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot use the store `postgres://u:***@db/app` (from JOBS_DATABASE_URL): jobs-runtime was built without its `postgres` feature: add `features = [\"postgres\"]` to its line in Cargo.toml"
        );
        let sqlite = StoreUrl::parse("sqlite://jobs.db", "`Builder::store`", |feature| {
            feature == "sqlite"
        });
        assert_eq!(
            sqlite.unwrap(),
            StoreUrl::Sqlite("sqlite://jobs.db".to_owned())
        );
    }
}
