//! Feeds and sitemaps: the site as feed readers, aggregators and search engines read it.
//!
//! Everything here is derived from the database on request. A feed holds the latest
//! [`FEED_ITEMS`] published articles of a listing (the site, a section, a tag or an author), with
//! each body shown as on the public page (Read More blocks resolved as of now, see
//! [`crate::reading`]) and every link made absolute from the site's [`BaseUrl`] (addresses come
//! from [`dateline_domain::paths`], Urdu slugs percent-encoded as everywhere else). It is written as
//! RSS 2.0, Atom 1.0 or JSON Feed 1.1 ([`FeedFormat`]).
//!
//! Each field is written as what its format says it is. Headlines, standfirsts and names are
//! plain text; only the body is HTML (sanitised when it was saved). RSS's `<description>` is HTML
//! to every reader, so the standfirst and the channel's description are escaped as HTML inside
//! it; RSS titles, categories and creators, Atom's text constructs (`type="text"`, the default)
//! and JSON Feed's `title` and `summary` are plain text and escaped once, as XML or JSON.
//! Characters XML 1.0 forbids are dropped from every element and attribute written, so a name
//! stored before names were checked cannot make a feed unreadable.
//!
//! Sitemaps follow the sitemaps.org protocol: an index (`/sitemap.xml`) pointing at a sitemap of
//! the fronts, a Google News sitemap of the last two days, and article sitemaps paged by id range
//! ([`SITEMAP_PAGE_SIZE`] ids per page, so at most that many URLs, and each page is one range scan
//! of the primary key however large the archive grows).

use std::io;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use dateline_domain::{
    ArticleId, BaseUrl, Listing, PageRequest, SitePath, SiteSettings, SitemapEntry, Store,
    StoreError,
};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde_json::json;

pub use dateline_domain::{FeedFormat, SitemapPage};

use crate::body::escape_html;
use crate::dates;
use crate::reading::{self, BodyPart, PublishedArticle};

/// Items in a feed.
pub const FEED_ITEMS: u32 = 50;
/// Article ids covered by one article sitemap page (the protocol allows 50,000 URLs per file).
pub const SITEMAP_PAGE_SIZE: u32 = 50_000;
/// How far back the Google News sitemap reaches.
pub const NEWS_WINDOW: Duration = Duration::days(2);
/// Most articles in the Google News sitemap.
pub const NEWS_MAX: u32 = 1_000;

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

/// Which listing a feed follows, with what a reader sees of it.
#[derive(Debug, Clone)]
pub struct FeedScope {
    pub listing: Listing,
    /// "Global Village Space", "Global Village Space: World", ...
    pub title: String,
    pub description: String,
    /// The front's path: `/`, `/section/world`, `/tag/russia`, `/author/sana-mirza`.
    pub path: SitePath,
}

impl FeedScope {
    pub fn site(site: &SiteSettings) -> Self {
        Self {
            listing: Listing::Latest,
            title: site.name.clone(),
            description: format!("Latest news from {}", site.name),
            path: SitePath::HOME,
        }
    }

    pub fn section(site: &SiteSettings, section: &dateline_domain::Section) -> Self {
        Self {
            listing: Listing::Section(section.id),
            title: format!("{}: {}", site.name, section.name),
            description: format!("The latest {} news from {}", section.name, site.name),
            path: SitePath::section(&section.slug),
        }
    }

    pub fn tag(site: &SiteSettings, tag: &dateline_domain::Tag) -> Self {
        Self {
            listing: Listing::Tag(tag.id),
            title: format!("{}: {}", site.name, tag.name),
            description: format!("Stories about {} from {}", tag.name, site.name),
            path: SitePath::tag(&tag.slug),
        }
    }

    pub fn author(site: &SiteSettings, author: &dateline_domain::Author) -> Self {
        Self {
            listing: Listing::Author(author.id),
            title: format!("{}: {}", site.name, author.name),
            description: format!("Stories by {} in {}", author.name, site.name),
            path: SitePath::author(&author.slug),
        }
    }

    /// The path of this scope's feed in `format`: `/feed.xml`, `/section/world/feed.atom`, ...
    pub fn feed_path(&self, format: FeedFormat) -> SitePath {
        self.path.feed(format)
    }
}

/// A person in a byline, with the absolute URL of their page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPerson {
    pub name: String,
    pub url: String,
}

/// One article in a feed.
#[derive(Debug, Clone)]
pub struct FeedItem {
    /// The article's absolute URL; also its permanent id.
    pub url: String,
    pub title: String,
    /// The standfirst.
    pub summary: String,
    /// The body as on the public page, with absolute links.
    pub content_html: String,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub authors: Vec<FeedPerson>,
    /// The section first, then the tags.
    pub categories: Vec<String>,
    pub language: String,
}

/// A feed, ready to be written in any format.
#[derive(Debug, Clone)]
pub struct Feed {
    pub title: String,
    pub description: String,
    /// Absolute URL of the front the feed follows.
    pub home_url: String,
    /// The site's base URL, for the feed's own URL in each format ([`Feed::self_url`]).
    pub base: BaseUrl,
    /// The path of the front the feed follows.
    pub scope_path: SitePath,
    pub language: String,
    pub publisher: FeedPerson,
    /// When the newest item last changed: the document's own `updated` / `lastBuildDate`.
    pub updated: DateTime<Utc>,
    /// When anything in the listing may last have changed, withdrawals included (never earlier
    /// than `updated`): the `Last-Modified` of the response.
    pub last_modified: DateTime<Utc>,
    pub items: Vec<FeedItem>,
    zone: Tz,
}

/// Gathers the latest published articles of `scope`, newest first.
pub async fn feed(
    store: &dyn Store,
    site: &SiteSettings,
    scope: &FeedScope,
    limit: u32,
) -> Result<Feed, StoreError> {
    let base = site.base();
    let absolutiser = absolutiser(&base);
    let summaries = store
        .list_published(scope.listing, PageRequest::first(limit))
        .await?;
    let mut items = Vec::with_capacity(summaries.len());
    for summary in summaries {
        // Read as the public page reads it; an article unpublished a moment ago is skipped.
        let Some(shown) = reading::published_article(store, site, &summary.slug).await? else {
            continue;
        };
        let a = &shown.article;
        let Some(published) = a.published_at else {
            continue;
        };
        let mut content = absolute_body(&shown, &base, &absolutiser);
        if let Some(attribution) = &shown.attribution {
            content.push_str(&format!("<p><em>{}</em></p>\n", escape_html(attribution)));
        }
        let mut categories = vec![a.section.name.clone()];
        categories.extend(a.tags.iter().map(|t| t.name.clone()));
        items.push(FeedItem {
            url: base.join(&SitePath::article(&a.slug)),
            title: a.headline.clone(),
            summary: a.standfirst.clone(),
            content_html: content,
            published,
            updated: a.updated_at.max(published),
            authors: a
                .authors
                .iter()
                .map(|p| FeedPerson {
                    name: p.name.clone(),
                    url: base.join(&SitePath::author(&p.slug)),
                })
                .collect(),
            categories,
            language: a.language.to_string(),
        });
    }
    let changed = store.listing_changed_at(scope.listing).await?;
    let newest_item = items.iter().map(|i| i.updated).max();
    // An empty feed is dated by the listing's last change, or by nothing at all (the epoch).
    let updated = newest_item
        .or(changed)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let last_modified = changed.map_or(updated, |c| c.max(updated));
    Ok(Feed {
        title: scope.title.clone(),
        description: scope.description.clone(),
        home_url: base.join(&scope.path),
        scope_path: scope.path.clone(),
        language: site.locale.to_string(),
        publisher: FeedPerson {
            name: site.name.clone(),
            url: base.join(&SitePath::HOME),
        },
        updated,
        last_modified,
        items,
        base,
        zone: site.time_zone,
    })
}

impl Feed {
    /// Absolute URL of this feed in `format`.
    pub fn self_url(&self, format: FeedFormat) -> String {
        self.base.join(&self.scope_path.feed(format))
    }

    /// The feed as a document in `format`.
    pub fn render(&self, format: FeedFormat) -> String {
        match format {
            FeedFormat::Rss => self.rss(),
            FeedFormat::Atom => self.atom(),
            FeedFormat::Json => self.json(),
        }
    }

    fn rfc822(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.zone).to_rfc2822()
    }

    fn rfc3339(&self, at: DateTime<Utc>) -> String {
        dates::rfc3339(at, self.zone)
    }

    fn rss(&self) -> String {
        xml_document(|w| {
            w.create_element("rss")
                .with_attributes([
                    ("version", "2.0"),
                    ("xmlns:atom", "http://www.w3.org/2005/Atom"),
                    ("xmlns:content", "http://purl.org/rss/1.0/modules/content/"),
                    ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
                ])
                .write_inner_content(|w| {
                    w.create_element("channel").write_inner_content(|w| {
                        text(w, "title", &self.title)?;
                        text(w, "link", &self.home_url)?;
                        html_of_text(w, "description", &self.description)?;
                        text(w, "language", &self.language)?;
                        text(w, "lastBuildDate", &self.rfc822(self.updated))?;
                        text(w, "generator", "Dateline")?;
                        let self_url = self.self_url(FeedFormat::Rss);
                        w.create_element("atom:link")
                            .with_attributes([
                                ("href", self_url.as_str()),
                                ("rel", "self"),
                                ("type", FeedFormat::Rss.media_type()),
                            ])
                            .write_empty()?;
                        for item in &self.items {
                            w.create_element("item").write_inner_content(|w| {
                                text(w, "title", &item.title)?;
                                text(w, "link", &item.url)?;
                                w.create_element("guid")
                                    .with_attribute(("isPermaLink", "true"))
                                    .write_text_content(BytesText::new(&item.url))?;
                                text(w, "pubDate", &self.rfc822(item.published))?;
                                html_of_text(w, "description", &item.summary)?;
                                text(w, "content:encoded", &item.content_html)?;
                                for person in &item.authors {
                                    text(w, "dc:creator", &person.name)?;
                                }
                                for category in &item.categories {
                                    text(w, "category", category)?;
                                }
                                Ok(())
                            })?;
                        }
                        Ok(())
                    })?;
                    Ok(())
                })?;
            Ok(())
        })
    }

    fn atom(&self) -> String {
        xml_document(|w| {
            w.create_element("feed")
                .with_attributes([
                    ("xmlns", "http://www.w3.org/2005/Atom"),
                    ("xml:lang", self.language.as_str()),
                ])
                .write_inner_content(|w| {
                    let self_url = self.self_url(FeedFormat::Atom);
                    text(w, "id", &self_url)?;
                    text(w, "title", &self.title)?;
                    text(w, "subtitle", &self.description)?;
                    text(w, "updated", &self.rfc3339(self.updated))?;
                    link(w, "alternate", "text/html", &self.home_url)?;
                    link(w, "self", FeedFormat::Atom.media_type(), &self_url)?;
                    person(w, "author", &self.publisher)?;
                    text(w, "generator", "Dateline")?;
                    for item in &self.items {
                        w.create_element("entry")
                            .with_attribute(("xml:lang", item.language.as_str()))
                            .write_inner_content(|w| {
                                text(w, "id", &item.url)?;
                                text(w, "title", &item.title)?;
                                link(w, "alternate", "text/html", &item.url)?;
                                text(w, "published", &self.rfc3339(item.published))?;
                                text(w, "updated", &self.rfc3339(item.updated))?;
                                for author in &item.authors {
                                    person(w, "author", author)?;
                                }
                                for category in &item.categories {
                                    w.create_element("category")
                                        .with_attribute(("term", xml_chars(category).as_ref()))
                                        .write_empty()?;
                                }
                                text(w, "summary", &item.summary)?;
                                w.create_element("content")
                                    .with_attribute(("type", "html"))
                                    .write_text_content(BytesText::new(&xml_chars(
                                        &item.content_html,
                                    )))?;
                                Ok(())
                            })?;
                    }
                    Ok(())
                })?;
            Ok(())
        })
    }

    fn json(&self) -> String {
        let items: Vec<_> = self
            .items
            .iter()
            .map(|item| {
                let mut value = json!({
                    "id": item.url,
                    "url": item.url,
                    "title": item.title,
                    "summary": item.summary,
                    "content_html": item.content_html,
                    "date_published": self.rfc3339(item.published),
                    "date_modified": self.rfc3339(item.updated),
                    "tags": item.categories,
                    "language": item.language,
                });
                if !item.authors.is_empty() {
                    value["authors"] = json!(
                        item.authors
                            .iter()
                            .map(|p| json!({"name": p.name, "url": p.url}))
                            .collect::<Vec<_>>()
                    );
                }
                value
            })
            .collect();
        let feed = json!({
            "version": "https://jsonfeed.org/version/1.1",
            "title": self.title,
            "home_page_url": self.home_url,
            "feed_url": self.self_url(FeedFormat::Json),
            "description": self.description,
            "language": self.language,
            "authors": [{"name": self.publisher.name, "url": self.publisher.url}],
            "items": items,
        });
        let mut out = serde_json::to_string_pretty(&feed).unwrap_or_default();
        out.push('\n');
        out
    }
}

/// Rewrites relative links in sanitised HTML against the site's root. The HTML went through the
/// same sanitiser on write, so this changes nothing but the URLs.
/// The body of `shown` as HTML another site can show: every link absolute, Read More blocks as
/// links with their targets' headlines.
pub fn body_for_elsewhere(shown: &PublishedArticle, base: &BaseUrl) -> String {
    absolute_body(shown, base, &absolutiser(base))
}

fn absolute_body(
    shown: &PublishedArticle,
    base: &BaseUrl,
    absolutiser: &ammonia::Builder<'static>,
) -> String {
    let mut content = String::new();
    for part in &shown.body {
        match part {
            BodyPart::Html(html) => content.push_str(&absolutiser.clean(html).to_string()),
            BodyPart::ReadMore(target) => content.push_str(&format!(
                "<p class=\"read-more\">Read More: <a href=\"{}\">{}</a></p>\n",
                base.join(&SitePath::article(&target.slug)),
                escape_html(&target.headline)
            )),
        }
    }
    content
}

fn absolutiser(base: &BaseUrl) -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    if let Ok(url) = ammonia::Url::parse(&base.join(&SitePath::HOME)) {
        builder.url_relative(ammonia::UrlRelative::RewriteWithBase(url));
    }
    builder
}

type XmlWriter = Writer<Vec<u8>>;

fn xml_document(body: impl FnOnce(&mut XmlWriter) -> io::Result<()>) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing to a Vec cannot fail; the io::Result is the writer's general signature.
    let written = w
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .and_then(|()| body(&mut w));
    debug_assert!(written.is_ok());
    let mut out = String::from_utf8(w.into_inner()).unwrap_or_default();
    out.push('\n');
    out
}

fn text(w: &mut XmlWriter, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(&xml_chars(value)))?;
    Ok(())
}

/// An element whose content the format defines as HTML (RSS's `<description>`), holding plain
/// text: the text is escaped as HTML first, then as XML, so a standfirst reading
/// `<img src=x onerror=…>` reaches the reader as those characters, not as an image. Written
/// once-escaped, a feed reader would unescape the XML and then parse what is left as HTML.
fn html_of_text(w: &mut XmlWriter, name: &str, value: &str) -> io::Result<()> {
    text(w, name, &escape_html(value))
}

/// `s` without the characters XML 1.0 forbids (C0 controls other than tab and line breaks,
/// U+FFFE, U+FFFF): a standfirst pasted with a stray control character must not make the whole
/// feed unreadable.
fn xml_chars(s: &str) -> std::borrow::Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    };
    if s.chars().all(allowed) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.chars().filter(|c| allowed(*c)).collect())
    }
}

fn link(w: &mut XmlWriter, rel: &str, media_type: &str, href: &str) -> io::Result<()> {
    w.create_element("link")
        .with_attributes([("rel", rel), ("type", media_type), ("href", href)])
        .write_empty()?;
    Ok(())
}

fn person(w: &mut XmlWriter, element: &str, p: &FeedPerson) -> io::Result<()> {
    w.create_element(element).write_inner_content(|w| {
        text(w, "name", &p.name)?;
        text(w, "uri", &p.url)
    })?;
    Ok(())
}

/// `robots.txt`: everything may be crawled; the sitemap index is named.
pub fn robots_txt(site: &SiteSettings) -> String {
    format!(
        "User-agent: *\nAllow: /\n\nSitemap: {}\n",
        site.base().join(&SitePath::SITEMAP_INDEX)
    )
}

/// The id range of article sitemap page `n` with `page_size` ids per page.
fn id_range(n: u32, page_size: u32) -> (ArticleId, ArticleId) {
    let size = i64::from(page_size);
    let first = (i64::from(n) - 1) * size + 1;
    (ArticleId(first), ArticleId(first + size - 1))
}

/// The sitemap index: the fronts, the news sitemap when there is recent news, and every article
/// page that has at least one published article.
pub async fn sitemap_index(
    store: &dyn Store,
    site: &SiteSettings,
    now: DateTime<Utc>,
    page_size: u32,
) -> Result<String, StoreError> {
    let base = site.base();
    let mut pages = vec![SitemapPage::Sections];
    // The newest article alone tells whether the news sitemap has anything.
    let newest = store
        .list_published(Listing::Latest, PageRequest::first(1))
        .await?;
    let has_news = match newest.first().and_then(|a| a.published_at) {
        // Dated ahead of now: look further down the list.
        Some(p) if p > now => !news_articles(store, now).await?.is_empty(),
        Some(p) => in_news_window(p, now),
        None => false,
    };
    if has_news {
        pages.push(SitemapPage::News);
    }
    if let Some(max) = store.max_article_id().await? {
        let count = u32::try_from((max.0 - 1) / i64::from(page_size) + 1).unwrap_or(u32::MAX);
        for n in 1..=count {
            let (first, last) = id_range(n, page_size);
            if !store
                .published_in_id_range(first, last, 1)
                .await?
                .is_empty()
            {
                pages.push(SitemapPage::Articles(n));
            }
        }
    }
    Ok(xml_document(|w| {
        w.create_element("sitemapindex")
            .with_attribute(("xmlns", SITEMAP_NS))
            .write_inner_content(|w| {
                for page in &pages {
                    w.create_element("sitemap").write_inner_content(|w| {
                        text(w, "loc", &base.join(&SitePath::sitemap(page)))
                    })?;
                }
                Ok(())
            })?;
        Ok(())
    }))
}

/// One sitemap, or `None` when there is no such page: an article page past the end or with no
/// published article in its range, or the news sitemap when nothing was published in the window.
pub async fn sitemap(
    store: &dyn Store,
    site: &SiteSettings,
    page: &SitemapPage,
    now: DateTime<Utc>,
    page_size: u32,
) -> Result<Option<String>, StoreError> {
    let base = site.base();
    let zone = site.time_zone;
    match page {
        SitemapPage::Sections => {
            let mut fronts = vec![(base.join(&SitePath::HOME), Listing::Latest)];
            for section in store.sections().await? {
                fronts.push((
                    base.join(&SitePath::section(&section.slug)),
                    Listing::Section(section.id),
                ));
            }
            let mut urls = Vec::with_capacity(fronts.len());
            for (loc, listing) in fronts {
                let newest = store
                    .list_published(listing, PageRequest::first(1))
                    .await?
                    .first()
                    .and_then(|s| s.published_at);
                urls.push((loc, newest.map(|t| dates::rfc3339(t, zone))));
            }
            // The standing pages readers can see, dated by their last change.
            let navigation = crate::pages::navigation(store, &[]).await?;
            for (id, path) in navigation.shown_paths() {
                let updated = store
                    .page(id)
                    .await?
                    .map(|p| dates::rfc3339(p.updated_at, zone));
                urls.push((base.join(&path), updated));
            }
            Ok(Some(urlset(&urls, false, |_, _| Ok(()))))
        }
        SitemapPage::Articles(n) => {
            let (first, last) = id_range(*n, page_size);
            let entries = store.published_in_id_range(first, last, page_size).await?;
            if entries.is_empty() {
                return Ok(None);
            }
            let urls: Vec<_> = entries
                .iter()
                .map(
                    |SitemapEntry {
                         slug, updated_at, ..
                     }| {
                        (
                            base.join(&SitePath::article(slug)),
                            Some(dates::rfc3339(*updated_at, zone)),
                        )
                    },
                )
                .collect();
            Ok(Some(urlset(&urls, false, |_, _| Ok(()))))
        }
        SitemapPage::News => {
            let articles = news_articles(store, now).await?;
            if articles.is_empty() {
                // A urlset needs at least one URL; the index leaves this sitemap out meanwhile.
                return Ok(None);
            }
            let urls: Vec<_> = articles
                .iter()
                .map(|a| (base.join(&SitePath::article(&a.slug)), None))
                .collect();
            Ok(Some(urlset(&urls, true, |w, i| {
                let a = &articles[i];
                w.create_element("news:news").write_inner_content(|w| {
                    w.create_element("news:publication")
                        .write_inner_content(|w| {
                            text(w, "news:name", &site.name)?;
                            text(w, "news:language", &a.language.as_str().to_lowercase())
                        })?;
                    let published = a.published_at.unwrap_or(now);
                    text(w, "news:publication_date", &dates::rfc3339(published, zone))?;
                    text(w, "news:title", &a.headline)
                })?;
                Ok(())
            })))
        }
    }
}

/// Published articles of the last [`NEWS_WINDOW`], newest first, at most [`NEWS_MAX`].
async fn news_articles(
    store: &dyn Store,
    now: DateTime<Utc>,
) -> Result<Vec<dateline_domain::ArticleSummary>, StoreError> {
    let mut list = store
        .list_published(Listing::Latest, PageRequest::first(NEWS_MAX))
        .await?;
    list.retain(|a| a.published_at.is_some_and(|p| in_news_window(p, now)));
    Ok(list)
}

fn in_news_window(published: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    published >= now - NEWS_WINDOW && published <= now
}

/// A `<urlset>` of `(loc, lastmod)` pairs; `extra` writes more elements into the `i`-th `<url>`.
fn urlset(
    urls: &[(String, Option<String>)],
    news: bool,
    extra: impl Fn(&mut XmlWriter, usize) -> io::Result<()>,
) -> String {
    xml_document(|w| {
        let mut root = w
            .create_element("urlset")
            .with_attribute(("xmlns", SITEMAP_NS));
        if news {
            root = root.with_attribute(("xmlns:news", NEWS_NS));
        }
        root.write_inner_content(|w| {
            for (i, (loc, lastmod)) in urls.iter().enumerate() {
                w.create_element("url").write_inner_content(|w| {
                    text(w, "loc", loc)?;
                    if let Some(lastmod) = lastmod {
                        text(w, "lastmod", lastmod)?;
                    }
                    extra(w, i)
                })?;
            }
            Ok(())
        })?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_ranges_tile_without_gaps() {
        assert_eq!(id_range(1, 50_000), (ArticleId(1), ArticleId(50_000)));
        assert_eq!(id_range(2, 50_000), (ArticleId(50_001), ArticleId(100_000)));
        assert_eq!(id_range(3, 5), (ArticleId(11), ArticleId(15)));
    }

    #[test]
    fn feed_paths_hang_off_their_front() {
        let site = SiteSettings::unconfigured();
        let scope = FeedScope::site(&site);
        assert_eq!(scope.feed_path(FeedFormat::Rss), "/feed.xml");
        let section = dateline_domain::Section {
            id: dateline_domain::SectionId(1),
            slug: dateline_domain::Slug::parse("world").unwrap(),
            name: "World".into(),
        };
        let scope = FeedScope::section(&site, &section);
        assert_eq!(
            scope.feed_path(FeedFormat::Json),
            "/section/world/feed.json"
        );
    }

    #[test]
    fn characters_xml_forbids_are_dropped() {
        assert_eq!(xml_chars("a\u{7}b\u{FFFF}\tc\n"), "ab\tc\n");
        assert!(matches!(xml_chars("plain"), std::borrow::Cow::Borrowed(_)));
    }

    fn hostile_feed() -> Feed {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let person = FeedPerson {
            name: "Sana\u{1}Mirza".into(),
            url: "https://gvs.example/author/sana-mirza".into(),
        };
        Feed {
            title: "GVS: \"><img src=x onerror=alert(1)>".into(),
            description: "The latest \"><img src=x onerror=alert(1)> news".into(),
            home_url: "https://gvs.example/".into(),
            base: BaseUrl::parse("https://gvs.example").unwrap(),
            scope_path: SitePath::HOME,
            language: "en".into(),
            publisher: person.clone(),
            updated: at,
            last_modified: at,
            items: vec![FeedItem {
                url: "https://gvs.example/a".into(),
                title: "A & B".into(),
                summary: "\"><img src=x onerror=alert(1)>".into(),
                content_html: "<p>Body</p>".into(),
                published: at,
                updated: at,
                authors: vec![person],
                categories: vec!["Wor\u{0}ld\u{FFFF}".into()],
                language: "en".into(),
            }],
            zone: chrono_tz::UTC,
        }
    }

    #[test]
    fn rss_descriptions_carry_text_escaped_as_html() {
        let rss = hostile_feed().render(FeedFormat::Rss);
        assert!(!rss.contains("<img"), "{rss}");
        assert!(
            rss.contains("<description>The latest &amp;quot;&amp;gt;&amp;lt;img src=x"),
            "{rss}"
        );
        assert!(
            rss.contains("<description>&amp;quot;&amp;gt;&amp;lt;img src=x onerror=alert(1)&amp;gt;</description>"),
            "{rss}"
        );
        // Titles are plain text, escaped once; the body is HTML, escaped once.
        assert!(rss.contains("<title>A &amp; B</title>"), "{rss}");
        assert!(
            rss.contains("<content:encoded>&lt;p&gt;Body&lt;/p&gt;</content:encoded>"),
            "{rss}"
        );
    }

    #[test]
    fn characters_xml_forbids_never_reach_feed_elements_or_attributes() {
        let feed = hostile_feed();
        for format in [FeedFormat::Rss, FeedFormat::Atom] {
            let xml = feed.render(format);
            assert!(
                !xml.chars()
                    .any(|c| c == '\u{0}' || c == '\u{1}' || c == '\u{FFFF}'),
                "{xml}"
            );
        }
        let atom = feed.render(FeedFormat::Atom);
        assert!(atom.contains(r#"<category term="World"/>"#), "{atom}");
        assert!(atom.contains("<summary>&quot;&gt;&lt;img src=x"), "{atom}");
    }
}
