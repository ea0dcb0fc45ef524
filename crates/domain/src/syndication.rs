//! What feeds and sitemaps need to know of articles beyond a listing.

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
