//! A fresh database per run: created before the run's processes start, dropped after they end
//! (`WITH (FORCE)`, so that a killed child's connections do not keep it), and the server's CPU
//! time, which the report shows beside each subject's own.

use sqlx::Connection;
use std::sync::atomic::{AtomicU32, Ordering};

/// The server to measure on, as a URL of its maintenance database: `JOBS_BENCH_POSTGRES`, or the
/// local server with trust authentication.
pub(crate) fn admin_url() -> String {
    std::env::var("JOBS_BENCH_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Creates and drops the databases of the runs, through a connection to the maintenance database.
pub(crate) struct Admin {
    url: String,
    runtime: tokio::runtime::Runtime,
}

/// One run's database.
pub(crate) struct Database {
    pub(crate) name: String,
    pub(crate) url: String,
}

impl Admin {
    /// Checks that the server answers.
    pub(crate) fn connect(url: String) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let admin = Self { url, runtime };
        admin.execute("SELECT 1")?;
        Ok(admin)
    }

    /// The server's version, as `SELECT version()` gives it, to its first comma.
    pub(crate) fn version(&self) -> Result<String, String> {
        self.runtime.block_on(async {
            let mut connection = sqlx::PgConnection::connect(&self.url)
                .await
                .map_err(|e| e.to_string())?;
            let version: String = sqlx::query_scalar("SELECT version()")
                .fetch_one(&mut connection)
                .await
                .map_err(|e| e.to_string())?;
            let _ = connection.close().await;
            Ok(version.split(',').next().unwrap_or_default().to_owned())
        })
    }

    /// When the server started (`pg_postmaster_start_time()`), waiting up to `wait` for it to
    /// accept connections: a changed answer means it restarted in between.
    pub(crate) fn booted(&self, wait: std::time::Duration) -> Result<String, String> {
        let give_up = std::time::Instant::now() + wait;
        let mut said = false;
        loop {
            let answer = self.runtime.block_on(async {
                let mut connection = sqlx::PgConnection::connect(&self.url).await.map_err(|e| {
                    format!("cannot connect to PostgreSQL at {}: {e}", redact(&self.url))
                })?;
                let booted: String = sqlx::query_scalar("SELECT pg_postmaster_start_time()::TEXT")
                    .fetch_one(&mut connection)
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = connection.close().await;
                Ok::<_, String>(booted)
            });
            match answer {
                Ok(booted) => return Ok(booted),
                Err(e) if std::time::Instant::now() >= give_up => return Err(e),
                Err(e) => {
                    if !said {
                        eprintln!("{e}: waiting up to {} s for the server", wait.as_secs());
                        said = true;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(500));
                }
            }
        }
    }

    pub(crate) fn create(&self, label: &str) -> Result<Database, String> {
        static RUNS: AtomicU32 = AtomicU32::new(0);
        let run = RUNS.fetch_add(1, Ordering::Relaxed);
        // Only ASCII letters, digits and `_`: the name is spliced into the statement, as a
        // database name cannot be a bound parameter.
        let label: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let name = format!("jobs_bench_{}_{run}_{label}", std::process::id());
        self.execute(&format!("CREATE DATABASE \"{name}\""))?;
        Ok(Database {
            url: with_database(&self.url, &name),
            name,
        })
    }

    pub(crate) fn drop(&self, database: &Database) -> Result<(), String> {
        self.execute(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            database.name
        ))
    }

    fn execute(&self, statement: &str) -> Result<(), String> {
        self.runtime.block_on(async {
            let mut connection = sqlx::PgConnection::connect(&self.url).await.map_err(|e| {
                format!("cannot connect to PostgreSQL at {}: {e}", redact(&self.url))
            })?;
            sqlx::raw_sql(statement)
                .execute(&mut connection)
                .await
                .map_err(|e| format!("`{statement}`: {e}"))?;
            connection.close().await.map_err(|e| e.to_string())
        })
    }
}

/// `url` with its database (the last path segment) replaced by `name`; a query string is kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |at| at + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |at| scheme_end + at);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// `url` without its password, for messages.
fn redact(url: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |at| at + 3);
    match (url[scheme_end..].find('@'), url[scheme_end..].find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}:***{}",
            &url[..scheme_end + colon],
            &url[scheme_end + at..]
        ),
        _ => url.to_owned(),
    }
}

/// CPU time the PostgreSQL server used so far, in clock ticks: every `postgres` process's own
/// time plus the time of the ones that ended (their parent's `cutime`/`cstime`, as the
/// postmaster reaps its backends). `None` when no server process is visible here (the server runs
/// elsewhere, or in another PID namespace).
///
/// This benchmark's own processes are named `postgres` too (the binary is): they are told apart
/// by their executable, else the parent's `cutime` would count every child's CPU as the server's.
pub(crate) fn server_ticks() -> Option<u64> {
    let ours = std::env::current_exe().ok();
    let mut total = 0;
    let mut seen = false;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((name, rest)) = stat.split_once(" (").and_then(|(_, r)| r.rsplit_once(") "))
        else {
            continue;
        };
        if name != "postgres" {
            continue;
        }
        let exe = std::fs::read_link(entry.path().join("exe")).ok();
        let me = entry.file_name().to_str() == Some(&std::process::id().to_string());
        if me || (exe.is_some() && exe == ours) {
            continue;
        }
        seen = true;
        // After the name: state is field 3; utime, stime, cutime, cstime are fields 14 to 17.
        total += rest
            .split_whitespace()
            .skip(11)
            .take(4)
            .map(|f| f.parse::<u64>().unwrap_or(0))
            .sum::<u64>();
    }
    seen.then_some(total)
}

#[cfg(test)]
mod tests {
    use super::{redact, with_database};

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "run_1"),
            "postgres://postgres@127.0.0.1:5432/run_1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }

    #[test]
    fn hides_a_password() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
