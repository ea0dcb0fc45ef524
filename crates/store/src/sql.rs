//! The queries, written once for both backends.

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dateline_domain::store::{KnownSignIn, ReservationOutcome, SignInReservation};
use dateline_domain::{
    Article, ArticleId, ArticleStatus, ArticleSummary, Author, AuthorId, CacheKey, ChangeObserver,
    ContentChange, Cursor, Direction, Email, Listing, NewArticle, NewUser, PageRequest, Section,
    SectionId, Session, SiteSettings, SitemapEntry, Slug, Store, StoreError, Tag, TagId, User,
    UserId,
};
use dateline_domain::{
    AuditEntry, AuditRecord, Content, Correction, DeskFilter, DeskItem, Draft, Image, ImageId,
    LabelDeletion, NewImage, Revision, RevisionInfo, RevisionKind, SaveOutcome, Transition,
    Workflow,
};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, AssertSqlSafe, Transaction};

use crate::rows::{self, db_error, get};
use crate::{Backend, DatabaseUrl};

/// The columns [`rows::summary`] reads, for `articles a JOIN sections s`.
pub(crate) const SUMMARY_COLUMNS: &str = "a.id, a.slug, a.headline, a.standfirst, a.status, a.language, \
     a.published_at, s.id AS section_id, s.slug AS section_slug, s.name AS section_name";

/// A publication stored in SQLite or PostgreSQL.
#[derive(Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    url: DatabaseUrl,
    observers: Arc<RwLock<Vec<Arc<dyn ChangeObserver>>>>,
    /// Tells this process's change notifications from other nodes'.
    node: u64,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend)
            .field("node", &self.node)
            .finish()
    }
}

/// The PostgreSQL channel change notifications travel on.
pub(crate) const CHANGES_CHANNEL: &str = "dateline_changes";
/// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7_900;

impl SqlStore {
    pub(crate) fn new(pool: AnyPool, url: DatabaseUrl) -> Self {
        let backend = url.backend();
        let node = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id()).rotate_left(32);
        Self {
            pool,
            backend,
            url,
            observers: Arc::default(),
            node,
        }
    }

    /// The database this store was opened on.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub(crate) fn node(&self) -> u64 {
        self.node
    }

    /// Tells every observer of this process about `change`.
    pub(crate) fn announce(&self, change: &ContentChange) {
        let observers = self
            .observers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for observer in observers {
            observer.content_changed(change);
        }
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first cannot take the lock later if
    /// another writer committed meanwhile, and fails at once instead of waiting its turn.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        self.pool.begin_with(begin).await.map_err(db_error)
    }

    /// Commits `tx` with `change`: on PostgreSQL the notification to other nodes is part of the
    /// transaction (delivered on commit); observers in this process hear of it after the commit.
    pub(crate) async fn commit_change(
        &self,
        mut tx: Transaction<'static, Any>,
        change: ContentChange,
    ) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            let mut payload = format!("{} {}", self.node, change.encode());
            if payload.len() > MAX_PAYLOAD {
                payload = format!("{} {}", self.node, ContentChange::everything().encode());
            }
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANGES_CHANNEL)
                .bind(payload)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)?;
        self.announce(&change);
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection; waits for those in use to come back.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn fetch_article(&self, row: Option<AnyRow>) -> Result<Option<Article>, StoreError> {
        let Some(row) = row else { return Ok(None) };
        let id = ArticleId(get(&row, "id")?);
        // Tags and byline in one round trip, each in its own order.
        let labels = sqlx::query(
            "SELECT 0 AS kind, at.position, t.id, t.slug, t.name FROM article_tags at \
             JOIN tags t ON t.id = at.tag_id WHERE at.article_id = $1 \
             UNION ALL \
             SELECT 1 AS kind, aa.position, p.id, p.slug, p.name FROM article_authors aa \
             JOIN authors p ON p.id = aa.author_id WHERE aa.article_id = $1 \
             ORDER BY kind, position",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let (mut tags, mut authors) = (Vec::new(), Vec::new());
        for label in &labels {
            if get::<i64>(label, "kind")? == 0 {
                tags.push(rows::tag(label)?);
            } else {
                authors.push(rows::author(label)?);
            }
        }
        article_from_row(&row, tags, authors).map(Some)
    }

    async fn article_where(
        &self,
        condition: &str,
        bind: impl FnOnce(ArticleQuery) -> ArticleQuery,
    ) -> Result<Option<Article>, StoreError> {
        let sql = format!(
            "SELECT a.*, s.id AS section_id, s.slug AS section_slug, s.name AS section_name \
             FROM articles a JOIN sections s ON s.id = a.section_id WHERE {condition}"
        );
        let row = bind(sqlx::query(AssertSqlSafe(sql)))
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        self.fetch_article(row).await
    }

    async fn ensure_named(
        &self,
        table: &str,
        slug: &Slug,
        name: &str,
    ) -> Result<AnyRow, StoreError> {
        let name = name.trim();
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {table} (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING"
        )))
        .bind(slug.as_str())
        .bind(name)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        sqlx::query(AssertSqlSafe(format!(
            "SELECT id, slug, name FROM {table} WHERE slug = $1"
        )))
        .bind(slug.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)
    }

    async fn named_by_slug(&self, table: &str, slug: &Slug) -> Result<Option<AnyRow>, StoreError> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT id, slug, name FROM {table} WHERE slug = $1"
        )))
        .bind(slug.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)
    }
}

/// An article from a row of `articles a JOIN sections s` (section columns aliased as in
/// [`rows::joined_section`]) and its tags and byline.
fn article_from_row(
    row: &AnyRow,
    tags: Vec<Tag>,
    authors: Vec<Author>,
) -> Result<Article, StoreError> {
    let source = rows::source(row)?;
    Ok(Article {
        id: ArticleId(get(row, "id")?),
        slug: rows::slug(row, "slug")?,
        headline: get(row, "headline")?,
        standfirst: get(row, "standfirst")?,
        body: get(row, "body")?,
        body_html: get(row, "body_html")?,
        section: rows::joined_section(row)?,
        tags,
        authors,
        source,
        status: rows::status(row)?,
        language: rows::language(row)?,
        published_at: rows::opt_time(row, "published_at")?,
        created_at: rows::time(get(row, "created_at")?)?,
        updated_at: rows::time(get(row, "updated_at")?)?,
    })
}

/// Writes the one row of site settings, replacing any.
pub(crate) async fn write_settings(
    tx: &mut Transaction<'_, Any>,
    s: &SiteSettings,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO site_settings (id, name, short_name, base_url, time_zone, locale, attribution_template, \
         attribution_template_agency_only) VALUES (1, $1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (id) DO UPDATE SET name = $1, short_name = $2, base_url = $3, time_zone = $4, \
         locale = $5, attribution_template = $6, attribution_template_agency_only = $7",
    )
    .bind(s.name.as_str())
    .bind(s.short_name.as_str())
    .bind(s.base_url.as_str())
    .bind(s.time_zone.name())
    .bind(s.locale.as_str())
    .bind(s.attribution_template.as_str())
    .bind(s.attribution_template_agency_only.as_str())
    .execute(&mut **tx)
    .await
    .map(|_| ())
    .map_err(db_error)
}

/// Adds the keys of every listing article `id` is on, as of now in `tx`.
pub(crate) async fn listing_keys(
    tx: &mut Transaction<'_, Any>,
    id: ArticleId,
    keys: &mut BTreeSet<CacheKey>,
) -> Result<(), StoreError> {
    keys.extend([CacheKey::Latest, CacheKey::Article(id)]);
    let section: Option<i64> = sqlx::query_scalar("SELECT section_id FROM articles WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_error)?;
    keys.extend(section.map(|s| CacheKey::Section(SectionId(s))));
    let tags: Vec<i64> =
        sqlx::query_scalar("SELECT tag_id FROM article_tags WHERE article_id = $1")
            .bind(id.0)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_error)?;
    keys.extend(tags.into_iter().map(|t| CacheKey::Tag(TagId(t))));
    let authors: Vec<i64> =
        sqlx::query_scalar("SELECT author_id FROM article_authors WHERE article_id = $1")
            .bind(id.0)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_error)?;
    keys.extend(authors.into_iter().map(|a| CacheKey::Author(AuthorId(a))));
    Ok(())
}

/// The keys of a new article, known without asking the database.
pub(crate) fn new_article_keys(id: ArticleId, a: &NewArticle, keys: &mut BTreeSet<CacheKey>) {
    keys.extend([
        CacheKey::Latest,
        CacheKey::Article(id),
        CacheKey::Section(a.section),
    ]);
    keys.extend(a.tags.iter().map(|t| CacheKey::Tag(*t)));
    keys.extend(a.authors.iter().map(|u| CacheKey::Author(*u)));
}

type ArticleQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

pub(crate) async fn insert_one(
    tx: &mut Transaction<'_, Any>,
    a: &NewArticle,
) -> Result<ArticleId, StoreError> {
    let ids = insert_many(tx, std::slice::from_ref(a)).await?;
    ids.first()
        .copied()
        .ok_or_else(|| StoreError::Corrupt("insert returned no id".into()))
}

/// Articles per INSERT statement. Small on purpose: SQLite's driver looks up each `$n` parameter
/// by name, so binding costs grow with the square of the parameters in a statement.
const ARTICLES_PER_STATEMENT: usize = 8;
/// Tag or byline rows per INSERT statement (three parameters each).
const LABELS_PER_STATEMENT: usize = 32;

/// `($1, $2, ...), ($k, ...)`: `rows` groups of `width` numbered placeholders.
fn placeholders(rows: usize, width: usize) -> String {
    let mut out = String::with_capacity(rows * width * 5);
    for row in 0..rows {
        out.push_str(if row == 0 { "(" } else { ", (" });
        for col in 0..width {
            if col > 0 {
                out.push_str(", ");
            }
            out.push_str(&format!("${}", row * width + col + 1));
        }
        out.push(')');
    }
    out
}

/// Inserts articles with their tags and bylines, a few statements per hundred articles.
/// Ids come back in the order of `articles`.
async fn insert_many(
    tx: &mut Transaction<'_, Any>,
    articles: &[NewArticle],
) -> Result<Vec<ArticleId>, StoreError> {
    let mut ids = Vec::with_capacity(articles.len());
    for chunk in articles.chunks(ARTICLES_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO articles (slug, headline, standfirst, body, body_html, section_id, source_agency, \
             source_additional_inputs, status, language, published_at, created_at, updated_at) VALUES {} \
             RETURNING id, slug",
            placeholders(chunk.len(), 13)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for a in chunk {
            query = query
                .bind(a.slug.as_str())
                .bind(a.headline.as_str())
                .bind(a.standfirst.as_str())
                .bind(a.body.as_str())
                .bind(a.body_html.as_str())
                .bind(a.section.0)
                .bind(a.source.as_ref().map(|s| s.agency.as_str()))
                .bind(i64::from(
                    a.source.as_ref().is_some_and(|s| s.additional_inputs),
                ))
                .bind(a.status.as_str())
                .bind(a.language.as_str())
                .bind(a.published_at.map(|t| t.timestamp_millis()))
                .bind(a.created_at.timestamp_millis())
                .bind(a.updated_at.timestamp_millis());
        }
        // RETURNING promises no order: match the rows back by slug.
        let rows = query.fetch_all(&mut **tx).await.map_err(db_error)?;
        let mut by_slug = std::collections::HashMap::with_capacity(rows.len());
        for row in &rows {
            by_slug.insert(get::<String>(row, "slug")?, ArticleId(get(row, "id")?));
        }
        for a in chunk {
            let id = by_slug.get(a.slug.as_str()).copied();
            ids.push(
                id.ok_or_else(|| StoreError::Corrupt(format!("no id came back for {}", a.slug)))?,
            );
        }
    }
    let labels = |pick: fn(&NewArticle) -> Vec<i64>| -> Vec<(i64, i64, i64)> {
        articles
            .iter()
            .zip(&ids)
            .flat_map(|(a, id)| {
                pick(a)
                    .into_iter()
                    .enumerate()
                    .map(move |(position, label)| (id.0, label, position as i64))
            })
            .collect()
    };
    let tags = labels(|a| a.tags.iter().map(|t| t.0).collect());
    let authors = labels(|a| a.authors.iter().map(|u| u.0).collect());
    for (table, column, rows) in [
        ("article_tags", "tag_id", tags),
        ("article_authors", "author_id", authors),
    ] {
        for chunk in rows.chunks(LABELS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO {table} (article_id, {column}, position) VALUES {}",
                placeholders(chunk.len(), 3)
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for (article, label, position) in chunk {
                query = query.bind(*article).bind(*label).bind(*position);
            }
            query.execute(&mut **tx).await.map_err(db_error)?;
        }
    }
    Ok(ids)
}

#[async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(db_error)
    }

    async fn site_settings(&self) -> Result<Option<SiteSettings>, StoreError> {
        let Some(row) = sqlx::query("SELECT * FROM site_settings WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?
        else {
            return Ok(None);
        };
        rows::settings(&row).map(Some)
    }

    async fn put_site_settings(&self, s: &SiteSettings) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        write_settings(&mut tx, s).await?;
        // Every page shows the settings.
        self.commit_change(tx, ContentChange::everything()).await
    }

    async fn ensure_section(&self, slug: &Slug, name: &str) -> Result<Section, StoreError> {
        rows::section(&self.ensure_named("sections", slug, name).await?)
    }

    async fn ensure_tag(&self, slug: &Slug, name: &str) -> Result<Tag, StoreError> {
        rows::tag(&self.ensure_named("tags", slug, name).await?)
    }

    async fn ensure_author(&self, slug: &Slug, name: &str) -> Result<Author, StoreError> {
        rows::author(&self.ensure_named("authors", slug, name).await?)
    }

    async fn section_by_slug(&self, slug: &Slug) -> Result<Option<Section>, StoreError> {
        self.named_by_slug("sections", slug)
            .await?
            .as_ref()
            .map(rows::section)
            .transpose()
    }

    async fn tag_by_slug(&self, slug: &Slug) -> Result<Option<Tag>, StoreError> {
        self.named_by_slug("tags", slug)
            .await?
            .as_ref()
            .map(rows::tag)
            .transpose()
    }

    async fn author_by_slug(&self, slug: &Slug) -> Result<Option<Author>, StoreError> {
        self.named_by_slug("authors", slug)
            .await?
            .as_ref()
            .map(rows::author)
            .transpose()
    }

    async fn sections(&self) -> Result<Vec<Section>, StoreError> {
        rows::all(
            sqlx::query("SELECT id, slug, name FROM sections ORDER BY position, id"),
            &self.pool,
            rows::section,
        )
        .await
    }

    async fn insert_article(&self, article: &NewArticle) -> Result<ArticleId, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = insert_one(&mut tx, article).await?;
        let mut change = ContentChange::default();
        new_article_keys(id, article, &mut change.keys);
        self.commit_change(tx, change).await?;
        Ok(id)
    }

    async fn insert_articles(&self, articles: &[NewArticle]) -> Result<Vec<ArticleId>, StoreError> {
        let mut tx = self.begin_write().await?;
        let ids = insert_many(&mut tx, articles).await?;
        let mut change = ContentChange::default();
        for (id, article) in ids.iter().zip(articles) {
            new_article_keys(*id, article, &mut change.keys);
        }
        self.commit_change(tx, change).await?;
        Ok(ids)
    }

    async fn set_article_status(
        &self,
        id: ArticleId,
        status: ArticleStatus,
        published_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE articles SET status = $1, published_at = COALESCE($2, published_at), updated_at = $3 WHERE id = $4",
        )
        .bind(status.as_str())
        .bind(published_at.map(|t| t.timestamp_millis()))
        .bind(now.timestamp_millis())
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        let mut change = ContentChange::default();
        listing_keys(&mut tx, id, &mut change.keys).await?;
        self.commit_change(tx, change).await?;
        Ok(true)
    }

    async fn article_by_id(&self, id: ArticleId) -> Result<Option<Article>, StoreError> {
        self.article_where("a.id = $1", |q| q.bind(id.0)).await
    }

    async fn article_by_slug(&self, slug: &Slug) -> Result<Option<Article>, StoreError> {
        let slug = slug.as_str().to_owned();
        self.article_where("a.slug = $1", move |q| q.bind(slug))
            .await
    }

    async fn slug_exists(&self, slug: &Slug) -> Result<bool, StoreError> {
        let found = sqlx::query("SELECT 1 FROM articles WHERE slug = $1")
            .bind(slug.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(found.is_some())
    }

    async fn summaries(&self, ids: &[ArticleId]) -> Result<Vec<ArticleSummary>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM articles a JOIN sections s ON s.id = a.section_id WHERE a.id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(id.0);
        }
        rows::all(query, &self.pool, rows::summary).await
    }

    async fn list_published(
        &self,
        listing: Listing,
        page: PageRequest,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let mut sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM articles a JOIN sections s ON s.id = a.section_id "
        );
        let mut binds: Vec<i64> = Vec::new();
        let param = |value: i64, binds: &mut Vec<i64>| {
            binds.push(value);
            format!("${}", binds.len())
        };
        match listing {
            Listing::Latest | Listing::Section(_) => {}
            Listing::Tag(tag) => {
                let p = param(tag.0, &mut binds);
                sql.push_str(&format!(
                    "JOIN article_tags x ON x.article_id = a.id AND x.tag_id = {p} "
                ));
            }
            Listing::Author(author) => {
                let p = param(author.0, &mut binds);
                sql.push_str(&format!(
                    "JOIN article_authors x ON x.article_id = a.id AND x.author_id = {p} "
                ));
            }
        }
        sql.push_str("WHERE a.status = 'published' ");
        if let Listing::Section(section) = listing {
            let p = param(section.0, &mut binds);
            sql.push_str(&format!("AND a.section_id = {p} "));
        }
        let newer = matches!(page.cursor, Some((Direction::Newer, _)));
        if let Some((direction, Cursor { published_at, id })) = page.cursor {
            let op = if direction == Direction::Newer {
                ">"
            } else {
                "<"
            };
            let (t, i) = (
                param(published_at.timestamp_millis(), &mut binds),
                param(id.0, &mut binds),
            );
            sql.push_str(&format!("AND (a.published_at, a.id) {op} ({t}, {i}) "));
        }
        let order = if newer { "ASC" } else { "DESC" };
        let limit = param(i64::from(page.limit), &mut binds);
        sql.push_str(&format!(
            "ORDER BY a.published_at {order}, a.id {order} LIMIT {limit}"
        ));
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for value in binds {
            query = query.bind(value);
        }
        let mut list: Vec<ArticleSummary> = query
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?
            .iter()
            .map(rows::summary)
            .collect::<Result<_, _>>()?;
        if newer {
            list.reverse();
        }
        Ok(list)
    }

    async fn count_articles(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM articles")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    fn add_change_observer(&self, observer: Arc<dyn ChangeObserver>) {
        self.observers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(observer);
    }

    // Syndication

    async fn listing_changed_at(
        &self,
        listing: Listing,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let (sql, id) = match listing {
            // A tag or byline can span much of the archive: the whole site's latest change is
            // a bound answered from one index, where the exact one would visit every article.
            Listing::Latest | Listing::Tag(_) | Listing::Author(_) => {
                ("SELECT MAX(updated_at) FROM articles", None)
            }
            Listing::Section(section) => (
                "SELECT MAX(updated_at) FROM articles WHERE section_id = $1",
                Some(section.0),
            ),
        };
        let mut query = sqlx::query_scalar::<_, Option<i64>>(sql);
        if let Some(id) = id {
            query = query.bind(id);
        }
        query
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?
            .map(rows::time)
            .transpose()
    }

    async fn max_article_id(&self) -> Result<Option<ArticleId>, StoreError> {
        let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM articles")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(id.map(ArticleId))
    }

    async fn published_in_id_range(
        &self,
        first: ArticleId,
        last: ArticleId,
        limit: u32,
    ) -> Result<Vec<SitemapEntry>, StoreError> {
        sqlx::query(
            "SELECT id, slug, updated_at FROM articles \
             WHERE id >= $1 AND id <= $2 AND status = 'published' ORDER BY id LIMIT $3",
        )
        .bind(first.0)
        .bind(last.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?
        .iter()
        .map(|row| {
            Ok(SitemapEntry {
                id: ArticleId(get(row, "id")?),
                slug: rows::slug(row, "slug")?,
                updated_at: rows::time(get(row, "updated_at")?)?,
            })
        })
        .collect()
    }

    // Newsroom

    async fn insert_user(&self, user: &NewUser) -> Result<User, StoreError> {
        self.insert_user_row(user).await
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.user_row_by_id(id).await
    }

    async fn user_credentials(&self, email: &Email) -> Result<Option<(User, String)>, StoreError> {
        self.user_credentials_row(email).await
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.user_rows().await
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.set_password_hash_row(id, password_hash, keep_session)
            .await
    }

    async fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        self.insert_session_row(session).await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Session, User)>, StoreError> {
        self.session_row(token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.delete_session_row(token_hash, now).await
    }

    async fn reserve_sign_in_attempt(
        &self,
        reservation: &SignInReservation<'_>,
    ) -> Result<ReservationOutcome, StoreError> {
        self.reserve_sign_in_attempt_rows(reservation).await
    }

    async fn release_sign_in_attempt(&self, attempt: &str) -> Result<(), StoreError> {
        self.release_sign_in_attempt_rows(attempt).await
    }

    async fn sign_in_failures(&self, scope: &str, since: DateTime<Utc>) -> Result<u64, StoreError> {
        self.sign_in_failure_count(scope, since).await
    }

    async fn clear_sign_in_failures(&self, scope: &str) -> Result<(), StoreError> {
        self.clear_sign_in_failure_rows(scope).await
    }

    async fn remember_sign_in(
        &self,
        user: UserId,
        address: &str,
        device_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.remember_sign_in_rows(user, address, device_hash, at)
            .await
    }

    async fn known_sign_in(
        &self,
        user: UserId,
        address: &str,
        device_hash: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<KnownSignIn, StoreError> {
        self.known_sign_in_rows(user, address, device_hash, since)
            .await
    }

    async fn insert_draft(
        &self,
        slug: &Slug,
        content: &Content,
        draft: &Draft,
        by: UserId,
        audit: &AuditEntry,
    ) -> Result<ArticleId, StoreError> {
        self.insert_draft_rows(slug, content, draft, by, audit)
            .await
    }

    async fn workflow(&self, id: ArticleId) -> Result<Option<Workflow>, StoreError> {
        self.workflow_row(id).await
    }

    async fn save_revision(
        &self,
        id: ArticleId,
        based_on: i64,
        draft: &Draft,
        kind: RevisionKind,
        by: UserId,
        content: Option<&Content>,
        audit: &AuditEntry,
    ) -> Result<SaveOutcome, StoreError> {
        self.save_revision_rows(id, based_on, draft, kind, by, content, audit)
            .await
    }

    async fn revision_list(&self, id: ArticleId) -> Result<Vec<RevisionInfo>, StoreError> {
        self.revision_info_rows(id).await
    }

    async fn revision(&self, id: ArticleId, number: i64) -> Result<Option<Revision>, StoreError> {
        Ok(self.revision_rows(id, Some(number)).await?.pop())
    }

    async fn transition(
        &self,
        id: ArticleId,
        t: &Transition<'_>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        self.transition_rows(id, t, audit).await
    }

    async fn due_articles(&self, now: DateTime<Utc>) -> Result<Vec<ArticleId>, StoreError> {
        self.due_rows(now).await
    }

    async fn desk(
        &self,
        filter: &DeskFilter,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<DeskItem>, u64), StoreError> {
        self.desk_rows(filter, offset, limit).await
    }

    async fn find_by_headline(
        &self,
        text: &str,
        limit: u32,
        visible_to: Option<UserId>,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        self.find_by_headline_rows(text, limit, visible_to).await
    }

    async fn authors(&self) -> Result<Vec<Author>, StoreError> {
        self.author_rows().await
    }

    async fn tags(&self) -> Result<Vec<Tag>, StoreError> {
        self.tag_rows().await
    }

    async fn add_correction(
        &self,
        correction: &Correction,
        by: UserId,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        self.add_correction_rows(correction, by, audit).await
    }

    async fn corrections(&self, id: ArticleId) -> Result<Vec<Correction>, StoreError> {
        self.correction_rows(id).await
    }

    async fn audit_log(
        &self,
        article: Option<ArticleId>,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.audit_rows(article, offset, limit).await
    }

    async fn insert_image(&self, image: &NewImage) -> Result<Image, StoreError> {
        self.insert_image_row(image).await
    }

    async fn image(&self, id: ImageId) -> Result<Option<Image>, StoreError> {
        self.image_row(id).await
    }

    async fn images(&self, offset: u64, limit: u32) -> Result<Vec<Image>, StoreError> {
        self.image_rows(offset, limit).await
    }

    async fn set_featured_image(
        &self,
        article: ArticleId,
        image: Option<ImageId>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        self.set_featured_image_row(article, image, audit).await
    }

    async fn featured_images(
        &self,
        articles: &[ArticleId],
    ) -> Result<Vec<(ArticleId, Image)>, StoreError> {
        self.featured_image_rows(articles).await
    }

    async fn rename_label(
        &self,
        tag: bool,
        id: i64,
        name: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        self.rename_label_row(tag, id, name, audit).await
    }

    async fn add_section(
        &self,
        slug: &Slug,
        name: &str,
        audit: &AuditEntry,
    ) -> Result<Option<Section>, StoreError> {
        self.add_section_row(slug, name, audit).await
    }

    async fn merge_label(
        &self,
        tag: bool,
        from: i64,
        into: i64,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        self.merge_label_rows(tag, from, into, audit).await
    }

    async fn delete_label(
        &self,
        tag: bool,
        id: i64,
        audit: &AuditEntry,
    ) -> Result<LabelDeletion, StoreError> {
        self.delete_label_rows(tag, id, audit).await
    }

    async fn redirect(&self, from_path: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT to_path FROM redirects WHERE from_path = $1")
            .bind(from_path)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)
    }

    // Search

    async fn published_articles_after(
        &self,
        after: Option<ArticleId>,
        limit: u32,
    ) -> Result<Vec<Article>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.*, s.id AS section_id, s.slug AS section_slug, s.name AS section_name \
             FROM articles a JOIN sections s ON s.id = a.section_id \
             WHERE a.status = 'published' AND a.id > $1 ORDER BY a.id LIMIT $2",
        )
        .bind(after.map_or(i64::MIN, |id| id.0))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Ok(Vec::new());
        };
        let (low, high): (i64, i64) = (get(first, "id")?, get(last, "id")?);
        let mut tags: std::collections::HashMap<i64, Vec<Tag>> = Default::default();
        for row in sqlx::query(
            "SELECT at.article_id, t.id, t.slug, t.name FROM article_tags at \
             JOIN tags t ON t.id = at.tag_id WHERE at.article_id BETWEEN $1 AND $2 \
             ORDER BY at.article_id, at.position",
        )
        .bind(low)
        .bind(high)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?
        {
            tags.entry(get(&row, "article_id")?)
                .or_default()
                .push(rows::tag(&row)?);
        }
        let mut authors: std::collections::HashMap<i64, Vec<Author>> = Default::default();
        for row in sqlx::query(
            "SELECT aa.article_id, p.id, p.slug, p.name FROM article_authors aa \
             JOIN authors p ON p.id = aa.author_id WHERE aa.article_id BETWEEN $1 AND $2 \
             ORDER BY aa.article_id, aa.position",
        )
        .bind(low)
        .bind(high)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?
        {
            authors
                .entry(get(&row, "article_id")?)
                .or_default()
                .push(rows::author(&row)?);
        }
        rows.iter()
            .map(|row| {
                let id: i64 = get(row, "id")?;
                article_from_row(
                    row,
                    tags.remove(&id).unwrap_or_default(),
                    authors.remove(&id).unwrap_or_default(),
                )
            })
            .collect()
    }

    async fn content_fingerprint(&self) -> Result<String, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM articles WHERE status = 'published') AS published, \
             (SELECT MAX(id) FROM articles) AS last_id, \
             (SELECT MAX(updated_at) FROM articles) AS last_update",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        let published: i64 = get(&row, "published")?;
        let last_id: Option<i64> = get(&row, "last_id")?;
        let last_update: Option<i64> = get(&row, "last_update")?;
        Ok(format!(
            "{published}.{}.{}",
            last_id.unwrap_or(0),
            last_update.unwrap_or(0)
        ))
    }

    async fn related_list(&self, id: ArticleId) -> Result<Option<Vec<ArticleId>>, StoreError> {
        self.related_list_rows(id).await
    }

    async fn related_summaries(
        &self,
        id: ArticleId,
        limit: u32,
    ) -> Result<Option<Vec<ArticleSummary>>, StoreError> {
        self.related_summary_rows(id, limit).await
    }

    async fn put_related_list(
        &self,
        id: ArticleId,
        related: &[ArticleId],
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.put_related_list_rows(id, related, at).await
    }

    async fn lists_naming(&self, id: ArticleId) -> Result<Vec<ArticleId>, StoreError> {
        self.lists_naming_rows(id).await
    }
}
