//! Articles as readers see them: writing them whole, reading them by id or slug, the listings
//! of fronts and feeds, sitemaps, and what the search index is built from.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::article::{Article, ArticleId, ArticleStatus, ArticleSummary, NewArticle, SearchText};
use crate::listing::{Listing, PageRequest};
use crate::newsroom::AuditEntry;
use crate::store::StoreError;
use crate::syndication::SitemapEntry;
use crate::text::Slug;

#[async_trait]
pub trait ArticleStore: Send + Sync {
    /// Writes a new article with its tags and byline, all or nothing.
    /// A taken slug is [`StoreError::Conflict`].
    async fn insert_article(&self, article: &NewArticle) -> Result<ArticleId, StoreError>;
    /// Writes many articles in one transaction, all or nothing (imports, the corpus generator).
    async fn insert_articles(&self, articles: &[NewArticle]) -> Result<Vec<ArticleId>, StoreError>;
    /// Moves an article to `status`; `published_at` is kept when `None`.
    /// Returns false when there is no such article.
    async fn set_article_status(
        &self,
        id: ArticleId,
        status: ArticleStatus,
        published_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    async fn article_by_id(&self, id: ArticleId) -> Result<Option<Article>, StoreError>;
    async fn article_by_slug(&self, slug: &Slug) -> Result<Option<Article>, StoreError>;
    /// Whether an article, or a top-level page, holds this slug.
    async fn slug_exists(&self, slug: &Slug) -> Result<bool, StoreError>;
    /// Summaries of the given articles, whatever their status, in no particular order;
    /// ids with no article are left out.
    async fn summaries(&self, ids: &[ArticleId]) -> Result<Vec<ArticleSummary>, StoreError>;
    /// One page of published articles, newest first (by publication time, then id).
    async fn list_published(
        &self,
        listing: Listing,
        page: PageRequest,
    ) -> Result<Vec<ArticleSummary>, StoreError>;
    /// Sets the title and description search engines and social cards show of an article.
    /// False when there is no such article.
    async fn set_search_text(
        &self,
        article: ArticleId,
        search: &SearchText,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Pins an article to the home page (at `audit.at`) or, with `pinned` false, unpins it.
    /// False when there is no such article.
    async fn set_pinned(
        &self,
        article: ArticleId,
        pinned: bool,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// The published articles pinned to the home page, the latest pin first, at most `limit`.
    async fn pinned(&self, limit: u32) -> Result<Vec<ArticleSummary>, StoreError>;
    /// How many articles there are, in any state.
    async fn count_articles(&self) -> Result<u64, StoreError>;

    // Feeds and sitemaps

    /// When anything filed under `listing` may last have changed, whatever its state now:
    /// unpublishing an article counts, so a feed's `Last-Modified` moves when an item leaves it.
    /// Never earlier than the latest change to an article in the listing; a backend may answer
    /// with a later time (the whole site's latest change) where the exact one is costly to find.
    /// `None` when there is no article to date it by.
    async fn listing_changed_at(
        &self,
        listing: Listing,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// The highest article id in any state: how far the id-ranged sitemap pages reach.
    async fn max_article_id(&self) -> Result<Option<ArticleId>, StoreError>;
    /// Up to `limit` published articles with ids in `first..=last`, in id order.
    async fn published_in_id_range(
        &self,
        first: ArticleId,
        last: ArticleId,
        limit: u32,
    ) -> Result<Vec<SitemapEntry>, StoreError>;

    // The search index

    /// Up to `limit` published articles with ids above `after` (all of them from the start when
    /// `None`), in id order, complete with tags and byline: how a search index is (re)built.
    async fn published_articles_after(
        &self,
        after: Option<ArticleId>,
        limit: u32,
    ) -> Result<Vec<Article>, StoreError>;

    /// A short text that changes whenever any article is written: a derived index compares the
    /// value it was built at with the current one to know whether it is stale.
    async fn content_fingerprint(&self) -> Result<String, StoreError>;
}
