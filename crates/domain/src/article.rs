//! Articles and the things that classify them.

use chrono::{DateTime, Utc};

use crate::text::{Headline, Language, Slug};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Deserializes from its bare number, so an address such as `/admin/articles/12` names
        /// one; anything else does not parse.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}
pub(crate) use id_type;

id_type!(/// Database identity of an article; Read More blocks refer to articles by it.
    ArticleId);
id_type!(/// Database identity of a section.
    SectionId);
id_type!(/// Database identity of a tag.
    TagId);
id_type!(/// Database identity of an author (a byline).
    AuthorId);

/// Where an article stands in the newsroom's workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArticleStatus {
    /// Being written; readers cannot see it.
    Draft,
    /// Submitted by its writer; waiting for an editor.
    InReview,
    /// Approved; the server publishes it at its scheduled time (the embargo).
    Scheduled,
    /// Live on the public site.
    Published,
    /// Taken down: its URL answers 410 Gone.
    Unpublished,
}

impl ArticleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::InReview => "in_review",
            ArticleStatus::Scheduled => "scheduled",
            ArticleStatus::Published => "published",
            ArticleStatus::Unpublished => "unpublished",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(ArticleStatus::Draft),
            "in_review" => Some(ArticleStatus::InReview),
            "scheduled" => Some(ArticleStatus::Scheduled),
            "published" => Some(ArticleStatus::Published),
            "unpublished" => Some(ArticleStatus::Unpublished),
            _ => None,
        }
    }

    pub const ALL: [ArticleStatus; 5] = [
        ArticleStatus::Draft,
        ArticleStatus::InReview,
        ArticleStatus::Scheduled,
        ArticleStatus::Published,
        ArticleStatus::Unpublished,
    ];

    /// How the newsroom names the state.
    pub fn label(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "Draft",
            ArticleStatus::InReview => "In review",
            ArticleStatus::Scheduled => "Scheduled",
            ArticleStatus::Published => "Published",
            ArticleStatus::Unpublished => "Unpublished",
        }
    }
}

/// A desk of the publication ("Pakistan", "World", "Sports").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub id: SectionId,
    pub slug: Slug,
    pub name: String,
}

/// A subject label shared by articles across sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub id: TagId,
    pub slug: Slug,
    pub name: String,
}

/// A person named in bylines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub id: AuthorId,
    pub slug: Slug,
    pub name: String,
}

/// The agency an article's copy came from ("APP", "Reuters"), and whether the newsroom added
/// its own reporting ("with additional inputs from GVS").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub agency: String,
    pub additional_inputs: bool,
}

/// An article as stored, with its section, tags and byline resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub id: ArticleId,
    pub slug: Slug,
    pub headline: String,
    pub standfirst: String,
    /// The body as the newsroom wrote it: CommonMark plus Dateline blocks.
    pub body: String,
    /// The body rendered and sanitised once, on write, with markers where Read More blocks go.
    pub body_html: String,
    pub section: Section,
    pub tags: Vec<Tag>,
    pub authors: Vec<Author>,
    pub source: Option<Source>,
    pub status: ArticleStatus,
    pub language: Language,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a list of articles (a front, a Read More link) needs to know of each one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleSummary {
    pub id: ArticleId,
    pub slug: Slug,
    pub headline: String,
    pub standfirst: String,
    pub section: Section,
    pub status: ArticleStatus,
    pub language: Language,
    pub published_at: Option<DateTime<Utc>>,
}

/// An article ready to be written, every reference already resolved to an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArticle {
    pub slug: Slug,
    pub headline: Headline,
    pub standfirst: String,
    pub body: String,
    pub body_html: String,
    pub section: SectionId,
    pub tags: Vec<TagId>,
    pub authors: Vec<AuthorId>,
    pub source: Option<Source>,
    pub status: ArticleStatus,
    pub language: Language,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When the content last changed: for an imported story, its original publication time.
    pub updated_at: DateTime<Utc>,
}
