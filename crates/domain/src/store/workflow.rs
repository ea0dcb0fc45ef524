//! The article workflow in the newsroom: drafts and their revisions, moves between states, the
//! desk's list, corrections and the audit log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::account::UserId;
use crate::article::{ArticleId, ArticleSummary};
use crate::newsroom::{
    AuditEntry, AuditRecord, Content, Correction, DeskFilter, DeskItem, Draft, Revision,
    RevisionInfo, RevisionKind, RevisionNumber, SaveOutcome, Transition, Workflow,
};
use crate::store::StoreError;
use crate::text::Slug;

#[async_trait]
pub trait WorkflowStore: Send + Sync {
    /// Writes a new draft of `content` under `slug`, written by `by` at `audit.at`, with its first
    /// revision, all or nothing; new sections, tags and bylines of `content` are created in the
    /// same transaction, each with an audit line. A taken slug is [`StoreError::Conflict`].
    async fn insert_draft(
        &self,
        slug: &Slug,
        content: &Content,
        draft: &Draft,
        by: UserId,
        audit: &AuditEntry,
    ) -> Result<ArticleId, StoreError>;
    async fn workflow(&self, id: ArticleId) -> Result<Option<Workflow>, StoreError>;
    /// Stores `draft` as the next revision if `based_on` is still the newest; otherwise keeps it
    /// as a [`RevisionKind::Conflict`] revision and changes nothing else. With `content`, a saved
    /// revision also becomes the article's stored content (for articles not yet live); its new
    /// sections, tags and bylines are then created in the same transaction, with audit lines.
    ///
    /// An autosave by `by` on top of their own autosave (the newest revision, not live) replaces
    /// it: the old row goes, the new one takes the next number, and no audit line is written.
    /// An article keeps at most [`MAX_REVISIONS`](crate::MAX_REVISIONS) revisions; past it the
    /// oldest autosaves go first, then the oldest conflict copies.
    #[expect(
        clippy::too_many_arguments,
        reason = "one atomic write with all its parts"
    )]
    async fn save_revision(
        &self,
        id: ArticleId,
        based_on: RevisionNumber,
        draft: &Draft,
        kind: RevisionKind,
        by: UserId,
        content: Option<&Content>,
        audit: &AuditEntry,
    ) -> Result<SaveOutcome, StoreError>;
    /// What the history page lists of every revision of an article, newest first: metadata
    /// only, never the bodies.
    async fn revision_list(&self, id: ArticleId) -> Result<Vec<RevisionInfo>, StoreError>;
    async fn revision(
        &self,
        id: ArticleId,
        number: RevisionNumber,
    ) -> Result<Option<Revision>, StoreError>;
    /// Moves an article through the workflow if its status is one of `t.from` (and, with
    /// `t.revision`, its newest revision is still that one); returns false (and writes nothing)
    /// when it is not, or there is no such article. New sections, tags and bylines of
    /// `t.content` are created in the same transaction, with audit lines.
    async fn transition(
        &self,
        id: ArticleId,
        t: &Transition<'_>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Scheduled articles whose time has come, earliest first.
    async fn due_articles(&self, now: DateTime<Utc>) -> Result<Vec<ArticleId>, StoreError>;
    /// One page of the newsroom's list, newest change first, and how many match in all.
    async fn desk(
        &self,
        filter: &DeskFilter,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<DeskItem>, u64), StoreError>;
    /// Articles whose headline contains `text` (any case), newest first: the Read More picker.
    /// With `visible_to`, only published articles and those that account created.
    async fn find_by_headline(
        &self,
        text: &str,
        limit: u32,
        visible_to: Option<UserId>,
    ) -> Result<Vec<ArticleSummary>, StoreError>;
    /// Adds a dated note to an article and moves its `updated_at`. False when there is no
    /// such article.
    async fn add_correction(
        &self,
        correction: &Correction,
        by: UserId,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// An article's notes, oldest first.
    async fn corrections(&self, id: ArticleId) -> Result<Vec<Correction>, StoreError>;
    /// The audit log, newest first; only one article's lines when `article` is given.
    async fn audit_log(
        &self,
        article: Option<ArticleId>,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError>;
}
