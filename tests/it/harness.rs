//! `TestApp`: the real router on a real socket, over a fresh database with the demo publication,
//! and a clock the test controls.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use dateline_domain::{Article, ArticleStatus, Clock, FixedClock, Store};
use dateline_search::{IndexLocation, SearchEngine};
use dateline_services::articles::{ArticleInput, create_article};
use dateline_services::demo;
use dateline_store::SqlStore;
use dateline_store::testing::TestDatabase;
use dateline_web::AppState;
use reqwest::StatusCode;
use scraper::{Html, Selector};

/// Runs `$body` (an `async fn(TestApp)`) once on SQLite and once on PostgreSQL.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case($crate::harness::TestApp::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let name = concat!(module_path!(), "::", stringify!($case));
                    if let Some(app) = $crate::harness::TestApp::postgres(name).await {
                        super::$case(app).await;
                    }
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;

/// 2024-04-16 10:00 in Karachi: the date on the reference page's top bar.
pub fn reference_day() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-04-16T10:00:00+05:00")
        .unwrap()
        .with_timezone(&Utc)
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub clock: Arc<FixedClock>,
    pub store: Arc<SqlStore>,
    pub search: Arc<SearchEngine>,
    server: tokio::task::JoinHandle<()>,
    _db: TestDatabase,
}

impl TestApp {
    pub async fn sqlite() -> Self {
        Self::start(TestDatabase::sqlite()).await
    }

    pub async fn postgres(test: &str) -> Option<Self> {
        Some(Self::start(TestDatabase::postgres(test).await?).await)
    }

    async fn start(db: TestDatabase) -> Self {
        let store = SqlStore::connect(db.url()).await.expect("connect");
        store.migrate().await.expect("migrate");
        let clock = Arc::new(FixedClock::new(reference_day()));
        let site = demo::set_up_publication(&store, clock.as_ref().now(), true)
            .await
            .expect("demo");
        let store = Arc::new(store);
        let search = Arc::new(
            SearchEngine::open(IndexLocation::Memory, store.clone())
                .await
                .expect("search index"),
        );
        let state =
            AppState::new(store.clone(), clock.clone(), site).with_search(search.clone(), true);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let server = tokio::spawn(async move {
            dateline_web::serve(listener, state, std::future::pending())
                .await
                .expect("serve");
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            addr,
            client,
            clock,
            store,
            search,
            server,
            _db: db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Status and parsed HTML of a page.
    pub async fn page(&self, path: &str) -> (StatusCode, Html) {
        let response = self.get(path).await;
        let status = response.status();
        (
            status,
            Html::parse_document(&response.text().await.expect("body")),
        )
    }

    /// Creates an article through the same service the newsroom and importers use.
    pub async fn create(&self, input: ArticleInput) -> Article {
        create_article(self.store.as_ref(), input, self.clock.now())
            .await
            .expect("create article")
    }

    pub async fn set_status(&self, article: &Article, status: ArticleStatus) {
        let now = self.clock.now();
        assert!(
            self.store
                .set_article_status(article.id, status, None, now)
                .await
                .unwrap()
        );
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A published article in `section` at `published_at`, with a plain body.
pub fn story(headline: &str, section: &str, published_at: DateTime<Utc>) -> ArticleInput {
    ArticleInput {
        headline: headline.to_owned(),
        standfirst: format!("Standfirst of {headline}."),
        body: format!("First paragraph of {headline}.\n\nSecond paragraph.\n"),
        section: section.to_owned(),
        tags: vec![],
        authors: vec![],
        source: None,
        status: ArticleStatus::Published,
        published_at: Some(published_at),
        language: "en".to_owned(),
    }
}

/// The whitespace-normalised text of every element matching `selector`.
pub fn texts(html: &Html, selector: &str) -> Vec<String> {
    let selector = Selector::parse(selector).expect("selector");
    html.select(&selector)
        .map(|e| normalise(&e.text().collect::<String>()))
        .collect()
}

/// The `attr` of every element matching `selector`.
pub fn attrs(html: &Html, selector: &str, attr: &str) -> Vec<String> {
    let selector = Selector::parse(selector).expect("selector");
    html.select(&selector)
        .filter_map(|e| e.value().attr(attr).map(str::to_owned))
        .collect()
}

pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The binary under test.
pub fn dateline_bin() -> &'static str {
    env!("CARGO_BIN_EXE_dateline")
}
