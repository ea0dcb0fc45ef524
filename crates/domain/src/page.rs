//! Pages and menus: the publication's standing pages (About us, Contact, Privacy policy…) and
//! the header and footer menus every public page shows.
//!
//! A page lives at its slug under its parent's path (`/about-us/our-team`). A top-level page
//! shares the site's first path segment with articles, so its slug may be neither an article's
//! nor one of the site's own routes ([`Page::RESERVED`]); articles, in turn, pass over a slug a
//! top-level page holds. Pages are not articles: no byline, no date, no section, never in fronts,
//! feeds, search or related lists; they are in the sitemap.
//!
//! A menu is an ordered list of items, each a label and a target (a page, a section or a
//! path or URL), nested at most one level: an item marked nested belongs to the nearest item
//! above it that is not.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::article::{SectionId, id_type};
use crate::text::{InvalidValue, Language, Slug};

id_type!(/// Database identity of a page.
    PageId);

/// Whether readers can see a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageStatus {
    /// Being written, or taken down: its path answers 404.
    Draft,
    /// Served at its path.
    Published,
}

impl PageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PageStatus::Draft => "draft",
            PageStatus::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "draft" => Ok(PageStatus::Draft),
            "published" => Ok(PageStatus::Published),
            _ => Err(InvalidValue::new(
                "status",
                "must be one of: draft, published",
            )),
        }
    }
}

/// A page without its body: what lists, paths and menus need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSummary {
    pub id: PageId,
    pub slug: Slug,
    pub parent: Option<PageId>,
    /// Its place among its siblings (lowest first; ties by id).
    pub position: i64,
    pub title: String,
    pub status: PageStatus,
    pub language: Language,
}

/// A page with everything stored of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub summary: PageSummary,
    /// The body source, in the body format of articles (without Read More blocks).
    pub body: String,
    /// The body rendered and sanitised on write.
    pub body_html: String,
    /// The search-engine description; may be empty.
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When it was first published.
    pub published_at: Option<DateTime<Utc>>,
}

/// What a page write stores: checked by the service, refused by the store only where a
/// uniqueness rule is broken ([`crate::StoreError::Conflict`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPage {
    pub slug: Slug,
    pub parent: Option<PageId>,
    pub position: i64,
    pub title: String,
    pub body: String,
    pub body_html: String,
    pub description: String,
    pub status: PageStatus,
    pub language: Language,
    /// When the write happens.
    pub at: DateTime<Utc>,
}

impl Page {
    /// First path segments a top-level page may not take: the site's own routes
    /// ([`Slug::RESERVED`]) and the image files under `/media`.
    pub fn reserved(slug: &Slug) -> bool {
        Slug::RESERVED.contains(&slug.as_str()) || slug.as_str() == "media"
    }

    /// The longest chain of parents a page may have.
    pub const MAX_DEPTH: usize = 8;
    /// The most pages a publication keeps: every public page's navigation is worked out from
    /// all of them.
    pub const MAX_PAGES: usize = 5_000;
    /// The longest SEO description, in characters.
    pub const MAX_DESCRIPTION_CHARS: usize = 300;
}

/// The slugs of every page's path, from the top, for the pages given (any order). A page whose
/// chain of parents is broken or runs in a circle has none.
pub fn page_paths(pages: &[PageSummary]) -> HashMap<PageId, Vec<Slug>> {
    let by_id = pages_by_id(pages);
    let mut paths = HashMap::new();
    for page in pages {
        let mut chain = vec![page.slug.clone()];
        let mut at = page.parent;
        let mut ok = true;
        while let Some(parent) = at {
            match by_id.get(&parent) {
                Some(p) if chain.len() <= Page::MAX_DEPTH => {
                    chain.push(p.slug.clone());
                    at = p.parent;
                }
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            chain.reverse();
            paths.insert(page.id, chain);
        }
    }
    paths
}

/// The pages by id, for walking up from a page to the top: made once for a whole list of
/// pages, not once per page.
pub fn pages_by_id(pages: &[PageSummary]) -> HashMap<PageId, &PageSummary> {
    pages.iter().map(|p| (p.id, p)).collect()
}

/// Whether every page in the chain from `page` to the top is published (`by_id` from
/// [`pages_by_id`]).
pub fn published_chain(by_id: &HashMap<PageId, &PageSummary>, page: PageId) -> bool {
    let mut at = Some(page);
    let mut steps = 0;
    while let Some(id) = at {
        match by_id.get(&id) {
            Some(p) if p.status == PageStatus::Published && steps <= Page::MAX_DEPTH => {
                at = p.parent;
                steps += 1;
            }
            _ => return false,
        }
    }
    true
}

/// Which of the two menus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MenuName {
    Header,
    Footer,
}

impl MenuName {
    pub const ALL: [MenuName; 2] = [MenuName::Header, MenuName::Footer];

    pub fn as_str(self) -> &'static str {
        match self {
            MenuName::Header => "header",
            MenuName::Footer => "footer",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "header" => Ok(MenuName::Header),
            "footer" => Ok(MenuName::Footer),
            _ => Err(InvalidValue::new("menu", "must be header or footer")),
        }
    }
}

/// Where a menu item leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuTarget {
    Page(PageId),
    Section(SectionId),
    /// A path on the site (`/search?q=budget`) or an `http(s)` URL elsewhere.
    Url(String),
}

/// One item of a menu, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    pub label: String,
    pub target: MenuTarget,
    /// Under the nearest item above it that is not nested.
    pub nested: bool,
}

/// Bounds of a menu.
pub struct MenuLimits;

impl MenuLimits {
    /// The most items a menu holds, nested ones included.
    pub const MAX_ITEMS: usize = 40;
    /// The longest label, in characters.
    pub const MAX_LABEL_CHARS: usize = 60;
    /// The longest URL, in characters.
    pub const MAX_URL_CHARS: usize = 2_000;
}

/// Checks a menu item's label: one line of 1 to [`MenuLimits::MAX_LABEL_CHARS`] characters.
pub fn menu_label(s: &str) -> Result<String, InvalidValue> {
    crate::text::Name::parse_within("label", s, MenuLimits::MAX_LABEL_CHARS)
        .map(|n| n.into_string())
}

/// Checks a menu item's free target: a path on the site (`/…`, not `//…`) or an `http`/`https`
/// URL, of at most [`MenuLimits::MAX_URL_CHARS`] characters, without spaces or control
/// characters. `javascript:` and every other scheme are refused.
pub fn menu_url(s: &str) -> Result<String, InvalidValue> {
    let s = s.trim();
    let problem = |why: &str| Err(InvalidValue::new("target", why.to_owned()));
    if s.is_empty() {
        return problem("must name a page, a section, a path starting with / or an http(s) URL");
    }
    if s.chars().count() > MenuLimits::MAX_URL_CHARS {
        return problem("is longer than 2000 characters");
    }
    if s.chars()
        .any(|c| c.is_whitespace() || crate::text::is_forbidden_char(c))
    {
        return problem("must not contain spaces or control characters");
    }
    let lower = s.to_ascii_lowercase();
    let site_path = s.starts_with('/') && !s.starts_with("//") && !s.starts_with("/\\");
    let web = (lower.starts_with("https://") || lower.starts_with("http://"))
        && s.split_once("://")
            .is_some_and(|(_, rest)| !rest.is_empty());
    if !site_path && !web {
        return problem(
            "must be a path starting with / or an http:// or https:// URL (no other schemes, such as javascript:)",
        );
    }
    Ok(s.to_owned())
}

/// Checks a whole menu's shape: at most [`MenuLimits::MAX_ITEMS`] items, and a nested item only
/// under an item above it.
pub fn check_menu(items: &[MenuItem]) -> Result<(), InvalidValue> {
    if items.len() > MenuLimits::MAX_ITEMS {
        return Err(InvalidValue::new(
            "menu",
            format!(
                "has {} items; a menu holds at most {}",
                items.len(),
                MenuLimits::MAX_ITEMS
            ),
        ));
    }
    if items.first().is_some_and(|i| i.nested) {
        return Err(InvalidValue::new(
            "menu",
            "the first item cannot be nested: a nested item goes under the item above it",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(id: i64, slug: &str, parent: Option<i64>, status: PageStatus) -> PageSummary {
        PageSummary {
            id: PageId(id),
            slug: Slug::parse(slug).unwrap(),
            parent: parent.map(PageId),
            position: 0,
            title: slug.to_owned(),
            status,
            language: Language::parse("en").unwrap(),
        }
    }

    #[test]
    fn a_page_lives_under_its_parents_and_a_circle_has_no_path() {
        let pages = [
            page(1, "about-us", None, PageStatus::Published),
            page(2, "our-team", Some(1), PageStatus::Published),
            page(3, "a", Some(4), PageStatus::Published),
            page(4, "b", Some(3), PageStatus::Published),
            page(5, "hidden", Some(6), PageStatus::Published),
            page(6, "draft", None, PageStatus::Draft),
        ];
        let paths = page_paths(&pages);
        let text = |id: i64| {
            paths
                .get(&PageId(id))
                .map(|p| p.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("/"))
        };
        assert_eq!(text(2).as_deref(), Some("about-us/our-team"));
        assert_eq!(text(3), None);
        let by_id = pages_by_id(&pages);
        assert!(published_chain(&by_id, PageId(2)));
        assert!(
            !published_chain(&by_id, PageId(5)),
            "a draft parent hides it"
        );
        assert!(!published_chain(&by_id, PageId(3)));
    }

    #[test]
    fn menu_targets_are_paths_or_web_urls_only() {
        for good in [
            "/about-us",
            "/search?q=a",
            "https://example.com/x",
            "HTTP://a.b",
        ] {
            assert!(menu_url(good).is_ok(), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "//evil.example",
            "data:text/html,x",
            "/a b",
            "/a\u{0}",
            "about-us",
            "https://",
            "",
        ] {
            assert!(menu_url(bad).is_err(), "{bad:?}");
        }
        assert!(menu_label("").is_err());
        assert!(menu_label("a\u{0}b").is_err());
        assert!(menu_label(&"x".repeat(61)).is_err());
        assert_eq!(menu_label(" About us ").unwrap(), "About us");
    }

    #[test]
    fn a_menu_is_bounded_and_starts_at_the_top_level() {
        let item = |nested| MenuItem {
            label: "A".into(),
            target: MenuTarget::Url("/".into()),
            nested,
        };
        assert!(check_menu(&[item(false), item(true)]).is_ok());
        assert!(check_menu(&[item(true)]).is_err());
        assert!(check_menu(&vec![item(false); MenuLimits::MAX_ITEMS + 1]).is_err());
    }
}
