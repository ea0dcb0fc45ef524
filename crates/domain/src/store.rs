//! The storage port: everything the services ask of a database, in one trait per area of the
//! newsroom, and the umbrella [`Store`] that requires them all. SQLite and PostgreSQL implement
//! them in `dateline-store`, and one conformance suite, run through this port, holds both to the
//! same behaviour.
//!
//! | area | trait | what it keeps |
//! | --- | --- | --- |
//! | the publication as a whole | [`SiteStore`] | health, site settings, change notices, redirects |
//! | articles and listings | [`ArticleStore`] | articles as readers see them, fronts, feeds, sitemaps, the search index's feed |
//! | sections, tags, bylines | [`LabelStore`] | finding, adding, renaming, merging, deleting labels |
//! | accounts and sessions | [`AccountStore`] | accounts, sessions, sign-in limits, known devices |
//! | workflow and revisions | [`WorkflowStore`] | drafts, revisions, moves, the desk, corrections, the audit log |
//! | media | [`MediaStore`] | uploaded images, featured images |
//! | related articles | [`RelatedStore`] | the stored related lists |
//! | pages and menus | [`PageStore`] | the standing pages, the header and footer menus |
//! | the wire desk | [`WireStore`] | providers, payloads as they arrived, item versions |
//! | comments | [`CommentStore`] | comments on articles: shown, listed, moderated |
//!
//! Export and import have a port of their own, [`PortableStore`], which only the command line
//! uses: the rest of the application never reads a whole archive or writes rows it did not check.
//!
//! Services take `&dyn Store` (or `Arc<dyn Store>`): every area's methods can be called on it
//! without importing the area traits. A new area is a new trait here, one more bound on
//! [`Store`], and one more implementation file in `dateline-store`.

mod accounts;
mod articles;
mod comments;
mod labels;
mod media;
mod pages;
mod portable;
mod related;
mod site;
mod wire;
mod workflow;

pub use accounts::{AccountStore, KnownSignIn, ReservationOutcome, SignInLimit, SignInReservation};
pub use articles::ArticleStore;
pub use comments::CommentStore;
pub use labels::LabelStore;
pub use media::MediaStore;
pub use pages::PageStore;
pub use portable::{ExportSnapshot, PortableStore};
pub use related::RelatedStore;
pub use site::SiteStore;
pub use wire::{
    ArticleSource, PollResult, StoredVersion, TextSender, VersionInfo, WireAlert, WireFilter,
    WireItem, WireRow, WireStore,
};
pub use workflow::WorkflowStore;

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

/// Persistent storage of a publication: every area's port at once. Implemented for every type
/// that implements all of them; nothing implements it by hand.
///
/// Every write is atomic: when a call returns `Ok`, all of it is durable; when it fails or the
/// process dies midway, none of it is visible.
pub trait Store:
    SiteStore
    + ArticleStore
    + LabelStore
    + AccountStore
    + WorkflowStore
    + MediaStore
    + RelatedStore
    + WireStore
    + CommentStore
    + PageStore
    + 'static
{
}

impl<T> Store for T where
    T: SiteStore
        + ArticleStore
        + LabelStore
        + AccountStore
        + WorkflowStore
        + MediaStore
        + RelatedStore
        + WireStore
        + CommentStore
        + PageStore
        + 'static
        + ?Sized
{
}
