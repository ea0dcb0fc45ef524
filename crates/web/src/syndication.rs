//! Feeds, sitemaps, `robots.txt` and the logo over HTTP, with conditional GET.
//!
//! The documents are built by `dateline_services::syndication`; this module finds the listing a
//! path names, picks the format, and answers `If-None-Match` / `If-Modified-Since` with a 304.
//! The `ETag` is a hash of the document itself, so it changes exactly when the bytes do;
//! `Last-Modified` is when anything in the listing last changed (unpublishing included).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

use dateline_domain::paths::Front;
use dateline_domain::{CacheKey, SitePath, Slug};
use dateline_services::syndication::{
    self, FEED_ITEMS, FeedFormat, FeedScope, SITEMAP_PAGE_SIZE, SitemapPage,
};

use crate::AppState;
use crate::cache::CacheTags;
use crate::error::WebError;
use crate::validators::{fnv1a, http_date, parse_http_date};

/// Width and height in pixels of the site's logo ([`SitePath::LOGO`]): the publisher logo in
/// structured data.
pub const LOGO_SIZE: (u32, u32) = (600, 60);
/// Width and height in pixels of the image shown for an article that has none of its own
/// ([`SitePath::DEFAULT_IMAGE`]: social cards, structured data).
pub const DEFAULT_IMAGE_SIZE: (u32, u32) = (1200, 630);

const LOGO_PNG: &[u8] = include_bytes!("../static/logo.png");
const DEFAULT_IMAGE_PNG: &[u8] = include_bytes!("../static/default-image.png");
const LOGO_SVG: &str = include_str!("../static/logo.svg");

/// Feed, sitemap and robots routes.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for format in FeedFormat::ALL {
        router = router.route(
            SitePath::HOME.feed(format).as_str(),
            get(move |s: State<AppState>, h: HeaderMap| site_feed(s, h, format)),
        );
        for front in Front::ALL {
            router = router.route(
                &format!("/{}/{{slug}}/{}", front.prefix(), format.file_name()),
                get(move |s: State<AppState>, p: Path<String>, h: HeaderMap| {
                    front_feed(s, p, h, front, format)
                }),
            );
        }
    }
    router
        .route(SitePath::ROBOTS.as_str(), get(show_robots))
        .route(SitePath::SITEMAP_INDEX.as_str(), get(show_sitemap_index))
        .route("/sitemaps/{file}", get(show_sitemap))
        .route(
            SitePath::LOGO.as_str(),
            get(|| image(LOGO_PNG, "image/png")),
        )
        .route(
            SitePath::DEFAULT_IMAGE.as_str(),
            get(|| image(DEFAULT_IMAGE_PNG, "image/png")),
        )
        .route(
            SitePath::LOGO_SVG.as_str(),
            get(|| image(LOGO_SVG.as_bytes(), "image/svg+xml")),
        )
}

async fn site_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    format: FeedFormat,
) -> Result<Response, WebError> {
    let site = state.site();
    let response = show_feed(&state, &headers, FeedScope::site(&site), format).await?;
    Ok(cacheable(response, CacheKey::Latest))
}

async fn front_feed(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    front: Front,
    format: FeedFormat,
) -> Result<Response, WebError> {
    let slug = Slug::parse(&raw).map_err(|_| WebError::NotFound)?;
    let site = state.site();
    let store = state.store.as_ref();
    let (scope, key) = match front {
        Front::Section => store
            .section_by_slug(&slug)
            .await?
            .map(|s| (FeedScope::section(&site, &s), CacheKey::Section(s.id))),
        Front::Tag => store
            .tag_by_slug(&slug)
            .await?
            .map(|t| (FeedScope::tag(&site, &t), CacheKey::Tag(t.id))),
        Front::Author => store
            .author_by_slug(&slug)
            .await?
            .map(|a| (FeedScope::author(&site, &a), CacheKey::Author(a.id))),
    }
    .ok_or(WebError::NotFound)?;
    let response = show_feed(&state, &headers, scope, format).await?;
    Ok(cacheable(response, key))
}

/// Lets the page cache keep a full (200) response until something under `key` changes.
fn cacheable(mut response: Response, key: CacheKey) -> Response {
    if response.status() == StatusCode::OK {
        response
            .extensions_mut()
            .insert(CacheTags(BTreeSet::from([key])));
    }
    response
}

async fn show_feed(
    state: &AppState,
    headers: &HeaderMap,
    scope: FeedScope,
    format: FeedFormat,
) -> Result<Response, WebError> {
    let site = state.site();
    let feed = syndication::feed(state.store.as_ref(), &site, &scope, FEED_ITEMS).await?;
    let content_type = format!("{}; charset=utf-8", format.media_type());
    Ok(conditional(
        headers,
        feed.render(format),
        &content_type,
        Some(feed.last_modified),
    ))
}

async fn show_robots(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let body = syndication::robots_txt(&state.site());
    conditional(&headers, body, "text/plain; charset=utf-8", None)
}

async fn show_sitemap_index(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let body = syndication::sitemap_index(
        state.store.as_ref(),
        &state.site(),
        state.clock.now(),
        SITEMAP_PAGE_SIZE,
    )
    .await?;
    let response = conditional(&headers, body, "application/xml; charset=utf-8", None);
    Ok(cacheable(response, CacheKey::Latest))
}

async fn show_sitemap(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let page = SitemapPage::parse(&file).ok_or(WebError::NotFound)?;
    let body = syndication::sitemap(
        state.store.as_ref(),
        &state.site(),
        &page,
        state.clock.now(),
        SITEMAP_PAGE_SIZE,
    )
    .await?
    .ok_or(WebError::NotFound)?;
    let response = conditional(&headers, body, "application/xml; charset=utf-8", None);
    Ok(cacheable(response, CacheKey::Latest))
}

async fn image(bytes: &'static [u8], content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}

/// The document with its validators, or a 304 when the client's copy is current.
///
/// `If-None-Match` wins over `If-Modified-Since` when both are sent (RFC 9110 §13.2.2).
fn conditional(
    request: &HeaderMap,
    body: String,
    content_type: &str,
    last_modified: Option<DateTime<Utc>>,
) -> Response {
    let etag = format!("\"{:016x}\"", fnv1a(body.as_bytes()));
    let last_modified = last_modified.map(http_date);
    let fresh = if let Some(tags) = request.get(header::IF_NONE_MATCH) {
        tags.to_str().is_ok_and(|tags| {
            tags.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == etag)
        })
    } else if let (Some(since), Some(modified)) = (
        request
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date),
        last_modified.as_deref().and_then(parse_http_date),
    ) {
        modified <= since
    } else {
        false
    };
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = body.into_response();
        if let Ok(value) = HeaderValue::from_str(content_type) {
            response.headers_mut().insert(header::CONTENT_TYPE, value);
        }
        response
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if let Some(value) = last_modified.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::LAST_MODIFIED, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).unwrap());
        headers
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn matching_etag_is_304_and_other_etags_are_200() {
        let first = conditional(&HeaderMap::new(), "doc".into(), "text/plain", None);
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        let again = conditional(
            &request(header::IF_NONE_MATCH, &format!("\"x\", W/{etag}")),
            "doc".into(),
            "text/plain",
            None,
        );
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers()[header::ETAG], etag.as_str());
        let changed = conditional(
            &request(header::IF_NONE_MATCH, &etag),
            "doc, changed".into(),
            "text/plain",
            None,
        );
        assert_eq!(changed.status(), StatusCode::OK);
    }

    #[test]
    fn if_modified_since_compares_whole_seconds_and_yields_to_etags() {
        let modified = at("2024-04-16T10:00:00.700Z");
        let since = |value: &str| {
            conditional(
                &request(header::IF_MODIFIED_SINCE, value),
                "doc".into(),
                "text/plain",
                Some(modified),
            )
            .status()
        };
        assert_eq!(
            since("Tue, 16 Apr 2024 10:00:00 GMT"),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(since("Tue, 16 Apr 2024 09:59:59 GMT"), StatusCode::OK);
        assert_eq!(since("not a date"), StatusCode::OK);
        let mut both = request(header::IF_MODIFIED_SINCE, "Tue, 16 Apr 2024 11:00:00 GMT");
        both.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"stale\""));
        let response = conditional(&both, "doc".into(), "text/plain", Some(modified));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::LAST_MODIFIED],
            "Tue, 16 Apr 2024 10:00:00 GMT"
        );
    }
}
