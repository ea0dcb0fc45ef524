//! Turning rows back into domain values. Stored data that does not parse is reported as
//! [`StoreError::Corrupt`], never papered over.

use chrono::{DateTime, Utc};
use dateline_domain::{
    ArticleId, ArticleStatus, ArticleSummary, Author, AuthorId, CorrectionKind, Language,
    RevisionNumber, Section, SectionId, SiteSettings, Slug, Source, StoreError, Tag, TagId,
};
use sqlx::Row;
use sqlx::any::AnyRow;

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
    StoreError::Database(Box::new(e))
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

/// Columns `source_agency`, `source_additional_inputs`: the agency attribution, if any.
pub(crate) fn source(row: &AnyRow) -> Result<Option<Source>, StoreError> {
    get::<Option<String>>(row, "source_agency")?
        .map(|agency| {
            Ok(Source {
                agency,
                additional_inputs: get::<i64>(row, "source_additional_inputs")? != 0,
            })
        })
        .transpose()
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
    use super::is_data_exception;

    #[test]
    fn postgres_data_exceptions_are_invalid_input_and_sqlite_codes_are_not() {
        for code in ["22021", "22P05", "22003", "22001"] {
            assert!(is_data_exception(code), "{code}");
        }
        for code in ["23505", "08006", "2067", "22", "787", "57014"] {
            assert!(!is_data_exception(code), "{code}");
        }
    }
}
