//! Search: ranking on the test corpus, phrases, prefixes, Urdu letter variants, filters, order,
//! pagination, the page and the API, publish/unpublish showing at once, and bad input.

use dateline_domain::{ArticleId, ArticleStatus, SearchIndex, SearchQuery, SearchSort, Slug};
use reqwest::StatusCode;
use serde_json::Value;

use crate::corpus::{self, Story};
use crate::harness::{TestApp, attrs, on_both_backends, reference_day, story, texts};

on_both_backends!(
    topic_words_rank_the_topic_first,
    phrase_matches_only_words_side_by_side,
    prefix_matches_the_start_of_words,
    urdu_variant_letters_match_each_other,
    headline_weighs_more_than_body,
    filters_order_and_pages,
    publish_and_unpublish_show_in_the_next_search,
    search_page_shows_results_with_marked_words,
    odd_queries_get_a_page_never_a_server_error,
    api_rejects_bad_parameters_with_a_clear_400,
    a_node_without_an_index_serves_at_once_and_builds_it_in_the_background,
);

async fn search(app: &TestApp, text: &str) -> Vec<ArticleId> {
    let query = SearchQuery {
        text: text.to_owned(),
        limit: 20,
        ..SearchQuery::default()
    };
    app.search
        .search(&query)
        .await
        .expect("search")
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}

fn names(stories: &[Story], ids: &[ArticleId]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            stories
                .iter()
                .find(|s| s.article.id == *id)
                .map_or_else(|| format!("#{id}"), |s| s.name.clone())
        })
        .collect()
}

async fn api(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let response = app.get(path).await;
    let status = response.status();
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "{path}"
    );
    (
        status,
        serde_json::from_str(&response.text().await.unwrap()).expect("json"),
    )
}

async fn topic_words_rank_the_topic_first(app: TestApp) {
    let stories = corpus::load(&app).await;
    for (query, topic) in [
        ("polio vaccination", "polio"),
        ("monsoon floods", "floods"),
        ("IMF inflation", "economy"),
        ("Indus treaty", "water"),
        ("China Pakistan Economic Corridor", "cpec"),
        ("Russia Afghanistan", "diplomacy"),
        ("National Assembly elections", "elections"),
        ("internet software", "technology"),
        ("batsmen bowlers", "cricket"),
    ] {
        let found = names(&stories, &search(&app, query).await);
        assert!(found.len() >= 3, "{query}: {found:?}");
        assert!(
            found[..3].iter().all(|n| n.starts_with(topic)),
            "{query}: {found:?}"
        );
    }
}

async fn phrase_matches_only_words_side_by_side(app: TestApp) {
    let stories = corpus::load(&app).await;
    let mut phrase = names(&stories, &search(&app, "\"pakistan stream\"").await);
    phrase.sort();
    assert_eq!(phrase, ["diplomacy-2", "diplomacy-3"]);
    let words = names(&stories, &search(&app, "pakistan stream").await);
    assert!(
        words.contains(&"cricket-1".to_owned()),
        "both words, apart: {words:?}"
    );
    assert_eq!(words.len(), 3, "{words:?}");
    let unclosed = names(&stories, &search(&app, "\"pakistan stream").await);
    assert_eq!(
        unclosed.len(),
        2,
        "an unclosed quote is a phrase: {unclosed:?}"
    );
    let mut three = names(&stories, &search(&app, "\"Pakistan Stream gas\"").await);
    three.sort();
    assert_eq!(three, ["diplomacy-2", "diplomacy-3"]);
    let mut four = names(
        &stories,
        &search(&app, "\"Pakistan Stream gas pipeline\"").await,
    );
    four.sort();
    assert_eq!(four, ["diplomacy-2", "diplomacy-3"]);
    assert!(
        search(&app, "\"pakistan stream pipeline gas\"")
            .await
            .is_empty()
    );
    assert!(
        search(&app, "\"stream pakistan gas\"").await.is_empty(),
        "the same words in another order are not the phrase"
    );
    assert!(
        search(&app, "\"pakistan gas\"").await.is_empty(),
        "words with another between them are not the phrase"
    );
    // A phrase in Urdu, written with Urdu letters and with their Arabic variants.
    for phrase in ["\"بجلی کی فراہمی\"", "\"بجلي كي فراهمي\""] {
        let mut found = names(&stories, &search(&app, phrase).await);
        found.sort();
        assert_eq!(found, ["urdu-1", "urdu-3"], "{phrase}");
    }
}

async fn prefix_matches_the_start_of_words(app: TestApp) {
    let stories = corpus::load(&app).await;
    let found = names(&stories, &search(&app, "poliovir*").await);
    assert!(found.len() >= 3, "{found:?}");
    assert!(found.iter().all(|n| n.starts_with("polio")), "{found:?}");
    assert!(
        search(&app, "poliovir").await.is_empty(),
        "without the star it is a whole word"
    );
    let negotiated = names(&stories, &search(&app, "negotiat*").await);
    assert_eq!(negotiated, ["diplomacy-3"]);
}

async fn urdu_variant_letters_match_each_other(app: TestApp) {
    let stories = corpus::load(&app).await;
    // urdu-3 is written with Arabic yeh, kaf and heh; the others with the Urdu letters.
    let urdu_letters = names(&stories, &search(&app, "کراچی بجلی").await);
    let arabic_letters = names(&stories, &search(&app, "كراچي بجلي").await);
    for found in [&urdu_letters, &arabic_letters] {
        assert!(found.contains(&"urdu-1".to_owned()), "{found:?}");
        assert!(found.contains(&"urdu-3".to_owned()), "{found:?}");
    }
    assert_eq!(urdu_letters, arabic_letters);
    let heh = names(&stories, &search(&app, "فراهمي").await);
    assert!(heh.contains(&"urdu-1".to_owned()), "{heh:?}");
    let marks = names(&stories, &search(&app, "کَراچـی").await);
    assert_eq!(
        marks.len(),
        6,
        "diacritics and tatweel are ignored: {marks:?}"
    );
}

async fn headline_weighs_more_than_body(app: TestApp) {
    let stories = corpus::load(&app).await;
    let found = names(&stories, &search(&app, "gwadar").await);
    assert_eq!(
        found.first().map(String::as_str),
        Some("cpec-1"),
        "{found:?}"
    );
    assert!(found.contains(&"cpec-6".to_owned()), "{found:?}");
}

async fn filters_order_and_pages(app: TestApp) {
    let stories = corpus::load(&app).await;
    let (status, sports) = api(&app, "/api/search?q=pakistan&section=sports&per_page=50").await;
    assert_eq!(status, StatusCode::OK);
    let results = sports["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results.iter().all(|r| r["section"]["slug"] == "sports"));
    let (_, tagged) = api(&app, "/api/search?tag=health&per_page=50").await;
    assert_eq!(
        tagged["total"], 4,
        "a filter alone lists its articles: {tagged}"
    );
    let (_, may) = api(
        &app,
        "/api/search?from=2024-05-01&until=2024-05-31&per_page=50",
    )
    .await;
    let headlines: Vec<_> = may["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["headline"].as_str().unwrap().to_owned())
        .collect();
    let polio: Vec<_> = stories
        .iter()
        .filter(|s| s.topic == "polio")
        .map(|s| s.article.headline.clone())
        .collect();
    assert_eq!(headlines.len(), polio.len(), "{headlines:?}");
    assert!(headlines.iter().all(|h| polio.contains(h)));
    // Newest first, and pages that follow each other.
    let query = |page: usize| SearchQuery {
        text: "pakistan".into(),
        sort: SearchSort::Newest,
        offset: (page - 1) * 5,
        limit: 5,
        ..SearchQuery::default()
    };
    let first = app.search.search(&query(1)).await.unwrap();
    let second = app.search.search(&query(2)).await.unwrap();
    assert!(first.total > 10);
    assert_eq!(first.total, second.total);
    let times: Vec<_> = first
        .hits
        .iter()
        .chain(&second.hits)
        .map(|h| h.published_at)
        .collect();
    assert_eq!(times.len(), 10);
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    let author = SearchQuery {
        text: "pakistan".into(),
        author: Some(Slug::parse("nobody").unwrap()),
        limit: 5,
        ..SearchQuery::default()
    };
    assert_eq!(app.search.search(&author).await.unwrap().total, 0);
}

async fn publish_and_unpublish_show_in_the_next_search(app: TestApp) {
    let mut input = story(
        "Zebra crossings painted in Quetta",
        "Pakistan",
        reference_day(),
    );
    input.status = ArticleStatus::Draft;
    input.published_at = None;
    let article = app.create(input).await;
    assert!(
        search(&app, "zebra").await.is_empty(),
        "drafts are never found"
    );
    app.set_status(&article, ArticleStatus::Published).await;
    assert_eq!(search(&app, "zebra").await, [article.id]);
    let (_, json) = api(&app, "/api/search?q=zebra").await;
    assert_eq!(json["total"], 1);
    app.set_status(&article, ArticleStatus::Draft).await;
    assert!(
        search(&app, "zebra").await.is_empty(),
        "unpublished at once"
    );
    let (status, page) = app.page("/search?q=zebra").await;
    assert_eq!(status, StatusCode::OK);
    assert!(texts(&page, ".search-result").is_empty());
}

async fn search_page_shows_results_with_marked_words(app: TestApp) {
    corpus::load(&app).await;
    let (status, page) = app.page("/search?q=polio+vacc*").await;
    assert_eq!(status, StatusCode::OK);
    let headlines = texts(&page, ".search-result h2 a");
    assert!(headlines.len() >= 3, "{headlines:?}");
    assert!(attrs(&page, ".search-result h2 a", "href")[0].starts_with('/'));
    assert!(!texts(&page, ".search-result .kicker a").is_empty());
    assert!(!attrs(&page, ".search-result time", "datetime").is_empty());
    let marked = texts(&page, ".search-result mark");
    assert!(!marked.is_empty());
    assert!(
        marked
            .iter()
            .all(|m| m.eq_ignore_ascii_case("polio") || m.to_lowercase().starts_with("vacc")),
        "{marked:?}"
    );
    assert_eq!(attrs(&page, "input#q", "value")[0], "polio vacc*");
    assert!(texts(&page, ".search-summary")[0].contains("match"));
    // The header of every page has a search form.
    let (_, home) = app.page("/").await;
    assert_eq!(
        attrs(&home, "header form[role=search]", "action"),
        ["/search"]
    );
    assert_eq!(texts(&home, "header form[role=search] label").len(), 1);
    // Ten per page, a link to the next.
    let (_, pakistan) = app.page("/search?q=pakistan").await;
    assert_eq!(texts(&pakistan, ".search-result").len(), 10);
    let next = attrs(&pakistan, ".pager a[rel=next]", "href");
    assert_eq!(next, ["/search?q=pakistan&page=2"]);
    let (_, second) = app.page(&next[0]).await;
    assert_eq!(attrs(&second, "ol.search-results", "start"), ["11"]);
}

async fn odd_queries_get_a_page_never_a_server_error(app: TestApp) {
    corpus::load(&app).await;
    // Long, but within the longest address the site reads (8 KiB): past that, a 414 page.
    let long = "pakistan%20".repeat(600);
    for q in [
        "",
        "%20%20",
        long.as_str(),
        "%22pakistan",
        "AND%20OR%20-%20*",
        "%E2%80%AE%F0%9F%99%82%00%EF%BF%BF",
        "%FF%FE",
        "-pakistan",
        "*",
        "a*",
        "%22%22%22",
    ] {
        let (status, page) = app.page(&format!("/search?q={q}")).await;
        assert_eq!(status, StatusCode::OK, "q={q}");
        assert_eq!(texts(&page, "h1#search-heading"), ["Search"], "q={q}");
    }
    for bad in [
        "q=x&sort=best",
        "q=x&from=yesterday",
        "q=x&until=2024-02-30",
        "q=x&page=0",
        "q=x&page=many",
        "q=x&section=%20%3Cscript%3E",
        "q=x&from=2024-05-02&until=2024-05-01",
    ] {
        let (status, page) = app.page(&format!("/search?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(!texts(&page, ".search-errors li").is_empty(), "{bad}");
    }
}

async fn api_rejects_bad_parameters_with_a_clear_400(app: TestApp) {
    for (query, word) in [
        ("q=x&sort=best", "sort"),
        ("q=x&from=2024-13-01", "from"),
        ("q=x&until=soon", "until"),
        ("q=x&page=-1", "page"),
        ("q=x&per_page=500", "per_page"),
        ("q=x&tag=a%20b", "tag"),
        ("", "q"),
    ] {
        let (status, json) = api(&app, &format!("/api/search?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(json["error"]["code"], "bad_request", "{query}");
        let message = json["error"]["message"].as_str().unwrap();
        assert!(message.contains(word), "{query}: {message}");
    }
    let (status, json) = api(&app, "/api/search?q=%22%22").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["total"], 0);
}

async fn a_node_without_an_index_serves_at_once_and_builds_it_in_the_background(app: TestApp) {
    use std::sync::Arc;

    use axum::body::Body;
    use dateline_search::{Build, IndexLocation, SearchEngine};
    use tower::ServiceExt;

    // Another node starts over the same database with no index: opening returns at once.
    let engine = Arc::new(
        SearchEngine::open_with(
            IndexLocation::Memory,
            app.store.clone(),
            Build::InBackground,
        )
        .await
        .expect("open"),
    );
    tokio::spawn(
        SearchEngine::clone(&engine).keep_current(dateline_services::tasks::Stop::never()),
    );
    let warming = engine.warming_up().expect("nothing is indexed yet");
    assert_eq!(warming.indexed, 0);
    assert!(warming.total >= 12, "{warming:?}");
    let state = dateline_web::AppState::new(
        app.store.clone(),
        app.clock.clone(),
        dateline_domain::SiteSettings::clone(&app.state.stored_site()),
    )
    .with_search(engine.clone(), false);
    let router = dateline_web::app(state);
    let get = |path: &str| {
        axum::http::Request::get(path)
            .body(Body::empty())
            .expect("request")
    };
    // Searches asked before the build has run are told so, with when to come back.
    let response = router
        .clone()
        .oneshot(get("/api/search?q=imran"))
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "30");
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let json: Value = serde_json::from_slice(&body).expect("json");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Search is warming up: 0 of at most"),
        "{json}"
    );
    assert_eq!(json["error"]["code"], "warming_up");
    assert_eq!(json["warming_up"]["indexed"], 0);
    let response = router
        .clone()
        .oneshot(get("/search?q=imran"))
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .expect("body");
    let page = scraper::Html::parse_document(&String::from_utf8_lossy(&body));
    assert!(
        texts(&page, "main")
            .concat()
            .contains("Search is warming up"),
        "the search page says the index is warming up"
    );
    // Everything else is served meanwhile.
    let response = router.clone().oneshot(get("/")).await.expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    // The build finishes in the background, and then searches find the articles.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while engine.warming_up().is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the index was never built"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(engine.len() >= 12);
    let response = router
        .oneshot(get("/api/search?q=imran"))
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let json: Value = serde_json::from_slice(&body).expect("json");
    assert!(json["total"].as_u64().unwrap() >= 1, "{json}");
}
