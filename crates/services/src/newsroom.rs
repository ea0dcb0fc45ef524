//! The article workflow in the newsroom: drafts and their revisions, conflicts between two
//! writers, review, publication (now or at a set time), taking down, corrections, and who may do
//! each of these.
//!
//! The working copy of an article is its newest revision; the public page shows the stored
//! content. Until an article is first published, every valid save also updates the stored
//! content; once it is live, saves only add revisions and the public page changes when someone
//! publishes the update.

use std::time::Duration as StdDuration;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use dateline_domain::{
    Action, Article, ArticleId, ArticleStatus, AuditEntry, Clock, Content, Correction, Draft,
    InvalidValue, LabelDeletion, Revision, RevisionKind, Role, SaveOutcome, Source, Store,
    StoreError, Transition, User, Workflow,
};

use crate::ServiceError;
use crate::articles::{self, ArticleInput, Prepared, Writer};

/// Why a newsroom action was refused.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("no such article")]
    NotFound,
    /// The account's role may not do this to this article.
    #[error("not allowed")]
    Forbidden,
    /// The article is not in a state this action applies to.
    #[error("{0}")]
    WrongState(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for DeskError {
    fn from(e: StoreError) -> Self {
        DeskError::Service(e.into())
    }
}

impl From<InvalidValue> for DeskError {
    fn from(e: InvalidValue) -> Self {
        DeskError::Service(e.into())
    }
}

fn own(user: &User, wf: &Workflow) -> bool {
    wf.created_by == Some(user.id)
}

/// Whether `user` may change the working copy of an article in this state.
pub fn may_edit(user: &User, wf: &Workflow) -> bool {
    user.may(Action::EditAnyArticle)
        || (own(user, wf)
            && (user.role >= Role::Author
                || matches!(wf.status, ArticleStatus::Draft | ArticleStatus::InReview)))
}

/// Whether `user` may publish, schedule or take down this article.
pub fn may_publish(user: &User, wf: &Workflow) -> bool {
    user.may(Action::PublishAny) || (user.may(Action::PublishOwn) && own(user, wf))
}

/// Whether `user` may read this article's working copy and history.
pub fn may_view(user: &User, wf: &Workflow) -> bool {
    user.may(Action::EditAnyArticle) || own(user, wf)
}

/// How a refused action on an article is answered: as "no such article" when `user` may not
/// even open it, so that nobody learns which ids exist from the difference; as "not allowed"
/// when they may see it but not do this.
pub fn refusal(user: &User, wf: &Workflow) -> DeskError {
    if may_view(user, wf) {
        DeskError::Forbidden
    } else {
        DeskError::NotFound
    }
}

fn input(draft: &Draft) -> ArticleInput {
    ArticleInput {
        headline: draft.headline.clone(),
        standfirst: draft.standfirst.clone(),
        body: draft.body.clone(),
        section: draft.section.clone(),
        tags: draft.tags.clone(),
        authors: draft.authors.clone(),
        source: draft.source.clone(),
        status: ArticleStatus::Draft,
        published_at: None,
        language: draft.language.clone(),
    }
}

/// Checks and renders a draft as `writer` would store it; every problem reported at once; writes
/// nothing. Unlike imported copy (which is sanitised), a body typed in the newsroom may not
/// contain scripts: the writer is told.
pub async fn check(
    store: &dyn Store,
    draft: &Draft,
    writer: Writer<'_>,
) -> Result<Prepared, ServiceError> {
    let problems = crate::body::active_content(&draft.body)
        .into_iter()
        .collect();
    articles::prepare_with(store, &input(draft), problems, writer).await
}

fn entry(user: Option<&User>, action: &str, detail: String, now: DateTime<Utc>) -> AuditEntry {
    AuditEntry {
        at: now,
        user: user.map(|u| u.id),
        action: action.to_owned(),
        article: None,
        detail,
    }
}

/// Creates a draft written by `user`. Nothing is stored unless the draft is valid.
pub async fn create_draft(
    store: &dyn Store,
    user: &User,
    draft: &Draft,
    now: DateTime<Utc>,
) -> Result<ArticleId, DeskError> {
    if !user.may(Action::WriteOwnDrafts) {
        return Err(DeskError::Forbidden);
    }
    let Prepared { content, base_slug } = check(store, draft, Writer::Account(user)).await?;
    let audit = entry(Some(user), "created", "revision 1".to_owned(), now);
    for n in 1..=1_000u32 {
        let slug = if n == 1 {
            base_slug.clone()
        } else {
            base_slug.numbered(n)
        };
        if store.slug_exists(&slug).await? {
            continue;
        }
        match store
            .insert_draft(&slug, &content, draft, user.id, &audit)
            .await
        {
            Ok(id) => return Ok(id),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(InvalidValue::new("headline", "too many articles share this headline").into())
}

/// An article as the newsroom works on it.
#[derive(Debug, Clone)]
pub struct Desk {
    /// The stored (for a live article: public) version.
    pub article: Article,
    pub workflow: Workflow,
    /// The working copy: the newest revision, or the stored version if it has none.
    pub draft: Draft,
    /// Whether the working copy differs from what readers see.
    pub unpublished_changes: bool,
}

/// The draft an article's stored content corresponds to.
pub fn draft_of(article: &Article) -> Draft {
    Draft {
        headline: article.headline.clone(),
        standfirst: article.standfirst.clone(),
        body: article.body.clone(),
        section: article.section.name.clone(),
        tags: article.tags.iter().map(|t| t.name.clone()).collect(),
        authors: article.authors.iter().map(|a| a.name.clone()).collect(),
        source: article.source.clone(),
        language: article.language.to_string(),
    }
}

/// The article with its working copy, if `user` may see it.
pub async fn open(store: &dyn Store, user: &User, id: ArticleId) -> Result<Desk, DeskError> {
    let (Some(article), Some(workflow)) =
        (store.article_by_id(id).await?, store.workflow(id).await?)
    else {
        return Err(DeskError::NotFound);
    };
    if !may_view(user, &workflow) {
        return Err(DeskError::NotFound);
    }
    let draft = match store.revision(id, workflow.revision).await? {
        Some(revision) => revision.draft,
        None => draft_of(&article),
    };
    let unpublished_changes = matches!(article.status, ArticleStatus::Published)
        && workflow.live_revision.unwrap_or(0) != workflow.revision;
    Ok(Desk {
        article,
        workflow,
        draft,
        unpublished_changes,
    })
}

fn not_live(status: ArticleStatus) -> bool {
    matches!(
        status,
        ArticleStatus::Draft | ArticleStatus::InReview | ArticleStatus::Scheduled
    )
}

/// Saves `draft` as a new revision based on revision `based_on`.
///
/// A manual save must be valid (nothing is stored otherwise). An autosave is stored even when
/// the draft is not valid yet (a headline still being typed), so no typing is ever lost; it
/// then leaves the stored content as it was.
pub async fn save(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
    based_on: i64,
    draft: &Draft,
    kind: RevisionKind,
    now: DateTime<Utc>,
) -> Result<SaveOutcome, DeskError> {
    let workflow = store.workflow(id).await?.ok_or(DeskError::NotFound)?;
    if !may_edit(user, &workflow) {
        return Err(refusal(user, &workflow));
    }
    let checked = match (check(store, draft, Writer::Account(user)).await, kind) {
        (Ok(prepared), _) => Some(prepared.content),
        (Err(_), RevisionKind::Autosave) => None,
        (Err(e), _) => return Err(e.into()),
    };
    let content = checked.as_ref().filter(|_| not_live(workflow.status));
    let action = match kind {
        RevisionKind::Autosave => "autosaved",
        RevisionKind::Restore => "restored",
        _ => "saved",
    };
    let audit = entry(Some(user), action, String::new(), now);
    Ok(store
        .save_revision(id, based_on, draft, kind, user.id, content, &audit)
        .await?)
}

/// Brings back revision `number` as a new revision.
pub async fn restore(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
    number: i64,
    based_on: i64,
    now: DateTime<Utc>,
) -> Result<SaveOutcome, DeskError> {
    // Whose article it is comes first: another's article answers as a missing one would.
    let workflow = store.workflow(id).await?.ok_or(DeskError::NotFound)?;
    if !may_view(user, &workflow) {
        return Err(DeskError::NotFound);
    }
    let revision = store
        .revision(id, number)
        .await?
        .ok_or(DeskError::NotFound)?;
    save(
        store,
        user,
        id,
        based_on,
        &revision.draft,
        RevisionKind::Restore,
        now,
    )
    .await
}

async fn move_to(
    store: &dyn Store,
    id: ArticleId,
    t: Transition<'_>,
    audit: AuditEntry,
    refusal: &str,
) -> Result<(), DeskError> {
    if store.transition(id, &t, &audit).await? {
        Ok(())
    } else {
        Err(DeskError::WrongState(refusal.to_owned()))
    }
}

/// The newest revision, checked and rendered, for going live.
async fn live_content(
    store: &dyn Store,
    desk_article: &Article,
    wf: &Workflow,
    writer: Writer<'_>,
) -> Result<Content, DeskError> {
    let draft = match store.revision(desk_article.id, wf.revision).await? {
        Some(revision) => revision.draft,
        None => draft_of(desk_article),
    };
    Ok(check(store, &draft, writer).await?.content)
}

/// Sends one's draft to the editors.
pub async fn submit(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
    now: DateTime<Utc>,
) -> Result<(), DeskError> {
    let wf = store.workflow(id).await?.ok_or(DeskError::NotFound)?;
    if !(user.may(Action::SubmitForReview) && may_edit(user, &wf)) {
        return Err(refusal(user, &wf));
    }
    let t = Transition {
        from: &[ArticleStatus::Draft],
        to: ArticleStatus::InReview,
        content: None,
        published_at: None,
        scheduled_at: None,
        now,
    };
    let audit = entry(Some(user), "submitted", "for review".to_owned(), now);
    move_to(
        store,
        id,
        t,
        audit,
        "Only a draft can be submitted for review.",
    )
    .await
}

/// Publishes the newest revision now: a first publication, or an update of a live article.
pub async fn publish(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
    now: DateTime<Utc>,
) -> Result<(), DeskError> {
    let (Some(article), Some(wf)) = (store.article_by_id(id).await?, store.workflow(id).await?)
    else {
        return Err(DeskError::NotFound);
    };
    if !may_publish(user, &wf) {
        return Err(refusal(user, &wf));
    }
    let content = live_content(store, &article, &wf, Writer::Account(user)).await?;
    let first = article.published_at.is_none();
    let t = Transition {
        from: &ArticleStatus::ALL,
        to: ArticleStatus::Published,
        content: Some((&content, wf.revision)),
        published_at: first.then_some(now),
        scheduled_at: None,
        now,
    };
    let action = if article.status == ArticleStatus::Published {
        "published update"
    } else {
        "published"
    };
    let audit = entry(Some(user), action, format!("revision {}", wf.revision), now);
    move_to(store, id, t, audit, "The article cannot be published now.").await
}

/// Reads a wall-clock time typed in the publication's zone (`2024-04-16T18:30`).
pub fn local_time(text: &str, zone: Tz) -> Result<DateTime<Utc>, InvalidValue> {
    let bad = || {
        InvalidValue::new(
            "publication time",
            format!("'{text}' is not a date and time such as 2024-04-16T18:30"),
        )
    };
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| bad())?;
    zone.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            InvalidValue::new(
                "publication time",
                format!("{text} does not exist in {zone} (the clocks skip it)"),
            )
        })
}

/// Schedules a not-yet-live article to go live at `at` (the embargo), which must be in the
/// future. The newest revision must be valid now.
pub async fn schedule(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DeskError> {
    let (Some(article), Some(wf)) = (store.article_by_id(id).await?, store.workflow(id).await?)
    else {
        return Err(DeskError::NotFound);
    };
    if !may_publish(user, &wf) {
        return Err(refusal(user, &wf));
    }
    if at <= now {
        return Err(InvalidValue::new("publication time", "must be in the future").into());
    }
    live_content(store, &article, &wf, Writer::Account(user)).await?;
    let t = Transition {
        from: &[
            ArticleStatus::Draft,
            ArticleStatus::InReview,
            ArticleStatus::Scheduled,
        ],
        to: ArticleStatus::Scheduled,
        content: None,
        published_at: None,
        scheduled_at: Some(at),
        now,
    };
    let audit = entry(
        Some(user),
        "scheduled",
        format!("for {}", at.to_rfc3339()),
        now,
    );
    move_to(
        store,
        id,
        t,
        audit,
        "Only an article that is not live yet can be scheduled.",
    )
    .await
}

/// Takes a live article down; its URL then answers 410 Gone.
pub async fn unpublish(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
    now: DateTime<Utc>,
) -> Result<(), DeskError> {
    let wf = store.workflow(id).await?.ok_or(DeskError::NotFound)?;
    if !may_publish(user, &wf) {
        return Err(refusal(user, &wf));
    }
    let t = Transition {
        from: &[ArticleStatus::Published],
        to: ArticleStatus::Unpublished,
        content: None,
        published_at: None,
        scheduled_at: None,
        now,
    };
    let audit = entry(Some(user), "unpublished", String::new(), now);
    move_to(
        store,
        id,
        t,
        audit,
        "Only a published article can be unpublished.",
    )
    .await
}

/// Longest correction note, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// Adds a dated correction (or update) note to a published article.
pub async fn correct(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
    kind: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), DeskError> {
    if !user.may(Action::PublishAny) {
        return Err(DeskError::Forbidden);
    }
    let wf = store.workflow(id).await?.ok_or(DeskError::NotFound)?;
    if wf.status != ArticleStatus::Published {
        return Err(DeskError::WrongState(
            "Corrections are added to published articles.".to_owned(),
        ));
    }
    let kind = match kind {
        "correction" | "update" => kind,
        _ => return Err(InvalidValue::new("kind", "must be correction or update").into()),
    };
    let note = note.trim();
    if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
        return Err(InvalidValue::new("note", "must be 1 to 2,000 characters").into());
    }
    let correction = Correction {
        article: id,
        kind: kind.to_owned(),
        note: note.to_owned(),
        created_at: now,
    };
    let audit = entry(Some(user), &format!("added {kind}"), note.to_owned(), now);
    if store.add_correction(&correction, user.id, &audit).await? {
        Ok(())
    } else {
        Err(DeskError::NotFound)
    }
}

/// Publishes every scheduled article whose time has come; returns those published. An article
/// whose newest revision is no longer valid (a Read More target deleted) goes back to review.
pub async fn publish_due(
    store: &dyn Store,
    now: DateTime<Utc>,
) -> Result<Vec<ArticleId>, StoreError> {
    let mut published = Vec::new();
    for id in store.due_articles(now).await? {
        let (Some(article), Some(wf)) = (store.article_by_id(id).await?, store.workflow(id).await?)
        else {
            continue;
        };
        let at = wf.scheduled_at.unwrap_or(now);
        match live_content(store, &article, &wf, Writer::Scheduler).await {
            Ok(content) => {
                let t = Transition {
                    from: &[ArticleStatus::Scheduled],
                    to: ArticleStatus::Published,
                    content: Some((&content, wf.revision)),
                    published_at: Some(at),
                    scheduled_at: None,
                    now,
                };
                let audit = entry(
                    None,
                    "published",
                    format!("as scheduled for {}", at.to_rfc3339()),
                    now,
                );
                if store.transition(id, &t, &audit).await? {
                    published.push(id);
                }
            }
            Err(DeskError::Service(ServiceError::Store(e))) => return Err(e),
            Err(problem) => {
                let t = Transition {
                    from: &[ArticleStatus::Scheduled],
                    to: ArticleStatus::InReview,
                    content: None,
                    published_at: None,
                    scheduled_at: None,
                    now,
                };
                let audit = entry(
                    None,
                    "schedule failed",
                    format!("not published: {problem}"),
                    now,
                );
                store.transition(id, &t, &audit).await?;
            }
        }
    }
    Ok(published)
}

/// Publishes scheduled articles as their time comes, for as long as the server runs. Runs once
/// at once, so articles that fell due while the server was down go out at start-up.
pub async fn run_scheduler(store: std::sync::Arc<dyn Store>, clock: std::sync::Arc<dyn Clock>) {
    loop {
        match publish_due(store.as_ref(), clock.now()).await {
            Ok(ids) if !ids.is_empty() => tracing::info!(?ids, "scheduled articles published"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "scheduled publishing failed; will retry"),
        }
        tokio::time::sleep(StdDuration::from_secs(5)).await;
    }
}

/// Renames a section or a tag (editors and admins); its URL stays the same.
pub async fn rename_label(
    store: &dyn Store,
    user: &User,
    tag: bool,
    id: i64,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), DeskError> {
    if !user.may(Action::ManageSectionsAndTags) {
        return Err(DeskError::Forbidden);
    }
    let name = name.trim();
    let field = if tag { "tag" } else { "section" };
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(
            InvalidValue::new(field, "a name must be one line of 1 to 100 characters").into(),
        );
    }
    let audit = AuditEntry {
        at: now,
        user: Some(user.id),
        action: format!("renamed {field}"),
        article: None,
        detail: format!("{field} {id} is now called {name}"),
    };
    if store.rename_label(tag, id, name, &audit).await? {
        Ok(())
    } else {
        Err(DeskError::NotFound)
    }
}

/// Adds a section (editors and admins); its slug comes from its name. Audited; every page's
/// navigation shows it at once.
pub async fn add_section(
    store: &dyn Store,
    user: &User,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), DeskError> {
    if !user.may(Action::ManageSectionsAndTags) {
        return Err(DeskError::Forbidden);
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(
            InvalidValue::new("section", "a name must be one line of 1 to 100 characters").into(),
        );
    }
    let slug = dateline_domain::Slug::from_title(name)
        .ok_or_else(|| InvalidValue::new("section", format!("'{name}' needs a letter or digit")))?;
    let audit = AuditEntry {
        at: now,
        user: Some(user.id),
        action: "added section".to_owned(),
        article: None,
        detail: format!("{name} at /section/{slug}"),
    };
    match store.add_section(&slug, name, &audit).await? {
        Some(_) => Ok(()),
        None => Err(InvalidValue::new(
            "section",
            format!("there is already a section at /section/{slug}"),
        )
        .into()),
    }
}

/// The ids and names of every section (or tag), for audit lines.
async fn label_names(store: &dyn Store, tag: bool) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(if tag {
        store
            .tags()
            .await?
            .into_iter()
            .map(|t| (t.id.0, t.name))
            .collect()
    } else {
        store
            .sections()
            .await?
            .into_iter()
            .map(|s| (s.id.0, s.name))
            .collect()
    })
}

/// Merges section (or, with `tag`, tag) `from` into the one named `into` (editors and admins):
/// its articles move, its front's address redirects to the other's, and it is gone. Audited.
pub async fn merge_label(
    store: &dyn Store,
    user: &User,
    tag: bool,
    from: i64,
    into: &str,
    now: DateTime<Utc>,
) -> Result<(), DeskError> {
    if !user.may(Action::ManageSectionsAndTags) {
        return Err(DeskError::Forbidden);
    }
    let field = if tag { "tag" } else { "section" };
    let into_name = into.trim();
    let target = match dateline_domain::Slug::from_title(into_name) {
        Some(slug) if tag => store.tag_by_slug(&slug).await?.map(|t| t.id.0),
        Some(slug) => store.section_by_slug(&slug).await?.map(|s| s.id.0),
        None => None,
    };
    let Some(into) = target else {
        return Err(
            InvalidValue::new(field, format!("there is no {field} named '{into_name}'")).into(),
        );
    };
    if from == into {
        return Err(InvalidValue::new(field, "cannot be merged into itself").into());
    }
    let names = label_names(store, tag).await?;
    let name = |id: i64| {
        names
            .iter()
            .find(|(i, _)| *i == id)
            .map_or_else(|| format!("{field} {id}"), |(_, n)| n.clone())
    };
    let audit = AuditEntry {
        at: now,
        user: Some(user.id),
        action: format!("merged {field}"),
        article: None,
        detail: format!("{} merged into {}", name(from), name(into)),
    };
    if store.merge_label(tag, from, into, &audit).await? {
        Ok(())
    } else {
        Err(DeskError::NotFound)
    }
}

/// Deletes a section that files no article, or (with `tag`) a tag, which leaves its articles
/// (editors and admins). Audited.
pub async fn delete_label(
    store: &dyn Store,
    user: &User,
    tag: bool,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), DeskError> {
    if !user.may(Action::ManageSectionsAndTags) {
        return Err(DeskError::Forbidden);
    }
    let field = if tag { "tag" } else { "section" };
    let name = label_names(store, tag)
        .await?
        .into_iter()
        .find(|(i, _)| *i == id)
        .map_or_else(|| format!("{field} {id}"), |(_, n)| n);
    let audit = AuditEntry {
        at: now,
        user: Some(user.id),
        action: format!("deleted {field}"),
        article: None,
        detail: name,
    };
    match store.delete_label(tag, id, &audit).await? {
        LabelDeletion::Deleted => Ok(()),
        LabelDeletion::NotFound => Err(DeskError::NotFound),
        LabelDeletion::InUse(n) => Err(DeskError::WrongState(format!(
            "The section still has {n} article{}: merge it into another section instead.",
            if n == 1 { "" } else { "s" }
        ))),
    }
}

/// One line of a readable diff between two revisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
}

fn as_text(d: &Draft) -> String {
    let source = d.source.as_ref().map_or_else(String::new, |s: &Source| {
        format!(
            "{}{}",
            s.agency,
            if s.additional_inputs {
                " (with additional inputs)"
            } else {
                ""
            }
        )
    });
    format!(
        "Headline: {}\nStandfirst: {}\nSection: {}\nTags: {}\nByline: {}\nSource: {}\n\n{}\n",
        d.headline,
        d.standfirst,
        d.section,
        d.tags.join(", "),
        d.authors.join(", "),
        source,
        d.body.trim_end()
    )
}

/// The changes from `old` to `new`, line by line: fields first, then the body.
pub fn diff(old: &Draft, new: &Draft) -> Vec<DiffLine> {
    let (old, new) = (as_text(old), as_text(new));
    similar::TextDiff::from_lines(&old, &new)
        .iter_all_changes()
        .map(|change| {
            let line = change.value().trim_end_matches('\n').to_owned();
            match change.tag() {
                similar::ChangeTag::Equal => DiffLine::Same(line),
                similar::ChangeTag::Delete => DiffLine::Removed(line),
                similar::ChangeTag::Insert => DiffLine::Added(line),
            }
        })
        .collect()
}

/// Revisions of an article `user` may see, newest first.
pub async fn history(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
) -> Result<(Desk, Vec<Revision>), DeskError> {
    let desk = open(store, user, id).await?;
    let revisions = store.revisions(id).await?;
    Ok((desk, revisions))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_changed_lines() {
        let old = Draft {
            headline: "Old".into(),
            body: "One.\n\nTwo.\n".into(),
            ..Draft::default()
        };
        let new = Draft {
            headline: "New".into(),
            body: "One.\n\nThree.\n".into(),
            ..old.clone()
        };
        let lines = diff(&old, &new);
        assert!(lines.contains(&DiffLine::Removed("Headline: Old".into())));
        assert!(lines.contains(&DiffLine::Added("Headline: New".into())));
        assert!(lines.contains(&DiffLine::Removed("Two.".into())));
        assert!(lines.contains(&DiffLine::Added("Three.".into())));
        assert!(lines.contains(&DiffLine::Same("One.".into())));
    }

    #[test]
    fn local_times_are_read_in_the_publication_zone() {
        let karachi: Tz = "Asia/Karachi".parse().unwrap();
        let at = local_time("2024-04-16T18:30", karachi).unwrap();
        assert_eq!(at.to_rfc3339(), "2024-04-16T13:30:00+00:00");
        assert!(local_time("tomorrow", karachi).is_err());
    }
}
