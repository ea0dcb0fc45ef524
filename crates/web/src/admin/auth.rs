//! Signing in and out, the newsroom's home, and changing one's own password.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_domain::Action;
use dateline_services::ServiceError;
use dateline_services::accounts::{self, SESSION_LIFETIME, SignInError};
use serde::Deserialize;

use super::session::{
    AdminForm, ClientAddress, LOGIN_COOKIE, SESSION_COOKIE, SignedIn, cookie, over_https,
    set_cookie,
};
use super::{AdminError, AdminLayout, page};
use crate::AppState;

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

/// Only newsroom paths on this site: never another host (`//evil`), never a public page.
fn safe_next(next: &str) -> String {
    let ok = next.starts_with("/admin")
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.starts_with("/admin/login")
        && !next.starts_with("/admin/logout");
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
    let html = LoginPage {
        layout,
        email,
        next: safe_next(&next),
        error,
    }
    .render()?;
    let mut response = page(status, html);
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
    ClientAddress(address): ClientAddress,
    AdminForm(form): AdminForm<SignInForm>,
) -> Result<Response, AdminError> {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !accounts::same_secret(&form.csrf, &expected) {
        return Err(AdminError::Csrf);
    }
    let now = state.clock.now();
    let store = state.store.as_ref();
    let signed = match accounts::sign_in(store, &form.email, &form.password, &address, now).await {
        Ok(signed) => signed,
        Err(SignInError::Service(e)) => return Err(e.into()),
        Err(e) => {
            let status = match e {
                SignInError::WrongCredentials => StatusCode::UNAUTHORIZED,
                _ => StatusCode::TOO_MANY_REQUESTS,
            };
            tracing::info!(%address, reason = %e, "sign-in refused");
            return login_page(
                &state,
                &headers,
                status,
                form.email,
                form.next,
                Some(e.to_string()),
            );
        }
    };
    // Rotation: whatever session this browser had is over; the new one has a new token.
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        accounts::sign_out(store, &old, now).await?;
    }
    tracing::info!(user = %signed.user.id, "signed in");
    let secure = over_https(&state, &headers);
    let mut response = Redirect::to(&safe_next(&form.next)).into_response();
    for value in [
        set_cookie(
            SESSION_COOKIE,
            &signed.token,
            SESSION_LIFETIME.num_seconds(),
            secure,
        ),
        set_cookie(LOGIN_COOKIE, "", 0, secure),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed: SignedIn,
    AdminForm(form): AdminForm<CsrfForm>,
) -> Result<Response, AdminError> {
    signed.check_csrf(&form.csrf)?;
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
    let html = PasswordPage {
        layout: AdminLayout::new(&state, "Change your password", Some(&signed)).at("password"),
        error: None,
        done: false,
    }
    .render()?;
    Ok(page(StatusCode::OK, html))
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
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
    AdminForm(form): AdminForm<PasswordForm>,
) -> Result<Response, AdminError> {
    signed.check_csrf(&form.csrf)?;
    signed.require(Action::ChangeOwnPassword)?;
    let result = accounts::change_password(
        state.store.as_ref(),
        &signed.user,
        &signed.session,
        &form.current,
        &form.new,
        &form.repeat,
    )
    .await;
    let (status, error) = match result {
        Ok(()) => (StatusCode::OK, None),
        Err(ServiceError::Invalid(problems)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ),
        Err(e) => return Err(e.into()),
    };
    let done = error.is_none();
    let html = PasswordPage {
        layout: AdminLayout::new(&state, "Change your password", Some(&signed)).at("password"),
        error,
        done,
    }
    .render()?;
    Ok(page(status, html))
}
