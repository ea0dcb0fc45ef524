//! Sections and tags, for editors and admins: rename them (URLs stay) and add sections.

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
        notice: query
            .done
            .map(|_| "Saved. Every page shows the new name now."),
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
    newsroom::add_section(state.store.as_ref(), &signed.user, &form.name).await?;
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
