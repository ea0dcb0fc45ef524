//! Sections and tags, for editors and admins: add sections, rename sections and tags (URLs
//! stay), merge one into another (the old front redirects) and delete them. Contributors and
//! authors cannot bring a section into being from the editor: it is done here.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dateline_domain::Action;
use dateline_services::newsroom;
use serde::Deserialize;

use super::session::{AdminForm, SignedIn};
use super::{AdminError, AdminLayout, page};
use crate::AppState;

struct Label {
    id: i64,
    name: String,
    href: String,
}

#[derive(Template)]
#[template(path = "admin/labels.html")]
struct LabelsPage {
    layout: AdminLayout,
    sections: Vec<Label>,
    tags: Vec<Label>,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LabelsQuery {
    #[serde(default)]
    done: Option<String>,
}

/// What the page says after a change.
fn notice(done: &str) -> &'static str {
    match done {
        "merged" => "Merged. Its articles moved, and its old address leads to the other front.",
        "deleted" => "Deleted.",
        _ => "Saved. Every page shows the new name now.",
    }
}

pub async fn list_labels(
    State(state): State<AppState>,
    signed: SignedIn,
    axum::extract::Query(query): axum::extract::Query<LabelsQuery>,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageSectionsAndTags)?;
    let store = state.store.as_ref();
    let html = LabelsPage {
        layout: AdminLayout::new(&state, "Sections and tags", Some(&signed)).at("labels"),
        sections: store
            .sections()
            .await?
            .into_iter()
            .map(|s| Label {
                id: s.id.0,
                href: format!("/section/{}", s.slug),
                name: s.name,
            })
            .collect(),
        tags: store
            .tags()
            .await?
            .into_iter()
            .map(|t| Label {
                id: t.id.0,
                href: format!("/tag/{}", t.slug),
                name: t.name,
            })
            .collect(),
        notice: query.done.as_deref().map(notice),
    }
    .render()?;
    Ok(page(StatusCode::OK, html))
}

#[derive(Debug, Default, Deserialize)]
pub struct NameForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

pub async fn add_section(
    State(state): State<AppState>,
    signed: SignedIn,
    AdminForm(form): AdminForm<NameForm>,
) -> Result<Response, AdminError> {
    signed.check_csrf(&form.csrf)?;
    let now = state.clock.now();
    newsroom::add_section(state.store.as_ref(), &signed.user, &form.name, now).await?;
    Ok(Redirect::to("/admin/sections?done=1").into_response())
}

async fn rename(
    state: &AppState,
    signed: &SignedIn,
    tag: bool,
    id: i64,
    form: &NameForm,
) -> Result<Response, AdminError> {
    signed.check_csrf(&form.csrf)?;
    let now = state.clock.now();
    newsroom::rename_label(state.store.as_ref(), &signed.user, tag, id, &form.name, now).await?;
    Ok(Redirect::to("/admin/sections?done=1").into_response())
}

pub async fn rename_section(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<i64>,
    AdminForm(form): AdminForm<NameForm>,
) -> Result<Response, AdminError> {
    rename(&state, &signed, false, id, &form).await
}

pub async fn rename_tag(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<i64>,
    AdminForm(form): AdminForm<NameForm>,
) -> Result<Response, AdminError> {
    rename(&state, &signed, true, id, &form).await
}

#[derive(Debug, Default, Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    csrf: String,
    /// The name of the section or tag to merge into.
    #[serde(default)]
    into: String,
}

async fn merge(
    state: &AppState,
    signed: &SignedIn,
    tag: bool,
    id: i64,
    form: &MergeForm,
) -> Result<Response, AdminError> {
    signed.check_csrf(&form.csrf)?;
    let now = state.clock.now();
    newsroom::merge_label(state.store.as_ref(), &signed.user, tag, id, &form.into, now).await?;
    Ok(Redirect::to("/admin/sections?done=merged").into_response())
}

pub async fn merge_section(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<i64>,
    AdminForm(form): AdminForm<MergeForm>,
) -> Result<Response, AdminError> {
    merge(&state, &signed, false, id, &form).await
}

pub async fn merge_tag(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<i64>,
    AdminForm(form): AdminForm<MergeForm>,
) -> Result<Response, AdminError> {
    merge(&state, &signed, true, id, &form).await
}

#[derive(Debug, Default, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
}

async fn delete(
    state: &AppState,
    signed: &SignedIn,
    tag: bool,
    id: i64,
    form: &DeleteForm,
) -> Result<Response, AdminError> {
    signed.check_csrf(&form.csrf)?;
    let now = state.clock.now();
    newsroom::delete_label(state.store.as_ref(), &signed.user, tag, id, now).await?;
    Ok(Redirect::to("/admin/sections?done=deleted").into_response())
}

pub async fn delete_section(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<i64>,
    AdminForm(form): AdminForm<DeleteForm>,
) -> Result<Response, AdminError> {
    delete(&state, &signed, false, id, &form).await
}

pub async fn delete_tag(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<i64>,
    AdminForm(form): AdminForm<DeleteForm>,
) -> Result<Response, AdminError> {
    delete(&state, &signed, true, id, &form).await
}
