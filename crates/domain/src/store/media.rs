//! Uploaded images (their files live under the data directory) and articles' featured images.

use async_trait::async_trait;

use crate::article::ArticleId;
use crate::newsroom::{AuditEntry, Image, ImageId, NewImage};
use crate::store::StoreError;

#[async_trait]
pub trait MediaStore: Send + Sync {
    async fn insert_image(&self, image: &NewImage) -> Result<Image, StoreError>;
    async fn image(&self, id: ImageId) -> Result<Option<Image>, StoreError>;
    /// The newest images first.
    async fn images(&self, offset: u64, limit: u32) -> Result<Vec<Image>, StoreError>;
    /// Sets (or, with `None`, removes) an article's featured image. False when there is no such
    /// article; an unknown image is [`StoreError::MissingReference`].
    async fn set_featured_image(
        &self,
        article: ArticleId,
        image: Option<ImageId>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// The featured images of these articles (those that have one).
    async fn featured_images(
        &self,
        articles: &[ArticleId],
    ) -> Result<Vec<(ArticleId, Image)>, StoreError>;
}
