//! The site's addresses, built in one place.
//!
//! Every path the site links to, lists in a feed or a sitemap, or redirects to is a [`SitePath`]
//! made here, and every absolute URL is the site's [`BaseUrl`] joined with one
//! ([`BaseUrl::join`]). Nothing else writes `/section/` or percent-encodes.
//!
//! **One form for every address.** A slug keeps the letters of its script (an Urdu headline
//! gets an Urdu slug), and a path holds it percent-encoded as UTF-8: `/%DA%A9%D8%B1...`. That is
//! the form browsers send and feed readers and crawlers expect of a URI, and it is the same
//! string in the canonical link, every `href`, the feeds, the sitemaps, JSON-LD and the search
//! API. Browsers show it decoded in the address bar; the router decodes it before a handler
//! reads the slug.
//!
//! A query string is written as a browser writes a form (`application/x-www-form-urlencoded`):
//! a space is `+`, and every byte but the unreserved characters and `/` is percent-encoded.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, percent_decode_str};

use crate::article::ArticleId;
use crate::newsroom::Image;
use crate::syndication::{FeedFormat, SitemapPage};
use crate::text::Slug;

pub use crate::site::BaseUrl;

/// What a path segment keeps as it is: the unreserved characters of RFC 3986. Everything else
/// (the UTF-8 bytes of an Urdu letter, `/`, `?`, `#`, `%`, a space) is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What a query's names and values keep: the unreserved characters and `/` (which a query may
/// hold, and which keeps a `next=/admin/...` readable). A space becomes `+` (see [`encode_query`]).
const QUERY: &AsciiSet = &SEGMENT.remove(b'/');

/// What a stored path (a redirect's target) has encoded when written as a URL: what a URL may
/// not hold. Reserved characters and `%` stay, so a path already encoded is written unchanged.
const STORED: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The listings that have a front of their own under a prefix: `/section/{slug}`,
/// `/tag/{slug}`, `/author/{slug}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    Section,
    Tag,
    Author,
}

impl Front {
    pub const ALL: [Front; 3] = [Front::Section, Front::Tag, Front::Author];

    /// The first segment of its paths: `section`, `tag`, `author`.
    pub fn prefix(self) -> &'static str {
        match self {
            Front::Section => "section",
            Front::Tag => "tag",
            Front::Author => "author",
        }
    }
}

/// A path on the site, from its root, ready to be written in an `href`, a `Location` or (joined
/// with the [`BaseUrl`]) an absolute URL: `/`, `/section/world`, `/%DA%A9...`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SitePath(Cow<'static, str>);

impl SitePath {
    /// The home page.
    pub const HOME: SitePath = SitePath::fixed("/");
    /// The search page (its form and result links).
    pub const SEARCH: SitePath = SitePath::fixed("/search");
    /// The sitemap index.
    pub const SITEMAP_INDEX: SitePath = SitePath::fixed("/sitemap.xml");
    /// Crawl rules.
    pub const ROBOTS: SitePath = SitePath::fixed("/robots.txt");
    /// The publisher logo (structured data).
    pub const LOGO: SitePath = SitePath::fixed("/static/logo.png");
    /// The publisher logo as SVG.
    pub const LOGO_SVG: SitePath = SitePath::fixed("/static/logo.svg");
    /// The image of an article without one of its own (social cards, structured data).
    pub const DEFAULT_IMAGE: SitePath = SitePath::fixed("/static/default-image.png");
    /// The newsroom's article list.
    pub const ADMIN: SitePath = SitePath::fixed("/admin");
    /// The newsroom's sign-in page.
    pub const ADMIN_LOGIN: SitePath = SitePath::fixed("/admin/login");
    /// The newsroom's audit log.
    pub const ADMIN_AUDIT: SitePath = SitePath::fixed("/admin/audit");
    /// The newsroom's comments.
    pub const ADMIN_COMMENTS: SitePath = SitePath::fixed("/admin/comments");

    /// The wire desk.
    pub const ADMIN_WIRE: SitePath = SitePath::fixed("/admin/wire");
    /// The wire providers.
    pub const ADMIN_WIRE_PROVIDERS: SitePath = SitePath::fixed("/admin/wire/providers");

    const fn fixed(path: &'static str) -> Self {
        SitePath(Cow::Borrowed(path))
    }

    /// The public page of the article at `slug`: `/{slug}`.
    pub fn article(slug: &Slug) -> Self {
        SitePath(format!("/{}", segment(slug.as_str())).into())
    }

    /// A standing page at its slugs from the top: `/about-us/our-team`.
    pub fn page(slugs: &[Slug]) -> Self {
        let mut path = String::new();
        for slug in slugs {
            path.push('/');
            path.push_str(&segment(slug.as_str()).to_string());
        }
        if path.is_empty() {
            path.push('/');
        }
        SitePath(path.into())
    }

    /// The newsroom's list of pages.
    pub const ADMIN_PAGES: SitePath = SitePath::fixed("/admin/pages");
    /// The newsroom's menus.
    pub const ADMIN_MENUS: SitePath = SitePath::fixed("/admin/menus");

    /// A page in the newsroom's page editor: `/admin/pages/{id}`.
    pub fn admin_page(id: crate::page::PageId) -> Self {
        SitePath(format!("/admin/pages/{id}").into())
    }

    /// The article as IPTC ninjs: `/{slug}.ninjs`.
    pub fn article_ninjs(slug: &Slug) -> Self {
        SitePath(format!("/{}{}", segment(slug.as_str()), Self::NINJS_SUFFIX).into())
    }

    /// What an article's path ends with to ask for its ninjs (slugs have no dots).
    pub const NINJS_SUFFIX: &str = ".ninjs";

    /// The front of a section, tag or author: `/section/{slug}`, ...
    pub fn front(front: Front, slug: &Slug) -> Self {
        SitePath(format!("/{}/{}", front.prefix(), segment(slug.as_str())).into())
    }

    /// `/section/{slug}`.
    pub fn section(slug: &Slug) -> Self {
        Self::front(Front::Section, slug)
    }

    /// `/tag/{slug}`.
    pub fn tag(slug: &Slug) -> Self {
        Self::front(Front::Tag, slug)
    }

    /// `/author/{slug}`.
    pub fn author(slug: &Slug) -> Self {
        Self::front(Front::Author, slug)
    }

    /// The feed in `format` of the front at this path: `/feed.xml` for the home page,
    /// `/section/world/feed.atom`, ...
    pub fn feed(&self, format: FeedFormat) -> Self {
        match self.as_str() {
            "/" => SitePath(format!("/{}", format.file_name()).into()),
            front => SitePath(format!("{front}/{}", format.file_name()).into()),
        }
    }

    /// A sitemap the index points at: `/sitemaps/{file}`.
    pub fn sitemap(page: &SitemapPage) -> Self {
        SitePath(format!("/sitemaps/{}", page.file_name()).into())
    }

    /// One rendition of an uploaded image: `/media/{key}/{width}.{ext}`.
    pub fn rendition(image: &Image, width: u32) -> Self {
        SitePath(
            format!(
                "/media/{}/{width}.{}",
                segment(&image.key),
                segment(&image.ext)
            )
            .into(),
        )
    }

    /// An article in the newsroom's editor: `/admin/articles/{id}`.
    pub fn admin_article(id: ArticleId) -> Self {
        SitePath(format!("/admin/articles/{id}").into())
    }

    /// A wire item on the desk: `/admin/wire/items/{id}`.
    pub fn admin_wire_item(id: i64) -> Self {
        SitePath(format!("/admin/wire/items/{id}").into())
    }

    /// A wire provider's page: `/admin/wire/providers/{id}`.
    pub fn admin_wire_provider(id: i64) -> Self {
        SitePath(format!("/admin/wire/providers/{id}").into())
    }

    /// This path with `pairs` added to its query, encoded as a browser encodes a form. No pairs,
    /// no query.
    pub fn with_query<K, V>(self, pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let query = encode_query(pairs);
        if query.is_empty() {
            return self;
        }
        let join = if self.0.contains('?') { '&' } else { '?' };
        SitePath(format!("{}{join}{query}", self.0).into())
    }

    /// A path as the database stores it (a redirect's target, decoded, as people type it),
    /// written as a URL: letters outside ASCII and what a URL may not hold are percent-encoded;
    /// `/`, `?`, other reserved characters and `%` escapes stay as they are.
    pub fn from_stored(path: &str) -> Self {
        SitePath(
            percent_encoding::utf8_percent_encode(path, STORED)
                .to_string()
                .into(),
        )
    }

    /// The path decoded, as the database stores paths and the router hands them to handlers:
    /// `/section/کراچی` for `/section/%DA%A9...`.
    pub fn decoded(&self) -> Cow<'_, str> {
        decode(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `s` with its percent escapes decoded (as UTF-8; a byte sequence that is not UTF-8 becomes
/// U+FFFD): a path or URL pasted from a browser's address bar, as people read it.
pub fn decode(s: &str) -> Cow<'_, str> {
    percent_decode_str(s).decode_utf8_lossy()
}

/// `s` as one path segment.
fn segment(s: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(s, SEGMENT)
}

/// `pairs` as `application/x-www-form-urlencoded`, as a browser would send the form.
fn encode_query<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> String
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    // `%` itself is encoded, so every `%20` written is a space.
    let encode = |s: &str| {
        percent_encoding::utf8_percent_encode(s, QUERY)
            .to_string()
            .replace("%20", "+")
    };
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", encode(k.as_ref()), encode(v.as_ref())))
        .collect::<Vec<_>>()
        .join("&")
}

impl std::fmt::Display for SitePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<SitePath> for String {
    fn from(path: SitePath) -> String {
        path.0.into_owned()
    }
}

impl PartialEq<str> for SitePath {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for SitePath {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(s: &str) -> Slug {
        Slug::parse(s).unwrap()
    }

    #[test]
    fn urdu_slugs_are_percent_encoded_in_urls() {
        let slug = slug("کراچی-2");
        assert_eq!(
            BaseUrl::parse("https://gvs.example/")
                .unwrap()
                .join(&SitePath::article(&slug)),
            "https://gvs.example/%DA%A9%D8%B1%D8%A7%DA%86%DB%8C-2"
        );
        assert_eq!(
            SitePath::section(&slug).decoded(),
            "/section/کراچی-2",
            "decoded, a path is what the router hands a handler"
        );
    }

    #[test]
    fn fronts_and_their_feeds_share_one_prefix() {
        let world = slug("world");
        assert_eq!(SitePath::section(&world), "/section/world");
        assert_eq!(SitePath::tag(&world), "/tag/world");
        assert_eq!(SitePath::author(&world), "/author/world");
        assert_eq!(SitePath::HOME.feed(FeedFormat::Rss), "/feed.xml");
        assert_eq!(
            SitePath::tag(&world).feed(FeedFormat::Atom),
            "/tag/world/feed.atom"
        );
        assert_eq!(
            SitePath::sitemap(&SitemapPage::Articles(3)),
            "/sitemaps/articles-3.xml"
        );
    }

    #[test]
    fn pages_live_under_their_parents() {
        assert_eq!(
            SitePath::page(&[slug("about-us"), slug("our-team")]),
            "/about-us/our-team"
        );
        assert_eq!(
            SitePath::page(&[slug("کراچی")]),
            "/%DA%A9%D8%B1%D8%A7%DA%86%DB%8C"
        );
    }

    #[test]
    fn form_pairs_encode_like_a_browser() {
        let pairs = [
            ("q".to_owned(), "pakistan \"stream\" & ک".to_owned()),
            ("page".to_owned(), "2".to_owned()),
        ];
        assert_eq!(
            encode_query(pairs),
            "q=pakistan+%22stream%22+%26+%DA%A9&page=2"
        );
    }

    #[test]
    fn queries_are_added_to_a_path_and_keep_slashes() {
        assert_eq!(
            SitePath::SEARCH.with_query([("q", "a/b 100%")]),
            "/search?q=a/b+100%25"
        );
        assert_eq!(
            SitePath::ADMIN_LOGIN.with_query([("next", "/admin/users?x=1")]),
            "/admin/login?next=/admin/users%3Fx%3D1"
        );
        assert_eq!(
            SitePath::admin_article(ArticleId(7))
                .with_query([("saved", "1")])
                .with_query([("done", "publish")]),
            "/admin/articles/7?saved=1&done=publish"
        );
        assert_eq!(
            SitePath::ADMIN.with_query(std::iter::empty::<(&str, &str)>()),
            "/admin"
        );
    }

    #[test]
    fn stored_paths_are_written_as_urls_once() {
        assert_eq!(
            SitePath::from_stored("/section/کراچی"),
            "/section/%DA%A9%D8%B1%D8%A7%DA%86%DB%8C"
        );
        // Already a URL: unchanged, escapes and query included.
        for url in ["/section/%DA%A9", "/2021/08/a-story/?p=1#top", "/a+b"] {
            assert_eq!(SitePath::from_stored(url), url);
        }
        assert_eq!(SitePath::from_stored("/a b\"<>"), "/a%20b%22%3C%3E");
    }

    #[test]
    fn renditions_live_under_media() {
        let image = Image {
            id: crate::ImageId(1),
            key: "0a1b2c".into(),
            ext: "jpg".into(),
            width: 1200,
            height: 800,
            renditions: vec![320, 640],
            alt: String::new(),
            caption: String::new(),
            credit: String::new(),
            uploaded_by: None,
            created_at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        };
        assert_eq!(SitePath::rendition(&image, 640), "/media/0a1b2c/640.jpg");
    }
}
