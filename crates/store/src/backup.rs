//! Copies of the database itself, taken while the site serves, and putting one back.
//!
//! - SQLite: `VACUUM INTO` a new file: one read transaction, so the copy is the database as it
//!   was at one moment, whatever other processes write meanwhile (WAL mode lets them). The copy
//!   is checked (`PRAGMA quick_check`) and counted before it takes its final name.
//! - PostgreSQL: `pg_dump --format=custom` (the PostgreSQL client tools, on `PATH`), run on a
//!   snapshot exported from a repeatable-read transaction that also counts the rows, so the counts
//!   describe exactly what was dumped. Restored with `pg_restore`.
//!
//! Files are written under a temporary name and renamed into place when complete.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use dateline_domain::{Counts, StoreError};
use sqlx::AssertSqlSafe;

use crate::portable::table_counts;
use crate::rows::db_error;
use crate::{Backend, ConnectError, DatabaseUrl, SqlStore};

/// The file a SQLite backup's database is in.
pub const SQLITE_FILE: &str = "dateline.db";
/// The file a PostgreSQL backup's dump is in (`pg_dump --format=custom`).
pub const POSTGRES_FILE: &str = "database.pgdump";

/// Why a copy or a restore of the database failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// A file could not be read or written.
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// `pg_dump` or `pg_restore` is missing or failed; the message says what to do.
    #[error("{0}")]
    Tool(String),
    /// The copy is not a sound database.
    #[error("{0}")]
    Damaged(String),
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
    let context = context.into();
    move |source| BackupError::Io { context, source }
}

/// A copy of the database, written into a backup directory.
#[derive(Debug, Clone)]
pub struct DatabaseCopy {
    /// Its file name in the backup directory.
    pub file: &'static str,
    /// How it was made: `VACUUM INTO` or `pg_dump`.
    pub method: &'static str,
    /// The rows it holds.
    pub counts: Counts,
}

impl SqlStore {
    /// Writes a consistent copy of the database into `dir` (which exists), while other
    /// connections and processes go on writing.
    pub async fn copy_database(&self, dir: &Path) -> Result<DatabaseCopy, BackupError> {
        match self.backend() {
            Backend::Sqlite => self.copy_sqlite(dir).await,
            Backend::Postgres => self.dump_postgres(dir).await,
        }
    }

    async fn copy_sqlite(&self, dir: &Path) -> Result<DatabaseCopy, BackupError> {
        let partial = dir.join(format!(".{SQLITE_FILE}.partial"));
        remove_sqlite_files(&partial).await?;
        let path = utf8(&partial)?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(self.pool())
            .await
            .map_err(db_error)?;
        let copy = SqlStore::connect(&DatabaseUrl::parse(&format!("sqlite:{path}"))?).await?;
        let checked = check_and_count(&copy).await;
        copy.close().await;
        let counts = checked?;
        // The copy was only read: its write-ahead log, if any was left, holds nothing.
        remove_sidecars(&partial).await?;
        let file = dir.join(SQLITE_FILE);
        tokio::fs::rename(&partial, &file)
            .await
            .map_err(io(format!("cannot move the copy to {}", file.display())))?;
        Ok(DatabaseCopy {
            file: SQLITE_FILE,
            method: "VACUUM INTO",
            counts,
        })
    }

    async fn dump_postgres(&self, dir: &Path) -> Result<DatabaseCopy, BackupError> {
        let mut tx = self
            .pool()
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(db_error)?;
        let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        let counts = table_counts(&mut tx).await?;
        let partial = dir.join(format!(".{POSTGRES_FILE}.partial"));
        let (url, password) = libpq_url(self.url().as_sqlx_url());
        let mut command = tokio::process::Command::new("pg_dump");
        command
            .arg("--format=custom")
            .arg("--no-owner")
            .arg("--no-privileges")
            .arg(format!("--snapshot={snapshot}"))
            .arg("--file")
            .arg(&partial)
            .arg("--dbname")
            .arg(url);
        run_tool(command, password, "pg_dump").await?;
        // The snapshot had to stay open until pg_dump was done with it.
        tx.rollback().await.map_err(db_error)?;
        let file = dir.join(POSTGRES_FILE);
        tokio::fs::rename(&partial, &file)
            .await
            .map_err(io(format!("cannot move the dump to {}", file.display())))?;
        Ok(DatabaseCopy {
            file: POSTGRES_FILE,
            method: "pg_dump",
            counts,
        })
    }
}

/// `PRAGMA quick_check`, then the row counts, of a copy.
async fn check_and_count(copy: &SqlStore) -> Result<Counts, BackupError> {
    let mut conn = copy.pool().acquire().await.map_err(db_error)?;
    let verdict: String = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error)?;
    if verdict != "ok" {
        return Err(BackupError::Damaged(format!(
            "the copy failed SQLite's check: {verdict}"
        )));
    }
    Ok(table_counts(&mut conn).await?)
}

/// What a restore would replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetState {
    /// Tables in the database (none for a SQLite file that does not exist yet).
    pub tables: u64,
    /// Rows in Dateline's tables, when it has them.
    pub counts: Option<Counts>,
}

impl TargetState {
    /// Anything a restore would destroy: a row of a publication, or tables of something else.
    pub fn holds_data(&self) -> bool {
        match self.counts {
            Some(counts) => counts.holds_data(),
            None => self.tables > 0,
        }
    }
}

/// Looks at the database `url` names without creating it (a SQLite file that does not exist is
/// empty; a PostgreSQL database must exist).
pub async fn target_state(url: &DatabaseUrl) -> Result<TargetState, BackupError> {
    if let Some(path) = url.sqlite_path()
        && !Path::new(path).exists()
    {
        return Ok(TargetState {
            tables: 0,
            counts: None,
        });
    }
    let store = SqlStore::connect(url).await?;
    let state = inspect(&store).await;
    store.close().await;
    state
}

async fn inspect(store: &SqlStore) -> Result<TargetState, BackupError> {
    let mut conn = store.pool().acquire().await.map_err(db_error)?;
    let (all, ours) = match store.backend() {
        Backend::Sqlite => (
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'articles'",
        ),
        Backend::Postgres => (
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()",
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'articles'",
        ),
    };
    let tables: i64 = sqlx::query_scalar(AssertSqlSafe(all))
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error)?;
    let ours: i64 = sqlx::query_scalar(AssertSqlSafe(ours))
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error)?;
    let counts = if ours > 0 {
        Some(table_counts(&mut conn).await?)
    } else {
        None
    };
    Ok(TargetState {
        tables: u64::try_from(tables).unwrap_or_default(),
        counts,
    })
}

/// Puts the database copy `file` (from [`SqlStore::copy_database`]) in place of the database
/// `url` names, whose state is `target` (see [`target_state`]); the caller has decided that what
/// it holds may go. Nothing else may be using the database meanwhile (stop the servers).
///
/// SQLite: the copy is written next to the database under a temporary name, the old file and its
/// write-ahead log are removed and the copy renamed into place. PostgreSQL: `pg_restore` in one
/// transaction (the database must exist; Dateline's tables in it are dropped first).
pub async fn restore_database(
    url: &DatabaseUrl,
    file: &Path,
    target: TargetState,
) -> Result<(), BackupError> {
    match url.sqlite_path() {
        Some(path) => restore_sqlite(file, Path::new(path)).await,
        None => {
            let (libpq, password) = libpq_url(url.as_sqlx_url());
            let mut command = tokio::process::Command::new("pg_restore");
            command
                .arg("--no-owner")
                .arg("--no-privileges")
                .arg("--exit-on-error")
                .arg("--single-transaction");
            if target.tables > 0 {
                command.arg("--clean").arg("--if-exists");
            }
            command.arg("--dbname").arg(libpq).arg(file);
            run_tool(command, password, "pg_restore").await
        }
    }
}

async fn restore_sqlite(file: &Path, target: &Path) -> Result<(), BackupError> {
    let mut partial = target.as_os_str().to_owned();
    partial.push(".restoring");
    let partial = PathBuf::from(partial);
    tokio::fs::copy(file, &partial).await.map_err(io(format!(
        "cannot copy {} to {}",
        file.display(),
        partial.display()
    )))?;
    let copied = tokio::fs::File::open(&partial)
        .await
        .map_err(io(format!("cannot open {}", partial.display())))?;
    copied
        .sync_all()
        .await
        .map_err(io(format!("cannot write {} to disk", partial.display())))?;
    // A write-ahead log left beside the new file would be read as part of it.
    remove_sqlite_files(target).await?;
    tokio::fs::rename(&partial, target)
        .await
        .map_err(io(format!(
            "cannot move the restored database to {}",
            target.display()
        )))?;
    Ok(())
}

/// Removes a SQLite database file and its `-wal` and `-shm` files, those that exist.
async fn remove_sqlite_files(path: &Path) -> Result<(), BackupError> {
    remove_if_exists(path).await?;
    remove_sidecars(path).await
}

async fn remove_sidecars(path: &Path) -> Result<(), BackupError> {
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        remove_if_exists(Path::new(&side)).await?;
    }
    Ok(())
}

async fn remove_if_exists(path: &Path) -> Result<(), BackupError> {
    match tokio::fs::remove_file(path).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(io(format!("cannot remove {}", path.display()))(e))
        }
        _ => Ok(()),
    }
}

fn utf8(path: &Path) -> Result<&str, BackupError> {
    path.to_str().ok_or_else(|| {
        BackupError::Damaged(format!(
            "the path {} is not UTF-8; choose another directory",
            path.display()
        ))
    })
}

/// Runs a PostgreSQL client tool, the password (if any) in its environment rather than on its
/// command line, where other users of the machine could read it.
async fn run_tool(
    mut command: tokio::process::Command,
    password: Option<String>,
    program: &str,
) -> Result<(), BackupError> {
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = command.output().await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            BackupError::Tool(format!(
                "{program} is not on PATH: a PostgreSQL database is backed up and restored with \
                 the PostgreSQL client tools (pg_dump, pg_restore; Debian: postgresql-client) of \
                 the server's version or newer. Install them, or see the README for the commands \
                 to run by hand"
            ))
        } else {
            BackupError::Io {
                context: format!("cannot run {program}"),
                source: e,
            }
        }
    })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let said: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(3)
        .collect();
    Err(BackupError::Tool(format!(
        "{program} failed ({}): {}",
        output.status,
        said.join(" / ")
    )))
}

/// A PostgreSQL URL for libpq without its password, and the password (percent-decoded).
fn libpq_url(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    match userinfo.split_once(':') {
        Some((user, password)) => (
            format!("{scheme}://{user}@{host}{tail}"),
            Some(dateline_domain::paths::decode(password).into_owned()),
        ),
        None => (url.to_owned(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_go_to_the_environment_not_the_command_line() {
        assert_eq!(
            libpq_url("postgres://news:s%40cret@db.internal:5433/gvs?sslmode=require"),
            (
                "postgres://news@db.internal:5433/gvs?sslmode=require".to_owned(),
                Some("s@cret".to_owned())
            )
        );
        assert_eq!(
            libpq_url("postgres://root@127.0.0.1:5432/test"),
            ("postgres://root@127.0.0.1:5432/test".to_owned(), None)
        );
        assert_eq!(
            libpq_url("postgresql://db/gvs"),
            ("postgresql://db/gvs".to_owned(), None)
        );
    }

    #[test]
    fn a_database_with_a_row_or_foreign_tables_holds_data() {
        let empty = TargetState {
            tables: 0,
            counts: None,
        };
        assert!(!empty.holds_data());
        let migrated = TargetState {
            tables: 20,
            counts: Some(Counts::default()),
        };
        assert!(!migrated.holds_data());
        let foreign = TargetState {
            tables: 1,
            counts: None,
        };
        assert!(foreign.holds_data());
        let used = TargetState {
            tables: 20,
            counts: Some(Counts {
                users: 1,
                ..Counts::default()
            }),
        };
        assert!(used.holds_data());
    }
}
