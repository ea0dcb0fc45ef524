//! Revisions: an article's history, the differences between two revisions, restoring an old
//! one as a new revision, and the page shown when a save (or a restore) was based on a revision
//! someone else had already replaced.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use dateline_domain::{
    ArticleId, Draft, RevisionInfo, RevisionKind, RevisionNumber, SaveOutcome, Step, allowed_steps,
};
use dateline_services::ServiceError;
use dateline_services::newsroom::{self, Coarse, Comparison, DiffLine};
use serde::Deserialize;

use super::editor::{Editing, Fields, done};
use super::{draft_problems, when};
use crate::AppState;
use crate::admin::session::{CsrfForm, SignedIn};
use crate::admin::{AdminError, AdminLayout, Respond};

#[derive(Template)]
#[template(path = "admin/conflict.html")]
struct ConflictPage {
    layout: AdminLayout,
    id: i64,
    current: RevisionNumber,
    kept_as: RevisionNumber,
    theirs: Fields,
    theirs_by: String,
    theirs_at: String,
    yours: Fields,
    diff: Vec<DiffRow>,
    diff_note: Option<String>,
}

/// One line of a comparison, as the diff, conflict and stale pages show it.
pub(super) struct DiffRow {
    pub(super) class: &'static str,
    pub(super) sign: &'static str,
    pub(super) text: String,
}

/// The rows of a comparison and, when it is not line by line or not complete, a note saying so.
pub(super) async fn diff_rows(
    old: &Draft,
    new: &Draft,
) -> Result<(Vec<DiffRow>, Option<String>), AdminError> {
    let comparison = newsroom::compare(old, new).await?;
    let note = diff_note(&comparison);
    Ok((rows_of(comparison), note))
}

fn diff_note(c: &Comparison) -> Option<String> {
    let why = match c.coarse {
        None => None,
        Some(Coarse::TooLong) => Some(format!(
            "These versions are too long to compare line by line (more than {} lines or {} KB), so only the unchanged beginning and end are matched: everything between is shown as removed and added.",
            newsroom::MAX_DIFF_LINES,
            newsroom::MAX_DIFF_BYTES / 1024
        )),
        Some(Coarse::OutOfTime) => Some(format!(
            "Finding the fewest changes took longer than {} seconds, so this comparison is coarser: some unchanged lines may be shown as removed and added.",
            newsroom::DIFF_DEADLINE.as_secs()
        )),
        Some(Coarse::Busy) => Some(
            "The server is busy comparing other revisions, so only the unchanged beginning and end are matched: everything between is shown as removed and added. Reload in a moment for a finer comparison.".to_owned(),
        ),
    };
    let more = (c.more_changes > 0).then(|| {
        format!(
            "{} more changed lines are not shown (at most {} are).",
            c.more_changes,
            newsroom::MAX_DIFF_CHANGES
        )
    });
    match (why, more) {
        (None, None) => None,
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (a, b) => a.or(b),
    }
}

fn rows_of(comparison: Comparison) -> Vec<DiffRow> {
    comparison
        .lines
        .into_iter()
        .map(|line| match line {
            DiffLine::Same(text) => DiffRow {
                class: "same",
                sign: " ",
                text,
            },
            DiffLine::Removed(text) => DiffRow {
                class: "removed",
                sign: "−",
                text,
            },
            DiffLine::Added(text) => DiffRow {
                class: "added",
                sign: "+",
                text,
            },
            DiffLine::Folded(n) => DiffRow {
                class: "folded",
                sign: "⋯",
                text: format!("{n} unchanged line{}", if n == 1 { "" } else { "s" }),
            },
        })
        .collect()
}

/// 409: the save was based on a revision someone else had replaced; theirs and yours side by
/// side, with the differences. Yours was kept as revision `kept_as`.
pub(super) async fn conflict_page(
    state: &AppState,
    signed: &SignedIn,
    id: ArticleId,
    current: RevisionNumber,
    kept_as: RevisionNumber,
    yours: &Draft,
) -> Result<Response, AdminError> {
    let store = state.store.as_ref();
    let theirs = store.revision(id, current).await?;
    let (theirs_draft, theirs_by, theirs_at) = match theirs {
        Some(r) => (
            r.draft,
            r.saved_by_name.unwrap_or_else(|| "someone".to_owned()),
            when(r.saved_at, &state.site()),
        ),
        None => {
            let article = store
                .article_by_id(id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            (
                newsroom::draft_of(&article),
                "the newsroom".to_owned(),
                when(article.updated_at, &state.site()),
            )
        }
    };
    let (diff, diff_note) = diff_rows(&theirs_draft, yours).await?;
    ConflictPage {
        layout: AdminLayout::new(state, "Someone else saved this article", Some(signed)).at("home"),
        id: id.0,
        current,
        kept_as,
        diff,
        diff_note,
        theirs: Fields::of(&theirs_draft),
        theirs_by,
        theirs_at,
        yours: Fields::of(yours),
    }
    .respond(StatusCode::CONFLICT)
}

struct RevisionRow {
    number: RevisionNumber,
    kind: &'static str,
    by: String,
    at: String,
    headline: String,
    size: String,
    current: bool,
    live: bool,
    previous: Option<RevisionNumber>,
}

#[derive(Template)]
#[template(path = "admin/history.html")]
struct HistoryPage {
    layout: AdminLayout,
    id: i64,
    headline: String,
    base: RevisionNumber,
    can_restore: bool,
    rows: Vec<RevisionRow>,
}

/// "12,345 characters".
fn characters(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    format!("{out} character{}", if n == 1 { "" } else { "s" })
}

fn kind_words(r: &RevisionInfo) -> &'static str {
    match r.kind {
        RevisionKind::Save => "saved",
        RevisionKind::Autosave => "autosaved",
        RevisionKind::Restore => "restored",
        RevisionKind::Conflict => "kept after a conflict",
    }
}

pub async fn show_history(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<ArticleId>,
) -> Result<Response, AdminError> {
    let (desk, revisions) = newsroom::history(state.store.as_ref(), &signed.user, id).await?;
    let site = state.site();
    let numbers: Vec<RevisionNumber> = revisions.iter().map(|r| r.number).collect();
    let rows = revisions
        .iter()
        .map(|r| RevisionRow {
            number: r.number,
            kind: kind_words(r),
            by: r.saved_by_name.clone().unwrap_or_default(),
            at: when(r.saved_at, &site),
            headline: r.headline.clone(),
            size: characters(r.body_chars),
            current: r.number == desk.workflow.revision,
            live: desk.workflow.live_revision == Some(r.number),
            previous: numbers.iter().copied().filter(|n| *n < r.number).max(),
        })
        .collect();
    HistoryPage {
        layout: AdminLayout::new(&state, "Revision history", Some(&signed)).at("home"),
        id: id.0,
        headline: desk.draft.headline.clone(),
        base: desk.workflow.revision,
        can_restore: allowed_steps(&signed.user, &desk.workflow).contains(Step::Edit),
        rows,
    }
    .respond(StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    from: RevisionNumber,
    to: RevisionNumber,
}

#[derive(Template)]
#[template(path = "admin/diff.html")]
struct DiffPage {
    layout: AdminLayout,
    id: i64,
    from: RevisionNumber,
    to: RevisionNumber,
    rows: Vec<DiffRow>,
    note: Option<String>,
}

pub async fn show_diff(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<ArticleId>,
    Query(query): Query<DiffQuery>,
) -> Result<Response, AdminError> {
    let store = state.store.as_ref();
    newsroom::open(store, &signed.user, id).await?;
    let (Some(from), Some(to)) = (
        store.revision(id, query.from).await?,
        store.revision(id, query.to).await?,
    ) else {
        return Err(ServiceError::NotFound.into());
    };
    let (rows, note) = diff_rows(&from.draft, &to.draft).await?;
    DiffPage {
        layout: AdminLayout::new(&state, "Changes", Some(&signed)).at("home"),
        id: id.0,
        from: from.number,
        to: to.number,
        rows,
        note,
    }
    .respond(StatusCode::OK)
}

#[derive(Debug, Default, Deserialize)]
pub struct RestoreForm {
    #[serde(default)]
    number: RevisionNumber,
    #[serde(default)]
    base: RevisionNumber,
}

pub async fn restore_revision(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(article): Path<ArticleId>,
    CsrfForm(form): CsrfForm<RestoreForm>,
) -> Result<Response, AdminError> {
    let store = state.store.as_ref();
    let now = state.clock.now();
    let outcome =
        match newsroom::restore(store, &signed.user, article, form.number, form.base, now).await {
            Ok(outcome) => outcome,
            Err(e) => {
                // The old revision does not pass today's checks: open it in the editor to fix.
                let problems = draft_problems(e)?;
                let desk = newsroom::open(store, &signed.user, article).await?;
                let revision = store
                    .revision(article, form.number)
                    .await?
                    .ok_or(ServiceError::NotFound)?;
                return Editing::new(Some(&desk), &revision.draft, form.base)
                    .refused(&state, &signed, problems)
                    .await;
            }
        };
    match outcome {
        SaveOutcome::Saved(_) => Ok(done(article, "restored")),
        SaveOutcome::Conflict { current, kept_as } => {
            let revision = store
                .revision(article, form.number)
                .await?
                .ok_or(ServiceError::NotFound)?;
            conflict_page(&state, &signed, article, current, kept_as, &revision.draft).await
        }
    }
}
