//! The newsroom's vocabulary: articles, sections, tags, authors and site settings, the values
//! they are made of, and the storage ports every backend implements.
//!
//! This crate knows nothing of HTTP, SQL or templates. Values are parsed at the edge
//! ([`Slug::parse`], [`Headline::parse`], ...) so that everything inside holds only valid data.

pub mod account;
pub mod article;
pub mod change;
pub mod clock;
pub mod comment;
pub mod listing;
pub mod newsroom;
pub mod page;
pub mod paths;
pub mod portable;
pub mod search;
pub mod site;
pub mod steps;
pub mod store;
pub mod syndication;
pub mod text;
pub mod wire;

pub use account::{Action, Email, NewUser, Role, Session, User, UserId};
pub use article::{
    Article, ArticleId, ArticleStatus, ArticleSummary, AttributionMode, Author, AuthorId,
    NewArticle, SearchText, Section, SectionId, Source, Tag, TagId,
};
pub use change::{CacheKey, ChangeObserver, ContentChange};
pub use clock::{Clock, FixedClock, SystemClock};
pub use comment::{
    Comment, CommentFilter, CommentId, CommentKind, CommentRow, CommentStatus, CommentUpdate,
    PortableComment,
};
pub use listing::{Cursor, Direction, Listing, PageRequest};
pub use newsroom::{
    AuditAction, AuditEntry, AuditRecord, Content, Correction, CorrectionKind, DeskFilter,
    DeskItem, Draft, Image, ImageId, LabelDeletion, LabelKind, LabelRef, LoggedAction,
    MAX_REVISIONS, NewImage, Revision, RevisionInfo, RevisionKind, RevisionNumber, SaveOutcome,
    Transition, UnknownAction, Workflow,
};
pub use page::{
    MenuItem, MenuLimits, MenuName, MenuTarget, NewPage, Page, PageId, PageStatus, PageSummary,
};
pub use paths::SitePath;
pub use portable::{
    Counts, ImportItem, ImportOutcome, PortableArticle, PortableCorrection, PortableImage,
    PortableLabel, PortableMenu, PortableMenuItem, PortableMenuTarget, PortablePage,
    PortableRedirect, PortableRevision, WhenStored,
};
pub use search::{
    SearchError, SearchHit, SearchIndex, SearchQuery, SearchResults, SearchSort, SnippetPart,
    WarmingUp,
};
pub use site::{BaseUrl, SiteSettings};
pub use steps::{Refusal, Step, Steps, allowed_steps};
pub use store::{
    AccountStore, ArticleStore, CommentStore, ExportSnapshot, LabelStore, MediaStore, PageStore,
    PortableStore, RelatedStore, SiteStore, Store, StoreError, WireStore, WorkflowStore,
};
pub use syndication::{FeedFormat, SitemapEntry, SitemapPage};
pub use text::{
    Direction as TextDirection, Headline, InvalidValue, Language, Name, Slug, check_multiline,
    is_forbidden_char, query_text,
};
