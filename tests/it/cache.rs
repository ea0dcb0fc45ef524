//! The page cache: served from memory with validators and compression, refreshed exactly when
//! what a page shows changes, right at local midnight, and within its memory limit.

use std::io::Read;

use chrono::{DateTime, Utc};
use dateline_domain::{ArticleStatus, ArticleStore, Slug};
use reqwest::header::{ACCEPT_ENCODING, IF_MODIFIED_SINCE, IF_NONE_MATCH};

use crate::harness::{TestApp, attrs, on_both_backends, reference_day, story, texts};

const SEED: &str = "/imran-khan-extends-invitation-to-putin-discuss-ties-on-call";

on_both_backends!(
    repeat_requests_are_served_from_memory_with_validators,
    compressed_once_in_brotli_and_gzip,
    headers_suit_a_cdn_in_front,
    publishing_refreshes_every_page_that_shows_the_article,
    unpublishing_a_read_more_target_refreshes_the_pages_that_link_to_it,
    unrelated_pages_stay_cached,
    top_bar_date_is_right_after_midnight_even_for_cached_pages,
    memory_stays_within_the_limit,
    feeds_and_sitemaps_are_cached_and_refreshed_on_publish,
    a_headline_published_in_the_newsroom_is_on_every_page_at_once,
    a_new_section_is_in_the_navigation_at_once,
);

/// Reads `path` until its page is in the cache: an article page's first read queues its related
/// list, and storing the list drops the page once.
async fn warm(app: &TestApp, path: &str) {
    x_cache(app, path).await;
    app.related_settled().await;
    x_cache(app, path).await;
}

async fn x_cache(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.headers()["x-cache"].to_str().unwrap().to_owned()
}

async fn repeat_requests_are_served_from_memory_with_validators(app: TestApp) {
    assert_eq!(x_cache(&app, SEED).await, "MISS");
    let response = app.get(SEED).await;
    assert_eq!(response.headers()["x-cache"], "HIT");
    let etag = response.headers()["etag"].clone();
    let modified = response.headers()["last-modified"].clone();
    let first = response.text().await.unwrap();
    let again = app
        .client
        .get(app.url(SEED))
        .header(IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.text().await.unwrap().is_empty());
    let again = app
        .client
        .get(app.url(SEED))
        .header(IF_MODIFIED_SINCE, modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let other = app
        .client
        .get(app.url(SEED))
        .header(IF_NONE_MATCH, "W/\"0000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    assert_eq!(
        other.text().await.unwrap(),
        first,
        "a cached page is the page"
    );
}

async fn compressed_once_in_brotli_and_gzip(app: TestApp) {
    // A miss is answered as rendered and compressed afterwards, off the request: what is
    // compressed is the cached page, so ask until it is a hit.
    warm(&app, SEED).await;
    let plain = app.get(SEED).await.text().await.unwrap();
    let mut br = None;
    for _ in 0..10 {
        let response = app
            .client
            .get(app.url(SEED))
            .header(ACCEPT_ENCODING, "gzip, deflate, br")
            .send()
            .await
            .unwrap();
        if response.headers()["x-cache"] == "HIT" {
            br = Some(response);
            break;
        }
    }
    let br = br.expect("the page is cached");
    assert_eq!(br.headers()["content-encoding"], "br");
    let bytes = br.bytes().await.unwrap();
    assert!(bytes.len() < plain.len() / 2, "brotli shrinks the page");
    let mut decoded = String::new();
    brotli::Decompressor::new(&bytes[..], 4096)
        .read_to_string(&mut decoded)
        .unwrap();
    assert_eq!(decoded, plain);
    let gz = app
        .client
        .get(app.url(SEED))
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let bytes = gz.bytes().await.unwrap();
    let mut decoded = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut decoded)
        .unwrap();
    assert_eq!(decoded, plain);
}

async fn headers_suit_a_cdn_in_front(app: TestApp) {
    let article = app
        .store
        .article_by_slug(&Slug::parse(&SEED[1..]).unwrap())
        .await
        .unwrap()
        .unwrap();
    let response = app.get(SEED).await;
    let headers = response.headers();
    let control = headers["cache-control"].to_str().unwrap();
    assert!(
        control.contains("public")
            && control.contains("s-maxage=")
            && control.contains("stale-while-revalidate="),
        "{control}"
    );
    assert_eq!(headers["vary"], "Accept-Encoding");
    let keys: Vec<_> = headers["surrogate-key"]
        .to_str()
        .unwrap()
        .split(' ')
        .map(str::to_owned)
        .collect();
    assert!(
        keys.contains(&format!("article-{}", article.id)),
        "{keys:?}"
    );
    assert!(
        keys.contains(&format!("related-{}", article.id)),
        "its related list: {keys:?}"
    );
    let articles = keys.iter().filter(|k| k.starts_with("article-")).count();
    assert!(
        articles >= 5,
        "the article, its four Read More targets and what its Related block shows: {keys:?}"
    );
    let world = app.section("world").await;
    let front = app.get("/section/world").await;
    assert_eq!(
        front.headers()["surrogate-key"].to_str().unwrap(),
        format!("section-{}", world.id)
    );
    assert_eq!(app.get("/").await.headers()["surrogate-key"], "latest");
    let missing = app.get("/no-such-story").await;
    assert_eq!(missing.status(), 404);
    assert!(
        missing.headers().get("surrogate-key").is_none(),
        "errors are not cached"
    );
    assert_eq!(missing.headers()["cache-control"], "no-store");
}

async fn publishing_refreshes_every_page_that_shows_the_article(app: TestApp) {
    let fronts = ["/", "/section/world", "/tag/russia", "/author/sana-mirza"];
    for path in fronts {
        warm(&app, path).await;
        assert_eq!(x_cache(&app, path).await, "HIT", "{path} is cached");
    }
    let mut input = story("Breaking: a new story on Russia", "World", reference_day());
    input.tags = vec!["Russia".into()];
    input.authors = vec!["Sana Mirza".into()];
    input.status = ArticleStatus::Draft;
    let article = app.create(input).await;
    for path in fronts {
        let (_, page) = app.page(path).await;
        assert!(
            !texts(&page, ".teaser-headline").contains(&article.headline),
            "{path} shows a draft"
        );
    }
    app.set_status(&article, ArticleStatus::Published).await;
    for path in fronts {
        let (_, page) = app.page(path).await;
        assert_eq!(
            texts(&page, ".teaser-headline")[0],
            article.headline,
            "{path} is stale after the publish returned"
        );
    }
    app.set_status(&article, ArticleStatus::Draft).await;
    for path in fronts {
        let (_, page) = app.page(path).await;
        assert!(
            !texts(&page, ".teaser-headline").contains(&article.headline),
            "{path} is stale after unpublishing"
        );
    }
}

async fn unpublishing_a_read_more_target_refreshes_the_pages_that_link_to_it(app: TestApp) {
    warm(&app, SEED).await;
    assert_eq!(x_cache(&app, SEED).await, "HIT");
    let target = app
        .store
        .article_by_slug(&Slug::parse("saudi-arabia-signs-military-pact-with-russia").unwrap())
        .await
        .unwrap()
        .unwrap();
    app.set_status(&target, ArticleStatus::Draft).await;
    let (_, page) = app.page(SEED).await;
    assert_eq!(
        texts(&page, ".read-more a").len(),
        3,
        "the link to the unpublished article is gone at once"
    );
    app.set_status(&target, ArticleStatus::Published).await;
    let (_, page) = app.page(SEED).await;
    assert_eq!(texts(&page, ".read-more a").len(), 4, "and back at once");
}

async fn unrelated_pages_stay_cached(app: TestApp) {
    for path in ["/section/sports", "/tag/cricket", SEED] {
        warm(&app, path).await;
    }
    let article = app
        .create(story(
            "A World story unrelated to cricket",
            "World",
            reference_day(),
        ))
        .await;
    // Its related list is computed, and the lists it enters refreshed, before looking.
    app.related_settled().await;
    assert_eq!(x_cache(&app, "/section/sports").await, "HIT");
    assert_eq!(x_cache(&app, "/tag/cricket").await, "HIT");
    assert_eq!(x_cache(&app, SEED).await, "HIT");
    assert_eq!(x_cache(&app, "/section/world").await, "MISS");
    assert_eq!(x_cache(&app, &format!("/{}", article.slug)).await, "MISS");
}

async fn top_bar_date_is_right_after_midnight_even_for_cached_pages(app: TestApp) {
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    app.clock.set(at("2024-04-15T23:59:59+05:00"));
    for path in [SEED, "/"] {
        warm(&app, path).await;
        let response = app.get(path).await;
        assert_eq!(response.headers()["x-cache"], "HIT");
        let control = response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            control.contains("max-age=1,") && control.contains("s-maxage=1,"),
            "nobody keeps it past midnight: {control}"
        );
        let page = scraper::Html::parse_document(&response.text().await.unwrap());
        assert_eq!(texts(&page, ".today"), ["Monday, April 15, 2024"]);
    }
    app.clock.set(at("2024-04-16T00:00:00+05:00"));
    for path in [SEED, "/"] {
        let (_, page) = app.page(path).await;
        assert_eq!(
            texts(&page, ".today"),
            ["Tuesday, April 16, 2024"],
            "{path}"
        );
    }
}

async fn memory_stays_within_the_limit(app: TestApp) {
    let cache = app.state.page_cache();
    warm(&app, SEED).await;
    // A miss is stored once compressed, off the request; a hit means it is.
    assert_eq!(x_cache(&app, SEED).await, "HIT");
    let one_page = cache.bytes();
    assert!(one_page > 0);
    cache.set_limit(one_page * 3);
    let paths = [
        "/",
        "/section/world",
        "/section/pakistan",
        "/tag/russia",
        "/author/sana-mirza",
        SEED,
        "/tag/afghanistan",
    ];
    for path in paths {
        warm(&app, path).await;
        assert!(
            cache.bytes() <= one_page * 3,
            "{} bytes held, limit {}",
            cache.bytes(),
            one_page * 3
        );
    }
    assert!(!cache.is_empty());
    assert_eq!(
        x_cache(&app, "/tag/afghanistan").await,
        "HIT",
        "the most recent page stays"
    );
    cache.set_limit(0);
    assert_eq!(cache.bytes(), 0);
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().get("x-cache").is_none(),
        "a cache of size 0 is off"
    );
}

async fn feeds_and_sitemaps_are_cached_and_refreshed_on_publish(app: TestApp) {
    let paths = [
        "/feed.xml",
        "/feed.atom",
        "/feed.json",
        "/section/world/feed.xml",
        "/tag/russia/feed.atom",
        "/sitemap.xml",
    ];
    for path in paths {
        warm(&app, path).await;
        assert_eq!(x_cache(&app, path).await, "HIT", "{path}");
    }
    let sports = app
        .get("/section/sports/feed.xml")
        .await
        .text()
        .await
        .unwrap();
    let mut input = story("Feeds hear of this story at once", "World", reference_day());
    input.tags = vec!["Russia".into()];
    let article = app.create(input).await;
    for path in paths.iter().filter(|p| !p.starts_with("/sitemap")) {
        let body = app.get(path).await.text().await.unwrap();
        assert!(
            body.contains(&article.headline),
            "{path} is stale after the publish returned"
        );
    }
    let index = app.get("/sitemap.xml").await;
    assert_eq!(
        index.headers()["x-cache"],
        "MISS",
        "the sitemap index was refreshed"
    );
    let response = app.get("/section/sports/feed.xml").await;
    assert_eq!(
        response.headers()["x-cache"],
        "HIT",
        "an unrelated feed stays cached"
    );
    assert_eq!(response.text().await.unwrap(), sports);
}

/// The editor's form for a demo article, as the editor page fills it in.
async fn editor_fields(
    desk: &crate::harness::Desk<'_>,
    id: dateline_domain::ArticleId,
) -> Vec<(String, String)> {
    let (status, page) = desk.page(&format!("/admin/articles/{id}")).await;
    assert_eq!(status, 200);
    let form = scraper::Selector::parse(
        "#editor input[name], #editor textarea[name], #editor select[name]",
    )
    .unwrap();
    page.select(&form)
        .filter(|e| e.value().attr("type") != Some("submit"))
        .map(|e| {
            let name = e.value().attr("name").unwrap().to_owned();
            let value = match e.value().name() {
                "textarea" => e.text().collect(),
                "select" => {
                    let chosen = scraper::Selector::parse("option[selected]").unwrap();
                    e.select(&chosen)
                        .next()
                        .and_then(|o| o.value().attr("value"))
                        .unwrap_or_default()
                        .to_owned()
                }
                _ => e.value().attr("value").unwrap_or_default().to_owned(),
            };
            (name, value)
        })
        .filter(|(name, _)| name != "csrf")
        .collect()
}

async fn a_headline_published_in_the_newsroom_is_on_every_page_at_once(app: TestApp) {
    let target = app
        .store
        .article_by_slug(&Slug::parse("saudi-arabia-signs-military-pact-with-russia").unwrap())
        .await
        .unwrap()
        .unwrap();
    for path in [SEED, "/", "/section/world", "/tag/russia", "/feed.xml"] {
        warm(&app, path).await;
        assert_eq!(x_cache(&app, path).await, "HIT", "{path}");
    }
    let editor = app.account("Editor", dateline_domain::Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let mut fields = editor_fields(&desk, target.id).await;
    for (name, value) in &mut fields {
        if name == "headline" {
            *value = "Saudi Arabia and Russia sign a military cooperation pact".into();
        }
    }
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = desk
        .post(&format!("/admin/articles/{}", target.id), &pairs)
        .await;
    let status = saved.status();
    assert_eq!(
        status,
        303,
        "saved: {pairs:?}\n{}",
        saved.text().await.unwrap()
    );
    let (_, editor) = desk.page(&format!("/admin/articles/{}", target.id)).await;
    let revision = attrs(&editor, "input[name=revision]", "value").remove(0);
    let published = desk
        .post(
            &format!("/admin/articles/{}/publish", target.id),
            &[("revision", &revision)],
        )
        .await;
    assert_eq!(published.status(), 303, "published");
    let (_, page) = app.page(SEED).await;
    assert!(
        texts(&page, ".read-more a")
            .contains(&"Saudi Arabia and Russia sign a military cooperation pact".to_owned()),
        "the Read More link follows the new headline"
    );
    for path in ["/", "/section/world", "/tag/russia"] {
        let (_, page) = app.page(path).await;
        assert!(
            texts(&page, ".teaser-headline")
                .contains(&"Saudi Arabia and Russia sign a military cooperation pact".to_owned()),
            "{path}"
        );
    }
    let feed = app.get("/feed.xml").await.text().await.unwrap();
    assert!(feed.contains("Saudi Arabia and Russia sign a military cooperation pact"));
}

async fn a_new_section_is_in_the_navigation_at_once(app: TestApp) {
    for _ in 0..2 {
        warm(&app, "/section/world").await;
    }
    let (_, page) = app.page("/section/world").await;
    assert!(!texts(&page, "nav.sections a").contains(&"Technology".to_owned()));
    app.create(story(
        "The first story on the technology desk",
        "Technology",
        reference_day(),
    ))
    .await;
    let (_, page) = app.page("/").await;
    assert!(
        texts(&page, "nav.sections a").contains(&"Technology".to_owned()),
        "home"
    );
    let (_, page) = app.page("/section/technology").await;
    assert_eq!(
        texts(&page, "nav.sections a[aria-current=page]"),
        ["Technology"]
    );
}
