//! Several `dateline serve` processes on one PostgreSQL database agree: a change made anywhere is
//! on every node's pages, cache included, within a second.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dateline_domain::{ArticleStatus, Slug, Store};
use dateline_store::SqlStore;
use dateline_store::testing::TestDatabase;

use crate::harness::{dateline_bin, texts};

struct Node(Child, String);

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
    let data = std::env::temp_dir();
    let child = Command::new(dateline_bin())
        .args([
            "serve",
            "--addr",
            &addr,
            "--database",
            url,
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a node");
    let node = Node(child, addr);
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
        read_more_titles(node).await;
        let (titles, cache) = read_more_titles(node).await;
        assert_eq!(
            (titles.len(), cache.as_str()),
            (4, "HIT"),
            "node {} serves the page from its cache",
            node.1
        );
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
