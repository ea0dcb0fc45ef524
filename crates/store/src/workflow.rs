//! The article workflow ([`WorkflowStore`]): drafts, revisions, transitions, the desk's list,
//! corrections and the audit log. New sections, tags and bylines an article names are created by
//! the write that stores it, in its transaction.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dateline_domain::{
    ArticleId, ArticleStatus, ArticleSummary, AuditAction, AuditEntry, AuditRecord, AuthorId,
    CacheKey, Content, ContentChange, Correction, DeskFilter, DeskItem, Draft, LabelRef,
    LoggedAction, MAX_REVISIONS, NewArticle, Revision, RevisionInfo, RevisionKind, RevisionNumber,
    SaveOutcome, SectionId, Slug, StoreError, TagId, Transition, UserId, Workflow, WorkflowStore,
};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use crate::articles::insert_one;
use crate::rows::{self, db_error, get};
use crate::sql::{SUMMARY_COLUMNS, SqlStore, Tx, listing_keys, new_article_keys, write_audit};

/// The ids of an article's section, tags and byline, once the new ones exist.
struct LabelIds {
    section: SectionId,
    tags: Vec<TagId>,
    authors: Vec<AuthorId>,
}

/// A section, tag or byline an article write brought into being: its audit line's action and
/// detail.
struct Created {
    action: AuditAction,
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
            "sections" => (AuditAction::AddedSection, "section"),
            "tags" => (AuditAction::AddedTag, "tag"),
            _ => (AuditAction::AddedBylineName, "author"),
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
                action: c.action,
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
         source_agency = $6, source_mode = $7, language = $8, updated_at = $9 WHERE id = $10",
    )
    .bind(c.headline.as_str())
    .bind(c.standfirst.as_str())
    .bind(c.body.as_str())
    .bind(c.body_html.as_str())
    .bind(labels.section.0)
    .bind(crate::rows::source_columns(c.source.as_ref()).0)
    .bind(crate::rows::source_columns(c.source.as_ref()).1)
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
    number: RevisionNumber,
    based_on: RevisionNumber,
    kind: RevisionKind,
    d: &Draft,
    by: UserId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO article_revisions (article_id, number, based_on, kind, headline, standfirst, body, \
         section, tags, authors, source_agency, source_mode, language, saved_by, saved_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(id.0)
    .bind(number.0)
    .bind(based_on.0)
    .bind(kind.as_str())
    .bind(d.headline.as_str())
    .bind(d.standfirst.as_str())
    .bind(d.body.as_str())
    .bind(d.section.as_str())
    .bind(d.tags.join("\n"))
    .bind(d.authors.join("\n"))
    .bind(crate::rows::source_columns(d.source.as_ref()).0)
    .bind(crate::rows::source_columns(d.source.as_ref()).1)
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
        number: rows::revision_number(row, "number")?,
        based_on: rows::revision_number(row, "based_on")?,
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
        revision: rows::revision_number(row, "revision")?,
        live_revision: rows::opt_revision_number(row, "live_revision")?,
        created_by: get::<Option<i64>>(row, "created_by")?.map(UserId),
        scheduled_at: rows::opt_time(row, "scheduled_at")?,
    })
}

fn revision_info(row: &AnyRow) -> Result<RevisionInfo, StoreError> {
    let body_chars: i64 = get(row, "body_chars")?;
    Ok(RevisionInfo {
        article: ArticleId(get(row, "article_id")?),
        number: rows::revision_number(row, "number")?,
        based_on: rows::revision_number(row, "based_on")?,
        kind: revision_kind(row)?,
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
    current: RevisionNumber,
    live: Option<RevisionNumber>,
    by: UserId,
) -> Result<Option<RevisionNumber>, StoreError> {
    if live == Some(current) {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT based_on FROM article_revisions \
         WHERE article_id = $1 AND number = $2 AND kind = $3 AND saved_by = $4",
    )
    .bind(id.0)
    .bind(current.0)
    .bind(RevisionKind::Autosave.as_str())
    .bind(by.0)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_error)?;
    row.map(|row| rows::revision_number(&row, "based_on"))
        .transpose()
}

/// Keeps an article within [`MAX_REVISIONS`]: the oldest autosaves go first, then the oldest
/// conflict copies; never `head` or the live revision, never a named save or restore.
async fn prune_revisions(
    tx: &mut Tx,
    id: ArticleId,
    head: RevisionNumber,
    live: Option<RevisionNumber>,
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
        .bind(head.0)
        .bind(live.unwrap_or(RevisionNumber::STORED).0)
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

#[async_trait]
impl WorkflowStore for SqlStore {
    async fn insert_draft(
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
            RevisionNumber::FIRST,
            RevisionNumber::STORED,
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

    async fn workflow(&self, id: ArticleId) -> Result<Option<Workflow>, StoreError> {
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

    async fn save_revision(
        &self,
        id: ArticleId,
        based_on: RevisionNumber,
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
        let current = rows::revision_number(&head, "revision")?;
        let live = rows::opt_revision_number(&head, "live_revision")?;
        let highest: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(number), 0) FROM article_revisions WHERE article_id = $1",
        )
        .bind(id.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        let number = RevisionNumber(highest).max(current).next();
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
                    .bind(current.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    previous_base
                }
                None => based_on,
            };
            sqlx::query("UPDATE articles SET revision = $1 WHERE id = $2")
                .bind(number.0)
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
            entry.action = AuditAction::Conflict;
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

    async fn revision_list(&self, id: ArticleId) -> Result<Vec<RevisionInfo>, StoreError> {
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

    async fn revision(
        &self,
        id: ArticleId,
        number: RevisionNumber,
    ) -> Result<Option<Revision>, StoreError> {
        sqlx::query(
            "SELECT r.*, u.name AS saved_by_name FROM article_revisions r \
             LEFT JOIN users u ON u.id = r.saved_by WHERE r.article_id = $1 AND r.number = $2",
        )
        .bind(id.0)
        .bind(number.0)
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?
        .as_ref()
        .map(revision)
        .transpose()
    }

    async fn transition(
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
            .bind(t.content.map(|(_, rev)| rev.0))
            .bind(id.0);
        for status in t.from {
            query = query.bind(status.as_str());
        }
        if let Some(revision) = t.revision {
            query = query.bind(revision.0);
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

    async fn due_articles(&self, now: DateTime<Utc>) -> Result<Vec<ArticleId>, StoreError> {
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

    async fn desk(
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

    async fn find_by_headline(
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

    async fn add_correction(
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

    async fn corrections(&self, id: ArticleId) -> Result<Vec<Correction>, StoreError> {
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
                    kind: rows::correction_kind(row)?,
                    note: get(row, "note")?,
                    created_at: rows::time(get(row, "created_at")?)?,
                })
            })
            .collect()
    }

    async fn audit_log(
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
                    action: LoggedAction::parse(&get::<String>(row, "action")?),
                    article: get::<Option<i64>>(row, "article_id")?.map(ArticleId),
                    headline: get(row, "headline")?,
                    detail: get(row, "detail")?,
                })
            })
            .collect()
    }
}
