//! The newsroom's view of articles: the working copy and its revisions, the workflow's writes,
//! corrections and the audit log.

use std::fmt;
use std::str::FromStr;

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
        let mut agencies = self.source.iter().flat_map(|s| &s.agencies);
        if agencies.any(|a| a.chars().any(is_forbidden_char)) {
            return Err(InvalidValue::new(
                "source",
                "must be one line of text, without invisible control characters",
            ));
        }
        Ok(())
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

/// The number of a revision of an article: 1, 2, 3, ... per article, in the order they were
/// saved. 0 stands for the article as first stored, before any revision (what a first save is
/// based on).
///
/// Reads and shows itself as its bare number, in forms and addresses (`?from=3&to=5`) as in the
/// database and the export format.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct RevisionNumber(pub i64);

impl RevisionNumber {
    /// What a first save is based on: the article as first stored.
    pub const STORED: RevisionNumber = RevisionNumber(0);
    /// An article's first revision.
    pub const FIRST: RevisionNumber = RevisionNumber(1);

    /// The number after this one.
    pub fn next(self) -> Self {
        RevisionNumber(self.0 + 1)
    }
}

impl fmt::Display for RevisionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for RevisionNumber {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(RevisionNumber)
    }
}

/// One stored version of an article's working copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub article: ArticleId,
    pub number: RevisionNumber,
    /// The revision the writer's page showed when they saved ([`RevisionNumber::STORED`]: the
    /// article as first stored).
    pub based_on: RevisionNumber,
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
    pub number: RevisionNumber,
    pub based_on: RevisionNumber,
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
    pub revision: RevisionNumber,
    /// The revision the public page shows, once published.
    pub live_revision: Option<RevisionNumber>,
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

/// Which of the two labels the newsroom's section and tag pages manage alike: renamed, merged
/// and deleted the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelKind {
    Section,
    Tag,
}

impl LabelKind {
    /// `section` or `tag`: how audit lines and messages name it, and the first part of its
    /// front's path (`/section/world`).
    pub fn as_str(self) -> &'static str {
        match self {
            LabelKind::Section => "section",
            LabelKind::Tag => "tag",
        }
    }
}

impl fmt::Display for LabelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LabelKind {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "section" => Ok(LabelKind::Section),
            "tag" => Ok(LabelKind::Tag),
            _ => Err(InvalidValue::new("label", "must be section or tag")),
        }
    }
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
    pub content: Option<(&'a Content, RevisionNumber)>,
    /// Set when going live; kept when `None`.
    pub published_at: Option<DateTime<Utc>>,
    /// Set when scheduling; cleared otherwise.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// With `Some(n)`, the move happens only while revision `n` is still the newest: what the
    /// editor reviewed is what goes out.
    pub revision: Option<RevisionNumber>,
    pub now: DateTime<Utc>,
}

/// What a save came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    /// Stored as the new newest revision.
    Saved(RevisionNumber),
    /// Someone saved since the writer's page was loaded: the save is kept as revision `kept_as`
    /// but the newest is still `current`.
    Conflict {
        current: RevisionNumber,
        kept_as: RevisionNumber,
    },
}

/// What a dated note on a published article is: a correction of an error, or an update
/// (news that came later). Stored and exported as `correction` or `update`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CorrectionKind {
    Correction,
    Update,
}

impl CorrectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CorrectionKind::Correction => "correction",
            CorrectionKind::Update => "update",
        }
    }

    /// How pages name it: `Correction`, `Update`.
    pub fn label(self) -> &'static str {
        match self {
            CorrectionKind::Correction => "Correction",
            CorrectionKind::Update => "Update",
        }
    }
}

impl fmt::Display for CorrectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CorrectionKind {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "correction" => Ok(CorrectionKind::Correction),
            "update" => Ok(CorrectionKind::Update),
            _ => Err(InvalidValue::new("kind", "must be correction or update")),
        }
    }
}

/// A dated note on a published article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub article: ArticleId,
    pub kind: CorrectionKind,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// What an audit line records. Stored as its text (`created`, `published update`, `merged
/// tag`, ...), which is also what the audit page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A draft was written, with its first revision.
    Created,
    Saved,
    /// The first of a run of autosaves (the run's later ones replace it and write no line).
    Autosaved,
    /// An older revision was brought back as a new one.
    Restored,
    /// A save based on a revision that was no longer the newest was kept aside.
    Conflict,
    /// Sent to the editors for review.
    Submitted,
    /// Gone live, by hand or at its scheduled time.
    Published,
    /// A live article's newer revision was published.
    PublishedUpdate,
    Scheduled,
    /// A scheduled article could not go live and went back to review.
    ScheduleFailed,
    Unpublished,
    /// A correction or update note was added.
    AddedNote(CorrectionKind),
    SetFeaturedImage,
    RemovedFeaturedImage,
    /// A section came into being: added on the sections page, or named by an article.
    AddedSection,
    /// A tag came into being, named by an article.
    AddedTag,
    /// A byline name came into being, named by an article.
    AddedBylineName,
    Renamed(LabelKind),
    Merged(LabelKind),
    Deleted(LabelKind),
    /// Taken down because the agency killed a wire item it was built on.
    TakenDownByWire,
    /// The title and description search engines and social cards show were changed.
    SetSearchText,
    Pinned,
    Unpinned,
}

impl AuditAction {
    /// Every action, each once.
    pub const ALL: [AuditAction; 28] = [
        AuditAction::Created,
        AuditAction::Saved,
        AuditAction::Autosaved,
        AuditAction::Restored,
        AuditAction::Conflict,
        AuditAction::Submitted,
        AuditAction::Published,
        AuditAction::PublishedUpdate,
        AuditAction::Scheduled,
        AuditAction::ScheduleFailed,
        AuditAction::Unpublished,
        AuditAction::AddedNote(CorrectionKind::Correction),
        AuditAction::AddedNote(CorrectionKind::Update),
        AuditAction::SetFeaturedImage,
        AuditAction::RemovedFeaturedImage,
        AuditAction::AddedSection,
        AuditAction::AddedTag,
        AuditAction::AddedBylineName,
        AuditAction::Renamed(LabelKind::Section),
        AuditAction::Renamed(LabelKind::Tag),
        AuditAction::Merged(LabelKind::Section),
        AuditAction::Merged(LabelKind::Tag),
        AuditAction::Deleted(LabelKind::Section),
        AuditAction::Deleted(LabelKind::Tag),
        AuditAction::TakenDownByWire,
        AuditAction::SetSearchText,
        AuditAction::Pinned,
        AuditAction::Unpinned,
    ];

    /// The stored and shown text.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Created => "created",
            AuditAction::Saved => "saved",
            AuditAction::Autosaved => "autosaved",
            AuditAction::Restored => "restored",
            AuditAction::Conflict => "conflict",
            AuditAction::Submitted => "submitted",
            AuditAction::Published => "published",
            AuditAction::PublishedUpdate => "published update",
            AuditAction::Scheduled => "scheduled",
            AuditAction::ScheduleFailed => "schedule failed",
            AuditAction::Unpublished => "unpublished",
            AuditAction::AddedNote(CorrectionKind::Correction) => "added correction",
            AuditAction::AddedNote(CorrectionKind::Update) => "added update",
            AuditAction::SetFeaturedImage => "set featured image",
            AuditAction::RemovedFeaturedImage => "removed featured image",
            AuditAction::AddedSection => "added section",
            AuditAction::AddedTag => "added tag",
            AuditAction::AddedBylineName => "added byline name",
            AuditAction::Renamed(LabelKind::Section) => "renamed section",
            AuditAction::Renamed(LabelKind::Tag) => "renamed tag",
            AuditAction::Merged(LabelKind::Section) => "merged section",
            AuditAction::Merged(LabelKind::Tag) => "merged tag",
            AuditAction::Deleted(LabelKind::Section) => "deleted section",
            AuditAction::Deleted(LabelKind::Tag) => "deleted tag",
            AuditAction::TakenDownByWire => "taken down: source killed",
            AuditAction::SetSearchText => "set search title and description",
            AuditAction::Pinned => "pinned to the home page",
            AuditAction::Unpinned => "unpinned from the home page",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action's text that is none of [`AuditAction`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an audit action")]
pub struct UnknownAction(pub String);

impl FromStr for AuditAction {
    type Err = UnknownAction;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuditAction::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownAction(s.to_owned()))
    }
}

/// An audit line's action as read back. The log outlives versions of the software: a line an
/// older or newer version wrote with an action this one does not know is kept and shown as it
/// was written, rather than making the whole log unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoggedAction {
    Known(AuditAction),
    /// The stored text of an action this version does not write.
    Other(String),
}

impl LoggedAction {
    /// Reads a stored action's text; never fails.
    pub fn parse(s: &str) -> Self {
        s.parse()
            .map_or_else(|_| LoggedAction::Other(s.to_owned()), LoggedAction::Known)
    }

    /// The text as stored and shown.
    pub fn as_str(&self) -> &str {
        match self {
            LoggedAction::Known(action) => action.as_str(),
            LoggedAction::Other(text) => text,
        }
    }
}

impl fmt::Display for LoggedAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of the audit log, to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub user: Option<UserId>,
    pub action: AuditAction,
    pub article: Option<ArticleId>,
    pub detail: String,
}

/// One line of the audit log, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    pub user_name: Option<String>,
    pub action: LoggedAction,
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_audit_action_reads_back_from_its_own_distinct_text() {
        let texts: BTreeSet<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(texts.len(), AuditAction::ALL.len(), "no two share a text");
        for action in AuditAction::ALL {
            assert_eq!(action.to_string().parse(), Ok(action));
            assert_eq!(
                LoggedAction::parse(action.as_str()),
                LoggedAction::Known(action)
            );
        }
        assert_eq!(
            AuditAction::Merged(LabelKind::Tag).to_string(),
            "merged tag"
        );
    }

    #[test]
    fn an_action_this_version_does_not_know_is_kept_as_written() {
        let read = LoggedAction::parse("archived");
        assert_eq!(read, LoggedAction::Other("archived".to_owned()));
        assert_eq!(read.to_string(), "archived");
        assert!("archived".parse::<AuditAction>().is_err());
    }

    #[test]
    fn correction_kinds_and_label_kinds_read_back_what_they_show() {
        for kind in [CorrectionKind::Correction, CorrectionKind::Update] {
            assert_eq!(kind.to_string().parse(), Ok(kind));
        }
        assert!("erratum".parse::<CorrectionKind>().is_err());
        for kind in [LabelKind::Section, LabelKind::Tag] {
            assert_eq!(kind.to_string().parse(), Ok(kind));
        }
        assert!("author".parse::<LabelKind>().is_err());
    }

    #[test]
    fn revision_numbers_read_and_show_their_bare_number() {
        assert_eq!("12".parse(), Ok(RevisionNumber(12)));
        assert_eq!(RevisionNumber(12).to_string(), "12");
        assert!("twelve".parse::<RevisionNumber>().is_err());
        assert_eq!(RevisionNumber::STORED.next(), RevisionNumber::FIRST);
    }
}
