//! The editor: a new article, an existing one opened for editing, saving (a conflict with
//! someone else's save keeps both), the editor script's autosave, and the preview through the
//! public page's template. After a workflow step taken elsewhere the editor reopens with a
//! notice saying what was done (`?done=`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dateline_domain::store::ArticleSource;
use dateline_domain::wire::ItemStatus;
use dateline_domain::{
    Action, Article, ArticleId, ArticleStatus, AttributionMode, Draft, Language, RevisionKind,
    RevisionNumber, SaveOutcome, Section, SectionId, SitePath, SiteSettings, Slug, Source, Step,
    allowed_steps,
};
use dateline_services::ServiceError;
use dateline_services::newsroom;
use dateline_services::reading::{self, PublishedArticle};
use dateline_services::{articles, dates};
use serde::Deserialize;

use super::revisions::conflict_page;
use super::{draft_problems, when};
use crate::AppState;
use crate::admin::session::{CsrfForm, SignedIn};
use crate::admin::{AdminError, AdminLayout, Respond};
use crate::layout::Layout;
use crate::views::ArticlePage;

/// The editor's fields, as posted.
#[derive(Debug, Default, Deserialize)]
pub struct ArticleForm {
    #[serde(default)]
    pub base: RevisionNumber,
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
    /// The agencies credited, comma-separated.
    #[serde(default)]
    pub source_agencies: String,
    /// An [`AttributionMode`] name.
    #[serde(default)]
    pub source_mode: String,
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
    /// The draft as typed: no agencies is the newsroom's own reporting. A mode that is not
    /// one of the form's reads as "as received", the line that claims the least.
    fn draft(&self, site: &SiteSettings) -> Draft {
        let agencies = split_names(&self.source_agencies);
        let mode = AttributionMode::parse(&self.source_mode).unwrap_or_default();
        Draft {
            headline: self.headline.trim().to_owned(),
            standfirst: self.standfirst.trim().to_owned(),
            body: self.body.replace("\r\n", "\n"),
            section: self.section.trim().to_owned(),
            tags: split_names(&self.tags),
            authors: split_names(&self.authors),
            source: (!agencies.is_empty()).then_some(Source { agencies, mode }),
            language: if self.language.trim().is_empty() {
                site.locale.to_string()
            } else {
                self.language.trim().to_owned()
            },
        }
    }
}

/// The fields of the editor form, filled.
pub(super) struct Fields {
    pub(super) headline: String,
    pub(super) standfirst: String,
    pub(super) body: String,
    pub(super) section: String,
    pub(super) tags: String,
    pub(super) authors: String,
    pub(super) source_agencies: String,
    pub(super) source_mode: AttributionMode,
    pub(super) language: String,
}

impl Fields {
    pub(super) fn of(d: &Draft) -> Self {
        Self {
            headline: d.headline.clone(),
            standfirst: d.standfirst.clone(),
            body: d.body.clone(),
            section: d.section.clone(),
            tags: d.tags.join(", "),
            authors: d.authors.join(", "),
            source_agencies: d
                .source
                .as_ref()
                .map(|s| s.agencies.join(", "))
                .unwrap_or_default(),
            source_mode: d.source.as_ref().map(|s| s.mode).unwrap_or_default(),
            language: d.language.clone(),
        }
    }
}

impl Fields {
    /// The attribution modes to pick from, with the chosen one marked.
    pub(super) fn attribution_modes(&self) -> Vec<(AttributionMode, bool)> {
        AttributionMode::ALL
            .into_iter()
            .map(|mode| (mode, mode == self.source_mode))
            .collect()
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
    base: RevisionNumber,
    fields: Fields,
    sections: Vec<String>,
    tags: Vec<String>,
    authors: Vec<String>,
    errors: Vec<String>,
    notice: Option<String>,
    workflow: Option<Workflow>,
    corrections: Vec<String>,
    editor_js: &'static str,
    featured: Option<crate::admin::media::Picture>,
    /// Images to choose from: (id, label, selected).
    library: Vec<(i64, String, bool)>,
    can_edit: bool,
    /// The agency versions the article was built on.
    sources: Vec<SourceView>,
    /// What the agencies changed since, not dealt with yet.
    alerts: Vec<crate::admin::wire::AlertLine>,
    /// The search title and description, of a stored article.
    search: Option<dateline_domain::SearchText>,
    /// Whether it is pinned to the home page, for an account that may pin it.
    pinned: Option<bool>,
}

/// One agency version an article was built on, as its editor shows it.
struct SourceView {
    text: String,
    href: String,
    /// What the agency has done with the item since, if anything.
    note: Option<String>,
    /// The item's page comparing the version used with the agency's newest.
    compare_href: Option<String>,
}

impl SourceView {
    fn of(source: &ArticleSource, site: &SiteSettings) -> Self {
        let item = SitePath::admin_wire_item(source.item.0);
        let used = source.version.id.0.to_string();
        let label = source
            .version
            .label
            .as_deref()
            .filter(|l| *l != source.version.key)
            .map_or_else(String::new, |l| format!(" ({l})"));
        let note = match source.item_status {
            ItemStatus::Canceled => Some("killed by the agency".to_owned()),
            ItemStatus::Withheld => Some("withheld by the agency".to_owned()),
            ItemStatus::Usable => match (source.newer_version, source.embargoed_until) {
                (Some(_), _) => Some("the agency has sent a newer version".to_owned()),
                (None, Some(until)) => Some(format!("embargoed until {}", when(until, site))),
                (None, None) => None,
            },
        };
        Self {
            text: format!(
                "{} · {} · version {}{label}",
                source.attribution, source.item_id, source.version.key
            ),
            href: item.clone().with_query([("version", used.clone())]).into(),
            note,
            compare_href: source.newer_version.map(|newer| {
                item.with_query([
                    ("version", newer.0.to_string()),
                    ("from", used),
                    ("to", newer.0.to_string()),
                ])
                .into()
            }),
        }
    }
}

/// The editor as it is about to be shown: the article as it stands (`None` for a new one), the
/// fields as they are to be filled, the revision they are based on, and what to say above them.
pub(super) struct Editing<'a> {
    desk: Option<&'a newsroom::Desk>,
    fields: Fields,
    base: RevisionNumber,
    errors: Vec<String>,
    notice: Option<String>,
}

impl<'a> Editing<'a> {
    /// The editor filled with `draft`, based on revision `base`.
    pub(super) fn new(
        desk: Option<&'a newsroom::Desk>,
        draft: &Draft,
        base: RevisionNumber,
    ) -> Self {
        Self {
            desk,
            fields: Fields::of(draft),
            base,
            errors: Vec::new(),
            notice: None,
        }
    }

    /// 422: the editor again with the draft as it was sent, and the problems that kept it from
    /// being stored.
    pub(super) async fn refused(
        self,
        state: &AppState,
        signed: &SignedIn,
        problems: Vec<String>,
    ) -> Result<Response, AdminError> {
        Self {
            errors: problems,
            ..self
        }
        .respond(state, signed, StatusCode::UNPROCESSABLE_ENTITY)
        .await
    }

    /// The editor page, with everything around the fields read from the store.
    pub(super) async fn respond(
        self,
        state: &AppState,
        signed: &SignedIn,
        status: StatusCode,
    ) -> Result<Response, AdminError> {
        let Self {
            desk,
            fields,
            base,
            errors,
            notice,
        } = self;
        let store = state.store.as_ref();
        let site = state.site();
        let mut corrections = Vec::new();
        let workflow = match desk {
            Some(d) => {
                let wf = &d.workflow;
                let steps = allowed_steps(&signed.user, wf);
                for c in store.corrections(d.article.id).await? {
                    corrections.push(format!(
                        "{}, {}: {}",
                        c.kind.label(),
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
                        .then(|| SitePath::article(&d.article.slug).into()),
                    changes: d.unpublished_changes,
                    can_submit: steps.contains(Step::Submit),
                    can_publish: steps.contains(Step::Publish),
                    can_schedule: steps.contains(Step::Schedule),
                    can_unpublish: steps.contains(Step::Unpublish),
                    can_correct: steps.contains(Step::Correct),
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
        let can_edit =
            desk.is_some_and(|d| allowed_steps(&signed.user, &d.workflow).contains(Step::Edit));
        let (sources, alerts) = match desk {
            Some(d) => (
                store
                    .article_sources(d.article.id)
                    .await?
                    .iter()
                    .map(|s| SourceView::of(s, &site))
                    .collect(),
                store
                    .article_alerts(d.article.id)
                    .await?
                    .iter()
                    .filter(|a| a.resolved_at.is_none())
                    .map(|a| crate::admin::wire::alert_line(state, signed, a))
                    .collect(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let featured = featured.map(|f| crate::admin::media::Picture::new(&f, 640));
        let search = desk.map(|d| d.article.search.clone());
        let pinned = desk
            .filter(|_| signed.user.role.may(Action::PublishAny))
            .map(|d| d.article.pinned_at.is_some());
        let title = if fields.headline.is_empty() {
            "New article".to_owned()
        } else {
            fields.headline.clone()
        };
        EditorPage {
            layout: AdminLayout::new(state, &title, Some(signed)).at("home"),
            id,
            action: id.map_or_else(
                || "/admin/articles".to_owned(),
                |id| SitePath::admin_article(ArticleId(id)).into(),
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
            editor_js: crate::admin::EDITOR_JS_HREF.as_str(),
            featured,
            library,
            can_edit,
            sources,
            alerts,
            search,
            pinned,
        }
        .respond(status)
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
    Editing::new(None, &draft, RevisionNumber::STORED)
        .respond(&state, &signed, StatusCode::OK)
        .await
}

pub async fn create_article(
    State(state): State<AppState>,
    signed: SignedIn,
    CsrfForm(form): CsrfForm<ArticleForm>,
) -> Result<Response, AdminError> {
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
        Ok(id) => Ok(Redirect::to(
            SitePath::admin_article(id)
                .with_query([("saved", "1")])
                .as_str(),
        )
        .into_response()),
        Err(e) => {
            let problems = draft_problems(e)?;
            Editing::new(None, &draft, RevisionNumber::STORED)
                .refused(&state, &signed, problems)
                .await
        }
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
    Path(id): Path<ArticleId>,
    Query(query): Query<EditQuery>,
) -> Result<Response, AdminError> {
    signed.require(Action::UseNewsroom)?;
    let desk = newsroom::open(state.store.as_ref(), &signed.user, id).await?;
    let notice = match (query.saved, query.done.as_deref()) {
        (_, Some(done)) => Some(done_message(done).to_owned()),
        (Some(_), None) => Some(format!("Saved as revision {}.", desk.workflow.revision)),
        (None, None) => None,
    };
    Editing {
        notice,
        ..Editing::new(Some(&desk), &desk.draft, desk.workflow.revision)
    }
    .respond(&state, &signed, StatusCode::OK)
    .await
}

/// After a step taken elsewhere (a workflow button, a restore, a new featured image): back to
/// the editor, which says what was done.
pub(in crate::admin) fn done(id: ArticleId, what: &str) -> Response {
    Redirect::to(
        SitePath::admin_article(id)
            .with_query([("done", what)])
            .as_str(),
    )
    .into_response()
}

/// What the editor says after the step named by `?done=`.
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
        "search" => "The search title and description have been saved.",
        "pinned" => "Pinned: once published, it comes first on the home page.",
        "unpinned" => "No longer pinned to the home page.",
        _ => "Done.",
    }
}

/// Stores the posted draft as a new revision of `kind`, based on the one the editor showed;
/// the draft too, for the page that answers.
async fn save_posted(
    state: &AppState,
    signed: &SignedIn,
    id: ArticleId,
    form: &ArticleForm,
    kind: RevisionKind,
) -> (Draft, Result<SaveOutcome, ServiceError>) {
    let draft = form.draft(&state.site());
    let (store, now) = (state.store.as_ref(), state.clock.now());
    let saved = newsroom::save(store, &signed.user, id, form.base, &draft, kind, now).await;
    (draft, saved)
}

pub async fn save_article(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<ArticleId>,
    CsrfForm(form): CsrfForm<ArticleForm>,
) -> Result<Response, AdminError> {
    let (draft, saved) = save_posted(&state, &signed, id, &form, RevisionKind::Save).await;
    match saved {
        Ok(SaveOutcome::Saved(n)) => Ok(Redirect::to(
            SitePath::admin_article(id)
                .with_query([("saved", n.to_string())])
                .as_str(),
        )
        .into_response()),
        Ok(SaveOutcome::Conflict { current, kept_as }) => {
            conflict_page(&state, &signed, id, current, kept_as, &draft).await
        }
        Err(e) => {
            let problems = draft_problems(e)?;
            let desk = newsroom::open(state.store.as_ref(), &signed.user, id).await?;
            Editing::new(Some(&desk), &draft, form.base)
                .refused(&state, &signed, problems)
                .await
        }
    }
}

/// Autosave from the editor's script: answers `saved N` (the new base) or, with 409,
/// `conflict N` (the current revision; the text was kept as a revision anyway). A draft over a
/// size limit is not stored: 422 with `invalid` and the problems, and the text stays in the
/// writer's browser.
pub async fn autosave_article(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<ArticleId>,
    CsrfForm(form): CsrfForm<ArticleForm>,
) -> Result<Response, AdminError> {
    let (_, saved) = save_posted(&state, &signed, id, &form, RevisionKind::Autosave).await;
    let outcome = match saved {
        Ok(outcome) => outcome,
        Err(e) => {
            let problems = draft_problems(e)?.join("; ");
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("invalid Not autosaved: {problems}"),
            )
                .into_response());
        }
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
    CsrfForm(form): CsrfForm<ArticleForm>,
) -> Result<Response, AdminError> {
    signed.require(Action::WriteOwnDrafts)?;
    let site = state.site();
    let draft = form.draft(&site);
    let store = state.store.as_ref();
    let writer = articles::Writer::Account(&signed.user);
    let body_html = match articles::render_body(store, &draft.body, writer).await {
        Ok(html) => html,
        Err(e) => {
            let problems = draft_problems(e)?.join("; ");
            return Err(AdminError::BadRequest(format!(
                "The preview cannot be shown: {problems}"
            )));
        }
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
        search: Default::default(),
        pinned_at: None,
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
    preview.respond(StatusCode::OK)
}
