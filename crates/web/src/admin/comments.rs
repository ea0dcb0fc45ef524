//! Comments, for editors and administrators: the list (newest first, all, pending or approved,
//! fifty a page) and, for each comment, approve, unapprove and delete. A change shows on the
//! article's page at once (its cached copy is dropped).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dateline_domain::{Action, CommentId, CommentKind, CommentStatus, SitePath};
use dateline_services::comments;
use serde::Deserialize;

use super::session::{CsrfForm, SignedIn};
use super::{AdminError, AdminLayout, Respond};
use crate::AppState;

struct CommentItem {
    id: i64,
    when: String,
    author: String,
    email: String,
    url: String,
    pingback: bool,
    paragraphs: Vec<Vec<String>>,
    approved: bool,
    reply: bool,
    article_href: String,
    article_headline: String,
    edit_href: String,
}

#[derive(Template)]
#[template(path = "admin/comments.html")]
struct CommentsPage {
    layout: AdminLayout,
    comments: Vec<CommentItem>,
    /// `""`, `"pending"` or `"approved"`.
    filter: &'static str,
    page: u64,
    newer: Option<String>,
    older: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CommentsQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// The status a filter names: `pending`, `approved`, or anything else for all.
fn filter_status(status: Option<&str>) -> Option<CommentStatus> {
    status.and_then(|s| CommentStatus::parse(s).ok())
}

/// The list's address for `status` and `page`.
fn list_path(status: Option<CommentStatus>, page: u64, done: Option<&str>) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(status) = status {
        pairs.push(("status", status.as_str().to_owned()));
    }
    if page > 1 {
        pairs.push(("page", page.to_string()));
    }
    if let Some(done) = done {
        pairs.push(("done", done.to_owned()));
    }
    SitePath::ADMIN_COMMENTS.with_query(pairs).into()
}

fn notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "approved" => "Approved: the comment shows under its article.",
        "pending" => "Unapproved: the comment no longer shows under its article.",
        "deleted" => "Deleted. Its replies keep their place in the thread.",
        _ => return None,
    })
}

pub async fn list_comments(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(query): Query<CommentsQuery>,
) -> Result<Response, AdminError> {
    signed.require(Action::ModerateComments)?;
    let status = filter_status(query.status.as_deref());
    // A page that is not a number is the first.
    let page = query
        .page
        .as_deref()
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let site = state.site();
    let (rows, more) =
        comments::list_comments(state.store.as_ref(), &signed.user, status, page).await?;
    let comments = rows
        .into_iter()
        .map(|row| {
            let c = &row.comment;
            CommentItem {
                id: c.id.0,
                when: dateline_services::dates::date_time(
                    c.created_at,
                    site.time_zone,
                    &site.locale,
                ),
                author: c.author_name.clone(),
                email: c.author_email.clone(),
                url: c.author_url.clone(),
                pingback: c.kind == CommentKind::Pingback,
                paragraphs: c
                    .paragraphs()
                    .into_iter()
                    .map(|p| p.into_iter().map(str::to_owned).collect())
                    .collect(),
                approved: c.status == CommentStatus::Approved,
                reply: c.parent.is_some(),
                article_href: SitePath::article(&row.article.slug).into(),
                article_headline: row.article.headline.clone(),
                edit_href: SitePath::admin_article(row.article.id).into(),
            }
        })
        .collect();
    CommentsPage {
        layout: AdminLayout::new(&state, "Comments", Some(&signed)).at("comments"),
        comments,
        filter: status.map_or("", CommentStatus::as_str),
        page,
        newer: (page > 1).then(|| list_path(status, page - 1, None)),
        older: more.then(|| list_path(status, page + 1, None)),
        notice: query.done.as_deref().and_then(notice),
    }
    .respond(StatusCode::OK)
}

/// Where a moderation form returns to: the list as it was shown.
#[derive(Debug, Default, Deserialize)]
pub struct BackForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: String,
}

impl BackForm {
    fn back(&self, done: &str) -> Response {
        let page = self.page.parse::<u64>().unwrap_or(1).clamp(1, 1_000_000);
        Redirect::to(&list_path(
            filter_status(Some(&self.status)),
            page,
            Some(done),
        ))
        .into_response()
    }
}

/// `/admin/comments/{id}/approve` and `/admin/comments/{id}/unapprove`.
pub async fn moderate_comment(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((id, step)): Path<(CommentId, String)>,
    CsrfForm(form): CsrfForm<BackForm>,
) -> Result<Response, AdminError> {
    let status = match step.as_str() {
        "approve" => CommentStatus::Approved,
        "unapprove" => CommentStatus::Pending,
        "delete" => {
            comments::delete_comment(state.store.as_ref(), &signed.user, id).await?;
            return Ok(form.back("deleted"));
        }
        _ => return Err(dateline_services::ServiceError::NotFound.into()),
    };
    comments::set_comment_status(state.store.as_ref(), &signed.user, id, status).await?;
    Ok(form.back(status.as_str()))
}
