//! Several `dateline serve` processes on one PostgreSQL database agree: a change made anywhere is
//! on every node's pages, cache included, within a second.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dateline_domain::{ArticleStatus, Slug, Store};
use dateline_store::SqlStore;
use dateline_store::testing::TestDatabase;

use crate::harness::{dateline_bin, texts};

/// A `dateline serve` process and its address. The data directory (its search index) is the
/// node's own and goes with it.
struct Node(
    Child,
    String,
    #[expect(dead_code, reason = "held until the node stops")] tempfile::TempDir,
);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_node(url: &str) -> Node {
    let addr = format!(
        "127.0.0.1:{}",
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    );
    let data = tempfile::tempdir().unwrap();
    let child = Command::new(dateline_bin())
        .args([
            "serve",
            "--addr",
            &addr,
            "--database",
            url,
            "--data-dir",
            data.path().to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a node");
    let node = Node(child, addr, data);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("http://{}/healthz", node.1)).await
            && r.status() == 200
        {
            return node;
        }
        assert!(
            Instant::now() < deadline,
            "node {} never became healthy",
            node.1
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn read_more_titles(node: &Node) -> (Vec<String>, String) {
    let response = reqwest::get(format!(
        "http://{}/imran-khan-extends-invitation-to-putin-discuss-ties-on-call",
        node.1
    ))
    .await
    .unwrap();
    let cache = response
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let page = scraper::Html::parse_document(&response.text().await.unwrap());
    (texts(&page, ".read-more a"), cache)
}

/// Reads the seed page until the node serves it from its cache; its Read More titles. The first
/// read queues the page's related list, and storing the list drops the cached page once, on every
/// node; after that the page stays cached.
async fn read_until_cached(node: &Node) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (titles, cache) = read_more_titles(node).await;
        if cache == "HIT" {
            return titles;
        }
        assert!(
            Instant::now() < deadline,
            "node {} never served the page from its cache",
            node.1
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_change_on_one_node_reaches_every_nodes_cache_within_a_second() {
    let Some(db) = TestDatabase::postgres(
        "nodes::a_change_on_one_node_reaches_every_nodes_cache_within_a_second",
    )
    .await
    else {
        return;
    };
    let url = db.url().as_sqlx_url().to_owned();
    let a = start_node(&url).await;
    let b = start_node(&url).await;
    for node in [&a, &b] {
        assert_eq!(read_until_cached(node).await.len(), 4);
    }

    // A third writer (a newsroom node, an import) takes a Read More target down.
    let writer = SqlStore::connect(db.url()).await.unwrap();
    let target = writer
        .article_by_slug(&Slug::parse("saudi-arabia-signs-military-pact-with-russia").unwrap())
        .await
        .unwrap()
        .unwrap();
    let changed = Instant::now();
    assert!(
        writer
            .set_article_status(target.id, ArticleStatus::Draft, None, chrono::Utc::now())
            .await
            .unwrap()
    );
    for node in [&a, &b] {
        loop {
            let (titles, _) = read_more_titles(node).await;
            if titles.len() == 3 {
                break;
            }
            assert!(
                changed.elapsed() < Duration::from_secs(1),
                "node {} still shows the old page after a second",
                node.1
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    writer.close().await;
}

#[tokio::test]
async fn a_publish_in_one_nodes_newsroom_reaches_another_node_within_a_second() {
    let Some(app) = crate::harness::TestApp::postgres(
        "nodes::a_publish_in_one_nodes_newsroom_reaches_another_node_within_a_second",
    )
    .await
    else {
        return;
    };
    // Node A is the app under test; node B a `dateline serve` process on the same database.
    let b = start_node(app.store.url().as_sqlx_url()).await;
    read_until_cached(&b).await;
    let editor = app.account("Editor", dateline_domain::Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let target = app
        .store
        .article_by_slug(
            &Slug::parse("interview-russias-blank-cheque-to-pakistan-fact-or-fiction").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let published = Instant::now();
    let response = desk
        .post(&format!("/admin/articles/{}/unpublish", target.id), &[])
        .await;
    assert_eq!(response.status(), 303, "unpublished on node A");
    loop {
        let (titles, _) = read_more_titles(&b).await;
        if titles.len() == 3 {
            break;
        }
        assert!(
            published.elapsed() < Duration::from_secs(1),
            "node B still links the article after a second"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let gone = reqwest::get(format!("http://{}/{}", b.1, target.slug))
        .await
        .unwrap();
    assert_eq!(
        gone.status(),
        410,
        "node B answers 410 for the article taken down on node A"
    );
}
