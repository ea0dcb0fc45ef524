//! The newsroom's home: the list of articles with its filters (status, section, byline) and
//! headline search, a page at a time, showing each account only what it may open.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use dateline_domain::{
    Action, ArticleStatus, Author, DeskFilter, RevisionNumber, Section, SitePath,
};
use serde::Deserialize;

use super::when;
use crate::AppState;
use crate::admin::session::SignedIn;
use crate::admin::{AdminError, AdminLayout, Respond};

/// Articles per page of the list.
pub const DESK_PAGE: u32 = 25;

#[derive(Debug, Default, Deserialize)]
pub struct DeskQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    section: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<u64>,
}

struct DeskRow {
    href: String,
    headline: String,
    status: &'static str,
    status_class: &'static str,
    section: String,
    byline: String,
    updated: String,
    embargo: Option<String>,
    changes: bool,
    /// What an agency did to a source of the article, not dealt with yet, and whether it is
    /// urgent.
    source_alert: Option<(&'static str, bool)>,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "admin/desk.html")]
struct DeskPage {
    layout: AdminLayout,
    rows: Vec<DeskRow>,
    total: u64,
    q: String,
    statuses: Vec<Choice>,
    sections: Vec<Choice>,
    authors: Vec<Choice>,
    newer: Option<String>,
    older: Option<String>,
    page: u64,
    pages: u64,
}

fn choices<T>(items: &[T], selected: &str, value: impl Fn(&T) -> (String, String)) -> Vec<Choice> {
    items
        .iter()
        .map(|i| {
            let (value, label) = value(i);
            Choice {
                selected: value == selected,
                value,
                label,
            }
        })
        .collect()
}

fn query_string(query: &DeskQuery, page: u64) -> String {
    let filters = [
        ("status", query.status.as_str()),
        ("section", query.section.as_str()),
        ("author", query.author.as_str()),
        ("q", query.q.as_str()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty());
    let page = page.to_string();
    SitePath::ADMIN
        .with_query(filters.chain([("page", page.as_str())]))
        .into()
}

pub async fn list_articles(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(query): Query<DeskQuery>,
) -> Result<Response, AdminError> {
    signed.require(Action::UseNewsroom)?;
    let store = state.store.as_ref();
    let site = state.site();
    let sections = store.sections().await?;
    let authors = store.authors().await?;
    let filter = DeskFilter {
        status: ArticleStatus::parse(&query.status),
        section: sections
            .iter()
            .find(|s| s.slug.as_str() == query.section)
            .map(|s| s.id),
        author: authors
            .iter()
            .find(|a| a.slug.as_str() == query.author)
            .map(|a| a.id),
        text: Some(dateline_domain::query_text(&query.q)).filter(|t| !t.is_empty()),
        // The list shows what the account may open: an account that may not edit others'
        // articles sees only its own, not their headlines or embargo times.
        written_by: (!signed.user.may(Action::EditAnyArticle)).then_some(signed.user.id),
    };
    let page_no = query.page.unwrap_or(1).max(1);
    let (items, total) = store
        .desk(&filter, (page_no - 1) * u64::from(DESK_PAGE), DESK_PAGE)
        .await?;
    let pages = total.div_ceil(u64::from(DESK_PAGE)).max(1);
    let ids: Vec<_> = items.iter().map(|i| i.id).collect();
    let alerts = store.open_alerts_of(&ids).await?;
    let rows = items
        .into_iter()
        .map(|i| DeskRow {
            // The most urgent of the article's open alerts.
            source_alert: alerts
                .iter()
                .filter(|a| a.article == i.id)
                .max_by_key(|a| a.kind.urgent())
                .map(|a| (a.kind.flag(), a.kind.urgent())),
            href: SitePath::admin_article(i.id).into(),
            headline: i.headline,
            status: i.status.label(),
            status_class: i.status.as_str(),
            section: i.section,
            byline: i.byline.join(", "),
            updated: when(i.updated_at, &site),
            embargo: i
                .workflow
                .scheduled_at
                .filter(|_| i.status == ArticleStatus::Scheduled)
                .map(|t| when(t, &site)),
            changes: i.status == ArticleStatus::Published
                && i.workflow.live_revision.unwrap_or(RevisionNumber::STORED)
                    != i.workflow.revision,
        })
        .collect();
    DeskPage {
        layout: AdminLayout::new(&state, "Articles", Some(&signed)).at("home"),
        rows,
        total,
        statuses: ArticleStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().to_owned(),
                label: s.label().to_owned(),
                selected: s.as_str() == query.status,
            })
            .collect(),
        sections: choices(&sections, &query.section, |s: &Section| {
            (s.slug.to_string(), s.name.clone())
        }),
        authors: choices(&authors, &query.author, |a: &Author| {
            (a.slug.to_string(), a.name.clone())
        }),
        newer: (page_no > 1).then(|| query_string(&query, page_no - 1)),
        older: (page_no < pages).then(|| query_string(&query, page_no + 1)),
        q: query.q.clone(),
        page: page_no,
        pages,
    }
    .respond(StatusCode::OK)
}
