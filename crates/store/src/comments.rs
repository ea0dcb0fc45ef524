//! Comments on articles ([`CommentStore`]).

use std::collections::BTreeSet;

use async_trait::async_trait;
use dateline_domain::{
    ArticleId, CacheKey, Comment, CommentFilter, CommentId, CommentKind, CommentRow, CommentStatus,
    CommentStore, CommentUpdate, ContentChange, StoreError, UserId,
};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use crate::rows::{self, db_error, get};
use crate::sql::{SUMMARY_COLUMNS, SqlStore};

/// A comment's columns, named so that they can sit beside an article summary's.
pub(crate) const COMMENT_COLUMNS: &str = "c.id AS comment_id, c.article_id AS comment_article_id, \
     c.parent_id AS comment_parent_id, c.author_name, c.author_email, c.author_url, \
     c.body AS comment_body, c.status AS comment_status, c.kind AS comment_kind, \
     c.created_at AS comment_created_at, c.user_id AS comment_user_id";

/// A row selected with [`COMMENT_COLUMNS`].
pub(crate) fn comment(row: &AnyRow) -> Result<Comment, StoreError> {
    let status: String = get(row, "comment_status")?;
    let kind: String = get(row, "comment_kind")?;
    Ok(Comment {
        id: CommentId(get(row, "comment_id")?),
        article: ArticleId(get(row, "comment_article_id")?),
        parent: get::<Option<i64>>(row, "comment_parent_id")?.map(CommentId),
        author_name: get(row, "author_name")?,
        author_email: get(row, "author_email")?,
        author_url: get(row, "author_url")?,
        body: get(row, "comment_body")?,
        status: CommentStatus::parse(&status)
            .map_err(|e| StoreError::Corrupt(format!("comment status: {e}")))?,
        kind: CommentKind::parse(&kind)
            .map_err(|e| StoreError::Corrupt(format!("comment kind: {e}")))?,
        created_at: rows::time(get(row, "comment_created_at")?)?,
        user: get::<Option<i64>>(row, "comment_user_id")?.map(UserId),
    })
}

fn comments_changed(article: i64) -> ContentChange {
    ContentChange {
        keys: BTreeSet::from([CacheKey::Comments(ArticleId(article))]),
    }
}

#[async_trait]
impl CommentStore for SqlStore {
    async fn approved_comments(
        &self,
        article: ArticleId,
        limit: u32,
    ) -> Result<Vec<Comment>, StoreError> {
        let query = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COMMENT_COLUMNS} FROM comments c \
             WHERE c.article_id = $1 AND c.status = 'approved' ORDER BY c.created_at, c.id \
             LIMIT $2"
        )))
        .bind(article.0)
        .bind(i64::from(limit));
        rows::all(query, self.pool(), comment).await
    }

    async fn comments(
        &self,
        filter: &CommentFilter,
    ) -> Result<(Vec<CommentRow>, bool), StoreError> {
        let condition = if filter.status.is_some() {
            "WHERE c.status = $3"
        } else {
            ""
        };
        let mut query = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COMMENT_COLUMNS}, {SUMMARY_COLUMNS} FROM comments c \
             JOIN articles a ON a.id = c.article_id JOIN sections s ON s.id = a.section_id \
             {condition} ORDER BY c.created_at DESC, c.id DESC LIMIT $1 OFFSET $2"
        )))
        .bind(i64::from(filter.limit) + 1)
        .bind(i64::try_from(filter.offset).unwrap_or(i64::MAX));
        if let Some(status) = filter.status {
            query = query.bind(status.as_str());
        }
        let mut found = rows::all(query, self.pool(), |row| {
            Ok(CommentRow {
                comment: comment(row)?,
                article: rows::summary(row)?,
            })
        })
        .await?;
        let more = found.len() > filter.limit as usize;
        found.truncate(filter.limit as usize);
        Ok((found, more))
    }

    async fn comment(&self, id: CommentId) -> Result<Option<Comment>, StoreError> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COMMENT_COLUMNS} FROM comments c WHERE c.id = $1"
        )))
        .bind(id.0)
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?
        .as_ref()
        .map(comment)
        .transpose()
    }

    async fn set_comment_status(
        &self,
        id: CommentId,
        status: CommentStatus,
    ) -> Result<CommentUpdate, StoreError> {
        let mut tx = self.begin_write().await?;
        // One conditional statement: of many identical requests at once, one changes the row
        // and the others find nothing to change.
        let article: Option<i64> = sqlx::query_scalar(
            "UPDATE comments SET status = $1 WHERE id = $2 AND status <> $1 RETURNING article_id",
        )
        .bind(status.as_str())
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let Some(article) = article else {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM comments WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
            return Ok(if exists.is_some() {
                CommentUpdate::Unchanged
            } else {
                CommentUpdate::NotFound
            });
        };
        self.commit_change(tx, comments_changed(article)).await?;
        Ok(CommentUpdate::Changed)
    }

    async fn delete_comment(&self, id: CommentId) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query("SELECT article_id, parent_id FROM comments WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?
        else {
            return Ok(false);
        };
        let article: i64 = get(&row, "article_id")?;
        let parent: Option<i64> = get(&row, "parent_id")?;
        sqlx::query("UPDATE comments SET parent_id = $1 WHERE parent_id = $2")
            .bind(parent)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query("DELETE FROM comments WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        self.commit_change(tx, comments_changed(article)).await?;
        Ok(true)
    }
}
