//! Related articles: chosen from text, tags, section and time, so that on the test corpus the
//! top three of (nearly) every article are from its own topic; on the article page and as JSON.

use dateline_domain::{ArticleStatus, SearchIndex};
use dateline_services::related::related_articles;
use reqwest::StatusCode;
use serde_json::Value;

use crate::corpus::{self, story};
use crate::harness::{TestApp, attrs, on_both_backends, texts};

on_both_backends!(
    top_three_related_come_from_the_same_topic,
    putin_khan_call_relates_to_russia_and_afghanistan_not_cricket,
    article_page_ends_with_a_related_block,
    related_api_answers_json_and_refuses_bad_ids,
);

async fn top_three_related_come_from_the_same_topic(app: TestApp) {
    let stories = corpus::load(&app).await;
    let mut same = 0;
    let mut total = 0;
    let mut misses = Vec::new();
    for s in &stories {
        let related = related_articles(app.search.as_ref(), &s.article, 3)
            .await
            .expect("related");
        assert_eq!(related.len(), 3, "{}", s.name);
        assert!(related.iter().all(|r| r.id != s.article.id), "{}", s.name);
        for r in &related {
            total += 1;
            let other = stories
                .iter()
                .find(|o| o.article.id == r.id)
                .expect("corpus");
            if other.topic == s.topic {
                same += 1;
            } else {
                misses.push(format!("{} -> {}", s.name, other.name));
            }
        }
    }
    assert!(
        same * 10 >= total * 9,
        "{same} of {total} from the same topic; misses: {misses:?}"
    );
}

async fn putin_khan_call_relates_to_russia_and_afghanistan_not_cricket(app: TestApp) {
    let stories = corpus::load(&app).await;
    let call = story(&stories, "diplomacy-1");
    assert!(call.article.headline.contains("Putin"));
    let related = app.search.related(&call.article, 5).await.unwrap();
    let topics: Vec<_> = related
        .iter()
        .map(|r| {
            let s = stories.iter().find(|s| s.article.id == r.id).unwrap();
            s.topic.as_str()
        })
        .collect();
    assert!(topics[..3].iter().all(|t| *t == "diplomacy"), "{topics:?}");
    assert!(!topics.contains(&"cricket"), "{topics:?}");
    // An unpublished story is never offered.
    let pipeline = story(&stories, "diplomacy-2");
    assert!(related.iter().any(|r| r.id == pipeline.article.id));
    app.set_status(&pipeline.article, ArticleStatus::Draft)
        .await;
    let after = app.search.related(&call.article, 5).await.unwrap();
    assert!(after.iter().all(|r| r.id != pipeline.article.id));
}

async fn article_page_ends_with_a_related_block(app: TestApp) {
    let stories = corpus::load(&app).await;
    let floods = story(&stories, "floods-1");
    let (status, page) = app.page(&format!("/{}", floods.article.slug)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        attrs(&page, "article section.related", "aria-labelledby"),
        ["related-heading"]
    );
    assert_eq!(texts(&page, "#related-heading"), ["Related"]);
    let links = attrs(&page, "section.related li a", "href");
    assert!(!links.is_empty() && links.len() <= 4, "{links:?}");
    let flood_paths: Vec<_> = stories
        .iter()
        .filter(|s| s.topic == "floods")
        .map(|s| format!("/{}", s.article.slug))
        .collect();
    assert!(flood_paths.contains(&links[0]), "{links:?}");
    assert!(!links.contains(&format!("/{}", floods.article.slug)));
}

async fn related_api_answers_json_and_refuses_bad_ids(app: TestApp) {
    let stories = corpus::load(&app).await;
    let polio = story(&stories, "polio-1");
    let response = app
        .get(&format!(
            "/api/related?article={}&limit=3",
            polio.article.id
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let json: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let related = json["related"].as_array().unwrap();
    assert_eq!(related.len(), 3);
    for r in related {
        assert_ne!(r["id"], polio.article.id.0);
        assert!(r["path"].as_str().unwrap().starts_with('/'));
        assert!(r["headline"].is_string() && r["published_at"].is_string());
    }
    for (query, status) in [
        ("", StatusCode::BAD_REQUEST),
        ("article=abc", StatusCode::BAD_REQUEST),
        ("article=-4", StatusCode::BAD_REQUEST),
        ("article=1&limit=0", StatusCode::BAD_REQUEST),
        ("article=1&limit=x", StatusCode::BAD_REQUEST),
        ("article=999999", StatusCode::NOT_FOUND),
    ] {
        let response = app.get(&format!("/api/related?{query}")).await;
        assert_eq!(response.status(), status, "{query}");
        let json: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert!(json["error"].is_string(), "{query}");
    }
    app.set_status(&polio.article, ArticleStatus::Draft).await;
    let response = app
        .get(&format!("/api/related?article={}", polio.article.id))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "drafts are not public"
    );
}
