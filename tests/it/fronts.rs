//! Home, section, tag and author fronts; pagination; 404s; bad input to the article service.

use chrono::Duration;
use dateline_domain::{ArticleStatus, ArticleStore, LabelStore};
use dateline_services::ServiceError;
use dateline_services::articles::create_article;

use crate::harness::{TestApp, attrs, on_both_backends, reference_day, story, texts};

on_both_backends!(
    home_lists_latest_articles_with_standfirst_section_and_time,
    section_tag_and_author_fronts_list_their_articles_newest_first,
    fronts_paginate_with_keyset_links_both_ways,
    unknown_urls_get_a_404_page_in_the_site_layout,
    drafts_are_not_public,
    old_style_trailing_slash_links_redirect,
    health_check_answers_when_the_database_does,
    bad_article_input_is_refused_with_every_reason_and_writes_nothing,
    script_in_a_body_never_reaches_the_page,
    every_response_carries_security_headers,
);

async fn home_lists_latest_articles_with_standfirst_section_and_time(app: TestApp) {
    let (status, home) = app.page("/").await;
    assert_eq!(status, 200);
    let headlines = texts(&home, ".teaser-headline");
    assert_eq!(headlines.len(), 12, "every demo article: {headlines:?}");
    assert_eq!(
        headlines[0], "کراچی میں موسم گرم اور مرطوب، ہلکی بارش کا امکان",
        "newest first"
    );
    let times = attrs(&home, ".teaser time", "datetime");
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    assert_eq!(texts(&home, ".teaser .kicker").len(), 12);
    assert_eq!(texts(&home, ".teaser .standfirst").len(), 12);
    assert!(texts(&home, ".pager").is_empty(), "one page only");
    assert_eq!(
        texts(&home, ".welcome"),
        ["Welcome to Global Village Space"]
    );
    assert_eq!(texts(&home, ".today"), ["Tuesday, April 16, 2024"]);
}

async fn section_tag_and_author_fronts_list_their_articles_newest_first(app: TestApp) {
    let (status, world) = app.page("/section/world").await;
    assert_eq!(status, 200);
    assert_eq!(texts(&world, "h1"), ["World"]);
    assert_eq!(
        texts(&world, ".teaser-headline"),
        [
            "Evacuation flights from Kabul wind down as August 31 deadline nears",
            "Saudi Arabia signs military pact with Russia",
            "EU is uninterested in Afghanistan’s stability, FM Lavrov",
        ]
    );
    assert_eq!(
        attrs(&world, "nav.sections a[aria-current=page]", "href"),
        ["/section/world"]
    );
    let (_, russia) = app.page("/tag/russia").await;
    assert_eq!(texts(&russia, "h1"), ["Russia"]);
    let russia = texts(&russia, ".teaser-headline");
    assert_eq!(russia.len(), 5, "{russia:?}");
    assert_eq!(
        russia[0],
        "Imran Khan extends invitation to Putin, discuss ties on call"
    );
    let (_, sana) = app.page("/author/sana-mirza").await;
    assert_eq!(texts(&sana, "h1"), ["Sana Mirza"]);
    assert_eq!(texts(&sana, ".teaser-headline").len(), 2);
}

async fn fronts_paginate_with_keyset_links_both_ways(app: TestApp) {
    let start = reference_day() - Duration::days(30);
    for i in 0..45 {
        // Every third story shares its minute with the previous one: ids break the tie.
        let at = start + Duration::minutes(i - i / 3);
        app.create(story(&format!("Paged story number {i}"), "Paging", at))
            .await;
    }
    let mut path = "/section/paging".to_owned();
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    loop {
        let (status, page) = app.page(&path).await;
        assert_eq!(status, 200, "{path}");
        let headlines = texts(&page, ".teaser-headline");
        pages.push(headlines.len());
        seen.extend(headlines);
        match attrs(&page, ".pager a.older", "href").pop() {
            Some(next) => path = next,
            None => break,
        }
    }
    assert_eq!(pages, [20, 20, 5]);
    let expected: Vec<_> = (0..45)
        .rev()
        .map(|i| format!("Paged story number {i}"))
        .collect();
    assert_eq!(seen, expected, "newest first, each story exactly once");

    // And back up with the "newer" links from the last page.
    let mut back = Vec::new();
    loop {
        let (_, page) = app.page(&path).await;
        let mut headlines = texts(&page, ".teaser-headline");
        headlines.extend(back);
        back = headlines;
        match attrs(&page, ".pager a.newer", "href").pop() {
            Some(newer) => path = newer,
            None => break,
        }
    }
    assert_eq!(back, expected);
    let (status, page) = app.page("/section/paging?before=nonsense").await;
    assert_eq!(status, 200, "a bad cursor means the first page");
    assert_eq!(texts(&page, ".teaser-headline").len(), 20);
}

async fn unknown_urls_get_a_404_page_in_the_site_layout(app: TestApp) {
    for path in [
        "/no-such-story",
        "/section/nope",
        "/tag/nope",
        "/author/nope",
        "/a/b/c",
        "/Upper-Case",
        "/section/%00",
    ] {
        let (status, page) = app.page(path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(texts(&page, "main h1"), ["Page not found"], "{path}");
        assert_eq!(
            texts(&page, ".welcome"),
            ["Welcome to Global Village Space"],
            "{path}"
        );
        assert!(!texts(&page, "nav.sections a").is_empty());
    }
}

async fn drafts_are_not_public(app: TestApp) {
    let mut input = story("A draft nobody may read yet", "World", reference_day());
    input.status = ArticleStatus::Draft;
    let draft = app.create(input).await;
    assert_eq!(app.get(&format!("/{}", draft.slug)).await.status(), 404);
    assert!(!texts(&app.page("/").await.1, ".teaser-headline").contains(&draft.headline));
    app.set_status(&draft, ArticleStatus::Published).await;
    assert_eq!(app.get(&format!("/{}", draft.slug)).await.status(), 200);
    assert_eq!(
        texts(&app.page("/").await.1, ".teaser-headline")[0],
        draft.headline
    );
}

async fn old_style_trailing_slash_links_redirect(app: TestApp) {
    let response = app
        .get("/saudi-arabia-signs-military-pact-with-russia/")
        .await;
    assert_eq!(response.status(), 308);
    assert_eq!(
        response.headers()["location"],
        "/saudi-arabia-signs-military-pact-with-russia"
    );
}

async fn health_check_answers_when_the_database_does(app: TestApp) {
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    app.store.close().await;
    assert_eq!(app.get("/healthz").await.status(), 503);
    let (status, page) = app.page("/").await;
    assert_eq!(
        status, 503,
        "a page that needs the database says it is unavailable"
    );
    assert!(!texts(&page, "h1").is_empty());
}

async fn bad_article_input_is_refused_with_every_reason_and_writes_nothing(app: TestApp) {
    let before = app.store.count_articles().await.unwrap();
    let mut input = story("  ", "", reference_day());
    input.language = "klingon!".into();
    input.standfirst = "x".repeat(1001);
    input.tags = vec!["Fine".into(), "???".into()];
    input.body = "Text.\n\n::: read-more /no-such-article\n\n::: read-more 999999\n".into();
    let Err(ServiceError::Invalid(problems)) =
        create_article(app.store.as_ref(), input, reference_day()).await
    else {
        panic!("bad input was accepted");
    };
    let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
    assert_eq!(
        fields,
        [
            "headline",
            "standfirst",
            "language",
            "section",
            "tags",
            "body",
            "body"
        ],
        "{problems:?}"
    );
    assert!(problems[5].message.contains("line 3"), "{}", problems[5]);
    assert_eq!(
        app.store.count_articles().await.unwrap(),
        before,
        "nothing was written"
    );
    assert!(
        app.store
            .tag_by_slug(&dateline_domain::Slug::parse("fine").unwrap())
            .await
            .unwrap()
            .is_none(),
        "not even a tag"
    );
}

async fn script_in_a_body_never_reaches_the_page(app: TestApp) {
    // Imported copy is not refused (the newsroom's form refuses scripts; see newsroom tests)
    // but whatever it carries is sanitised before any reader sees it.
    let mut input = story(
        "<b>Bold</b> claims & counter-claims",
        "World",
        reference_day(),
    );
    input.body = "Hello <script>alert('x')</script><img src=x onerror=alert(1)>\n\n\
                  [click](javascript:alert(2)) and <em>emphasis</em>\n"
        .into();
    let article = app.create(input).await;
    let html = app
        .get(&format!("/{}", article.slug))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("alert('x')"), "script survived");
    assert!(!html.contains("onerror"), "event handler survived");
    assert!(!html.contains("javascript:"), "javascript URL survived");
    let page = scraper::Html::parse_document(&html);
    assert_eq!(
        texts(&page, ".story-body em"),
        ["emphasis"],
        "allowed markup stays"
    );
    assert_eq!(
        texts(&page, ".story .headline"),
        ["<b>Bold</b> claims & counter-claims"],
        "the headline is text"
    );
    assert!(texts(&page, ".story .headline b").is_empty(), "not markup");
}

async fn every_response_carries_security_headers(app: TestApp) {
    for path in [
        "/",
        "/no-such-page",
        "/imran-khan-extends-invitation-to-putin-discuss-ties-on-call",
        "/healthz",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
    }
}
