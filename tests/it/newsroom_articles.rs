//! The article desk on both backends: drafts, revisions, conflicts, history, the workflow,
//! scheduled publishing, corrections, the audit log, and the rules on who may do what.

use chrono::Duration;
use dateline_domain::{
    ArticleId, ArticleStatus, ArticleStore, LabelStore, RevisionNumber, Role, WorkflowStore,
};
use dateline_services::newsroom;
use reqwest::StatusCode;
use scraper::Html;

use crate::harness::{Desk, TestApp, attrs, on_both_backends, pairs, texts};

on_both_backends!(
    contributor_writes_a_draft_and_submits_it_for_review,
    empty_headline_and_script_in_the_body_are_refused_and_change_nothing,
    every_save_is_a_revision_with_history_diff_and_restore,
    second_writer_gets_a_conflict_page_and_nothing_is_lost,
    live_page_changes_only_when_the_update_is_published,
    unpublished_article_answers_410_gone,
    scheduled_article_is_published_by_the_server_at_its_time,
    correction_appears_on_the_public_article_and_moves_updated_at,
    audit_log_records_who_did_what_and_only_editors_read_it,
    article_list_filters_and_paginates_newest_first,
    read_more_picker_finds_articles_by_headline,
    preview_is_rendered_like_the_public_page_and_stores_nothing,
    each_role_may_act_on_articles_only_as_the_matrix_says,
    forged_csrf_or_expired_session_cannot_save_or_publish,
    editors_rename_sections_and_tags_and_urls_stay,
);

/// The editor's fields with a headline and a plain body.
fn fields(headline: &str) -> Vec<(&'static str, String)> {
    vec![
        ("headline", headline.to_owned()),
        ("standfirst", format!("Standfirst of {headline}.")),
        (
            "body",
            format!("First paragraph of {headline}.\n\nSecond paragraph.\n"),
        ),
        ("section", "Pakistan".to_owned()),
        ("tags", "Economy, Budget".to_owned()),
        ("authors", "Sana Jamal".to_owned()),
        ("source_agencies", "APP".to_owned()),
        ("source_mode", "additional-inputs".to_owned()),
        ("language", "en".to_owned()),
    ]
}

/// Creates an article through the editor form; its id.
async fn create(desk: &Desk<'_>, headline: &str) -> ArticleId {
    desk.create_article(&fields(headline)).await
}

/// The base revision the editor page carries.
async fn base(desk: &Desk<'_>, id: ArticleId) -> String {
    let (status, page) = desk.page(&format!("/admin/articles/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    attrs(&page, "#editor input[name=base]", "value").remove(0)
}

async fn save(
    desk: &Desk<'_>,
    id: ArticleId,
    base: &str,
    changes: &[(&'static str, &str)],
) -> reqwest::Response {
    let mut all = fields("unused");
    for (k, v) in changes {
        all.retain(|(key, _)| key != k);
        all.push((k, (*v).to_owned()));
    }
    all.push(("base", base.to_owned()));
    desk.post(&format!("/admin/articles/{id}"), &pairs(&all))
        .await
}

async fn html(response: reqwest::Response) -> Html {
    Html::parse_document(&response.text().await.unwrap())
}

async fn status_of(app: &TestApp, id: ArticleId) -> ArticleStatus {
    app.store.workflow(id).await.unwrap().unwrap().status
}

async fn contributor_writes_a_draft_and_submits_it_for_review(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Contributor).await;
    let desk = app.sign_in(&writer).await;
    let (status, page) = desk.page("/admin/articles/new").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(attrs(&page, "input[name=authors]", "value"), ["Sana Jamal"]);
    let id = create(&desk, "Budget talks resume in Islamabad").await;
    let (_, page) = desk.page(&format!("/admin/articles/{id}?saved=1")).await;
    assert_eq!(
        attrs(&page, "input[name=headline]", "value"),
        ["Budget talks resume in Islamabad"]
    );
    assert_eq!(texts(&page, ".workflow-status, .status")[0], "Draft");
    let article = app.store.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(article.status, ArticleStatus::Draft);
    assert_eq!(
        app.get(&format!("/{}", article.slug)).await.status(),
        StatusCode::NOT_FOUND,
        "readers do not see drafts"
    );
    // A contributor may not publish, even their own.
    let response = desk
        .post(&format!("/admin/articles/{id}/publish"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(&app, id).await, ArticleStatus::Draft);
    let response = desk
        .post(&format!("/admin/articles/{id}/submit"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, id).await, ArticleStatus::InReview);
    // Submitting twice is refused clearly.
    let response = desk
        .post(&format!("/admin/articles/{id}/submit"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(texts(&html(response).await, "[role=alert]")[0].contains("Only a draft"));
}

async fn empty_headline_and_script_in_the_body_are_refused_and_change_nothing(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Author).await;
    let desk = app.sign_in(&writer).await;
    let before = app.store.count_articles().await.unwrap();
    let mut bad = fields("x");
    bad[0].1 = "   ".to_owned();
    let response = desk.post("/admin/articles", &pairs(&bad)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(response).await;
    let alert = texts(&page, "[role=alert]").join(" ");
    assert!(alert.contains("headline: must not be empty"), "{alert}");
    assert!(alert.contains("Nothing was changed"), "{alert}");
    assert_eq!(
        attrs(&page, "textarea[name=body]", "name").len(),
        1,
        "the form is shown again"
    );
    assert!(
        texts(&page, "textarea[name=body]")[0].contains("First paragraph"),
        "with the text kept"
    );
    assert_eq!(app.store.count_articles().await.unwrap(), before);

    let id = create(&desk, "Budget talks resume").await;
    let revision = base(&desk, id).await;
    for body in [
        "Fine.\n\n<script>alert('x')</script>\n",
        "A [link](javascript:alert(1)).\n",
        "<img src=x onerror=alert(1)>\n",
    ] {
        let response = save(&desk, id, &revision, &[("body", body)]).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let alert = texts(&html(response).await, "[role=alert]").join(" ");
        assert!(alert.contains("scripts, frames, event handlers"), "{alert}");
    }
    assert_eq!(base(&desk, id).await, revision, "no revision was added");
    assert_eq!(app.store.revision_list(id).await.unwrap().len(), 1);
    let article = app.store.article_by_id(id).await.unwrap().unwrap();
    assert!(!article.body.contains("script"));
}

async fn every_save_is_a_revision_with_history_diff_and_restore(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Author).await;
    let desk = app.sign_in(&writer).await;
    let id = create(&desk, "Rupee falls against the dollar").await;
    let response = save(
        &desk,
        id,
        "1",
        &[("headline", "Rupee slides against the dollar")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = save(
        &desk,
        id,
        "2",
        &[
            ("headline", "Rupee slides again"),
            ("body", "New first paragraph.\n"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, history) = desk.page(&format!("/admin/articles/{id}/history")).await;
    assert_eq!(status, StatusCode::OK);
    let rows = texts(&history, "tbody tr");
    assert_eq!(rows.len(), 3);
    assert!(rows[0].starts_with("3 current"), "{rows:?}");
    assert!(rows[0].contains("Sana Jamal") && rows[0].contains("Rupee slides again"));
    let (status, diff) = desk
        .page(&format!("/admin/articles/{id}/diff?from=2&to=3"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        texts(&diff, ".removed")[0],
        "− Headline: Rupee slides against the dollar"
    );
    assert_eq!(texts(&diff, ".added")[0], "+ Headline: Rupee slides again");
    assert!(texts(&diff, ".added").contains(&"+ New first paragraph.".to_owned()));
    // One click brings revision 1 back, as revision 4.
    let response = desk
        .post(
            &format!("/admin/articles/{id}/restore"),
            &[("number", "1"), ("base", "3")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = desk.page(&format!("/admin/articles/{id}")).await;
    assert_eq!(attrs(&page, "input[name=base]", "value"), ["4"]);
    assert_eq!(
        attrs(&page, "input[name=headline]", "value"),
        ["Rupee falls against the dollar"]
    );
    let article = app.store.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(
        article.headline, "Rupee falls against the dollar",
        "a draft's stored copy follows"
    );
}

async fn second_writer_gets_a_conflict_page_and_nothing_is_lost(app: TestApp) {
    let editor = app.account("Editor", Role::Editor).await;
    let writer = app.account("Sana Jamal", Role::Author).await;
    let sana = app.sign_in(&writer).await;
    let eddie = app.sign_in(&editor).await;
    let id = create(&sana, "Monsoon rains flood Karachi").await;
    // Both open revision 1; the editor saves first.
    assert_eq!(base(&eddie, id).await, "1");
    let response = save(
        &eddie,
        id,
        "1",
        &[("headline", "Monsoon rains flood Karachi streets")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = save(&sana, id, "1", &[("body", "Sana's rewritten body.\n")]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let page = html(response).await;
    let alert = texts(&page, "[role=alert]")[0].clone();
    assert!(alert.contains("Editor saved revision 2"), "{alert}");
    assert!(alert.contains("kept as revision 3"), "{alert}");
    assert!(
        texts(&page, "pre.source")[0].contains("First paragraph"),
        "theirs is shown"
    );
    assert!(
        texts(&page, "textarea[name=body]")[0].contains("Sana's rewritten body."),
        "and yours"
    );
    assert_eq!(attrs(&page, "form input[name=base]", "value"), ["2"]);
    // Nothing was overwritten, and Sana's text is in the history.
    let wf = app.store.workflow(id).await.unwrap().unwrap();
    assert_eq!(wf.revision, RevisionNumber(2));
    let kept = app
        .store
        .revision(id, RevisionNumber(3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.draft.body, "Sana's rewritten body.\n");
    let article = app.store.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(article.headline, "Monsoon rains flood Karachi streets");
    // Saving over theirs on purpose, from the conflict page, works.
    let response = save(&sana, id, "2", &[("body", "Sana's rewritten body.\n")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.store.workflow(id).await.unwrap().unwrap().revision,
        RevisionNumber(4)
    );
    // Autosave reports the conflict the same way.
    let mut all = fields("x");
    all.push(("base", "2".to_owned()));
    let response = eddie
        .post(&format!("/admin/articles/{id}/autosave"), &pairs(&all))
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(response.text().await.unwrap(), "conflict 4");
}

async fn live_page_changes_only_when_the_update_is_published(app: TestApp) {
    let editor = app.account("Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let id = create(&desk, "Pakistan beat West Indies").await;
    let response = desk
        .post(
            &format!("/admin/articles/{id}/publish"),
            &[("revision", &base(&desk, id).await)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let slug = app.store.article_by_id(id).await.unwrap().unwrap().slug;
    let (status, page) = app.page(&format!("/{slug}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(texts(&page, "h1"), ["Pakistan beat West Indies"]);
    assert_eq!(
        texts(&page, ".attribution"),
        ["Via APP with additional inputs from GVS"]
    );
    let (_, home) = app.page("/").await;
    assert!(texts(&home, "a").contains(&"Pakistan beat West Indies".to_owned()));

    let revision = base(&desk, id).await;
    let response = save(
        &desk,
        id,
        &revision,
        &[("headline", "Pakistan crush West Indies")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.page(&format!("/{slug}")).await;
    assert_eq!(
        texts(&page, "h1"),
        ["Pakistan beat West Indies"],
        "the live version is kept"
    );
    let (_, editor_page) = desk.page(&format!("/admin/articles/{id}")).await;
    assert!(texts(&editor_page, ".notice.warn")[0].contains("changes readers do not see"));
    let response = desk
        .post(
            &format!("/admin/articles/{id}/publish"),
            &[("revision", &base(&desk, id).await)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.page(&format!("/{slug}")).await;
    assert_eq!(texts(&page, "h1"), ["Pakistan crush West Indies"]);
}

async fn unpublished_article_answers_410_gone(app: TestApp) {
    let editor = app.account("Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let id = create(&desk, "Story to withdraw").await;
    desk.post(
        &format!("/admin/articles/{id}/publish"),
        &[("revision", &base(&desk, id).await)],
    )
    .await;
    let slug = app.store.article_by_id(id).await.unwrap().unwrap().slug;
    assert_eq!(app.get(&format!("/{slug}")).await.status(), StatusCode::OK);
    let response = desk
        .post(&format!("/admin/articles/{id}/unpublish"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, page) = app.page(&format!("/{slug}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(texts(&page, "h1"), ["This article has been withdrawn"]);
    let (_, home) = app.page("/").await;
    assert!(!texts(&home, "a").contains(&"Story to withdraw".to_owned()));
    // Unpublishing again is refused and changes nothing.
    let response = desk
        .post(&format!("/admin/articles/{id}/unpublish"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(status_of(&app, id).await, ArticleStatus::Unpublished);
}

async fn scheduled_article_is_published_by_the_server_at_its_time(app: TestApp) {
    // The reference day is 2024-04-16 10:00 in Karachi (05:00 UTC).
    let editor = app.account("Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let id = create(&desk, "Embargoed budget speech").await;
    for (at, want) in [
        ("2024-04-16T09:00", "must be in the future"),
        ("next tuesday", "is not a date and time"),
    ] {
        let response = desk
            .post(&format!("/admin/articles/{id}/schedule"), &[("at", at)])
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{at}");
        assert!(texts(&html(response).await, "[role=alert]")[0].contains(want));
        assert_eq!(status_of(&app, id).await, ArticleStatus::Draft);
    }
    let response = desk
        .post(
            &format!("/admin/articles/{id}/schedule"),
            &[
                ("at", "2024-04-16T18:00"),
                ("revision", &base(&desk, id).await),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let wf = app.store.workflow(id).await.unwrap().unwrap();
    assert_eq!(wf.status, ArticleStatus::Scheduled);
    assert_eq!(
        wf.scheduled_at.unwrap().to_rfc3339(),
        "2024-04-16T13:00:00+00:00"
    );
    let (_, page) = desk.page(&format!("/admin/articles/{id}")).await;
    let embargo = texts(&page, ".embargo")[0].clone();
    assert!(
        embargo.contains("Embargoed until") && embargo.contains("6:00"),
        "{embargo}"
    );
    assert!(embargo.contains("Asia/Karachi"), "{embargo}");
    let slug = app.store.article_by_id(id).await.unwrap().unwrap().slug;

    // Not yet due: nothing happens.
    app.clock.set(app.clock_now() + Duration::hours(7));
    assert!(
        newsroom::publish_due(app.store.as_ref(), app.clock_now())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.get(&format!("/{slug}")).await.status(),
        StatusCode::NOT_FOUND
    );
    // Hours after the time (the server was down): the first run publishes it, at its time.
    app.clock.set(app.clock_now() + Duration::hours(5));
    let published = newsroom::publish_due(app.store.as_ref(), app.clock_now())
        .await
        .unwrap();
    assert_eq!(published, [id]);
    assert_eq!(app.get(&format!("/{slug}")).await.status(), StatusCode::OK);
    let article = app.store.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(
        article.published_at.unwrap().to_rfc3339(),
        "2024-04-16T13:00:00+00:00"
    );
    assert!(
        newsroom::publish_due(app.store.as_ref(), app.clock_now())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn correction_appears_on_the_public_article_and_moves_updated_at(app: TestApp) {
    let editor = app.account("Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let id = create(&desk, "SBP holds interest rate").await;
    desk.post(
        &format!("/admin/articles/{id}/publish"),
        &[("revision", &base(&desk, id).await)],
    )
    .await;
    let before = app.store.article_by_id(id).await.unwrap().unwrap();
    let response = desk
        .post(
            &format!("/admin/articles/{id}/correct"),
            &[("kind", "correction"), ("note", " ")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(app.store.corrections(id).await.unwrap().is_empty());
    app.clock.set(app.clock_now() + Duration::days(1));
    let desk = app.sign_in(&editor).await;
    let response = desk
        .post(
            &format!("/admin/articles/{id}/correct"),
            &[
                ("kind", "correction"),
                (
                    "note",
                    "An earlier version gave the rate as 21%. It is 22%.",
                ),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.page(&format!("/{}", before.slug)).await;
    assert_eq!(
        texts(&page, ".correction"),
        [
            "Correction, Wednesday, April 17, 2024: An earlier version gave the rate as 21%. It is 22%."
        ]
    );
    let after = app.store.article_by_id(id).await.unwrap().unwrap();
    assert!(after.updated_at > before.updated_at);
    assert!(
        !texts(&page, ".updated").is_empty(),
        "the page says it was updated"
    );
    // Search engines hear of it too: a `correction` entry in the NewsArticle JSON-LD.
    let ld = scraper::Selector::parse("script[type='application/ld+json']").unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&page.select(&ld).next().unwrap().text().collect::<String>()).unwrap();
    assert_eq!(json["@type"], "NewsArticle");
    assert_eq!(json["correction"][0]["@type"], "CorrectionComment");
    assert_eq!(
        json["correction"][0]["text"],
        "An earlier version gave the rate as 21%. It is 22%."
    );
    assert_eq!(
        json["correction"][0]["datePublished"],
        "2024-04-17T10:00:00+05:00"
    );
}

async fn audit_log_records_who_did_what_and_only_editors_read_it(app: TestApp) {
    let editor = app.account("Editor", Role::Editor).await;
    let writer = app.account("Sana Jamal", Role::Contributor).await;
    let sana = app.sign_in(&writer).await;
    let eddie = app.sign_in(&editor).await;
    let id = create(&sana, "Cabinet approves budget").await;
    sana.post(&format!("/admin/articles/{id}/submit"), &[])
        .await;
    eddie
        .post(
            &format!("/admin/articles/{id}/publish"),
            &[("revision", &base(&eddie, id).await)],
        )
        .await;
    let (status, page) = eddie.page("/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    let who = texts(&page, "tbody td:nth-child(2)");
    let did = texts(&page, "tbody td:nth-child(3)");
    let what = texts(&page, "tbody td:nth-child(4)");
    assert_eq!(&who[..3], ["Editor", "Sana Jamal", "Sana Jamal"]);
    assert_eq!(&did[..3], ["published", "submitted", "created"]);
    assert!(
        what[..3].iter().all(|w| w == "Cabinet approves budget"),
        "{what:?}"
    );
    assert_eq!(
        sana.get("/admin/audit").await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn article_list_filters_and_paginates_newest_first(app: TestApp) {
    let editor = app.account("Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    for i in 0..27 {
        app.clock.set(app.clock_now() + Duration::minutes(1));
        create(&desk, &format!("Desk story {i:02}")).await;
    }
    let (_, page) = desk.page("/admin?q=desk+story").await;
    let rows = texts(&page, "td.headline-cell a");
    assert_eq!(rows.len(), 25);
    assert_eq!(rows[0], "Desk story 26", "newest first");
    assert_eq!(
        texts(&page, ".count"),
        ["27 articles, newest change first."]
    );
    let older = attrs(&page, ".pager a[rel=next]", "href").remove(0);
    let (_, page) = desk.page(&older).await;
    assert_eq!(
        texts(&page, "td.headline-cell a"),
        ["Desk story 01", "Desk story 00"]
    );
    let (_, page) = desk.page("/admin?status=published&q=desk").await;
    assert!(texts(&page, "td.headline-cell a").is_empty());
    let (_, page) = desk.page("/admin?status=published&section=pakistan").await;
    assert!(
        !texts(&page, "td.headline-cell a").is_empty(),
        "the demo's Pakistan stories"
    );
    assert!(texts(&page, "td .status").iter().all(|s| s == "Published"));
    let (_, page) = desk.page("/admin?author=sana-jamal&q=story+26").await;
    assert_eq!(texts(&page, "td.headline-cell a"), ["Desk story 26"]);
}

async fn read_more_picker_finds_articles_by_headline(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Contributor).await;
    let desk = app.sign_in(&writer).await;
    let (status, page) = desk.page("/admin/read-more?q=PUTIN").await;
    assert_eq!(status, StatusCode::OK);
    let found = attrs(&page, "li[data-id]", "data-headline");
    assert!(
        found.contains(&"Imran Khan extends invitation to Putin, discuss ties on call".to_owned()),
        "{found:?}"
    );
    let id = attrs(&page, "li[data-id]", "data-id").remove(0);
    assert_eq!(
        texts(&page, "li[data-id] code")[0],
        format!("::: read-more {id}")
    );
    // The block, pasted into a body, becomes a link on the public page.
    let editor = app.account("Editor", Role::Editor).await;
    let eddie = app.sign_in(&editor).await;
    let mut f = fields("Analysis of the call");
    f[2].1 = format!("Opening.\n\n::: read-more {id}\n\nClosing.\n");
    let response = eddie.post("/admin/articles", &pairs(&f)).await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let new_id = location
        .trim_start_matches("/admin/articles/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    eddie
        .post(
            &format!("/admin/articles/{new_id}/publish"),
            &[(
                "revision",
                &base(&eddie, ArticleId(new_id.parse().unwrap())).await,
            )],
        )
        .await;
    let (_, page) = app.page("/analysis-of-the-call").await;
    assert_eq!(
        texts(&page, ".read-more"),
        ["Read More: Imran Khan extends invitation to Putin, discuss ties on call"]
    );
    let (_, page) = desk.page("/admin/read-more?q=100%25").await;
    assert!(
        attrs(&page, "li[data-id]", "data-id").is_empty(),
        "wildcards are literal"
    );
}

async fn preview_is_rendered_like_the_public_page_and_stores_nothing(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Contributor).await;
    let desk = app.sign_in(&writer).await;
    let before = app.store.count_articles().await.unwrap();
    let sections = app.store.sections().await.unwrap().len();
    let mut f = fields("A preview only");
    f[3].1 = "Brand New Desk".to_owned();
    f[2].1 = "Some *emphasis*.\n\n::: read-more /imran-khan-extends-invitation-to-putin-discuss-ties-on-call\n".to_owned();
    let response = desk.post("/admin/preview", &pairs(&f)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(texts(&page, "article.story h1"), ["A preview only"]);
    assert_eq!(texts(&page, ".story-body em"), ["emphasis"]);
    assert_eq!(texts(&page, ".read-more").len(), 1);
    assert_eq!(app.store.count_articles().await.unwrap(), before);
    assert_eq!(
        app.store.sections().await.unwrap().len(),
        sections,
        "no section was created"
    );
    f[2].1 = "<script>alert(1)</script>\n".to_owned();
    let response = desk.post("/admin/preview", &pairs(&f)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

async fn each_role_may_act_on_articles_only_as_the_matrix_says(app: TestApp) {
    let owner = app.account("Owner Editor", Role::Editor).await;
    let owner_desk = app.sign_in(&owner).await;
    let theirs = create(&owner_desk, "Someone else's story").await;
    owner_desk
        .post(
            &format!("/admin/articles/{theirs}/publish"),
            &[("revision", &base(&owner_desk, theirs).await)],
        )
        .await;
    let theirs_base = base(&owner_desk, theirs).await;
    for role in Role::ALL {
        let user = app.account(&format!("The {role}"), role).await;
        let desk = app.sign_in(&user).await;
        let may_edit_any = role >= Role::Editor;
        let before = app.store.workflow(theirs).await.unwrap().unwrap();
        let get_status = desk
            .get(&format!("/admin/articles/{theirs}"))
            .await
            .status();
        let history_status = desk
            .get(&format!("/admin/articles/{theirs}/history"))
            .await
            .status();
        if may_edit_any {
            assert_eq!(get_status, StatusCode::OK, "{role}");
            assert_eq!(history_status, StatusCode::OK, "{role}");
            // Saves, notes and take-downs by editors have tests of their own.
            continue;
        }
        let save_status = save(&desk, theirs, &theirs_base, &[("headline", "Hijacked")])
            .await
            .status();
        let correct_status = desk
            .post(
                &format!("/admin/articles/{theirs}/correct"),
                &[("kind", "update"), ("note", "x")],
            )
            .await
            .status();
        let unpublish_status = desk
            .post(&format!("/admin/articles/{theirs}/unpublish"), &[])
            .await
            .status();
        // An article they may not open answers as a missing one would (404), so the answer
        // does not tell which ids exist; corrections are refused by role before anything else.
        for (what, status, expected) in [
            ("open", get_status, StatusCode::NOT_FOUND),
            ("history", history_status, StatusCode::NOT_FOUND),
            ("save", save_status, StatusCode::NOT_FOUND),
            ("correct", correct_status, StatusCode::FORBIDDEN),
            ("unpublish", unpublish_status, StatusCode::NOT_FOUND),
        ] {
            assert_eq!(status, expected, "{role} may not {what} another's article");
        }
        assert_eq!(
            app.store.workflow(theirs).await.unwrap().unwrap(),
            before,
            "{role}: nothing changed"
        );
        assert!(app.store.corrections(theirs).await.unwrap().is_empty());
        // Their own article: an author may publish it, a contributor may not.
        let own = create(&desk, &format!("Own story of the {role}")).await;
        let status = desk
            .post(
                &format!("/admin/articles/{own}/publish"),
                &[("revision", &base(&desk, own).await)],
            )
            .await
            .status();
        if role == Role::Author {
            assert_eq!(status, StatusCode::SEE_OTHER);
            assert_eq!(status_of(&app, own).await, ArticleStatus::Published);
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN);
            assert_eq!(status_of(&app, own).await, ArticleStatus::Draft);
        }
    }
    // Anonymous: every article route sends to the sign-in page.
    for path in [
        format!("/admin/articles/{theirs}"),
        format!("/admin/articles/{theirs}/history"),
        "/admin/articles/new".to_owned(),
        "/admin/audit".to_owned(),
        "/admin/read-more?q=a".to_owned(),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
    }
    for path in [
        "publish",
        "unpublish",
        "submit",
        "schedule",
        "correct",
        "restore",
        "autosave",
    ] {
        let response = app
            .client
            .post(app.url(&format!("/admin/articles/{theirs}/{path}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
    }
    assert_eq!(status_of(&app, theirs).await, ArticleStatus::Published);
}

async fn forged_csrf_or_expired_session_cannot_save_or_publish(app: TestApp) {
    let editor = app.account("Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let id = create(&desk, "Guarded story").await;
    let before = app.store.workflow(id).await.unwrap().unwrap();
    let mut all = fields("Forged headline");
    all.push(("base", "1".to_owned()));
    all.push(("csrf", "forged".to_owned()));
    let response = desk
        .post_raw(&format!("/admin/articles/{id}"), &pairs(&all))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = desk
        .post_raw(
            &format!("/admin/articles/{id}/publish"),
            &[("csrf", "forged")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.workflow(id).await.unwrap().unwrap(), before);
    // Thirteen hours later the session has expired: to the sign-in page, nothing saved.
    app.clock.set(app.clock_now() + Duration::hours(13));
    let response = save(&desk, id, "1", &[("headline", "Late headline")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/admin/login")
    );
    let response = desk
        .post(&format!("/admin/articles/{id}/publish"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.store.workflow(id).await.unwrap().unwrap(), before);
    let article = app.store.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(article.headline, "Guarded story");
    assert_eq!(article.status, ArticleStatus::Draft);
}

async fn editors_rename_sections_and_tags_and_urls_stay(app: TestApp) {
    let editor = app.account("Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let world = app
        .store
        .section_by_slug(&dateline_domain::Slug::parse("world").unwrap())
        .await
        .unwrap()
        .unwrap();
    let response = desk
        .post(&format!("/admin/sections/{}", world.id), &[("name", "  ")])
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(texts(&html(response).await, "[role=alert]")[0].contains("1 to 100 characters"));
    let response = desk
        .post(
            &format!("/admin/sections/{}", world.id),
            &[("name", "International")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, page) = app.page("/section/world").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(texts(&page, ".front-heading"), ["International"]);
    assert!(texts(&page, "nav.sections a").contains(&"International".to_owned()));
    let response = desk.post("/admin/sections", &[("name", "Climate")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = desk.post("/admin/sections", &[("name", "climate")]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.store
            .sections()
            .await
            .unwrap()
            .iter()
            .filter(|s| s.slug.as_str() == "climate")
            .count(),
        1
    );
    let tag = app.store.tags().await.unwrap().remove(0);
    let response = desk
        .post(
            &format!("/admin/tags/{}", tag.id),
            &[("name", "Renamed tag")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.page(&format!("/tag/{}", tag.slug)).await;
    assert_eq!(texts(&page, ".front-heading"), ["Renamed tag"]);
    let response = desk.post("/admin/tags/99999", &[("name", "Nothing")]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (_, audit) = desk.page("/admin/audit").await;
    assert!(texts(&audit, "tbody td:nth-child(3)").contains(&"renamed section".to_owned()));
}
