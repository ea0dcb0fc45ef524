//! Change notices: what a write to an article touched, named as cache keys, so that everything
//! derived from the database (cached pages, feeds, the search index, a CDN in front) can be
//! refreshed exactly.

use std::collections::BTreeSet;
use std::fmt;

use crate::article::{ArticleId, AuthorId, SectionId, TagId};

/// Something a page can depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CacheKey {
    /// Everything: after a change too large to name, or a lost notification.
    All,
    /// The list of all published articles (home page, site feeds, sitemaps).
    Latest,
    Article(ArticleId),
    Section(SectionId),
    Tag(TagId),
    Author(AuthorId),
    /// The stored related-articles list of an article (only its own page shows it).
    Related(ArticleId),
    /// The comments an article's page shows.
    Comments(ArticleId),
    /// The pages or the menus: every public page shows the menus (whose links follow the
    /// pages' paths), so a page cache drops everything it holds. Other observers ignore it.
    Pages,
}

impl CacheKey {
    /// Reads back what [`Display`](fmt::Display) wrote.
    pub fn parse(s: &str) -> Option<Self> {
        let number = |rest: &str| rest.parse::<i64>().ok();
        Some(match s {
            "all" => CacheKey::All,
            "latest" => CacheKey::Latest,
            "pages" => CacheKey::Pages,
            _ => {
                let (kind, id) = s.split_once('-')?;
                let id = number(id)?;
                match kind {
                    "article" => CacheKey::Article(ArticleId(id)),
                    "section" => CacheKey::Section(SectionId(id)),
                    "tag" => CacheKey::Tag(TagId(id)),
                    "author" => CacheKey::Author(AuthorId(id)),
                    "related" => CacheKey::Related(ArticleId(id)),
                    "comments" => CacheKey::Comments(ArticleId(id)),
                    _ => return None,
                }
            }
        })
    }
}

/// The form used in `Surrogate-Key` headers and change notifications: `article-12`, `section-3`.
impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheKey::All => f.write_str("all"),
            CacheKey::Latest => f.write_str("latest"),
            CacheKey::Article(id) => write!(f, "article-{id}"),
            CacheKey::Section(id) => write!(f, "section-{id}"),
            CacheKey::Tag(id) => write!(f, "tag-{id}"),
            CacheKey::Author(id) => write!(f, "author-{id}"),
            CacheKey::Related(id) => write!(f, "related-{id}"),
            CacheKey::Comments(id) => write!(f, "comments-{id}"),
            CacheKey::Pages => f.write_str("pages"),
        }
    }
}

/// What one committed write touched: the articles written and every listing they were on before
/// the write or are on after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentChange {
    pub keys: BTreeSet<CacheKey>,
}

impl ContentChange {
    pub fn everything() -> Self {
        Self {
            keys: BTreeSet::from([CacheKey::All]),
        }
    }

    /// Whether a page that depends on `keys` must be refreshed.
    pub fn touches<'a>(&self, keys: impl IntoIterator<Item = &'a CacheKey>) -> bool {
        self.keys.contains(&CacheKey::All) || keys.into_iter().any(|k| self.keys.contains(k))
    }

    /// Space-separated keys, as carried by notifications between nodes.
    pub fn encode(&self) -> String {
        self.keys
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Reads [`ContentChange::encode`]'s output; anything unreadable means "everything".
    pub fn decode(s: &str) -> Self {
        let keys: Option<BTreeSet<_>> = s.split_whitespace().map(CacheKey::parse).collect();
        match keys {
            Some(keys) if !keys.is_empty() => Self { keys },
            _ => Self::everything(),
        }
    }
}

/// Told of every committed change, on the node that made it and (through the database) on every
/// other node. Called synchronously after commit and before the write returns, so it must be quick.
pub trait ChangeObserver: Send + Sync + 'static {
    fn content_changed(&self, change: &ContentChange);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_junk_means_everything() {
        let change = ContentChange {
            keys: BTreeSet::from([
                CacheKey::Latest,
                CacheKey::Article(ArticleId(12)),
                CacheKey::Section(SectionId(3)),
                CacheKey::Tag(TagId(7)),
                CacheKey::Author(AuthorId(2)),
                CacheKey::Related(ArticleId(12)),
                CacheKey::Pages,
            ]),
        };
        assert_eq!(
            change.encode(),
            "latest article-12 section-3 tag-7 author-2 related-12 pages"
        );
        assert_eq!(ContentChange::decode(&change.encode()), change);
        assert_eq!(
            ContentChange::decode("article-x"),
            ContentChange::everything()
        );
        assert_eq!(ContentChange::decode(""), ContentChange::everything());
        assert!(ContentChange::everything().touches(&[CacheKey::Tag(TagId(1))]));
        assert!(!change.touches(&[CacheKey::Tag(TagId(1))]));
    }
}
