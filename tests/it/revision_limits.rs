//! Revisions and the workflow under pressure, on both backends: publishing and scheduling act
//! only on the revision the editor saw; every path that stores a working copy keeps the size
//! limits; autosaves do not pile up; the history reads no bodies; comparing long revisions is
//! bounded and leaves the server answering.

use std::time::Duration;

use chrono::Utc;
use dateline_domain::{
    ArticleId, ArticleStatus, ArticleStore, AuditAction, AuditEntry, Draft, RevisionKind,
    RevisionNumber, Role, WorkflowStore,
};
use reqwest::StatusCode;
use scraper::Html;

use crate::harness::{Desk, TestApp, attrs, on_both_backends, pairs, texts};

on_both_backends!(
    publishing_after_a_contributor_autosaves_shows_the_changes_and_publishes_nothing,
    scheduling_after_a_contributor_autosaves_shows_the_changes_and_schedules_nothing,
    publish_form_without_a_revision_publishes_nothing,
    oversized_autosave_is_refused_and_the_stored_text_is_kept,
    restoring_an_oversized_old_revision_is_refused_with_the_editor,
    fifty_autosaves_leave_few_revisions_and_the_named_save_survives,
    history_lists_every_revision_with_its_size,
    diffs_of_long_bodies_answer_while_the_server_stays_up,
    diff_of_a_long_body_with_one_change_folds_the_unchanged_text,
);

fn fields(headline: &str, body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("headline", headline.to_owned()),
        ("standfirst", format!("Standfirst of {headline}.")),
        ("body", body.to_owned()),
        ("section", "Pakistan".to_owned()),
        ("tags", "Economy".to_owned()),
        ("authors", "Sana Jamal".to_owned()),
        ("language", "en".to_owned()),
    ]
}

async fn create(desk: &Desk<'_>, headline: &str) -> ArticleId {
    let all = fields(headline, "First paragraph.\n\nSecond paragraph.\n");
    desk.create_article(&all).await
}

/// The editor page of `id`, as `desk` sees it.
async fn editor(desk: &Desk<'_>, id: ArticleId) -> Html {
    let (status, page) = desk.page(&format!("/admin/articles/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    page
}

async fn autosave(
    desk: &Desk<'_>,
    id: ArticleId,
    base: &str,
    headline: &str,
    body: &str,
) -> reqwest::Response {
    let mut all = fields(headline, body);
    all.push(("base", base.to_owned()));
    desk.post(&format!("/admin/articles/{id}/autosave"), &pairs(&all))
        .await
}

async fn html(response: reqwest::Response) -> Html {
    Html::parse_document(&response.text().await.unwrap())
}

/// A contributor's story submitted for review, and the editor who will handle it.
async fn submitted(app: &TestApp) -> (Desk<'_>, Desk<'_>, ArticleId) {
    let writer = app.account("Sana Jamal", Role::Contributor).await;
    let editor = app.account("Desk Editor", Role::Editor).await;
    let sana = app.sign_in(&writer).await;
    let eddie = app.sign_in(&editor).await;
    let id = create(&sana, "Budget talks resume").await;
    let response = sana
        .post(&format!("/admin/articles/{id}/submit"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    (sana, eddie, id)
}

async fn publishing_after_a_contributor_autosaves_shows_the_changes_and_publishes_nothing(
    app: TestApp,
) {
    let (sana, eddie, id) = submitted(&app).await;
    // The editor reads revision 1 and decides to publish it.
    let page = editor(&eddie, id).await;
    let seen = attrs(
        &page,
        "form[action$='/publish'] input[name=revision]",
        "value",
    );
    assert_eq!(seen, ["1"]);
    // Meanwhile the contributor's editor autosaves a new headline.
    let response = autosave(&sana, id, "1", "Budget talks collapse", "Changed.\n").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "saved 2");
    let response = eddie
        .post(
            &format!("/admin/articles/{id}/publish"),
            &[("revision", "1")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let page = html(response).await;
    let alert = texts(&page, "[role=alert]").join(" ");
    assert!(alert.contains("You reviewed revision 1"), "{alert}");
    assert!(alert.contains("Sana Jamal saved revision 2"), "{alert}");
    assert!(alert.contains("Nothing was published"), "{alert}");
    assert!(texts(&page, ".added").contains(&"+ Headline: Budget talks collapse".to_owned()));
    assert!(texts(&page, ".removed").contains(&"− Headline: Budget talks resume".to_owned()));
    // Nothing went out.
    let article = app.store.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(article.status, ArticleStatus::InReview);
    assert_eq!(article.published_at, None);
    for slug in ["budget-talks-resume", "budget-talks-collapse"] {
        assert_eq!(
            app.get(&format!("/{slug}")).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    // Having seen the changes, the editor publishes revision 2 from the same page.
    let retry = attrs(
        &page,
        "form[action$='/publish'] input[name=revision]",
        "value",
    );
    assert_eq!(retry, ["2"]);
    let response = eddie
        .post(
            &format!("/admin/articles/{id}/publish"),
            &[("revision", "2")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, public) = app.page("/budget-talks-resume").await;
    assert_eq!(status, StatusCode::OK, "the slug was fixed when drafted");
    assert_eq!(texts(&public, "h1"), ["Budget talks collapse"]);
    let wf = app.store.workflow(id).await.unwrap().unwrap();
    assert_eq!(wf.live_revision, Some(RevisionNumber(2)));

    // An editor's own autosave moves the page's revision with it: the page's script puts the
    // autosave's number into the forms, and publishing it works.
    let response = autosave(&eddie, id, "2", "Budget talks collapse again", "More.\n").await;
    assert_eq!(response.text().await.unwrap(), "saved 3");
    let response = eddie
        .post(
            &format!("/admin/articles/{id}/publish"),
            &[("revision", "3")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, public) = app.page("/budget-talks-resume").await;
    assert_eq!(texts(&public, "h1"), ["Budget talks collapse again"]);
}

async fn scheduling_after_a_contributor_autosaves_shows_the_changes_and_schedules_nothing(
    app: TestApp,
) {
    let (sana, eddie, id) = submitted(&app).await;
    let page = editor(&eddie, id).await;
    let seen = attrs(
        &page,
        "form[action$='/schedule'] input[name=revision]",
        "value",
    );
    assert_eq!(seen, ["1"]);
    let response = autosave(&sana, id, "1", "Budget talks collapse", "Changed.\n").await;
    assert_eq!(response.status(), StatusCode::OK);
    // The reference day is 2024-04-16 10:00 in Karachi: 18:00 is later that day.
    let at = "2024-04-16T18:00";
    let response = eddie
        .post(
            &format!("/admin/articles/{id}/schedule"),
            &[("revision", "1"), ("at", at)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let page = html(response).await;
    assert!(texts(&page, "[role=alert]")[0].contains("Nothing was scheduled"));
    assert!(texts(&page, ".added").contains(&"+ Headline: Budget talks collapse".to_owned()));
    let wf = app.store.workflow(id).await.unwrap().unwrap();
    assert_eq!(wf.status, ArticleStatus::InReview);
    assert_eq!(wf.scheduled_at, None);
    // The page offers scheduling revision 2 at the same time.
    assert_eq!(
        attrs(&page, "form[action$='/schedule'] input[name=at]", "value"),
        [at]
    );
    let response = eddie
        .post(
            &format!("/admin/articles/{id}/schedule"),
            &[("revision", "2"), ("at", at)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let wf = app.store.workflow(id).await.unwrap().unwrap();
    assert_eq!(wf.status, ArticleStatus::Scheduled);
}

async fn publish_form_without_a_revision_publishes_nothing(app: TestApp) {
    let (_sana, eddie, id) = submitted(&app).await;
    let response = eddie
        .post(&format!("/admin/articles/{id}/publish"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let page = html(response).await;
    assert!(texts(&page, "[role=alert]")[0].contains("did not say which revision"));
    assert_eq!(
        app.store.workflow(id).await.unwrap().unwrap().status,
        ArticleStatus::InReview
    );
}

async fn oversized_autosave_is_refused_and_the_stored_text_is_kept(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Author).await;
    let sana = app.sign_in(&writer).await;
    let id = create(&sana, "Flood relief reaches Sindh").await;
    let before = app.store.revision_list(id).await.unwrap();
    let audit_before = app.store.audit_log(Some(id), 0, 100).await.unwrap().len();
    for size in [600 * 1024, 1_900 * 1024] {
        let body = "x".repeat(size);
        let response = autosave(&sana, id, "1", "Flood relief reaches Sindh", &body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        if size < 1024 * 1024 {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{size}");
            assert!(text.contains("body: is larger than 512 KB"), "{text}");
        } else {
            // Over the form size limit of the newsroom: refused before it is read.
            assert!(
                matches!(
                    status,
                    StatusCode::UNPROCESSABLE_ENTITY | StatusCode::PAYLOAD_TOO_LARGE
                ),
                "{size}: {status}"
            );
        }
        assert_eq!(app.store.revision_list(id).await.unwrap(), before, "{size}");
        let wf = app.store.workflow(id).await.unwrap().unwrap();
        assert_eq!(wf.revision, RevisionNumber(1));
    }
    assert_eq!(
        app.store.audit_log(Some(id), 0, 100).await.unwrap().len(),
        audit_before
    );
    let kept = app
        .store
        .revision(id, RevisionNumber(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.draft.body, "First paragraph.\n\nSecond paragraph.\n");
    // A save of the same text is refused the same way, with the typed text back in the form.
    let body = "y".repeat(600 * 1024);
    let mut all = fields("Flood relief reaches Sindh", &body);
    all.push(("base", "1".to_owned()));
    let response = sana
        .post(&format!("/admin/articles/{id}"), &pairs(&all))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(response).await;
    assert!(texts(&page, "[role=alert]")[0].contains("larger than 512 KB"));
    assert_eq!(texts(&page, "textarea[name=body]")[0].len(), body.len());
    // Far over the limit, a form is refused at the door with a page that says why.
    let body = "z".repeat(3 * 1024 * 1024);
    let mut all = fields("Flood relief reaches Sindh", &body);
    all.push(("base", "1".to_owned()));
    let response = sana
        .post(&format!("/admin/articles/{id}"), &pairs(&all))
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = html(response).await;
    assert!(
        texts(&page, "main")
            .join(" ")
            .contains("go back, shorten it")
    );
    assert_eq!(app.store.revision_list(id).await.unwrap(), before);
}

fn audit(action: AuditAction) -> AuditEntry {
    AuditEntry {
        at: Utc::now(),
        user: None,
        action,
        article: None,
        detail: String::new(),
    }
}

fn draft(headline: &str, body: String) -> Draft {
    Draft {
        headline: headline.to_owned(),
        standfirst: String::new(),
        body,
        section: "Pakistan".to_owned(),
        tags: vec![],
        authors: vec!["Sana Jamal".to_owned()],
        source: None,
        language: "en".to_owned(),
    }
}

async fn restoring_an_oversized_old_revision_is_refused_with_the_editor(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Author).await;
    let sana = app.sign_in(&writer).await;
    let id = create(&sana, "Old giant revision").await;
    // A revision stored before the limits applied to every path.
    let big = draft("Old giant revision", "g".repeat(700 * 1024));
    app.store
        .save_revision(
            id,
            RevisionNumber(1),
            &big,
            RevisionKind::Autosave,
            writer.id,
            None,
            &audit(AuditAction::Autosaved),
        )
        .await
        .unwrap();
    let response = sana
        .post(
            &format!("/admin/articles/{id}/restore"),
            &[("number", "1"), ("base", "2")],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "a small one is fine"
    );
    let response = sana
        .post(
            &format!("/admin/articles/{id}/restore"),
            &[("number", "2"), ("base", "3")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(response).await;
    assert!(texts(&page, "[role=alert]")[0].contains("larger than 512 KB"));
    assert_eq!(
        app.store.workflow(id).await.unwrap().unwrap().revision,
        RevisionNumber(3)
    );
}

async fn fifty_autosaves_leave_few_revisions_and_the_named_save_survives(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Author).await;
    let sana = app.sign_in(&writer).await;
    let id = create(&sana, "Typing away").await;
    let mut base = "1".to_owned();
    for n in 0..50 {
        if n == 25 {
            let mut all = fields("Named save", "Named.\n");
            all.push(("base", base.clone()));
            let response = sana
                .post(&format!("/admin/articles/{id}"), &pairs(&all))
                .await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
            let wf = app.store.workflow(id).await.unwrap().unwrap();
            base = wf.revision.to_string();
            continue;
        }
        let response = autosave(&sana, id, &base, &format!("Take {n}"), "Typing.\n").await;
        assert_eq!(response.status(), StatusCode::OK, "{n}");
        let text = response.text().await.unwrap();
        base = text.trim_start_matches("saved ").to_owned();
    }
    let list = app.store.revision_list(id).await.unwrap();
    let kinds: Vec<_> = list.iter().map(|r| (r.kind, r.headline.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (RevisionKind::Autosave, "Take 49"),
            (RevisionKind::Save, "Named save"),
            (RevisionKind::Autosave, "Take 24"),
            (RevisionKind::Save, "Typing away"),
        ]
    );
    assert_eq!(list[0].number.to_string(), base);
    // The audit log has one line per run of autosaves, not one per autosave.
    let log = app.store.audit_log(Some(id), 0, 100).await.unwrap();
    // (New tags and bylines the first save brought have audit lines of their own.)
    let actions: Vec<_> = log
        .iter()
        .map(|r| r.action.as_str())
        .filter(|a| !a.starts_with("added "))
        .collect();
    assert_eq!(actions, ["autosaved", "saved", "autosaved", "created"]);
}

async fn history_lists_every_revision_with_its_size(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Author).await;
    let sana = app.sign_in(&writer).await;
    let id = create(&sana, "Long read").await;
    let mut base = RevisionNumber(1);
    for n in 0..30 {
        let body = format!("{n}\n{}", "w".repeat(400 * 1024));
        let outcome = app
            .store
            .save_revision(
                id,
                base,
                &draft("Long read", body),
                RevisionKind::Save,
                writer.id,
                None,
                &audit(AuditAction::Saved),
            )
            .await
            .unwrap();
        let dateline_domain::SaveOutcome::Saved(next) = outcome else {
            panic!("{outcome:?}");
        };
        base = next;
    }
    let (status, page) = sana.page(&format!("/admin/articles/{id}/history")).await;
    assert_eq!(status, StatusCode::OK);
    let rows = texts(&page, "tbody tr");
    assert_eq!(rows.len(), 31);
    let sizes = texts(&page, "tbody td.size");
    assert_eq!(
        sizes[0],
        format!("{} characters", group("29\n".len() + 400 * 1024))
    );
    assert_eq!(sizes[30], "36 characters");
}

/// `409601` as "409,601".
fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A body of `lines` numbered lines, each starting with `word`.
fn lines(word: &str, lines: usize) -> String {
    (0..lines).map(|i| format!("{word} {i}\n")).collect()
}

async fn diffs_of_long_bodies_answer_while_the_server_stays_up(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Author).await;
    let sana = app.sign_in(&writer).await;
    let id = create(&sana, "Two long takes").await;
    let mut base = RevisionNumber(1);
    // Revisions 2 and 3: 32,000 lines each, none in common; 4 and 5: 15,000 lines each.
    for (word, count) in [
        ("alpha", 32_000),
        ("beta", 32_000),
        ("gamma", 15_000),
        ("delta", 15_000),
    ] {
        let outcome = app
            .store
            .save_revision(
                id,
                base,
                &draft("Two long takes", lines(word, count)),
                RevisionKind::Save,
                writer.id,
                None,
                &audit(AuditAction::Saved),
            )
            .await
            .unwrap();
        let dateline_domain::SaveOutcome::Saved(next) = outcome else {
            panic!("{outcome:?}");
        };
        base = next;
    }
    let mut running = Vec::new();
    for (from, to) in [(2, 3), (4, 5), (2, 3), (4, 5)] {
        let request = app
            .client
            .get(app.url(&format!("/admin/articles/{id}/diff?from={from}&to={to}")))
            .header("cookie", format!("dateline_session={}", sana.session));
        running.push(tokio::spawn(async move {
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }));
    }
    // The server keeps answering while the comparisons run.
    let health = tokio::time::timeout(Duration::from_secs(30), app.get("/healthz"))
        .await
        .expect("/healthz answers while diffs run");
    assert_eq!(health.status(), StatusCode::OK);
    for task in running {
        let (status, text) = tokio::time::timeout(Duration::from_secs(120), task)
            .await
            .expect("the diff answers")
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        let page = Html::parse_document(&text);
        let notes = texts(&page, "[role=note]");
        let added = texts(&page, ".added");
        // Every line differs: far more changes than a page shows, so a note says so (and,
        // for the longer pair, that the comparison is coarse).
        assert!(!notes.is_empty(), "a note on what is not shown");
        assert!(!added.is_empty() && !texts(&page, ".removed").is_empty());
    }
}

async fn diff_of_a_long_body_with_one_change_folds_the_unchanged_text(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Author).await;
    let sana = app.sign_in(&writer).await;
    let id = create(&sana, "One change").await;
    let old = lines("line", 10_000);
    let new = old.replacen("line 5000\n", "line five thousand\n", 1);
    let mut base = RevisionNumber(1);
    for body in [old, new] {
        let outcome = app
            .store
            .save_revision(
                id,
                base,
                &draft("One change", body),
                RevisionKind::Save,
                writer.id,
                None,
                &audit(AuditAction::Saved),
            )
            .await
            .unwrap();
        let dateline_domain::SaveOutcome::Saved(next) = outcome else {
            panic!("{outcome:?}");
        };
        base = next;
    }
    let (status, page) = sana
        .page(&format!("/admin/articles/{id}/diff?from=2&to=3"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(texts(&page, ".removed"), ["− line 5000"]);
    assert_eq!(texts(&page, ".added"), ["+ line five thousand"]);
    assert_eq!(
        texts(&page, ".same").len(),
        6,
        "three lines of context each side"
    );
    let folded = texts(&page, ".folded");
    assert_eq!(folded.len(), 2);
    assert_eq!(folded, ["⋯ 5004 unchanged lines", "⋯ 4996 unchanged lines"]);
    assert!(texts(&page, "[role=note]").is_empty());
}
