//! Errors of the web layer and the pages that show them.
//!
//! Policy: handlers return [`WebError`]; its `IntoResponse` sets the status and marks the
//! response, and [`render_error_pages`] fills in a page in the site's layout. Internal errors are
//! logged with their cause inside the request's span and shown to the visitor only as
//! "something went wrong" — never the cause.

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
            WebError::Store(StoreError::Database(_)) => StatusCode::SERVICE_UNAVAILABLE,
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

/// Replaces the body of marked error responses with a page in the site's layout.
pub async fn render_error_pages(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let Some(ErrorPage(status)) = response.extensions().get::<ErrorPage>().copied() else {
        return response;
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
            "This request cannot be used",
            "It contains characters that cannot be stored or searched for, such as an invisible control character. Remove them and try again.",
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            "Temporarily unavailable",
            "We cannot reach our newsroom database right now. Please try again in a minute.",
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
    response
}
