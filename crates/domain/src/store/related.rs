//! The stored related-articles lists an article page shows, computed in the background.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::article::{ArticleId, ArticleSummary};
use crate::store::StoreError;

#[async_trait]
pub trait RelatedStore: Send + Sync {
    /// The stored related list of `id`, best first; `None` when none has been computed. The
    /// list may name articles that have since been unpublished.
    async fn related_list(&self, id: ArticleId) -> Result<Option<Vec<ArticleId>>, StoreError>;

    /// The published articles of the stored related list of `id`, in its order, at most `limit`
    /// (what a page shows, in one query); `None` when no list has been computed.
    async fn related_summaries(
        &self,
        id: ArticleId,
        limit: u32,
    ) -> Result<Option<Vec<ArticleSummary>>, StoreError>;

    /// Replaces the related list of `id` (computed at `at`) and announces
    /// [`CacheKey::Related`]`(id)`. `false` when there is no article `id`.
    ///
    /// [`CacheKey::Related`]: crate::CacheKey::Related
    async fn put_related_list(
        &self,
        id: ArticleId,
        related: &[ArticleId],
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// The articles whose stored related lists name `id`.
    async fn lists_naming(&self, id: ArticleId) -> Result<Vec<ArticleId>, StoreError>;
}
