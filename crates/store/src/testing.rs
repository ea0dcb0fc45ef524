//! Throw-away databases for tests: a temporary SQLite file, or a PostgreSQL database of its own
//! on the server named by `DATELINE_TEST_POSTGRES` (default `postgres://root@127.0.0.1:5432/test`).
//!
//! Without a reachable PostgreSQL server, [`TestDatabase::postgres`] prints that the test is
//! skipped and returns `None` — except under CI (`CI` set), where a missing server is a failure.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};

use crate::DatabaseUrl;

/// Says on the terminal that `test` did not run, and why. Written straight to standard error,
/// past the test harness's output capture, so a skip is never silent.
pub fn skipped(test: &str, reason: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED ({reason}): {test}");
}

/// The server PostgreSQL tests run against unless `DATELINE_TEST_POSTGRES` says otherwise.
pub const DEFAULT_POSTGRES: &str = "postgres://root@127.0.0.1:5432/test";

/// A database that exists for as long as this value does.
pub struct TestDatabase {
    url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// A new SQLite file in a new temporary directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let path = dir.path().join("dateline.db");
        let url = DatabaseUrl::parse(&format!("sqlite:{}", path.display())).expect("sqlite URL");
        Self {
            url,
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A new, empty PostgreSQL database, or `None` (with a message) when there is no server.
    pub async fn postgres(test: &str) -> Option<Self> {
        let admin =
            std::env::var("DATELINE_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
        let mut conn = match PgConnection::connect(&admin).await {
            Ok(conn) => conn,
            Err(e) if std::env::var_os("CI").is_none() => {
                skipped(test, &format!("PostgreSQL not reachable at {admin}: {e}"));
                return None;
            }
            Err(e) => panic!("PostgreSQL is required under CI but {admin} is not reachable: {e}"),
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "dateline_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        conn.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create a test database");
        let _ = conn.close().await;
        let (base, _) = admin
            .rsplit_once('/')
            .expect("PostgreSQL URL names a database");
        let url = DatabaseUrl::parse(&format!("{base}/{name}")).expect("postgres URL");
        Some(Self {
            url,
            _dir: None,
            postgres: Some((admin, name)),
        })
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside or outside a runtime; a thread of its own with its own runtime works in both.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&admin).await.ok()?;
                conn.execute(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await
                .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("note: could not drop test database; it will be left behind");
        }
    }
}
