//! Feeds, sitemaps, robots.txt and the metadata in page heads, checked by third-party parsers and
//! validators as well as by reading the documents.

use chrono::Duration;
use dateline_domain::{ArticleStatus, ArticleStore, Clock, SitePath, SiteStore};
use dateline_services::syndication::{self, SitemapPage};
use reqwest::StatusCode;
use reqwest::header;
use serde_json::Value;

use crate::checkers;
use crate::harness::{TestApp, attrs, on_both_backends, story};

on_both_backends!(
    every_feed_parses_without_errors_and_links_absolutely,
    feed_dates_carry_the_publication_offset,
    feed_items_show_the_body_as_the_page_does,
    feeds_answer_conditional_requests_with_304,
    unpublished_article_leaves_feeds_and_sitemaps,
    bad_feed_and_sitemap_paths_are_404,
    sitemaps_validate_and_list_every_published_article,
    article_sitemaps_are_paged_by_id_range,
    news_sitemap_lists_the_last_two_days_with_publication_and_language,
    robots_txt_points_at_the_sitemap_index,
    article_page_carries_open_graph_twitter_and_news_article_json_ld,
    json_ld_survives_a_script_tag_in_a_headline,
    fronts_carry_feed_links_and_website_search_action,
    feed_path_is_never_an_article_slug,
    urdu_article_has_one_address_everywhere,
);

const SEED: &str = "/imran-khan-extends-invitation-to-putin-discuss-ties-on-call";

/// The base URL the site's links use (none is set in the demo's settings: the server's address).
async fn base_url(app: &TestApp) -> String {
    app.state.site().base_url.clone()
}

async fn fetch(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let response = app.get(path).await;
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).expect("JSON")
}

/// Every `href`/`src` in feed item HTML.
fn links_in(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_fragment(html);
    let mut links = attrs(&doc, "[href]", "href");
    links.extend(attrs(&doc, "[src]", "src"));
    links
}

const FEED_PATHS: [&str; 4] = [
    "/",
    "/section/world/",
    "/tag/russia/",
    "/author/sana-mirza/",
];

async fn every_feed_parses_without_errors_and_links_absolutely(app: TestApp) {
    let test = "syndication::every_feed_parses_without_errors_and_links_absolutely";
    let base = base_url(&app).await;
    // A control character pasted into a standfirst or body is refused on save now; one stored
    // before that (written here straight to the database) must not break the XML.
    let mut pasted = story("Pasted copy", "World", app.clock.now());
    pasted.tags = vec!["Russia".into()];
    pasted.authors = vec!["Sana Mirza".into()];
    let prepared = dateline_services::articles::prepare(app.store.as_ref(), &pasted)
        .await
        .unwrap();
    let mut content = prepared.content;
    content.standfirst = "A bell \u{7} rang.".into();
    content.body = "Text with a \u{1} control character & <b>markup</b>.\n".into();
    content.body_html = "<p>Text with a \u{1} control character &amp; <b>markup</b>.</p>\n".into();
    let now = app.clock.now();
    let labels = dateline_services::articles::ensure_labels(app.store.as_ref(), &content)
        .await
        .unwrap();
    let mut article = dateline_services::articles::new_article(
        content,
        labels,
        prepared.base_slug,
        ArticleStatus::Published,
        now,
    );
    article.published_at = Some(now);
    app.store.insert_article(&article).await.unwrap();
    for prefix in FEED_PATHS {
        for (file, media_type) in [
            ("feed.xml", "application/rss+xml"),
            ("feed.atom", "application/atom+xml"),
            ("feed.json", "application/feed+json"),
        ] {
            let path = format!("{prefix}{file}");
            let (status, headers, body) = fetch(&app, &path).await;
            assert_eq!(status, 200, "{path}");
            assert_eq!(
                headers[header::CONTENT_TYPE],
                format!("{media_type}; charset=utf-8").as_str(),
                "{path}"
            );
            assert!(headers.contains_key(header::ETAG), "{path}");
            assert!(headers.contains_key(header::LAST_MODIFIED), "{path}");
            if file == "feed.json" {
                let feed = json(&body);
                assert_eq!(feed["feed_url"], format!("{base}{path}"), "{path}");
                let items = feed["items"].as_array().unwrap();
                assert!(!items.is_empty(), "{path}");
                for item in items {
                    assert!(item["url"].as_str().unwrap().starts_with(&base), "{item}");
                    for link in links_in(item["content_html"].as_str().unwrap()) {
                        assert!(link.starts_with(&base), "{path}: relative link {link}");
                    }
                }
                if checkers::has_feedparser(test) {
                    let problems = checkers::json_feed_problems(&body);
                    assert!(problems.is_empty(), "{path}: {problems:#?}");
                }
                continue;
            }
            if !checkers::has_feedparser(test) {
                continue;
            }
            let parsed = checkers::feedparser(&body);
            assert_eq!(parsed["bozo"], false, "{path}: {}", parsed["error"]);
            let version = if file == "feed.xml" {
                "rss20"
            } else {
                "atom10"
            };
            assert_eq!(parsed["version"], version, "{path}");
            assert_eq!(parsed["self"][0], format!("{base}{path}"), "{path}");
            let entries = parsed["entries"].as_array().unwrap();
            assert!(!entries.is_empty(), "{path}");
            for entry in entries {
                let link = entry["link"].as_str().unwrap();
                assert!(link.starts_with(&base), "{path}: {link}");
                assert!(entry["content"].is_string(), "{path}: no content: {entry}");
                assert!(entry["summary"].is_string(), "{path}: no summary: {entry}");
                for link in links_in(entry["content"].as_str().unwrap()) {
                    assert!(link.starts_with(&base), "{path}: relative link {link}");
                }
            }
        }
    }
}

async fn feed_dates_carry_the_publication_offset(app: TestApp) {
    let base = base_url(&app).await;
    let seed = format!("{base}{SEED}");
    let (_, _, rss) = fetch(&app, "/feed.xml").await;
    let rss = String::from_utf8(rss).unwrap();
    let item = rss
        .split("<item>")
        .find(|i| i.contains(&format!("<link>{seed}</link>")))
        .expect("seed article in the RSS feed");
    assert!(
        item.contains("<pubDate>Wed, 25 Aug 2021 19:30:00 +0500</pubDate>"),
        "RFC 822 in Karachi time: {item}"
    );
    let (_, _, atom) = fetch(&app, "/feed.atom").await;
    let atom = String::from_utf8(atom).unwrap();
    let entry = atom
        .split("<entry")
        .find(|e| e.contains(&format!("<id>{seed}</id>")))
        .expect("seed article in the Atom feed");
    assert!(
        entry.contains("<published>2021-08-25T19:30:00+05:00</published>"),
        "{entry}"
    );
    assert!(
        entry.contains("<updated>2021-08-25T19:30:00+05:00</updated>"),
        "{entry}"
    );
    let (_, _, body) = fetch(&app, "/feed.json").await;
    let feed = json(&body);
    let item = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == seed.as_str())
        .expect("seed article in the JSON feed");
    assert_eq!(item["date_published"], "2021-08-25T19:30:00+05:00");
    // The newest demo article went out on 2021-08-30 at 12:10 in Karachi.
    assert!(
        rss.contains("<lastBuildDate>Mon, 30 Aug 2021 12:10:00 +0500</lastBuildDate>"),
        "{rss}"
    );
}

async fn feed_items_show_the_body_as_the_page_does(app: TestApp) {
    let base = base_url(&app).await;
    let mut input = story("Relative links become absolute", "World", app.clock.now());
    input.body = "See [the World desk](/section/world) and ![map](/static/logo.png).\n\n\
                  ::: read-more /saudi-arabia-signs-military-pact-with-russia\n"
        .into();
    input.authors = vec!["Sana Mirza".into()];
    app.create(input).await;
    let (_, _, body) = fetch(&app, "/feed.json").await;
    let feed = json(&body);
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items[0]["title"], "Relative links become absolute");
    let html = items[0]["content_html"].as_str().unwrap();
    assert!(
        html.contains(&format!("href=\"{base}/section/world\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("src=\"{base}/static/logo.png\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "Read More: <a href=\"{base}/saudi-arabia-signs-military-pact-with-russia\">Saudi Arabia signs military pact with Russia</a>"
        )),
        "{html}"
    );
    assert_eq!(items[0]["authors"][0]["name"], "Sana Mirza");
    assert_eq!(
        items[0]["authors"][0]["url"],
        format!("{base}/author/sana-mirza")
    );

    // The seed article: four Read More blocks, the attribution, nothing of the markers.
    let seed = items
        .iter()
        .find(|i| i["url"] == format!("{base}{SEED}").as_str())
        .unwrap();
    let html = seed["content_html"].as_str().unwrap();
    assert_eq!(html.matches("Read More: ").count(), 4, "{html}");
    assert!(!html.contains("dateline:read-more"), "{html}");
    assert!(html.contains("Via APP with additional inputs from GVS"));
    assert_eq!(
        seed["summary"],
        "President Putin called Prime Minister Imran Khan to discuss the situation in Afghanistan and to expand grounds on bilateral cooperation."
    );
    assert_eq!(
        seed["tags"],
        serde_json::json!(["Pakistan", "Russia", "Afghanistan", "Foreign Policy"])
    );

    // Unpublishing a Read More target drops the block from the feed, as from the page.
    let target = app
        .store
        .article_by_slug(
            &dateline_domain::Slug::parse("saudi-arabia-signs-military-pact-with-russia").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    app.set_status(&target, ArticleStatus::Draft).await;
    let (_, _, body) = fetch(&app, "/feed.json").await;
    let feed = json(&body);
    let seed = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["url"] == format!("{base}{SEED}").as_str())
        .unwrap();
    assert_eq!(
        seed["content_html"]
            .as_str()
            .unwrap()
            .matches("Read More: ")
            .count(),
        3
    );
}

async fn conditional_get(
    app: &TestApp,
    path: &str,
    name: header::HeaderName,
    value: &str,
) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header(name, value)
        .send()
        .await
        .unwrap()
}

async fn feeds_answer_conditional_requests_with_304(app: TestApp) {
    for path in [
        "/feed.xml",
        "/section/world/feed.atom",
        "/tag/russia/feed.json",
    ] {
        let (status, headers, _) = fetch(&app, path).await;
        assert_eq!(status, 200);
        let etag = headers[header::ETAG].to_str().unwrap().to_owned();
        let modified = headers[header::LAST_MODIFIED].to_str().unwrap().to_owned();
        assert!(modified.ends_with(" GMT"), "{modified}");
        let again = conditional_get(&app, path, header::IF_NONE_MATCH, &etag).await;
        assert_eq!(again.status(), 304, "{path}: If-None-Match");
        assert_eq!(again.headers()[header::ETAG], etag.as_str());
        assert!(again.bytes().await.unwrap().is_empty());
        let again = conditional_get(&app, path, header::IF_MODIFIED_SINCE, &modified).await;
        assert_eq!(again.status(), 304, "{path}: If-Modified-Since");
        let stale = conditional_get(&app, path, header::IF_NONE_MATCH, "\"0000\"").await;
        assert_eq!(stale.status(), 200, "{path}: another ETag");
        let earlier = conditional_get(
            &app,
            path,
            header::IF_MODIFIED_SINCE,
            "Mon, 01 Jan 2001 00:00:00 GMT",
        )
        .await;
        assert_eq!(earlier.status(), 200, "{path}: older copy");
    }

    // A new story changes the document, its ETag and its Last-Modified.
    let (_, before, _) = fetch(&app, "/feed.xml").await;
    let (_, tag_before, _) = fetch(&app, "/tag/russia/feed.json").await;
    app.create(story("Fresh story", "World", app.clock.now()))
        .await;
    let etag = before[header::ETAG].to_str().unwrap();
    let modified = before[header::LAST_MODIFIED].to_str().unwrap();
    let after = conditional_get(&app, "/feed.xml", header::IF_NONE_MATCH, etag).await;
    assert_eq!(after.status(), 200);
    assert_ne!(after.headers()[header::ETAG], etag);
    let after = conditional_get(&app, "/feed.xml", header::IF_MODIFIED_SINCE, modified).await;
    assert_eq!(after.status(), 200);
    assert_eq!(
        after.headers()[header::LAST_MODIFIED],
        "Tue, 16 Apr 2024 05:00:00 GMT"
    );
    // ... but not the feed of a tag it does not carry: that document is unchanged.
    let tag_etag = tag_before[header::ETAG].to_str().unwrap();
    let tag = conditional_get(
        &app,
        "/tag/russia/feed.json",
        header::IF_NONE_MATCH,
        tag_etag,
    )
    .await;
    assert_eq!(tag.status(), 304);
}

async fn unpublished_article_leaves_feeds_and_sitemaps(app: TestApp) {
    let now = app.clock.now();
    let mut input = story(
        "Story that will be withdrawn",
        "World",
        now - Duration::hours(1),
    );
    input.tags = vec!["Russia".into()];
    input.authors = vec!["Sana Mirza".into()];
    let article = app.create(input).await;
    let slug = format!("/{}", article.slug);
    let paths = [
        "/feed.xml",
        "/feed.atom",
        "/feed.json",
        "/section/world/feed.xml",
        "/tag/russia/feed.atom",
        "/author/sana-mirza/feed.json",
        "/sitemaps/articles-1.xml",
        "/sitemaps/news.xml",
    ];
    let mut validators = Vec::new();
    for path in paths {
        let (status, headers, body) = fetch(&app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            String::from_utf8(body).unwrap().contains(&slug),
            "{path} lists the story"
        );
        validators.push(headers.get(header::LAST_MODIFIED).cloned());
    }
    // Some minutes later the desk withdraws it.
    app.clock.set(now + Duration::minutes(10));
    app.set_status(&article, ArticleStatus::Draft).await;
    for (path, before) in paths.iter().zip(&validators) {
        let (status, headers, body) = fetch(&app, path).await;
        let body = String::from_utf8(body).unwrap();
        if *path == "/sitemaps/news.xml" {
            assert!(status == 404 || !body.contains(&slug), "{path}: {body}");
            continue;
        }
        assert_eq!(status, 200, "{path}");
        assert!(!body.contains(&slug), "{path} still lists it");
        if let Some(before) = before {
            let since = before.to_str().unwrap();
            assert_ne!(headers[header::LAST_MODIFIED], since, "{path}");
            let again = conditional_get(&app, path, header::IF_MODIFIED_SINCE, since).await;
            assert_eq!(
                again.status(),
                200,
                "{path}: a copy from before the withdrawal is stale"
            );
        }
    }
}

async fn bad_feed_and_sitemap_paths_are_404(app: TestApp) {
    for path in [
        "/section/nowhere/feed.xml",
        "/section/Bad%20Slug/feed.atom",
        "/tag/no-such-tag/feed.json",
        "/author/nobody/feed.xml",
        "/author/sana-mirza/feed.rss",
        "/feed.xmlx",
        "/feeds.xml",
        "/sitemaps/articles-0.xml",
        "/sitemaps/articles-01.xml",
        "/sitemaps/articles-2.xml",
        "/sitemaps/articles-99999999999999.xml",
        "/sitemaps/unknown.xml",
        "/sitemaps",
        "/sitemaps/news.xml",
    ] {
        let (status, headers, _) = fetch(&app, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}: the site's 404 page"
        );
    }
}

async fn sitemaps_validate_and_list_every_published_article(app: TestApp) {
    let test = "syndication::sitemaps_validate_and_list_every_published_article";
    let base = base_url(&app).await;
    app.create(story(
        "Story of this morning",
        "Pakistan",
        app.clock.now() - Duration::hours(2),
    ))
    .await;
    let mut draft = story("Draft story", "Pakistan", app.clock.now());
    draft.status = ArticleStatus::Draft;
    app.create(draft).await;

    let (status, headers, index) = fetch(&app, "/sitemap.xml").await;
    assert_eq!(status, 200);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/xml; charset=utf-8"
    );
    let index = String::from_utf8(index).unwrap();
    let locs = |xml: &str| -> Vec<String> {
        xml.split("<loc>")
            .skip(1)
            .map(|s| s.split("</loc>").next().unwrap().to_owned())
            .collect()
    };
    let pages = locs(&index);
    assert_eq!(
        pages,
        [
            format!("{base}/sitemaps/sections.xml"),
            format!("{base}/sitemaps/news.xml"),
            format!("{base}/sitemaps/articles-1.xml"),
        ]
    );
    let checks = checkers::has_xmllint(test);
    let schemas = checks.then(checkers::SitemapSchemas::new);
    if let Some(schemas) = &schemas {
        checkers::xmllint(index.as_bytes(), &schemas.index).expect("sitemap index is valid");
    }
    let mut articles = Vec::new();
    for page in &pages {
        let path = page.strip_prefix(&base).unwrap();
        let (status, _, body) = fetch(&app, path).await;
        assert_eq!(status, 200, "{path}");
        if let Some(schemas) = &schemas {
            let schema = if path.ends_with("news.xml") {
                &schemas.news
            } else {
                &schemas.urlset
            };
            if let Err(e) = checkers::xmllint(&body, schema) {
                panic!("{path} is not a valid sitemap: {e}");
            }
        }
        let body = String::from_utf8(body).unwrap();
        if path.contains("articles-") {
            assert_eq!(
                body.matches("<url>").count(),
                body.matches("<lastmod>").count(),
                "every article has a lastmod"
            );
            assert!(
                body.contains(&format!(
                    "<loc>{base}{SEED}</loc>\n    <lastmod>2021-08-25T19:30:00+05:00</lastmod>"
                )),
                "{body}"
            );
            articles.extend(locs(&body));
        }
        if path.ends_with("sections.xml") {
            let fronts = locs(&body);
            assert_eq!(fronts[0], format!("{base}/"));
            assert!(
                fronts.contains(&format!("{base}/section/world")),
                "{fronts:?}"
            );
        }
    }
    assert_eq!(
        articles.len(),
        13,
        "12 demo articles and this morning's, no draft"
    );
    assert!(articles.contains(&format!("{base}/story-of-this-morning")));
    assert!(!articles.iter().any(|a| a.contains("draft-story")));
    assert!(
        articles
            .iter()
            .any(|a| a.starts_with(&format!("{base}/%DA%A9%D8%B1%D8%A7%DA%86%DB%8C"))),
        "the Urdu article's URL is percent-encoded: {articles:?}"
    );
}

async fn article_sitemaps_are_paged_by_id_range(app: TestApp) {
    let site = app.store.site_settings().await.unwrap().unwrap();
    let now = app.clock.now();
    for i in 0..9 {
        let mut input = story(&format!("Paged story {i}"), "World", now);
        if i % 4 == 1 {
            input.status = ArticleStatus::Draft;
        }
        app.create(input).await;
    }
    // 12 demo articles and 9 more: ids 1..=21 with 5 ids a page make pages 1 to 5.
    let max = app.store.max_article_id().await.unwrap().unwrap().0;
    assert_eq!(max, 21);
    let store = app.store.as_ref();
    let index = syndication::sitemap_index(store, &site, now, 5)
        .await
        .unwrap();
    for n in 1..=5 {
        assert!(
            index.contains(&format!("/sitemaps/articles-{n}.xml</loc>")),
            "{index}"
        );
    }
    assert!(!index.contains("articles-6.xml"), "{index}");
    let mut seen = 0;
    for n in 1..=6 {
        let page = syndication::sitemap(store, &site, &SitemapPage::Articles(n), now, 5)
            .await
            .unwrap();
        let Some(page) = page else {
            assert_eq!(n, 6, "only the page past the end is missing");
            break;
        };
        let urls = page.matches("<url>").count();
        assert!((1..=5).contains(&urls), "page {n}: {urls} URLs");
        seen += urls;
    }
    assert_eq!(seen, 12 + 9 - 2, "every published article once, no draft");
}

async fn news_sitemap_lists_the_last_two_days_with_publication_and_language(app: TestApp) {
    let now = app.clock.now();
    app.create(story(
        "Breaking this hour",
        "Pakistan",
        now - Duration::minutes(30),
    ))
    .await;
    app.create(story(
        "Yesterday's story",
        "World",
        now - Duration::hours(30),
    ))
    .await;
    app.create(story("Three days old", "World", now - Duration::days(3)))
        .await;
    let mut urdu = story("کراچی میں آج بارش", "Pakistan", now - Duration::hours(1));
    urdu.language = "ur".into();
    app.create(urdu).await;
    let (status, _, body) = fetch(&app, "/sitemaps/news.xml").await;
    assert_eq!(status, 200);
    let body = String::from_utf8(body).unwrap();
    assert_eq!(body.matches("<url>").count(), 3, "{body}");
    assert!(!body.contains("three-days-old"), "{body}");
    assert!(body.contains("<news:name>Global Village Space</news:name>"));
    assert!(body.contains("<news:language>en</news:language>"));
    assert!(body.contains("<news:language>ur</news:language>"));
    assert!(body.contains("<news:title>Breaking this hour</news:title>"));
    assert!(
        body.contains("<news:publication_date>2024-04-16T09:30:00+05:00</news:publication_date>"),
        "{body}"
    );
    // Two days later it has all aged out and the index no longer lists it.
    app.clock.set(now + Duration::days(3));
    let (status, _, _) = fetch(&app, "/sitemaps/news.xml").await;
    assert_eq!(status, 404, "an empty news sitemap is not served");
    let (_, _, index) = fetch(&app, "/sitemap.xml").await;
    assert!(!String::from_utf8(index).unwrap().contains("news.xml"));
}

async fn robots_txt_points_at_the_sitemap_index(app: TestApp) {
    let base = base_url(&app).await;
    let (status, headers, body) = fetch(&app, "/robots.txt").await;
    assert_eq!(status, 200);
    assert_eq!(headers[header::CONTENT_TYPE], "text/plain; charset=utf-8");
    let body = String::from_utf8(body).unwrap();
    assert!(body.starts_with("User-agent: *\n"), "{body}");
    assert!(
        body.lines()
            .any(|l| l == format!("Sitemap: {base}/sitemap.xml")),
        "{body}"
    );
}

/// The parsed JSON-LD blocks of a page.
pub(crate) fn json_ld(html: &scraper::Html) -> Vec<Value> {
    let selector = scraper::Selector::parse("script[type=\"application/ld+json\"]").unwrap();
    html.select(&selector)
        .map(|s| serde_json::from_str(&s.text().collect::<String>()).expect("JSON-LD parses"))
        .collect()
}

fn meta(html: &scraper::Html, attr: &str, key: &str) -> Vec<String> {
    attrs(html, &format!("meta[{attr}=\"{key}\"]"), "content")
}

async fn article_page_carries_open_graph_twitter_and_news_article_json_ld(app: TestApp) {
    let base = base_url(&app).await;
    let (status, page) = app.page(SEED).await;
    assert_eq!(status, 200);
    let url = format!("{base}{SEED}");
    assert_eq!(attrs(&page, "link[rel=canonical]", "href"), [url.as_str()]);
    let standfirst = "President Putin called Prime Minister Imran Khan to discuss the situation in Afghanistan and to expand grounds on bilateral cooperation.";
    assert_eq!(meta(&page, "name", "description"), [standfirst]);
    assert_eq!(meta(&page, "property", "og:type"), ["article"]);
    assert_eq!(
        meta(&page, "property", "og:title"),
        ["Imran Khan extends invitation to Putin, discuss ties on call"]
    );
    assert_eq!(meta(&page, "property", "og:url"), [url.as_str()]);
    assert_eq!(meta(&page, "property", "og:description"), [standfirst]);
    assert_eq!(
        meta(&page, "property", "article:published_time"),
        ["2021-08-25T19:30:00+05:00"]
    );
    assert_eq!(
        meta(&page, "property", "article:tag"),
        ["Russia", "Afghanistan", "Foreign Policy"]
    );
    assert_eq!(meta(&page, "name", "twitter:card"), ["summary_large_image"]);
    let image = meta(&page, "property", "og:image");
    assert_eq!(image, [format!("{base}/static/default-image.png")]);
    assert_eq!(meta(&page, "name", "twitter:image"), image);

    let blocks = json_ld(&page);
    assert_eq!(blocks.len(), 1);
    let a = &blocks[0];
    assert_eq!(a["@context"], "https://schema.org");
    assert_eq!(a["@type"], "NewsArticle");
    assert_eq!(
        a["headline"],
        "Imran Khan extends invitation to Putin, discuss ties on call"
    );
    assert_eq!(a["description"], standfirst);
    assert_eq!(a["datePublished"], "2021-08-25T19:30:00+05:00");
    assert_eq!(a["dateModified"], "2021-08-25T19:30:00+05:00");
    assert_eq!(a["mainEntityOfPage"]["@id"], url.as_str());
    assert_eq!(a["articleSection"], "Pakistan");
    assert_eq!(
        a["keywords"],
        serde_json::json!(["Russia", "Afghanistan", "Foreign Policy"])
    );
    assert_eq!(a["inLanguage"], "en");
    assert_eq!(a["publisher"]["name"], "Global Village Space");
    let logo = a["publisher"]["logo"]["url"].as_str().unwrap();
    assert_eq!(logo, format!("{base}/static/logo.png"));
    assert_eq!(a["image"][0]["url"], image[0].as_str());
    // No byline on the seed article: the publication is the author.
    assert_eq!(a["author"][0]["@type"], "Organization");
    assert_eq!(a["author"][0]["name"], "Global Village Space");
    // The agency the copy came from, and the line readers see.
    assert_eq!(a["creditText"], "Via APP with additional inputs from GVS");
    assert_eq!(a["sourceOrganization"]["name"], "APP");

    // The images named are ours and served.
    for path in [
        "/static/logo.png",
        "/static/default-image.png",
        "/static/logo.svg",
    ] {
        let (status, headers, body) = fetch(&app, path).await;
        assert_eq!(status, 200, "{path}");
        let kind = headers[header::CONTENT_TYPE].to_str().unwrap().to_owned();
        assert!(kind.starts_with("image/"), "{path}: {kind}");
        if kind == "image/png" {
            assert_eq!(&body[..8], b"\x89PNG\r\n\x1a\n", "{path}");
            let (w, h) = (
                u32::from_be_bytes(body[16..20].try_into().unwrap()),
                u32::from_be_bytes(body[20..24].try_into().unwrap()),
            );
            let expected = if path.ends_with("logo.png") {
                (600, 60)
            } else {
                (1200, 630)
            };
            assert_eq!((w, h), expected, "{path}");
        }
    }

    // A bylined article names its authors with their pages; an update moves dateModified.
    let mut input = story(
        "Bylined story",
        "World",
        app.clock.now() - Duration::hours(3),
    );
    input.authors = vec!["Sana Mirza".into(), "Ahmed Raza".into()];
    input.tags = vec!["Russia".into()];
    let article = app.create(input).await;
    app.clock.set(app.clock.now() + Duration::hours(1));
    app.set_status(&article, ArticleStatus::Published).await;
    let (_, page) = app.page(&format!("/{}", article.slug)).await;
    let a = &json_ld(&page)[0];
    assert_eq!(a["author"][0]["@type"], "Person");
    assert_eq!(a["author"][0]["name"], "Sana Mirza");
    assert_eq!(a["author"][0]["url"], format!("{base}/author/sana-mirza"));
    assert_eq!(a["author"][1]["name"], "Ahmed Raza");
    assert_eq!(a["datePublished"], "2024-04-16T07:00:00+05:00");
    assert_eq!(a["dateModified"], "2024-04-16T11:00:00+05:00");
    assert_eq!(a["articleSection"], "World");
}

async fn json_ld_survives_a_script_tag_in_a_headline(app: TestApp) {
    let headline = "Why </script><script>alert(1)</script> & <!-- matter";
    let mut input = story(headline, "World", app.clock.now());
    input.standfirst = "A standfirst with </SCRIPT> in it.".into();
    input.body = "A plain body.\n".into();
    let article = app.create(input).await;
    let response = app.get(&format!("/{}", article.slug)).await;
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let html = response.text().await.unwrap();
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(!html.to_lowercase().contains("</script><script"));
    let page = scraper::Html::parse_document(&html);
    let blocks = json_ld(&page);
    assert_eq!(blocks[0]["headline"], headline);
    assert_eq!(
        blocks[0]["description"],
        "A standfirst with </SCRIPT> in it."
    );
}

async fn fronts_carry_feed_links_and_website_search_action(app: TestApp) {
    let base = base_url(&app).await;
    let (_, home) = app.page("/").await;
    assert_eq!(
        attrs(&home, "link[rel=alternate]", "href"),
        ["/feed.xml", "/feed.atom", "/feed.json"]
    );
    assert_eq!(
        attrs(&home, "link[rel=alternate]", "type"),
        [
            "application/rss+xml",
            "application/atom+xml",
            "application/feed+json"
        ]
    );
    let graph = &json_ld(&home)[0]["@graph"];
    let site = graph
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["@type"] == "WebSite")
        .unwrap();
    assert_eq!(site["url"], format!("{base}/"));
    assert_eq!(site["potentialAction"]["@type"], "SearchAction");
    assert_eq!(
        site["potentialAction"]["target"]["urlTemplate"],
        format!("{base}/search?q={{search_term_string}}")
    );
    assert_eq!(
        site["potentialAction"]["query-input"],
        "required name=search_term_string"
    );
    for (path, feed) in [
        ("/section/world", "/section/world/feed.xml"),
        ("/tag/russia", "/tag/russia/feed.xml"),
        ("/author/sana-mirza", "/author/sana-mirza/feed.xml"),
    ] {
        let (_, page) = app.page(path).await;
        let links = attrs(&page, "link[rel=alternate]", "href");
        assert_eq!(links.len(), 6, "{path}: {links:?}");
        assert!(links.contains(&feed.to_owned()), "{path}: {links:?}");
        for link in links {
            let (status, _, _) = fetch(&app, &link).await;
            assert_eq!(status, 200, "{path}: {link}");
        }
        let graph = &json_ld(&page)[0]["@graph"];
        let collection = graph
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["@type"] == "CollectionPage")
            .unwrap();
        assert_eq!(collection["url"], format!("{base}{path}"));
        assert!(
            graph
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["potentialAction"]["@type"] == "SearchAction")
        );
    }
    // Article pages and the 404 page link the site's feeds too.
    let (_, article) = app.page(SEED).await;
    assert_eq!(attrs(&article, "link[rel=alternate]", "href").len(), 3);
}

async fn feed_path_is_never_an_article_slug(app: TestApp) {
    // A headline that reads like a reserved path gets a slug that cannot be one.
    let article = app
        .create(story("Feed.xml", "World", app.clock.now()))
        .await;
    assert_eq!(article.slug.as_str(), "feed-xml");
    let (status, headers, _) = fetch(&app, "/feed.xml").await;
    assert_eq!(status, 200);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/rss+xml")
    );
    let (status, _) = app.page("/feed-xml").await;
    assert_eq!(status, 200);
    // A headline that is a reserved top-level name gets a slug that does not shadow the route.
    for (headline, path) in [
        ("Search", "/search"),
        ("Healthz", "/healthz"),
        ("Sitemaps", "/sitemaps"),
    ] {
        let article = app.create(story(headline, "World", app.clock.now())).await;
        assert_ne!(format!("/{}", article.slug), path);
        let (status, page) = app.page(&format!("/{}", article.slug)).await;
        assert_eq!(status, 200, "{headline}");
        assert_eq!(crate::harness::texts(&page, "h1.headline"), [headline]);
    }
}

/// An Urdu slug is written one way, percent-encoded UTF-8, in the canonical link, Open Graph,
/// JSON-LD, feeds, sitemaps, the search API and the page's own links; and that address answers.
async fn urdu_article_has_one_address_everywhere(app: TestApp) {
    let base = base_url(&app).await;
    let mut input = story(
        "کراچی میں آج بارش",
        "Pakistan",
        app.clock.now() - Duration::hours(1),
    );
    input.language = "ur".into();
    input.tags = vec!["کراچی موسم".into()];
    input.authors = vec!["ثنا مرزا".into()];
    let article = app.create(input).await;
    let path = SitePath::article(&article.slug);
    let url = format!("{base}{path}");
    assert!(
        path.as_str()
            .starts_with("/%DA%A9%D8%B1%D8%A7%DA%86%DB%8C-"),
        "{path}"
    );

    // The page, reached by its address and by its letters as typed.
    let (status, page) = app.page(path.as_str()).await;
    assert_eq!(status, 200, "{path}");
    let (status, _) = app.page(&path.decoded()).await;
    assert_eq!(status, 200, "{}", path.decoded());
    assert_eq!(attrs(&page, "link[rel=canonical]", "href"), [url.as_str()]);
    assert_eq!(meta(&page, "property", "og:url"), [url.as_str()]);
    let ld = &json_ld(&page)[0];
    assert_eq!(ld["url"], url.as_str());
    assert_eq!(ld["mainEntityOfPage"]["@id"], url.as_str());
    let tag = SitePath::tag(&article.tags[0].slug);
    let author = SitePath::author(&article.authors[0].slug);
    assert_eq!(ld["author"][0]["url"], format!("{base}{author}"));
    assert_eq!(attrs(&page, ".story .tags a", "href"), [tag.as_str()]);
    assert_eq!(attrs(&page, ".story .byline a", "href"), [author.as_str()]);

    // Feeds: the item's link and id, and the byline's page.
    let (_, _, rss) = fetch(&app, "/feed.xml").await;
    let rss = String::from_utf8(rss).unwrap();
    assert!(rss.contains(&format!("<link>{url}</link>")), "{rss}");
    let (_, _, feed) = fetch(&app, "/feed.json").await;
    let feed = json(&feed);
    let item = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == url.as_str())
        .expect("the Urdu article in the JSON feed");
    assert_eq!(item["url"], url.as_str());
    assert_eq!(item["authors"][0]["url"], format!("{base}{author}"));

    // Sitemaps: the article and the news sitemaps.
    for sitemap in ["/sitemaps/articles-1.xml", "/sitemaps/news.xml"] {
        let (status, _, body) = fetch(&app, sitemap).await;
        assert_eq!(status, 200, "{sitemap}");
        let body = String::from_utf8(body).unwrap();
        assert!(
            body.contains(&format!("<loc>{url}</loc>")),
            "{sitemap}: {body}"
        );
    }

    // The search API and the search page.
    let (status, _, body) = fetch(&app, "/api/search?q=%D8%A8%D8%A7%D8%B1%D8%B4&sort=newest").await;
    assert_eq!(status, 200);
    let hits = json(&body)["results"].clone();
    let hit = hits
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == article.id.0)
        .expect("the Urdu article found");
    assert_eq!(hit["url"], url.as_str());
    assert_eq!(hit["path"], path.as_str());
    let (_, results) = app
        .page("/search?q=%D8%A8%D8%A7%D8%B1%D8%B4&sort=newest")
        .await;
    assert!(
        attrs(&results, "a", "href").contains(&path.to_string()),
        "the search page links to {path}"
    );

    // The tag's front: its canonical link and feed links use the same form, and answer.
    let (status, front) = app.page(tag.as_str()).await;
    assert_eq!(status, 200, "{tag}");
    assert_eq!(
        attrs(&front, "link[rel=canonical]", "href"),
        [format!("{base}{tag}")]
    );
    let feeds = attrs(&front, "link[rel=alternate]", "href");
    let tag_feed = tag.feed(syndication::FeedFormat::Atom);
    assert!(feeds.contains(&tag_feed.to_string()), "{feeds:?}");
    let (status, _, atom) = fetch(&app, tag_feed.as_str()).await;
    assert_eq!(status, 200, "{tag_feed}");
    let atom = String::from_utf8(atom).unwrap();
    assert!(
        atom.contains(&format!("href=\"{base}{tag_feed}\"")),
        "the feed names itself by the same address: {atom}"
    );
    assert!(
        attrs(&front, ".teaser-headline a", "href").contains(&path.to_string()),
        "the front links to {path}"
    );
}
