//! Moving a publication out of one database and into another: what an export reads and an import
//! writes, keyed by what stays the same from one database to the next (slugs, e-mail addresses,
//! image keys, paths) rather than by row ids, which do not.
//!
//! The storage side is its own port ([`PortableStore`]): the rest of the application never reads
//! a whole archive or writes rows it did not check through the newsroom's rules.
//!
//! [`PortableStore`]: crate::store::PortableStore

use chrono::{DateTime, Utc};

use crate::account::{Email, NewUser};
use crate::article::{ArticleStatus, SearchText, Source};
use crate::newsroom::{CorrectionKind, Draft, RevisionKind, RevisionNumber};
use crate::site::SiteSettings;
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
    pub kind: CorrectionKind,
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
    /// [`PortableStore::replace_body`](crate::store::PortableStore::replace_body)).
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
    pub revision: RevisionNumber,
    /// The number of the revision readers see.
    pub live_revision: Option<RevisionNumber>,
    pub created_by: Option<Email>,
    /// The key of its featured image.
    pub featured_image: Option<String>,
    /// Oldest first.
    pub corrections: Vec<PortableCorrection>,
    /// Slugs it had before on the site it comes from (a post renamed there): an import that
    /// updates ([`WhenStored::UpdateIfNewer`]) finds the stored article under one of them,
    /// renames it and brings it up to date instead of adding it twice.
    pub previous_slugs: Vec<Slug>,
    pub search: SearchText,
    pub pinned_at: Option<DateTime<Utc>>,
}

/// One revision of an article's working copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortableRevision {
    pub article: Slug,
    /// The `created_at` of the article it belongs to: an import adds it only to that article.
    pub article_created_at: DateTime<Utc>,
    pub number: RevisionNumber,
    pub based_on: RevisionNumber,
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

/// A standing page as it moves between databases: its path is its identity, and names its
/// parent (every segment but the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortablePage {
    /// Its slugs from the top: `["about-us", "our-team"]`.
    pub path: Vec<Slug>,
    pub title: String,
    pub body: String,
    /// The rendered body, as stored; not written out.
    pub body_html: String,
    pub description: String,
    pub status: crate::page::PageStatus,
    pub language: Language,
    pub position: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

/// Where a menu item leads, by what stays the same between databases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortableMenuTarget {
    /// A page by its path's slugs.
    Page(Vec<Slug>),
    Section(Slug),
    Url(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortableMenuItem {
    pub label: String,
    pub target: PortableMenuTarget,
    pub nested: bool,
}

/// A whole menu: its name is its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortableMenu {
    pub name: crate::page::MenuName,
    pub items: Vec<PortableMenuItem>,
}

/// One record for [`PortableStore::import`](crate::store::PortableStore::import). References are by slug, e-mail and key, resolved
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
    Comment(crate::comment::PortableComment),
    /// Added when no page holds its path; its parent must be stored or come earlier.
    Page(PortablePage),
    /// Written when the database's menu of that name is empty.
    Menu(PortableMenu),
}

/// What [`PortableStore::import`](crate::store::PortableStore::import) did with one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Written.
    Added,
    /// Already there (the same key, and for articles the same creation time): nothing changed,
    /// except that notes of an article missing from the database were added.
    AlreadyThere,
    /// Stored, older than the file's copy and not edited in the newsroom since it was imported
    /// ([`WhenStored::UpdateIfNewer`]): brought up to date.
    Updated,
    /// Stored and older than the file's copy, but edited in the newsroom since it was imported:
    /// the newsroom's copy is kept.
    EditedHere,
    /// The key is taken by something else (an article of another creation time, settings a
    /// publication already made its own, a revision of an article that is not this one): the
    /// stored one is kept and the item is left out.
    Taken,
}

/// What an import does with an article it finds stored (the same slug and creation time).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WhenStored {
    /// Keeps the stored one: a file of ours is a copy, never newer than the database it came
    /// from.
    #[default]
    Keep,
    /// Brings it up to date when the file's copy changed after the stored one and nobody has
    /// edited it in the newsroom since it was imported: a newer export of a site moving to
    /// Dateline.
    UpdateIfNewer,
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
    /// Absent from the manifests of backups made before comments were kept.
    #[serde(default)]
    pub comments: u64,
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
            + self.comments
    }
}
