//! The audit log, for editors and administrators: who did what to which article, newest
//! first, a page at a time, for the whole newsroom or one article.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use dateline_domain::{Action, ArticleId, AuditAction, AuditRecord, LoggedAction, SitePath};
use serde::Deserialize;

use super::when;
use crate::AppState;
use crate::admin::session::SignedIn;
use crate::admin::{AdminError, AdminLayout, Respond};

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    page: Option<u64>,
    #[serde(default)]
    article: Option<ArticleId>,
}

struct AuditRow {
    at: String,
    who: String,
    action: String,
    article: Option<(String, String)>,
    detail: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: AdminLayout,
    rows: Vec<AuditRow>,
    newer: Option<String>,
    older: Option<String>,
}

pub async fn show_audit(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AdminError> {
    signed.require(Action::ViewAuditLog)?;
    let site = state.site();
    let page_no = query.page.unwrap_or(1).max(1);
    let per_page = 50;
    let records = state
        .store
        .audit_log(query.article, (page_no - 1) * per_page, per_page as u32 + 1)
        .await?;
    let more = records.len() > per_page as usize;
    let rows = records
        .into_iter()
        .take(per_page as usize)
        .map(|r: AuditRecord| AuditRow {
            at: when(r.at, &site),
            who: r.user_name.unwrap_or_else(|| {
                if r.action == LoggedAction::Known(AuditAction::TakenDownByWire) {
                    "Wire desk".to_owned()
                } else {
                    "Dateline (scheduled)".to_owned()
                }
            }),
            action: r.action.to_string(),
            article: r.article.map(|id| {
                (
                    SitePath::admin_article(id).into(),
                    r.headline.unwrap_or_else(|| format!("article {id}")),
                )
            }),
            detail: r.detail,
        })
        .collect();
    let link = |p: u64| {
        let article = query.article.map(|a| ("article", a.to_string()));
        String::from(
            SitePath::ADMIN_AUDIT.with_query(article.into_iter().chain([("page", p.to_string())])),
        )
    };
    AuditPage {
        layout: AdminLayout::new(&state, "Audit log", Some(&signed)).at("audit"),
        rows,
        newer: (page_no > 1).then(|| link(page_no - 1)),
        older: more.then(|| link(page_no + 1)),
    }
    .respond(StatusCode::OK)
}
