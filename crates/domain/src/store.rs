//! The storage port: everything the services ask of a database. SQLite and PostgreSQL implement
//! it in `dateline-store`, and one conformance suite holds both to the same behaviour.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::account::{Email, NewUser, Session, User, UserId};
use crate::article::{
    Article, ArticleId, ArticleStatus, ArticleSummary, Author, NewArticle, Section, Tag,
};
use crate::change::ChangeObserver;
use crate::listing::{Listing, PageRequest};
use crate::newsroom::{
    AuditEntry, AuditRecord, Content, Correction, DeskFilter, DeskItem, Draft, Image, ImageId,
    LabelDeletion, NewImage, Revision, RevisionInfo, RevisionKind, SaveOutcome, Transition,
    Workflow,
};
use crate::site::SiteSettings;
use crate::syndication::SitemapEntry;
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
    /// The database refused a value as written: text with a NUL (PostgreSQL stores none), a
    /// value out of range. The caller sent something it should have refused; it is the
    /// sender's mistake (400 or 422), not an outage.
    #[error("the database refused a value: {0}")]
    InvalidInput(String),
    /// The database cannot be reached or has no room now: no connection (refused, closed, timed
    /// out waiting for one from the pool), I/O or TLS failure, the server shutting down, out of
    /// connections, memory or disk, or (SQLite) another writer holding the database. It may pass:
    /// a request is answered 503 with `Retry-After`.
    #[error("the database cannot be reached")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database was reached and failed the statement: a bug (a missing table or column, a
    /// value that does not decode) or a statement it refused for a reason that will not pass by
    /// waiting. A request is answered 500 and the whole cause is logged.
    #[error("the database failed a statement")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
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
    /// Stores the settings; announces that everything changed, since every page shows them.
    async fn put_site_settings(&self, settings: &SiteSettings) -> Result<(), StoreError>;

    /// Finds the section with this slug, creating it with `name` if there is none. For the
    /// command line, the demo publication and importers; the newsroom creates labels through
    /// the article writes (see [`crate::LabelRef`]) and [`Store::add_section`].
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

    // Syndication

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

    // Newsroom

    /// Writes a new account. A taken e-mail address is [`StoreError::Conflict`].
    async fn insert_user(&self, user: &NewUser) -> Result<User, StoreError>;
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// The account signing in with `email`, and its password hash.
    async fn user_credentials(&self, email: &Email) -> Result<Option<(User, String)>, StoreError>;
    /// Every account, by name.
    async fn users(&self) -> Result<Vec<User>, StoreError>;
    /// Replaces an account's password hash and ends every session of the account except
    /// `keep_session` (a token hash). Returns false when there is no such account.
    async fn set_password_hash(
        &self,
        id: UserId,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<bool, StoreError>;

    async fn insert_session(&self, session: &Session) -> Result<(), StoreError>;
    /// The unexpired session with this token hash, and its account.
    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Session, User)>, StoreError>;
    /// Ends a session; ending one that does not exist is not an error. Expired sessions of every
    /// account are removed on the way.
    async fn delete_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// In one atomic step: unless one of `reservation.limits` is reached, notes the attempt
    /// under each of `reservation.record` (it counts as a failure until released). Simultaneous
    /// reservations are serialised, so no more attempts than a limit allows get through.
    async fn reserve_sign_in_attempt(
        &self,
        reservation: &SignInReservation<'_>,
    ) -> Result<ReservationOutcome, StoreError>;
    /// Takes back the rows of one attempt (it succeeded, or its password was never checked).
    async fn release_sign_in_attempt(&self, attempt: &str) -> Result<(), StoreError>;
    /// How many failures were noted under `scope` since `since`.
    async fn sign_in_failures(&self, scope: &str, since: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Forgets the failures under `scope` (after a successful sign-in).
    async fn clear_sign_in_failures(&self, scope: &str) -> Result<(), StoreError>;
    /// Notes a successful sign-in of `user` from `address` (a limit key) on the device whose
    /// cookie token hashes to `device_hash`, at `at`. Only an account's most recent devices and
    /// addresses are kept (50 of each), so the tables stay bounded.
    async fn remember_sign_in(
        &self,
        user: UserId,
        address: &str,
        device_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Whether `user` signed in since `since` on the device `device_hash` (when given), and
    /// from `address`.
    async fn known_sign_in(
        &self,
        user: UserId,
        address: &str,
        device_hash: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<KnownSignIn, StoreError>;

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
        based_on: i64,
        draft: &Draft,
        kind: RevisionKind,
        by: UserId,
        content: Option<&Content>,
        audit: &AuditEntry,
    ) -> Result<SaveOutcome, StoreError>;
    /// What the history page lists of every revision of an article, newest first: metadata
    /// only, never the bodies.
    async fn revision_list(&self, id: ArticleId) -> Result<Vec<RevisionInfo>, StoreError>;
    async fn revision(&self, id: ArticleId, number: i64) -> Result<Option<Revision>, StoreError>;
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
    async fn authors(&self) -> Result<Vec<Author>, StoreError>;
    async fn tags(&self) -> Result<Vec<Tag>, StoreError>;
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

    async fn insert_image(&self, image: &NewImage) -> Result<Image, StoreError>;
    async fn image(&self, id: ImageId) -> Result<Option<Image>, StoreError>;
    /// The newest images first.
    async fn images(&self, offset: u64, limit: u32) -> Result<Vec<Image>, StoreError>;
    /// Sets (or, with `None`, removes) an article's featured image. False when there is no such
    /// article; an unknown image is [`StoreError::MissingReference`].
    async fn set_featured_image(
        &self,
        article: ArticleId,
        image: Option<ImageId>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// The featured images of these articles (those that have one).
    async fn featured_images(
        &self,
        articles: &[ArticleId],
    ) -> Result<Vec<(ArticleId, Image)>, StoreError>;
    /// Renames a section or (with `tag`) a tag; its slug, and so its URL, stays. Announces a
    /// change to everything (section names are on every page). False when there is no such row.
    async fn rename_label(
        &self,
        tag: bool,
        id: i64,
        name: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Adds a section, unless one has this slug already (then `None`); announces a change to
    /// everything (the navigation is on every page).
    async fn add_section(
        &self,
        slug: &Slug,
        name: &str,
        audit: &AuditEntry,
    ) -> Result<Option<Section>, StoreError>;
    /// Merges section (or, with `tag`, tag) `from` into `into`: its articles move to `into`, its
    /// old front's path redirects to the new one (see [`Store::redirect`]), and `from` is
    /// deleted. Announces a change to everything. False when either does not exist, or they are
    /// the same.
    async fn merge_label(
        &self,
        tag: bool,
        from: i64,
        into: i64,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Deletes a section that files no article, or (with `tag`) a tag, which is taken off its
    /// articles. Announces a change to everything.
    async fn delete_label(
        &self,
        tag: bool,
        id: i64,
        audit: &AuditEntry,
    ) -> Result<LabelDeletion, StoreError>;
    /// Where an old path (`/section/old-name`) lives now, if it moved.
    async fn redirect(&self, from_path: &str) -> Result<Option<String>, StoreError>;

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

    // Related articles

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

/// A limit on failed sign-ins: refused once `max` failures under `scope` were noted since the
/// reservation's `since`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInLimit {
    pub scope: String,
    pub max: u64,
}

/// One sign-in attempt, to be noted before its password is checked.
#[derive(Debug, Clone)]
pub struct SignInReservation<'a> {
    /// A random name for this attempt's rows, to release them by.
    pub attempt: &'a str,
    /// Checked, all of them, before anything is noted.
    pub limits: &'a [SignInLimit],
    /// The scopes the attempt is noted under.
    pub record: &'a [String],
    /// The start of the window the limits count in.
    pub since: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

/// What [`Store::reserve_sign_in_attempt`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservationOutcome {
    /// The attempt is noted; check the password.
    Reserved,
    /// The limit at this index in `limits` is reached; nothing was noted.
    Refused(usize),
}

/// What the store remembers of an account's earlier sign-ins from where an attempt comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KnownSignIn {
    /// The attempt's device signed in to the account before.
    pub device: bool,
    /// The account signed in from the attempt's address before.
    pub address: bool,
}
