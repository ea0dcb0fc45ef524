//! The storage side of export and import: a consistent read of everything, and writes by
//! natural keys (slugs, e-mail addresses, image keys, paths). The records themselves are
//! [`crate::portable`]'s.

use async_trait::async_trait;

use crate::account::User;
use crate::article::ArticleId;
use crate::newsroom::{ImageId, RevisionNumber};
use crate::portable::{
    Counts, ImportItem, ImportOutcome, PortableArticle, PortableImage, PortableLabel, PortableMenu,
    PortablePage, PortableRedirect, PortableRevision, WhenStored,
};
use crate::site::SiteSettings;
use crate::store::{Store, StoreError};
use crate::text::Slug;

/// A consistent, read-only view of the whole database, for an export: every read sees the
/// database as it was when the view was opened, whatever is written meanwhile.
#[async_trait]
pub trait ExportSnapshot: Send {
    async fn counts(&mut self) -> Result<Counts, StoreError>;
    async fn settings(&mut self) -> Result<Option<SiteSettings>, StoreError>;
    /// In navigation order.
    async fn sections(&mut self) -> Result<Vec<PortableLabel>, StoreError>;
    /// In the order they were added.
    async fn tags(&mut self) -> Result<Vec<PortableLabel>, StoreError>;
    async fn authors(&mut self) -> Result<Vec<PortableLabel>, StoreError>;
    /// In the order they were added; never their password hashes.
    async fn users(&mut self) -> Result<Vec<User>, StoreError>;
    /// Up to `limit` images after `after`, in the order they were added.
    async fn images_after(
        &mut self,
        after: Option<ImageId>,
        limit: u32,
    ) -> Result<Vec<(ImageId, PortableImage)>, StoreError>;
    /// Up to `limit` articles in any state after `after`, in the order they were added.
    async fn articles_after(
        &mut self,
        after: Option<ArticleId>,
        limit: u32,
    ) -> Result<Vec<(ArticleId, PortableArticle)>, StoreError>;
    /// Up to `limit` revisions of an article numbered above `after`, oldest first.
    async fn revisions_after(
        &mut self,
        article: ArticleId,
        after: RevisionNumber,
        limit: u32,
    ) -> Result<Vec<PortableRevision>, StoreError>;
    /// The slugs of these articles (those that exist).
    async fn slugs(&mut self, ids: &[ArticleId]) -> Result<Vec<(ArticleId, Slug)>, StoreError>;
    /// Up to `limit` comments after `after`, in the order they were added (a reply after the
    /// comment it answers).
    async fn comments_after(
        &mut self,
        after: Option<crate::comment::CommentId>,
        limit: u32,
    ) -> Result<Vec<(crate::comment::CommentId, crate::comment::PortableComment)>, StoreError>;
    /// Up to `limit` redirects whose old path sorts after `after`, in that order.
    async fn redirects_after(
        &mut self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<PortableRedirect>, StoreError>;
    /// Every page, parents before their children.
    async fn pages(&mut self) -> Result<Vec<PortablePage>, StoreError>;
    /// Both menus (an empty one too).
    async fn menus(&mut self) -> Result<Vec<PortableMenu>, StoreError>;
}

/// The storage side of export and import.
#[async_trait]
pub trait PortableStore: Store {
    async fn counts(&self) -> Result<Counts, StoreError>;
    /// Opens a consistent view for an export; it holds a read transaction until dropped.
    async fn export_snapshot(&self) -> Result<Box<dyn ExportSnapshot>, StoreError>;
    /// Writes `items` in one transaction, in order, each only where its key is free (see
    /// [`ImportOutcome`]); all or nothing. A reference to a section, tag, byline, account,
    /// image or article that neither the database nor an earlier item of the batch holds is
    /// [`StoreError::MissingReference`]. An article already stored is kept or brought up to
    /// date as `stored` says. Announces a change to everything.
    async fn import(
        &self,
        items: &[ImportItem],
        stored: WhenStored,
    ) -> Result<Vec<ImportOutcome>, StoreError>;
    /// The ids of the articles with these slugs (those that exist).
    async fn article_ids(&self, slugs: &[Slug]) -> Result<Vec<(Slug, ArticleId)>, StoreError>;
    /// Whether an image with this key is recorded.
    async fn image_key_exists(&self, key: &str) -> Result<bool, StoreError>;
    /// Replaces an article's body source and rendering, and nothing else (not its times): how
    /// an import completes Read More blocks whose targets were stored after the article.
    /// False when there is no such article.
    async fn replace_body(
        &self,
        id: ArticleId,
        body: &str,
        body_html: &str,
    ) -> Result<bool, StoreError>;
}
