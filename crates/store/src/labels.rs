//! Sections, tags and bylines ([`LabelStore`]): found or created by slug, listed, and the
//! newsroom's renames, merges and deletions of sections and tags.

use async_trait::async_trait;
use dateline_domain::{
    AuditEntry, Author, ContentChange, LabelDeletion, LabelKind, LabelStore, Section, Slug,
    StoreError, Tag,
};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use crate::rows::{self, db_error};
use crate::sql::{SqlStore, write_audit};

/// The table of a section or tag.
fn table(kind: LabelKind) -> &'static str {
    match kind {
        LabelKind::Section => "sections",
        LabelKind::Tag => "tags",
    }
}

impl SqlStore {
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
        .execute(self.pool())
        .await
        .map_err(db_error)?;
        sqlx::query(AssertSqlSafe(format!(
            "SELECT id, slug, name FROM {table} WHERE slug = $1"
        )))
        .bind(slug.as_str())
        .fetch_one(self.pool())
        .await
        .map_err(db_error)
    }

    async fn named_by_slug(&self, table: &str, slug: &Slug) -> Result<Option<AnyRow>, StoreError> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT id, slug, name FROM {table} WHERE slug = $1"
        )))
        .bind(slug.as_str())
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)
    }
}

#[async_trait]
impl LabelStore for SqlStore {
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
            self.pool(),
            rows::section,
        )
        .await
    }

    async fn authors(&self) -> Result<Vec<Author>, StoreError> {
        rows::all(
            sqlx::query("SELECT id, slug, name FROM authors ORDER BY name, id"),
            self.pool(),
            rows::author,
        )
        .await
    }

    async fn tags(&self) -> Result<Vec<Tag>, StoreError> {
        rows::all(
            sqlx::query("SELECT id, slug, name FROM tags ORDER BY name, id"),
            self.pool(),
            rows::tag,
        )
        .await
    }

    async fn add_section(
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

    async fn rename_label(
        &self,
        kind: LabelKind,
        id: i64,
        name: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let table = table(kind);
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

    async fn merge_label(
        &self,
        kind: LabelKind,
        from: i64,
        into: i64,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        if from == into {
            return Ok(false);
        }
        let table = table(kind);
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
        let moved = if kind == LabelKind::Tag {
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
        if kind == LabelKind::Tag {
            sqlx::query("DELETE FROM article_tags WHERE tag_id = $1")
                .bind(from)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        // A front's path: `/section/world`, `/tag/floods`.
        let (old_path, new_path) = (format!("/{kind}/{old}"), format!("/{kind}/{new}"));
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

    async fn delete_label(
        &self,
        kind: LabelKind,
        id: i64,
        audit: &AuditEntry,
    ) -> Result<LabelDeletion, StoreError> {
        let table = table(kind);
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
        if kind == LabelKind::Tag {
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
