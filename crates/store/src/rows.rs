//! Turning rows back into domain values. Stored data that does not parse is reported as
//! [`StoreError::Corrupt`], never papered over.

use chrono::{DateTime, Utc};
use dateline_domain::{
    ArticleId, ArticleStatus, ArticleSummary, AttributionMode, Author, AuthorId, CorrectionKind,
    Language, RevisionNumber, Section, SectionId, SiteSettings, Slug, Source, StoreError, Tag,
    TagId,
};
use sqlx::Row;
use sqlx::any::AnyRow;

/// The store's error for a failed sqlx call. Constraint violations and values the database
/// refuses as data are told apart first; what is left is either the database out of reach or
/// out of room for now ([`StoreError::Unavailable`], which may pass: 503) or a statement the
/// database failed ([`StoreError::Failed`]: a bug, or a refusal that waiting will not mend: 500).
/// Either way the sqlx error is kept whole as the source.
pub(crate) fn db_error(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return StoreError::Conflict(db.constraint().unwrap_or("a unique value").to_owned());
        }
        if db.is_foreign_key_violation() {
            return StoreError::MissingReference(
                db.constraint().unwrap_or("a referenced row").to_owned(),
            );
        }
        if db.code().is_some_and(|code| is_data_exception(&code)) {
            return StoreError::InvalidInput(db.message().to_owned());
        }
    }
    if unavailable(&e) {
        StoreError::Unavailable(Box::new(e))
    } else {
        StoreError::Failed(Box::new(e))
    }
}

/// Whether the database could not be reached, or could not take the statement for want of a
/// connection, memory, disk or a lock, rather than failing it: what may pass by itself.
fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        // No connection to be had: none free in time, the pool closed (shutting down), the
        // network or the TLS session broken.
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            if code.len() == 5 {
                is_unavailable_sqlstate(&code)
            } else {
                code.parse::<i32>().is_ok_and(is_unavailable_sqlite)
            }
        }),
        // A value that does not decode, a column that is not there, a crashed worker, a
        // protocol error: a bug to be seen, not an outage to wait out.
        _ => false,
    }
}

/// PostgreSQL's SQLSTATEs for a database out of reach or out of room: class 08 (connection
/// exception), 57P01–57P05 (the server shutting down or restarting, the database dropped, an
/// idle session ended), class 53 (out of connections, memory or disk), and the two kinds of
/// contention a retry gets past (40001 serialization failure, 40P01 deadlock: the counterparts
/// of SQLite's BUSY).
fn is_unavailable_sqlstate(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("57P0")
        || code.starts_with("53")
        || code == "40001"
        || code == "40P01"
}

/// SQLite's result codes (extended ones carry the primary code in their low byte) for a
/// database out of reach or out of room: BUSY (5) and LOCKED (6), another connection holding
/// the lock past the busy timeout; NOMEM (7), IOERR (10), FULL (13), CANTOPEN (14).
fn is_unavailable_sqlite(code: i32) -> bool {
    matches!(code & 0xff, 5 | 6 | 7 | 10 | 13 | 14)
}

/// PostgreSQL's class 22, "data exception": a value the database will not take as written, such
/// as text with a NUL byte (22021, "invalid byte sequence for encoding UTF8: 0x00") or a number
/// out of range (22003). The input was wrong, the database is fine. SQLite's codes are numbers
/// of at most four digits, never five characters, so only PostgreSQL's SQLSTATE matches.
fn is_data_exception(code: &str) -> bool {
    code.len() == 5 && code.starts_with("22")
}

/// Runs `query` on `pool` and reads every row it returns with `read`.
pub(crate) async fn all<T>(
    query: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
    pool: &sqlx::AnyPool,
    read: impl Fn(&AnyRow) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    query
        .fetch_all(pool)
        .await
        .map_err(db_error)?
        .iter()
        .map(read)
        .collect()
}

pub(crate) fn get<'r, T>(row: &'r AnyRow, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(column).map_err(db_error)
}

pub(crate) fn slug(row: &AnyRow, column: &str) -> Result<Slug, StoreError> {
    let s: String = get(row, column)?;
    Slug::parse(&s).map_err(|e| StoreError::Corrupt(format!("{column} '{s}': {e}")))
}

pub(crate) fn time(millis: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(millis)
        .ok_or_else(|| StoreError::Corrupt(format!("time {millis} out of range")))
}

pub(crate) fn opt_time(row: &AnyRow, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    get::<Option<i64>>(row, column)?.map(time).transpose()
}

/// The `kind` column of a correction row.
pub(crate) fn correction_kind(row: &AnyRow) -> Result<CorrectionKind, StoreError> {
    let kind: String = get(row, "kind")?;
    kind.parse()
        .map_err(|_| StoreError::Corrupt(format!("correction kind '{kind}'")))
}

/// A revision number column (`number`, `based_on`, `revision`).
pub(crate) fn revision_number(row: &AnyRow, column: &str) -> Result<RevisionNumber, StoreError> {
    get(row, column).map(RevisionNumber)
}

/// A revision number column that may be NULL (`live_revision`).
pub(crate) fn opt_revision_number(
    row: &AnyRow,
    column: &str,
) -> Result<Option<RevisionNumber>, StoreError> {
    Ok(get::<Option<i64>>(row, column)?.map(RevisionNumber))
}

pub(crate) fn status(row: &AnyRow) -> Result<ArticleStatus, StoreError> {
    let s: String = get(row, "status")?;
    ArticleStatus::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("status '{s}'")))
}

pub(crate) fn language(row: &AnyRow) -> Result<Language, StoreError> {
    let s: String = get(row, "language")?;
    Language::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Columns `source_agency` (the agencies, one a line) and `source_mode`: the attribution, if any.
pub(crate) fn source(row: &AnyRow) -> Result<Option<Source>, StoreError> {
    get::<Option<String>>(row, "source_agency")?
        .filter(|agencies| !agencies.is_empty())
        .map(|agencies| {
            Ok(Source {
                agencies: agencies.split('\n').map(str::to_owned).collect(),
                mode: AttributionMode::from_code(get(row, "source_mode")?),
            })
        })
        .transpose()
}

/// The values of columns `source_agency` and `source_mode` for `source`.
pub(crate) fn source_columns(source: Option<&Source>) -> (Option<String>, i64) {
    source.map_or((None, 0), |s| (Some(s.agencies.join("\n")), s.mode.code()))
}

/// Columns `section_id`, `section_slug`, `section_name`.
pub(crate) fn joined_section(row: &AnyRow) -> Result<Section, StoreError> {
    Ok(Section {
        id: SectionId(get(row, "section_id")?),
        slug: slug(row, "section_slug")?,
        name: get(row, "section_name")?,
    })
}

pub(crate) fn section(row: &AnyRow) -> Result<Section, StoreError> {
    Ok(Section {
        id: SectionId(get(row, "id")?),
        slug: slug(row, "slug")?,
        name: get(row, "name")?,
    })
}

pub(crate) fn tag(row: &AnyRow) -> Result<Tag, StoreError> {
    Ok(Tag {
        id: TagId(get(row, "id")?),
        slug: slug(row, "slug")?,
        name: get(row, "name")?,
    })
}

pub(crate) fn author(row: &AnyRow) -> Result<Author, StoreError> {
    Ok(Author {
        id: AuthorId(get(row, "id")?),
        slug: slug(row, "slug")?,
        name: get(row, "name")?,
    })
}

/// A row of `site_settings`.
pub(crate) fn settings(row: &AnyRow) -> Result<SiteSettings, StoreError> {
    let zone: String = get(row, "time_zone")?;
    let locale: String = get(row, "locale")?;
    Ok(SiteSettings {
        name: get(row, "name")?,
        short_name: get(row, "short_name")?,
        base_url: get(row, "base_url")?,
        time_zone: zone
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("time zone '{zone}'")))?,
        locale: Language::parse(&locale).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        attribution_template: get(row, "attribution_template")?,
        attribution_template_agency_only: get(row, "attribution_template_agency_only")?,
        attribution_template_edited: get(row, "attribution_template_edited")?,
        show_comments: get::<i64>(row, "show_comments")? != 0,
    })
}

/// Rows selected with [`crate::sql::SUMMARY_COLUMNS`].
pub(crate) fn summary(row: &AnyRow) -> Result<ArticleSummary, StoreError> {
    Ok(ArticleSummary {
        id: ArticleId(get(row, "id")?),
        slug: slug(row, "slug")?,
        headline: get(row, "headline")?,
        standfirst: get(row, "standfirst")?,
        section: joined_section(row)?,
        status: status(row)?,
        language: language(row)?,
        published_at: opt_time(row, "published_at")?,
    })
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use dateline_domain::StoreError;
    use sqlx::error::{DatabaseError, ErrorKind};
    use sqlx::{AnyConnection, Connection, Executor};

    use super::{db_error, is_data_exception};
    use crate::testing::TestDatabase;

    #[test]
    fn postgres_data_exceptions_are_invalid_input_and_sqlite_codes_are_not() {
        for code in ["22021", "22P05", "22003", "22001"] {
            assert!(is_data_exception(code), "{code}");
        }
        for code in ["23505", "08006", "2067", "22", "787", "57014"] {
            assert!(!is_data_exception(code), "{code}");
        }
    }

    /// A database error with nothing but a code, as either backend reports one.
    #[derive(Debug)]
    struct Coded(&'static str);

    impl std::fmt::Display for Coded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "code {}", self.0)
        }
    }

    impl std::error::Error for Coded {}

    impl DatabaseError for Coded {
        fn message(&self) -> &str {
            "coded"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> ErrorKind {
            ErrorKind::Other
        }
    }

    fn coded(code: &'static str) -> StoreError {
        db_error(sqlx::Error::Database(Box::new(Coded(code))))
    }

    #[test]
    fn no_connection_is_unavailable() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        for e in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::Io(refused),
            sqlx::Error::Tls("handshake".into()),
        ] {
            let shown = e.to_string();
            assert!(matches!(db_error(e), StoreError::Unavailable(_)), "{shown}");
        }
    }

    #[test]
    fn connectivity_resources_and_contention_codes_are_unavailable() {
        for code in [
            // PostgreSQL: connection exceptions, shutdown, resources, contention.
            "08000", "08006", "08P01", "57P01", "57P02", "57P03", "53100", "53200", "53300",
            "40001",
            "40P01", // SQLite: BUSY, LOCKED and their extended codes, NOMEM, IOERR, FULL.
            "5", "6", "261", "517", "773", "262", "7", "10", "266", "13", "14",
        ] {
            assert!(
                matches!(coded(code), StoreError::Unavailable(_)),
                "{code} is an outage"
            );
        }
    }

    #[test]
    fn failed_statements_and_decoding_are_failures() {
        for code in [
            // PostgreSQL: no such table or column, syntax, a cancelled statement.
            "42P01", "42703", "42601", "57014",
            "XX000", // SQLite: ERROR, CORRUPT, READONLY, a constraint.
            "1", "11", "8", "275",
        ] {
            assert!(
                matches!(coded(code), StoreError::Failed(_)),
                "{code} is a failure"
            );
        }
        for e in [
            sqlx::Error::RowNotFound,
            sqlx::Error::ColumnNotFound("headline".into()),
            sqlx::Error::Protocol("unexpected message".into()),
            sqlx::Error::WorkerCrashed,
            sqlx::Error::Decode("not an integer".into()),
        ] {
            let shown = e.to_string();
            assert!(matches!(db_error(e), StoreError::Failed(_)), "{shown}");
        }
    }

    #[test]
    fn the_sqlx_error_is_kept_as_the_source() {
        let e = coded("42P01");
        let source = std::error::Error::source(&e).expect("a source");
        assert!(source.to_string().contains("code 42P01"), "{source}");
    }

    async fn connect(db: &TestDatabase) -> AnyConnection {
        sqlx::any::install_default_drivers();
        AnyConnection::connect(db.url().as_sqlx_url())
            .await
            .expect("connect")
    }

    #[tokio::test]
    async fn a_missing_table_is_a_failure_on_sqlite() {
        let db = TestDatabase::sqlite();
        let mut conn = connect(&db).await;
        let e = conn.execute("SELECT * FROM nowhere").await.unwrap_err();
        assert!(matches!(db_error(e), StoreError::Failed(_)));
    }

    #[tokio::test]
    async fn another_writer_holding_sqlite_is_unavailable() {
        let db = TestDatabase::sqlite();
        let mut holder = connect(&db).await;
        holder
            .execute("CREATE TABLE t (x INTEGER)")
            .await
            .expect("table");
        holder.execute("BEGIN IMMEDIATE").await.expect("lock");
        let mut other = connect(&db).await;
        other
            .execute("PRAGMA busy_timeout = 0")
            .await
            .expect("pragma");
        let e = other.execute("BEGIN IMMEDIATE").await.unwrap_err();
        let shown = e.to_string();
        assert!(matches!(db_error(e), StoreError::Unavailable(_)), "{shown}");
    }

    #[tokio::test]
    async fn a_missing_table_is_a_failure_on_postgres() {
        let Some(db) =
            TestDatabase::postgres("rows::a_missing_table_is_a_failure_on_postgres").await
        else {
            return;
        };
        let mut conn = connect(&db).await;
        let e = conn.execute("SELECT * FROM nowhere").await.unwrap_err();
        assert!(matches!(db_error(e), StoreError::Failed(_)));
    }

    #[tokio::test]
    async fn a_terminated_postgres_session_is_unavailable() {
        let Some(db) =
            TestDatabase::postgres("rows::a_terminated_postgres_session_is_unavailable").await
        else {
            return;
        };
        let mut victim = connect(&db).await;
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut victim)
            .await
            .expect("pid");
        let mut admin = connect(&db).await;
        let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .fetch_one(&mut admin)
            .await
            .expect("terminate");
        assert!(ended);
        let e = victim.execute("SELECT 1").await.unwrap_err();
        let shown = e.to_string();
        assert!(matches!(db_error(e), StoreError::Unavailable(_)), "{shown}");
    }
}
