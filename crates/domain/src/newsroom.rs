//! The newsroom's view of articles: the working copy and its revisions, the workflow's writes,
//! corrections and the audit log.

use chrono::{DateTime, Utc};

use crate::account::UserId;
use crate::article::{ArticleId, ArticleStatus, AuthorId, SectionId, Source, TagId};
use crate::text::{Headline, InvalidValue, Language, Slug, check_multiline, is_forbidden_char};

/// An article as its writer typed it: names rather than ids. This is what a revision keeps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Draft {
    pub headline: String,
    pub standfirst: String,
    pub body: String,
    pub section: String,
    pub tags: Vec<String>,
    pub authors: Vec<String>,
    pub source: Option<Source>,
    pub language: String,
}

impl Draft {
    /// Refuses a draft with a character no text may hold ([`is_forbidden_char`]; the standfirst
    /// and body may keep tabs and line breaks). An autosave keeps drafts that are not valid yet
    /// (no headline, no section), but never one whose text cannot be stored or fed.
    pub fn check_characters(&self) -> Result<(), InvalidValue> {
        check_multiline("standfirst", &self.standfirst)?;
        check_multiline("body", &self.body)?;
        let one_line = [
            ("headline", std::slice::from_ref(&self.headline)),
            ("section", std::slice::from_ref(&self.section)),
            ("tags", self.tags.as_slice()),
            ("authors", self.authors.as_slice()),
            ("language", std::slice::from_ref(&self.language)),
        ];
        for (field, values) in one_line {
            if values.iter().any(|v| v.chars().any(is_forbidden_char)) {
                return Err(InvalidValue::new(
                    field,
                    "must be one line of text, without invisible control characters",
                ));
            }
        }
        match &self.source {
            Some(source) if source.agency.chars().any(is_forbidden_char) => Err(InvalidValue::new(
                "source",
                "must be one line of text, without invisible control characters",
            )),
            _ => Ok(()),
        }
    }
}

/// Why a revision was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevisionKind {
    /// Saved with the Save button.
    Save,
    /// Saved by the editor page while the writer typed.
    Autosave,
    /// An older revision brought back.
    Restore,
    /// A save based on a revision that was no longer the newest: kept, but not made current.
    Conflict,
}

impl RevisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionKind::Save => "save",
            RevisionKind::Autosave => "autosave",
            RevisionKind::Restore => "restore",
            RevisionKind::Conflict => "conflict",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            RevisionKind::Save,
            RevisionKind::Autosave,
            RevisionKind::Restore,
            RevisionKind::Conflict,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One stored version of an article's working copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub article: ArticleId,
    /// 1, 2, 3, ... per article.
    pub number: i64,
    /// The revision the writer's page showed when they saved (0: the article as first stored).
    pub based_on: i64,
    pub kind: RevisionKind,
    pub draft: Draft,
    pub saved_by: Option<UserId>,
    pub saved_by_name: Option<String>,
    pub saved_at: DateTime<Utc>,
}

/// What the history page shows of a revision: everything but its text, so listing a long
/// history never reads the bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionInfo {
    pub article: ArticleId,
    pub number: i64,
    pub based_on: i64,
    pub kind: RevisionKind,
    /// The headline, cut to [`RevisionInfo::HEADLINE_CHARS`] characters.
    pub headline: String,
    /// Length of the body, in characters.
    pub body_chars: u64,
    pub saved_by: Option<UserId>,
    pub saved_by_name: Option<String>,
    pub saved_at: DateTime<Utc>,
}

impl RevisionInfo {
    /// How much of a headline a history row carries.
    pub const HEADLINE_CHARS: usize = 300;
}

/// Most revisions an article keeps. Past it, a save removes the oldest autosaves first, then
/// the oldest copies kept after a conflict; never a named save or restore, the current revision
/// or the live one.
pub const MAX_REVISIONS: i64 = 200;

/// A section, tag or byline as a checked article names it: one that exists, or a new one that
/// the write storing the article creates in its own transaction, with an audit line. Checking an
/// article never writes; a refused or conflicting save therefore creates nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelRef<Id> {
    Existing(Id),
    New { slug: Slug, name: String },
}

/// The rendered content of an article, every article reference resolved: what the articles
/// table holds and the public page shows. Its section, tags and byline may still be new names
/// (see [`LabelRef`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub headline: Headline,
    pub standfirst: String,
    pub body: String,
    pub body_html: String,
    pub section: LabelRef<SectionId>,
    pub tags: Vec<LabelRef<TagId>>,
    pub authors: Vec<LabelRef<AuthorId>>,
    pub source: Option<Source>,
    pub language: Language,
}

/// The newsroom's bookkeeping of an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    pub status: ArticleStatus,
    /// The newest revision of the working copy; a save must be based on it.
    pub revision: i64,
    /// The revision the public page shows, once published.
    pub live_revision: Option<i64>,
    pub created_by: Option<UserId>,
    /// When a scheduled article goes live.
    pub scheduled_at: Option<DateTime<Utc>>,
}

/// A row of the newsroom's article list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskItem {
    pub id: ArticleId,
    pub slug: String,
    pub headline: String,
    pub section: String,
    pub byline: Vec<String>,
    pub status: ArticleStatus,
    pub workflow: Workflow,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// Which articles the newsroom's list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeskFilter {
    pub status: Option<ArticleStatus>,
    pub section: Option<SectionId>,
    /// A byline author.
    pub author: Option<AuthorId>,
    /// Words of the headline.
    pub text: Option<String>,
    /// Only articles this account created (for accounts that may open no one else's).
    pub written_by: Option<UserId>,
}

/// What deleting a section or tag came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelDeletion {
    Deleted,
    /// There is no such section or tag.
    NotFound,
    /// The section still files this many articles (in any state): merge it instead.
    InUse(u64),
}

/// A write of the workflow: move an article from one of `from` to `to`, optionally replacing its
/// public content with a revision.
#[derive(Debug, Clone)]
pub struct Transition<'a> {
    pub from: &'a [ArticleStatus],
    pub to: ArticleStatus,
    /// New public content and the revision it came from.
    pub content: Option<(&'a Content, i64)>,
    /// Set when going live; kept when `None`.
    pub published_at: Option<DateTime<Utc>>,
    /// Set when scheduling; cleared otherwise.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// With `Some(n)`, the move happens only while revision `n` is still the newest: what the
    /// editor reviewed is what goes out.
    pub revision: Option<i64>,
    pub now: DateTime<Utc>,
}

/// What a save came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    /// Stored as the new newest revision.
    Saved(i64),
    /// Someone saved since the writer's page was loaded: the save is kept as revision `kept_as`
    /// but the newest is still `current`.
    Conflict { current: i64, kept_as: i64 },
}

/// A dated note on a published article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub article: ArticleId,
    /// "correction" or "update".
    pub kind: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// One line of the audit log, to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub user: Option<UserId>,
    /// "created", "saved", "submitted", "published", ...
    pub action: String,
    pub article: Option<ArticleId>,
    pub detail: String,
}

/// One line of the audit log, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    pub user_name: Option<String>,
    pub action: String,
    pub article: Option<ArticleId>,
    pub headline: Option<String>,
    pub detail: String,
}

/// Database identity of an uploaded image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageId(pub i64);

impl std::fmt::Display for ImageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// An uploaded image and its resized renditions, stored under the data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub id: ImageId,
    /// The directory of its files: random hex, so URLs cannot be guessed from ids.
    pub key: String,
    /// File extension of the renditions: `jpg` or `png`.
    pub ext: String,
    pub width: u32,
    pub height: u32,
    /// Widths of the renditions, smallest first.
    pub renditions: Vec<u32>,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub uploaded_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// An image to be recorded; its files are already written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImage {
    pub key: String,
    pub ext: String,
    pub width: u32,
    pub height: u32,
    pub renditions: Vec<u32>,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub uploaded_by: UserId,
    pub created_at: DateTime<Utc>,
}
