//! Stored related-articles lists ([`RelatedStore`]).

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dateline_domain::{
    ArticleId, ArticleSummary, CacheKey, ContentChange, RelatedStore, StoreError,
};
use sqlx::AssertSqlSafe;

use crate::rows::{self, db_error, get};
use crate::sql::{SUMMARY_COLUMNS, SqlStore};

#[async_trait]
impl RelatedStore for SqlStore {
    async fn related_list(&self, id: ArticleId) -> Result<Option<Vec<ArticleId>>, StoreError> {
        // Both reads in one statement, so a list replaced meanwhile is never seen half-written.
        let rows = sqlx::query(
            "SELECT k.related_id FROM related_lists l \
             LEFT JOIN related_links k ON k.article_id = l.article_id \
             WHERE l.article_id = $1 ORDER BY k.rank",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await
        .map_err(db_error)?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut ids = Vec::with_capacity(rows.len());
        for row in &rows {
            // The one row of an empty list has no link.
            if let Some(related) = get::<Option<i64>>(row, "related_id")? {
                ids.push(ArticleId(related));
            }
        }
        Ok(Some(ids))
    }

    async fn related_summaries(
        &self,
        id: ArticleId,
        limit: u32,
    ) -> Result<Option<Vec<ArticleSummary>>, StoreError> {
        // A list is short (a few links): cut it here. With `LIMIT` in the statement SQLite's plan
        // was 1.6× slower (measured through the pool with 32 concurrent readers).
        let query = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS} FROM related_links k \
             JOIN articles a ON a.id = k.related_id JOIN sections s ON s.id = a.section_id \
             WHERE k.article_id = $1 AND a.status = 'published' ORDER BY k.rank"
        )))
        .bind(id.0);
        let mut shown = rows::all(query, self.pool(), rows::summary).await?;
        shown.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        if !shown.is_empty() {
            return Ok(Some(shown));
        }
        // Nothing to show: an empty (or taken-down) list, or none computed yet.
        let computed: Option<i64> =
            sqlx::query_scalar("SELECT article_id FROM related_lists WHERE article_id = $1")
                .bind(id.0)
                .fetch_optional(self.pool())
                .await
                .map_err(db_error)?;
        Ok(computed.map(|_| shown))
    }

    async fn put_related_list(
        &self,
        id: ArticleId,
        related: &[ArticleId],
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM articles WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        if exists.is_none() {
            return Ok(false);
        }
        // The list's row first: a concurrent writer of the same list (another node) waits on
        // it, then replaces the links this one wrote.
        sqlx::query(
            "INSERT INTO related_lists (article_id, computed_at) VALUES ($1, $2) \
             ON CONFLICT (article_id) DO UPDATE SET computed_at = excluded.computed_at",
        )
        .bind(id.0)
        .bind(at.timestamp_millis())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query("DELETE FROM related_links WHERE article_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let mut seen = BTreeSet::new();
        let mut rank = 0i32;
        for other in related {
            // An article is not related to itself, and a list names each article once.
            if *other == id || !seen.insert(*other) {
                continue;
            }
            sqlx::query(
                "INSERT INTO related_links (article_id, rank, related_id) \
                 SELECT $1, $2, id FROM articles WHERE id = $3",
            )
            .bind(id.0)
            .bind(rank)
            .bind(other.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            rank += 1;
        }
        let change = ContentChange {
            keys: BTreeSet::from([CacheKey::Related(id)]),
        };
        self.commit_change(tx, change).await?;
        Ok(true)
    }

    async fn lists_naming(&self, id: ArticleId) -> Result<Vec<ArticleId>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT article_id FROM related_links WHERE related_id = $1 ORDER BY article_id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await
        .map_err(db_error)?;
        Ok(ids.into_iter().map(ArticleId).collect())
    }
}
