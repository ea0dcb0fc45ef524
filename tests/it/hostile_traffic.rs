//! The server under hostile traffic: junk query strings cannot grow the page cache or make every
//! request a miss, slow and silent connections are closed, a flood of connections is turned away
//! with a 503 instead of starving the health check, and malformed addresses get our error pages.

use std::time::Duration;

use chrono::Duration as Days;
use dateline_domain::{ArticleStore, Role, Slug};
use dateline_web::ServeLimits;
use reqwest::StatusCode;
use scraper::Html;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{TestApp, attrs, on_both_backends, reference_day, story, texts};

const SEED: &str = "/imran-khan-extends-invitation-to-putin-discuss-ties-on-call";

/// The longest any test here waits for the server to do something.
const PATIENCE: Duration = Duration::from_secs(15);

on_both_backends!(
    junk_query_strings_leave_one_cache_entry_per_page,
    a_long_junk_query_is_a_cache_hit_of_the_clean_page,
    a_fronts_cursor_is_still_honoured_and_keyed,
    an_address_longer_than_the_limit_gets_our_414_page,
    a_hundred_simultaneous_misses_render_the_page_once,
    a_header_sent_halfway_is_cut_off_after_the_header_timeout,
    a_silent_connection_is_closed_after_the_header_timeout,
    an_idle_keep_alive_connection_is_closed,
    a_trickling_body_is_cut_off_after_the_body_deadline,
    past_the_connection_limit_a_new_connection_gets_a_prompt_503_and_health_checks_still_answer,
    a_health_check_amid_a_flood_of_silent_connections_past_the_limit_is_answered,
    a_path_parameter_that_is_not_utf8_gets_our_404_page,
    a_non_numeric_article_id_gets_our_404_page,
    a_malformed_query_string_gets_our_400_page,
);

async fn x_cache(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.headers()["x-cache"].to_str().unwrap().to_owned()
}

/// Reads `path` until it is a cache hit: an article's first read queues its related list, and
/// storing the list drops the page once.
async fn warm(app: &TestApp, path: &str) {
    x_cache(app, path).await;
    app.related_settled().await;
    for _ in 0..10 {
        if x_cache(app, path).await == "HIT" {
            return;
        }
    }
    panic!("{path} never became a cache hit");
}

/// The page is ours: the site's layout with its masthead, not the framework's plain text.
fn assert_our_page(body: &str, what: &str) {
    let page = Html::parse_document(body);
    assert_eq!(
        texts(&page, ".masthead .site-name"),
        ["Global Village Space"],
        "{what}: not in the site's layout: {body:.300}"
    );
}

async fn junk_query_strings_leave_one_cache_entry_per_page(app: TestApp) {
    let pages = [SEED, "/", "/sitemap.xml"];
    for path in pages {
        warm(&app, path).await;
    }
    let cache = app.state.page_cache();
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..2100 {
        let path = format!(
            "{}?x={i}&utm_source=junk{i}&fbclid={}",
            pages[i % 3],
            "a".repeat(i % 500)
        );
        let (client, url) = (app.client.clone(), app.url(&path));
        requests.spawn(async move {
            let response = client.get(url).send().await.expect("request");
            (response.status(), response.headers()["x-cache"].clone())
        });
        if requests.len() >= 32 {
            let (status, hit) = requests.join_next().await.unwrap().unwrap();
            assert_eq!((status, hit.to_str().unwrap()), (StatusCode::OK, "HIT"));
        }
    }
    while let Some(done) = requests.join_next().await {
        let (status, hit) = done.unwrap();
        assert_eq!((status, hit.to_str().unwrap()), (StatusCode::OK, "HIT"));
    }
    let mut keys = cache.keys();
    keys.sort();
    assert_eq!(keys, ["/", SEED, "/sitemap.xml"], "one entry per page");
    assert!(cache.bytes() <= cache.limit());
}

async fn a_long_junk_query_is_a_cache_hit_of_the_clean_page(app: TestApp) {
    warm(&app, SEED).await;
    let clean = app.get(SEED).await.text().await.unwrap();
    let junk = format!("{SEED}?utm_source=x&fbclid={}", "a".repeat(7000));
    let response = app.get(&junk).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-cache"], "HIT");
    assert_eq!(response.text().await.unwrap(), clean, "the clean page");
}

async fn a_fronts_cursor_is_still_honoured_and_keyed(app: TestApp) {
    let start = reference_day() - Days::days(30);
    for i in 0..25 {
        app.create(story(
            &format!("Paged story number {i}"),
            "Paging",
            start + Days::minutes(i),
        ))
        .await;
    }
    // New articles' related lists drop cached pages when stored: let them settle first.
    app.related_settled().await;
    let (_, first) = app.page("/section/paging?utm_source=newsletter").await;
    let older = attrs(&first, ".pager a.older", "href")
        .pop()
        .expect("older");
    assert!(older.starts_with("/section/paging?before="), "{older}");
    let junk = format!("{older}&utm_source=newsletter&fbclid=x");
    let response = app.get(&junk).await;
    assert_eq!(response.headers()["x-cache"], "MISS");
    let page = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        texts(&page, ".teaser-headline"),
        (0..5)
            .rev()
            .map(|i| format!("Paged story number {i}"))
            .collect::<Vec<_>>(),
        "the cursor is honoured"
    );
    assert_eq!(x_cache(&app, &older).await, "HIT", "keyed on the cursor");
    assert!(app.state.page_cache().keys().contains(&older));
    let (_, again) = app.page("/section/paging?before=nonsense&x=1").await;
    assert_eq!(
        texts(&again, ".teaser-headline"),
        texts(&first, ".teaser-headline"),
        "a bad cursor is the first page"
    );
    assert_eq!(x_cache(&app, "/section/paging?before=junk").await, "HIT");
}

async fn an_address_longer_than_the_limit_gets_our_414_page(app: TestApp) {
    let cache = app.state.page_cache();
    let before = cache.len();
    let path = format!(
        "/sitemap.xml?x=1&p={}",
        "a".repeat(dateline_web::MAX_URI_BYTES)
    );
    let response = app.get(&path).await;
    assert_eq!(response.status(), StatusCode::URI_TOO_LONG);
    assert_our_page(&response.text().await.unwrap(), "414");
    assert_eq!(cache.len(), before, "nothing cached");
}

async fn a_hundred_simultaneous_misses_render_the_page_once(app: TestApp) {
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (client, url) = (app.client.clone(), app.url("/section/world"));
        requests.spawn(async move {
            let response = client.get(url).send().await.expect("request");
            assert_eq!(response.status(), 200);
            let hit = response.headers()["x-cache"].to_str().unwrap().to_owned();
            (hit, response.text().await.unwrap())
        });
    }
    let mut misses = 0;
    let mut bodies = std::collections::BTreeSet::new();
    while let Some(done) = requests.join_next().await {
        let (hit, body) = done.unwrap();
        misses += usize::from(hit == "MISS");
        bodies.insert(body);
    }
    assert_eq!(misses, 1, "one render; the others are served from it");
    assert_eq!(bodies.len(), 1, "everyone got the same page");
}

/// A second server on the same site, under `limits`; stopped when dropped.
struct Limited {
    addr: std::net::SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Limited {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn limited(app: &TestApp, limits: ServeLimits) -> Limited {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = app.state.clone();
    let server = tokio::spawn(async move {
        dateline_web::serve_with(listener, state, std::future::pending(), limits)
            .await
            .expect("serve");
    });
    Limited { addr, server }
}

fn short_timeouts() -> ServeLimits {
    ServeLimits {
        header_read_timeout: Duration::from_millis(500),
        body_read_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_secs(3),
        ..ServeLimits::default()
    }
}

/// Reads until the server closes the connection (a reset counts), at most [`PATIENCE`]; what
/// it sent, or `None` when it kept the connection open.
async fn read_until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&received).into_owned())
}

async fn a_header_sent_halfway_is_cut_off_after_the_header_timeout(app: TestApp) {
    let server = limited(&app, short_timeouts()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: dateline\r\nX-Slow: ")
        .await
        .unwrap();
    assert!(
        read_until_closed(&mut stream).await.is_some(),
        "the server kept a half-sent header open"
    );
}

async fn a_silent_connection_is_closed_after_the_header_timeout(app: TestApp) {
    let server = limited(&app, short_timeouts()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    assert!(
        read_until_closed(&mut stream).await.is_some(),
        "the server kept a silent connection open"
    );
}

/// Asks a new connection to `addr` for `/healthz` and reads until the server closes it; `None`
/// when it was left open.
async fn health_check_until_closed(addr: std::net::SocketAddr) -> Option<String> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: dateline\r\n\r\n")
        .await
        .unwrap();
    read_until_closed(&mut stream).await
}

async fn an_idle_keep_alive_connection_is_closed(app: TestApp) {
    let server = limited(&app, short_timeouts()).await;
    let answer = health_check_until_closed(server.addr)
        .await
        .expect("the server kept an idle keep-alive connection open");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok\n"), "answered, then closed: {answer}");
}

async fn a_trickling_body_is_cut_off_after_the_body_deadline(app: TestApp) {
    let server = limited(&app, short_timeouts()).await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut reading, mut writing) = stream.into_split();
    writing
        .write_all(
            b"POST /admin/login HTTP/1.1\r\nHost: dateline\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n",
        )
        .await
        .unwrap();
    // One byte every 100 ms: never idle long, never done.
    let trickle = tokio::spawn(async move {
        for _ in 0..150 {
            if writing.write_all(b"e").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut received = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, reading.read_to_end(&mut received)).await;
    trickle.abort();
    assert!(closed.is_ok(), "the server waited for the trickle");
    let answer = String::from_utf8_lossy(&received);
    assert!(
        answer.starts_with("HTTP/1.1 4"),
        "refused, not served: {answer:.200}"
    );
}

/// A server with a limit of `limit` connections and that many kept-alive connections holding
/// it: each has been answered once, so the server has surely taken it.
async fn full_server(app: &TestApp, limit: usize) -> (Limited, Vec<TcpStream>) {
    let server = limited(
        app,
        ServeLimits {
            max_connections: limit,
            header_read_timeout: Duration::from_secs(60),
            ..ServeLimits::default()
        },
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..limit {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: dateline\r\n\r\n")
            .await
            .unwrap();
        let mut buffer = [0u8; 1024];
        let n = tokio::time::timeout(PATIENCE, stream.read(&mut buffer))
            .await
            .expect("answered")
            .unwrap();
        assert!(buffer[..n].starts_with(b"HTTP/1.1 200"));
        held.push(stream);
    }
    (server, held)
}

async fn past_the_connection_limit_a_new_connection_gets_a_prompt_503_and_health_checks_still_answer(
    app: TestApp,
) {
    let limit = 4;
    let (server, held) = full_server(&app, limit).await;
    let mut one_more = TcpStream::connect(server.addr).await.unwrap();
    one_more
        .write_all(b"GET /?page=2 HTTP/1.1\r\nHost: dateline\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut one_more)
        .await
        .expect("a connection over the limit was left hanging");
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable"),
        "{answer}"
    );
    assert!(answer.contains("Retry-After: "), "{answer}");
    // The health check is answered over the limit too: the server is alive, only full.
    let answer = health_check_until_closed(server.addr)
        .await
        .expect("a health check over the limit was left hanging");
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.ends_with("ok\n"), "{answer}");
    // A flood of silent connections past the limit does not keep the health check out for long:
    // each is closed when it has said nothing for a moment.
    let mut silent = Vec::new();
    for _ in 0..100 {
        silent.push(TcpStream::connect(server.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let answer = health_check_until_closed(server.addr)
        .await
        .expect("a health check after a flood was left hanging");
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    drop(silent);
    // A POST body the turned-away client is still sending does not cost it the answer.
    let mut poster = TcpStream::connect(server.addr).await.unwrap();
    poster
        .write_all(
            format!(
                "POST /admin/login HTTP/1.1\r\nHost: dateline\r\nContent-Length: 40000\r\n\r\n{}",
                "a".repeat(40_000)
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut poster)
        .await
        .expect("a POST over the limit was left hanging");
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable"),
        "{answer}"
    );
    drop(held);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let url = format!("http://{}/healthz", server.addr);
    let mut status = None;
    for _ in 0..100 {
        match client.get(&url).send().await {
            Ok(r) if r.status() == StatusCode::OK => {
                status = Some(r.status());
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    assert_eq!(
        status,
        Some(StatusCode::OK),
        "/healthz answers once they close"
    );
}

async fn a_health_check_amid_a_flood_of_silent_connections_past_the_limit_is_answered(
    app: TestApp,
) {
    let limit = 2;
    let (server, held) = full_server(&app, limit).await;
    // Far more silent connections than are ever turned away at once keep arriving, before,
    // during and after each health check; not one health check may go unanswered.
    let addr = server.addr;
    let flood = tokio::spawn(async move {
        let mut silent = Vec::new();
        loop {
            if let Ok(stream) = TcpStream::connect(addr).await {
                silent.push(stream);
            }
            if silent.len() >= 400 {
                silent.drain(..200);
            }
            tokio::task::yield_now().await;
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    for probe in 0..20 {
        let answer = health_check_until_closed(addr).await;
        assert!(
            answer
                .as_deref()
                .is_some_and(|a| a.starts_with("HTTP/1.1 200 OK")),
            "health check {probe} amid the flood: {answer:?}"
        );
    }
    flood.abort();
    drop(held);
}

async fn a_path_parameter_that_is_not_utf8_gets_our_404_page(app: TestApp) {
    for path in ["/%FF%FE", "/section/%FF", "/tag/%C0%AF/feed.xml"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("Invalid URL"), "{path}: {body}");
        assert_our_page(&body, path);
    }
}

async fn a_non_numeric_article_id_gets_our_404_page(app: TestApp) {
    let editor = app.account("Ed Itor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let response = desk.post("/admin/articles/abc/publish", &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_our_page(&response.text().await.unwrap(), "signed in, POST");
    let (status, page) = desk.page("/admin/articles/abc").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_our_page(&page.html(), "signed in, GET");
    // Signed out, a POST goes to the sign-in page; a GET is a method the route does not take.
    let response = app
        .client
        .post(app.url("/admin/articles/abc/publish"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("csrf=x")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/admin/login")
    );
    let response = app.get("/admin/articles/abc/publish").await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        response.headers()["allow"],
        "POST",
        "a 405 still says what it takes"
    );
    assert_our_page(&response.text().await.unwrap(), "signed out, GET");
}

async fn a_malformed_query_string_gets_our_400_page(app: TestApp) {
    let editor = app.account("Ed Itor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let article = app
        .store
        .article_by_slug(&Slug::parse(&SEED[1..]).unwrap())
        .await
        .unwrap()
        .unwrap();
    for path in [
        format!("/admin/articles/{}?saved=abc", article.id),
        format!("/admin/articles/{}/diff?from=x&to=1", article.id),
    ] {
        let (status, page) = desk.page(&path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        let body = page.html();
        assert!(!body.contains("Failed to deserialize"), "{path}: {body}");
        assert_our_page(&body, &path);
    }
}

/// A burst of clients connecting at once (the abuse run opens 600) all reach the accept loop:
/// the listener's queue holds them while it catches up, rather than the kernel dropping their
/// handshakes and leaving silent clients connected to nothing.
#[tokio::test]
async fn a_burst_of_connections_waits_in_the_accept_queue() {
    const BURST: usize = 500;
    let room: usize = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    if room < BURST {
        eprintln!(
            "SKIPPED a_burst_of_connections_waits_in_the_accept_queue: the system queues at most {room} connections (net.core.somaxconn)"
        );
        return;
    }
    rlimit::increase_nofile_limit(4 * BURST as u64).unwrap();
    let listener = dateline_web::listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    // Nobody accepts yet: every handshake must complete into the queue.
    let mut connects = tokio::task::JoinSet::new();
    for _ in 0..BURST {
        connects.spawn(tokio::time::timeout(
            Duration::from_millis(800),
            TcpStream::connect(addr),
        ));
    }
    let mut clients = Vec::new();
    while let Some(connect) = connects.join_next().await {
        if let Ok(Ok(stream)) = connect.unwrap() {
            clients.push(stream);
        }
    }
    assert_eq!(
        clients.len(),
        BURST,
        "handshakes completed while nobody accepted"
    );
    let mut accepted = 0;
    while let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(500), listener.accept()).await
    {
        accepted += 1;
    }
    assert_eq!(accepted, BURST, "every one of them waited to be accepted");
}
