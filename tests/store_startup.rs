//! Opening a durable store: migrations racing from three processes apply once, a schema newer
//! than the binary and an unreachable database are clear startup errors, and a URL of an unknown
//! kind is refused when the runtime is built.

#[path = "support/db.rs"]
mod db;

use db::{Database, Node, TempDir};
use jobs_runtime::{Error, Runtime};

#[test]
fn three_processes_starting_together_migrate_once() {
    let Some(database) = Database::create("migrations") else {
        return;
    };
    let dir = TempDir::new("migrations");
    let starting: Vec<_> = (0..3)
        .map(|_| {
            let (dir, url) = (dir.0.clone(), database.url.clone());
            std::thread::spawn(move || Node::start(&dir, &url, &[]))
        })
        .collect();
    let mut nodes: Vec<Node> = starting.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        database.query("SELECT string_agg(version::text, ',' ORDER BY version) FROM jobs_schema"),
        "1,2"
    );
    let migrated = nodes
        .iter()
        .filter(|node| node.log().contains("job store schema migrated"))
        .count();
    assert_eq!(migrated, 1, "exactly one process applies the migration");
    for node in &mut nodes {
        node.interrupt();
    }
}

#[tokio::test]
async fn a_schema_newer_than_the_binary_is_refused_at_startup() {
    let Some(database) = Database::create("schema") else {
        return;
    };
    let runtime = || {
        Runtime::builder()
            .without_registered_jobs()
            .store(database.url.clone())
            .build()
            .unwrap()
    };
    runtime().start().await.unwrap().shutdown().await;
    database.query("INSERT INTO jobs_schema (version) VALUES (999)");
    let error = runtime().start().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::SchemaTooNew {
                found: 999,
                supported: 2
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("newer than"), "{error}");
}

#[tokio::test]
async fn an_unreachable_database_is_a_startup_error() {
    let error = Runtime::builder()
        .without_registered_jobs()
        .store("postgres://jobs:secret@127.0.0.1:1/jobs")
        .build()
        .unwrap()
        .start()
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::Database { .. }), "{error:?}");
    assert!(
        message.contains("cannot connect to postgres://jobs:***@127.0.0.1:1/jobs"),
        "{message}"
    );
    assert!(
        !message.contains("secret"),
        "the password stays out of errors: {message}"
    );
}

#[test]
fn a_url_of_no_known_store_is_refused_when_built() {
    let error = Runtime::builder()
        .without_registered_jobs()
        .store("mysql://127.0.0.1/jobs")
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::StoreUrl { .. }), "{error:?}");
    assert!(error.to_string().contains("expected `sqlite://"), "{error}");
}

static RAN: std::sync::Mutex<Vec<u64>> = std::sync::Mutex::new(Vec::new());

#[jobs_runtime::job(queue = "restart")]
async fn remember(n: u64) {
    RAN.lock().unwrap().push(n);
}

#[tokio::test]
async fn a_sqlite_store_keeps_waiting_jobs_across_a_restart() {
    let dir = TempDir::new("sqlite-restart");
    let url = format!("sqlite://{}", dir.0.join("jobs.db").display());
    let runtime = || {
        Runtime::builder()
            .only(["remember"])
            .store(url.clone())
            .poll_interval(std::time::Duration::from_millis(50))
            .build()
            .unwrap()
    };
    let first = runtime().start().await.unwrap();
    let later = chrono::Utc::now() + chrono::TimeDelta::milliseconds(500);
    let id = remember::options()
        .at(later)
        .handle(&first)
        .enqueue(7)
        .await
        .unwrap();
    first.shutdown().await;
    assert!(
        RAN.lock().unwrap().is_empty(),
        "it was not due before the shutdown"
    );
    // The second start finds the schema in place, and the job where the first left it.
    let second = runtime().start().await.unwrap();
    let state = second.job_state(id).await.unwrap();
    assert!(
        matches!(state, jobs_runtime::JobState::Scheduled(at) if at.timestamp_micros() == later.timestamp_micros()),
        "{state:?}"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while second.job_state(id).await.unwrap() != jobs_runtime::JobState::Succeeded {
        assert!(
            std::time::Instant::now() < deadline,
            "the job never ran after the restart"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(*RAN.lock().unwrap(), [7]);
    second.shutdown().await;
}
