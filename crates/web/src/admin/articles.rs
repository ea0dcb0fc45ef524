//! The article desk: the list, the editor, preview, the Read More picker, revisions with their
//! history, diff and restore, conflicts, the workflow buttons, corrections and the audit log.
//!
//! The publish and schedule forms carry the revision the page showed; when someone saved since,
//! the answer is 409 with what changed between the two, and nothing goes out.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use dateline_domain::{
    Action, Article, ArticleId, ArticleStatus, AuditRecord, Author, DeskFilter, Draft, Language,
    RevisionInfo, RevisionKind, SaveOutcome, Section, SectionId, SiteSettings, Slug, Source,
};
use dateline_services::newsroom::{self, Coarse, Comparison, DeskError, DiffLine};
use dateline_services::reading::{self, PublishedArticle};
use dateline_services::{ServiceError, articles, dates};
use serde::Deserialize;

use super::session::{AdminForm, SignedIn};
use super::{AdminError, AdminLayout, page};
use crate::AppState;
use crate::layout::Layout;
use crate::views::ArticlePage;

/// Articles per page of the list.
pub const DESK_PAGE: u32 = 25;

impl From<DeskError> for AdminError {
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::NotFound => AdminError::NotFound,
            DeskError::Forbidden => AdminError::Forbidden,
            DeskError::WrongState(message) => AdminError::Conflict(message),
            // Handlers that publish answer this with the comparison page; elsewhere it is plain.
            DeskError::Stale { current, .. } => AdminError::Conflict(format!(
                "Revision {current} was saved after this page was loaded. Reload the article to see it."
            )),
            DeskError::Service(e) => e.into(),
        }
    }
}

fn when(at: DateTime<Utc>, site: &SiteSettings) -> String {
    dates::date_time(at, site.time_zone, &site.locale)
}

// The list

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
    let mut parts = Vec::new();
    for (k, v) in [
        ("status", &query.status),
        ("section", &query.section),
        ("author", &query.author),
        ("q", &query.q),
    ] {
        if !v.is_empty() {
            parts.push(format!("{k}={}", super::encode_component(v)));
        }
    }
    parts.push(format!("page={page}"));
    format!("/admin?{}", parts.join("&"))
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
    let rows = items
        .into_iter()
        .map(|i| DeskRow {
            href: format!("/admin/articles/{}", i.id),
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
                && i.workflow.live_revision.unwrap_or(0) != i.workflow.revision,
        })
        .collect();
    let html = DeskPage {
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
    .render()?;
    Ok(page(StatusCode::OK, html))
}

// The editor

/// The editor's fields, as posted.
#[derive(Debug, Default, Deserialize)]
pub struct ArticleForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub base: i64,
    #[serde(default)]
    pub headline: String,
    #[serde(default)]
    pub standfirst: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub section: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub authors: String,
    #[serde(default)]
    pub source_agency: String,
    #[serde(default)]
    pub source_inputs: Option<String>,
    #[serde(default)]
    pub language: String,
}

fn split_names(s: &str) -> Vec<String> {
    s.split([',', '\n'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

impl ArticleForm {
    fn draft(&self, site: &SiteSettings) -> Draft {
        let agency = self.source_agency.trim();
        Draft {
            headline: self.headline.trim().to_owned(),
            standfirst: self.standfirst.trim().to_owned(),
            body: self.body.replace("\r\n", "\n"),
            section: self.section.trim().to_owned(),
            tags: split_names(&self.tags),
            authors: split_names(&self.authors),
            source: (!agency.is_empty()).then(|| Source {
                agency: agency.to_owned(),
                additional_inputs: self.source_inputs.is_some(),
            }),
            language: if self.language.trim().is_empty() {
                site.locale.to_string()
            } else {
                self.language.trim().to_owned()
            },
        }
    }
}

/// The fields of the editor form, filled.
pub struct Fields {
    headline: String,
    standfirst: String,
    body: String,
    section: String,
    tags: String,
    authors: String,
    source_agency: String,
    source_inputs: bool,
    language: String,
}

impl Fields {
    fn of(d: &Draft) -> Self {
        Self {
            headline: d.headline.clone(),
            standfirst: d.standfirst.clone(),
            body: d.body.clone(),
            section: d.section.clone(),
            tags: d.tags.join(", "),
            authors: d.authors.join(", "),
            source_agency: d
                .source
                .as_ref()
                .map(|s| s.agency.clone())
                .unwrap_or_default(),
            source_inputs: d.source.as_ref().is_some_and(|s| s.additional_inputs),
            language: d.language.clone(),
        }
    }
}

/// What the workflow panel offers.
struct Workflow {
    status: &'static str,
    status_class: &'static str,
    embargo: Option<String>,
    published: Option<String>,
    public_href: Option<String>,
    changes: bool,
    can_submit: bool,
    can_publish: bool,
    can_schedule: bool,
    can_unpublish: bool,
    can_correct: bool,
    zone: String,
}

#[derive(Template)]
#[template(path = "admin/editor.html")]
struct EditorPage {
    layout: AdminLayout,
    /// `None` for a new article.
    id: Option<i64>,
    action: String,
    base: i64,
    fields: Fields,
    sections: Vec<String>,
    tags: Vec<String>,
    authors: Vec<String>,
    errors: Vec<String>,
    notice: Option<String>,
    workflow: Option<Workflow>,
    corrections: Vec<String>,
    editor_js: &'static str,
    featured: Option<super::media::Picture>,
    /// Images to choose from: (id, label, selected).
    library: Vec<(i64, String, bool)>,
    can_edit: bool,
}

#[expect(clippy::too_many_arguments, reason = "the page's parts, each optional")]
async fn editor_page(
    state: &AppState,
    signed: &SignedIn,
    status: StatusCode,
    desk: Option<&newsroom::Desk>,
    fields: Fields,
    base: i64,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<Response, AdminError> {
    let store = state.store.as_ref();
    let site = state.site();
    let mut corrections = Vec::new();
    let workflow = match desk {
        Some(d) => {
            let user = &signed.user;
            let wf = &d.workflow;
            let may_publish = newsroom::may_publish(user, wf);
            for c in store.corrections(d.article.id).await? {
                corrections.push(format!(
                    "{}, {}: {}",
                    if c.kind == "update" {
                        "Update"
                    } else {
                        "Correction"
                    },
                    dates::long_date(c.created_at, site.time_zone, &site.locale),
                    c.note
                ));
            }
            Some(Workflow {
                status: wf.status.label(),
                status_class: wf.status.as_str(),
                embargo: wf
                    .scheduled_at
                    .filter(|_| wf.status == ArticleStatus::Scheduled)
                    .map(|t| when(t, &site)),
                published: d.article.published_at.map(|t| when(t, &site)),
                public_href: (wf.status == ArticleStatus::Published)
                    .then(|| format!("/{}", d.article.slug)),
                changes: d.unpublished_changes,
                can_submit: wf.status == ArticleStatus::Draft && newsroom::may_edit(user, wf),
                can_publish: may_publish,
                can_schedule: may_publish
                    && matches!(
                        wf.status,
                        ArticleStatus::Draft | ArticleStatus::InReview | ArticleStatus::Scheduled
                    ),
                can_unpublish: may_publish && wf.status == ArticleStatus::Published,
                can_correct: user.may(Action::PublishAny) && wf.status == ArticleStatus::Published,
                zone: site.time_zone.name().to_owned(),
            })
        }
        None => None,
    };
    let id = desk.map(|d| d.article.id.0);
    let featured = match desk {
        Some(d) => store
            .featured_images(&[d.article.id])
            .await?
            .into_iter()
            .next()
            .map(|(_, image)| image),
        None => None,
    };
    let library = store
        .images(0, 40)
        .await?
        .into_iter()
        .map(|i| {
            let selected = featured.as_ref().is_some_and(|f| f.id == i.id);
            (i.id.0, format!("{}: {}", i.id, i.caption), selected)
        })
        .collect();
    let can_edit = desk.is_some_and(|d| newsroom::may_edit(&signed.user, &d.workflow));
    let featured = featured.map(|f| super::media::Picture::new(&f, 640));
    let title = if fields.headline.is_empty() {
        "New article".to_owned()
    } else {
        fields.headline.clone()
    };
    let html = EditorPage {
        layout: AdminLayout::new(state, &title, Some(signed)).at("home"),
        id,
        action: id.map_or_else(
            || "/admin/articles".to_owned(),
            |id| format!("/admin/articles/{id}"),
        ),
        base,
        fields,
        sections: store
            .sections()
            .await?
            .into_iter()
            .map(|s| s.name)
            .collect(),
        tags: store.tags().await?.into_iter().map(|t| t.name).collect(),
        authors: store.authors().await?.into_iter().map(|a| a.name).collect(),
        errors,
        notice,
        workflow,
        corrections,
        editor_js: super::EDITOR_JS_HREF.as_str(),
        featured,
        library,
        can_edit,
    }
    .render()?;
    Ok(page(status, html))
}

fn problems(e: &ServiceError) -> Option<Vec<String>> {
    match e {
        ServiceError::Invalid(list) => Some(list.iter().map(ToString::to_string).collect()),
        _ => None,
    }
}

pub async fn new_article(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, AdminError> {
    signed.require(Action::WriteOwnDrafts)?;
    let draft = Draft {
        authors: vec![signed.user.name.clone()],
        language: state.site().locale.to_string(),
        ..Draft::default()
    };
    editor_page(
        &state,
        &signed,
        StatusCode::OK,
        None,
        Fields::of(&draft),
        0,
        vec![],
        None,
    )
    .await
}

pub async fn create_article(
    State(state): State<AppState>,
    signed: SignedIn,
    AdminForm(form): AdminForm<ArticleForm>,
) -> Result<Response, AdminError> {
    signed.check_csrf(&form.csrf)?;
    signed.require(Action::WriteOwnDrafts)?;
    let draft = form.draft(&state.site());
    match newsroom::create_draft(
        state.store.as_ref(),
        &signed.user,
        &draft,
        state.clock.now(),
    )
    .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/admin/articles/{id}?saved=1")).into_response()),
        Err(DeskError::Service(e)) if problems(&e).is_some() => {
            let errors = problems(&e).unwrap_or_default();
            editor_page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Fields::of(&draft),
                0,
                errors,
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct EditQuery {
    #[serde(default)]
    saved: Option<i64>,
    #[serde(default)]
    done: Option<String>,
}

pub async fn edit_article(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<i64>,
    Query(query): Query<EditQuery>,
) -> Result<Response, AdminError> {
    signed.require(Action::UseNewsroom)?;
    let desk = newsroom::open(state.store.as_ref(), &signed.user, ArticleId(id)).await?;
    let notice = match (query.saved, query.done.as_deref()) {
        (_, Some(done)) => Some(done_message(done).to_owned()),
        (Some(_), None) => Some(format!("Saved as revision {}.", desk.workflow.revision)),
        (None, None) => None,
    };
    let base = desk.workflow.revision;
    let fields = Fields::of(&desk.draft);
    editor_page(
        &state,
        &signed,
        StatusCode::OK,
        Some(&desk),
        fields,
        base,
        vec![],
        notice,
    )
    .await
}

fn done_message(done: &str) -> &'static str {
    match done {
        "submitted" => "Submitted for review. An editor will pick it up.",
        "published" => "Published. The public page shows this version now.",
        "scheduled" => "Scheduled. The server will publish it at the time shown.",
        "unpublished" => "Unpublished. Its address now answers 410 Gone.",
        "corrected" => "The note has been added to the public article.",
        "restored" => "Restored as a new revision.",
        "featured" => {
            "The featured image has been changed (on a live article, readers see it at once)."
        }
        _ => "Done.",
    }
}

#[derive(Template)]
#[template(path = "admin/conflict.html")]
struct ConflictPage {
    layout: AdminLayout,
    id: i64,
    current: i64,
    kept_as: i64,
    theirs: Fields,
    theirs_by: String,
    theirs_at: String,
    yours: Fields,
    diff: Vec<DiffRow>,
    diff_note: Option<String>,
}

struct DiffRow {
    class: &'static str,
    sign: &'static str,
    text: String,
}

/// The rows of a comparison and, when it is not line by line or not complete, a note saying so.
async fn diff_rows(old: &Draft, new: &Draft) -> Result<(Vec<DiffRow>, Option<String>), AdminError> {
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

async fn conflict_page(
    state: &AppState,
    signed: &SignedIn,
    id: ArticleId,
    current: i64,
    kept_as: i64,
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
            let article = store.article_by_id(id).await?.ok_or(AdminError::NotFound)?;
            (
                newsroom::draft_of(&article),
                "the newsroom".to_owned(),
                when(article.updated_at, &state.site()),
            )
        }
    };
    let (diff, diff_note) = diff_rows(&theirs_draft, yours).await?;
    let html = ConflictPage {
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
    .render()?;
    Ok(page(StatusCode::CONFLICT, html))
}

pub async fn save_article(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<i64>,
    AdminForm(form): AdminForm<ArticleForm>,
) -> Result<Response, AdminError> {
    signed.check_csrf(&form.csrf)?;
    let id = ArticleId(id);
    let draft = form.draft(&state.site());
    let store = state.store.as_ref();
    let now = state.clock.now();
    match newsroom::save(
        store,
        &signed.user,
        id,
        form.base,
        &draft,
        RevisionKind::Save,
        now,
    )
    .await
    {
        Ok(SaveOutcome::Saved(n)) => {
            Ok(Redirect::to(&format!("/admin/articles/{id}?saved={n}")).into_response())
        }
        Ok(SaveOutcome::Conflict { current, kept_as }) => {
            conflict_page(&state, &signed, id, current, kept_as, &draft).await
        }
        Err(DeskError::Service(e)) if problems(&e).is_some() => {
            let desk = newsroom::open(store, &signed.user, id).await?;
            editor_page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&desk),
                Fields::of(&draft),
                form.base,
                problems(&e).unwrap_or_default(),
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// Autosave from the editor's script: answers `saved N` (the new base) or, with 409,
/// `conflict N` (the current revision; the text was kept as a revision anyway). A draft over a
/// size limit is not stored: 422 with `invalid` and the problems, and the text stays in the
/// writer's browser.
pub async fn autosave_article(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<i64>,
    AdminForm(form): AdminForm<ArticleForm>,
) -> Result<Response, AdminError> {
    signed.check_csrf(&form.csrf)?;
    let draft = form.draft(&state.site());
    let outcome = match newsroom::save(
        state.store.as_ref(),
        &signed.user,
        ArticleId(id),
        form.base,
        &draft,
        RevisionKind::Autosave,
        state.clock.now(),
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(DeskError::Service(e)) if problems(&e).is_some() => {
            let list = problems(&e).unwrap_or_default();
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("invalid Not autosaved: {}", list.join("; ")),
            )
                .into_response());
        }
        Err(e) => return Err(e.into()),
    };
    Ok(match outcome {
        SaveOutcome::Saved(n) => (StatusCode::OK, format!("saved {n}")).into_response(),
        SaveOutcome::Conflict { current, .. } => {
            (StatusCode::CONFLICT, format!("conflict {current}")).into_response()
        }
    })
}

/// The article as readers would see it, rendered by the public page's template.
pub async fn preview_article(
    State(state): State<AppState>,
    signed: SignedIn,
    AdminForm(form): AdminForm<ArticleForm>,
) -> Result<Response, AdminError> {
    signed.check_csrf(&form.csrf)?;
    signed.require(Action::WriteOwnDrafts)?;
    let site = state.site();
    let draft = form.draft(&site);
    let store = state.store.as_ref();
    let writer = articles::Writer::Account(&signed.user);
    let body_html = match articles::render_body(store, &draft.body, writer).await {
        Ok(html) => html,
        Err(e) => match problems(&e) {
            Some(list) => {
                return Err(AdminError::BadRequest(format!(
                    "The preview cannot be shown: {}",
                    list.join("; ")
                )));
            }
            None => return Err(e.into()),
        },
    };
    let body = reading::body_parts(store, &body_html).await?;
    let language = Language::parse(&draft.language).unwrap_or_else(|_| site.locale.clone());
    let now = state.clock.now();
    let Some(section_slug) =
        Slug::from_title(&draft.section).or_else(|| Slug::from_title("preview"))
    else {
        return Err(AdminError::BadRequest(
            "The preview cannot be shown: the section needs a letter or digit".to_owned(),
        ));
    };
    let article = Article {
        id: ArticleId(0),
        slug: Slug::from_title(&draft.headline).unwrap_or_else(|| section_slug.clone()),
        headline: draft.headline.clone(),
        standfirst: draft.standfirst.clone(),
        body: draft.body.clone(),
        body_html,
        section: Section {
            id: SectionId(0),
            slug: section_slug,
            name: draft.section.clone(),
        },
        tags: Vec::new(),
        authors: Vec::new(),
        source: draft.source.clone(),
        status: ArticleStatus::Draft,
        language,
        published_at: Some(now),
        created_at: now,
        updated_at: now,
    };
    let attribution = draft
        .source
        .as_ref()
        .map(|s| reading::attribution(&site, s));
    let layout = Layout::build(&state, &format!("Preview: {}", draft.headline), "").await?;
    let mut preview = ArticlePage::new(
        layout,
        PublishedArticle {
            article,
            body,
            references: Vec::new(),
            attribution,
        },
        &site,
    );
    preview.authors = draft
        .authors
        .iter()
        .map(|name| crate::views::Link {
            name: name.clone(),
            href: "#".to_owned(),
        })
        .collect();
    Ok(page(StatusCode::OK, preview.render()?))
}

// The workflow

#[derive(Debug, Default, Deserialize)]
pub struct WorkflowForm {
    #[serde(default)]
    csrf: String,
    /// For publishing and scheduling: the revision the page showed, which is the one that goes
    /// out (or nothing does).
    #[serde(default)]
    revision: Option<i64>,
    /// For scheduling: a local date and time in the publication's zone.
    #[serde(default)]
    at: String,
    /// For corrections: "correction" or "update", and the note.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    note: String,
}

fn done(id: i64, what: &str) -> Response {
    Redirect::to(&format!("/admin/articles/{id}?done={what}")).into_response()
}

/// The workflow buttons that need nothing but the article: `/admin/articles/{id}/submit`,
/// `/publish` and `/unpublish` (any other last segment is not found).
pub async fn move_article(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((id, step)): Path<(i64, String)>,
    AdminForm(form): AdminForm<WorkflowForm>,
) -> Result<Response, AdminError> {
    signed.check_csrf(&form.csrf)?;
    let (store, user, article, now) = (
        state.store.as_ref(),
        &signed.user,
        ArticleId(id),
        state.clock.now(),
    );
    let what = match step.as_str() {
        "submit" => {
            newsroom::submit(store, user, article, now).await?;
            "submitted"
        }
        "publish" => {
            match newsroom::publish(store, user, article, form.revision, now).await {
                Err(DeskError::Stale { seen, current }) => {
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
        _ => return Err(AdminError::NotFound),
    };
    Ok(done(id, what))
}

pub async fn schedule_article(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<i64>,
    AdminForm(form): AdminForm<WorkflowForm>,
) -> Result<Response, AdminError> {
    signed.check_csrf(&form.csrf)?;
    let at = newsroom::local_time(&form.at, state.site().time_zone)
        .map_err(|e| AdminError::from(ServiceError::from(e)))?;
    let article = ArticleId(id);
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
        Err(DeskError::Stale { seen, current }) => {
            let retry = Retry::Schedule(form.at.trim().to_owned());
            stale_page(&state, &signed, article, seen, current, retry).await
        }
        other => {
            other?;
            Ok(done(id, "scheduled"))
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
    let newest = store.revision(id, current).await?;
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
        Some(n) => store.revision(id, n).await?.map(|r| r.draft),
        None => None,
    };
    let now_there = newest.map_or_else(|| desk.draft.clone(), |r| r.draft);
    let (diff, diff_note) = match reviewed {
        Some(old) => diff_rows(&old, &now_there).await?,
        None => (Vec::new(), None),
    };
    let (action, verb, at) = match retry {
        Retry::Publish => ("publish", "Publish", String::new()),
        Retry::Schedule(at) => ("schedule", "Schedule", at),
    };
    let html = StalePage {
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
        can_retry: newsroom::may_publish(&signed.user, &desk.workflow),
    }
    .render()?;
    Ok(page(StatusCode::CONFLICT, html))
}

pub async fn correct_article(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<i64>,
    AdminForm(form): AdminForm<WorkflowForm>,
) -> Result<Response, AdminError> {
    signed.check_csrf(&form.csrf)?;
    newsroom::correct(
        state.store.as_ref(),
        &signed.user,
        ArticleId(id),
        &form.kind,
        &form.note,
        state.clock.now(),
    )
    .await?;
    Ok(done(id, "corrected"))
}

// History

struct RevisionRow {
    number: i64,
    kind: &'static str,
    by: String,
    at: String,
    headline: String,
    size: String,
    current: bool,
    live: bool,
    previous: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin/history.html")]
struct HistoryPage {
    layout: AdminLayout,
    id: i64,
    headline: String,
    base: i64,
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
    Path(id): Path<i64>,
) -> Result<Response, AdminError> {
    let (desk, revisions) =
        newsroom::history(state.store.as_ref(), &signed.user, ArticleId(id)).await?;
    let site = state.site();
    let numbers: Vec<i64> = revisions.iter().map(|r| r.number).collect();
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
    let html = HistoryPage {
        layout: AdminLayout::new(&state, "Revision history", Some(&signed)).at("home"),
        id,
        headline: desk.draft.headline.clone(),
        base: desk.workflow.revision,
        can_restore: newsroom::may_edit(&signed.user, &desk.workflow),
        rows,
    }
    .render()?;
    Ok(page(StatusCode::OK, html))
}

#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    from: i64,
    to: i64,
}

#[derive(Template)]
#[template(path = "admin/diff.html")]
struct DiffPage {
    layout: AdminLayout,
    id: i64,
    from: i64,
    to: i64,
    rows: Vec<DiffRow>,
    note: Option<String>,
}

pub async fn show_diff(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<i64>,
    Query(query): Query<DiffQuery>,
) -> Result<Response, AdminError> {
    let store = state.store.as_ref();
    newsroom::open(store, &signed.user, ArticleId(id)).await?;
    let (Some(from), Some(to)) = (
        store.revision(ArticleId(id), query.from).await?,
        store.revision(ArticleId(id), query.to).await?,
    ) else {
        return Err(AdminError::NotFound);
    };
    let (rows, note) = diff_rows(&from.draft, &to.draft).await?;
    let html = DiffPage {
        layout: AdminLayout::new(&state, "Changes", Some(&signed)).at("home"),
        id,
        from: from.number,
        to: to.number,
        rows,
        note,
    }
    .render()?;
    Ok(page(StatusCode::OK, html))
}

#[derive(Debug, Default, Deserialize)]
pub struct RestoreForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    number: i64,
    #[serde(default)]
    base: i64,
}

pub async fn restore_revision(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<i64>,
    AdminForm(form): AdminForm<RestoreForm>,
) -> Result<Response, AdminError> {
    signed.check_csrf(&form.csrf)?;
    let article = ArticleId(id);
    let store = state.store.as_ref();
    let now = state.clock.now();
    let outcome =
        match newsroom::restore(store, &signed.user, article, form.number, form.base, now).await {
            Ok(outcome) => outcome,
            Err(DeskError::Service(e)) if problems(&e).is_some() => {
                // The old revision does not pass today's checks: open it in the editor to fix.
                let desk = newsroom::open(store, &signed.user, article).await?;
                let revision = store
                    .revision(article, form.number)
                    .await?
                    .ok_or(AdminError::NotFound)?;
                return editor_page(
                    &state,
                    &signed,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(&desk),
                    Fields::of(&revision.draft),
                    form.base,
                    problems(&e).unwrap_or_default(),
                    None,
                )
                .await;
            }
            Err(e) => return Err(e.into()),
        };
    match outcome {
        SaveOutcome::Saved(_) => Ok(done(id, "restored")),
        SaveOutcome::Conflict { current, kept_as } => {
            let revision = store
                .revision(article, form.number)
                .await?
                .ok_or(AdminError::NotFound)?;
            conflict_page(&state, &signed, article, current, kept_as, &revision.draft).await
        }
    }
}

// The Read More picker

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
    let html = PickerPage {
        layout: AdminLayout::new(&state, "Find an article for Read More", Some(&signed)).at("home"),
        q: q.to_owned(),
        rows,
    }
    .render()?;
    Ok(page(StatusCode::OK, html))
}

// The audit log

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    page: Option<u64>,
    #[serde(default)]
    article: Option<i64>,
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
        .audit_log(
            query.article.map(ArticleId),
            (page_no - 1) * per_page,
            per_page as u32 + 1,
        )
        .await?;
    let more = records.len() > per_page as usize;
    let rows = records
        .into_iter()
        .take(per_page as usize)
        .map(|r: AuditRecord| AuditRow {
            at: when(r.at, &site),
            who: r
                .user_name
                .unwrap_or_else(|| "Dateline (scheduled)".to_owned()),
            action: r.action,
            article: r.article.map(|id| {
                (
                    format!("/admin/articles/{id}"),
                    r.headline.unwrap_or_else(|| format!("article {id}")),
                )
            }),
            detail: r.detail,
        })
        .collect();
    let link = |p: u64| match query.article {
        Some(a) => format!("/admin/audit?article={a}&page={p}"),
        None => format!("/admin/audit?page={p}"),
    };
    let html = AuditPage {
        layout: AdminLayout::new(&state, "Audit log", Some(&signed)).at("audit"),
        rows,
        newer: (page_no > 1).then(|| link(page_no - 1)),
        older: more.then(|| link(page_no + 1)),
    }
    .render()?;
    Ok(page(StatusCode::OK, html))
}
