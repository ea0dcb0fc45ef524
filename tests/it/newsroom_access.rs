//! What newsroom accounts may bring into being and see, on both backends: sections, tags and
//! bylines are created only by the write that stores an article (and audited), a section only by
//! those who manage sections; editors merge and delete sections and tags; contributors see, pick
//! and preview only what they may open, and the newsroom answers alike whether an article they
//! may not open exists or not.

use chrono::Duration;
use dateline_domain::{
    ArticleId, ArticleStore, Draft, LabelStore, Role, Slug, User, WorkflowStore,
};
use dateline_services::newsroom;
use reqwest::StatusCode;
use scraper::Html;

use crate::harness::{Desk, TestApp, attrs, form_body, on_both_backends, pairs, texts};

on_both_backends!(
    contributor_naming_a_new_section_is_refused_with_the_form_kept_and_nothing_created,
    save_refused_as_a_conflict_creates_no_tag,
    editors_new_section_tag_and_byline_are_created_with_the_save_and_audited,
    hundred_parallel_contributor_saves_with_new_section_names_add_no_section,
    editors_merge_sections_and_the_old_front_redirects,
    editors_delete_empty_sections_and_merge_and_delete_tags,
    forged_csrf_or_a_junior_role_cannot_merge_or_delete_labels,
    contributors_list_and_picker_never_show_others_drafts_or_embargoed_headlines,
    preview_of_read_more_to_an_embargoed_article_reads_like_one_to_no_article,
    another_writers_article_answers_like_a_missing_one,
);

/// The editor's fields for a story in `section` with `tags`.
fn fields(headline: &str, section: &str, tags: &str) -> Vec<(&'static str, String)> {
    vec![
        ("headline", headline.to_owned()),
        ("standfirst", format!("Standfirst of {headline}.")),
        ("body", format!("First paragraph of {headline}.\n")),
        ("section", section.to_owned()),
        ("tags", tags.to_owned()),
        ("authors", "Sana Jamal".to_owned()),
        ("language", "en".to_owned()),
    ]
}

async fn html(response: reqwest::Response) -> Html {
    Html::parse_document(&response.text().await.unwrap())
}

/// Creates a story through the editor form; its id.
async fn create(desk: &Desk<'_>, headline: &str, section: &str, tags: &str) -> ArticleId {
    desk.create_article(&fields(headline, section, tags)).await
}

async fn section_names(app: &TestApp) -> Vec<String> {
    app.store
        .sections()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect()
}

/// The names in the public navigation.
async fn navigation(app: &TestApp) -> Vec<String> {
    let (status, page) = app.page("/").await;
    assert_eq!(status, StatusCode::OK);
    texts(&page, "nav a[href^='/section/']")
}

fn draft(headline: &str) -> Draft {
    Draft {
        headline: headline.to_owned(),
        standfirst: String::new(),
        body: format!("Body of {headline}.\n"),
        section: "Pakistan".to_owned(),
        tags: vec![],
        authors: vec!["Sana Jamal".to_owned()],
        source: None,
        language: "en".to_owned(),
    }
}

/// A draft by `writer`, written through the service.
async fn drafted(app: &TestApp, writer: &User, headline: &str) -> ArticleId {
    newsroom::create_draft(
        app.store.as_ref(),
        writer,
        &draft(headline),
        app.clock_now(),
    )
    .await
    .unwrap()
}

/// An article scheduled by `editor` for tomorrow: under embargo.
async fn embargoed(app: &TestApp, editor: &User, headline: &str) -> ArticleId {
    let id = drafted(app, editor, headline).await;
    let now = app.clock_now();
    let seen = app.store.workflow(id).await.unwrap().unwrap().revision;
    newsroom::schedule(
        app.store.as_ref(),
        editor,
        id,
        Some(seen),
        now + Duration::days(1),
        now,
    )
    .await
    .unwrap();
    id
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String)> {
    app.store
        .audit_log(None, 0, 200)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.action.to_string(), r.detail))
        .collect()
}

async fn contributor_naming_a_new_section_is_refused_with_the_form_kept_and_nothing_created(
    app: TestApp,
) {
    let writer = app.account("Sana Jamal", Role::Contributor).await;
    let desk = app.sign_in(&writer).await;
    let sections = section_names(&app).await;
    let nav = navigation(&app).await;
    let tags = app.store.tags().await.unwrap().len();
    let f = fields("Stars align for the budget", "Astrology", "Horoscopes");
    let response = desk.post("/admin/articles", &pairs(&f)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(response).await;
    let errors = texts(&page, "[role=alert], .errors li").join(" ");
    assert!(
        errors.contains("no section named 'Astrology'") && errors.contains("an editor can add it"),
        "{errors}"
    );
    assert_eq!(
        attrs(&page, "input[name=section]", "value"),
        ["Astrology"],
        "what was typed is kept"
    );
    assert_eq!(
        attrs(&page, "input[name=headline]", "value"),
        ["Stars align for the budget"]
    );
    // The same on a save of an existing draft.
    let id = create(&desk, "A plain draft", "Pakistan", "").await;
    let mut f = fields("A plain draft", "Astrology", "Horoscopes");
    f.push(("base", "1".to_owned()));
    let response = desk
        .post(&format!("/admin/articles/{id}"), &pairs(&f))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(section_names(&app).await, sections, "no section was added");
    assert_eq!(navigation(&app).await, nav, "the navigation is unchanged");
    assert_eq!(
        app.store.tags().await.unwrap().len(),
        tags,
        "a refused save creates no tag"
    );
    let article = app.store.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(article.section.name, "Pakistan");
}

async fn save_refused_as_a_conflict_creates_no_tag(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Contributor).await;
    let desk = app.sign_in(&writer).await;
    let id = create(&desk, "Two tabs open", "Pakistan", "Economy").await;
    let mut first = fields("Two tabs open", "Pakistan", "Economy");
    first.push(("base", "1".to_owned()));
    let response = desk
        .post(&format!("/admin/articles/{id}"), &pairs(&first))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // The second tab still shows revision 1.
    let mut stale = fields("Two tabs open", "Pakistan", "Economy, Stale Tab Tag");
    stale.push(("base", "1".to_owned()));
    let response = desk
        .post(&format!("/admin/articles/{id}"), &pairs(&stale))
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let slug = Slug::parse("stale-tab-tag").unwrap();
    assert!(
        app.store.tag_by_slug(&slug).await.unwrap().is_none(),
        "the conflicting save created its tag"
    );
    assert!(
        !audit_actions(&app)
            .await
            .iter()
            .any(|(_, detail)| detail.contains("Stale Tab Tag"))
    );
}

async fn editors_new_section_tag_and_byline_are_created_with_the_save_and_audited(app: TestApp) {
    let editor = app.account("Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let mut f = fields("Glaciers retreat faster", "Climate", "Glaciers");
    f.retain(|(k, _)| *k != "authors");
    f.push(("authors", "Ayesha Newname".to_owned()));
    let response = desk.post("/admin/articles", &pairs(&f)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(section_names(&app).await.contains(&"Climate".to_owned()));
    assert!(
        navigation(&app).await.contains(&"Climate".to_owned()),
        "the navigation shows the new section"
    );
    let log = audit_actions(&app).await;
    for (action, detail) in [
        ("added section", "Climate at /section/climate"),
        ("added tag", "Glaciers at /tag/glaciers"),
        (
            "added byline name",
            "Ayesha Newname at /author/ayesha-newname",
        ),
    ] {
        assert!(
            log.iter().any(|(a, d)| a == action && d == detail),
            "{action}: {log:?}"
        );
    }
    // An author may name a new tag and a new byline, but not a new section.
    let author = app.account("Author", Role::Author).await;
    let desk = app.sign_in(&author).await;
    let mut f = fields("Rivers rise", "Rivers", "Monsoon Watch");
    f.retain(|(k, _)| *k != "authors");
    f.push(("authors", "Guest Writer".to_owned()));
    let response = desk.post("/admin/articles", &pairs(&f)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    f.retain(|(k, _)| *k != "section");
    f.push(("section", "Climate".to_owned()));
    let response = desk.post("/admin/articles", &pairs(&f)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let slug = Slug::parse("monsoon-watch").unwrap();
    assert!(app.store.tag_by_slug(&slug).await.unwrap().is_some());
    // A contributor may add tags and their own byline, but not name someone new.
    let writer = app.account("Nadia Writer", Role::Contributor).await;
    let desk = app.sign_in(&writer).await;
    let mut f = fields("Heat wave", "Climate", "Heat");
    f.retain(|(k, _)| *k != "authors");
    f.push(("authors", "Nadia Writer, Someone Invented".to_owned()));
    let response = desk.post("/admin/articles", &pairs(&f)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(response).await;
    let errors = texts(&page, "[role=alert], .errors li").join(" ");
    assert!(errors.contains("Someone Invented"), "{errors}");
    f.retain(|(k, _)| *k != "authors");
    f.push(("authors", "Nadia Writer".to_owned()));
    let response = desk.post("/admin/articles", &pairs(&f)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

async fn hundred_parallel_contributor_saves_with_new_section_names_add_no_section(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Contributor).await;
    let desk = app.sign_in(&writer).await;
    let id = create(&desk, "Scanned draft", "Pakistan", "").await;
    let sections = section_names(&app).await;
    let client = reqwest::Client::new();
    let mut saves = tokio::task::JoinSet::new();
    for n in 0..100u32 {
        let client = client.clone();
        let cookie = format!("dateline_session={}", desk.session);
        let section = format!("Scanner desk {n} {}", n.wrapping_mul(2_654_435_761));
        let mut f = fields("Scanned draft", &section, &format!("Scan tag {n}"));
        f.push(("base", "1".to_owned()));
        f.push(("csrf", desk.csrf.clone()));
        let (path, new) = if n % 2 == 0 {
            (app.url(&format!("/admin/articles/{id}")), false)
        } else {
            (app.url("/admin/articles"), true)
        };
        saves.spawn(async move {
            let body = form_body(&pairs(&f));
            let response = client
                .post(path)
                .header("cookie", cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            (new, response.status())
        });
    }
    let mut answered = 0;
    while let Some(done) = saves.join_next().await {
        let (_, status) = done.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        answered += 1;
    }
    assert_eq!(answered, 100);
    assert_eq!(section_names(&app).await, sections);
    assert!(
        !app.store
            .tags()
            .await
            .unwrap()
            .iter()
            .any(|t| t.name.starts_with("Scan tag")),
        "refused saves create no tags"
    );
}

async fn editors_merge_sections_and_the_old_front_redirects(app: TestApp) {
    let editor = app.account("Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let response = desk.post("/admin/sections", &[("name", "Regional")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let regional = app.section("regional").await;
    let id = create(&desk, "Regional story moves", "Regional", "").await;
    desk.post(&format!("/admin/articles/{id}/publish"), &[])
        .await;
    assert_eq!(app.get("/section/regional").await.status(), StatusCode::OK);
    assert!(navigation(&app).await.contains(&"Regional".to_owned()));
    let response = desk
        .post(
            &format!("/admin/sections/{}/merge", regional.id),
            &[("into", "Pakistan")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let article = app.store.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(article.section.name, "Pakistan", "its articles moved");
    let response = app.get("/section/regional").await;
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(response.headers()["location"], "/section/pakistan");
    assert!(
        !navigation(&app).await.contains(&"Regional".to_owned()),
        "the navigation follows"
    );
    let log = audit_actions(&app).await;
    assert!(
        log.iter()
            .any(|(a, d)| a == "merged section" && d == "Regional merged into Pakistan"),
        "{log:?}"
    );
    assert!(log.iter().any(|(a, _)| a == "added section"));
    // A draft still naming the old section saves into the one it was merged into.
    let mut f = fields("Regional story moves", "Regional", "");
    let base = app.store.workflow(id).await.unwrap().unwrap().revision;
    f.push(("base", base.to_string()));
    let response = desk
        .post(&format!("/admin/articles/{id}"), &pairs(&f))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // Merging into a section that does not exist, or into itself, is refused clearly.
    let pakistan = article.section.id;
    let response = desk
        .post(
            &format!("/admin/sections/{pakistan}/merge"),
            &[("into", "Nowhere")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = desk
        .post(
            &format!("/admin/sections/{pakistan}/merge"),
            &[("into", "Pakistan")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

async fn editors_delete_empty_sections_and_merge_and_delete_tags(app: TestApp) {
    let editor = app.account("Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    desk.post("/admin/sections", &[("name", "Empty Desk")])
        .await;
    let empty = app.section("empty-desk").await;
    let response = desk
        .post(&format!("/admin/sections/{}/delete", empty.id), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!section_names(&app).await.contains(&"Empty Desk".to_owned()));
    // A section with articles is not deleted.
    let pakistan = app.section("pakistan").await;
    let response = desk
        .post(&format!("/admin/sections/{}/delete", pakistan.id), &[])
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let page = html(response).await;
    assert!(texts(&page, "main").join(" ").contains("merge it"));
    assert!(section_names(&app).await.contains(&"Pakistan".to_owned()));

    let id = create(&desk, "Flood waters recede", "Pakistan", "Floods, Flooding").await;
    desk.post(&format!("/admin/articles/{id}/publish"), &[])
        .await;
    let tag = |slug: &'static str| {
        let store = app.store.clone();
        async move {
            store
                .tag_by_slug(&Slug::parse(slug).unwrap())
                .await
                .unwrap()
        }
    };
    let flooding = tag("flooding").await.unwrap();
    let response = desk
        .post(
            &format!("/admin/tags/{}/merge", flooding.id),
            &[("into", "Floods")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(tag("flooding").await.is_none());
    let article = app.store.article_by_id(id).await.unwrap().unwrap();
    let names: Vec<_> = article.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Floods"]);
    let response = app.get("/tag/flooding").await;
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(response.headers()["location"], "/tag/floods");
    let (_, page) = app.page(&format!("/{}", article.slug)).await;
    assert!(!texts(&page, "a[href='/tag/flooding']").iter().any(|_| true));

    let floods = tag("floods").await.unwrap();
    let response = desk
        .post(&format!("/admin/tags/{}/delete", floods.id), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(tag("floods").await.is_none());
    let article = app.store.article_by_id(id).await.unwrap().unwrap();
    assert!(article.tags.is_empty(), "taken off its articles");
    assert_eq!(app.get("/tag/floods").await.status(), StatusCode::NOT_FOUND);
    let (_, page) = app.page(&format!("/{}", article.slug)).await;
    assert!(
        attrs(&page, "a[href='/tag/floods']", "href").is_empty(),
        "the cached article page follows"
    );
    let log = audit_actions(&app).await;
    for (action, detail) in [
        ("deleted section", "Empty Desk"),
        ("merged tag", "Flooding merged into Floods"),
        ("deleted tag", "Floods"),
    ] {
        assert!(
            log.iter().any(|(a, d)| a == action && d == detail),
            "{action}: {log:?}"
        );
    }
}

async fn forged_csrf_or_a_junior_role_cannot_merge_or_delete_labels(app: TestApp) {
    let editor = app.account("Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    create(&desk, "Tagged story", "Pakistan", "Economy, Budget").await;
    let world = app.section("world").await;
    let budget = app
        .store
        .tag_by_slug(&Slug::parse("budget").unwrap())
        .await
        .unwrap()
        .unwrap();
    let sections = section_names(&app).await;
    let tags = app.store.tags().await.unwrap();
    let attempts = [
        (format!("/admin/sections/{}/merge", world.id), "Pakistan"),
        (format!("/admin/sections/{}/delete", world.id), ""),
        (format!("/admin/tags/{}/merge", budget.id), "Economy"),
        (format!("/admin/tags/{}/delete", budget.id), ""),
    ];
    for (path, into) in &attempts {
        let response = desk
            .post_raw(path, &[("csrf", "forged"), ("into", into)])
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    for role in [Role::Contributor, Role::Author] {
        let user = app.account(&format!("The {role}"), role).await;
        let junior = app.sign_in(&user).await;
        for (path, into) in &attempts {
            let response = junior.post(path, &[("into", into)]).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role} {path}");
        }
    }
    assert_eq!(section_names(&app).await, sections);
    assert_eq!(app.store.tags().await.unwrap(), tags);
}

async fn contributors_list_and_picker_never_show_others_drafts_or_embargoed_headlines(
    app: TestApp,
) {
    let editor = app.account("Editor", Role::Editor).await;
    let other = app.account("Other Author", Role::Author).await;
    let writer = app.account("Sana Jamal", Role::Contributor).await;
    embargoed(&app, &editor, "Putin embargoed visit details").await;
    drafted(&app, &other, "Putin secret draft of another writer").await;
    drafted(&app, &writer, "Putin notes of my own").await;
    let desk = app.sign_in(&writer).await;
    let (status, page) = desk.page("/admin").await;
    assert_eq!(status, StatusCode::OK);
    let listed = texts(&page, "td.headline-cell a");
    assert_eq!(listed, ["Putin notes of my own"], "only what they may open");
    let text = texts(&page, "main").join(" ");
    assert!(!text.contains("embargoed"), "{text}");
    let (_, page) = desk.page("/admin?q=putin&status=scheduled").await;
    assert!(texts(&page, "td.headline-cell a").is_empty());
    let (status, page) = desk.page("/admin/read-more?q=putin").await;
    assert_eq!(status, StatusCode::OK);
    let found = attrs(&page, "li[data-id]", "data-headline");
    assert!(
        found.contains(&"Imran Khan extends invitation to Putin, discuss ties on call".to_owned()),
        "published articles are offered: {found:?}"
    );
    assert!(found.contains(&"Putin notes of my own".to_owned()));
    assert!(
        !found
            .iter()
            .any(|h| h.contains("embargoed") || h.contains("secret")),
        "{found:?}"
    );
    // Editors still see everything.
    let eddie = app.sign_in(&editor).await;
    let (_, page) = eddie.page("/admin/read-more?q=putin").await;
    let found = attrs(&page, "li[data-id]", "data-headline");
    assert!(found.contains(&"Putin embargoed visit details".to_owned()));
    let (_, page) = eddie.page("/admin?q=putin").await;
    let listed = texts(&page, "td.headline-cell a");
    for headline in [
        "Putin embargoed visit details",
        "Putin secret draft of another writer",
        "Putin notes of my own",
    ] {
        assert!(listed.contains(&headline.to_owned()), "{listed:?}");
    }
}

async fn preview_of_read_more_to_an_embargoed_article_reads_like_one_to_no_article(app: TestApp) {
    let editor = app.account("Editor", Role::Editor).await;
    let writer = app.account("Sana Jamal", Role::Contributor).await;
    let hidden = embargoed(&app, &editor, "Embargoed results").await;
    let absent = ArticleId(hidden.0 + 10_000);
    let desk = app.sign_in(&writer).await;
    let preview = |id: ArticleId| {
        let mut f = fields("Preview", "Pakistan", "");
        f[2].1 = format!("Opening.\n\n::: read-more {id}\n");
        let desk = &desk;
        async move {
            let response = desk.post("/admin/preview", &pairs(&f)).await;
            let status = response.status();
            let text = texts(&html(response).await, "main").join(" ");
            (status, text.replace(&id.to_string(), "N"))
        }
    };
    let of_hidden = preview(hidden).await;
    let of_absent = preview(absent).await;
    assert_eq!(of_hidden.0, StatusCode::BAD_REQUEST);
    assert_eq!(of_hidden, of_absent);
    assert!(!of_hidden.1.contains("Embargoed results"));
    // Saving is refused the same way, and the editor may still point at it.
    let mut f = fields("Linking draft", "Pakistan", "");
    f[2].1 = format!("Opening.\n\n::: read-more {hidden}\n");
    let response = desk.post("/admin/articles", &pairs(&f)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = texts(&html(response).await, "[role=alert], .errors li").join(" ");
    assert!(text.contains("refers to no article"), "{text}");
    let eddie = app.sign_in(&editor).await;
    let response = eddie.post("/admin/preview", &pairs(&f)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn another_writers_article_answers_like_a_missing_one(app: TestApp) {
    let other = app.account("Other Author", Role::Author).await;
    let writer = app.account("Sana Jamal", Role::Contributor).await;
    let theirs = drafted(&app, &other, "Someone else's draft").await;
    let absent = ArticleId(theirs.0 + 10_000);
    let desk = app.sign_in(&writer).await;
    let answer = |id: ArticleId, path: &'static str| {
        let desk = &desk;
        async move {
            let response = if path == "restore" {
                desk.post(
                    &format!("/admin/articles/{id}/restore"),
                    &[("number", "1"), ("base", "1")],
                )
                .await
            } else if path.is_empty() {
                desk.get(&format!("/admin/articles/{id}")).await
            } else if path == "history" {
                desk.get(&format!("/admin/articles/{id}/history")).await
            } else {
                desk.post(&format!("/admin/articles/{id}/{path}"), &[])
                    .await
            };
            let status = response.status();
            (status, texts(&html(response).await, "main").join(" "))
        }
    };
    for path in ["restore", "", "history", "publish", "submit"] {
        let of_theirs = answer(theirs, path).await;
        let of_absent = answer(absent, path).await;
        assert_eq!(of_theirs.0, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(of_theirs, of_absent, "{path}");
    }
    let revisions = app.store.revision_list(theirs).await.unwrap();
    assert_eq!(revisions.len(), 1, "nothing was restored");
}
