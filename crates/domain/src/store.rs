//! The storage port: everything the services ask of a database. SQLite and PostgreSQL implement
//! it in `dateline-store`, and one conformance suite holds both to the same behaviour.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::article::{
    Article, ArticleId, ArticleStatus, ArticleSummary, Author, NewArticle, Section, Tag,
};
use crate::change::ChangeObserver;
use crate::listing::{Listing, PageRequest};
use crate::site::SiteSettings;
use crate::text::Slug;

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value (a slug) is already taken.
    #[error("{0} is already taken")]
    Conflict(String),
    /// A referenced row (section, tag, author) does not exist.
    #[error("{0} does not exist")]
    MissingReference(String),
    /// The stored data cannot be read back as valid values.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The database could not be reached or failed.
    #[error("database error")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Persistent storage of a publication.
///
/// Every write is atomic: when a call returns `Ok`, all of it is durable; when it fails or the
/// process dies midway, none of it is visible.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Answers when the database is reachable.
    async fn ping(&self) -> Result<(), StoreError>;

    /// `None` until the publication has been set up.
    async fn site_settings(&self) -> Result<Option<SiteSettings>, StoreError>;
    async fn put_site_settings(&self, settings: &SiteSettings) -> Result<(), StoreError>;

    /// Finds the section with this slug, creating it with `name` if there is none.
    async fn ensure_section(&self, slug: &Slug, name: &str) -> Result<Section, StoreError>;
    async fn ensure_tag(&self, slug: &Slug, name: &str) -> Result<Tag, StoreError>;
    async fn ensure_author(&self, slug: &Slug, name: &str) -> Result<Author, StoreError>;

    async fn section_by_slug(&self, slug: &Slug) -> Result<Option<Section>, StoreError>;
    async fn tag_by_slug(&self, slug: &Slug) -> Result<Option<Tag>, StoreError>;
    async fn author_by_slug(&self, slug: &Slug) -> Result<Option<Author>, StoreError>;
    /// All sections, in the order the site's navigation shows them.
    async fn sections(&self) -> Result<Vec<Section>, StoreError>;

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
    /// How many articles there are, in any state.
    async fn count_articles(&self) -> Result<u64, StoreError>;

    /// Registers an observer told of every committed change to articles (see [`ChangeObserver`]).
    fn add_change_observer(&self, observer: Arc<dyn ChangeObserver>);

    // Search

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
