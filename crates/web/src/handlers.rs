//! Request handlers, one per page type, named verb_noun.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use dateline_domain::{CacheKey, Cursor, Direction, Listing, PageRequest, SitePath, Slug};
use dateline_services::reading;
use dateline_services::syndication::FeedScope;

use crate::AppState;
use crate::cache::CacheTags;
use crate::error::WebError;
use crate::layout::Layout;
use crate::metadata;
use crate::views::{ArticlePage, FrontPage, Pager, Teaser};

/// Articles per page of a front.
pub const PAGE_SIZE: u32 = 20;

const STYLESHEET: &str = include_str!("../static/style.css");

/// The stylesheet's URL, with a content hash so it can be cached forever.
pub static STYLESHEET_HREF: LazyLock<String> = LazyLock::new(|| {
    let hash = crate::validators::fnv1a(STYLESHEET.as_bytes());
    format!("/static/style.css?v={:08x}", hash as u32)
});

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        STYLESHEET,
    )
        .into_response()
}

const EMBED_SCRIPT: &str = include_str!("../static/embed.js");

/// The address of the script that loads an embed's player when the reader asks, with a content
/// hash so it can be cached forever. Only article pages with an embed name it: the site needs no
/// script to be read.
pub static EMBED_SCRIPT_HREF: LazyLock<String> = LazyLock::new(|| {
    let hash = crate::validators::fnv1a(EMBED_SCRIPT.as_bytes());
    format!("/static/embed.js?v={:08x}", hash as u32)
});

pub async fn embed_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        EMBED_SCRIPT,
    )
        .into_response()
}

pub async fn health(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %dateline_services::Chain(&e), "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
    }
}

/// No page answers at this address. An old address kept in the redirects table (a WordPress
/// permalink, a category or feed, an old slug) answers 301 to its new home; a WordPress-style
/// address ending in a slash, 301 to the same without it; anything else 404. Only misses come
/// here: a page that exists never costs this lookup.
pub async fn not_found(State(state): State<AppState>, uri: Uri) -> Result<Response, WebError> {
    let raw = uri.path();
    let decoded = dateline_domain::paths::decode(raw);
    if let Some(page) = show_page(&state, &decoded).await? {
        return Ok(page);
    }
    let trimmed = decoded.trim_end_matches('/');
    if !trimmed.is_empty() {
        if let Some(to) = state.store.redirect(trimmed).await? {
            return Ok(moved_to(&to));
        }
        if let Some(search) = date_archive(trimmed) {
            return Ok(Redirect::permanent(&search).into_response());
        }
        let without = raw.trim_end_matches('/');
        // Never `//host` or `/\host`: a browser reads either as another site.
        let same_site = !without.starts_with("//") && !without.starts_with("/\\");
        if raw.ends_with('/') && same_site {
            return Ok(Redirect::permanent(without).into_response());
        }
    }
    Err(WebError::NotFound)
}

/// WordPress's links by number, `/?p=ID`, `/?page_id=ID` and `/?attachment_id=ID`, answer 301 to the imported post when
/// the redirects table knows them; the home page otherwise. Only the home page with such a
/// parameter pays for the lookup.
pub async fn old_query_links(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let numbered = (request.uri().path() == "/")
        .then(|| request.uri().query())
        .flatten()
        .and_then(|query| {
            query.split('&').find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                let wanted = matches!(key, "p" | "page_id" | "attachment_id")
                    && !value.is_empty()
                    && value.len() <= 20
                    && value.bytes().all(|b| b.is_ascii_digit());
                wanted.then(|| format!("/?{key}={value}"))
            })
        });
    if let Some(old) = numbered {
        match state.store.redirect(&old).await {
            Ok(Some(to)) => return moved_to(&to),
            Ok(None) => {}
            Err(e) => return WebError::from(e).into_response(),
        }
    }
    next.run(request).await
}

/// An old date archive, `/2021/08/` (or a year, or a day): the search page for that time.
fn date_archive(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let year = number(parts.first()?, 4)?;
    let (from, until) = match parts.as_slice() {
        [_] => (
            chrono::NaiveDate::from_ymd_opt(year as i32, 1, 1)?,
            chrono::NaiveDate::from_ymd_opt(year as i32, 12, 31)?,
        ),
        [_, month] => {
            let first = chrono::NaiveDate::from_ymd_opt(year as i32, number(month, 2)?, 1)?;
            let next = first.checked_add_months(chrono::Months::new(1))?;
            (first, next.pred_opt()?)
        }
        [_, month, day] => {
            let date =
                chrono::NaiveDate::from_ymd_opt(year as i32, number(month, 2)?, number(day, 2)?)?;
            (date, date)
        }
        _ => return None,
    };
    Some(format!("/search?from={from}&until={until}"))
}

/// A 301 to a path as the redirects table stores it (decoded).
fn moved_to(to: &str) -> Response {
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, String::from(SitePath::from_stored(to)))],
    )
        .into_response()
}

fn slug(raw: &str) -> Result<Slug, WebError> {
    Slug::parse(raw).map_err(|_| WebError::NotFound)
}

pub async fn show_article(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    if let Some(raw) = raw.strip_suffix(SitePath::NINJS_SUFFIX) {
        return show_article_ninjs(&state, raw).await;
    }
    let slug = slug(&raw)?;
    let site = state.site();
    let Some(article) = reading::published_article(state.store.as_ref(), &site, &slug).await?
    else {
        // A top-level page shares the first segment with articles.
        if let Some(page) = show_page(&state, &SitePath::article(&slug).decoded()).await? {
            return Ok(page);
        }
        return Err(not_shown(&state, &slug).await?);
    };
    let corrections = state.store.corrections(article.article.id).await?;
    let featured = state
        .store
        .featured_images(&[article.article.id])
        .await?
        .into_iter()
        .next()
        .map(|(_, image)| image);
    let layout = Layout::build(
        &state,
        article.article.search_title(),
        article.article.section.slug.as_str(),
    )
    .await?
    .with_description(article.article.search_description())
    .with_canonical(&site, &SitePath::article(&slug))
    .with_head(metadata::article_head(
        &article,
        &corrections,
        featured.as_ref(),
        &site,
    ));
    let mut keys: BTreeSet<CacheKey> = article
        .references
        .iter()
        .map(|id| CacheKey::Article(*id))
        .collect();
    keys.insert(CacheKey::Article(article.article.id));
    let related =
        crate::search::related_block(&state, article.article.id, &article.references).await;
    // The Related block shows the stored list's articles: the page changes when the list or any
    // of them does.
    keys.insert(CacheKey::Related(article.article.id));
    keys.extend(related.iter().map(|s| CacheKey::Article(s.id)));
    // The comments shown, and whether any are, change with a comment's status and the setting
    // (which drops every cached page).
    keys.insert(CacheKey::Comments(article.article.id));
    let (comments, more_comments) = if site.show_comments {
        // One more than are shown, to learn whether there are more.
        let mut approved = state
            .store
            .approved_comments(article.article.id, MAX_SHOWN_COMMENTS + 1)
            .await?;
        let more = approved.len() > MAX_SHOWN_COMMENTS as usize;
        approved.truncate(MAX_SHOWN_COMMENTS as usize);
        (
            Some(crate::views::CommentView::threads(&approved, &site)),
            more,
        )
    } else {
        (None, false)
    };
    let mut page = ArticlePage::new(layout, article, &site).with_related(&related, &site);
    page.comments = comments;
    page.more_comments = more_comments;
    page.corrections = crate::views::Note::list(&corrections, &site);
    page.featured = featured.map(|image| crate::views::Picture::new(&image, 960));
    Ok(cacheable(page.render()?, keys))
}

/// The standing page readers can see at `path` (decoded, as the router hands it), if any.
async fn show_page(state: &AppState, path: &str) -> Result<Option<Response>, WebError> {
    let navigation = state.navigation().await?;
    let Some(id) = navigation.page_at(path) else {
        return Ok(None);
    };
    let Some((page, parents)) =
        dateline_services::pages::shown_page(state.store.as_ref(), &navigation, id).await?
    else {
        return Ok(None);
    };
    let site = state.site();
    let Some(slugs) = navigation.path_of(id) else {
        return Ok(None);
    };
    let href = SitePath::page(&slugs);
    let layout = Layout::build(state, &page.summary.title, "")
        .await?
        .with_description(&page.description)
        .with_canonical(&site, &href);
    let crumbs = parents
        .iter()
        .enumerate()
        .map(|(n, parent)| crate::views::Link {
            href: SitePath::page(&slugs[..=n]).into(),
            name: parent.title.clone(),
        })
        .collect();
    let view = crate::views::StandingPage {
        layout,
        title: page.summary.title.clone(),
        href: href.into(),
        lang: page.summary.language.to_string(),
        dir: page.summary.language.direction().as_str(),
        crumbs,
        body: page.body_html,
    };
    Ok(Some(cacheable(
        view.render()?,
        BTreeSet::from([CacheKey::Pages]),
    )))
}

/// Why there is no published article at `slug`: a taken-down article is gone on purpose (410),
/// anything else was never there (404).
async fn not_shown(state: &AppState, slug: &Slug) -> Result<WebError, WebError> {
    Ok(match state.store.article_by_slug(slug).await? {
        Some(a) if a.status == dateline_domain::ArticleStatus::Unpublished => WebError::Gone,
        Some(_) => WebError::NotFound,
        None => match state.store.redirect(&format!("/{}", slug.as_str())).await? {
            Some(to) => WebError::Moved(SitePath::from_stored(&to).into()),
            None => WebError::NotFound,
        },
    })
}

/// The article as IPTC ninjs 3.2. Not kept by the page cache: its sources can change without
/// the article changing.
async fn show_article_ninjs(state: &AppState, raw: &str) -> Result<Response, WebError> {
    let slug = slug(raw)?;
    let site = state.site();
    let Some((_, document)) =
        dateline_services::ninjs::article(state.store.as_ref(), &site, &slug).await?
    else {
        return Err(not_shown(state, &slug).await?);
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        format!("{document:#}\n"),
    )
        .into_response())
}

/// A page the cache may keep until something in `keys` changes.
fn cacheable(html: String, keys: BTreeSet<CacheKey>) -> Response {
    let mut response = Html(html).into_response();
    response.extensions_mut().insert(CacheTags(keys));
    response
}

/// WordPress-style links end in a slash; ours do not.
pub async fn redirect_trailing_slash(Path(raw): Path<String>) -> Result<Redirect, WebError> {
    let slug = slug(&raw)?;
    Ok(Redirect::permanent(SitePath::article(&slug).as_str()))
}

/// `?before=<cursor>` or `?after=<cursor>`: the only parameters a front reads.
///
/// The first value of each counts; every other parameter (`utm_source`, `fbclid`, ...) is
/// ignored, and an unreadable cursor means the first page. The page cache keys a front on
/// [`PageQuery::cache_suffix`] of the same parse, so a cached page and a fresh render agree and
/// junk in the query string cannot make a page a cache miss.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PageQuery {
    cursor: Option<(Direction, Cursor)>,
}

impl PageQuery {
    /// Reads the paging cursor from a request's address; reading cannot fail.
    pub fn from_uri(uri: &Uri) -> Self {
        let pairs: Vec<(String, String)> = Query::try_from_uri(uri)
            .map(|Query(pairs)| pairs)
            .unwrap_or_default();
        let first = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        // `before` wins when both are given.
        let cursor = match (first("before"), first("after")) {
            (Some(c), _) => Cursor::parse(c).map(|c| (Direction::Older, c)),
            (None, Some(c)) => Cursor::parse(c).map(|c| (Direction::Newer, c)),
            (None, None) => None,
        };
        Self { cursor }
    }

    /// What the page depends on, as a canonical query string: empty for the first page.
    pub fn cache_suffix(&self) -> String {
        match self.cursor {
            None => String::new(),
            Some((Direction::Older, c)) => format!("?before={}", c.encode()),
            Some((Direction::Newer, c)) => format!("?after={}", c.encode()),
        }
    }

    fn request(&self) -> PageRequest {
        // One more than a page, to learn whether there is a next one.
        PageRequest {
            cursor: self.cursor,
            limit: PAGE_SIZE + 1,
        }
    }
}

/// Comments an article page shows at most, the oldest first: a page is rendered whole and kept
/// in memory, and a comment may be 64 KB.
pub const MAX_SHOWN_COMMENTS: u32 = 300;

/// Pinned stories the home page shows at most, the latest pin first.
pub const MAX_PINNED: u32 = 3;

/// One page of a listing, with links to its neighbours.
async fn front(
    state: &AppState,
    listing: Listing,
    query: &PageQuery,
    path: &SitePath,
    mut layout: Layout,
    heading: String,
    show_heading: bool,
) -> Result<Response, WebError> {
    let site = state.site();
    let request = query.request();
    let mut items = state.store.list_published(listing, request).await?;
    let full = items.len() > PAGE_SIZE as usize;
    let (has_newer, has_older) = match request.cursor {
        None => (false, full),
        Some((Direction::Older, _)) => (true, full),
        Some((Direction::Newer, _)) => (full, true),
    };
    if full {
        match request.cursor {
            Some((Direction::Newer, _)) => drop(items.remove(0)),
            _ => items.truncate(PAGE_SIZE as usize),
        }
    }
    let cursor_of = |s: &dateline_domain::ArticleSummary| {
        s.published_at.map(|published_at| {
            Cursor {
                published_at,
                id: s.id,
            }
            .encode()
        })
    };
    let pager = Pager {
        newer: has_newer
            .then(|| {
                items
                    .first()
                    .and_then(cursor_of)
                    .map(|c| path.clone().with_query([("after", c)]).into())
            })
            .flatten(),
        older: has_older
            .then(|| {
                items
                    .last()
                    .and_then(cursor_of)
                    .map(|c| path.clone().with_query([("before", c)]).into())
            })
            .flatten(),
    };
    let first_page = request.cursor.is_none();
    if first_page {
        layout = layout.with_canonical(&site, path);
    }
    // Stories pinned by the editors lead the home page (after the pager was worked out from the
    // latest stories alone, so the next page starts where this one's latest end).
    if first_page && listing == Listing::Latest {
        let pinned = state.store.pinned(MAX_PINNED).await?;
        if !pinned.is_empty() {
            items.retain(|s| !pinned.iter().any(|p| p.id == s.id));
            items.splice(0..0, pinned);
        }
    }
    let description = layout.description.clone();
    layout = layout.with_head(metadata::collection_head(
        &site,
        path,
        &heading,
        &description,
    ));
    let ids: Vec<_> = items.iter().map(|s| s.id).collect();
    let mut images: std::collections::HashMap<_, _> = state
        .store
        .featured_images(&ids)
        .await?
        .into_iter()
        .collect();
    let teasers = items
        .iter()
        .map(|s| {
            let mut teaser = Teaser::new(s, &site);
            teaser.image = images
                .remove(&s.id)
                .map(|image| Box::new(crate::views::Picture::new(&image, 640)));
            teaser
        })
        .collect();
    let page = FrontPage {
        layout,
        heading,
        show_heading,
        lead: first_page && listing == Listing::Latest,
        teasers,
        pager,
    };
    let key = match listing {
        Listing::Latest => CacheKey::Latest,
        Listing::Section(id) => CacheKey::Section(id),
        Listing::Tag(id) => CacheKey::Tag(id),
        Listing::Author(id) => CacheKey::Author(id),
    };
    Ok(cacheable(page.render()?, BTreeSet::from([key])))
}

pub async fn show_home(State(state): State<AppState>, uri: Uri) -> Result<Response, WebError> {
    let site = state.site();
    let layout = Layout::build(&state, "Latest news", "")
        .await?
        .with_description(&format!("Latest news from {}", site.name));
    front(
        &state,
        Listing::Latest,
        &PageQuery::from_uri(&uri),
        &SitePath::HOME,
        layout,
        "Latest news".to_owned(),
        false,
    )
    .await
}

/// The front at `path` is gone: a 301 to the one it was merged into, or 404. The redirects
/// table holds paths decoded, as people type them.
async fn moved_front(state: &AppState, path: &SitePath) -> Result<Response, WebError> {
    match state.store.redirect(&path.decoded()).await? {
        Some(to) => Ok(moved_to(&to)),
        None => Err(WebError::NotFound),
    }
}

pub async fn show_section(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    uri: Uri,
) -> Result<Response, WebError> {
    let slug = slug(&raw)?;
    let Some(section) = state.store.section_by_slug(&slug).await? else {
        return moved_front(&state, &SitePath::section(&slug)).await;
    };
    let layout = Layout::build(&state, &section.name, section.slug.as_str())
        .await?
        .with_description(&format!("The latest {} news", section.name))
        .with_front_feeds(&FeedScope::section(&state.site(), &section));
    let path = SitePath::section(&section.slug);
    front(
        &state,
        Listing::Section(section.id),
        &PageQuery::from_uri(&uri),
        &path,
        layout,
        section.name,
        true,
    )
    .await
}

pub async fn show_tag(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    uri: Uri,
) -> Result<Response, WebError> {
    let slug = slug(&raw)?;
    let Some(tag) = state.store.tag_by_slug(&slug).await? else {
        return moved_front(&state, &SitePath::tag(&slug)).await;
    };
    let layout = Layout::build(&state, &tag.name, "")
        .await?
        .with_description(&format!("Stories about {}", tag.name))
        .with_front_feeds(&FeedScope::tag(&state.site(), &tag));
    let path = SitePath::tag(&tag.slug);
    front(
        &state,
        Listing::Tag(tag.id),
        &PageQuery::from_uri(&uri),
        &path,
        layout,
        tag.name,
        true,
    )
    .await
}

pub async fn show_author(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    uri: Uri,
) -> Result<Response, WebError> {
    let author = state
        .store
        .author_by_slug(&slug(&raw)?)
        .await?
        .ok_or(WebError::NotFound)?;
    let layout = Layout::build(&state, &author.name, "")
        .await?
        .with_description(&format!("Stories by {}", author.name))
        .with_front_feeds(&FeedScope::author(&state.site(), &author));
    let path = SitePath::author(&author.slug);
    front(
        &state,
        Listing::Author(author.id),
        &PageQuery::from_uri(&uri),
        &path,
        layout,
        author.name,
        true,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_archives_lead_to_the_search_for_their_time() {
        assert_eq!(
            date_archive("/2021/08").as_deref(),
            Some("/search?from=2021-08-01&until=2021-08-31")
        );
        assert_eq!(
            date_archive("/2024/02").as_deref(),
            Some("/search?from=2024-02-01&until=2024-02-29")
        );
        assert_eq!(
            date_archive("/2021").as_deref(),
            Some("/search?from=2021-01-01&until=2021-12-31")
        );
        assert_eq!(
            date_archive("/2021/08/25").as_deref(),
            Some("/search?from=2021-08-25&until=2021-08-25")
        );
        for not_one in [
            "/2021/13",
            "/2021/02/30",
            "/21/08",
            "/2021/8",
            "/abcd",
            "/2021/08/25/x",
        ] {
            assert_eq!(date_archive(not_one), None, "{not_one}");
        }
    }
}
