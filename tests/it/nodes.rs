//! Several `dateline serve` processes on one PostgreSQL database agree: a change made anywhere is
//! on every node's pages, cache included, within a second; and they can be restarted one at a
//! time behind a proxy without a reader's request being lost.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dateline_domain::{ArticleStatus, ArticleStore, Slug};
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
    start_node_at(url, &addr).await
}

async fn start_node_at(url: &str, addr: &str) -> Node {
    let addr = addr.to_owned();
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

/// Sends SIGTERM, as a service manager stopping the node would.
pub(crate) fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM {}", child.id());
}

/// Waits for the process to exit by itself; its exit status.
pub(crate) fn wait_for_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop within {within:?} of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts a sign-in whose body arrives slowly, stops the server (SIGTERM) while the request is
/// in flight, checks that the server takes no new connection meanwhile, then finishes the body:
/// the request must get its whole answer, and the server must then exit cleanly.
pub(crate) async fn a_request_in_flight_outlives_sigterm(child: &mut Child, addr: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let body = "email=nobody%40example.com&password=not+the+password&next=%2Fadmin";
    let (first, rest) = body.split_at(20);
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            format!(
                "POST /admin/login HTTP/1.1\r\nHost: {addr}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\n\
                 Content-Length: {}\r\n\r\n{first}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .expect("send the head");
    tokio::time::sleep(Duration::from_millis(300)).await;
    terminate(child);
    // Draining: the listener is closed, the request still open.
    let deadline = Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "the server still accepts connections after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        child.try_wait().expect("wait").is_none(),
        "the server must wait for the request in flight"
    );
    stream
        .write_all(rest.as_bytes())
        .await
        .expect("send the rest");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("an answer within 10 s")
        .expect("read the answer");
    let answer = String::from_utf8_lossy(&answer);
    let status_line = answer.lines().next().unwrap_or_default();
    assert!(
        status_line.starts_with("HTTP/1.1 ") && !status_line.starts_with("HTTP/1.1 5"),
        "a whole answer, not an error: {status_line:?}"
    );
    let (head, page) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(|n| n.trim().parse().unwrap())
        })
        .expect("a Content-Length");
    assert_eq!(page.len(), length, "the whole body");
    let status = wait_for_exit(child, Duration::from_secs(20));
    assert!(status.success(), "a clean exit after SIGTERM: {status}");
}

#[tokio::test]
async fn a_rolling_restart_of_two_nodes_behind_a_proxy_drops_no_request() {
    let Some(db) = TestDatabase::postgres(
        "nodes::a_rolling_restart_of_two_nodes_behind_a_proxy_drops_no_request",
    )
    .await
    else {
        return;
    };
    let url = db.url().as_sqlx_url().to_owned();
    let mut nodes = [start_node(&url).await, start_node(&url).await];
    let addrs: Vec<String> = nodes.iter().map(|n| n.1.clone()).collect();

    // Readers, through a proxy that sends each request to the next node and, as proxies do,
    // to the other node when the first refuses the connection or drops it before answering.
    let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut readers = Vec::new();
    for reader in 0..4 {
        let (running, addrs) = (running.clone(), addrs.clone());
        readers.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            let paths = ["/", "/section/pakistan", "/feed.xml", "/healthz"];
            let (mut served, mut lost) = (0u32, Vec::new());
            let mut turn = reader;
            while running.load(std::sync::atomic::Ordering::SeqCst) {
                turn += 1;
                let path = paths[turn % paths.len()];
                let mut answer = None;
                for attempt in 0..2 {
                    let node = &addrs[(turn + attempt) % 2];
                    // An error (refused, or closed before a response head) is no answer:
                    // a proxy tries the next node.
                    if let Ok(response) = client.get(format!("http://{node}{path}")).send().await {
                        answer = Some(response.status());
                        break;
                    }
                }
                match answer {
                    Some(status) if status.is_success() => served += 1,
                    Some(status) => lost.push(format!("{path}: {status}")),
                    None => lost.push(format!("{path}: both nodes refused")),
                }
            }
            (served, lost)
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for i in 0..2 {
        let addr = addrs[i].clone();
        a_request_in_flight_outlives_sigterm(&mut nodes[i].0, &addr).await;
        // Back on the same address; the proxy sends it readers again once it answers.
        let restarted = start_node_at(&url, &addr).await;
        nodes[i] = restarted;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    running.store(false, std::sync::atomic::Ordering::SeqCst);
    let mut served = 0;
    for reader in readers {
        let (count, lost) = reader.await.unwrap();
        assert!(
            lost.is_empty(),
            "requests lost during the restart: {lost:?}"
        );
        served += count;
    }
    assert!(served > 50, "the readers were served throughout ({served})");
}
