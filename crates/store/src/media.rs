//! Uploaded images and featured images ([`MediaStore`]).

use std::collections::BTreeSet;

use async_trait::async_trait;
use dateline_domain::{
    ArticleId, AuditEntry, ContentChange, Image, ImageId, MediaStore, NewImage, StoreError, UserId,
};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use crate::rows::{self, db_error, get};
use crate::sql::{SqlStore, listing_keys, write_audit};

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

#[async_trait]
impl MediaStore for SqlStore {
    async fn insert_image(&self, i: &NewImage) -> Result<Image, StoreError> {
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
        self.image(ImageId(id))
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("image {id} vanished")))
    }

    async fn image(&self, id: ImageId) -> Result<Option<Image>, StoreError> {
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

    async fn images(&self, offset: u64, limit: u32) -> Result<Vec<Image>, StoreError> {
        let query = sqlx::query(AssertSqlSafe(format!(
            "SELECT {IMAGE_COLUMNS} FROM images i ORDER BY i.created_at DESC, i.id DESC LIMIT $1 OFFSET $2"
        )))
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX));
        rows::all(query, self.pool(), image).await
    }

    async fn set_featured_image(
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

    async fn featured_images(
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
