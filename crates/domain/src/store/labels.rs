//! Sections, tags and bylines (authors): finding them by slug, listing them, and the
//! newsroom's management of sections and tags.

use async_trait::async_trait;

use crate::article::{Author, Section, Tag};
use crate::newsroom::{AuditEntry, LabelDeletion, LabelKind};
use crate::store::StoreError;
use crate::text::Slug;

#[async_trait]
pub trait LabelStore: Send + Sync {
    /// Finds the section with this slug, creating it with `name` if there is none. For the
    /// command line, the demo publication and importers; the newsroom creates labels through
    /// the article writes (see [`crate::LabelRef`]) and [`LabelStore::add_section`].
    async fn ensure_section(&self, slug: &Slug, name: &str) -> Result<Section, StoreError>;
    async fn ensure_tag(&self, slug: &Slug, name: &str) -> Result<Tag, StoreError>;
    async fn ensure_author(&self, slug: &Slug, name: &str) -> Result<Author, StoreError>;

    async fn section_by_slug(&self, slug: &Slug) -> Result<Option<Section>, StoreError>;
    async fn tag_by_slug(&self, slug: &Slug) -> Result<Option<Tag>, StoreError>;
    async fn author_by_slug(&self, slug: &Slug) -> Result<Option<Author>, StoreError>;
    /// All sections, in the order the site's navigation shows them.
    async fn sections(&self) -> Result<Vec<Section>, StoreError>;
    /// All tags, by name.
    async fn tags(&self) -> Result<Vec<Tag>, StoreError>;
    /// All bylines, by name.
    async fn authors(&self) -> Result<Vec<Author>, StoreError>;

    /// Adds a section, unless one has this slug already (then `None`); announces a change to
    /// everything (the navigation is on every page).
    async fn add_section(
        &self,
        slug: &Slug,
        name: &str,
        audit: &AuditEntry,
    ) -> Result<Option<Section>, StoreError>;
    /// Renames a section or a tag; its slug, and so its URL, stays. Announces a change to
    /// everything (section names are on every page). False when there is no such row.
    async fn rename_label(
        &self,
        kind: LabelKind,
        id: i64,
        name: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Merges section (or tag) `from` into `into`: its articles move to `into`, its old front's
    /// path redirects to the new one (see [`SiteStore::redirect`](crate::store::SiteStore::redirect)),
    /// and `from` is deleted. Announces a change to everything. False when either does not
    /// exist, or they are the same.
    async fn merge_label(
        &self,
        kind: LabelKind,
        from: i64,
        into: i64,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Deletes a section that files no article, or a tag, which is taken off its articles.
    /// Announces a change to everything.
    async fn delete_label(
        &self,
        kind: LabelKind,
        id: i64,
        audit: &AuditEntry,
    ) -> Result<LabelDeletion, StoreError>;
}
