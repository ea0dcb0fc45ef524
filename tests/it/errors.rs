//! The error policy, on both backends: a database out of reach is a 503 with `Retry-After`, a
//! statement the database fails is a 500 (a bug to look into, not an outage), whether a page,
//! a newsroom page or the API asked; and every `/api` error, ours or the framework's, is one
//! JSON shape.

use axum::body::Body;
use dateline_domain::{ArticleStore, Role};
use reqwest::StatusCode;
use serde_json::Value;
use tower::ServiceExt;

use crate::harness::{TestApp, on_both_backends, texts};

on_both_backends!(
    a_database_out_of_reach_is_503_with_retry_after_everywhere,
    a_statement_the_database_fails_is_500_without_retry_after,
    every_api_error_has_one_shape,
);

/// A published article of the demo publication: its id and address.
const ARTICLE: &str = "/imran-khan-extends-invitation-to-putin-discuss-ties-on-call";

async fn article_id(app: &TestApp) -> i64 {
    let slug = dateline_domain::Slug::parse(ARTICLE.trim_start_matches('/')).unwrap();
    app.store
        .article_by_slug(&slug)
        .await
        .unwrap()
        .expect("the demo article")
        .id
        .0
}

/// Status, headers and JSON body of an API answer, after checking it is JSON and not cached.
async fn api(response: reqwest::Response) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let status = response.status();
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json", "{status}");
    assert_eq!(headers["cache-control"], "no-store", "{status}");
    let json = serde_json::from_str(&response.text().await.unwrap()).expect("JSON");
    (status, headers, json)
}

/// Checks `json` is `{"error": {"code": code, "message": "<words>"}}`.
fn assert_error(json: &Value, code: &str) {
    assert_eq!(json["error"]["code"], code, "{json}");
    let message = json["error"]["message"].as_str().expect("a message");
    assert!(!message.is_empty(), "{json}");
}

async fn a_database_out_of_reach_is_503_with_retry_after_everywhere(app: TestApp) {
    let id = article_id(&app).await;
    let editor = app.account("Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    // Everything a request needs from the database fails to connect from here on.
    app.store.close().await;

    let (status, page) = app.page("/section/world").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(texts(&page, "h1"), ["Temporarily unavailable"]);
    let response = app.get("/tag/pakistan").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "10");

    let response = desk.get(&format!("/admin/articles/{id}")).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "10");

    let (status, headers, json) = api(app.get(&format!("/api/related?article={id}")).await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers["retry-after"], "10");
    assert_error(&json, "unavailable");
}

async fn a_statement_the_database_fails_is_500_without_retry_after(app: TestApp) {
    let id = article_id(&app).await;
    let editor = app.account("Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    // The database is there and answers, but every read of an article's tags now fails: a
    // schema that does not match the code is a bug, not an outage.
    sqlx::raw_sql("DROP TABLE article_tags")
        .execute(app.store.pool())
        .await
        .expect("drop a table");

    let response = app.get(ARTICLE).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.headers().get("retry-after").is_none());
    let page = scraper::Html::parse_document(&response.text().await.unwrap());
    assert_eq!(texts(&page, "h1"), ["Something went wrong"]);
    assert!(
        !page.html().contains("article_tags"),
        "the cause is logged, never shown"
    );

    let response = desk.get(&format!("/admin/articles/{id}")).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.headers().get("retry-after").is_none());

    let (status, headers, json) = api(app.get(&format!("/api/related?article={id}")).await).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(headers.get("retry-after").is_none());
    assert_error(&json, "internal");
    assert!(!json.to_string().contains("article_tags"), "{json}");

    // The database itself still answers.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

async fn every_api_error_has_one_shape(app: TestApp) {
    // Refusals of the request, by each endpoint.
    for (path, status, code) in [
        ("/api/search?q=x&sort=best", 400, "bad_request"),
        ("/api/search", 400, "bad_request"),
        ("/api/search?q=x&per_page=500", 400, "bad_request"),
        ("/api/related", 400, "bad_request"),
        ("/api/related?article=abc", 400, "bad_request"),
        ("/api/related?article=1&limit=0", 400, "bad_request"),
        ("/api/related?article=999999", 404, "not_found"),
        // An address under /api that is no endpoint.
        ("/api/nothing-here", 404, "not_found"),
        ("/api", 404, "not_found"),
    ] {
        let (got, _, json) = api(app.get(path).await).await;
        assert_eq!(got.as_u16(), status, "{path}");
        assert_error(&json, code);
    }
    // The framework's refusals under /api: a method the route does not take, an address too
    // long to read.
    let response = app
        .client
        .post(app.url("/api/search?q=x"))
        .send()
        .await
        .unwrap();
    let (status, headers, json) = api(response).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(headers.contains_key("allow"));
    assert_error(&json, "method_not_allowed");
    let long = format!("/api/search?q={}", "a".repeat(9_000));
    let (status, _, json) = api(app.get(&long).await).await;
    assert_eq!(status, StatusCode::URI_TOO_LONG);
    assert_error(&json, "uri_too_long");
    // Pages keep their HTML pages.
    let response = app.get("/no-such-page-at-all").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );

    // A node without search answers both endpoints with 503 in the same shape.
    let state = dateline_web::AppState::new(
        app.store.clone(),
        app.clock.clone(),
        dateline_domain::SiteSettings::clone(&app.state.stored_site()),
    );
    let router = dateline_web::app(state);
    for path in ["/api/search?q=imran", "/api/related?article=1"] {
        let response = router
            .clone()
            .oneshot(axum::http::Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let json: Value = serde_json::from_slice(&body).unwrap();
        assert_error(&json, "unavailable");
    }
}
