//! Embeds on the public site: an article with a YouTube video and an X post shows placeholders
//! that load nothing from either service, names the embed script (and only such a page does),
//! and the Content-Security-Policy frames exactly the four players; in Chromium, the player's
//! frame appears only when the reader asks for it.

use dateline_services::ServiceError;
use dateline_services::articles::create_article;
use fantoccini::Locator;
use reqwest::StatusCode;
use scraper::Selector;

use crate::browser::Browser;
use crate::harness::{TestApp, attrs, on_both_backends, reference_day, story, texts};
use crate::newsroom_browser::{until, wait_for};

const BODY: &str = "The minister spoke at length.\n\n\
    ::: embed https://www.youtube.com/watch?v=dQw4w9WgXcQ The minister's statement\n\n\
    Reactions followed.\n\n\
    ::: embed https://x.com/GVS_News/status/1780000000000000001\n";

async fn article_with_embeds(app: &TestApp) -> String {
    let mut input = story("Minister speaks on trade", "World", reference_day());
    input.body = BODY.to_owned();
    let article = app.create(input).await;
    format!("/{}", article.slug.as_str())
}

async fn article_page_shows_placeholders_and_loads_nothing_from_outside(app: TestApp) {
    let path = article_with_embeds(&app).await;
    let response = app.get(&path).await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = scraper::Html::parse_document(&response.text().await.unwrap());

    let frame_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("frame-src "))
        .expect("frame-src");
    assert_eq!(
        frame_src,
        "frame-src https://www.youtube-nocookie.com https://player.vimeo.com \
         https://platform.twitter.com https://www.facebook.com"
    );
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("default-src 'self';"), "{csp}");

    // Two placeholders, in the body's order, with the service, the title, a link and a button.
    assert_eq!(
        attrs(&html, ".story-body figure.embed", "data-embed-provider"),
        ["youtube", "x"]
    );
    assert_eq!(
        texts(&html, ".story-body figure.embed button.embed-load"),
        ["Load the YouTube video", "Load the post from X"]
    );
    assert_eq!(
        texts(&html, ".story-body figure.embed .embed-title"),
        ["The minister's statement"]
    );
    assert_eq!(
        attrs(&html, ".story-body figure.embed figcaption a", "href"),
        [
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://x.com/GVS_News/status/1780000000000000001"
        ]
    );
    assert_eq!(
        attrs(&html, ".story-body figure.embed", "data-embed-src"),
        [
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
            "https://platform.twitter.com/embed/Tweet.html?id=1780000000000000001"
        ]
    );
    // Nothing on the page is fetched from another site: no frame, and every `src` is ours.
    assert!(attrs(&html, "iframe", "src").is_empty());
    let all = Selector::parse("[src]").unwrap();
    let sources: Vec<&str> = html
        .select(&all)
        .filter_map(|e| e.value().attr("src"))
        .collect();
    assert!(!sources.is_empty());
    for src in &sources {
        assert!(
            src.starts_with('/') && !src.starts_with("//"),
            "{src} is not on our own origin"
        );
    }
    // The one script is ours, and it is there.
    let scripts = attrs(&html, "script[src]", "src");
    assert_eq!(scripts.len(), 1, "{scripts:?}");
    assert!(scripts[0].starts_with("/static/embed.js?v="), "{scripts:?}");
    let script = app.get(&scripts[0]).await;
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(
        script
            .text()
            .await
            .unwrap()
            .contains("https://www.youtube-nocookie.com")
    );

    // A page without an embed names no script at all: the site reads without JavaScript.
    let (_, plain) = app
        .page("/imran-khan-extends-invitation-to-putin-discuss-ties-on-call")
        .await;
    assert!(attrs(&plain, "script[src]", "src").is_empty());
}

async fn an_embed_we_cannot_show_is_refused_with_its_line(app: TestApp) {
    for (body, wanted) in [
        (
            "Intro.\n\n::: embed https://example.com/video.mp4\n",
            "line 3: 'https://example.com/video.mp4' is not an address Dateline can embed",
        ),
        ("::: embed javascript:alert(1)\n", "line 1:"),
        ("::: embed https://youtu.be/dQw4w9WgXcQ\u{0}\n", "line 1:"),
    ] {
        let mut input = story("Refused embed", "World", reference_day());
        input.body = body.to_owned();
        let Err(ServiceError::Invalid(problems)) =
            create_article(app.store.as_ref(), input, reference_day()).await
        else {
            panic!("{body:?} accepted");
        };
        assert!(
            problems
                .iter()
                .any(|p| p.field == "body" && p.message.contains(wanted)),
            "{body:?}: {problems:?}"
        );
    }
}

on_both_backends!(
    article_page_shows_placeholders_and_loads_nothing_from_outside,
    an_embed_we_cannot_show_is_refused_with_its_line,
);

#[tokio::test]
async fn the_player_is_framed_only_after_the_reader_asks() {
    let Some(browser) =
        Browser::start("embeds::the_player_is_framed_only_after_the_reader_asks").await
    else {
        return;
    };
    let app = TestApp::sqlite().await;
    let path = article_with_embeds(&app).await;
    let client = &browser.client;
    browser.viewport(1366, 900).await;
    client.goto(&app.url(&path)).await.unwrap();
    wait_for(
        client,
        "figure.embed-youtube button.embed-load",
        "the placeholder",
    )
    .await;
    // The script shows the buttons; no frame exists yet.
    until(
        client,
        "[...document.querySelectorAll('button.embed-load')].every(b => !b.hidden && b.offsetHeight > 0)",
        "the load buttons to be shown",
    )
    .await;
    let frames = client
        .execute("return document.querySelectorAll('iframe').length", vec![])
        .await
        .unwrap();
    assert_eq!(frames, 0, "no frame before the click");
    let ratio = client
        .execute(
            "const r = document.querySelector('figure.embed-youtube .embed-box').getBoundingClientRect(); \
             return r.width / r.height",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!((ratio - 16.0 / 9.0).abs() < 0.05, "a 16:9 box, not {ratio}");
    browser.screenshot("embed-placeholder").await;

    client
        .find(Locator::Css("figure.embed-youtube button.embed-load"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(client, "figure.embed-youtube iframe", "the player's frame").await;
    let facts = client
        .execute(
            "return [...document.querySelectorAll('iframe')].map(f => \
               [f.getAttribute('src'), f.title, !!f.closest('figure.embed-youtube')])",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        facts,
        serde_json::json!([[
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
            "The minister's statement",
            true
        ]]),
        "one frame, the YouTube player's, and the X post still a placeholder"
    );
    // The link to the original stays under the player.
    let link = client
        .execute(
            "return document.querySelector('figure.embed-youtube figcaption a').href",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(link, "https://www.youtube.com/watch?v=dQw4w9WgXcQ");

    client
        .find(Locator::Css("figure.embed-x button.embed-load"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(client, "figure.embed-x iframe", "the post's frame").await;
    let src = client
        .execute(
            "return document.querySelector('figure.embed-x iframe').getAttribute('src')",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        src,
        "https://platform.twitter.com/embed/Tweet.html?id=1780000000000000001"
    );
    browser.close().await;
}
