//! The article workflow in the newsroom: drafts and their revisions, conflicts between two
//! writers, review, publication (now or at a set time), taking down, corrections, and who may do
//! each of these.
//!
//! The working copy of an article is its newest revision; the public page shows the stored
//! content. Until an article is first published, every valid save also updates the stored
//! content; once it is live, saves only add revisions and the public page changes when someone
//! publishes the update.
//!
//! Who may take which step is the domain's [`allowed_steps`](dateline_domain::allowed_steps);
//! every service here that acts for an account refuses by it ([`steps::refusal`]), and the
//! editor offers its buttons by the same function.
//!
//! Publishing and scheduling name the revision the editor reviewed; if anyone saved since, the
//! article is not moved and the editor is shown what changed ([`ServiceError::Stale`]). Every path
//! that stores a working copy (save, autosave, restore, a save kept after a conflict) goes
//! through the same size limits ([`check_limits`]), and comparing two revisions is bounded in
//! input, time and concurrency ([`compare`]), so no single request can hold the server.

use std::sync::{Arc, LazyLock};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use dateline_domain::steps::{self, Refusal, Step};
use dateline_domain::{
    Action, Article, ArticleId, ArticleStatus, AuditAction, AuditEntry, Clock, Content, Correction,
    CorrectionKind, Draft, Headline, InvalidValue, LabelDeletion, LabelKind, Name, RevisionInfo,
    RevisionKind, RevisionNumber, SaveOutcome, SearchText, Source, Store, StoreError, Transition,
    User, Workflow,
};
use tokio::sync::Semaphore;

use crate::ServiceError;
use crate::articles::{self, ArticleInput, Prepared, Writer};

/// What a refusal of a step comes to: a missing article for one the account may not see, "not
/// allowed", or, when only the article's state is in the way, `wrong_state` in words.
fn refused(refusal: Refusal, wrong_state: &str) -> ServiceError {
    match refusal {
        Refusal::Unseen => ServiceError::NotFound,
        Refusal::NotAllowed => ServiceError::Forbidden,
        Refusal::WrongState => ServiceError::WrongState(wrong_state.to_owned()),
    }
}

/// Refuses unless `user` may take `step` on the article now (see [`steps::refusal`]); when only
/// the article's state is in the way, with `wrong_state`.
pub(crate) fn check_step(
    user: &User,
    wf: &Workflow,
    step: Step,
    wrong_state: &str,
) -> Result<(), ServiceError> {
    match steps::refusal(user, wf, step) {
        None => Ok(()),
        Some(refusal) => Err(refused(refusal, wrong_state)),
    }
}

/// Refuses unless `user`'s role and ownership allow `step` on the article, leaving whether its
/// state does to the move itself, after the request's other checks.
fn check_permission(user: &User, wf: &Workflow, step: Step) -> Result<(), ServiceError> {
    match steps::refusal(user, wf, step) {
        Some(refusal @ (Refusal::Unseen | Refusal::NotAllowed)) => Err(refused(refusal, "")),
        Some(Refusal::WrongState) | None => Ok(()),
    }
}

/// Refuses unless `user` may edit article `id` (404 for one they may not even see).
pub async fn check_editable(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
) -> Result<(), ServiceError> {
    let wf = store.workflow(id).await?.ok_or(ServiceError::NotFound)?;
    check_permission(user, &wf, Step::Edit)
}

const NOT_A_DRAFT: &str = "Only a draft can be submitted for review.";
const NOT_PUBLISHABLE: &str = "The article cannot be published now.";
const ALREADY_LIVE: &str = "Only an article that is not live yet can be scheduled.";
const NOT_LIVE: &str = "Only a published article can be unpublished.";
const NOT_CORRECTABLE: &str = "Corrections are added to published articles.";

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

/// The size limits every stored working copy keeps, valid or not yet: an autosave of a draft
/// still being written is stored, but never one larger than a save would accept.
pub fn check_limits(draft: &Draft) -> Result<(), ServiceError> {
    let mut problems = Vec::new();
    let long = |field: &'static str, text: &str, max: usize, problems: &mut Vec<InvalidValue>| {
        if text.chars().count() > max {
            problems.push(InvalidValue::new(
                field,
                format!("is longer than {max} characters"),
            ));
        }
    };
    long(
        "headline",
        &draft.headline,
        Headline::MAX_CHARS,
        &mut problems,
    );
    long(
        "standfirst",
        &draft.standfirst,
        articles::MAX_STANDFIRST_CHARS,
        &mut problems,
    );
    if draft.body.len() > articles::MAX_BODY_BYTES {
        problems.push(InvalidValue::new("body", "is larger than 512 KB"));
    }
    long("section", &draft.section, Name::MAX_CHARS, &mut problems);
    long("language", &draft.language, Name::MAX_CHARS, &mut problems);
    for (field, names) in [("tags", &draft.tags), ("authors", &draft.authors)] {
        if names.len() > articles::MAX_LABELS {
            problems.push(InvalidValue::new(field, "no more than 30, please"));
        }
        if names.iter().any(|n| n.chars().count() > Name::MAX_CHARS) {
            problems.push(InvalidValue::new(
                field,
                "a name is longer than 100 characters",
            ));
        }
    }
    if let Some(source) = &draft.source {
        if source.agencies.len() > Source::MAX_AGENCIES {
            problems.push(InvalidValue::new(
                "source",
                format!("no more than {} agencies, please", Source::MAX_AGENCIES),
            ));
        }
        for agency in &source.agencies {
            long("source", agency, Name::MAX_CHARS, &mut problems);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(problems))
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

fn entry(
    user: Option<&User>,
    action: AuditAction,
    detail: String,
    now: DateTime<Utc>,
) -> AuditEntry {
    AuditEntry {
        at: now,
        user: user.map(|u| u.id),
        action,
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
) -> Result<ArticleId, ServiceError> {
    if !user.may(Action::WriteOwnDrafts) {
        return Err(ServiceError::Forbidden);
    }
    let Prepared { content, base_slug } = check(store, draft, Writer::Account(user)).await?;
    let audit = entry(
        Some(user),
        AuditAction::Created,
        "revision 1".to_owned(),
        now,
    );
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
pub async fn open(store: &dyn Store, user: &User, id: ArticleId) -> Result<Desk, ServiceError> {
    let (Some(article), Some(workflow)) =
        (store.article_by_id(id).await?, store.workflow(id).await?)
    else {
        return Err(ServiceError::NotFound);
    };
    check_step(user, &workflow, Step::View, "")?;
    let draft = match store.revision(id, workflow.revision).await? {
        Some(revision) => revision.draft,
        None => draft_of(&article),
    };
    let unpublished_changes = matches!(article.status, ArticleStatus::Published)
        && workflow.live_revision.unwrap_or(RevisionNumber::STORED) != workflow.revision;
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
    based_on: RevisionNumber,
    draft: &Draft,
    kind: RevisionKind,
    now: DateTime<Utc>,
) -> Result<SaveOutcome, ServiceError> {
    let workflow = store.workflow(id).await?.ok_or(ServiceError::NotFound)?;
    check_step(user, &workflow, Step::Edit, "")?;
    check_limits(draft)?;
    if kind == RevisionKind::Autosave {
        draft.check_characters()?;
    }
    let checked = match (check(store, draft, Writer::Account(user)).await, kind) {
        (Ok(prepared), _) => Some(prepared.content),
        (Err(_), RevisionKind::Autosave) => None,
        (Err(e), _) => return Err(e),
    };
    let content = checked.as_ref().filter(|_| not_live(workflow.status));
    let action = match kind {
        RevisionKind::Autosave => AuditAction::Autosaved,
        RevisionKind::Restore => AuditAction::Restored,
        _ => AuditAction::Saved,
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
    number: RevisionNumber,
    based_on: RevisionNumber,
    now: DateTime<Utc>,
) -> Result<SaveOutcome, ServiceError> {
    // Whose article it is comes first: another's article answers as a missing one would.
    let workflow = store.workflow(id).await?.ok_or(ServiceError::NotFound)?;
    check_step(user, &workflow, Step::View, "")?;
    let revision = store
        .revision(id, number)
        .await?
        .ok_or(ServiceError::NotFound)?;
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
) -> Result<(), ServiceError> {
    if store.transition(id, &t, &audit).await? {
        Ok(())
    } else {
        Err(ServiceError::WrongState(refusal.to_owned()))
    }
}

/// Revision `number`, checked and rendered, for going live.
async fn live_content(
    store: &dyn Store,
    desk_article: &Article,
    number: RevisionNumber,
    writer: Writer<'_>,
) -> Result<Content, ServiceError> {
    let draft = match store.revision(desk_article.id, number).await? {
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
) -> Result<(), ServiceError> {
    let wf = store.workflow(id).await?.ok_or(ServiceError::NotFound)?;
    check_step(user, &wf, Step::Submit, NOT_A_DRAFT)?;
    let t = Transition {
        from: Step::Submit.from_states(),
        to: ArticleStatus::InReview,
        content: None,
        published_at: None,
        scheduled_at: None,
        revision: None,
        now,
    };
    let audit = entry(
        Some(user),
        AuditAction::Submitted,
        "for review".to_owned(),
        now,
    );
    move_to(store, id, t, audit, NOT_A_DRAFT).await
}

/// Refuses unless `seen`, the revision the editor's page showed, is still the newest.
fn still_current(
    seen: Option<RevisionNumber>,
    wf: &Workflow,
) -> Result<RevisionNumber, ServiceError> {
    match seen {
        Some(n) if n == wf.revision => Ok(n),
        _ => Err(ServiceError::Stale {
            seen: seen.map(|n| n.0),
            current: wf.revision.0,
        }),
    }
}

/// After a refused move: stale if someone saved since `seen`, otherwise the article's state.
async fn refused_move(
    store: &dyn Store,
    id: ArticleId,
    seen: RevisionNumber,
    refusal: &str,
) -> Result<(), ServiceError> {
    let wf = store.workflow(id).await?.ok_or(ServiceError::NotFound)?;
    if wf.revision != seen {
        return Err(ServiceError::Stale {
            seen: Some(seen.0),
            current: wf.revision.0,
        });
    }
    Err(ServiceError::WrongState(refusal.to_owned()))
}

/// Publishes revision `seen` now, the one the editor reviewed: a first publication, or an
/// update of a live article. If anyone saved since, nothing is published
/// ([`ServiceError::Stale`]).
pub async fn publish(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
    seen: Option<RevisionNumber>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let (Some(article), Some(wf)) = (store.article_by_id(id).await?, store.workflow(id).await?)
    else {
        return Err(ServiceError::NotFound);
    };
    check_step(user, &wf, Step::Publish, NOT_PUBLISHABLE)?;
    let number = still_current(seen, &wf)?;
    check_sources(store, id, now).await?;
    let content = live_content(store, &article, number, Writer::Account(user)).await?;
    let first = article.published_at.is_none();
    let t = Transition {
        from: Step::Publish.from_states(),
        to: ArticleStatus::Published,
        content: Some((&content, number)),
        published_at: first.then_some(now),
        scheduled_at: None,
        revision: Some(number),
        now,
    };
    let action = if article.status == ArticleStatus::Published {
        AuditAction::PublishedUpdate
    } else {
        AuditAction::Published
    };
    let audit = entry(Some(user), action, format!("revision {number}"), now);
    if store.transition(id, &t, &audit).await? {
        Ok(())
    } else {
        refused_move(store, id, number, NOT_PUBLISHABLE).await
    }
}

/// Refuses to put an article live at `at` while a wire item it was built on is under the
/// agency's embargo then, has been killed, or is withheld.
async fn check_sources(
    store: &dyn Store,
    id: ArticleId,
    at: DateTime<Utc>,
) -> Result<(), ServiceError> {
    for source in store.article_sources(id).await? {
        let code = &source.provider_code;
        match source.item_status {
            dateline_domain::wire::ItemStatus::Canceled => {
                return Err(ServiceError::WrongState(format!(
                    "{code} has killed an item this article is built on: it must not go live."
                )));
            }
            dateline_domain::wire::ItemStatus::Withheld => {
                return Err(ServiceError::WrongState(format!(
                    "{code} has withheld an item this article is built on: wait until it is released."
                )));
            }
            dateline_domain::wire::ItemStatus::Usable => {}
        }
        if let Some(until) = source.embargoed_until.filter(|until| *until > at) {
            return Err(ServiceError::WrongState(format!(
                "{code}'s embargo on an item this article is built on runs until {} UTC: schedule it for then or later.",
                until.format("%Y-%m-%d %H:%M")
            )));
        }
    }
    Ok(())
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
/// future. `seen` is the revision the editor reviewed: it must still be the newest, and valid.
pub async fn schedule(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
    seen: Option<RevisionNumber>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let (Some(article), Some(wf)) = (store.article_by_id(id).await?, store.workflow(id).await?)
    else {
        return Err(ServiceError::NotFound);
    };
    // Who may comes first; the state is judged by the move itself, after the time and the
    // revision, so that a stale form is shown what changed.
    check_permission(user, &wf, Step::Schedule)?;
    if at <= now {
        return Err(InvalidValue::new("publication time", "must be in the future").into());
    }
    let number = still_current(seen, &wf)?;
    check_sources(store, id, at).await?;
    live_content(store, &article, number, Writer::Account(user)).await?;
    let t = Transition {
        from: Step::Schedule.from_states(),
        to: ArticleStatus::Scheduled,
        content: None,
        published_at: None,
        scheduled_at: Some(at),
        revision: Some(number),
        now,
    };
    let audit = entry(
        Some(user),
        AuditAction::Scheduled,
        format!("revision {number} for {}", at.to_rfc3339()),
        now,
    );
    if store.transition(id, &t, &audit).await? {
        Ok(())
    } else {
        refused_move(store, id, number, ALREADY_LIVE).await
    }
}

/// Takes a live article down; its URL then answers 410 Gone.
pub async fn unpublish(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let wf = store.workflow(id).await?.ok_or(ServiceError::NotFound)?;
    check_step(user, &wf, Step::Unpublish, NOT_LIVE)?;
    let t = Transition {
        from: Step::Unpublish.from_states(),
        to: ArticleStatus::Unpublished,
        content: None,
        published_at: None,
        scheduled_at: None,
        revision: None,
        now,
    };
    let audit = entry(Some(user), AuditAction::Unpublished, String::new(), now);
    move_to(store, id, t, audit, NOT_LIVE).await
}

/// Takes a published or scheduled article down because the agency killed a wire item it was
/// built on: audited as done by the wire desk, with `detail`. `false` when it was not live or
/// scheduled (nothing to take down).
pub async fn take_down_for_wire(
    store: &dyn Store,
    id: ArticleId,
    detail: String,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let t = Transition {
        from: &[ArticleStatus::Published, ArticleStatus::Scheduled],
        to: ArticleStatus::Unpublished,
        content: None,
        published_at: None,
        scheduled_at: None,
        revision: None,
        now,
    };
    let audit = entry(None, AuditAction::TakenDownByWire, detail, now);
    Ok(store.transition(id, &t, &audit).await?)
}

/// Longest correction note, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// Sets the title and description search engines and social cards show of article `id`, for
/// `user`, who must be allowed to change it. Empty texts fall back to the headline and
/// standfirst.
pub async fn set_search_text(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
    title: &str,
    description: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let workflow = store.workflow(id).await?.ok_or(ServiceError::NotFound)?;
    check_step(user, &workflow, Step::Edit, "")?;
    let search = SearchText::parse(title, description).map_err(ServiceError::Invalid)?;
    let audit = AuditEntry {
        at: now,
        user: Some(user.id),
        action: AuditAction::SetSearchText,
        article: None,
        detail: String::new(),
    };
    if store.set_search_text(id, &search, &audit).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Pins article `id` to the home page, or unpins it: an editor's choice (an account that may
/// publish anyone's articles).
pub async fn set_pinned(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
    pinned: bool,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let workflow = store.workflow(id).await?.ok_or(ServiceError::NotFound)?;
    check_permission(user, &workflow, Step::Edit)?;
    if !user.role.may(Action::PublishAny) {
        return Err(ServiceError::Forbidden);
    }
    let audit = AuditEntry {
        at: now,
        user: Some(user.id),
        action: if pinned {
            AuditAction::Pinned
        } else {
            AuditAction::Unpinned
        },
        article: None,
        detail: String::new(),
    };
    if store.set_pinned(id, pinned, &audit).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Adds a dated correction (or update) note to a published article.
pub async fn correct(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
    kind: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    // Refused by role before anything is read: corrections are an editor's.
    if !Step::Correct.open_to(user.role) {
        return Err(ServiceError::Forbidden);
    }
    let wf = store.workflow(id).await?.ok_or(ServiceError::NotFound)?;
    check_step(user, &wf, Step::Correct, NOT_CORRECTABLE)?;
    let kind: CorrectionKind = kind.parse()?;
    let note = note.trim();
    if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
        return Err(InvalidValue::new("note", "must be 1 to 2,000 characters").into());
    }
    let correction = Correction {
        article: id,
        kind,
        note: note.to_owned(),
        created_at: now,
    };
    let audit = entry(
        Some(user),
        AuditAction::AddedNote(kind),
        note.to_owned(),
        now,
    );
    if store.add_correction(&correction, user.id, &audit).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
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
        match live_content(store, &article, wf.revision, Writer::Scheduler).await {
            Ok(content) => {
                // A save between our read and this write leaves it for the next round.
                let t = Transition {
                    from: &[ArticleStatus::Scheduled],
                    to: ArticleStatus::Published,
                    content: Some((&content, wf.revision)),
                    published_at: Some(at),
                    scheduled_at: None,
                    revision: Some(wf.revision),
                    now,
                };
                let audit = entry(
                    None,
                    AuditAction::Published,
                    format!("as scheduled for {}", at.to_rfc3339()),
                    now,
                );
                if store.transition(id, &t, &audit).await? {
                    published.push(id);
                }
            }
            Err(ServiceError::Store(e)) => return Err(e),
            Err(problem) => {
                let t = Transition {
                    from: &[ArticleStatus::Scheduled],
                    to: ArticleStatus::InReview,
                    content: None,
                    published_at: None,
                    scheduled_at: None,
                    revision: None,
                    now,
                };
                let audit = entry(
                    None,
                    AuditAction::ScheduleFailed,
                    format!("not published: {problem}"),
                    now,
                );
                store.transition(id, &t, &audit).await?;
            }
        }
    }
    Ok(published)
}

/// Publishes scheduled articles as their time comes, until `stop` says to stop. Runs once at
/// once, so articles that fell due while the server was down go out at start-up.
pub async fn run_scheduler(
    store: std::sync::Arc<dyn Store>,
    clock: std::sync::Arc<dyn Clock>,
    mut stop: crate::tasks::Stop,
) {
    loop {
        match publish_due(store.as_ref(), clock.now()).await {
            Ok(ids) if !ids.is_empty() => tracing::info!(?ids, "scheduled articles published"),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %crate::Chain(&e), "scheduled publishing failed; will retry")
            }
        }
        tokio::select! {
            () = stop.wait() => return,
            () = tokio::time::sleep(StdDuration::from_secs(5)) => {}
        }
    }
}

/// Renames a section or a tag (editors and admins); its URL stays the same.
pub async fn rename_label(
    store: &dyn Store,
    user: &User,
    kind: LabelKind,
    id: i64,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if !user.may(Action::ManageSectionsAndTags) {
        return Err(ServiceError::Forbidden);
    }
    let field = kind.as_str();
    let name = dateline_domain::Name::parse(field, name)?;
    let name = name.as_str();
    let audit = AuditEntry {
        at: now,
        user: Some(user.id),
        action: AuditAction::Renamed(kind),
        article: None,
        detail: format!("{field} {id} is now called {name}"),
    };
    if store.rename_label(kind, id, name, &audit).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Adds a section (editors and admins); its slug comes from its name. Audited; every page's
/// navigation shows it at once.
pub async fn add_section(
    store: &dyn Store,
    user: &User,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if !user.may(Action::ManageSectionsAndTags) {
        return Err(ServiceError::Forbidden);
    }
    let name = dateline_domain::Name::parse("section", name)?;
    let name = name.as_str();
    let slug = dateline_domain::Slug::from_title(name)
        .ok_or_else(|| InvalidValue::new("section", format!("'{name}' needs a letter or digit")))?;
    let audit = AuditEntry {
        at: now,
        user: Some(user.id),
        action: AuditAction::AddedSection,
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
async fn label_names(store: &dyn Store, kind: LabelKind) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(if kind == LabelKind::Tag {
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

/// Merges section (or tag) `from` into the one named `into` (editors and admins):
/// its articles move, its front's address redirects to the other's, and it is gone. Audited.
pub async fn merge_label(
    store: &dyn Store,
    user: &User,
    kind: LabelKind,
    from: i64,
    into: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if !user.may(Action::ManageSectionsAndTags) {
        return Err(ServiceError::Forbidden);
    }
    let field = kind.as_str();
    let into_name = into.trim();
    let target = match dateline_domain::Slug::from_title(into_name) {
        Some(slug) if kind == LabelKind::Tag => store.tag_by_slug(&slug).await?.map(|t| t.id.0),
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
    let names = label_names(store, kind).await?;
    let name = |id: i64| {
        names
            .iter()
            .find(|(i, _)| *i == id)
            .map_or_else(|| format!("{field} {id}"), |(_, n)| n.clone())
    };
    let audit = AuditEntry {
        at: now,
        user: Some(user.id),
        action: AuditAction::Merged(kind),
        article: None,
        detail: format!("{} merged into {}", name(from), name(into)),
    };
    if store.merge_label(kind, from, into, &audit).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Deletes a section that files no article, or a tag, which leaves its articles
/// (editors and admins). Audited.
pub async fn delete_label(
    store: &dyn Store,
    user: &User,
    kind: LabelKind,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if !user.may(Action::ManageSectionsAndTags) {
        return Err(ServiceError::Forbidden);
    }
    let field = kind.as_str();
    let name = label_names(store, kind)
        .await?
        .into_iter()
        .find(|(i, _)| *i == id)
        .map_or_else(|| format!("{field} {id}"), |(_, n)| n);
    let audit = AuditEntry {
        at: now,
        user: Some(user.id),
        action: AuditAction::Deleted(kind),
        article: None,
        detail: name,
    };
    match store.delete_label(kind, id, &audit).await? {
        LabelDeletion::Deleted => Ok(()),
        LabelDeletion::NotFound => Err(ServiceError::NotFound),
        LabelDeletion::InUse(n) => Err(ServiceError::WrongState(format!(
            "The section still has {n} article{}: merge it into another section instead.",
            if n == 1 { "" } else { "s" }
        ))),
    }
}

/// Most lines either side of a comparison may have for the line-by-line diff; longer texts are
/// compared coarsely (common beginning and end, the rest as replaced).
pub const MAX_DIFF_LINES: usize = 20_000;
/// Most bytes either side of a comparison may have for the line-by-line diff: a body at the size
/// limit and its fields.
pub const MAX_DIFF_BYTES: usize = articles::MAX_BODY_BYTES + 64 * 1024;
/// How long one comparison may search for the fewest changes before it settles for a coarser,
/// still correct, diff.
pub const DIFF_DEADLINE: StdDuration = StdDuration::from_secs(2);
/// How many comparisons run at once, each on a blocking thread, off the request threads.
pub const DIFF_WORKERS: usize = 2;
/// How long a request waits for a free comparison worker before it gets the coarse comparison.
pub const DIFF_QUEUE_WAIT: StdDuration = StdDuration::from_secs(5);
/// Unchanged lines shown around each change; longer unchanged runs are folded into one line.
pub const DIFF_CONTEXT: usize = 3;
/// Most changed lines a comparison shows, half of them removed and half added; the rest are
/// counted.
pub const MAX_DIFF_CHANGES: usize = 5_000;

/// One line of a readable diff between two revisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
    /// This many unchanged lines, not shown.
    Folded(usize),
}

/// Why a comparison is coarser than line by line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coarse {
    /// A side is over [`MAX_DIFF_LINES`] or [`MAX_DIFF_BYTES`].
    TooLong,
    /// The search for the fewest changes ran past [`DIFF_DEADLINE`].
    OutOfTime,
    /// Every comparison worker was busy for [`DIFF_QUEUE_WAIT`].
    Busy,
}

/// The changes between two revisions, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub lines: Vec<DiffLine>,
    /// Set when the diff is coarser than the fewest changes, and why.
    pub coarse: Option<Coarse>,
    /// Changed lines past [`MAX_DIFF_CHANGES`], not shown.
    pub more_changes: usize,
}

fn as_text(d: &Draft) -> String {
    let source = d.source.as_ref().map_or_else(String::new, |s: &Source| {
        format!("{} ({})", s.agencies.join(", "), s.mode.label())
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Same,
    Removed,
    Added,
}

/// The common beginning and end kept, everything between as removed and added: linear time.
fn coarse_changes<'a>(old: &'a str, new: &'a str) -> Vec<(Tag, &'a str)> {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let head = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let tail = old[head..]
        .iter()
        .rev()
        .zip(new[head..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = Vec::with_capacity(old.len() + new.len() - head - tail);
    out.extend(old[..head].iter().map(|l| (Tag::Same, *l)));
    out.extend(
        old[head..old.len() - tail]
            .iter()
            .map(|l| (Tag::Removed, *l)),
    );
    out.extend(new[head..new.len() - tail].iter().map(|l| (Tag::Added, *l)));
    out.extend(old[old.len() - tail..].iter().map(|l| (Tag::Same, *l)));
    out
}

/// Folds unchanged runs to [`DIFF_CONTEXT`] lines around each change and stops showing changes
/// after [`MAX_DIFF_CHANGES`].
fn shown(changes: &[(Tag, &str)], coarse: Option<Coarse>) -> Comparison {
    let mut lines = Vec::new();
    let mut shown_changes = 0;
    let mut shown_sides = [0usize; 2];
    let mut more_changes = 0;
    let mut i = 0;
    while i < changes.len() {
        let (tag, text) = changes[i];
        if tag != Tag::Same {
            // Half the room for each side, so a long removal does not hide every addition.
            let side = usize::from(tag == Tag::Added);
            if shown_sides[side] < MAX_DIFF_CHANGES / 2 {
                shown_sides[side] += 1;
                shown_changes += 1;
                lines.push(if tag == Tag::Removed {
                    DiffLine::Removed(text.to_owned())
                } else {
                    DiffLine::Added(text.to_owned())
                });
            } else {
                more_changes += 1;
            }
            i += 1;
            continue;
        }
        let run = changes[i..]
            .iter()
            .take_while(|(t, _)| *t == Tag::Same)
            .count();
        let after_change = i > 0 && shown_changes < MAX_DIFF_CHANGES;
        let before_change = i + run < changes.len() && shown_changes < MAX_DIFF_CHANGES;
        let head = if after_change { DIFF_CONTEXT } else { 0 };
        let tail = if before_change { DIFF_CONTEXT } else { 0 };
        if head + tail >= run {
            lines.extend(
                changes[i..i + run]
                    .iter()
                    .map(|(_, t)| DiffLine::Same((*t).to_owned())),
            );
        } else {
            lines.extend(
                changes[i..i + head]
                    .iter()
                    .map(|(_, t)| DiffLine::Same((*t).to_owned())),
            );
            lines.push(DiffLine::Folded(run - head - tail));
            lines.extend(
                changes[i + run - tail..i + run]
                    .iter()
                    .map(|(_, t)| DiffLine::Same((*t).to_owned())),
            );
        }
        i += run;
    }
    Comparison {
        lines,
        coarse,
        more_changes,
    }
}

fn too_long(text: &str) -> bool {
    text.len() > MAX_DIFF_BYTES || text.lines().nth(MAX_DIFF_LINES).is_some()
}

/// The changes from `old` to `new`, line by line, fields first, then the body; coarse when a
/// side is too long or the search passes `deadline`. Runs on the calling thread: use
/// [`compare`] from a request.
pub fn diff_until(old: &Draft, new: &Draft, deadline: Instant) -> Comparison {
    let (old, new) = (as_text(old), as_text(new));
    if too_long(&old) || too_long(&new) {
        return shown(&coarse_changes(&old, &new), Some(Coarse::TooLong));
    }
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Myers)
        .deadline(deadline)
        .diff_lines(&old, &new);
    let changes: Vec<(Tag, &str)> = diff
        .iter_all_changes()
        .map(|change| {
            let tag = match change.tag() {
                similar::ChangeTag::Equal => Tag::Same,
                similar::ChangeTag::Delete => Tag::Removed,
                similar::ChangeTag::Insert => Tag::Added,
            };
            (tag, change.value().trim_end_matches('\n'))
        })
        .collect();
    let late = Instant::now() >= deadline;
    shown(&changes, late.then_some(Coarse::OutOfTime))
}

/// The changes from `old` to `new` with the standard deadline; see [`diff_until`].
pub fn diff(old: &Draft, new: &Draft) -> Comparison {
    diff_until(old, new, Instant::now() + DIFF_DEADLINE)
}

static DIFF_SLOTS: LazyLock<Arc<Semaphore>> =
    LazyLock::new(|| Arc::new(Semaphore::new(DIFF_WORKERS)));

/// [`diff`] on a blocking thread, at most [`DIFF_WORKERS`] at once. A request that finds every
/// worker busy for [`DIFF_QUEUE_WAIT`] gets the coarse comparison, which takes linear time.
pub async fn compare(old: &Draft, new: &Draft) -> Result<Comparison, ServiceError> {
    let slot = tokio::time::timeout(DIFF_QUEUE_WAIT, DIFF_SLOTS.clone().acquire_owned()).await;
    let Ok(Ok(slot)) = slot else {
        let (old, new) = (as_text(old), as_text(new));
        return Ok(shown(&coarse_changes(&old, &new), Some(Coarse::Busy)));
    };
    let (old, new) = (old.clone(), new.clone());
    tokio::task::spawn_blocking(move || {
        let comparison = diff(&old, &new);
        drop(slot);
        comparison
    })
    .await
    .map_err(|e| ServiceError::internal("the comparison of two revisions stopped", e))
}

/// One run of words in a word-level comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordChange {
    /// `None`: in both texts; `Some(false)`: only in the old; `Some(true)`: only in the new.
    pub added: Option<bool>,
    pub text: String,
}

/// The changes between two texts word by word, as shown; `coarse` as for [`Comparison`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordComparison {
    pub changes: Vec<WordChange>,
    pub coarse: Option<Coarse>,
}

/// The common beginning and end kept and the rest as removed and added, in linear time.
fn coarse_words(old: &str, new: &str, why: Coarse) -> WordComparison {
    let head: usize = old
        .char_indices()
        .zip(new.chars())
        .take_while(|((_, a), b)| a == b)
        .last()
        .map_or(0, |((i, c), _)| i + c.len_utf8());
    let (old_rest, new_rest) = (&old[head..], &new[head..]);
    let tail: usize = old_rest
        .chars()
        .rev()
        .zip(new_rest.chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum();
    let tail = tail.min(old_rest.len()).min(new_rest.len());
    let mut changes = vec![WordChange {
        added: None,
        text: old[..head].to_owned(),
    }];
    changes.push(WordChange {
        added: Some(false),
        text: old_rest[..old_rest.len() - tail].to_owned(),
    });
    changes.push(WordChange {
        added: Some(true),
        text: new_rest[..new_rest.len() - tail].to_owned(),
    });
    changes.push(WordChange {
        added: None,
        text: old_rest[old_rest.len() - tail..].to_owned(),
    });
    changes.retain(|c| !c.text.is_empty());
    WordComparison {
        changes,
        coarse: Some(why),
    }
}

/// Word-level changes from `old` to `new` by `deadline`; texts past [`MAX_DIFF_BYTES`] are
/// compared coarsely.
pub fn word_diff_until(old: &str, new: &str, deadline: Instant) -> WordComparison {
    if old.len() > MAX_DIFF_BYTES || new.len() > MAX_DIFF_BYTES {
        return coarse_words(old, new, Coarse::TooLong);
    }
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Myers)
        .deadline(deadline)
        .diff_words(old, new);
    let mut changes: Vec<WordChange> = Vec::new();
    for change in diff.iter_all_changes() {
        let added = match change.tag() {
            similar::ChangeTag::Equal => None,
            similar::ChangeTag::Delete => Some(false),
            similar::ChangeTag::Insert => Some(true),
        };
        match changes.last_mut() {
            Some(last) if last.added == added => last.text.push_str(change.value()),
            _ => changes.push(WordChange {
                added,
                text: change.value().to_owned(),
            }),
        }
    }
    let late = Instant::now() >= deadline;
    WordComparison {
        changes,
        coarse: late.then_some(Coarse::OutOfTime),
    }
}

/// [`word_diff_until`] with the standard deadline on a blocking thread, sharing the revision
/// comparisons' workers: when all are busy for [`DIFF_QUEUE_WAIT`], the coarse comparison.
/// `texts` makes the two texts, on the blocking thread too (building them may be as long as the
/// texts are: a wire body converted to our format).
pub async fn compare_words(
    texts: impl FnOnce() -> (String, String) + Send + 'static,
) -> Result<WordComparison, ServiceError> {
    let slot = tokio::time::timeout(DIFF_QUEUE_WAIT, DIFF_SLOTS.clone().acquire_owned()).await;
    let slot = match slot {
        Ok(Ok(slot)) => Some(slot),
        _ => None,
    };
    tokio::task::spawn_blocking(move || {
        let (old, new) = texts();
        match slot {
            Some(slot) => {
                let comparison = word_diff_until(&old, &new, Instant::now() + DIFF_DEADLINE);
                drop(slot);
                comparison
            }
            None => coarse_words(&old, &new, Coarse::Busy),
        }
    })
    .await
    .map_err(|e| ServiceError::internal("the comparison of two versions stopped", e))
}

/// Revisions of an article `user` may see, newest first: their metadata, never their text.
pub async fn history(
    store: &dyn Store,
    user: &User,
    id: ArticleId,
) -> Result<(Desk, Vec<RevisionInfo>), ServiceError> {
    let desk = open(store, user, id).await?;
    let revisions = store.revision_list(id).await?;
    Ok((desk, revisions))
}

#[cfg(test)]
mod tests {

    fn rebuilt(c: &WordComparison, side: bool) -> String {
        c.changes
            .iter()
            .filter(|w| w.added.is_none() || w.added == Some(side))
            .map(|w| w.text.as_str())
            .collect()
    }

    #[test]
    fn a_word_diff_marks_only_the_words_that_changed_and_rebuilds_both_texts() {
        let old = "ISLAMABAD: Ten people were killed on Tuesday.";
        let new = "ISLAMABAD: Twelve people were killed on Tuesday, police said.";
        let c = word_diff_until(old, new, Instant::now() + DIFF_DEADLINE);
        assert_eq!(c.coarse, None);
        assert_eq!(rebuilt(&c, false), old);
        assert_eq!(rebuilt(&c, true), new);
        let removed: Vec<_> = c
            .changes
            .iter()
            .filter(|w| w.added == Some(false))
            .map(|w| w.text.trim())
            .collect();
        assert!(removed.contains(&"Ten"), "{c:?}");
        assert!(!removed.iter().any(|w| w.contains("killed")), "{c:?}");
        // Too long: linear and still rebuilds both, in Urdu too.
        let long_old = format!("{}اسلام آباد", "ا ".repeat(MAX_DIFF_BYTES));
        let long_new = format!("{}کراچی", "ا ".repeat(MAX_DIFF_BYTES));
        let c = word_diff_until(&long_old, &long_new, Instant::now() + DIFF_DEADLINE);
        assert_eq!(c.coarse, Some(Coarse::TooLong));
        assert_eq!(rebuilt(&c, false), long_old);
        assert_eq!(rebuilt(&c, true), long_new);
    }

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
        let lines = diff(&old, &new).lines;
        assert!(lines.contains(&DiffLine::Removed("Headline: Old".into())));
        assert!(lines.contains(&DiffLine::Added("Headline: New".into())));
        assert!(lines.contains(&DiffLine::Removed("Two.".into())));
        assert!(lines.contains(&DiffLine::Added("Three.".into())));
        assert!(lines.contains(&DiffLine::Same("One.".into())));
    }

    fn body_of(lines: std::ops::Range<usize>, word: &str) -> Draft {
        Draft {
            body: lines.map(|i| format!("{word} {i}\n")).collect(),
            ..Draft::default()
        }
    }

    #[test]
    fn unchanged_runs_fold_to_three_lines_of_context() {
        let old = body_of(0..100, "line");
        let mut new = old.clone();
        new.body = new.body.replace("line 50\n", "line fifty\n");
        let c = diff(&old, &new);
        assert_eq!(c.coarse, None);
        // 7 lines of fields, then the body: 57 unchanged lines before the change.
        assert_eq!(c.lines[0], DiffLine::Folded(54));
        assert_eq!(c.lines[1], DiffLine::Same("line 47".into()));
        assert_eq!(c.lines[4], DiffLine::Removed("line 50".into()));
        assert_eq!(c.lines[5], DiffLine::Added("line fifty".into()));
        assert_eq!(c.lines[8], DiffLine::Same("line 53".into()));
        assert_eq!(c.lines[9], DiffLine::Folded(46));
        assert_eq!(c.lines.len(), 10);
        // Identical texts show nothing but one folded run.
        assert_eq!(diff(&old, &old).lines, [DiffLine::Folded(107)]);
    }

    #[test]
    fn texts_over_the_line_cap_are_compared_coarsely_in_linear_time() {
        let old = body_of(0..MAX_DIFF_LINES + 10, "same");
        let mut new = old.clone();
        new.body = new.body.replacen("same 3\n", "changed 3\n", 1);
        let c = diff(&old, &new);
        assert_eq!(c.coarse, Some(Coarse::TooLong));
        assert_eq!(
            c.lines
                .iter()
                .filter(|l| !matches!(l, DiffLine::Same(_) | DiffLine::Folded(_)))
                .cloned()
                .collect::<Vec<_>>(),
            [
                DiffLine::Removed("same 3".into()),
                DiffLine::Added("changed 3".into())
            ]
        );
    }

    #[test]
    fn a_passed_deadline_gives_a_coarse_but_complete_diff() {
        let old = body_of(0..2_000, "alpha");
        let new = body_of(0..2_000, "beta");
        let c = diff_until(&old, &new, Instant::now());
        assert_eq!(c.coarse, Some(Coarse::OutOfTime));
        let removed = c
            .lines
            .iter()
            .filter(|l| matches!(l, DiffLine::Removed(_)))
            .count();
        let added = c
            .lines
            .iter()
            .filter(|l| matches!(l, DiffLine::Added(_)))
            .count();
        assert_eq!((removed, added), (2_000, 2_000));
    }

    #[test]
    fn changes_past_the_cap_are_counted_not_shown() {
        let old = body_of(0..MAX_DIFF_CHANGES, "alpha");
        let new = body_of(0..MAX_DIFF_CHANGES, "beta");
        // No search needed: every line differs.
        let c = diff_until(&old, &new, Instant::now());
        let shown = c
            .lines
            .iter()
            .filter(|l| matches!(l, DiffLine::Removed(_) | DiffLine::Added(_)))
            .count();
        assert_eq!(shown, MAX_DIFF_CHANGES);
        assert_eq!(c.more_changes, MAX_DIFF_CHANGES);
    }

    #[test]
    fn limits_refuse_oversized_drafts_but_not_unfinished_ones() {
        let unfinished = Draft::default();
        assert!(
            check_limits(&unfinished).is_ok(),
            "an empty headline can be autosaved"
        );
        let big = Draft {
            body: "x".repeat(articles::MAX_BODY_BYTES + 1),
            tags: vec!["t".into(); articles::MAX_LABELS + 1],
            ..Draft::default()
        };
        let Err(ServiceError::Invalid(problems)) = check_limits(&big) else {
            panic!("an oversized draft passed");
        };
        let fields: Vec<_> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            fields,
            [
                "body: is larger than 512 KB",
                "tags: no more than 30, please"
            ]
        );
    }

    #[test]
    fn local_times_are_read_in_the_publication_zone() {
        let karachi: Tz = "Asia/Karachi".parse().unwrap();
        let at = local_time("2024-04-16T18:30", karachi).unwrap();
        assert_eq!(at.to_rfc3339(), "2024-04-16T13:30:00+00:00");
        assert!(local_time("tomorrow", karachi).is_err());
    }
}
