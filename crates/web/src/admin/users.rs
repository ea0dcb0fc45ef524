//! Accounts, for administrators: the list, and a form to add one.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use dateline_domain::{Action, Role};
use dateline_services::{ServiceError, accounts};
use serde::Deserialize;

use super::session::{CsrfForm, SignedIn};
use super::{AdminError, AdminLayout, Respond, in_words};
use crate::AppState;

struct UserRow {
    name: String,
    email: String,
    role: &'static str,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: AdminLayout,
    users: Vec<UserRow>,
    roles: Vec<&'static str>,
    error: Option<String>,
    added: Option<String>,
    form: UserForm,
}

#[derive(Debug, Default, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

async fn users_page(
    state: &AppState,
    signed: &SignedIn,
    status: StatusCode,
    error: Option<String>,
    added: Option<String>,
    form: UserForm,
) -> Result<Response, AdminError> {
    let users = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| UserRow {
            name: u.name,
            email: u.email.to_string(),
            role: u.role.as_str(),
        })
        .collect();
    UsersPage {
        layout: AdminLayout::new(state, "Accounts", Some(signed)).at("users"),
        users,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        error,
        added,
        form,
    }
    .respond(status)
}

pub async fn list_users(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageUsers)?;
    users_page(
        &state,
        &signed,
        StatusCode::OK,
        None,
        None,
        UserForm::default(),
    )
    .await
}

pub async fn add_user(
    State(state): State<AppState>,
    signed: SignedIn,
    CsrfForm(mut form): CsrfForm<UserForm>,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageUsers)?;
    let result = accounts::add_user(
        state.store.as_ref(),
        &form.email,
        &form.name,
        &form.role,
        &form.password,
        state.clock.now(),
    )
    .await;
    form.password.clear();
    match result {
        Ok(user) => {
            tracing::info!(by = %signed.user.id, user = %user.id, role = %user.role, "account added");
            let added = Some(format!(
                "{} ({}) can now sign in as {}.",
                user.name, user.email, user.role
            ));
            users_page(
                &state,
                &signed,
                StatusCode::OK,
                None,
                added,
                UserForm::default(),
            )
            .await
        }
        Err(ServiceError::Invalid(problems)) => {
            let error = in_words(&problems);
            users_page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(error),
                None,
                form,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
