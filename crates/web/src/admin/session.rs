//! Who is asking: the session cookie, the signed-in account, the CSRF check, the client's
//! address, and forms whose rejection is a newsroom error page.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use dateline_domain::{Action, Session, User};
use dateline_services::accounts;
use serde::de::DeserializeOwned;

use super::AdminError;
use crate::AppState;

/// The cookie that carries the session token.
pub const SESSION_COOKIE: &str = "dateline_session";
/// The cookie that carries the sign-in form's CSRF token, before there is a session.
pub const LOGIN_COOKIE: &str = "dateline_login";

/// A signed-in account and its session. Extracting it sends anonymous visitors (and expired
/// sessions) to the sign-in page.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub session: Session,
}

impl SignedIn {
    /// Refuses with 403 unless the account's role may do `action`.
    pub fn require(&self, action: Action) -> Result<(), AdminError> {
        if self.user.may(action) {
            Ok(())
        } else {
            Err(AdminError::Forbidden)
        }
    }

    /// Refuses with 403 unless `token` is this session's CSRF token.
    pub fn check_csrf(&self, token: &str) -> Result<(), AdminError> {
        if accounts::same_secret(token, &self.session.csrf_token) {
            Ok(())
        } else {
            Err(AdminError::Csrf)
        }
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AdminError> {
        let next = parts.uri.clone();
        // After sign-in, come back to the page that was asked for (a GET), or to the page the
        // form was on.
        let next = if parts.method == axum::http::Method::GET {
            next.path_and_query()
                .map_or("/admin", |p| p.as_str())
                .to_owned()
        } else {
            "/admin".to_owned()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(AdminError::SignIn { next });
        };
        match accounts::session(state.store.as_ref(), &token, state.clock.now()).await? {
            Some((session, user)) => Ok(Self { user, session }),
            None => Err(AdminError::SignIn { next }),
        }
    }
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// Whether the browser reached us over HTTPS (directly configured, or through a proxy that says so).
pub fn over_https(state: &AppState, headers: &HeaderMap) -> bool {
    state.site().base_url.starts_with("https://")
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for a newsroom cookie: HttpOnly, SameSite=Lax, Secure over HTTPS,
/// limited to `/admin`. A `max_age` of 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/admin; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}")
}

/// The address of the client, as the socket saw it.
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string()),
        ))
    }
}

/// A URL-encoded form whose rejection is a clear newsroom error.
pub struct AdminForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AdminForm<T> {
    type Rejection = AdminError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AdminError> {
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|f| Self(f.0))
            .map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AdminError::TooLarge(format!(
                        "This form is larger than the newsroom accepts ({} KB at most), so nothing was saved. Your text is still in the page you came from: go back, shorten it, and save again.",
                        super::MAX_FORM_BYTES / 1024
                    ))
                } else {
                    AdminError::BadRequest(format!(
                        "the form could not be read ({})",
                        e.body_text()
                    ))
                }
            })
    }
}
