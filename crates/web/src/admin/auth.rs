//! Signing in and out, the newsroom's home, and changing one's own password.
//!
//! A refused sign-in is the sign-in form again with what was typed and why: 401 for a wrong
//! password, 429 past a limit, 503 with `Retry-After` when passwords cannot be checked now.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_domain::Action;
use dateline_services::ServiceError;
use dateline_services::accounts::{self, KNOWN_DEVICE_LIFETIME, SESSION_LIFETIME, SignInAttempt};
use serde::Deserialize;

use super::session::{
    AdminForm, ClientAddress, CsrfForm, DEVICE_COOKIE, LOGIN_COOKIE, NoFields, SESSION_COOKIE,
    SignedIn, cookie, over_https, set_cookie,
};
use super::{AdminError, AdminLayout, Respond, in_words};
use crate::AppState;
use crate::error::Answer;

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    layout: AdminLayout,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// The longest `next` kept; a longer one is replaced by `/admin`.
const MAX_NEXT_CHARS: usize = 1000;

/// Where to go after signing in: only a newsroom path on this site made of plain URL
/// characters. Anything else (another host `//evil`, a scheme, `\`, control characters, dot
/// segments, the sign-in and sign-out pages, or over [`MAX_NEXT_CHARS`]) becomes `/admin`, so the
/// value is always a valid `Location` header and never leaves the newsroom.
fn safe_next(next: &str) -> String {
    let path = next.split('?').next().unwrap_or_default();
    let lower = path.to_ascii_lowercase();
    let ok = next.len() <= MAX_NEXT_CHARS
        && (path == "/admin" || path.starts_with("/admin/"))
        && next
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-._~?=&%+,".contains(&b))
        && !path.contains("//")
        && !path.contains("/.")
        && !lower.contains("%2e")
        && !lower.contains("%2f")
        && !lower.contains("%5c")
        && !path.starts_with("/admin/login")
        && !path.starts_with("/admin/logout");
    if ok {
        next.to_owned()
    } else {
        "/admin".to_owned()
    }
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    email: String,
    next: String,
    error: Option<String>,
) -> Result<Response, AdminError> {
    let token = cookie(headers, LOGIN_COOKIE).unwrap_or_else(accounts::random_token);
    let mut layout = AdminLayout::new(state, "Sign in", None);
    layout.csrf = token.clone();
    let mut response = LoginPage {
        layout,
        email,
        next: safe_next(&next),
        error,
    }
    .respond(status)?;
    let value = set_cookie(LOGIN_COOKIE, &token, 3600, over_https(state, headers));
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

pub async fn show_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Result<Response, AdminError> {
    login_page(
        &state,
        &headers,
        StatusCode::OK,
        String::new(),
        query.next,
        None,
    )
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    address: ClientAddress,
    AdminForm(form): AdminForm<SignInForm>,
) -> Result<Response, AdminError> {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !accounts::same_secret(&form.csrf, &expected) {
        return Err(AdminError::Csrf);
    }
    let now = state.clock.now();
    let store = state.store.as_ref();
    let device = cookie(&headers, DEVICE_COOKIE);
    let attempt = SignInAttempt {
        email: &form.email,
        password: &form.password,
        address: &address.limit_key(),
        device: device.as_deref(),
    };
    let signed = match accounts::sign_in_with(store, &state.hashing, &attempt, now).await {
        Ok(signed) => signed,
        // Refused (wrong credentials, a limit, no turn to check the password): the form again,
        // saying why, with the status the refusal maps to.
        Err(e @ (ServiceError::SignIn(_) | ServiceError::Busy { .. })) => {
            let answer = Answer::of(&e);
            tracing::info!(%address, reason = %e, "sign-in refused");
            let mut response = login_page(
                &state,
                &headers,
                answer.status,
                form.email,
                form.next,
                Some(e.to_string()),
            )?;
            answer.add_retry_after(&mut response);
            return Ok(response);
        }
        Err(e) => return Err(e.into()),
    };
    // Rotation: whatever session this browser had is over; the new one has a new token.
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        accounts::sign_out(store, &old, now).await?;
    }
    tracing::info!(user = %signed.user.id, "signed in");
    let secure = over_https(&state, &headers);
    // Every header is made before the response: `safe_next` leaves only URL characters, and the
    // cookies hold hex tokens, so nothing here can fail half-way with the session cookie set.
    let location =
        HeaderValue::from_str(&safe_next(&form.next)).unwrap_or(HeaderValue::from_static("/admin"));
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    for value in [
        set_cookie(
            SESSION_COOKIE,
            &signed.token,
            SESSION_LIFETIME.num_seconds(),
            secure,
        ),
        set_cookie(LOGIN_COOKIE, "", 0, secure),
        set_cookie(
            DEVICE_COOKIE,
            &signed.device_token,
            KNOWN_DEVICE_LIFETIME.num_seconds(),
            secure,
        ),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed: SignedIn,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AdminError> {
    let now = state.clock.now();
    state
        .store
        .delete_session(&signed.session.token_hash, now)
        .await?;
    let mut response = Redirect::to("/admin/login").into_response();
    let value = set_cookie(SESSION_COOKIE, "", 0, over_https(&state, &headers));
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "admin/password.html")]
struct PasswordPage {
    layout: AdminLayout,
    error: Option<String>,
    done: bool,
}

pub async fn show_password(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, AdminError> {
    signed.require(Action::ChangeOwnPassword)?;
    PasswordPage {
        layout: AdminLayout::new(&state, "Change your password", Some(&signed)).at("password"),
        error: None,
        done: false,
    }
    .respond(StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    signed: SignedIn,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AdminError> {
    signed.require(Action::ChangeOwnPassword)?;
    let result = accounts::change_password(
        state.store.as_ref(),
        &state.hashing,
        &signed.user,
        &signed.session,
        &form.current,
        &form.new,
        &form.repeat,
    )
    .await;
    let (status, error) = match result {
        Ok(()) => (StatusCode::OK, None),
        Err(ServiceError::Invalid(problems)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, Some(in_words(&problems)))
        }
        Err(e) => return Err(e.into()),
    };
    let done = error.is_none();
    PasswordPage {
        layout: AdminLayout::new(&state, "Change your password", Some(&signed)).at("password"),
        error,
        done,
    }
    .respond(status)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_kept_only_for_plain_newsroom_paths() {
        for good in [
            "/admin",
            "/admin/users?x=1",
            "/admin/articles/12/diff?from=1&to=2",
        ] {
            assert_eq!(safe_next(good), good);
        }
        let long = format!("/admin/{}", "a".repeat(10_000));
        for bad in [
            "",
            "/",
            "/administrator",
            "//evil.example/admin",
            "https://evil.example/admin",
            "/admin\\evil",
            "/admin\r\nSet-Cookie: x=1",
            "/admin\0",
            "/admin/\u{7f}",
            "/admin/../",
            "/admin/%2e%2e/",
            "/admin/%2F%2Fevil",
            "/admin//evil.example",
            "/admin/login",
            "/admin/logout",
            "/admin/ü",
            "/admin#x",
            long.as_str(),
        ] {
            assert_eq!(safe_next(bad), "/admin", "{bad:?}");
        }
    }
}
