//! What every page shares: the top bar with today's date, the masthead and the navigation.

use dateline_domain::{SitePath, StoreError};
use dateline_services::dates;
use dateline_services::syndication::FeedScope;

use crate::AppState;
use crate::metadata::{self, FeedLink, Head};

/// A link in the section navigation.
pub struct NavLink {
    pub name: String,
    pub href: String,
    pub current: bool,
}

/// A link of the header or footer menu, with the links nested under it.
pub struct MenuLink {
    pub label: String,
    pub href: String,
    pub children: Vec<MenuLink>,
}

impl MenuLink {
    fn from(link: &dateline_services::pages::MenuLink) -> Self {
        Self {
            label: link.label.clone(),
            href: link.href.clone(),
            children: link.children.iter().map(MenuLink::from).collect(),
        }
    }
}

/// The view model of `base.html`.
pub struct Layout {
    pub site_name: String,
    pub lang: String,
    pub dir: &'static str,
    /// Today in the publication's time zone: "Tuesday, April 16, 2024".
    pub today: String,
    pub today_iso: String,
    pub nav: Vec<NavLink>,
    /// The header menu; when empty, the sections are the navigation.
    pub header_menu: Vec<MenuLink>,
    pub footer_menu: Vec<MenuLink>,
    /// The page's own title (the site name is added by the template).
    pub title: String,
    pub description: String,
    pub canonical: Option<String>,
    pub stylesheet: &'static str,
    /// `<link rel="alternate">` feeds: the site's, then the front's own.
    pub feeds: Vec<FeedLink>,
    /// Open Graph, Twitter card and JSON-LD.
    pub head: Head,
}

impl Layout {
    pub async fn build(
        state: &AppState,
        title: &str,
        current_section: &str,
    ) -> Result<Self, StoreError> {
        let site = state.site();
        let now = state.clock.now();
        let nav = state
            .sections()
            .await?
            .iter()
            .map(|s| NavLink {
                href: SitePath::section(&s.slug).into(),
                current: s.slug.as_str() == current_section,
                name: s.name.clone(),
            })
            .collect();
        let navigation = state.navigation().await?;
        Ok(Self {
            header_menu: navigation.header.iter().map(MenuLink::from).collect(),
            footer_menu: navigation.footer.iter().map(MenuLink::from).collect(),
            site_name: site.name.clone(),
            lang: site.locale.to_string(),
            dir: site.locale.direction().as_str(),
            today: dates::long_date(now, site.time_zone, &site.locale),
            today_iso: now
                .with_timezone(&site.time_zone)
                .format("%Y-%m-%d")
                .to_string(),
            nav,
            title: title.to_owned(),
            description: String::new(),
            canonical: None,
            stylesheet: crate::handlers::STYLESHEET_HREF.as_str(),
            feeds: metadata::feed_links(&FeedScope::site(&site)),
            head: Head::default(),
        })
    }

    pub fn with_description(mut self, description: &str) -> Self {
        self.description = description.to_owned();
        self
    }

    /// Names the page's canonical URL: `path` on the site's base URL.
    pub fn with_canonical(mut self, site: &dateline_domain::SiteSettings, path: &SitePath) -> Self {
        self.canonical = Some(site.base().join(path));
        self
    }
}

impl Layout {
    /// Adds the feeds of the front at `path` (a section, tag or author) after the site's.
    pub fn with_front_feeds(mut self, scope: &FeedScope) -> Self {
        self.feeds.extend(metadata::feed_links(scope));
        self
    }

    pub fn with_head(mut self, head: Head) -> Self {
        self.head = head;
        self
    }
}
