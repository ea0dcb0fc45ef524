//! Pages and menus, for editors and admins: the list of pages, a page's form (new and edit,
//! with its public link), publishing and taking down; the header and footer menus, each one
//! form of ordered rows. A refused form is shown again with its problems and what was typed
//! (422); nothing stored changes.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dateline_domain::page::page_paths;
use dateline_domain::{
    Action, MenuLimits, MenuName, MenuTarget, PageId, PageStatus, PageSummary, SitePath,
};
use dateline_services::ServiceError;
use dateline_services::pages::{self, MenuRow, PageInput};
use serde::Deserialize;

use super::session::{CsrfForm, NoFields, SignedIn};
use super::{AdminError, AdminLayout, Respond, in_words};
use crate::AppState;

/// A page in the newsroom's list.
struct PageRow {
    id: i64,
    title: String,
    /// Its public path.
    path: String,
    status: &'static str,
    /// Indented under its parent.
    depth: usize,
}

#[derive(Template)]
#[template(path = "admin/pages.html")]
struct PagesPage {
    layout: AdminLayout,
    pages: Vec<PageRow>,
    notice: Option<&'static str>,
}

/// A choice of parent in the page form.
struct ParentChoice {
    id: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "admin/page_editor.html")]
struct PageEditor {
    layout: AdminLayout,
    /// `None` for a new page.
    id: Option<i64>,
    form: PageForm,
    parents: Vec<ParentChoice>,
    /// Its address on the site (once it has been saved).
    public_link: Option<String>,
    published: bool,
    /// Whether readers see it: it and every page above it are published.
    shown: bool,
    error: Option<String>,
    notice: Option<&'static str>,
}

/// The page form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct PageForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    position: String,
    /// `publish` on the "Save and publish" button of a new page.
    #[serde(default)]
    action: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

fn notice(done: &str) -> &'static str {
    match done {
        "published" => "Published. Readers find it at its address now.",
        "unpublished" => "Taken down. Its address answers 404 and menus leave it out.",
        "menu" => "Saved. Every page shows the new menu now.",
        _ => "Saved.",
    }
}

/// Every page with its path, parents before their children.
fn rows(pages: &[PageSummary]) -> Vec<PageRow> {
    let paths = page_paths(pages);
    let mut out = Vec::new();
    fn walk(
        pages: &[PageSummary],
        paths: &HashMap<PageId, Vec<dateline_domain::Slug>>,
        parent: Option<PageId>,
        depth: usize,
        out: &mut Vec<PageRow>,
    ) {
        if depth > dateline_domain::Page::MAX_DEPTH {
            return;
        }
        for page in pages.iter().filter(|p| p.parent == parent) {
            out.push(PageRow {
                id: page.id.0,
                title: page.title.clone(),
                path: paths
                    .get(&page.id)
                    .map(|s| SitePath::page(s).decoded().into_owned())
                    .unwrap_or_default(),
                status: page.status.as_str(),
                depth,
            });
            walk(pages, paths, Some(page.id), depth + 1, out);
        }
    }
    walk(pages, &paths, None, 0, &mut out);
    out
}

pub async fn list_pages(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageSectionsAndTags)?;
    let pages = state.store.pages().await?;
    PagesPage {
        layout: AdminLayout::new(&state, "Pages", Some(&signed)).at("pages"),
        pages: rows(&pages),
        notice: query.done.as_deref().map(notice),
    }
    .respond(StatusCode::OK)
}

async fn editor(
    state: &AppState,
    signed: &SignedIn,
    id: Option<PageId>,
    form: PageForm,
    status: StatusCode,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<Response, AdminError> {
    let pages = state.store.pages().await?;
    let navigation = state.navigation().await?;
    let mut parents = vec![ParentChoice {
        id: String::new(),
        label: "None (a top-level page)".to_owned(),
        selected: form.parent.trim().is_empty(),
    }];
    parents.extend(
        rows(&pages)
            .into_iter()
            .filter(|row| Some(PageId(row.id)) != id)
            .map(|row| ParentChoice {
                selected: form.parent.trim() == row.id.to_string(),
                id: row.id.to_string(),
                label: format!("{}{} ({})", "— ".repeat(row.depth), row.title, row.path),
            }),
    );
    let public_link = id
        .and_then(|id| navigation.path_of(id))
        .map(|slugs| state.site().base().join(&SitePath::page(&slugs)));
    let shown = id
        .and_then(|id| navigation.path_of(id))
        .is_some_and(|slugs| {
            navigation
                .page_at(&SitePath::page(&slugs).decoded())
                .is_some()
        });
    let published = id.is_some_and(|id| {
        pages
            .iter()
            .any(|p| p.id == id && p.status == PageStatus::Published)
    });
    let title = if id.is_some() {
        "Edit page"
    } else {
        "New page"
    };
    PageEditor {
        layout: AdminLayout::new(state, title, Some(signed)).at("pages"),
        id: id.map(|id| id.0),
        form,
        parents,
        public_link,
        published,
        shown,
        error,
        notice,
    }
    .respond(status)
}

pub async fn new_page(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageSectionsAndTags)?;
    editor(
        &state,
        &signed,
        None,
        PageForm::default(),
        StatusCode::OK,
        None,
        None,
    )
    .await
}

pub async fn edit_page(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<PageId>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageSectionsAndTags)?;
    let page = state
        .store
        .page(id)
        .await?
        .ok_or(AdminError::Service(ServiceError::NotFound))?;
    let form = PageForm {
        title: page.summary.title,
        slug: page.summary.slug.to_string(),
        body: page.body,
        description: page.description,
        language: page.summary.language.to_string(),
        parent: page
            .summary
            .parent
            .map(|p| p.to_string())
            .unwrap_or_default(),
        position: page.summary.position.to_string(),
        action: String::new(),
    };
    editor(
        &state,
        &signed,
        Some(id),
        form,
        StatusCode::OK,
        None,
        query.done.as_deref().map(notice),
    )
    .await
}

fn input(form: &PageForm, status: PageStatus) -> PageInput {
    PageInput {
        title: form.title.clone(),
        slug: form.slug.clone(),
        body: form.body.clone(),
        description: form.description.clone(),
        language: form.language.clone(),
        parent: form.parent.clone(),
        position: form.position.clone(),
        status,
    }
}

pub async fn create_page(
    State(state): State<AppState>,
    signed: SignedIn,
    CsrfForm(form): CsrfForm<PageForm>,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageSectionsAndTags)?;
    let status = if form.action == "publish" {
        PageStatus::Published
    } else {
        PageStatus::Draft
    };
    let site = state.site();
    let now = state.clock.now();
    match pages::create_page(
        state.store.as_ref(),
        &signed.user,
        &input(&form, status),
        &site.locale,
        now,
    )
    .await
    {
        Ok(id) => {
            let done = if status == PageStatus::Published {
                "published"
            } else {
                "saved"
            };
            let to = SitePath::admin_page(id).with_query([("done", done)]);
            Ok(Redirect::to(to.as_str()).into_response())
        }
        Err(ServiceError::Invalid(problems)) => {
            editor(
                &state,
                &signed,
                None,
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(in_words(&problems)),
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn save_page(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<PageId>,
    CsrfForm(form): CsrfForm<PageForm>,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageSectionsAndTags)?;
    let current = state
        .store
        .page(id)
        .await?
        .ok_or(AdminError::Service(ServiceError::NotFound))?;
    let site = state.site();
    let now = state.clock.now();
    match pages::update_page(
        state.store.as_ref(),
        &signed.user,
        id,
        &input(&form, current.summary.status),
        &site.locale,
        now,
    )
    .await
    {
        Ok(()) => {
            let to = SitePath::admin_page(id).with_query([("done", "saved")]);
            Ok(Redirect::to(to.as_str()).into_response())
        }
        Err(ServiceError::Invalid(problems)) => {
            editor(
                &state,
                &signed,
                Some(id),
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(in_words(&problems)),
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `/admin/pages/{id}/publish` and `/admin/pages/{id}/unpublish`.
pub async fn move_page(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((id, step)): Path<(PageId, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageSectionsAndTags)?;
    let (status, done) = match step.as_str() {
        "publish" => (PageStatus::Published, "published"),
        "unpublish" => (PageStatus::Draft, "unpublished"),
        _ => return Err(AdminError::Service(ServiceError::NotFound)),
    };
    pages::set_page_status(
        state.store.as_ref(),
        &signed.user,
        id,
        status,
        state.clock.now(),
    )
    .await?;
    let to = SitePath::admin_page(id).with_query([("done", done)]);
    Ok(Redirect::to(to.as_str()).into_response())
}

/// One row of a menu form.
struct MenuFormRow {
    label: String,
    target: String,
    nested: bool,
    /// Why readers do not see it now (a page taken down), if so.
    broken: Option<String>,
}

struct MenuForm {
    name: &'static str,
    title: &'static str,
    rows: Vec<MenuFormRow>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/menus.html")]
struct MenusPage {
    layout: AdminLayout,
    menus: Vec<MenuForm>,
    /// Paths of the pages and sections, offered as targets.
    targets: Vec<String>,
    max_items: usize,
    max_label: usize,
    notice: Option<&'static str>,
}

/// Blank rows offered under a menu's items, for new ones.
const BLANK_ROWS: usize = 4;

fn title_of(menu: MenuName) -> &'static str {
    match menu {
        MenuName::Header => "Header menu",
        MenuName::Footer => "Footer menu",
    }
}

async fn stored_rows(state: &AppState, menu: MenuName) -> Result<Vec<MenuFormRow>, AdminError> {
    let store = state.store.as_ref();
    let pages = store.pages().await?;
    let paths = page_paths(&pages);
    let navigation = state.navigation().await?;
    let sections = state.sections().await?;
    let mut rows = Vec::new();
    for item in store.menu(menu).await? {
        let (target, broken) = match &item.target {
            MenuTarget::Page(id) => match paths.get(id) {
                Some(slugs) => {
                    let path = SitePath::page(slugs).decoded().into_owned();
                    let broken = navigation.page_at(&path).is_none().then(|| {
                        "not shown: the page (or a page above it) is not published".to_owned()
                    });
                    (path, broken)
                }
                None => (String::new(), Some("the page has no address".to_owned())),
            },
            MenuTarget::Section(id) => match sections.iter().find(|s| s.id == *id) {
                Some(s) => (SitePath::section(&s.slug).decoded().into_owned(), None),
                None => (String::new(), Some("the section is gone".to_owned())),
            },
            MenuTarget::Url(url) => (url.clone(), None),
        };
        rows.push(MenuFormRow {
            label: item.label,
            target,
            nested: item.nested,
            broken,
        });
    }
    Ok(rows)
}

fn with_blanks(mut rows: Vec<MenuFormRow>) -> Vec<MenuFormRow> {
    for _ in 0..BLANK_ROWS {
        rows.push(MenuFormRow {
            label: String::new(),
            target: String::new(),
            nested: false,
            broken: None,
        });
    }
    rows
}

async fn menus_page(
    state: &AppState,
    signed: &SignedIn,
    refused: Option<(MenuName, Vec<MenuFormRow>, String)>,
    notice: Option<&'static str>,
) -> Result<Response, AdminError> {
    let mut menus = Vec::new();
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut refused = refused;
    for menu in MenuName::ALL {
        let (rows, error) = match refused.take() {
            Some((name, rows, error)) if name == menu => (rows, Some(error)),
            other => {
                refused = other;
                (stored_rows(state, menu).await?, None)
            }
        };
        menus.push(MenuForm {
            name: menu.as_str(),
            title: title_of(menu),
            rows: with_blanks(rows),
            error,
        });
    }
    let pages = state.store.pages().await?;
    let mut targets: Vec<String> = page_paths(&pages)
        .values()
        .map(|slugs| SitePath::page(slugs).decoded().into_owned())
        .collect();
    targets.sort();
    targets.extend(
        state
            .sections()
            .await?
            .iter()
            .map(|s| SitePath::section(&s.slug).decoded().into_owned()),
    );
    MenusPage {
        layout: AdminLayout::new(state, "Menus", Some(signed)).at("menus"),
        menus,
        targets,
        max_items: MenuLimits::MAX_ITEMS,
        max_label: MenuLimits::MAX_LABEL_CHARS,
        notice,
    }
    .respond(status)
}

pub async fn list_menus(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageSectionsAndTags)?;
    menus_page(&state, &signed, None, query.done.as_deref().map(notice)).await
}

/// Reads a menu form's rows: `label_N`, `target_N` and `nested_N` for N from 0, in order of N.
fn form_rows(form: &HashMap<String, String>) -> Result<Vec<MenuRow>, AdminError> {
    let mut numbers: Vec<usize> = Vec::new();
    for key in form.keys() {
        if let Some(n) = key
            .strip_prefix("label_")
            .or_else(|| key.strip_prefix("target_"))
            .or_else(|| key.strip_prefix("nested_"))
        {
            let n: usize = n
                .parse()
                .map_err(|_| AdminError::BadRequest(format!("unknown field {key}")))?;
            if n >= MenuLimits::MAX_ITEMS + BLANK_ROWS {
                return Err(AdminError::BadRequest(format!(
                    "a menu holds at most {} items",
                    MenuLimits::MAX_ITEMS
                )));
            }
            if !numbers.contains(&n) {
                numbers.push(n);
            }
        }
    }
    numbers.sort_unstable();
    let field = |name: &str, n: usize| form.get(&format!("{name}_{n}")).cloned();
    Ok(numbers
        .into_iter()
        .map(|n| MenuRow {
            label: field("label", n).unwrap_or_default(),
            target: field("target", n).unwrap_or_default(),
            nested: field("nested", n).is_some_and(|v| !v.is_empty()),
        })
        .collect())
}

/// `/admin/menus/{menu}`: the whole menu at once.
pub async fn save_menu(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(name): Path<String>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageSectionsAndTags)?;
    let menu = MenuName::parse(&name).map_err(|_| AdminError::Service(ServiceError::NotFound))?;
    let rows = form_rows(&form)?;
    match pages::save_menu(state.store.as_ref(), &signed.user, menu, &rows).await {
        Ok(()) => {
            let to = SitePath::ADMIN_MENUS.with_query([("done", "menu")]);
            Ok(Redirect::to(to.as_str()).into_response())
        }
        Err(ServiceError::Invalid(problems)) => {
            let typed = rows
                .into_iter()
                .filter(|r| !(r.label.trim().is_empty() && r.target.trim().is_empty()))
                .map(|r| MenuFormRow {
                    label: r.label,
                    target: r.target,
                    nested: r.nested,
                    broken: None,
                })
                .collect();
            menus_page(
                &state,
                &signed,
                Some((menu, typed, in_words(&problems))),
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
