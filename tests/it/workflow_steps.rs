//! One source of truth for who may do what to an article, on both backends: for every role, on
//! its own article and on another's, in every state, the buttons the editor shows are exactly
//! the steps `allowed_steps` names, and each service call succeeds exactly when its step is
//! among them — refused, otherwise, for the reason `steps::refusal` gives, with nothing changed.

use chrono::Duration;
use dateline_domain::steps::{self, Refusal};
use dateline_domain::{
    ArticleId, ArticleStatus, Draft, RevisionKind, RevisionNumber, Role, Step, Steps, User,
    WorkflowStore, allowed_steps,
};
use dateline_services::newsroom;
use dateline_services::{ServiceError, media};
use reqwest::StatusCode;

use crate::harness::{Desk, TestApp, attrs, on_both_backends};

on_both_backends!(the_editors_buttons_and_the_services_agree_for_every_role_state_and_owner);

fn draft(headline: &str, writer: &User) -> Draft {
    Draft {
        headline: headline.to_owned(),
        standfirst: format!("Standfirst of {headline}."),
        body: format!("Body of {headline}.\n"),
        section: "Pakistan".to_owned(),
        tags: vec![],
        authors: vec![writer.name.clone()],
        source: None,
        language: "en".to_owned(),
    }
}

/// Makes articles written by one account and moved through the workflow by an editor.
struct Articles<'a> {
    app: &'a TestApp,
    editor: &'a User,
    made: usize,
}

impl Articles<'_> {
    /// A new article written by `writer`, in `status`.
    async fn written(&mut self, writer: &User, status: ArticleStatus) -> ArticleId {
        self.made += 1;
        let (store, now) = (self.app.store.as_ref(), self.app.clock_now());
        let headline = format!("Story number {} of the workflow table", self.made);
        let id = newsroom::create_draft(store, writer, &draft(&headline, writer), now)
            .await
            .unwrap();
        let seen = Some(self.revision(id).await);
        let editor = self.editor;
        match status {
            ArticleStatus::Draft => {}
            ArticleStatus::InReview => newsroom::submit(store, editor, id, now).await.unwrap(),
            ArticleStatus::Scheduled => {
                newsroom::schedule(store, editor, id, seen, now + Duration::days(1), now)
                    .await
                    .unwrap();
            }
            ArticleStatus::Published => {
                newsroom::publish(store, editor, id, seen, now)
                    .await
                    .unwrap();
            }
            ArticleStatus::Unpublished => {
                newsroom::publish(store, editor, id, seen, now)
                    .await
                    .unwrap();
                newsroom::unpublish(store, editor, id, now).await.unwrap();
            }
        }
        id
    }

    async fn revision(&self, id: ArticleId) -> RevisionNumber {
        self.app.store.workflow(id).await.unwrap().unwrap().revision
    }
}

/// The steps the editor page offers `desk` on article `id`: none when it does not open.
async fn buttons(desk: &Desk<'_>, id: ArticleId) -> Steps {
    let (status, page) = desk.page(&format!("/admin/articles/{id}")).await;
    if status == StatusCode::NOT_FOUND {
        return Steps::NONE;
    }
    assert_eq!(status, StatusCode::OK);
    let mut shown = Steps::NONE.with(Step::View);
    for action in attrs(&page, "form[method=post]", "action") {
        let step = match action.rsplit('/').next().unwrap_or_default() {
            "submit" => Step::Submit,
            "publish" => Step::Publish,
            "schedule" => Step::Schedule,
            "unpublish" => Step::Unpublish,
            "correct" => Step::Correct,
            "featured" => Step::Edit,
            _ => continue,
        };
        shown = shown.with(step);
    }
    shown
}

/// Runs `step` as `user` on `id` through its service.
async fn take(app: &TestApp, user: &User, id: ArticleId, step: Step) -> Result<(), ServiceError> {
    let (store, now) = (app.store.as_ref(), app.clock_now());
    let seen = Some(store.workflow(id).await.unwrap().unwrap().revision);
    match step {
        Step::View => newsroom::open(store, user, id).await.map(|_| ()),
        Step::Edit => {
            media::set_featured(store, user, id, None, now).await?;
            let desk = newsroom::open(store, &admin_view(user), id).await?;
            newsroom::save(
                store,
                user,
                id,
                desk.workflow.revision,
                &desk.draft,
                RevisionKind::Save,
                now,
            )
            .await
            .map(|_| ())
        }
        Step::Submit => newsroom::submit(store, user, id, now).await,
        Step::Publish => newsroom::publish(store, user, id, seen, now).await,
        Step::Schedule => {
            newsroom::schedule(store, user, id, seen, now + Duration::days(2), now).await
        }
        Step::Unpublish => newsroom::unpublish(store, user, id, now).await,
        Step::Correct => {
            newsroom::correct(store, user, id, "correction", "A date was wrong.", now).await
        }
    }
}

/// `user` as an administrator, to read the article whatever `user` may see.
fn admin_view(user: &User) -> User {
    User {
        role: Role::Admin,
        ..user.clone()
    }
}

/// The error a refused step answers with.
fn expected_error(user: &User, refusal: Refusal, step: Step) -> &'static str {
    match refusal {
        // Corrections are refused by role before the article is read.
        _ if step == Step::Correct && !step.open_to(user.role) => "forbidden",
        Refusal::Unseen => "not found",
        Refusal::NotAllowed => "forbidden",
        Refusal::WrongState => "wrong state",
    }
}

fn kind(e: &ServiceError) -> &'static str {
    match e {
        ServiceError::NotFound => "not found",
        ServiceError::Forbidden => "forbidden",
        ServiceError::WrongState(_) => "wrong state",
        _ => "another error",
    }
}

async fn the_editors_buttons_and_the_services_agree_for_every_role_state_and_owner(app: TestApp) {
    let owner = app.account("Owner Editor", Role::Editor).await;
    let mut articles = Articles {
        app: &app,
        editor: &owner,
        made: 0,
    };
    let mut checked = 0;
    for role in Role::ALL {
        let user = app.account(&format!("The {role}"), role).await;
        let desk = app.sign_in(&user).await;
        for own in [true, false] {
            let writer = if own { &user } else { &owner };
            for status in ArticleStatus::ALL {
                let case = format!("{role}, own: {own}, {status:?}");
                let id = articles.written(writer, status).await;
                let wf = app.store.workflow(id).await.unwrap().unwrap();
                let allowed = allowed_steps(&user, &wf);
                assert_eq!(buttons(&desk, id).await, allowed, "buttons: {case}");
                // Steps that leave the state as it is run on this article, editing last; each
                // allowed step that moves it runs on an article of its own.
                for step in [
                    Step::View,
                    Step::Submit,
                    Step::Publish,
                    Step::Schedule,
                    Step::Unpublish,
                    Step::Correct,
                    Step::Edit,
                ] {
                    let moves = !matches!(step, Step::View | Step::Edit | Step::Correct);
                    let target = if moves && allowed.contains(step) {
                        articles.written(writer, status).await
                    } else {
                        id
                    };
                    let before = app.store.workflow(target).await.unwrap().unwrap();
                    let taken = take(&app, &user, target, step).await;
                    match steps::refusal(&user, &before, step) {
                        None => assert!(taken.is_ok(), "{step:?}: {case}: {taken:?}"),
                        Some(refusal) => {
                            let got = taken.as_ref().map_err(kind).err();
                            assert_eq!(
                                got,
                                Some(expected_error(&user, refusal, step)),
                                "{step:?}: {case}: {taken:?}"
                            );
                            assert_eq!(
                                app.store.workflow(target).await.unwrap().unwrap(),
                                before,
                                "a refused {step:?} changes nothing: {case}"
                            );
                        }
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 4 * 2 * 5 * 7);
}
