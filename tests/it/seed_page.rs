//! The reference page: the demo publication must show the seed article exactly as the fixture
//! has it, on both backends.

use chrono::{DateTime, Utc};
use dateline_domain::{ArticleStatus, ArticleStore, Clock, SitePath, Slug};

use crate::harness::{TestApp, attrs, normalise, on_both_backends, texts};

const SEED_HEADLINE: &str = "Imran Khan extends invitation to Putin, discuss ties on call";

on_both_backends!(
    seed_page_shows_the_reference_text_in_order,
    seed_page_shows_section_tags_and_publication_time,
    read_more_links_open_their_articles,
    read_more_to_unpublished_article_is_dropped,
    top_bar_date_turns_at_karachi_midnight,
    byline_links_to_author_pages,
    urdu_article_is_right_to_left,
);

/// The fixture's lines, as a reader sees them (the top bar's `|` separator is decoration).
fn fixture_lines() -> Vec<String> {
    let text = include_str!("../fixtures/seed-article-page.txt");
    text.lines()
        .map(|l| normalise(l.trim_start_matches('|')))
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn fixture_copy_matches_the_shared_fixture() {
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/seed-article-page.txt"
    );
    match std::fs::read_to_string(shared) {
        Ok(text) => assert_eq!(text, include_str!("../fixtures/seed-article-page.txt")),
        Err(_) => dateline_store::testing::skipped(
            "seed_page::fixture_copy_matches_the_shared_fixture",
            &format!("{shared} is not beside this checkout"),
        ),
    }
}

/// Follows the home page link whose text is exactly the seed headline.
async fn open_seed_page(app: &TestApp) -> scraper::Html {
    let (status, home) = app.page("/").await;
    assert_eq!(status, 200);
    let selector = scraper::Selector::parse("a").unwrap();
    let href = home
        .select(&selector)
        .find(|a| a.text().collect::<String>() == SEED_HEADLINE)
        .and_then(|a| a.value().attr("href"))
        .expect("the home page links the seed headline")
        .to_owned();
    let (status, page) = app.page(&href).await;
    assert_eq!(status, 200, "{href}");
    page
}

async fn seed_page_shows_the_reference_text_in_order(app: TestApp) {
    let page = open_seed_page(&app).await;
    let shown = texts(
        &page,
        ".welcome, .today, .story .headline, .story .standfirst, .story-body p, .story .attribution",
    );
    let expected = fixture_lines();
    for (i, (shown, expected)) in shown.iter().zip(&expected).enumerate() {
        assert_eq!(shown, expected, "line {} of the fixture", i + 1);
    }
    assert_eq!(
        shown.len(),
        expected.len(),
        "every line of the fixture and nothing else:\n{shown:#?}"
    );
}

async fn seed_page_shows_section_tags_and_publication_time(app: TestApp) {
    let page = open_seed_page(&app).await;
    assert_eq!(texts(&page, ".story .kicker"), ["Pakistan"]);
    assert_eq!(
        texts(&page, ".story .tags a"),
        ["Russia", "Afghanistan", "Foreign Policy"]
    );
    assert_eq!(
        attrs(&page, ".story .tags a", "href"),
        ["/tag/russia", "/tag/afghanistan", "/tag/foreign-policy"]
    );
    assert_eq!(
        texts(&page, ".story .dateline time"),
        ["August 25, 2021, 7:30 PM PKT"]
    );
    assert_eq!(
        attrs(&page, ".story .dateline time", "datetime"),
        ["2021-08-25T19:30:00+05:00"]
    );
    assert!(
        texts(&page, ".story .byline").is_empty(),
        "agency copy has no byline"
    );
    // No base URL set: links point where the server listens.
    assert_eq!(
        attrs(&page, "link[rel=canonical]", "href"),
        [app.url("/imran-khan-extends-invitation-to-putin-discuss-ties-on-call")]
    );
    assert_eq!(
        attrs(&page, "meta[name=description]", "content"),
        [texts(&page, ".story .standfirst")[0].clone()]
    );
    for landmark in ["header", "nav", "main", "article", "footer"] {
        assert!(!texts(&page, landmark).is_empty(), "a <{landmark}> element");
    }
    assert!(
        texts(&page, "script:not([type=\"application/ld+json\"])").is_empty(),
        "no JavaScript is needed to read (JSON-LD is data, never run)"
    );
    assert_eq!(attrs(&page, "html", "lang"), ["en"]);
    assert_eq!(attrs(&page, "html", "dir"), ["ltr"]);
    let css = attrs(&page, "link[rel=stylesheet]", "href").remove(0);
    let response = app.get(&css).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
}

async fn read_more_links_open_their_articles(app: TestApp) {
    let page = open_seed_page(&app).await;
    let titles = texts(&page, ".read-more a");
    let hrefs = attrs(&page, ".read-more a", "href");
    assert_eq!(titles.len(), 4);
    for (title, href) in titles.iter().zip(&hrefs) {
        let (status, target) = app.page(href).await;
        assert_eq!(status, 200, "{href}");
        assert_eq!(&texts(&target, ".story .headline")[0], title);
    }
}

async fn read_more_to_unpublished_article_is_dropped(app: TestApp) {
    let slug = Slug::parse("saudi-arabia-signs-military-pact-with-russia").unwrap();
    let target = app.store.article_by_slug(&slug).await.unwrap().unwrap();
    app.set_status(&target, ArticleStatus::Draft).await;
    let page = open_seed_page(&app).await;
    let titles = texts(&page, ".read-more a");
    assert_eq!(titles.len(), 3);
    assert!(titles.iter().all(|t| !t.contains("Saudi")), "{titles:?}");
    assert_eq!(
        app.get("/saudi-arabia-signs-military-pact-with-russia")
            .await
            .status(),
        404
    );
    app.set_status(&target, ArticleStatus::Published).await;
    assert_eq!(
        texts(&open_seed_page(&app).await, ".read-more a").len(),
        4,
        "and it comes back when republished"
    );
}

async fn top_bar_date_turns_at_karachi_midnight(app: TestApp) {
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let path = "/imran-khan-extends-invitation-to-putin-discuss-ties-on-call";
    app.clock.set(at("2024-04-15T23:59:59+05:00"));
    for page in [path, "/", "/section/world", "/no-such-page"] {
        assert_eq!(
            texts(&app.page(page).await.1, ".today"),
            ["Monday, April 15, 2024"],
            "{page}"
        );
    }
    app.clock.set(at("2024-04-16T00:00:00+05:00"));
    assert_eq!(
        app.clock.now(),
        at("2024-04-15T19:00:00Z"),
        "midnight in Karachi is 19:00 UTC"
    );
    for page in [path, "/", "/section/world", "/no-such-page"] {
        assert_eq!(
            texts(&app.page(page).await.1, ".today"),
            ["Tuesday, April 16, 2024"],
            "{page}"
        );
    }
    assert_eq!(
        attrs(&app.page(path).await.1, ".today time", "datetime"),
        ["2024-04-16"]
    );
}

async fn byline_links_to_author_pages(app: TestApp) {
    let (status, page) = app
        .page("/how-do-russia-pakistan-china-iran-and-india-view-the-talibans-rise-in-afghanistan")
        .await;
    assert_eq!(status, 200);
    assert_eq!(texts(&page, ".story .byline"), ["By Sana Mirza"]);
    assert_eq!(
        attrs(&page, ".story .byline a", "href"),
        ["/author/sana-mirza"]
    );
    assert!(
        texts(&page, ".story .attribution").is_empty(),
        "staff copy carries no agency line"
    );
}

async fn urdu_article_is_right_to_left(app: TestApp) {
    let (_, home) = app.page("/").await;
    let selector = scraper::Selector::parse(".teaser-headline[lang=ur][dir=rtl] a").unwrap();
    let link = home
        .select(&selector)
        .next()
        .expect("an Urdu teaser on the home page");
    assert_eq!(
        link.value().attr("href").unwrap(),
        SitePath::article(&Slug::from_title(&link.text().collect::<String>()).unwrap()).as_str()
    );
    let (status, page) = app.page(link.value().attr("href").unwrap()).await;
    assert_eq!(status, 200);
    for part in [".story .headline", ".story .standfirst", ".story-body"] {
        assert_eq!(attrs(&page, part, "lang"), ["ur"], "{part}");
        assert_eq!(attrs(&page, part, "dir"), ["rtl"], "{part}");
    }
    assert_eq!(
        attrs(&page, ".story .dateline", "dir"),
        Vec::<String>::new(),
        "dates and labels stay in the site's language and direction"
    );
    assert_eq!(
        attrs(&page, "html", "dir"),
        ["ltr"],
        "the site around it stays English"
    );
}
