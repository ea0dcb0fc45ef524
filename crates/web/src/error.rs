//! Errors of the web layer and the pages that show them.
//!
//! Policy:
//!
//! - Services fail with one closed type, [`ServiceError`]; [`Answer::of`] is the one mapping
//!   from it to HTTP, for the site's pages, the newsroom's and the API alike: refusals to their
//!   4xx, a database out of reach (or out of room) to 503 with `Retry-After`, a bounded resource
//!   that is full to 503 with its own `Retry-After`, and every other failure — a statement the
//!   database failed, stored data that does not read back, a search index or worker that broke —
//!   to 500. It also logs, once: every 5xx that is a failure (not a deliberate "busy") with its
//!   whole source chain ([`Chain`]), inside the request's span; a value the database refused as
//!   data at warn. The visitor is never shown a cause.
//! - Handlers of the public site return [`WebError`]; its `IntoResponse` sets the status and
//!   marks the response, and [`render_error_pages`] fills in a page in the site's layout. The
//!   newsroom's `AdminError` shows refusals in its own words and failures as the same pages.
//! - Under `/api` every error, ours or the framework's, is one JSON shape ([`ApiError`]):
//!   `{"error": {"code": "not_found", "message": "..."}}` with the status, `code` one of
//!   [`ApiError::code_for`]'s.
//!
//! The framework's own refusals (a path parameter that is not UTF-8 or not a number, a query
//! string or form that does not parse, a method the route does not take, a timed-out request)
//! come out as plain text or as an empty body; [`render_error_pages`] recognises them and shows
//! our page (or, under `/api`, our JSON) instead, so no handler has to. A path parameter that
//! does not parse names nothing: 404. A query string or form that does not parse: 400.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use dateline_domain::{SearchError, StoreError};
use dateline_services::{Chain, ServiceError, SignInRefusal};
use serde_json::{Value, json};

use crate::AppState;
use crate::layout::Layout;

/// Seconds a client is asked to wait when the database cannot be reached.
pub const UNAVAILABLE_RETRY_SECS: u64 = 10;

/// How a failed request is answered, whatever shows it: its status, and how long to wait
/// before trying again when that is worth it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub status: StatusCode,
    /// Seconds for `Retry-After`.
    pub retry_after: Option<u64>,
}

impl Answer {
    /// `status`, with nothing to wait for.
    pub fn status(status: StatusCode) -> Self {
        Self {
            status,
            retry_after: None,
        }
    }

    /// The one mapping from a service error to HTTP; logs the error as the module says. Called
    /// once for each error that becomes a response.
    pub fn of(error: &ServiceError) -> Self {
        let answer = Self::classify(error);
        let deliberate = matches!(error, ServiceError::Busy { .. });
        if answer.status.is_server_error() && !deliberate {
            tracing::error!(status = answer.status.as_u16(), error = %Chain(error), "request failed");
        } else if let Some(StoreError::InvalidInput(_)) = error.store_error() {
            tracing::warn!(error = %Chain(error), "request refused by the database");
        }
        answer
    }

    fn classify(error: &ServiceError) -> Self {
        match error {
            ServiceError::NotFound => Self::status(StatusCode::NOT_FOUND),
            ServiceError::Forbidden => Self::status(StatusCode::FORBIDDEN),
            ServiceError::WrongState(_) | ServiceError::Stale { .. } => {
                Self::status(StatusCode::CONFLICT)
            }
            ServiceError::Invalid(_) => Self::status(StatusCode::BAD_REQUEST),
            ServiceError::SignIn(SignInRefusal::WrongCredentials) => {
                Self::status(StatusCode::UNAUTHORIZED)
            }
            ServiceError::SignIn(_) => Self::status(StatusCode::TOO_MANY_REQUESTS),
            ServiceError::Busy { retry_after, .. } => Self {
                status: StatusCode::SERVICE_UNAVAILABLE,
                retry_after: Some(retry_after.as_secs().max(1)),
            },
            ServiceError::Store(e) | ServiceError::Search(SearchError::Store(e)) => match e {
                StoreError::Unavailable(_) => Self {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    retry_after: Some(UNAVAILABLE_RETRY_SECS),
                },
                // A value the database refused (a NUL byte that slipped past a form's checks):
                // the request was wrong, the database is fine.
                StoreError::InvalidInput(_) => Self::status(StatusCode::BAD_REQUEST),
                StoreError::Conflict(_)
                | StoreError::MissingReference(_)
                | StoreError::Corrupt(_)
                | StoreError::Failed(_) => Self::status(StatusCode::INTERNAL_SERVER_ERROR),
            },
            ServiceError::Search(SearchError::Index(_)) | ServiceError::Internal { .. } => {
                Self::status(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// A bare response with this status (and `Retry-After`), marked to be replaced by the
    /// site's error page.
    pub(crate) fn page(self) -> Response {
        let mut response = self.status.into_response();
        self.add_retry_after(&mut response);
        response.extensions_mut().insert(ErrorPage(self.status));
        response
    }

    pub(crate) fn add_retry_after(self, response: &mut Response) {
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
    }
}

/// Why a request could not be answered with the page it asked for.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    /// The page existed and was taken down on purpose.
    #[error("gone")]
    Gone,
    /// The page lives at another address now (an old one kept in the redirects table): 301.
    #[error("moved")]
    Moved(String),
    /// The request's address is longer than [`crate::security::MAX_URI_BYTES`].
    #[error("address too long")]
    UriTooLong,
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("cannot render a template")]
    Template(#[from] askama::Error),
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        WebError::Service(e.into())
    }
}

impl From<SearchError> for WebError {
    fn from(e: SearchError) -> Self {
        WebError::Service(e.into())
    }
}

/// Marks a response whose body is to be replaced by an error page.
#[derive(Debug, Clone, Copy)]
struct ErrorPage(StatusCode);

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let answer = match &self {
            WebError::Moved(to) => {
                return (
                    StatusCode::MOVED_PERMANENTLY,
                    [(axum::http::header::LOCATION, to.clone())],
                )
                    .into_response();
            }
            WebError::NotFound => Answer::status(StatusCode::NOT_FOUND),
            WebError::Gone => Answer::status(StatusCode::GONE),
            WebError::UriTooLong => Answer::status(StatusCode::URI_TOO_LONG),
            WebError::Service(e) => Answer::of(e),
            WebError::Template(_) => {
                tracing::error!(error = %Chain(&self), "request failed");
                Answer::status(StatusCode::INTERNAL_SERVER_ERROR)
            }
        };
        answer.page()
    }
}

/// An error answered to a client of the JSON API: `{"error": {"code", "message"}}` with its
/// status (and `Retry-After` when worth waiting for), never cached.
#[derive(Debug)]
pub struct ApiError {
    answer: Answer,
    code: &'static str,
    message: String,
    /// More members of the top-level object, beside `error`.
    extra: Option<(&'static str, Value)>,
}

impl ApiError {
    /// A refusal of the request itself, with what to do about it.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            answer: Answer::status(status),
            code: Self::code_for(status),
            message: message.into(),
            extra: None,
        }
    }

    /// Another code than the status's own.
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.answer.retry_after = Some(seconds);
        self
    }

    /// `value` beside `error`, under `name`.
    pub fn with(mut self, name: &'static str, value: Value) -> Self {
        self.extra = Some((name, value));
        self
    }

    /// The code for a status: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `request_timeout`, `conflict`, `gone`, `too_large`,
    /// `uri_too_long`, `unsupported_media_type`, `invalid`, `too_many_requests`, `unavailable`
    /// or `internal`.
    pub fn code_for(status: StatusCode) -> &'static str {
        match status {
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::REQUEST_TIMEOUT => "request_timeout",
            StatusCode::CONFLICT => "conflict",
            StatusCode::GONE => "gone",
            StatusCode::PAYLOAD_TOO_LARGE => "too_large",
            StatusCode::URI_TOO_LONG => "uri_too_long",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid",
            StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
            StatusCode::SERVICE_UNAVAILABLE => "unavailable",
            s if s.is_server_error() => "internal",
            _ => "bad_request",
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let answer = Answer::of(&e);
        let message = if answer.status.is_client_error() {
            e.to_string()
        } else {
            words(answer.status).1.to_owned()
        };
        Self {
            answer,
            code: Self::code_for(answer.status),
            message,
            extra: None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> Self {
        ServiceError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": { "code": self.code, "message": self.message } });
        if let Some((name, value)) = self.extra {
            body[name] = value;
        }
        let mut response = (
            self.answer.status,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body.to_string(),
        )
            .into_response();
        self.answer.add_retry_after(&mut response);
        response
    }
}

/// Whether `path` is the JSON API's.
fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
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

/// The heading and sentence an error page (or an API error's message) shows for `status`.
fn words(status: StatusCode) -> (&'static str, &'static str) {
    match status {
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
    }
}

/// Replaces the body of marked error responses, and of the framework's refusals, with a page in
/// the site's layout; under `/api`, with the API's JSON error.
pub async fn render_error_pages(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let api = is_api(request.uri().path());
    let response = next.run(request).await;
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let (status, allow) = match response.extensions().get::<ErrorPage>().copied() {
        Some(ErrorPage(status)) => (status, None),
        None => match framework_refusal(response).await {
            Ok(refusal) => refusal,
            Err(response) => return response,
        },
    };
    let (heading, message) = words(status);
    let mut response = if api {
        ApiError::new(status, message).into_response()
    } else {
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
        (status, Html(body)).into_response()
    };
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    for (name, value) in [(header::ALLOW, allow), (header::RETRY_AFTER, retry_after)] {
        if let Some(value) = value {
            response.headers_mut().insert(name, value);
        }
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

    #[test]
    fn one_mapping_from_service_errors_to_statuses() {
        use dateline_services::SignInRefusal;
        use std::time::Duration;
        let io = || Box::new(std::io::Error::other("cause")) as Box<_>;
        let cases: Vec<(ServiceError, u16, Option<u64>)> = vec![
            (ServiceError::NotFound, 404, None),
            (ServiceError::Forbidden, 403, None),
            (ServiceError::WrongState("no".into()), 409, None),
            (
                ServiceError::Stale {
                    seen: Some(1),
                    current: 2,
                },
                409,
                None,
            ),
            (ServiceError::Invalid(Vec::new()), 400, None),
            (SignInRefusal::WrongCredentials.into(), 401, None),
            (
                SignInRefusal::AddressLocked { minutes: 15 }.into(),
                429,
                None,
            ),
            (
                ServiceError::Busy {
                    message: "busy".into(),
                    retry_after: Duration::from_secs(30),
                },
                503,
                Some(30),
            ),
            (
                StoreError::Unavailable(io()).into(),
                503,
                Some(UNAVAILABLE_RETRY_SECS),
            ),
            (
                ServiceError::Search(SearchError::Store(StoreError::Unavailable(io()))),
                503,
                Some(UNAVAILABLE_RETRY_SECS),
            ),
            (StoreError::Failed(io()).into(), 500, None),
            (StoreError::Corrupt("x".into()).into(), 500, None),
            (StoreError::InvalidInput("NUL".into()).into(), 400, None),
            (SearchError::Index("broken".into()).into(), 500, None),
            (ServiceError::internal("a worker stopped", io()), 500, None),
        ];
        for (error, status, retry_after) in cases {
            let answer = Answer::of(&error);
            assert_eq!(
                (answer.status.as_u16(), answer.retry_after),
                (status, retry_after),
                "{error:?}"
            );
        }
    }

    #[tokio::test]
    async fn api_errors_are_one_json_shape() {
        let response = ApiError::from(ServiceError::from(StoreError::Failed(Box::new(
            std::io::Error::other("no such table: secrets"),
        ))))
        .into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let json: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"]["code"], "internal");
        assert!(
            !json.to_string().contains("secrets"),
            "causes are logged, never shown: {json}"
        );
        let response = ApiError::from(ServiceError::from(StoreError::Unavailable(Box::new(
            std::io::Error::other("refused"),
        ))))
        .into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "10");
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
