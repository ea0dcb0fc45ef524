//! Every form a signed-in account sends is read by one extractor that checks the session's CSRF
//! token, and every article, section and tag id in a newsroom address is parsed as its type.
//! These tests walk all of those routes on both backends, so a route that skips either shows
//! here: a forged or missing token is the "Form expired" page and changes nothing; an id that is
//! not a number is the site's 404 page.

use dateline_domain::{
    AccountStore, ArticleId, ArticleStore, LabelStore, MediaStore, Role, SiteStore, Slug,
    WorkflowStore,
};
use reqwest::StatusCode;
use scraper::Html;

use crate::harness::{PASSWORD, TestApp, on_both_backends, pairs, texts};

on_both_backends!(
    every_newsroom_form_refuses_a_forged_or_missing_token_and_changes_nothing,
    a_malformed_id_in_any_newsroom_address_gets_our_404_page,
);

/// The editor's fields for a story.
fn fields(headline: &str) -> Vec<(&'static str, String)> {
    vec![
        ("headline", headline.to_owned()),
        ("standfirst", format!("Standfirst of {headline}.")),
        ("body", format!("First paragraph of {headline}.\n")),
        ("section", "Pakistan".to_owned()),
        ("tags", "Economy".to_owned()),
        ("authors", "Sana Jamal".to_owned()),
        ("language", "en".to_owned()),
    ]
}

/// What a forged form could have changed, written out to compare.
async fn everything(app: &TestApp, id: ArticleId) -> String {
    let store = app.store.as_ref();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        store.workflow(id).await.unwrap(),
        store.article_by_id(id).await.unwrap(),
        store.corrections(id).await.unwrap(),
        store.featured_images(&[id]).await.unwrap(),
        store.sections().await.unwrap(),
        store.tags().await.unwrap(),
        store.users().await.unwrap(),
        store.site_settings().await.unwrap(),
        store.audit_log(None, 0, 1000).await.unwrap(),
    )
}

/// Every form of a signed-in account: its address and fields that would change something if
/// they were taken (the token aside).
async fn forms(app: &TestApp, id: ArticleId) -> Vec<(String, Vec<(&'static str, String)>)> {
    let revision = app
        .store
        .workflow(id)
        .await
        .unwrap()
        .unwrap()
        .revision
        .to_string();
    let section = |slug: &str| Slug::parse(slug).unwrap();
    let world = app
        .store
        .section_by_slug(&section("world"))
        .await
        .unwrap()
        .unwrap()
        .id;
    let empty = app
        .store
        .section_by_slug(&section("empty-desk"))
        .await
        .unwrap()
        .unwrap()
        .id;
    let economy = app
        .store
        .tags()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "Economy")
        .unwrap()
        .id;
    let mut edited = fields("Forged headline");
    edited.push(("base", revision.clone()));
    let article = |step: &str| format!("/admin/articles/{id}{step}");
    vec![
        ("/admin/articles".to_owned(), fields("Forged story")),
        (article(""), edited.clone()),
        (article("/autosave"), edited.clone()),
        (article("/submit"), vec![]),
        (article("/publish"), vec![("revision", revision.clone())]),
        (article("/unpublish"), vec![]),
        (
            article("/schedule"),
            vec![
                ("revision", revision.clone()),
                ("at", "2030-01-01T10:00".to_owned()),
            ],
        ),
        (
            article("/correct"),
            vec![
                ("kind", "correction".to_owned()),
                ("note", "Forged note.".to_owned()),
            ],
        ),
        (
            article("/restore"),
            vec![("number", "1".to_owned()), ("base", revision.clone())],
        ),
        (article("/featured"), vec![("image", String::new())]),
        ("/admin/preview".to_owned(), fields("Forged preview")),
        (
            "/admin/password".to_owned(),
            vec![
                ("current", PASSWORD.to_owned()),
                ("new", "forged password 1234".to_owned()),
                ("repeat", "forged password 1234".to_owned()),
            ],
        ),
        (
            "/admin/users".to_owned(),
            vec![
                ("email", "forged@newsroom.test".to_owned()),
                ("name", "Forged".to_owned()),
                ("role", "admin".to_owned()),
                ("password", "forged password 1234".to_owned()),
            ],
        ),
        (
            "/admin/settings".to_owned(),
            vec![
                ("name", "Forged Times".to_owned()),
                ("short_name", "Forged".to_owned()),
                ("base_url", "https://forged.example".to_owned()),
                ("time_zone", "UTC".to_owned()),
                ("locale", "en".to_owned()),
                ("attribution_template", "Via {agency}".to_owned()),
                (
                    "attribution_template_agency_only",
                    "Via {agency}".to_owned(),
                ),
            ],
        ),
        (
            "/admin/sections".to_owned(),
            vec![("name", "Forged desk".to_owned())],
        ),
        (
            format!("/admin/sections/{world}"),
            vec![("name", "Forged world".to_owned())],
        ),
        (
            format!("/admin/sections/{world}/merge"),
            vec![("into", "Pakistan".to_owned())],
        ),
        (format!("/admin/sections/{empty}/delete"), vec![]),
        (
            format!("/admin/tags/{economy}"),
            vec![("name", "Forged tag".to_owned())],
        ),
        (
            format!("/admin/tags/{economy}/merge"),
            vec![("into", "Budget".to_owned())],
        ),
        (format!("/admin/tags/{economy}/delete"), vec![]),
        // Last: were it taken, the session would be over.
        ("/admin/logout".to_owned(), vec![]),
    ]
}

async fn every_newsroom_form_refuses_a_forged_or_missing_token_and_changes_nothing(app: TestApp) {
    let admin = app.account("Ada Admin", Role::Admin).await;
    let desk = app.sign_in(&admin).await;
    // A published article with two revisions, an empty section and a tag: something for each
    // form to change.
    let id = desk.create_article(&fields("Guarded story")).await;
    let response = desk
        .post(
            &format!("/admin/articles/{id}/publish"),
            &[("revision", "1")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mut second = fields("Guarded story, updated");
    second.push(("base", "1".to_owned()));
    let response = desk
        .post(&format!("/admin/articles/{id}"), &pairs(&second))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = desk
        .post("/admin/sections", &[("name", "Empty desk")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let before = everything(&app, id).await;
    let forms = forms(&app, id).await;
    assert_eq!(forms.len(), 22, "every urlencoded newsroom form");
    for (path, form) in &forms {
        for token in [Some("forged"), Some(""), None] {
            let mut sent = pairs(form);
            if let Some(token) = token {
                sent.push(("csrf", token));
            }
            let response = desk.post_raw(path, &sent).await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{path} with token {token:?}"
            );
            assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
            let page = Html::parse_document(&response.text().await.unwrap());
            assert_eq!(texts(&page, "h1"), ["Form expired"], "{path} {token:?}");
            assert!(
                texts(&page, "[role=alert]")[0].contains("nothing was changed"),
                "{path} {token:?}"
            );
        }
    }
    assert_eq!(
        everything(&app, id).await,
        before,
        "a refused form changed something"
    );
    // The session is still open and the password still the same.
    let (status, _) = desk.page("/admin").await;
    assert_eq!(status, StatusCode::OK);
    app.sign_in(&admin).await;
    // The same forms with the session's own token are taken (the walk above is not vacuous).
    let response = desk
        .post("/admin/sections", &[("name", "Forged desk")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = desk.post("/admin/logout", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

async fn a_malformed_id_in_any_newsroom_address_gets_our_404_page(app: TestApp) {
    let admin = app.account("Ada Admin", Role::Admin).await;
    let desk = app.sign_in(&admin).await;
    let id = desk.create_article(&fields("Numbered story")).await;
    let audit = app.store.audit_log(None, 0, 1000).await.unwrap().len();
    let gets = [
        "/admin/articles/{}",
        "/admin/articles/{}/history",
        "/admin/articles/{}/diff?from=1&to=1",
    ];
    let posts = [
        "/admin/articles/{}",
        "/admin/articles/{}/autosave",
        "/admin/articles/{}/submit",
        "/admin/articles/{}/publish",
        "/admin/articles/{}/unpublish",
        "/admin/articles/{}/schedule",
        "/admin/articles/{}/correct",
        "/admin/articles/{}/restore",
        "/admin/articles/{}/featured",
        "/admin/sections/{}",
        "/admin/sections/{}/merge",
        "/admin/sections/{}/delete",
        "/admin/tags/{}",
        "/admin/tags/{}/merge",
        "/admin/tags/{}/delete",
    ];
    let our_page = |body: &str, what: &str| {
        let page = Html::parse_document(body);
        assert_eq!(
            texts(&page, ".masthead .site-name"),
            ["Global Village Space"],
            "{what}: not the site's error page: {body:.300}"
        );
        assert_eq!(texts(&page, "h1"), ["Page not found"], "{what}");
    };
    // Not a number, a number and more, a number too large for an id, a fraction, an emoji.
    for bad in ["abc", "12x", "99999999999999999999", "1.5", "%F0%9F%93%B0"] {
        for path in gets {
            let path = path.replace("{}", bad);
            let response = desk.get(&path).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "GET {path}");
            our_page(&response.text().await.unwrap(), &path);
        }
        for path in posts {
            let path = path.replace("{}", bad);
            let response = desk
                .post(
                    &path,
                    &[("name", "Renamed"), ("into", "World"), ("revision", "1")],
                )
                .await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "POST {path}");
            our_page(&response.text().await.unwrap(), &path);
        }
    }
    assert_eq!(
        app.store.audit_log(None, 0, 1000).await.unwrap().len(),
        audit
    );
    // The same addresses with the article's own id answer.
    let (status, _) = desk.page(&format!("/admin/articles/{id}/history")).await;
    assert_eq!(status, StatusCode::OK);
    // An article id in the audit log's query that is not a number: a 400 in the site's layout.
    let response = desk.get("/admin/audit?article=abc").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let page = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        texts(&page, ".masthead .site-name"),
        ["Global Village Space"]
    );
    let response = desk.get(&format!("/admin/audit?article={id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
}
