//! Headers every response carries (a strict Content-Security-Policy and friends), and the bound on
//! a request's address.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::WebError;

/// Longest request address (path and query) we read: no page of ours comes near it, and a longer
/// one is answered 414 before any handler or the page cache sees it.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// `frame-src` names exactly the players an embed may load once a reader asks
/// (`services::embed::FRAME_ORIGINS`); nothing else is framed, and scripts come from us alone.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   frame-src https://www.youtube-nocookie.com https://player.vimeo.com \
                   https://platform.twitter.com https://www.facebook.com; \
                   object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

const HEADERS: [(HeaderName, &str); 5] = [
    (header::CONTENT_SECURITY_POLICY, CSP),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
    (
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    ),
];

/// Adds the security headers a handler did not set itself.
pub async fn add_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}

/// Refuses an address longer than [`MAX_URI_BYTES`] with our 414 page.
pub async fn bound_uri(request: Request, next: Next) -> Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(request.uri().path().len(), |p| p.as_str().len());
    if length > MAX_URI_BYTES {
        return WebError::UriTooLong.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_src_names_exactly_the_embed_players() {
        let frame_src = CSP
            .split(';')
            .map(str::trim)
            .find_map(|d| d.strip_prefix("frame-src "))
            .expect("a frame-src directive");
        let listed: Vec<&str> = frame_src.split_whitespace().collect();
        assert_eq!(listed, dateline_services::embed::FRAME_ORIGINS);
        assert!(CSP.contains("script-src 'self';"));
    }
}
