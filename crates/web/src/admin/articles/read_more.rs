//! The Read More picker: finds articles by headline for a Read More block, among those the
//! account may link to — published ones, and its own — never another writer's draft or an
//! embargoed headline.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use dateline_domain::Action;
use dateline_services::articles;
use serde::Deserialize;

use crate::AppState;
use crate::admin::session::SignedIn;
use crate::admin::{AdminError, AdminLayout, Respond};

#[derive(Debug, Default, Deserialize)]
pub struct PickerQuery {
    #[serde(default)]
    q: String,
}

struct PickerRow {
    id: i64,
    headline: String,
    status: &'static str,
    section: String,
}

#[derive(Template)]
#[template(path = "admin/read_more.html")]
struct PickerPage {
    layout: AdminLayout,
    q: String,
    rows: Vec<PickerRow>,
}

pub async fn find_read_more(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(query): Query<PickerQuery>,
) -> Result<Response, AdminError> {
    signed.require(Action::WriteOwnDrafts)?;
    let q = dateline_domain::query_text(&query.q);
    let q = q.as_str();
    // Published articles, and for accounts that may not open others' articles, their own: never
    // another writer's draft or an embargoed headline.
    let visible_to = articles::Writer::Account(&signed.user)
        .limited_to()
        .map(|u| u.id);
    let rows = if q.is_empty() {
        Vec::new()
    } else {
        state
            .store
            .find_by_headline(q, 20, visible_to)
            .await?
            .into_iter()
            .map(|s| PickerRow {
                id: s.id.0,
                headline: s.headline,
                status: s.status.label(),
                section: s.section.name,
            })
            .collect()
    };
    PickerPage {
        layout: AdminLayout::new(&state, "Find an article for Read More", Some(&signed)).at("home"),
        q: q.to_owned(),
        rows,
    }
    .respond(StatusCode::OK)
}
