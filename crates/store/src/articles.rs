//! Articles as readers see them ([`ArticleStore`]): whole articles with their tags and byline,
//! the keyset-paged listings, what feeds, sitemaps and the search index read.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dateline_domain::{
    Article, ArticleId, ArticleStatus, ArticleStore, ArticleSummary, AuditEntry, Author,
    ContentChange, Cursor, Direction, Listing, NewArticle, PageRequest, SearchText, SitemapEntry,
    Slug, StoreError, Tag,
};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Transaction};

use crate::rows::{self, db_error, get};
use crate::sql::{SUMMARY_COLUMNS, SqlStore, new_article_keys, write_audit};

impl SqlStore {
    /// Ends a newsroom edit of one article's row: false (and nothing written) when no row was
    /// changed, else its audit line written and the change committed and announced.
    async fn finish_article_edit(
        &self,
        mut tx: Transaction<'static, Any>,
        done: sqlx::any::AnyQueryResult,
        article: ArticleId,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        let audit = AuditEntry {
            article: Some(article),
            ..audit.clone()
        };
        write_audit(&mut tx, &audit).await?;
        self.commit_article_change(tx, article).await?;
        Ok(true)
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
        .fetch_all(self.pool())
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
            .fetch_optional(self.pool())
            .await
            .map_err(db_error)?;
        self.fetch_article(row).await
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
        search: SearchText {
            title: get(row, "seo_title")?,
            description: get(row, "seo_description")?,
        },
        pinned_at: rows::opt_time(row, "pinned_at")?,
    })
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
             source_mode, status, language, published_at, created_at, updated_at) VALUES {} \
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
                .bind(crate::rows::source_columns(a.source.as_ref()).0)
                .bind(crate::rows::source_columns(a.source.as_ref()).1)
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
impl ArticleStore for SqlStore {
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
        self.commit_article_change(tx, id).await?;
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
        // A top-level page holds its slug as an article would: articles pass over it.
        let found = sqlx::query(
            "SELECT 1 FROM articles WHERE slug = $1 \
             UNION ALL SELECT 1 FROM pages WHERE slug = $1 AND parent_id IS NULL",
        )
        .bind(slug.as_str())
        .fetch_optional(self.pool())
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
        rows::all(query, self.pool(), rows::summary).await
    }

    async fn set_search_text(
        &self,
        article: ArticleId,
        search: &SearchText,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE articles SET seo_title = $1, seo_description = $2, updated_at = $3 \
             WHERE id = $4",
        )
        .bind(search.title.as_str())
        .bind(search.description.as_str())
        .bind(audit.at.timestamp_millis())
        .bind(article.0)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        self.finish_article_edit(tx, done, article, audit).await
    }

    async fn set_pinned(
        &self,
        article: ArticleId,
        pinned: bool,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        // Pinning what is pinned keeps its first pin time: a double click does not reorder.
        let done = sqlx::query(
            "UPDATE articles SET pinned_at = CASE WHEN $1 = 1 THEN COALESCE(pinned_at, $2) \
             ELSE NULL END WHERE id = $3",
        )
        .bind(i64::from(pinned))
        .bind(audit.at.timestamp_millis())
        .bind(article.0)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        self.finish_article_edit(tx, done, article, audit).await
    }

    async fn pinned(&self, limit: u32) -> Result<Vec<ArticleSummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM articles a JOIN sections s ON s.id = a.section_id \
             WHERE a.pinned_at IS NOT NULL AND a.status = 'published' \
             ORDER BY a.pinned_at DESC, a.id DESC LIMIT $1"
        );
        let query = sqlx::query(AssertSqlSafe(sql)).bind(i64::from(limit));
        rows::all(query, self.pool(), rows::summary).await
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
            .fetch_all(self.pool())
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
            .fetch_one(self.pool())
            .await
            .map_err(db_error)?;
        Ok(u64::try_from(n).unwrap_or_default())
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
            .fetch_one(self.pool())
            .await
            .map_err(db_error)?
            .map(rows::time)
            .transpose()
    }

    async fn max_article_id(&self) -> Result<Option<ArticleId>, StoreError> {
        let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM articles")
            .fetch_one(self.pool())
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
        .fetch_all(self.pool())
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
        .fetch_all(self.pool())
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
        .fetch_all(self.pool())
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
        .fetch_all(self.pool())
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
        .fetch_one(self.pool())
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
}
