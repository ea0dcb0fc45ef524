//! What feeds and sitemaps are: their formats and pages, and what they need to know of articles
//! beyond a listing. They are written by `dateline_services::syndication`; their addresses are
//! built in [`crate::paths`].

use chrono::{DateTime, Utc};

use crate::article::ArticleId;
use crate::text::Slug;

/// One published article as a sitemap lists it: where it lives and when it last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapEntry {
    pub id: ArticleId,
    pub slug: Slug,
    pub updated_at: DateTime<Utc>,
}

/// The three feed formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFormat {
    Rss,
    Atom,
    Json,
}

impl FeedFormat {
    pub const ALL: [FeedFormat; 3] = [FeedFormat::Rss, FeedFormat::Atom, FeedFormat::Json];

    /// The last segment of the feed's path: `feed.xml`, `feed.atom`, `feed.json`.
    pub fn file_name(self) -> &'static str {
        match self {
            FeedFormat::Rss => "feed.xml",
            FeedFormat::Atom => "feed.atom",
            FeedFormat::Json => "feed.json",
        }
    }

    /// The media type a `<link rel="alternate">` names.
    pub fn media_type(self) -> &'static str {
        match self {
            FeedFormat::Rss => "application/rss+xml",
            FeedFormat::Atom => "application/atom+xml",
            FeedFormat::Json => "application/feed+json",
        }
    }

    /// "RSS", "Atom", "JSON Feed".
    pub fn label(self) -> &'static str {
        match self {
            FeedFormat::Rss => "RSS",
            FeedFormat::Atom => "Atom",
            FeedFormat::Json => "JSON Feed",
        }
    }
}

/// A sitemap a sitemap index points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SitemapPage {
    /// Home and section fronts.
    Sections,
    /// Google News: articles of the last two days.
    News,
    /// Published articles whose ids fall in page `n` (1-based) of [`SITEMAP_PAGE_SIZE`] ids.
    Articles(u32),
}

impl SitemapPage {
    /// The file name under `/sitemaps/` (its path is [`crate::paths::SitePath::sitemap`]).
    pub fn file_name(&self) -> String {
        match self {
            SitemapPage::Sections => "sections.xml".to_owned(),
            SitemapPage::News => "news.xml".to_owned(),
            SitemapPage::Articles(n) => format!("articles-{n}.xml"),
        }
    }

    /// The page a file name under `/sitemaps/` names, if any.
    pub fn parse(file: &str) -> Option<Self> {
        match file {
            "sections.xml" => Some(SitemapPage::Sections),
            "news.xml" => Some(SitemapPage::News),
            _ => {
                let n = file.strip_prefix("articles-")?.strip_suffix(".xml")?;
                // Digits only: no sign, no leading zero, so each page has one name.
                if n.is_empty() || n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                n.parse().ok().filter(|n| *n > 0).map(SitemapPage::Articles)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sitemap_file_names_round_trip_and_junk_is_refused() {
        for page in [
            SitemapPage::Sections,
            SitemapPage::News,
            SitemapPage::Articles(1),
            SitemapPage::Articles(20),
        ] {
            assert_eq!(SitemapPage::parse(&page.file_name()), Some(page));
        }
        for junk in [
            "",
            "articles-0.xml",
            "articles-01.xml",
            "articles--1.xml",
            "articles-+1.xml",
            "articles-.xml",
            "articles-1.txt",
            "articles-99999999999.xml",
            "news",
            "../sitemap.xml",
        ] {
            assert_eq!(SitemapPage::parse(junk), None, "{junk}");
        }
    }
}
