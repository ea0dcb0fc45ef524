//! The search port: full-text search over published articles and "related articles", answered by
//! an index derived from the database (the engine lives in `dateline-search`).
//!
//! Only published articles are ever in an index, so nothing a reader must not see can come back.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::article::{Article, ArticleId};
use crate::text::{Language, Slug};

/// The most results one page of search may ask for.
pub const MAX_SEARCH_LIMIT: usize = 50;

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchSort {
    /// Best match first (BM25; headline and standfirst weigh more than the body).
    #[default]
    Relevance,
    /// Latest publication first.
    Newest,
}

impl SearchSort {
    pub fn as_str(self) -> &'static str {
        match self {
            SearchSort::Relevance => "relevance",
            SearchSort::Newest => "newest",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "relevance" => Some(SearchSort::Relevance),
            "newest" => Some(SearchSort::Newest),
            _ => None,
        }
    }
}

/// One search, as a reader asked it: words, quoted phrases and `prefix*`es, plus filters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchQuery {
    /// What the reader typed. Words must all match; `"..."` is a phrase; `word*` a prefix.
    pub text: String,
    pub sort: SearchSort,
    pub section: Option<Slug>,
    pub tag: Option<Slug>,
    pub author: Option<Slug>,
    /// Published at or after.
    pub from: Option<DateTime<Utc>>,
    /// Published before.
    pub until: Option<DateTime<Utc>>,
    /// Results to skip (pagination).
    pub offset: usize,
    /// Results to return, at most [`MAX_SEARCH_LIMIT`].
    pub limit: usize,
}

impl SearchQuery {
    /// Whether any filter narrows the search.
    pub fn has_filters(&self) -> bool {
        self.section.is_some()
            || self.tag.is_some()
            || self.author.is_some()
            || self.from.is_some()
            || self.until.is_some()
    }
}

/// A piece of a snippet; `marked` pieces are the words that matched the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetPart {
    pub text: String,
    pub marked: bool,
}

/// A published article found by a search or offered as related.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub id: ArticleId,
    pub slug: Slug,
    pub headline: String,
    pub section_slug: Slug,
    pub section_name: String,
    pub language: Language,
    pub published_at: DateTime<Utc>,
    /// An excerpt around the matched words (empty for related articles).
    pub snippet: Vec<SnippetPart>,
    pub score: f32,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchResults {
    /// How many articles match in all.
    pub total: usize,
    pub hits: Vec<SearchHit>,
}

/// Why the index could not answer.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index error: {0}")]
    Index(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// How far a node's first indexing has come, while its index has nothing to search yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarmingUp {
    /// Published articles indexed so far.
    pub indexed: u64,
    /// Articles in the database, in any state: the most there can be to index.
    pub total: u64,
}

/// Full-text search and related articles over the published articles.
#[async_trait]
pub trait SearchIndex: Send + Sync + 'static {
    /// `Some` while the index is being built for the first time in the background and holds
    /// nothing to search yet; searches meanwhile would find nothing.
    fn warming_up(&self) -> Option<WarmingUp> {
        None
    }

    /// Published articles matching `query`. Reflects every write committed before the call.
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError>;

    /// Up to `limit` published articles related to `article` by text, tags, section and time,
    /// best first; `article` itself is never among them.
    async fn related(&self, article: &Article, limit: usize)
    -> Result<Vec<SearchHit>, SearchError>;
}
