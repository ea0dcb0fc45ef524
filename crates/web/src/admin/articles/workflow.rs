//! The workflow buttons: submit for review, publish, schedule, unpublish, and corrections to a
//! live article. Publishing and scheduling carry the revision the page showed; when someone
//! saved since, the answer is 409 with what changed between the two, and nothing goes out.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use dateline_domain::wire::AlertId;
use dateline_domain::{ArticleId, RevisionNumber, Step, allowed_steps};
use dateline_services::ServiceError;
use dateline_services::newsroom;
use serde::Deserialize;

use super::editor::done;
use super::revisions::{DiffRow, diff_rows};
use super::when;
use crate::AppState;
use crate::admin::session::{CsrfForm, SignedIn};
use crate::admin::{AdminError, AdminLayout, Respond};

#[derive(Debug, Default, Deserialize)]
pub struct WorkflowForm {
    /// For publishing and scheduling: the revision the page showed, which is the one that goes
    /// out (or nothing does).
    #[serde(default)]
    revision: Option<RevisionNumber>,
    /// For scheduling: a local date and time in the publication's zone.
    #[serde(default)]
    at: String,
    /// For corrections: "correction" or "update", and the note.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    note: String,
    /// For a correction offered by a wire alert: the alert it deals with.
    #[serde(default)]
    alert: Option<AlertId>,
}

/// The workflow buttons that need nothing but the article: `/admin/articles/{id}/submit`,
/// `/publish` and `/unpublish` (any other last segment is not found).
pub async fn move_article(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((article, step)): Path<(ArticleId, String)>,
    CsrfForm(form): CsrfForm<WorkflowForm>,
) -> Result<Response, AdminError> {
    let (store, user, now) = (state.store.as_ref(), &signed.user, state.clock.now());
    let what = match step.as_str() {
        "submit" => {
            newsroom::submit(store, user, article, now).await?;
            "submitted"
        }
        "publish" => {
            match newsroom::publish(store, user, article, form.revision, now).await {
                Err(ServiceError::Stale { seen, current }) => {
                    return stale_page(&state, &signed, article, seen, current, Retry::Publish)
                        .await;
                }
                other => other?,
            }
            "published"
        }
        "unpublish" => {
            newsroom::unpublish(store, user, article, now).await?;
            "unpublished"
        }
        _ => return Err(ServiceError::NotFound.into()),
    };
    Ok(done(article, what))
}

pub async fn schedule_article(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(article): Path<ArticleId>,
    CsrfForm(form): CsrfForm<WorkflowForm>,
) -> Result<Response, AdminError> {
    let at = newsroom::local_time(&form.at, state.site().time_zone)
        .map_err(|e| AdminError::from(ServiceError::from(e)))?;
    match newsroom::schedule(
        state.store.as_ref(),
        &signed.user,
        article,
        form.revision,
        at,
        state.clock.now(),
    )
    .await
    {
        Err(ServiceError::Stale { seen, current }) => {
            let retry = Retry::Schedule(form.at.trim().to_owned());
            stale_page(&state, &signed, article, seen, current, retry).await
        }
        other => {
            other?;
            Ok(done(article, "scheduled"))
        }
    }
}

/// What the editor asked for when the article had moved on: offered again for the newest
/// revision, after the changes.
enum Retry {
    Publish,
    /// With the local time typed.
    Schedule(String),
}

#[derive(Template)]
#[template(path = "admin/stale.html")]
struct StalePage {
    layout: AdminLayout,
    id: i64,
    seen: Option<i64>,
    current: i64,
    current_by: String,
    current_at: String,
    /// "publish" or "schedule".
    action: &'static str,
    verb: &'static str,
    at: String,
    diff: Vec<DiffRow>,
    diff_note: Option<String>,
    /// The editor may publish or schedule the newest revision from here.
    can_retry: bool,
}

/// 409: the revision the editor reviewed is no longer the newest. Shows what changed since and
/// offers the same step for the newest revision; nothing was published or scheduled.
async fn stale_page(
    state: &AppState,
    signed: &SignedIn,
    id: ArticleId,
    seen: Option<i64>,
    current: i64,
    retry: Retry,
) -> Result<Response, AdminError> {
    let store = state.store.as_ref();
    let desk = newsroom::open(store, &signed.user, id).await?;
    let site = state.site();
    let newest = store.revision(id, RevisionNumber(current)).await?;
    let (current_by, current_at) = match &newest {
        Some(r) => (
            r.saved_by_name
                .clone()
                .unwrap_or_else(|| "someone".to_owned()),
            when(r.saved_at, &site),
        ),
        None => (
            "the newsroom".to_owned(),
            when(desk.article.updated_at, &site),
        ),
    };
    let reviewed = match seen {
        Some(n) => store
            .revision(id, RevisionNumber(n))
            .await?
            .map(|r| r.draft),
        None => None,
    };
    let now_there = newest.map_or_else(|| desk.draft.clone(), |r| r.draft);
    let (diff, diff_note) = match reviewed {
        Some(old) => diff_rows(&old, &now_there).await?,
        None => (Vec::new(), None),
    };
    let (action, verb, at, step) = match retry {
        Retry::Publish => ("publish", "Publish", String::new(), Step::Publish),
        Retry::Schedule(at) => ("schedule", "Schedule", at, Step::Schedule),
    };
    StalePage {
        layout: AdminLayout::new(
            state,
            "The article changed since you opened it",
            Some(signed),
        )
        .at("home"),
        id: id.0,
        seen,
        current,
        current_by,
        current_at,
        action,
        verb,
        at,
        diff,
        diff_note,
        can_retry: allowed_steps(&signed.user, &desk.workflow).contains(step),
    }
    .respond(StatusCode::CONFLICT)
}

pub async fn correct_article(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<ArticleId>,
    CsrfForm(form): CsrfForm<WorkflowForm>,
) -> Result<Response, AdminError> {
    let (store, now) = (state.store.as_ref(), state.clock.now());
    newsroom::correct(store, &signed.user, id, &form.kind, &form.note, now).await?;
    // The agency's correction that prompted this one is dealt with.
    if let Some(alert) = form.alert
        && store.alert(alert).await?.is_some_and(|a| a.article == id)
    {
        store.resolve_alert(alert, signed.user.id, now).await?;
    }
    Ok(done(id, "corrected"))
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
}

/// The title and description search engines and social cards show.
pub async fn set_search_text(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<ArticleId>,
    CsrfForm(form): CsrfForm<SearchForm>,
) -> Result<Response, AdminError> {
    let (store, now) = (state.store.as_ref(), state.clock.now());
    newsroom::set_search_text(store, &signed.user, id, &form.title, &form.description, now).await?;
    Ok(done(id, "search"))
}

#[derive(Debug, Default, Deserialize)]
pub struct PinForm {
    /// "1" pins, "0" unpins.
    #[serde(default)]
    pinned: String,
}

/// Pins the article to the home page, or unpins it.
pub async fn pin_article(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<ArticleId>,
    CsrfForm(form): CsrfForm<PinForm>,
) -> Result<Response, AdminError> {
    let pinned = match form.pinned.as_str() {
        "1" => true,
        "0" => false,
        other => {
            return Err(AdminError::BadRequest(format!(
                "'{}' is neither 1 (pin) nor 0 (unpin)",
                other.escape_debug()
            )));
        }
    };
    let (store, now) = (state.store.as_ref(), state.clock.now());
    newsroom::set_pinned(store, &signed.user, id, pinned, now).await?;
    Ok(done(id, if pinned { "pinned" } else { "unpinned" }))
}
