//! Moving a publication out of one database and into another: what an export reads and an import
//! writes, keyed by what stays the same from one database to the next (slugs, e-mail addresses,
//! image keys, paths) rather than by row ids, which do not.
//!
//! The storage side is its own port ([`PortableStore`]): the rest of the application never reads
//! a whole archive or writes rows it did not check through the newsroom's rules.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::account::{Email, NewUser, User};
use crate::article::{ArticleId, ArticleStatus, Source};
use crate::newsroom::{Draft, ImageId, RevisionKind};
use crate::site::SiteSettings;
use crate::store::{Store, StoreError};
use crate::text::{Language, Slug};

/// A section, tag or byline as it moves between databases: its slug is its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortableLabel {
    pub slug: Slug,
    pub name: String,
    /// Where a section stands in the navigation (0 for tags and bylines).
    pub position: i64,
}

/// An uploaded image's record; its files are `<key>/<width>.<ext>` under the media directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortableImage {
    /// The directory of its files, and its identity.
    pub key: String,
    pub ext: String,
    pub width: u32,
    pub height: u32,
    pub renditions: Vec<u32>,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub uploaded_by: Option<Email>,
    pub created_at: DateTime<Utc>,
}

/// A dated correction or update note of an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortableCorrection {
    /// "correction" or "update".
    pub kind: String,
    pub note: String,
    pub created_by: Option<Email>,
    pub created_at: DateTime<Utc>,
}

/// An article with everything the newsroom keeps of it but its revisions: the stored (public)
/// content, its labels by slug, its place in the workflow and its notes.
///
/// An article's identity across databases is its slug together with `created_at`: an import
/// meeting the same slug with another creation time has met a different article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortableArticle {
    pub slug: Slug,
    pub headline: String,
    pub standfirst: String,
    /// The body source. On export, Read More blocks name their targets by path (`/slug`); on
    /// import, by id, as stored (a target not stored yet keeps its path; see
    /// [`PortableStore::replace_body`]).
    pub body: String,
    /// The rendered body, as stored; on export it is read but not written out (it holds ids).
    pub body_html: String,
    pub section: Slug,
    pub tags: Vec<Slug>,
    pub authors: Vec<Slug>,
    pub source: Option<Source>,
    pub status: ArticleStatus,
    pub language: Language,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When a scheduled article goes live: its embargo.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// The newest revision's number.
    pub revision: i64,
    /// The number of the revision readers see.
    pub live_revision: Option<i64>,
    pub created_by: Option<Email>,
    /// The key of its featured image.
    pub featured_image: Option<String>,
    /// Oldest first.
    pub corrections: Vec<PortableCorrection>,
}

/// One revision of an article's working copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortableRevision {
    pub article: Slug,
    /// The `created_at` of the article it belongs to: an import adds it only to that article.
    pub article_created_at: DateTime<Utc>,
    pub number: i64,
    pub based_on: i64,
    pub kind: RevisionKind,
    pub draft: Draft,
    pub saved_by: Option<Email>,
    pub saved_at: DateTime<Utc>,
}

/// An old path and where it leads now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortableRedirect {
    pub from_path: String,
    pub to_path: String,
    pub created_at: DateTime<Utc>,
}

/// One record for [`PortableStore::import`]. References are by slug, e-mail and key, resolved
/// by the store inside the import's transaction, so a batch may refer to what it adds itself.
#[derive(Debug, Clone)]
pub enum ImportItem {
    /// Stored when the database has no settings, or only the blank ones of a new publication
    /// ([`SiteSettings::unconfigured`]); otherwise the stored ones are kept.
    Settings(SiteSettings),
    Section(PortableLabel),
    Tag(PortableLabel),
    Author(PortableLabel),
    /// The account's password hash is one nobody knows the password of.
    User(NewUser),
    Image(PortableImage),
    Article(PortableArticle),
    Revision(PortableRevision),
    Redirect(PortableRedirect),
}

/// What [`PortableStore::import`] did with one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Written.
    Added,
    /// Already there (the same key, and for articles the same creation time): nothing changed,
    /// except that notes of an article missing from the database were added.
    AlreadyThere,
    /// The key is taken by something else (an article of another creation time, settings a
    /// publication already made its own, a revision of an article that is not this one): the
    /// stored one is kept and the item is left out.
    Taken,
}

/// How many rows of each kind a database holds (also as a backup's manifest records them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    pub settings: u64,
    pub sections: u64,
    pub tags: u64,
    pub authors: u64,
    pub users: u64,
    pub images: u64,
    pub articles: u64,
    pub revisions: u64,
    pub corrections: u64,
    pub redirects: u64,
}

impl Counts {
    /// Whether there is anything at all: settings, a label, an account, an article, ...
    pub fn holds_data(&self) -> bool {
        self.total() > 0
    }

    pub fn total(&self) -> u64 {
        self.settings
            + self.sections
            + self.tags
            + self.authors
            + self.users
            + self.images
            + self.articles
            + self.revisions
            + self.corrections
            + self.redirects
    }
}

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
        after: i64,
        limit: u32,
    ) -> Result<Vec<PortableRevision>, StoreError>;
    /// The slugs of these articles (those that exist).
    async fn slugs(&mut self, ids: &[ArticleId]) -> Result<Vec<(ArticleId, Slug)>, StoreError>;
    /// Up to `limit` redirects whose old path sorts after `after`, in that order.
    async fn redirects_after(
        &mut self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<PortableRedirect>, StoreError>;
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
    /// [`StoreError::MissingReference`]. Announces a change to everything.
    async fn import(&self, items: &[ImportItem]) -> Result<Vec<ImportOutcome>, StoreError>;
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
