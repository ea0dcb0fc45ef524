//! Pages and menus: the newsroom's rules for writing them, and what readers see of them.
//!
//! A page's body is the articles' body format without Read More blocks, checked and rendered
//! (sanitised) on write like an article's. Its slug comes from its title unless given; a
//! top-level slug may be neither a reserved path ([`Page::reserved`]) nor an article's, and a
//! page cannot be put under itself or its own sub-pages. Editors and administrators write
//! pages and menus ([`Action::ManageSectionsAndTags`], the same role line as sections).
//!
//! What readers see is one [`Navigation`]: every page's path and whether it is shown (a page is
//! shown when it and every parent above it are published), and both menus with their links
//! resolved. The web layer keeps one and reads it again when a change notice names the pages,
//! the sections or everything.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dateline_domain::page::{
    check_menu, menu_label, menu_url, page_paths, pages_by_id, published_chain,
};
use dateline_domain::{
    Action, InvalidValue, Language, MenuItem, MenuName, MenuTarget, NewPage, Page, PageId,
    PageStatus, PageSummary, Section, SitePath, Slug, Store, StoreError, User, check_multiline,
};

use crate::ServiceError;
use crate::articles::MAX_BODY_BYTES;
use crate::body;

/// A page as the newsroom's form sends it.
#[derive(Debug, Clone)]
pub struct PageInput {
    pub title: String,
    /// Empty: made from the title.
    pub slug: String,
    pub body: String,
    pub description: String,
    /// Empty: the site's language.
    pub language: String,
    /// The parent page's id, or empty for a top-level page.
    pub parent: String,
    /// Its place among its siblings; empty is 0.
    pub position: String,
    pub status: PageStatus,
}

/// Renders a page body: the articles' rules (no control characters, no scripts, frames or
/// `javascript:` links, at most [`MAX_BODY_BYTES`]), and no Read More blocks.
pub fn render_page_body(source: &str) -> Result<String, InvalidValue> {
    if source.len() > MAX_BODY_BYTES {
        return Err(InvalidValue::new(
            "body",
            format!("is longer than {} KB", MAX_BODY_BYTES / 1024),
        ));
    }
    check_multiline("body", source)?;
    if let Some(problem) = body::active_content(source) {
        return Err(problem);
    }
    let blocks = body::parse(source)?;
    if blocks
        .iter()
        .any(|b| matches!(b, body::Block::ReadMore { .. }))
    {
        return Err(InvalidValue::new(
            "body",
            "Read More blocks belong in articles; on a page, link to the article instead",
        ));
    }
    Ok(body::render_markdown(source))
}

/// Checks a page as written; every problem at once.
async fn check_page(
    store: &dyn Store,
    input: &PageInput,
    editing: Option<PageId>,
    site_language: &Language,
    now: DateTime<Utc>,
) -> Result<NewPage, ServiceError> {
    let mut problems = Vec::new();
    let title = dateline_domain::Headline::parse(&input.title)
        .map_err(|e| InvalidValue::new("title", e.message))
        .map_err(|e| problems.push(e))
        .ok();
    let slug_text = input.slug.trim();
    let slug = if slug_text.is_empty() {
        title.as_ref().and_then(|t| {
            let slug = Slug::from_title(t.as_str());
            if slug.is_none() {
                problems.push(InvalidValue::new(
                    "slug",
                    "the title has no letter or digit to make an address from; give one",
                ));
            }
            slug
        })
    } else {
        Slug::parse(&dateline_domain::paths::decode(slug_text))
            .map_err(|e| problems.push(InvalidValue::new("slug", e.message)))
            .ok()
    };
    let body_html = render_page_body(&input.body)
        .map_err(|e| problems.push(e))
        .ok();
    let description = input.description.trim().to_owned();
    if description.chars().count() > Page::MAX_DESCRIPTION_CHARS {
        problems.push(InvalidValue::new(
            "description",
            format!("is longer than {} characters", Page::MAX_DESCRIPTION_CHARS),
        ));
    } else if let Err(e) = check_multiline("description", &description) {
        problems.push(e);
    }
    let language = if input.language.trim().is_empty() {
        Some(site_language.clone())
    } else {
        Language::parse(&input.language)
            .map_err(|e| problems.push(e))
            .ok()
    };
    let position = match input.position.trim() {
        "" => Some(0),
        p => p
            .parse::<i64>()
            .ok()
            .filter(|n| n.abs() <= 1_000_000)
            .or_else(|| {
                problems.push(InvalidValue::new(
                    "position",
                    "must be a whole number (lowest first)",
                ));
                None
            }),
    };
    let pages = store.pages().await?;
    let parent = match input.parent.trim() {
        "" => Some(None),
        p => match p.parse::<i64>().ok().map(PageId) {
            Some(id) if pages.iter().any(|s| s.id == id) => {
                match parent_problem(&pages, id, editing) {
                    Some(problem) => {
                        problems.push(problem);
                        None
                    }
                    None => Some(Some(id)),
                }
            }
            _ => {
                problems.push(InvalidValue::new("parent", "there is no such page"));
                None
            }
        },
    };
    if let (Some(slug), Some(None)) = (&slug, &parent)
        && Page::reserved(slug)
    {
        problems.push(InvalidValue::new(
            "slug",
            format!("/{slug} is one of the site's own addresses; choose another"),
        ));
    }
    match (title, slug, body_html, language, position, parent) {
        (
            Some(title),
            Some(slug),
            Some(body_html),
            Some(language),
            Some(position),
            Some(parent),
        ) if problems.is_empty() => Ok(NewPage {
            slug,
            parent,
            position,
            title: title.into_string(),
            body: input.body.clone(),
            body_html,
            description,
            status: input.status,
            language,
            at: now,
        }),
        _ => Err(ServiceError::Invalid(problems)),
    }
}

/// Why `parent` cannot be the parent of `page`: it is the page itself or below it, or the
/// chain would be too deep.
fn parent_problem(
    pages: &[PageSummary],
    parent: PageId,
    page: Option<PageId>,
) -> Option<InvalidValue> {
    let by_id: HashMap<PageId, &PageSummary> = pages.iter().map(|p| (p.id, p)).collect();
    let mut at = Some(parent);
    let mut depth = 0;
    while let Some(id) = at {
        if Some(id) == page {
            return Some(InvalidValue::new(
                "parent",
                "a page cannot be put under itself or one of its own sub-pages",
            ));
        }
        depth += 1;
        if depth > Page::MAX_DEPTH {
            return Some(InvalidValue::new(
                "parent",
                format!("pages nest at most {} deep", Page::MAX_DEPTH),
            ));
        }
        at = by_id.get(&id).and_then(|p| p.parent);
    }
    None
}

/// A store refusal of a page's address, in words.
fn conflict(e: StoreError) -> ServiceError {
    match e {
        StoreError::Conflict(what) => {
            InvalidValue::new("slug", format!("{what} is already taken; choose another")).into()
        }
        StoreError::MissingReference(_) => {
            InvalidValue::new("parent", "there is no such page").into()
        }
        StoreError::InvalidInput(why) => InvalidValue::new("page", why).into(),
        e => e.into(),
    }
}

fn may_manage(user: &User) -> Result<(), ServiceError> {
    if user.may(Action::ManageSectionsAndTags) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// Adds a page (editors and admins).
pub async fn create_page(
    store: &dyn Store,
    user: &User,
    input: &PageInput,
    site_language: &Language,
    now: DateTime<Utc>,
) -> Result<PageId, ServiceError> {
    may_manage(user)?;
    let page = check_page(store, input, None, site_language, now).await?;
    store.insert_page(&page).await.map_err(conflict)
}

/// Saves a page's fields (editors and admins).
pub async fn update_page(
    store: &dyn Store,
    user: &User,
    id: PageId,
    input: &PageInput,
    site_language: &Language,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    may_manage(user)?;
    if store.page(id).await?.is_none() {
        return Err(ServiceError::NotFound);
    }
    let page = check_page(store, input, Some(id), site_language, now).await?;
    match store.update_page(id, &page).await.map_err(conflict)? {
        true => Ok(()),
        false => Err(ServiceError::NotFound),
    }
}

/// Publishes or takes down a page (editors and admins). Taken down, its path answers 404 and
/// menu items leading to it are not shown.
pub async fn set_page_status(
    store: &dyn Store,
    user: &User,
    id: PageId,
    status: PageStatus,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    may_manage(user)?;
    match store.set_page_status(id, status, now).await? {
        true => Ok(()),
        false => Err(ServiceError::NotFound),
    }
}

/// A menu item as the newsroom's form sends it.
#[derive(Debug, Clone, Default)]
pub struct MenuRow {
    pub label: String,
    /// A page's or section's path, another path on the site, or an http(s) URL.
    pub target: String,
    pub nested: bool,
}

/// Reads `target` as a page (by its path), a section (`/section/{slug}`), or a path or URL.
/// A section or page path that leads nowhere is refused.
pub async fn menu_target(
    store: &dyn Store,
    pages: &[PageSummary],
    target: &str,
) -> Result<MenuTarget, InvalidValue> {
    let url = menu_url(target)?;
    if !url.starts_with('/') {
        return Ok(MenuTarget::Url(url));
    }
    let decoded = dateline_domain::paths::decode(&url).into_owned();
    let path = decoded.split(['?', '#']).next().unwrap_or("/");
    let trimmed = path.trim_end_matches('/');
    if let Some(slug) = trimmed.strip_prefix("/section/") {
        let section = match Slug::parse(slug) {
            Ok(slug) => store
                .section_by_slug(&slug)
                .await
                .map_err(|_| InvalidValue::new("target", "cannot look the section up now"))?,
            Err(_) => None,
        };
        return match section {
            Some(section) if path == decoded => Ok(MenuTarget::Section(section.id)),
            Some(_) => Ok(MenuTarget::Url(url)),
            None => Err(InvalidValue::new(
                "target",
                format!("there is no section at {path}"),
            )),
        };
    }
    let paths = page_paths(pages);
    if let Some((id, _)) = paths
        .iter()
        .find(|(_, slugs)| SitePath::page(slugs).decoded() == trimmed)
    {
        return Ok(MenuTarget::Page(*id));
    }
    // A single segment that is no page: an article's address, or an old one kept as a redirect.
    let segments: Vec<&str> = trimmed.trim_start_matches('/').split('/').collect();
    if let [single] = segments.as_slice()
        && !single.is_empty()
        && !Slug::RESERVED.contains(single)
    {
        let known = match Slug::parse(single) {
            Ok(slug) => store.slug_exists(&slug).await.unwrap_or(true),
            Err(_) => false,
        } || store.redirect(trimmed).await.ok().flatten().is_some();
        if !known {
            return Err(InvalidValue::new(
                "target",
                format!("there is no page or article at {trimmed}"),
            ));
        }
    }
    Ok(MenuTarget::Url(url))
}

/// Replaces a menu (editors and admins) after checking every row; a bad row changes nothing.
/// Empty rows (no label and no target) are skipped.
pub async fn save_menu(
    store: &dyn Store,
    user: &User,
    menu: MenuName,
    rows: &[MenuRow],
) -> Result<(), ServiceError> {
    may_manage(user)?;
    let pages = store.pages().await?;
    let mut items = Vec::new();
    let mut problems = Vec::new();
    for (n, row) in rows.iter().enumerate() {
        if row.label.trim().is_empty() && row.target.trim().is_empty() {
            continue;
        }
        let at = |e: InvalidValue| {
            InvalidValue::new("menu", format!("item {}: {} {}", n + 1, e.field, e.message))
        };
        let label = menu_label(&row.label)
            .map_err(|e| problems.push(at(e)))
            .ok();
        let target = menu_target(store, &pages, &row.target)
            .await
            .map_err(|e| problems.push(at(e)))
            .ok();
        if let (Some(label), Some(target)) = (label, target) {
            items.push(MenuItem {
                label,
                target,
                nested: row.nested,
            });
        }
    }
    if let Err(e) = check_menu(&items) {
        problems.push(e);
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    store.replace_menu(menu, &items).await.map_err(|e| match e {
        StoreError::MissingReference(what) => ServiceError::from(InvalidValue::new(
            "menu",
            format!("{what} is gone; reload the page"),
        )),
        e => e.into(),
    })
}

/// A link of a menu as readers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuLink {
    pub label: String,
    pub href: String,
    pub children: Vec<MenuLink>,
}

/// What every public page needs of pages and menus.
#[derive(Debug, Clone, Default)]
pub struct Navigation {
    /// Every page.
    pub pages: Vec<PageSummary>,
    /// The path of every page that readers can see, decoded (`/about-us/our-team`).
    pub shown: HashMap<String, PageId>,
    pub header: Vec<MenuLink>,
    pub footer: Vec<MenuLink>,
}

impl Navigation {
    /// The shown page at a decoded path.
    pub fn page_at(&self, path: &str) -> Option<PageId> {
        self.shown.get(path).copied()
    }

    /// The slugs of a page's path, from the top.
    pub fn path_of(&self, id: PageId) -> Option<Vec<Slug>> {
        page_paths(&self.pages).remove(&id)
    }

    /// The shown pages with their paths, for the sitemap.
    pub fn shown_paths(&self) -> Vec<(PageId, SitePath)> {
        let paths = page_paths(&self.pages);
        let by_id = pages_by_id(&self.pages);
        let mut shown: Vec<(PageId, SitePath)> = paths
            .into_iter()
            .filter(|(id, _)| published_chain(&by_id, *id))
            .map(|(id, slugs)| (id, SitePath::page(&slugs)))
            .collect();
        shown.sort_by(|a, b| a.1.as_str().cmp(b.1.as_str()));
        shown
    }
}

/// Reads the pages and both menus, and resolves the menus' links: an item leading to a page
/// readers cannot see is left out, with the items nested under it.
pub async fn navigation(store: &dyn Store, sections: &[Section]) -> Result<Navigation, StoreError> {
    let pages = store.pages().await?;
    let paths = page_paths(&pages);
    let by_id = pages_by_id(&pages);
    let shown: HashMap<String, PageId> = paths
        .iter()
        .filter(|(id, _)| published_chain(&by_id, **id))
        .map(|(id, slugs)| (SitePath::page(slugs).decoded().into_owned(), *id))
        .collect();
    let href = |target: &MenuTarget| -> Option<String> {
        match target {
            MenuTarget::Page(id) => {
                let slugs = paths.get(id)?;
                published_chain(&by_id, *id).then(|| SitePath::page(slugs).into())
            }
            MenuTarget::Section(id) => sections
                .iter()
                .find(|s| s.id == *id)
                .map(|s| SitePath::section(&s.slug).into()),
            MenuTarget::Url(url) if url.starts_with('/') => Some(SitePath::from_stored(url).into()),
            MenuTarget::Url(url) => Some(url.clone()),
        }
    };
    let mut menus = Vec::new();
    for menu in MenuName::ALL {
        let mut links: Vec<MenuLink> = Vec::new();
        // Whether the top-level item the next nested ones belong to is shown.
        let mut parent_shown = false;
        for item in store.menu(menu).await? {
            let link = href(&item.target).map(|href| MenuLink {
                label: item.label.clone(),
                href,
                children: Vec::new(),
            });
            match (item.nested, link) {
                (false, link) => {
                    parent_shown = link.is_some();
                    links.extend(link);
                }
                (true, Some(link)) if parent_shown => {
                    if let Some(parent) = links.last_mut() {
                        parent.children.push(link);
                    }
                }
                (true, _) => {}
            }
        }
        menus.push(links);
    }
    let footer = menus.pop().unwrap_or_default();
    let header = menus.pop().unwrap_or_default();
    Ok(Navigation {
        pages,
        shown,
        header,
        footer,
    })
}

/// A page readers may see, with its parents from the top (for the breadcrumb), by id.
pub async fn shown_page(
    store: &dyn Store,
    navigation: &Navigation,
    id: PageId,
) -> Result<Option<(Page, Vec<PageSummary>)>, StoreError> {
    if !published_chain(&pages_by_id(&navigation.pages), id) {
        return Ok(None);
    }
    let Some(page) = store.page(id).await? else {
        return Ok(None);
    };
    if page.summary.status != PageStatus::Published {
        return Ok(None);
    }
    let mut parents = Vec::new();
    let mut at = page.summary.parent;
    while let Some(parent) = at {
        let Some(p) = navigation.pages.iter().find(|p| p.id == parent) else {
            break;
        };
        parents.push(p.clone());
        at = p.parent;
        if parents.len() > Page::MAX_DEPTH {
            break;
        }
    }
    parents.reverse();
    Ok(Some((page, parents)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_bodies_are_rendered_and_refuse_what_articles_refuse() {
        assert_eq!(
            render_page_body("Hello *world*.\n").unwrap(),
            "<p>Hello <em>world</em>.</p>\n"
        );
        for bad in [
            "<script>alert(1)</script>\n",
            "[x](javascript:alert(1))\n",
            "nul\u{0}\n",
            "::: read-more 12\n",
        ] {
            assert!(render_page_body(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_page_cannot_go_under_itself() {
        let page = |id: i64, parent: Option<i64>| PageSummary {
            id: PageId(id),
            slug: Slug::parse(&format!("p{id}")).unwrap(),
            parent: parent.map(PageId),
            position: 0,
            title: String::new(),
            status: PageStatus::Published,
            language: Language::english(),
        };
        let pages = [page(1, None), page(2, Some(1)), page(3, Some(2))];
        assert!(parent_problem(&pages, PageId(3), Some(PageId(1))).is_some());
        assert!(parent_problem(&pages, PageId(1), Some(PageId(1))).is_some());
        assert!(parent_problem(&pages, PageId(1), Some(PageId(3))).is_none());
        assert!(parent_problem(&pages, PageId(3), None).is_none());
    }
}
