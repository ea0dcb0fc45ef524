//! Sections and tags, for editors and admins: add sections, rename sections and tags (URLs
//! stay), merge one into another (the old front redirects) and delete them. Contributors and
//! authors cannot bring a section into being from the editor: it is done here.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dateline_domain::{Action, LabelKind, SectionId, SitePath, TagId};
use dateline_services::newsroom;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::session::{CsrfForm, NoFields, SignedIn};
use super::{AdminError, AdminLayout, Respond};
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
    LabelsPage {
        layout: AdminLayout::new(&state, "Sections and tags", Some(&signed)).at("labels"),
        sections: store
            .sections()
            .await?
            .into_iter()
            .map(|s| Label {
                id: s.id.0,
                href: SitePath::section(&s.slug).into(),
                name: s.name,
            })
            .collect(),
        tags: store
            .tags()
            .await?
            .into_iter()
            .map(|t| Label {
                id: t.id.0,
                href: SitePath::tag(&t.slug).into(),
                name: t.name,
            })
            .collect(),
        notice: query.done.as_deref().map(notice),
    }
    .respond(StatusCode::OK)
}

/// Sections and tags are renamed, merged and deleted alike; the id's type in the address says
/// which of the two is meant.
pub trait LabelId: DeserializeOwned + Copy + Send + 'static {
    /// Which of the two ids of this type name.
    const KIND: LabelKind;
    fn number(self) -> i64;
}

impl LabelId for SectionId {
    const KIND: LabelKind = LabelKind::Section;
    fn number(self) -> i64 {
        self.0
    }
}

impl LabelId for TagId {
    const KIND: LabelKind = LabelKind::Tag;
    fn number(self) -> i64 {
        self.0
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

pub async fn add_section(
    State(state): State<AppState>,
    signed: SignedIn,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<Response, AdminError> {
    let now = state.clock.now();
    newsroom::add_section(state.store.as_ref(), &signed.user, &form.name, now).await?;
    Ok(Redirect::to("/admin/sections?done=1").into_response())
}

/// `/admin/sections/{id}` and `/admin/tags/{id}`: a new name; addresses stay.
pub async fn rename_label<L: LabelId>(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<L>,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<Response, AdminError> {
    let (store, now) = (state.store.as_ref(), state.clock.now());
    newsroom::rename_label(store, &signed.user, L::KIND, id.number(), &form.name, now).await?;
    Ok(Redirect::to("/admin/sections?done=1").into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct MergeForm {
    /// The name of the section or tag to merge into.
    #[serde(default)]
    into: String,
}

/// `/admin/sections/{id}/merge` and `/admin/tags/{id}/merge`: its articles move to the other,
/// and its front redirects there.
pub async fn merge_label<L: LabelId>(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<L>,
    CsrfForm(form): CsrfForm<MergeForm>,
) -> Result<Response, AdminError> {
    let (store, now) = (state.store.as_ref(), state.clock.now());
    newsroom::merge_label(store, &signed.user, L::KIND, id.number(), &form.into, now).await?;
    Ok(Redirect::to("/admin/sections?done=merged").into_response())
}

/// `/admin/sections/{id}/delete` (only an empty section) and `/admin/tags/{id}/delete`.
pub async fn delete_label<L: LabelId>(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<L>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AdminError> {
    let (store, now) = (state.store.as_ref(), state.clock.now());
    newsroom::delete_label(store, &signed.user, L::KIND, id.number(), now).await?;
    Ok(Redirect::to("/admin/sections?done=deleted").into_response())
}
