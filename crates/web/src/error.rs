//! Errors of the web layer and the pages that show them.
//!
//! Policy: handlers return [`WebError`]; its `IntoResponse` sets the status and marks the
//! response, and [`render_error_pages`] fills in a page in the site's layout. Internal errors are
//! logged with their cause inside the request's span and shown to the visitor only as
//! "something went wrong" — never the cause.
//!
//! The framework's own refusals (a path parameter that is not UTF-8 or not a number, a query
//! string or form that does not parse, a method the route does not take, a timed-out request)
//! come out as plain text or as an empty body; [`render_error_pages`] recognises them and shows
//! our page instead, so no handler has to. A path parameter that does not parse names nothing:
//! 404. A query string or form that does not parse: 400.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use dateline_domain::{SearchError, StoreError};

use crate::AppState;
use crate::layout::Layout;

/// Why a request could not be answered with the page it asked for.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    /// The page existed and was taken down on purpose.
    #[error("gone")]
    Gone,
    /// The request's address is longer than [`crate::security::MAX_URI_BYTES`].
    #[error("address too long")]
    UriTooLong,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("template: {0}")]
    Template(#[from] askama::Error),
}

/// Marks a response whose body is to be replaced by an error page.
#[derive(Debug, Clone, Copy)]
struct ErrorPage(StatusCode);

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = match &self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Gone => StatusCode::GONE,
            WebError::UriTooLong => StatusCode::URI_TOO_LONG,
            // The database out of reach may come back; a statement it failed is a bug.
            WebError::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            // A value the database refused (a NUL byte that slipped past a form's checks): the
            // request was wrong, the database is fine.
            WebError::Store(StoreError::InvalidInput(_)) => StatusCode::BAD_REQUEST,
            WebError::Store(_) | WebError::Search(_) | WebError::Template(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        } else if let WebError::Store(e) = &self {
            tracing::warn!(error = %e, "request refused by the database");
        }
        let mut response = status.into_response();
        response.extensions_mut().insert(ErrorPage(status));
        response
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    layout: Layout,
    heading: &'static str,
    message: &'static str,
}

/// Largest plain-text error body read to see whether it is one of the framework's refusals.
const REJECTION_TEXT_MAX: usize = 16 * 1024;

/// The framework's refusals, by the start of their text, and the status we answer them with
/// (`None`: keep theirs).
const REJECTIONS: [(&str, Option<StatusCode>); 16] = [
    // A path parameter that does not parse names no page.
    ("Invalid URL", Some(StatusCode::NOT_FOUND)),
    ("Invalid UTF-8 in `", Some(StatusCode::NOT_FOUND)),
    (
        "Failed to deserialize query string",
        Some(StatusCode::BAD_REQUEST),
    ),
    // Both "form" (a GET's query) and "form body" (a POST's body, 422 by default).
    ("Failed to deserialize form", Some(StatusCode::BAD_REQUEST)),
    (
        "Request body didn't contain valid UTF-8",
        Some(StatusCode::BAD_REQUEST),
    ),
    (
        "Failed to parse the request body",
        Some(StatusCode::BAD_REQUEST),
    ),
    ("Failed to buffer the request body", None),
    ("Request payload is too large", None),
    ("Form requests must have `Content-Type", None),
    ("Expected request with `Content-Type", None),
    ("Invalid `boundary` for `multipart/form-data` request", None),
    ("Wrong number of path arguments", None),
    ("Unsupported type `", None),
    ("No paths parameters found", None),
    ("Missing request extension", None),
    ("No matched path found", None),
];

/// The status to show our page with (and the `Allow` header a 405 carries), when `response` is
/// one of the framework's refusals; otherwise the response itself, untouched.
async fn framework_refusal(
    response: Response,
) -> Result<(StatusCode, Option<header::HeaderValue>), Response> {
    let status = response.status();
    let allow = response.headers().get(header::ALLOW).cloned();
    if !(status.is_client_error() || status.is_server_error()) {
        return Err(response);
    }
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    let size = axum::body::HttpBody::size_hint(response.body()).upper();
    match (content_type, size) {
        // A bare status: 405 from the router, 408 from the request deadline.
        (None, Some(0)) => Ok((status, allow)),
        (Some(t), Some(size))
            if t == "text/plain; charset=utf-8" && size <= REJECTION_TEXT_MAX as u64 =>
        {
            let (parts, body) = response.into_parts();
            let Ok(text) = axum::body::to_bytes(body, REJECTION_TEXT_MAX).await else {
                return Ok((status, None));
            };
            let found = std::str::from_utf8(&text).ok().and_then(|text| {
                REJECTIONS
                    .iter()
                    .find(|(start, _)| text.starts_with(start))
                    .map(|(_, ours)| (ours.unwrap_or(status), None))
            });
            found.ok_or_else(|| Response::from_parts(parts, axum::body::Body::from(text)))
        }
        _ => Err(response),
    }
}

/// Replaces the body of marked error responses, and of the framework's refusals, with a page in
/// the site's layout.
pub async fn render_error_pages(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let (status, allow) = match response.extensions().get::<ErrorPage>().copied() {
        Some(ErrorPage(status)) => (status, None),
        None => match framework_refusal(response).await {
            Ok(refusal) => refusal,
            Err(response) => return response,
        },
    };
    let (heading, message) = match status {
        StatusCode::NOT_FOUND => (
            "Page not found",
            "There is no page at this address. It may have moved, or the link may be mistyped.",
        ),
        StatusCode::GONE => (
            "This article has been withdrawn",
            "The newsroom has taken this article down. It is no longer available.",
        ),
        StatusCode::BAD_REQUEST => (
            "Cannot read this request",
            "The address or form could not be read, or it holds characters that cannot be stored or searched for, such as an invisible control character. Check the link, or go back and try again.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "Cannot do that here",
            "This address does not take that kind of request.",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "The request took too long",
            "We stopped waiting for this request. Please try again.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Request too large",
            "What was sent is larger than we accept.",
        ),
        StatusCode::URI_TOO_LONG => (
            "Address too long",
            "This address is longer than any page of ours. Check the link.",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "Cannot read this request",
            "What was sent is not in a form we accept.",
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            "Temporarily unavailable",
            "We cannot reach our newsroom database right now. Please try again in a minute.",
        ),
        s if s.is_client_error() => (
            "Cannot answer this request",
            "We could not answer this request. Check the address and try again.",
        ),
        _ => (
            "Something went wrong",
            "We could not show this page. The problem has been logged; please try again later.",
        ),
    };
    let page = match Layout::build(&state, heading, "").await {
        Ok(layout) => ErrorTemplate {
            layout,
            heading,
            message,
        }
        .render()
        .ok(),
        Err(_) => None,
    };
    let body = page.unwrap_or_else(|| {
        format!("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>{heading}</title><h1>{heading}</h1><p>{message}</p></html>")
    });
    let mut response = (status, Html(body)).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    if let Some(allow) = allow {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::{FromRequest, FromRequestParts, Path, Query};

    async fn refusal(response: Response) -> Option<StatusCode> {
        framework_refusal(response)
            .await
            .ok()
            .map(|(status, _)| status)
    }

    #[tokio::test]
    async fn the_frameworks_refusals_are_recognised_with_our_status() {
        let request = axum::http::Request::builder()
            .uri("/x?from=abc")
            .body(axum::body::Body::empty())
            .unwrap();
        let (mut parts, _) = request.into_parts();
        #[derive(Debug, serde::Deserialize)]
        struct Diff {
            #[expect(dead_code, reason = "only its parsing matters")]
            from: i64,
        }
        let query = Query::<Diff>::from_request_parts(&mut parts, &())
            .await
            .unwrap_err();
        assert_eq!(
            refusal(query.into_response()).await,
            Some(StatusCode::BAD_REQUEST)
        );
        let form = axum::http::Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(axum::body::Body::from("from=abc"))
            .unwrap();
        let form = axum::Form::<Diff>::from_request(form, &())
            .await
            .unwrap_err();
        assert_eq!(
            refusal(form.into_response()).await,
            Some(StatusCode::BAD_REQUEST),
            "a form that does not parse is a 400, not the framework's 422"
        );
        let mut router = axum::Router::new().route(
            "/admin/articles/{id}",
            axum::routing::get(|Path(_): Path<i64>| async { "found" }),
        );
        let response = tower::ServiceExt::oneshot(
            &mut router,
            axum::http::Request::builder()
                .uri("/admin/articles/abc")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(
            refusal(response).await,
            Some(StatusCode::NOT_FOUND),
            "a path parameter that does not parse names nothing"
        );
    }

    #[tokio::test]
    async fn our_own_plain_text_answers_are_left_alone() {
        let health = (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response();
        let response = framework_refusal(health).await.unwrap_err();
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(&body[..], b"database unreachable\n");
        let conflict = (StatusCode::CONFLICT, "conflict 7").into_response();
        assert!(framework_refusal(conflict).await.is_err());
        let ok = (StatusCode::OK, "Invalid URL").into_response();
        assert!(framework_refusal(ok).await.is_err());
    }
}
