//! Search and related articles over HTTP: the `/search` page (a plain form, no JavaScript needed),
//! the `/api/search` and `/api/related` JSON endpoints.
//!
//! Parameters are parsed into a domain [`SearchQuery`] here; a bad one is a clear message (on the
//! page, or the API's JSON error with 400), never an error from deeper down. The query text itself is never invalid:
//! whatever a reader types is searched for as well as it can be.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use dateline_domain::search::MAX_SEARCH_LIMIT;
use dateline_domain::{
    ArticleId, ArticleSummary, SearchHit, SearchIndex, SearchQuery, SearchSort, SitePath,
    SiteSettings, Slug, SnippetPart, WarmingUp, query_text,
};
use dateline_services::body::escape_html;
use dateline_services::related;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, WebError};
use crate::layout::Layout;
use crate::views::Moment;

/// Results per page on the search page.
pub const RESULTS_PER_PAGE: usize = 10;
/// The deepest page one can ask for.
const MAX_PAGE: usize = 100;
/// Related articles at the end of an article page.
pub const RELATED_ON_PAGE: usize = 4;
/// Related articles the API returns unless asked otherwise.
const RELATED_DEFAULT: usize = 5;

/// What the web layer keeps of search.
#[derive(Clone)]
pub struct SearchHandle {
    pub index: Arc<dyn SearchIndex>,
    /// The stored related lists, when article pages end with related articles.
    pub related: Option<Arc<related::RelatedLists>>,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/search", get(show_search))
        .route("/api/search", get(search_api))
        .route("/api/related", get(related_api))
}

/// Query-string pairs; the first value of each name counts. Reading pairs cannot fail, so a
/// malformed query string is judged here, with a message, like any other bad input.
type Params = Query<Vec<(String, String)>>;

/// The pairs with control characters dropped from every value ([`query_text`]): a NUL typed
/// or pasted into the search box is not something anyone searches for, and must reach neither
/// the index nor the database nor a message.
fn typed(Query(params): Params) -> Vec<(String, String)> {
    params
        .into_iter()
        .map(|(name, value)| (name, query_text(&value)))
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The search a request asks for, or every reason it cannot be run.
struct Request {
    query: SearchQuery,
    page: usize,
}

fn parse_request(
    params: &[(String, String)],
    site: &SiteSettings,
    per_page: usize,
) -> Result<Request, Vec<String>> {
    let mut errors = Vec::new();
    let sort = match param(params, "sort") {
        None => SearchSort::Relevance,
        Some(s) => SearchSort::parse(s).unwrap_or_else(|| {
            errors.push(format!(
                "unknown sort '{}': use relevance or newest",
                shorten(s)
            ));
            SearchSort::Relevance
        }),
    };
    let mut slug = |name: &str| {
        param(params, name).and_then(|s| match Slug::parse(s) {
            Ok(slug) => Some(slug),
            Err(_) => {
                errors.push(format!("{name} '{}' is not a valid name", shorten(s)));
                None
            }
        })
    };
    let section = slug("section");
    let tag = slug("tag");
    let author = slug("author");
    let mut day = |name: &str| {
        param(params, name).and_then(|s| match parse_day(s, site) {
            Some(t) => Some(t),
            None => {
                errors.push(format!(
                    "{name} '{}' is not a date: use YYYY-MM-DD",
                    shorten(s)
                ));
                None
            }
        })
    };
    let from = day("from");
    // `until` is inclusive: the whole of that day.
    let until = day("until").map(|t| t + chrono::Duration::days(1));
    if let (Some(f), Some(u)) = (from, until)
        && f >= u
    {
        errors.push("from must not be after until".to_owned());
    }
    let mut number = |name: &str, max: usize, default: usize| match param(params, name) {
        None => default,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                errors.push(format!(
                    "{name} '{}' must be a number from 1 to {max}",
                    shorten(s)
                ));
                default
            }
        },
    };
    let page = number("page", MAX_PAGE, 1);
    let per_page = number("per_page", MAX_SEARCH_LIMIT, per_page);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Request {
        query: SearchQuery {
            text: param(params, "q").unwrap_or_default().to_owned(),
            sort,
            section,
            tag,
            author,
            from,
            until,
            offset: (page - 1) * per_page,
            limit: per_page,
        },
        page,
    })
}

/// The start of a day in the publication's time zone.
fn parse_day(s: &str, site: &SiteSettings) -> Option<DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    site.time_zone
        .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// A bad value quoted back, cut short.
fn shorten(s: &str) -> String {
    let mut short: String = s.chars().take(40).collect();
    if short.len() < s.len() {
        short.push('…');
    }
    short
}

/// A snippet as HTML: every piece escaped, then the matched ones wrapped in `<mark>`.
fn snippet_html(parts: &[SnippetPart]) -> String {
    parts
        .iter()
        .map(|p| {
            if p.marked {
                format!("<mark>{}</mark>", escape_html(&p.text))
            } else {
                escape_html(&p.text)
            }
        })
        .collect()
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// Seconds a reader or client is asked to wait while the index warms up.
const WARMING_RETRY_SECS: u64 = 30;

/// What a search is told while this node builds its index for the first time.
fn warming_message(warming: WarmingUp) -> String {
    format!(
        "Search is warming up: {} of at most {} articles indexed so far. Please try again in a minute.",
        warming.indexed, warming.total
    )
}

/// A 503 with `Retry-After`, for a search that came while the index warms up.
fn warming_response(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(WARMING_RETRY_SECS),
    );
    response
}

fn hit_json(hit: &SearchHit, site: &SiteSettings) -> Value {
    json!({
        "id": hit.id.0,
        "url": site.base().join(&SitePath::article(&hit.slug)),
        "path": SitePath::article(&hit.slug).as_str(),
        "headline": hit.headline,
        "section": { "slug": hit.section_slug.as_str(), "name": hit.section_name },
        "language": hit.language.as_str(),
        "published_at": hit.published_at.to_rfc3339(),
    })
}

/// The API's answer when this node runs without search.
fn no_search() -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "search is not available")
}

/// `GET /api/search?q=&sort=&section=&tag=&author=&from=&until=&page=&per_page=`
pub async fn search_api(
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let params = typed(params);
    let search = state.search.clone().ok_or_else(no_search)?;
    let site = state.site();
    let request = parse_request(&params, &site, RESULTS_PER_PAGE)
        .map_err(|errors| ApiError::new(StatusCode::BAD_REQUEST, errors.join("; ")))?;
    let q = &request.query;
    if q.text.is_empty() && !q.has_filters() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "give words to search for (q) or a filter (section, tag, author, from, until)",
        ));
    }
    if let Some(warming) = search.index.warming_up() {
        return Err(
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, warming_message(warming))
                .with_code("warming_up")
                .retry_after(WARMING_RETRY_SECS)
                .with(
                    "warming_up",
                    json!({ "indexed": warming.indexed, "total": warming.total }),
                ),
        );
    }
    let results = search.index.search(q).await?;
    let hits: Vec<Value> = results
        .hits
        .iter()
        .map(|hit| {
            let mut value = hit_json(hit, &site);
            value["snippet"] = hit.snippet.iter().map(|p| p.text.as_str()).collect();
            value["snippet_html"] = snippet_html(&hit.snippet).into();
            value
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "query": q.text,
            "sort": q.sort.as_str(),
            "total": results.total,
            "page": request.page,
            "per_page": q.limit,
            "results": hits,
        }),
    ))
}

/// `GET /api/related?article=ID&limit=N`: related published articles of a published article.
pub async fn related_api(
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let params = typed(params);
    let search = state.search.clone().ok_or_else(no_search)?;
    let id = param(&params, "article")
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "give an article id: ?article=ID"))?;
    let id = id.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("article '{}' is not an article id", shorten(id)),
        )
    })?;
    let limit = match param(&params, "limit").map(str::parse::<usize>) {
        None => RELATED_DEFAULT,
        Some(Ok(n)) if (1..=MAX_SEARCH_LIMIT).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("limit must be a number from 1 to {MAX_SEARCH_LIMIT}"),
            ));
        }
    };
    let site = state.site();
    let hits = related::related_to_published(
        state.store.as_ref(),
        search.index.as_ref(),
        ArticleId(id),
        limit,
    )
    .await?
    .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no published article has this id"))?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "article": id,
            "related": hits.iter().map(|h| hit_json(h, &site)).collect::<Vec<_>>(),
        }),
    ))
}

/// One result on the search page.
pub struct ResultView {
    pub href: String,
    pub headline: String,
    pub section_name: String,
    pub section_href: String,
    pub lang: String,
    pub dir: &'static str,
    pub time: Moment,
    pub snippet: Vec<SnippetPart>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub layout: Layout,
    pub q: String,
    pub sections: Vec<Choice>,
    pub sorts: Vec<Choice>,
    pub from: String,
    pub until: String,
    /// Problems with the request, shown instead of results.
    pub errors: Vec<String>,
    /// What the results line says ("12 articles match …"); empty before a search.
    pub summary: String,
    pub results: Vec<ResultView>,
    pub start: usize,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// `GET /search`: the form, and results when there is something to search for.
pub async fn show_search(
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, WebError> {
    let params = typed(params);
    // Judged as the request arrives: the build may end while the page is being made.
    let warming_now = state
        .search
        .as_ref()
        .and_then(|search| search.index.warming_up());
    let site = state.site();
    let q = param(&params, "q").unwrap_or_default();
    let title = if q.is_empty() {
        "Search".to_owned()
    } else {
        format!("Search: {}", shorten(q))
    };
    let layout = Layout::build(&state, &title, "").await?;
    let given = |name: &str| param(&params, name).unwrap_or_default().to_owned();
    let section = given("section");
    let sort = given("sort");
    let sections = std::iter::once(Choice {
        value: String::new(),
        label: "All sections".to_owned(),
        selected: section.is_empty(),
    })
    .chain(state.store.sections().await?.into_iter().map(|s| Choice {
        selected: s.slug.as_str() == section,
        value: s.slug.to_string(),
        label: s.name,
    }))
    .collect();
    let sorts = [("relevance", "Best match"), ("newest", "Newest first")]
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == sort || (sort.is_empty() && value == "relevance"),
            value: value.to_owned(),
            label: label.to_owned(),
        })
        .collect();
    let mut page = SearchPage {
        layout,
        q: q.to_owned(),
        sections,
        sorts,
        from: given("from"),
        until: given("until"),
        errors: Vec::new(),
        summary: String::new(),
        results: Vec::new(),
        start: 1,
        previous: None,
        next: None,
    };
    let status = match (
        state.search.clone(),
        parse_request(&params, &site, RESULTS_PER_PAGE),
        warming_now,
    ) {
        (None, _, _) => {
            page.errors
                .push("Search is not available right now. Please try again later.".to_owned());
            StatusCode::SERVICE_UNAVAILABLE
        }
        (Some(_), Err(errors), _) => {
            page.errors = errors;
            StatusCode::BAD_REQUEST
        }
        (Some(_), Ok(request), Some(progress))
            if !request.query.text.is_empty() || request.query.has_filters() =>
        {
            page.errors.push(warming_message(progress));
            StatusCode::SERVICE_UNAVAILABLE
        }
        (Some(search), Ok(request), _) => {
            let query = &request.query;
            if !query.text.is_empty() || query.has_filters() {
                let results = search.index.search(query).await?;
                page.summary = summary(results.total, q);
                page.start = query.offset + 1;
                let link = |page_number: usize| {
                    let mut pairs: Vec<(String, String)> = params
                        .iter()
                        .filter(|(k, _)| k != "page")
                        .cloned()
                        .collect();
                    pairs.push(("page".to_owned(), page_number.to_string()));
                    SitePath::SEARCH.with_query(pairs).into()
                };
                if request.page > 1 {
                    page.previous = Some(link(request.page - 1));
                }
                if query.offset + results.hits.len() < results.total && request.page < MAX_PAGE {
                    page.next = Some(link(request.page + 1));
                }
                page.results = results
                    .hits
                    .into_iter()
                    .map(|hit| ResultView {
                        href: SitePath::article(&hit.slug).into(),
                        section_href: SitePath::section(&hit.section_slug).into(),
                        section_name: hit.section_name,
                        headline: hit.headline,
                        lang: hit.language.to_string(),
                        dir: hit.language.direction().as_str(),
                        time: Moment::new(hit.published_at, &site),
                        snippet: hit.snippet,
                    })
                    .collect();
            }
            StatusCode::OK
        }
    };
    let response = (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Html(page.render()?),
    )
        .into_response();
    Ok(
        if warming_now.is_some() && status == StatusCode::SERVICE_UNAVAILABLE {
            warming_response(response)
        } else {
            response
        },
    )
}

fn summary(total: usize, q: &str) -> String {
    let articles = if total == 1 { "article" } else { "articles" };
    let count = if total == 0 {
        "No articles".to_owned()
    } else {
        format!("{total} {articles}")
    };
    let verb = if total == 1 { "matches" } else { "match" };
    if q.is_empty() {
        format!("{count} {verb} these filters.")
    } else {
        format!("{count} {verb} “{}”.", shorten(q))
    }
}

/// The related articles shown at the end of an article page, from its stored list, leaving out
/// those the body already links to (`linked`, its Read More targets); empty when switched off,
/// when no list has been computed yet, and when reading fails (the article itself still shows;
/// the failure is logged).
pub async fn related_block(
    state: &AppState,
    id: ArticleId,
    linked: &[ArticleId],
) -> Vec<ArticleSummary> {
    let Some(lists) = state.search.as_ref().and_then(|s| s.related.as_ref()) else {
        return Vec::new();
    };
    match lists.for_page(id, RELATED_ON_PAGE + linked.len()).await {
        Ok(mut related) => {
            related.retain(|s| !linked.contains(&s.id));
            related.truncate(RELATED_ON_PAGE);
            related
        }
        Err(e) => {
            tracing::error!(error = %dateline_services::Chain(&e), "related articles failed");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_escaped_then_marked() {
        let parts = [
            SnippetPart {
                text: "<b>Tom</b> & ".into(),
                marked: false,
            },
            SnippetPart {
                text: "Jerry's".into(),
                marked: true,
            },
        ];
        assert_eq!(
            snippet_html(&parts),
            "&lt;b&gt;Tom&lt;/b&gt; &amp; <mark>Jerry&#39;s</mark>"
        );
    }
}
