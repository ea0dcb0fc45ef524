//! Articles and the things that classify them.

use chrono::{DateTime, Utc};

use crate::text::{Headline, InvalidValue, Language, Slug};

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

/// The agencies an article's copy came from ("APP", "Reuters"), in the order they were added,
/// and how much of the text is theirs. Readers see a line made from it by the site's templates
/// ("Via APP with additional inputs from GVS"); nobody types the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// One or more names, none empty, none repeated.
    pub agencies: Vec<String>,
    pub mode: AttributionMode,
}

impl Source {
    /// Most agencies one article credits.
    pub const MAX_AGENCIES: usize = 10;

    /// Copy from one agency.
    pub fn single(agency: impl Into<String>, mode: AttributionMode) -> Self {
        Self {
            agencies: vec![agency.into()],
            mode,
        }
    }

    /// Adds `agency` unless it is already credited; whether it was added.
    pub fn credit(&mut self, agency: &str) -> bool {
        if self.agencies.iter().any(|a| a == agency) {
            return false;
        }
        self.agencies.push(agency.to_owned());
        true
    }
}

/// How much of an article's text is the agencies' own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AttributionMode {
    /// Run as the agency sent it: "Via APP".
    #[default]
    AsReceived,
    /// The agencies' copy rewritten in the newsroom: "With inputs from APP and Reuters".
    Edited,
    /// The agency's copy with the newsroom's own reporting added: "Via APP with additional
    /// inputs from GVS".
    AdditionalInputs,
}

impl AttributionMode {
    pub const ALL: [Self; 3] = [Self::AsReceived, Self::Edited, Self::AdditionalInputs];

    /// The stored number (0 and 1 are the values of the flag this replaced).
    pub fn code(self) -> i64 {
        match self {
            Self::AsReceived => 0,
            Self::AdditionalInputs => 1,
            Self::Edited => 2,
        }
    }

    /// The mode stored as `code`; an unknown number reads as [`AttributionMode::AsReceived`],
    /// the line that claims the least.
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::AdditionalInputs,
            2 => Self::Edited,
            _ => Self::AsReceived,
        }
    }

    /// The name in forms and export files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AsReceived => "as-received",
            Self::Edited => "edited",
            Self::AdditionalInputs => "additional-inputs",
        }
    }

    /// What an editor picks from.
    pub fn label(self) -> &'static str {
        match self {
            Self::AsReceived => "As received",
            Self::Edited => "Edited from agency copy",
            Self::AdditionalInputs => "With our additional inputs",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
            .ok_or_else(|| {
                InvalidValue::new(
                    "attribution",
                    "must be as-received, edited or additional-inputs",
                )
            })
    }
}

/// What search engines and social cards show of an article when it should differ from its
/// headline and standfirst (an SEO plugin's title and description, brought from WordPress, or
/// written in the newsroom). Empty: the headline and standfirst are shown.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchText {
    pub title: String,
    pub description: String,
}

impl SearchText {
    /// Longest title, in characters (search engines show about 60).
    pub const MAX_TITLE_CHARS: usize = 120;
    /// Longest description, in characters (search engines show about 160).
    pub const MAX_DESCRIPTION_CHARS: usize = 320;

    /// Both texts trimmed, each one line within its limit; every problem at once.
    pub fn parse(title: &str, description: &str) -> Result<Self, Vec<InvalidValue>> {
        let mut problems = Vec::new();
        for (field, text, max) in [
            ("search title", title, Self::MAX_TITLE_CHARS),
            (
                "search description",
                description,
                Self::MAX_DESCRIPTION_CHARS,
            ),
        ] {
            let text = text.trim();
            if text.chars().count() > max {
                problems.push(InvalidValue::new(
                    field,
                    format!("must be at most {max} characters"),
                ));
            } else if text.chars().any(crate::is_forbidden_char) {
                problems.push(InvalidValue::new(
                    field,
                    "must be one line without control characters",
                ));
            }
        }
        if problems.is_empty() {
            Ok(SearchText {
                title: title.trim().to_owned(),
                description: description.trim().to_owned(),
            })
        } else {
            Err(problems)
        }
    }
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
    pub search: SearchText,
    /// When it was pinned to the home page, where pinned stories come first.
    pub pinned_at: Option<DateTime<Utc>>,
}

impl Article {
    /// The title search engines and social cards show: the search title, else the headline.
    pub fn search_title(&self) -> &str {
        if self.search.title.is_empty() {
            &self.headline
        } else {
            &self.search.title
        }
    }

    /// The description search engines and social cards show: the search description, else the
    /// standfirst.
    pub fn search_description(&self) -> &str {
        if self.search.description.is_empty() {
            &self.standfirst
        } else {
            &self.search.description
        }
    }
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
