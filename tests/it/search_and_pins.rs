//! The title and description search engines and shared links show, and stories pinned to the
//! home page: set in the newsroom by those allowed to, checked, and shown at once on the cached
//! public pages.

use chrono::Duration;
use dateline_domain::{ArticleStore, Role};
use reqwest::StatusCode;

use crate::harness::{TestApp, attrs, on_both_backends, reference_day, story, texts};

on_both_backends!(
    search_text_is_set_in_the_newsroom_and_shown_in_the_head,
    bad_search_text_is_refused_and_changes_nothing,
    editors_pin_stories_to_the_head_of_the_home_page,
);

/// The home page's headlines, in order.
async fn first_teaser(app: &TestApp) -> Vec<String> {
    let (_, home) = app.page("/").await;
    texts(&home, ".teaser-headline")
}

fn head_title(page: &scraper::Html) -> String {
    texts(page, "title").remove(0)
}

async fn search_text_is_set_in_the_newsroom_and_shown_in_the_head(app: TestApp) {
    let article = app
        .create(story("Budget talks resume", "pakistan", reference_day()))
        .await;
    let path = format!("/{}", article.slug.as_str());
    // Before: the headline and standfirst (and the page is now in the cache).
    let (_, page) = app.page(&path).await;
    assert!(head_title(&page).starts_with("Budget talks resume |"));
    let editor = app.account("Sana", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let saved = desk
        .post(
            &format!("/admin/articles/{}/search", article.id),
            &[
                ("title", "  Sabzabad budget: talks resume after a week  "),
                (
                    "description",
                    "The council and traders meet again on Monday.",
                ),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let (status, page) = app.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        head_title(&page).starts_with("Sabzabad budget: talks resume after a week |"),
        "{}",
        head_title(&page)
    );
    assert_eq!(
        attrs(&page, "meta[name=description]", "content"),
        ["The council and traders meet again on Monday."]
    );
    assert_eq!(
        attrs(&page, "meta[property='og:title']", "content"),
        ["Sabzabad budget: talks resume after a week"]
    );
    // The page itself keeps its headline.
    assert_eq!(texts(&page, "article h1"), ["Budget talks resume"]);
    // The editor shows what was saved; emptied, the headline is back.
    let (_, form) = desk.page(&format!("/admin/articles/{}", article.id)).await;
    assert_eq!(
        attrs(&form, "input[name=title]", "value"),
        ["Sabzabad budget: talks resume after a week"]
    );
    desk.post(
        &format!("/admin/articles/{}/search", article.id),
        &[("title", ""), ("description", "")],
    )
    .await;
    let (_, page) = app.page(&path).await;
    assert!(head_title(&page).starts_with("Budget talks resume |"));
}

async fn bad_search_text_is_refused_and_changes_nothing(app: TestApp) {
    let article = app
        .create(story("Floods in Sindh", "pakistan", reference_day()))
        .await;
    let path = format!("/admin/articles/{}/search", article.id);
    let editor = app.account("Sana", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    desk.post(&path, &[("title", "Kept title"), ("description", "")])
        .await;
    let long = "x".repeat(121);
    let cases: [(&str, &str); 4] = [
        (&long, ""),
        ("Two\nlines", ""),
        ("", "A NUL \u{0} here"),
        ("", &"y".repeat(321)),
    ];
    for (title, description) in cases {
        let response = desk
            .post(&path, &[("title", title), ("description", description)])
            .await;
        assert!(
            response.status().is_client_error(),
            "{title:?} {description:?}: {}",
            response.status()
        );
    }
    // At the limits exactly, accepted.
    let at_limit = desk
        .post(
            &path,
            &[
                ("title", &"t".repeat(120)),
                ("description", &"d".repeat(320)),
            ],
        )
        .await;
    assert_eq!(at_limit.status(), StatusCode::SEE_OTHER);
    let stored = app.store.article_by_id(article.id).await.unwrap().unwrap();
    assert_eq!(stored.search.title.chars().count(), 120);
    // Without the form's token, or from an author who did not write it: nothing happens.
    let forged = desk.post_raw(&path, &[("title", "Forged")]).await;
    assert!(forged.status().is_client_error());
    let author = app.account("Ali", Role::Author).await;
    let other = app.sign_in(&author).await;
    let refused = other.post(&path, &[("title", "Not mine")]).await;
    assert!(refused.status().is_client_error(), "{}", refused.status());
    let stored = app.store.article_by_id(article.id).await.unwrap().unwrap();
    assert_eq!(stored.search.title, "t".repeat(120));
    // An article that does not exist.
    let missing = desk
        .post("/admin/articles/999999/search", &[("title", "x")])
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

async fn editors_pin_stories_to_the_head_of_the_home_page(app: TestApp) {
    let older = app
        .create(story(
            "An older story worth keeping on top",
            "pakistan",
            reference_day() - Duration::days(3),
        ))
        .await;
    let newest = app
        .create(story("The newest story", "pakistan", reference_day()))
        .await;
    assert_eq!(first_teaser(&app).await[0], newest.headline);
    let pin = format!("/admin/articles/{}/pin", older.id);
    // An author may not pin; a bad value is refused.
    let author = app.account("Ali", Role::Author).await;
    let refused = app
        .sign_in(&author)
        .await
        .post(&pin, &[("pinned", "1")])
        .await;
    assert!(refused.status().is_client_error(), "{}", refused.status());
    let editor = app.account("Sana", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let bad = desk.post(&pin, &[("pinned", "2")]).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(first_teaser(&app).await[0], newest.headline);
    // The same pin sent fifty times at once: pinned once, shown once.
    let answers =
        futures_util::future::join_all((0..50).map(|_| desk.post(&pin, &[("pinned", "1")]))).await;
    assert!(answers.iter().all(|r| r.status() == StatusCode::SEE_OTHER));
    let teasers = first_teaser(&app).await;
    assert_eq!(teasers[0], older.headline);
    assert_eq!(
        teasers.iter().filter(|h| **h == older.headline).count(),
        1,
        "{teasers:?}"
    );
    // Unpinned, it goes back to its place.
    desk.post(&pin, &[("pinned", "0")]).await;
    assert_eq!(first_teaser(&app).await[0], newest.headline);
}
