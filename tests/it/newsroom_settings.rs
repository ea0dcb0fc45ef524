//! Site settings: only administrators change them; a change reaches every page at once; bad
//! input changes nothing.

use dateline_domain::{Role, SiteStore};
use reqwest::StatusCode;

use crate::harness::{Desk, TestApp, attrs, on_both_backends, texts};

on_both_backends!(
    an_admin_renames_the_publication_and_every_page_follows_at_once,
    bad_settings_are_refused_with_every_reason_and_change_nothing,
    settings_need_an_admin_and_a_true_csrf_token,
);

const SEED: &str = "/imran-khan-extends-invitation-to-putin-discuss-ties-on-call";

/// The settings form as the page fills it in, with `changes` applied.
async fn form(desk: &Desk<'_>, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let (status, page) = desk.page("/admin/settings").await;
    assert_eq!(status, StatusCode::OK);
    let names = attrs(
        &page,
        "form[action='/admin/settings'] input:not([type=hidden])",
        "name",
    );
    let values = attrs(
        &page,
        "form[action='/admin/settings'] input:not([type=hidden])",
        "value",
    );
    names
        .into_iter()
        .zip(values)
        .map(|(name, value)| {
            let changed = changes
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned());
            (name, changed.unwrap_or(value))
        })
        .collect()
}

async fn post(desk: &Desk<'_>, fields: &[(String, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    desk.post("/admin/settings", &pairs).await
}

async fn an_admin_renames_the_publication_and_every_page_follows_at_once(app: TestApp) {
    // Reading the article first computes its related list in the background, whose notice
    // keeps a page rendered meanwhile out of the cache: let it land before warming the pages.
    app.get(SEED).await;
    app.related_settled().await;
    for path in [SEED, "/"] {
        app.get(path).await;
        assert_eq!(
            app.get(path).await.headers()["x-cache"],
            "HIT",
            "{path} is cached"
        );
    }
    let admin = app.account("Admin", Role::Admin).await;
    let desk = app.sign_in(&admin).await;
    let fields = form(
        &desk,
        &[
            ("name", "Global Village Space Daily"),
            ("short_name", "GVSD"),
            ("time_zone", "Asia/Dubai"),
        ],
    )
    .await;
    let response = post(&desk, &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = scraper::Html::parse_document(&response.text().await.unwrap());
    assert!(texts(&page, "[role=status]")[0].starts_with("Saved"));
    let (_, home) = app.page("/").await;
    assert_eq!(
        texts(&home, ".welcome"),
        ["Welcome to Global Village Space Daily"]
    );
    let (_, seed) = app.page(SEED).await;
    assert_eq!(
        texts(&seed, ".attribution"),
        ["Via APP with additional inputs from GVSD"]
    );
    assert_eq!(
        texts(&seed, ".story .dateline time"),
        ["August 25, 2021, 6:30 PM +04"],
        "dates follow the new time zone"
    );
    let stored = app.store.site_settings().await.unwrap().unwrap();
    assert_eq!(
        (stored.name.as_str(), stored.time_zone.name()),
        ("Global Village Space Daily", "Asia/Dubai")
    );
}

async fn bad_settings_are_refused_with_every_reason_and_change_nothing(app: TestApp) {
    let before = app.store.site_settings().await.unwrap();
    let admin = app.account("Admin", Role::Admin).await;
    let desk = app.sign_in(&admin).await;
    let fields = form(
        &desk,
        &[
            ("time_zone", "Mars/Olympus"),
            ("base_url", "ftp://example.com"),
            ("attribution_template", "From {agnecy}"),
        ],
    )
    .await;
    let response = post(&desk, &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = scraper::Html::parse_document(&response.text().await.unwrap());
    let alert = texts(&page, "[role=alert]").remove(0);
    for reason in [
        "base URL",
        "Mars/Olympus",
        "{agnecy}",
        "Nothing was changed",
    ] {
        assert!(alert.contains(reason), "{alert} should mention {reason}");
    }
    assert_eq!(
        attrs(&page, "input[name=time_zone]", "value"),
        ["Mars/Olympus"],
        "what was typed is kept"
    );
    assert_eq!(app.store.site_settings().await.unwrap(), before);
    let (_, home) = app.page("/").await;
    assert_eq!(
        texts(&home, ".welcome"),
        ["Welcome to Global Village Space"]
    );
}

async fn settings_need_an_admin_and_a_true_csrf_token(app: TestApp) {
    let before = app.store.site_settings().await.unwrap();
    let admin = app.account("Admin", Role::Admin).await;
    let desk = app.sign_in(&admin).await;
    let mut fields = form(&desk, &[("name", "Forged")]).await;
    fields.push(("csrf".into(), "0".repeat(64)));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let forged = desk.post_raw("/admin/settings", &pairs).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let editor = app.account("Editor", Role::Editor).await;
    let editor = app.sign_in(&editor).await;
    assert_eq!(
        post(&editor, &form(&desk, &[("name", "Not yours")]).await)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.store.site_settings().await.unwrap(), before);
}
