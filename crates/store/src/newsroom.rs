//! The newsroom's tables: accounts, sessions, sign-in attempts and the devices and addresses
//! accounts signed in from. Called from the [`Store`]
//! implementation in `sql.rs`.
//!
//! [`Store`]: dateline_domain::Store

use chrono::{DateTime, Utc};
use dateline_domain::store::{KnownSignIn, ReservationOutcome, SignInReservation};
use dateline_domain::{Email, NewUser, Role, Session, StoreError, User, UserId};
use sqlx::any::AnyRow;

use crate::Backend;
use crate::rows::{self, db_error, get};
use crate::sql::SqlStore;

const USER_COLUMNS: &str = "id, email, name, role, created_at";

pub(crate) fn user(row: &AnyRow) -> Result<User, StoreError> {
    let email: String = get(row, "email")?;
    let role: String = get(row, "role")?;
    Ok(User {
        id: UserId(get(row, "id")?),
        email: Email::parse(&email).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        name: get(row, "name")?,
        role: Role::parse(&role).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        created_at: rows::time(get(row, "created_at")?)?,
    })
}

/// The PostgreSQL advisory lock that serialises sign-in attempts under `scope`: FNV-1a of the
/// scope, the same on every node.
fn scope_lock_key(scope: &str) -> i64 {
    let hash = scope.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// See [`SqlStore::remember_sign_in_rows`].
const KNOWN_PER_ACCOUNT: u32 = 50;

impl SqlStore {
    pub(crate) async fn insert_user_row(&self, new: &NewUser) -> Result<User, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, name, role, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(new.email.as_str())
        .bind(new.name.as_str())
        .bind(new.role.as_str())
        .bind(new.password_hash.as_str())
        .bind(new.created_at.timestamp_millis())
        .fetch_one(self.pool())
        .await
        .map_err(|e| match db_error(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("the e-mail address {}", new.email))
            }
            other => other,
        })?;
        Ok(User {
            id: UserId(id),
            email: new.email.clone(),
            name: new.name.clone(),
            role: new.role,
            created_at: rows::time(new.created_at.timestamp_millis())?,
        })
    }

    pub(crate) async fn user_row_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?
        .as_ref()
        .map(user)
        .transpose()
    }

    pub(crate) async fn user_credentials_row(
        &self,
        email: &Email,
    ) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1"
        )))
        .bind(email.as_str())
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?;
        row.map(|row| Ok((user(&row)?, get(&row, "password_hash")?)))
            .transpose()
    }

    pub(crate) async fn user_rows(&self) -> Result<Vec<User>, StoreError> {
        rows::all(
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users ORDER BY name, id"
            ))),
            self.pool(),
            user,
        )
        .await
    }

    pub(crate) async fn set_password_hash_row(
        &self,
        id: UserId,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(id.0)
            .bind(keep_session.unwrap_or(""))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    pub(crate) async fn insert_session_row(&self, s: &Session) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(s.token_hash.as_str())
        .bind(s.user.0)
        .bind(s.csrf_token.as_str())
        .bind(s.created_at.timestamp_millis())
        .bind(s.expires_at.timestamp_millis())
        .execute(self.pool())
        .await
        .map(|_| ())
        .map_err(db_error)
    }

    pub(crate) async fn session_row(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Session, User)>, StoreError> {
        let row = sqlx::query(
            "SELECT s.token_hash, s.csrf_token, s.created_at AS session_created_at, s.expires_at, \
             u.id, u.email, u.name, u.role, u.created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now.timestamp_millis())
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        let account = user(&row)?;
        let session = Session {
            token_hash: get(&row, "token_hash")?,
            user: account.id,
            csrf_token: get(&row, "csrf_token")?,
            created_at: rows::time(get(&row, "session_created_at")?)?,
            expires_at: rows::time(get(&row, "expires_at")?)?,
        };
        Ok(Some((session, account)))
    }

    pub(crate) async fn delete_session_row(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2")
            .bind(token_hash)
            .bind(now.timestamp_millis())
            .execute(self.pool())
            .await
            .map(|_| ())
            .map_err(db_error)
    }

    /// Checks the limits and notes the attempt in one write transaction. SQLite serialises
    /// writers (`BEGIN IMMEDIATE`); PostgreSQL's READ COMMITTED would let two transactions both
    /// count the old rows, so each scope involved is locked first (transaction-scoped advisory
    /// locks, taken in one order by every node, so two attempts never wait on each other).
    pub(crate) async fn reserve_sign_in_attempt_rows(
        &self,
        reservation: &SignInReservation<'_>,
    ) -> Result<ReservationOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            let mut keys: Vec<i64> = reservation
                .limits
                .iter()
                .map(|l| l.scope.as_str())
                .chain(reservation.record.iter().map(String::as_str))
                .map(scope_lock_key)
                .collect();
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(key)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
            }
        }
        for (i, limit) in reservation.limits.iter().enumerate() {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM sign_in_failures WHERE scope = $1 AND at >= $2",
            )
            .bind(limit.scope.as_str())
            .bind(reservation.since.timestamp_millis())
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
            if u64::try_from(n).unwrap_or_default() >= limit.max {
                tx.rollback().await.map_err(db_error)?;
                return Ok(ReservationOutcome::Refused(i));
            }
        }
        let at = reservation.at.timestamp_millis();
        for scope in reservation.record {
            sqlx::query("INSERT INTO sign_in_failures (scope, at, attempt) VALUES ($1, $2, $3)")
                .bind(scope.as_str())
                .bind(at)
                .bind(reservation.attempt)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        // Failures older than a day count for nothing; keep the table small.
        sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
            .bind(at - 24 * 3600 * 1000)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(ReservationOutcome::Reserved)
    }

    pub(crate) async fn release_sign_in_attempt_rows(
        &self,
        attempt: &str,
    ) -> Result<(), StoreError> {
        if attempt.is_empty() {
            return Ok(());
        }
        sqlx::query("DELETE FROM sign_in_failures WHERE attempt = $1")
            .bind(attempt)
            .execute(self.pool())
            .await
            .map(|_| ())
            .map_err(db_error)
    }

    /// How many devices and addresses one account's successful sign-ins are remembered from: the
    /// most recent ones; older ones are forgotten (an owner then counts as an unknown device).
    pub(crate) async fn remember_sign_in_rows(
        &self,
        user: UserId,
        address: &str,
        device_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO known_devices (token_hash, user_id, last_sign_in) VALUES ($1, $2, $3) \
             ON CONFLICT (token_hash, user_id) DO UPDATE SET last_sign_in = excluded.last_sign_in",
        )
        .bind(device_hash)
        .bind(user.0)
        .bind(at.timestamp_millis())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO known_addresses (user_id, address, last_sign_in) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, address) DO UPDATE SET last_sign_in = excluded.last_sign_in",
        )
        .bind(user.0)
        .bind(address)
        .bind(at.timestamp_millis())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        // Bounded per account: only the most recent devices and addresses are remembered.
        for (table, key) in [
            ("known_devices", "token_hash"),
            ("known_addresses", "address"),
        ] {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE user_id = $1 AND {key} NOT IN \
                 (SELECT {key} FROM {table} WHERE user_id = $1 \
                  ORDER BY last_sign_in DESC LIMIT {KNOWN_PER_ACCOUNT})"
            )))
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }

    pub(crate) async fn known_sign_in_rows(
        &self,
        user: UserId,
        address: &str,
        device_hash: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<KnownSignIn, StoreError> {
        let since = since.timestamp_millis();
        let device = match device_hash {
            Some(hash) => {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM known_devices \
                 WHERE token_hash = $1 AND user_id = $2 AND last_sign_in >= $3",
                )
                .bind(hash)
                .bind(user.0)
                .bind(since)
                .fetch_one(self.pool())
                .await
                .map_err(db_error)?
                    > 0
            }
            None => false,
        };
        let address: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM known_addresses \
             WHERE user_id = $1 AND address = $2 AND last_sign_in >= $3",
        )
        .bind(user.0)
        .bind(address)
        .bind(since)
        .fetch_one(self.pool())
        .await
        .map_err(db_error)?;
        Ok(KnownSignIn {
            device,
            address: address > 0,
        })
    }

    pub(crate) async fn sign_in_failure_count(
        &self,
        scope: &str,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sign_in_failures WHERE scope = $1 AND at >= $2",
        )
        .bind(scope)
        .bind(since.timestamp_millis())
        .fetch_one(self.pool())
        .await
        .map_err(db_error)?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    pub(crate) async fn clear_sign_in_failure_rows(&self, scope: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sign_in_failures WHERE scope = $1")
            .bind(scope)
            .execute(self.pool())
            .await
            .map(|_| ())
            .map_err(db_error)
    }
}

// The article workflow: drafts, revisions, transitions, corrections and the audit log.

use std::collections::BTreeSet;

use dateline_domain::{
    ArticleId, ArticleStatus, ArticleSummary, AuditEntry, AuditRecord, Author, AuthorId, CacheKey,
    Content, ContentChange, Correction, DeskFilter, DeskItem, Draft, LabelDeletion, LabelRef,
    MAX_REVISIONS, NewArticle, Revision, RevisionInfo, RevisionKind, SaveOutcome, Section,
    SectionId, Slug, Tag, TagId, Transition, Workflow,
};
use sqlx::{Any, AssertSqlSafe, Transaction};

use crate::sql::{SUMMARY_COLUMNS, insert_one, listing_keys, new_article_keys};

type Tx = Transaction<'static, Any>;

async fn write_audit(tx: &mut Tx, e: &AuditEntry) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, action, article_id, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(e.at.timestamp_millis())
    .bind(e.user.map(|u| u.0))
    .bind(e.action.as_str())
    .bind(e.article.map(|a| a.0))
    .bind(e.detail.as_str())
    .execute(&mut **tx)
    .await
    .map(|_| ())
    .map_err(db_error)
}

/// The ids of an article's section, tags and byline, once the new ones exist.
struct LabelIds {
    section: SectionId,
    tags: Vec<TagId>,
    authors: Vec<AuthorId>,
}

/// A section, tag or byline an article write brought into being: its audit line's action and
/// detail.
struct Created {
    action: &'static str,
    detail: String,
    section: bool,
}

/// The id of `label`, inserting it into `table` when it is new (and noting that in `created`).
/// Someone else may have added the same slug since the article was checked: then theirs is used.
async fn label_id<Id: Copy>(
    tx: &mut Tx,
    table: &'static str,
    label: &LabelRef<Id>,
    wrap: fn(i64) -> Id,
    created: &mut Vec<Created>,
) -> Result<Id, StoreError> {
    let (slug, name) = match label {
        LabelRef::Existing(id) => return Ok(*id),
        LabelRef::New { slug, name } => (slug, name.trim()),
    };
    let inserted = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO {table} (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING"
    )))
    .bind(slug.as_str())
    .bind(name)
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    let id: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT id FROM {table} WHERE slug = $1"
    )))
    .bind(slug.as_str())
    .fetch_one(&mut **tx)
    .await
    .map_err(db_error)?;
    if inserted.rows_affected() == 1 {
        let (action, path) = match table {
            "sections" => ("added section", "section"),
            "tags" => ("added tag", "tag"),
            _ => ("added byline name", "author"),
        };
        created.push(Created {
            action,
            detail: format!("{name} at /{path}/{slug}"),
            section: table == "sections",
        });
    }
    Ok(wrap(id))
}

/// The ids of the labels `c` names, creating the new ones in `tx`.
async fn resolve_labels(
    tx: &mut Tx,
    c: &Content,
    created: &mut Vec<Created>,
) -> Result<LabelIds, StoreError> {
    let section = label_id(tx, "sections", &c.section, SectionId, created).await?;
    let mut tags = Vec::with_capacity(c.tags.len());
    for tag in &c.tags {
        tags.push(label_id(tx, "tags", tag, TagId, created).await?);
    }
    let mut authors = Vec::with_capacity(c.authors.len());
    for author in &c.authors {
        authors.push(label_id(tx, "authors", author, AuthorId, created).await?);
    }
    Ok(LabelIds {
        section,
        tags,
        authors,
    })
}

/// One audit line per created label, by the author of `audit`, on article `id`. A new section
/// changes the navigation of every page, so the change becomes "everything".
async fn audit_created(
    tx: &mut Tx,
    audit: &AuditEntry,
    id: ArticleId,
    created: Vec<Created>,
    change: &mut ContentChange,
) -> Result<(), StoreError> {
    for c in created {
        if c.section {
            change.keys.insert(CacheKey::All);
        }
        write_audit(
            tx,
            &AuditEntry {
                at: audit.at,
                user: audit.user,
                action: c.action.to_owned(),
                article: Some(id),
                detail: c.detail,
            },
        )
        .await?;
    }
    Ok(())
}

/// Replaces the stored content of article `id` (and its tags and byline), creating the new
/// labels it names with an audit line each (on behalf of `audit`'s account).
async fn write_content(
    tx: &mut Tx,
    id: ArticleId,
    c: &Content,
    now: DateTime<Utc>,
    audit: &AuditEntry,
    change: &mut ContentChange,
) -> Result<(), StoreError> {
    let mut created = Vec::new();
    let labels = resolve_labels(tx, c, &mut created).await?;
    audit_created(tx, audit, id, created, change).await?;
    sqlx::query(
        "UPDATE articles SET headline = $1, standfirst = $2, body = $3, body_html = $4, section_id = $5, \
         source_agency = $6, source_additional_inputs = $7, language = $8, updated_at = $9 WHERE id = $10",
    )
    .bind(c.headline.as_str())
    .bind(c.standfirst.as_str())
    .bind(c.body.as_str())
    .bind(c.body_html.as_str())
    .bind(labels.section.0)
    .bind(c.source.as_ref().map(|s| s.agency.as_str()))
    .bind(i64::from(c.source.as_ref().is_some_and(|s| s.additional_inputs)))
    .bind(c.language.as_str())
    .bind(now.timestamp_millis())
    .bind(id.0)
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    for table in ["article_tags", "article_authors"] {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE article_id = $1"
        )))
        .bind(id.0)
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    }
    for (position, tag) in labels.tags.iter().enumerate() {
        sqlx::query("INSERT INTO article_tags (article_id, tag_id, position) VALUES ($1, $2, $3)")
            .bind(id.0)
            .bind(tag.0)
            .bind(position as i64)
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
    }
    for (position, author) in labels.authors.iter().enumerate() {
        sqlx::query(
            "INSERT INTO article_authors (article_id, author_id, position) VALUES ($1, $2, $3)",
        )
        .bind(id.0)
        .bind(author.0)
        .bind(position as i64)
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

#[expect(clippy::too_many_arguments, reason = "the columns of one row")]
async fn insert_revision(
    tx: &mut Tx,
    id: ArticleId,
    number: i64,
    based_on: i64,
    kind: RevisionKind,
    d: &Draft,
    by: UserId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO article_revisions (article_id, number, based_on, kind, headline, standfirst, body, \
         section, tags, authors, source_agency, source_additional_inputs, language, saved_by, saved_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(id.0)
    .bind(number)
    .bind(based_on)
    .bind(kind.as_str())
    .bind(d.headline.as_str())
    .bind(d.standfirst.as_str())
    .bind(d.body.as_str())
    .bind(d.section.as_str())
    .bind(d.tags.join("\n"))
    .bind(d.authors.join("\n"))
    .bind(d.source.as_ref().map(|s| s.agency.as_str()))
    .bind(i64::from(d.source.as_ref().is_some_and(|s| s.additional_inputs)))
    .bind(d.language.as_str())
    .bind(by.0)
    .bind(at.timestamp_millis())
    .execute(&mut **tx)
    .await
    .map(|_| ())
    .map_err(db_error)
}

pub(crate) fn lines(s: String) -> Vec<String> {
    s.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn revision(row: &AnyRow) -> Result<Revision, StoreError> {
    Ok(Revision {
        article: ArticleId(get(row, "article_id")?),
        number: get(row, "number")?,
        based_on: get(row, "based_on")?,
        kind: revision_kind(row)?,
        draft: draft(row)?,
        saved_by: get::<Option<i64>>(row, "saved_by")?.map(UserId),
        saved_by_name: get(row, "saved_by_name")?,
        saved_at: rows::time(get(row, "saved_at")?)?,
    })
}

/// The `kind` column of a revision row.
pub(crate) fn revision_kind(row: &AnyRow) -> Result<RevisionKind, StoreError> {
    let kind: String = get(row, "kind")?;
    RevisionKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("revision kind '{kind}'")))
}

/// The draft a revision row holds.
pub(crate) fn draft(row: &AnyRow) -> Result<Draft, StoreError> {
    Ok(Draft {
        headline: get(row, "headline")?,
        standfirst: get(row, "standfirst")?,
        body: get(row, "body")?,
        section: get(row, "section")?,
        tags: lines(get(row, "tags")?),
        authors: lines(get(row, "authors")?),
        source: rows::source(row)?,
        language: get(row, "language")?,
    })
}

fn workflow(row: &AnyRow) -> Result<Workflow, StoreError> {
    Ok(Workflow {
        status: rows::status(row)?,
        revision: get(row, "revision")?,
        live_revision: get(row, "live_revision")?,
        created_by: get::<Option<i64>>(row, "created_by")?.map(UserId),
        scheduled_at: rows::opt_time(row, "scheduled_at")?,
    })
}

fn revision_info(row: &AnyRow) -> Result<RevisionInfo, StoreError> {
    let kind: String = get(row, "kind")?;
    let body_chars: i64 = get(row, "body_chars")?;
    Ok(RevisionInfo {
        article: ArticleId(get(row, "article_id")?),
        number: get(row, "number")?,
        based_on: get(row, "based_on")?,
        kind: RevisionKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("revision kind '{kind}'")))?,
        headline: get(row, "headline")?,
        body_chars: u64::try_from(body_chars).unwrap_or_default(),
        saved_by: get::<Option<i64>>(row, "saved_by")?.map(UserId),
        saved_by_name: get(row, "saved_by_name")?,
        saved_at: rows::time(get(row, "saved_at")?)?,
    })
}

/// When revision `current` is an autosave by `by` that is not live, the revision it was based
/// on: the autosave may be replaced.
async fn replaceable_autosave(
    tx: &mut Tx,
    id: ArticleId,
    current: i64,
    live: Option<i64>,
    by: UserId,
) -> Result<Option<i64>, StoreError> {
    if live == Some(current) {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT based_on FROM article_revisions \
         WHERE article_id = $1 AND number = $2 AND kind = $3 AND saved_by = $4",
    )
    .bind(id.0)
    .bind(current)
    .bind(RevisionKind::Autosave.as_str())
    .bind(by.0)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_error)?;
    row.map(|row| get(&row, "based_on")).transpose()
}

/// Keeps an article within [`MAX_REVISIONS`]: the oldest autosaves go first, then the oldest
/// conflict copies; never `head` or the live revision, never a named save or restore.
async fn prune_revisions(
    tx: &mut Tx,
    id: ArticleId,
    head: i64,
    live: Option<i64>,
) -> Result<(), StoreError> {
    for kind in [RevisionKind::Autosave, RevisionKind::Conflict] {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM article_revisions WHERE article_id = $1")
                .bind(id.0)
                .fetch_one(&mut **tx)
                .await
                .map_err(db_error)?;
        let excess = count - MAX_REVISIONS;
        if excess <= 0 {
            return Ok(());
        }
        sqlx::query(
            "DELETE FROM article_revisions WHERE article_id = $1 AND number IN (\
             SELECT number FROM article_revisions WHERE article_id = $2 AND kind = $3 \
             AND number <> $4 AND number <> $5 ORDER BY number LIMIT $6)",
        )
        .bind(id.0)
        .bind(id.0)
        .bind(kind.as_str())
        .bind(head)
        .bind(live.unwrap_or(0))
        .bind(excess)
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

/// `%text%` for LIKE, with the wildcards in `text` escaped (by backslash).
fn contains_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl SqlStore {
    pub(crate) async fn insert_draft_rows(
        &self,
        slug: &Slug,
        content: &Content,
        draft: &Draft,
        by: UserId,
        audit: &AuditEntry,
    ) -> Result<ArticleId, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut created = Vec::new();
        let labels = resolve_labels(&mut tx, content, &mut created).await?;
        let article = &NewArticle {
            slug: slug.clone(),
            headline: content.headline.clone(),
            standfirst: content.standfirst.clone(),
            body: content.body.clone(),
            body_html: content.body_html.clone(),
            section: labels.section,
            tags: labels.tags,
            authors: labels.authors,
            source: content.source.clone(),
            status: ArticleStatus::Draft,
            language: content.language.clone(),
            published_at: None,
            created_at: audit.at,
            updated_at: audit.at,
        };
        let id = insert_one(&mut tx, article).await?;
        sqlx::query("UPDATE articles SET revision = 1, created_by = $1 WHERE id = $2")
            .bind(by.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        insert_revision(
            &mut tx,
            id,
            1,
            0,
            RevisionKind::Save,
            draft,
            by,
            article.created_at,
        )
        .await?;
        let mut change = ContentChange::default();
        new_article_keys(id, article, &mut change.keys);
        // The labels' lines first, so the article's own line is the newest.
        audit_created(&mut tx, audit, id, created, &mut change).await?;
        write_audit(
            &mut tx,
            &AuditEntry {
                article: Some(id),
                ..audit.clone()
            },
        )
        .await?;
        self.commit_change(tx, change).await?;
        Ok(id)
    }

    pub(crate) async fn workflow_row(&self, id: ArticleId) -> Result<Option<Workflow>, StoreError> {
        sqlx::query(
            "SELECT status, revision, live_revision, created_by, scheduled_at FROM articles WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?
        .as_ref()
        .map(workflow)
        .transpose()
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one atomic write with all its parts"
    )]
    pub(crate) async fn save_revision_rows(
        &self,
        id: ArticleId,
        based_on: i64,
        draft: &Draft,
        kind: RevisionKind,
        by: UserId,
        content: Option<&Content>,
        audit: &AuditEntry,
    ) -> Result<SaveOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        // Take the article's row lock first, so concurrent saves of one article queue up.
        let locked = sqlx::query("UPDATE articles SET revision = revision WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if locked.rows_affected() != 1 {
            return Err(StoreError::MissingReference(format!("article {id}")));
        }
        let head = sqlx::query("SELECT revision, live_revision FROM articles WHERE id = $1")
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        let current: i64 = get(&head, "revision")?;
        let live: Option<i64> = get(&head, "live_revision")?;
        let highest: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(number), 0) FROM article_revisions WHERE article_id = $1",
        )
        .bind(id.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        let number = highest.max(current) + 1;
        let mut change = ContentChange::default();
        listing_keys(&mut tx, id, &mut change.keys).await?;
        // An autosave on top of the same writer's autosave replaces it, under a new number (so
        // a publish form naming the old number no longer matches).
        let replaced = if current == based_on && kind == RevisionKind::Autosave {
            replaceable_autosave(&mut tx, id, current, live, by).await?
        } else {
            None
        };
        let outcome = if current == based_on {
            let chain = match replaced {
                Some(previous_base) => {
                    sqlx::query(
                        "DELETE FROM article_revisions WHERE article_id = $1 AND number = $2",
                    )
                    .bind(id.0)
                    .bind(current)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    previous_base
                }
                None => based_on,
            };
            sqlx::query("UPDATE articles SET revision = $1 WHERE id = $2")
                .bind(number)
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            if let Some(content) = content {
                write_content(&mut tx, id, content, audit.at, audit, &mut change).await?;
            }
            insert_revision(&mut tx, id, number, chain, kind, draft, by, audit.at).await?;
            SaveOutcome::Saved(number)
        } else {
            let kept = RevisionKind::Conflict;
            insert_revision(&mut tx, id, number, based_on, kept, draft, by, audit.at).await?;
            SaveOutcome::Conflict {
                current,
                kept_as: number,
            }
        };
        let head = match outcome {
            SaveOutcome::Saved(n) => n,
            SaveOutcome::Conflict { current, .. } => current,
        };
        prune_revisions(&mut tx, id, head, live).await?;
        let mut entry = audit.clone();
        entry.article = Some(id);
        if let SaveOutcome::Conflict { current, kept_as } = outcome {
            entry.action = "conflict".to_owned();
            entry.detail = format!(
                "save based on revision {based_on} kept as revision {kept_as}; revision {current} stays current"
            );
        } else {
            entry.detail = format!("revision {number}");
        }
        if replaced.is_none() {
            write_audit(&mut tx, &entry).await?;
        }
        listing_keys(&mut tx, id, &mut change.keys).await?;
        self.commit_change(tx, change).await?;
        Ok(outcome)
    }

    pub(crate) async fn revision_info_rows(
        &self,
        id: ArticleId,
    ) -> Result<Vec<RevisionInfo>, StoreError> {
        let query = sqlx::query(AssertSqlSafe(format!(
            "SELECT r.article_id, r.number, r.based_on, r.kind, r.saved_by, r.saved_at, \
             SUBSTR(r.headline, 1, {}) AS headline, CAST(LENGTH(r.body) AS BIGINT) AS body_chars, \
             u.name AS saved_by_name FROM article_revisions r \
             LEFT JOIN users u ON u.id = r.saved_by WHERE r.article_id = $1 \
             ORDER BY r.number DESC",
            RevisionInfo::HEADLINE_CHARS
        )))
        .bind(id.0);
        rows::all(query, self.pool(), revision_info).await
    }

    pub(crate) async fn revision_rows(
        &self,
        id: ArticleId,
        number: Option<i64>,
    ) -> Result<Vec<Revision>, StoreError> {
        let mut sql = String::from(
            "SELECT r.*, u.name AS saved_by_name FROM article_revisions r \
             LEFT JOIN users u ON u.id = r.saved_by WHERE r.article_id = $1",
        );
        if number.is_some() {
            sql.push_str(" AND r.number = $2");
        }
        sql.push_str(" ORDER BY r.number DESC");
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(id.0);
        if let Some(n) = number {
            query = query.bind(n);
        }
        query
            .fetch_all(self.pool())
            .await
            .map_err(db_error)?
            .iter()
            .map(revision)
            .collect()
    }

    pub(crate) async fn transition_rows(
        &self,
        id: ArticleId,
        t: &Transition<'_>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut change = ContentChange::default();
        listing_keys(&mut tx, id, &mut change.keys).await?;
        let from: Vec<String> = (0..t.from.len()).map(|i| format!("${}", i + 7)).collect();
        // What was reviewed is what goes out: the check and the move are one statement.
        let same_revision = match t.revision {
            Some(_) => format!(" AND revision = ${}", t.from.len() + 7),
            None => String::new(),
        };
        let sql = format!(
            "UPDATE articles SET status = $1, published_at = COALESCE($2, published_at), \
             scheduled_at = $3, updated_at = $4, live_revision = COALESCE($5, live_revision) \
             WHERE id = $6 AND status IN ({}){same_revision}",
            from.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql))
            .bind(t.to.as_str())
            .bind(t.published_at.map(|p| p.timestamp_millis()))
            .bind(t.scheduled_at.map(|p| p.timestamp_millis()))
            .bind(t.now.timestamp_millis())
            .bind(t.content.map(|(_, rev)| rev))
            .bind(id.0);
        for status in t.from {
            query = query.bind(status.as_str());
        }
        if let Some(revision) = t.revision {
            query = query.bind(revision);
        }
        let done = query.execute(&mut *tx).await.map_err(db_error)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some((content, _)) = t.content {
            write_content(&mut tx, id, content, t.now, audit, &mut change).await?;
        }
        write_audit(
            &mut tx,
            &AuditEntry {
                article: Some(id),
                ..audit.clone()
            },
        )
        .await?;
        listing_keys(&mut tx, id, &mut change.keys).await?;
        self.commit_change(tx, change).await?;
        Ok(true)
    }

    pub(crate) async fn due_rows(&self, now: DateTime<Utc>) -> Result<Vec<ArticleId>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM articles WHERE status = 'scheduled' AND scheduled_at <= $1 \
             ORDER BY scheduled_at, id",
        )
        .bind(now.timestamp_millis())
        .fetch_all(self.pool())
        .await
        .map_err(db_error)?;
        Ok(ids.into_iter().map(ArticleId).collect())
    }

    pub(crate) async fn desk_rows(
        &self,
        filter: &DeskFilter,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<DeskItem>, u64), StoreError> {
        let mut conditions = vec!["1 = 1".to_owned()];
        let mut texts: Vec<String> = Vec::new();
        let mut ints: Vec<i64> = Vec::new();
        // Text parameters come first ($1, $2), then integers.
        if let Some(status) = filter.status {
            texts.push(status.as_str().to_owned());
            conditions.push(format!("a.status = ${}", texts.len()));
        }
        if let Some(text) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
            texts.push(contains_pattern(text.trim()));
            conditions.push(format!(
                "LOWER(a.headline) LIKE ${} ESCAPE '\\'",
                texts.len()
            ));
        }
        if let Some(section) = filter.section {
            ints.push(section.0);
            conditions.push(format!("a.section_id = ${}", texts.len() + ints.len()));
        }
        if let Some(author) = filter.author {
            ints.push(author.0);
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM article_authors x WHERE x.article_id = a.id AND x.author_id = ${})",
                texts.len() + ints.len()
            ));
        }
        if let Some(writer) = filter.written_by {
            ints.push(writer.0);
            conditions.push(format!("a.created_by = ${}", texts.len() + ints.len()));
        }
        let condition = conditions.join(" AND ");
        let count_sql = format!("SELECT COUNT(*) FROM articles a WHERE {condition}");
        let n = texts.len() + ints.len();
        let list_sql = format!(
            "SELECT a.id, a.slug, a.headline, a.status, a.revision, a.live_revision, a.created_by, \
             a.scheduled_at, a.published_at, a.updated_at, s.name AS section_name \
             FROM articles a JOIN sections s ON s.id = a.section_id WHERE {condition} \
             ORDER BY a.updated_at DESC, a.id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql));
        let mut list = sqlx::query(AssertSqlSafe(list_sql));
        for t in &texts {
            count = count.bind(t.clone());
            list = list.bind(t.clone());
        }
        for i in &ints {
            count = count.bind(*i);
            list = list.bind(*i);
        }
        let total = count.fetch_one(self.pool()).await.map_err(db_error)?;
        let rows = list
            .bind(i64::from(limit))
            .bind(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(self.pool())
            .await
            .map_err(db_error)?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let id = ArticleId(get(row, "id")?);
            let byline: Vec<String> = sqlx::query_scalar(
                "SELECT p.name FROM article_authors aa JOIN authors p ON p.id = aa.author_id \
                 WHERE aa.article_id = $1 ORDER BY aa.position",
            )
            .bind(id.0)
            .fetch_all(self.pool())
            .await
            .map_err(db_error)?;
            items.push(DeskItem {
                id,
                slug: get(row, "slug")?,
                headline: get(row, "headline")?,
                section: get(row, "section_name")?,
                byline,
                status: rows::status(row)?,
                workflow: workflow(row)?,
                published_at: rows::opt_time(row, "published_at")?,
                updated_at: rows::time(get(row, "updated_at")?)?,
            });
        }
        Ok((items, u64::try_from(total).unwrap_or_default()))
    }

    pub(crate) async fn find_by_headline_rows(
        &self,
        text: &str,
        limit: u32,
        visible_to: Option<UserId>,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let visible = if visible_to.is_some() {
            "AND (a.status = 'published' OR a.created_by = $3)"
        } else {
            ""
        };
        let mut query = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS} FROM articles a JOIN sections s ON s.id = a.section_id \
             WHERE LOWER(a.headline) LIKE $1 ESCAPE '\\' {visible} \
             ORDER BY a.updated_at DESC, a.id DESC LIMIT $2"
        )))
        .bind(contains_pattern(text.trim()))
        .bind(i64::from(limit));
        if let Some(user) = visible_to {
            query = query.bind(user.0);
        }
        rows::all(query, self.pool(), rows::summary).await
    }

    pub(crate) async fn author_rows(&self) -> Result<Vec<Author>, StoreError> {
        rows::all(
            sqlx::query("SELECT id, slug, name FROM authors ORDER BY name, id"),
            self.pool(),
            rows::author,
        )
        .await
    }

    pub(crate) async fn tag_rows(&self) -> Result<Vec<Tag>, StoreError> {
        rows::all(
            sqlx::query("SELECT id, slug, name FROM tags ORDER BY name, id"),
            self.pool(),
            rows::tag,
        )
        .await
    }

    pub(crate) async fn add_correction_rows(
        &self,
        c: &Correction,
        by: UserId,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE articles SET updated_at = $1 WHERE id = $2")
            .bind(c.created_at.timestamp_millis())
            .bind(c.article.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO corrections (article_id, kind, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(c.article.0)
        .bind(c.kind.as_str())
        .bind(c.note.as_str())
        .bind(by.0)
        .bind(c.created_at.timestamp_millis())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        write_audit(
            &mut tx,
            &AuditEntry {
                article: Some(c.article),
                ..audit.clone()
            },
        )
        .await?;
        let mut keys = BTreeSet::new();
        listing_keys(&mut tx, c.article, &mut keys).await?;
        self.commit_change(tx, ContentChange { keys }).await?;
        Ok(true)
    }

    pub(crate) async fn correction_rows(
        &self,
        id: ArticleId,
    ) -> Result<Vec<Correction>, StoreError> {
        let rows = sqlx::query(
            "SELECT article_id, kind, note, created_at FROM corrections WHERE article_id = $1 \
             ORDER BY created_at, id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|row| {
                Ok(Correction {
                    article: ArticleId(get(row, "article_id")?),
                    kind: get(row, "kind")?,
                    note: get(row, "note")?,
                    created_at: rows::time(get(row, "created_at")?)?,
                })
            })
            .collect()
    }

    pub(crate) async fn audit_rows(
        &self,
        article: Option<ArticleId>,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let filter = if article.is_some() {
            "WHERE l.article_id = $3"
        } else {
            ""
        };
        let mut query = sqlx::query(AssertSqlSafe(format!(
            "SELECT l.at, u.name AS user_name, l.action, l.article_id, a.headline, l.detail \
             FROM audit_log l LEFT JOIN users u ON u.id = l.user_id \
             LEFT JOIN articles a ON a.id = l.article_id {filter} \
             ORDER BY l.at DESC, l.id DESC LIMIT $1 OFFSET $2"
        )))
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX));
        if let Some(a) = article {
            query = query.bind(a.0);
        }
        let rows = query.fetch_all(self.pool()).await.map_err(db_error)?;
        rows.iter()
            .map(|row| {
                Ok(AuditRecord {
                    at: rows::time(get(row, "at")?)?,
                    user_name: get(row, "user_name")?,
                    action: get(row, "action")?,
                    article: get::<Option<i64>>(row, "article_id")?.map(ArticleId),
                    headline: get(row, "headline")?,
                    detail: get(row, "detail")?,
                })
            })
            .collect()
    }
}

// Images.

use dateline_domain::{Image, ImageId, NewImage};

pub(crate) const IMAGE_COLUMNS: &str = "i.id, i.media_key, i.ext, i.width, i.height, i.renditions, i.alt, \
     i.caption, i.credit, i.uploaded_by, i.created_at";

pub(crate) fn image(row: &AnyRow) -> Result<Image, StoreError> {
    let renditions: String = get(row, "renditions")?;
    let number = |column: &str| -> Result<u32, StoreError> {
        let n: i64 = get(row, column)?;
        u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("image {column} {n}")))
    };
    Ok(Image {
        id: ImageId(get(row, "id")?),
        key: get(row, "media_key")?,
        ext: get(row, "ext")?,
        width: number("width")?,
        height: number("height")?,
        renditions: renditions
            .split(',')
            .filter(|w| !w.is_empty())
            .map(|w| {
                w.parse()
                    .map_err(|_| StoreError::Corrupt(format!("rendition width '{w}'")))
            })
            .collect::<Result<_, _>>()?,
        alt: get(row, "alt")?,
        caption: get(row, "caption")?,
        credit: get(row, "credit")?,
        uploaded_by: get::<Option<i64>>(row, "uploaded_by")?.map(UserId),
        created_at: rows::time(get(row, "created_at")?)?,
    })
}

impl SqlStore {
    pub(crate) async fn insert_image_row(&self, i: &NewImage) -> Result<Image, StoreError> {
        let renditions = i
            .renditions
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO images (media_key, ext, width, height, renditions, alt, caption, credit, \
             uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(i.key.as_str())
        .bind(i.ext.as_str())
        .bind(i64::from(i.width))
        .bind(i64::from(i.height))
        .bind(renditions)
        .bind(i.alt.as_str())
        .bind(i.caption.as_str())
        .bind(i.credit.as_str())
        .bind(i.uploaded_by.0)
        .bind(i.created_at.timestamp_millis())
        .fetch_one(self.pool())
        .await
        .map_err(db_error)?;
        self.image_row(ImageId(id))
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("image {id} vanished")))
    }

    pub(crate) async fn image_row(&self, id: ImageId) -> Result<Option<Image>, StoreError> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {IMAGE_COLUMNS} FROM images i WHERE i.id = $1"
        )))
        .bind(id.0)
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?
        .as_ref()
        .map(image)
        .transpose()
    }

    pub(crate) async fn image_rows(
        &self,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<Image>, StoreError> {
        let query = sqlx::query(AssertSqlSafe(format!(
            "SELECT {IMAGE_COLUMNS} FROM images i ORDER BY i.created_at DESC, i.id DESC LIMIT $1 OFFSET $2"
        )))
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX));
        rows::all(query, self.pool(), image).await
    }

    pub(crate) async fn set_featured_image_row(
        &self,
        article: ArticleId,
        image: Option<ImageId>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut keys = BTreeSet::new();
        listing_keys(&mut tx, article, &mut keys).await?;
        let done =
            sqlx::query("UPDATE articles SET featured_image = $1, updated_at = $2 WHERE id = $3")
                .bind(image.map(|i| i.0))
                .bind(audit.at.timestamp_millis())
                .bind(article.0)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        write_audit(
            &mut tx,
            &AuditEntry {
                article: Some(article),
                ..audit.clone()
            },
        )
        .await?;
        listing_keys(&mut tx, article, &mut keys).await?;
        self.commit_change(tx, ContentChange { keys }).await?;
        Ok(true)
    }

    pub(crate) async fn featured_image_rows(
        &self,
        articles: &[ArticleId],
    ) -> Result<Vec<(ArticleId, Image)>, StoreError> {
        if articles.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=articles.len()).map(|i| format!("${i}")).collect();
        let mut query = sqlx::query(AssertSqlSafe(format!(
            "SELECT a.id AS article_id, {IMAGE_COLUMNS} FROM articles a \
             JOIN images i ON i.id = a.featured_image WHERE a.id IN ({})",
            placeholders.join(", ")
        )));
        for a in articles {
            query = query.bind(a.0);
        }
        query
            .fetch_all(self.pool())
            .await
            .map_err(db_error)?
            .iter()
            .map(|row| Ok((ArticleId(get(row, "article_id")?), image(row)?)))
            .collect()
    }
}

impl SqlStore {
    pub(crate) async fn rename_label_row(
        &self,
        tag: bool,
        id: i64,
        name: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let table = if tag { "tags" } else { "sections" };
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(AssertSqlSafe(format!(
            "UPDATE {table} SET name = $1 WHERE id = $2"
        )))
        .bind(name)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        write_audit(&mut tx, audit).await?;
        self.commit_change(tx, ContentChange::everything()).await?;
        Ok(true)
    }
    pub(crate) async fn add_section_row(
        &self,
        slug: &Slug,
        name: &str,
        audit: &AuditEntry,
    ) -> Result<Option<Section>, StoreError> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO sections (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING",
        )
        .bind(slug.as_str())
        .bind(name)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        if inserted.rows_affected() != 1 {
            return Ok(None);
        }
        let row = sqlx::query("SELECT id, slug, name FROM sections WHERE slug = $1")
            .bind(slug.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        let section = rows::section(&row)?;
        write_audit(&mut tx, audit).await?;
        self.commit_change(tx, ContentChange::everything()).await?;
        Ok(Some(section))
    }

    pub(crate) async fn merge_label_rows(
        &self,
        tag: bool,
        from: i64,
        into: i64,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        if from == into {
            return Ok(false);
        }
        let (table, prefix) = if tag {
            ("tags", "/tag/")
        } else {
            ("sections", "/section/")
        };
        let mut tx = self.begin_write().await?;
        let slug_of = |id: i64| {
            sqlx::query_scalar::<_, String>(AssertSqlSafe(format!(
                "SELECT slug FROM {table} WHERE id = $1"
            )))
            .bind(id)
        };
        let old = slug_of(from)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        let new = slug_of(into)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        let (Some(old), Some(new)) = (old, new) else {
            return Ok(false);
        };
        let moved = if tag {
            "INSERT INTO article_tags (article_id, tag_id, position) \
             SELECT t.article_id, $2, t.position FROM article_tags t WHERE t.tag_id = $1 \
             AND NOT EXISTS (SELECT 1 FROM article_tags u WHERE u.article_id = t.article_id AND u.tag_id = $2)"
        } else {
            "UPDATE articles SET section_id = $2 WHERE section_id = $1"
        };
        sqlx::query(moved)
            .bind(from)
            .bind(into)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if tag {
            sqlx::query("DELETE FROM article_tags WHERE tag_id = $1")
                .bind(from)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        let (old_path, new_path) = (format!("{prefix}{old}"), format!("{prefix}{new}"));
        // Paths that led to the old front lead to the new one; none leads to itself.
        sqlx::query("UPDATE redirects SET to_path = $1 WHERE to_path = $2")
            .bind(new_path.as_str())
            .bind(old_path.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO redirects (from_path, to_path, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (from_path) DO UPDATE SET to_path = excluded.to_path",
        )
        .bind(old_path.as_str())
        .bind(new_path.as_str())
        .bind(audit.at.timestamp_millis())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query("DELETE FROM redirects WHERE from_path = to_path")
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE id = $1")))
            .bind(from)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        write_audit(&mut tx, audit).await?;
        self.commit_change(tx, ContentChange::everything()).await?;
        Ok(true)
    }

    pub(crate) async fn delete_label_rows(
        &self,
        tag: bool,
        id: i64,
        audit: &AuditEntry,
    ) -> Result<LabelDeletion, StoreError> {
        let table = if tag { "tags" } else { "sections" };
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT id FROM {table} WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        if exists.is_none() {
            return Ok(LabelDeletion::NotFound);
        }
        if tag {
            sqlx::query("DELETE FROM article_tags WHERE tag_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        } else {
            let filed: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM articles WHERE section_id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error)?;
            if filed > 0 {
                return Ok(LabelDeletion::InUse(
                    u64::try_from(filed).unwrap_or(u64::MAX),
                ));
            }
        }
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE id = $1")))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        write_audit(&mut tx, audit).await?;
        self.commit_change(tx, ContentChange::everything()).await?;
        Ok(LabelDeletion::Deleted)
    }
}
