//! SQLite and PostgreSQL behind the domain's storage ports: [`SqlStore`] implements each area's
//! port (and so the umbrella `Store`) in a file of its own, and `PortableStore` for export and
//! import.
//!
//! Both backends share one implementation on sqlx's `Any` driver: the queries are written once,
//! with `$1` placeholders and only integers, text and booleans crossing the boundary (times are
//! Unix milliseconds). Only the schema differs, so each backend has its own migrations, embedded
//! in the binary and applied by [`SqlStore::migrate`].
//!
//! SQLite runs in WAL mode with `synchronous = FULL`: a write is on disk before the call that made
//! it returns, so neither a killed process nor a power cut loses an acknowledged write.

mod accounts;
mod articles;
pub mod backup;
mod comments;
mod labels;
mod listen;
mod media;
mod pages;
mod portable;
mod related;
mod rows;
mod site;
mod sql;
#[cfg(feature = "testing")]
pub mod testing;
mod wire;
mod wire_ingest;
mod workflow;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

pub use sql::SqlStore;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL we know how to open: `sqlite:PATH` or `postgres://...`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    url: String,
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, ConnectError> {
        let url = url.trim();
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Err(ConnectError::Unsupported {
                    url: url.to_owned(),
                    reason: "give the path of a database file, e.g. sqlite:./dateline-data/dateline.db",
                });
            }
            Ok(Self {
                backend: Backend::Sqlite,
                url: format!("sqlite://{path}?mode=rwc"),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self {
                backend: Backend::Postgres,
                url: url.to_owned(),
            })
        } else {
            Err(ConnectError::Unsupported {
                url: redact(url),
                reason: "expected sqlite:PATH or postgres://USER@HOST/DATABASE",
            })
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The file of a SQLite database.
    pub fn sqlite_path(&self) -> Option<&str> {
        match self.backend {
            Backend::Sqlite => self.url.strip_prefix("sqlite://")?.split('?').next(),
            Backend::Postgres => None,
        }
    }

    /// The URL as sqlx wants it. Contains the password, if any: never log it.
    pub fn as_sqlx_url(&self) -> &str {
        &self.url
    }
}

/// The URL with any password replaced, fit for logs and error messages.
impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.sqlite_path() {
            Some(path) => write!(f, "sqlite:{path}"),
            None => f.write_str(&redact(&self.url)),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("unsupported database URL '{url}': {reason}")]
    Unsupported { url: String, reason: &'static str },
    #[error("cannot open database {url}")]
    Open { url: String, source: sqlx::Error },
    #[error("cannot migrate database {url}")]
    Migrate {
        url: String,
        source: sqlx::migrate::MigrateError,
    },
}

impl SqlStore {
    /// Opens a pool on the database. It is not migrated yet: see [`SqlStore::migrate`].
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, ConnectError> {
        sqlx::any::install_default_drivers();
        let open_error = |source| ConnectError::Open {
            url: url.to_string(),
            source,
        };
        let options = AnyConnectOptions::from_str(url.as_sqlx_url()).map_err(open_error)?;
        let pool_options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        let pool = match url.backend() {
            Backend::Sqlite => {
                pool_options
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                // page_size only takes on a new, empty file (before WAL):
                                // 16 KiB pages keep a whole article body on one or two pages.
                                "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; \
                                 PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                                 PRAGMA busy_timeout = 10000;",
                            )
                            .await
                            .map(|_| ())
                        })
                    })
                    .connect_with(options)
                    .await
            }
            Backend::Postgres => pool_options.max_connections(16).connect_with(options).await,
        }
        .map_err(open_error)?;
        Ok(SqlStore::new(pool, url.clone()))
    }

    /// Applies the migrations this binary carries that the database has not seen yet.
    /// Returns how many were applied (0 for a database that was up to date).
    pub async fn migrate(&self) -> Result<usize, ConnectError> {
        let migrator = match self.backend() {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let url = || format!("{:?}", self.backend());
        let before = applied_count(self.pool()).await;
        migrator
            .run(self.pool())
            .await
            .map_err(|source| ConnectError::Migrate { url: url(), source })?;
        let after = applied_count(self.pool()).await;
        Ok(after.saturating_sub(before))
    }
}

async fn applied_count(pool: &AnyPool) -> usize {
    let count: Result<i64, _> =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(pool)
            .await;
    count
        .map(|n| usize::try_from(n).unwrap_or_default())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_and_postgres_urls_are_understood() {
        let url = DatabaseUrl::parse("sqlite:./dateline-data/dateline.db").unwrap();
        assert_eq!(url.backend(), Backend::Sqlite);
        assert_eq!(url.sqlite_path(), Some("./dateline-data/dateline.db"));
        assert_eq!(
            url.as_sqlx_url(),
            "sqlite://./dateline-data/dateline.db?mode=rwc"
        );
        let url = DatabaseUrl::parse("postgres://root@127.0.0.1:5432/test").unwrap();
        assert_eq!(url.backend(), Backend::Postgres);
    }

    #[test]
    fn other_urls_are_refused_with_the_reason() {
        for bad in [
            "mysql://root@localhost/db",
            "sqlite:",
            "sqlite::memory:",
            "dateline.db",
            "",
        ] {
            let err = DatabaseUrl::parse(bad).unwrap_err();
            assert!(
                err.to_string().starts_with("unsupported database URL"),
                "{err}"
            );
        }
    }

    #[test]
    fn passwords_never_reach_messages() {
        let url = DatabaseUrl::parse("postgres://news:s3cret@db.internal/gvs").unwrap();
        assert_eq!(url.to_string(), "postgres://news:***@db.internal/gvs");
        let err = DatabaseUrl::parse("mysql://news:s3cret@db/gvs").unwrap_err();
        assert!(!err.to_string().contains("s3cret"));
    }
}
