//! Related articles: chosen from text, tags, section and time, so that on the test corpus the
//! top three of (nearly) every article are from its own topic; on the article page and as JSON.

use dateline_domain::{ArticleStatus, ArticleStore, Clock, RelatedStore, SearchIndex};
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
    a_new_story_is_offered_on_the_pages_of_its_neighbours,
    a_story_taken_down_leaves_every_related_block,
    an_article_without_a_list_gets_one_after_its_first_read,
    the_block_leaves_out_what_the_body_already_links_to,
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
    app.related_settled().await;
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
        assert!(json["error"]["message"].is_string(), "{query}");
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

/// The links of the Related block on the page at `path`.
async fn related_links(app: &TestApp, path: &str) -> Vec<String> {
    let (status, page) = app.page(path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    attrs(&page, "section.related li a", "href")
}

async fn a_new_story_is_offered_on_the_pages_of_its_neighbours(app: TestApp) {
    let stories = corpus::load(&app).await;
    app.related_settled().await;
    let floods: Vec<_> = stories.iter().filter(|s| s.topic == "floods").collect();
    // Every flood page is rendered (and cached) before the new story exists.
    for s in &floods {
        let links = related_links(&app, &format!("/{}", s.article.slug)).await;
        assert!(!links.is_empty(), "{}", s.name);
    }
    let mut input = crate::harness::story(
        "Sindh floods: relief camps overflow as villages stay submerged",
        "Pakistan",
        app.clock.now(),
    );
    input.standfirst = "Families displaced by the monsoon floods in Sindh wait for relief \
                        as the Indus keeps villages under water."
        .to_owned();
    input.body = "Relief camps along the Indus are full, the disaster management authority \
                  said, as flood water still covers villages across Sindh.\n\n\
                  Families who lost homes, crops and livestock to the monsoon floods are \
                  sheltering in tents; the authority asked for more relief."
        .to_owned();
    input.tags = vec!["Floods".to_owned()];
    let new = app.create(input).await;
    app.related_settled().await;
    let own = related_links(&app, &format!("/{}", new.slug)).await;
    let flood_paths: Vec<_> = floods
        .iter()
        .map(|s| format!("/{}", s.article.slug))
        .collect();
    assert!(
        own.len() >= 3 && own[..3].iter().all(|l| flood_paths.contains(l)),
        "the new story's own block: {own:?}"
    );
    // The older flood stories now offer it: their cached pages were dropped for it.
    let new_path = format!("/{}", new.slug);
    let mut offering = 0;
    for path in &flood_paths {
        if related_links(&app, path).await.contains(&new_path) {
            offering += 1;
        }
    }
    assert!(
        offering >= 3,
        "{offering} of {} flood pages offer the new story",
        floods.len()
    );
}

async fn a_story_taken_down_leaves_every_related_block(app: TestApp) {
    let stories = corpus::load(&app).await;
    app.related_settled().await;
    let gone = story(&stories, "floods-2");
    let gone_path = format!("/{}", gone.article.slug);
    let mut naming = Vec::new();
    for s in &stories {
        let path = format!("/{}", s.article.slug);
        if related_links(&app, &path).await.contains(&gone_path) {
            naming.push(path);
        }
    }
    assert!(!naming.is_empty(), "some page offers {gone_path}");
    app.set_status(&gone.article, ArticleStatus::Unpublished)
        .await;
    app.related_settled().await;
    for path in &naming {
        let links = related_links(&app, path).await;
        assert!(!links.contains(&gone_path), "{path}: {links:?}");
        // Its place is taken by another story, not left empty.
        assert_eq!(links.len(), 4, "{path}: {links:?}");
    }
    for s in &stories {
        let listed = app.store.related_list(s.article.id).await.unwrap();
        assert!(
            listed.is_none_or(|ids| !ids.contains(&gone.article.id)),
            "{} still names the story taken down",
            s.name
        );
    }
}

async fn an_article_without_a_list_gets_one_after_its_first_read(app: TestApp) {
    // The demo publication was loaded before the server (and its related lists) started.
    let latest = app
        .store
        .list_published(
            dateline_domain::Listing::Latest,
            dateline_domain::PageRequest {
                cursor: None,
                limit: 1,
            },
        )
        .await
        .unwrap();
    let seed = &latest[0];
    assert_eq!(app.store.related_list(seed.id).await.unwrap(), None);
    let path = format!("/{}", seed.slug);
    assert!(
        related_links(&app, &path).await.is_empty(),
        "no list yet: no block, and no ranking query while the reader waits"
    );
    app.related_settled().await;
    let stored = app.store.related_list(seed.id).await.unwrap();
    let stored = stored.expect("computed after the first read");
    assert!(!stored.is_empty());
    // The cached page without the block was dropped when the list was stored. The block leaves
    // out what the body already links to in its Read More lines.
    let (_, page) = app.page(&path).await;
    let links = attrs(&page, "section.related li a", "href");
    let read_more = attrs(&page, ".read-more a", "href");
    let mut expected = Vec::new();
    for id in &stored {
        let summary = app.store.summaries(&[*id]).await.unwrap().remove(0);
        let href = format!("/{}", summary.slug);
        if !read_more.contains(&href) {
            expected.push(href);
        }
    }
    expected.truncate(4);
    assert!(!expected.is_empty(), "{stored:?} {read_more:?}");
    assert_eq!(links, expected);
}

async fn the_block_leaves_out_what_the_body_already_links_to(app: TestApp) {
    let path = "/imran-khan-extends-invitation-to-putin-discuss-ties-on-call";
    app.page(path).await;
    app.related_settled().await;
    let (_, page) = app.page(path).await;
    let read_more = attrs(&page, ".read-more a", "href");
    assert_eq!(read_more.len(), 4);
    let seed = app
        .store
        .article_by_slug(&dateline_domain::Slug::parse(&path[1..]).unwrap())
        .await
        .unwrap()
        .unwrap();
    let stored = app.store.related_list(seed.id).await.unwrap().unwrap();
    let mut stored_paths = Vec::new();
    for id in &stored {
        let summary = app.store.summaries(&[*id]).await.unwrap().remove(0);
        stored_paths.push(format!("/{}", summary.slug));
    }
    assert!(
        stored_paths.iter().any(|p| read_more.contains(p)),
        "the seed's related stories include its Read More targets: {stored_paths:?}"
    );
    let related = attrs(&page, "section.related li a", "href");
    assert!(!related.is_empty(), "{stored_paths:?}");
    for link in &related {
        assert!(
            !read_more.contains(link),
            "{link} is already a Read More link"
        );
    }
}
