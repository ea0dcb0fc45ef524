//! What an operator watches: `/metrics` in Prometheus' text format on an address of its own
//! (never on the public site), with labels bounded whatever clients send; and logs without colour
//! codes when standard error is not a terminal.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use dateline_store::Backend;
use dateline_store::testing::TestDatabase;
use dateline_web::ServeLimits;
use dateline_web::metrics::PoolUse;

use crate::harness::{TestApp, dateline_bin, on_both_backends};

const SEED: &str = "/imran-khan-extends-invitation-to-putin-discuss-ties-on-call";

on_both_backends!(
    metrics_are_valid_exposition_text_with_every_family,
    requests_are_counted_by_route_pattern_and_status,
    latency_buckets_are_cumulative_and_end_with_the_count,
    a_repeat_request_moves_the_cache_hits,
    the_public_site_answers_404_for_metrics,
    a_flood_of_distinct_paths_adds_no_series,
    connections_turned_away_at_the_limit_are_counted,
);

/// Labels of a sample, by name.
type Labels = BTreeMap<String, String>;

/// A scrape, parsed: every sample by name and labels, and the families it declared.
struct Scrape {
    samples: BTreeMap<(String, Labels), f64>,
    /// `# TYPE` of each family.
    types: BTreeMap<String, String>,
}

impl Scrape {
    /// Parses `text`, failing on anything that is not the text exposition format: every line is
    /// a `# HELP` or `# TYPE` line, another comment, or `name{labels} value`; every sample belongs
    /// to a family declared (HELP and TYPE) before it; no series appears twice.
    fn parse(text: &str) -> Self {
        assert!(text.ends_with('\n'), "the last line ends with a line feed");
        let mut samples = BTreeMap::new();
        let mut types = BTreeMap::new();
        let mut helps = BTreeSet::new();
        for line in text.lines() {
            assert!(!line.is_empty(), "no empty lines in:\n{text}");
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, help) = rest.split_once(' ').expect("HELP name text");
                assert!(is_metric_name(name), "{line}");
                assert!(!help.trim().is_empty(), "{line}");
                assert!(helps.insert(name.to_owned()), "HELP twice: {line}");
                continue;
            }
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
                assert!(is_metric_name(name), "{line}");
                assert!(
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                    "{line}"
                );
                assert!(helps.contains(name), "HELP before TYPE: {line}");
                assert!(
                    types.insert(name.to_owned(), kind.to_owned()).is_none(),
                    "TYPE twice: {line}"
                );
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let (name, labels, value) = parse_sample(line);
            let family = family_of(&name, &types);
            assert!(
                types.contains_key(&family) && helps.contains(&family),
                "sample before its family's HELP and TYPE: {line}"
            );
            assert!(
                samples.insert((name, labels), value).is_none(),
                "series twice: {line}"
            );
        }
        Self { samples, types }
    }

    /// The value of the sample `name` with exactly `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let labels: Labels = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples.get(&(name.to_owned(), labels)).copied()
    }

    /// Like [`Scrape::value`], 0 for a series not there (yet).
    fn count(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.value(name, labels).unwrap_or(0.0)
    }

    /// Every value of one label among the samples of `name`.
    fn label_values(&self, name: &str, label: &str) -> BTreeSet<String> {
        self.samples
            .keys()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, labels)| labels.get(label).cloned())
            .collect()
    }

    /// The cumulative buckets `(le, count)` of `histogram` for `route`, in order of `le`.
    fn buckets(&self, histogram: &str, route: &str) -> Vec<(f64, f64)> {
        let name = format!("{histogram}_bucket");
        let mut buckets: Vec<(f64, f64)> = self
            .samples
            .iter()
            .filter(|((n, labels), _)| {
                *n == name && labels.get("route").map(String::as_str) == Some(route)
            })
            .map(|((_, labels), value)| (parse_value(&labels["le"]), *value))
            .collect();
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        buckets
    }
}

/// The family a sample belongs to: itself, or the histogram its `_bucket`, `_sum` or `_count`
/// name comes from.
fn family_of(name: &str, types: &BTreeMap<String, String>) -> String {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix)
            && types.get(base).map(String::as_str) == Some("histogram")
        {
            return base.to_owned();
        }
    }
    name.to_owned()
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_value(value: &str) -> f64 {
    match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        _ => value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {value:?}")),
    }
}

/// `name{label="value",...} value` (labels optional, values escaped as the format says).
fn parse_sample(line: &str) -> (String, Labels, f64) {
    let name_end = line
        .find(['{', ' '])
        .unwrap_or_else(|| panic!("no value: {line}"));
    let name = &line[..name_end];
    assert!(is_metric_name(name), "bad name: {line}");
    let mut labels = Labels::new();
    let mut rest = &line[name_end..];
    if let Some(after) = rest.strip_prefix('{') {
        let mut chars = after.char_indices().peekable();
        let end = loop {
            let Some((start, c)) = chars.next() else {
                panic!("unclosed labels: {line}");
            };
            if c == '}' {
                break start + 1;
            }
            let mut label = String::from(c);
            for (_, c) in chars.by_ref() {
                if c == '=' {
                    break;
                }
                label.push(c);
            }
            assert!(is_metric_name(&label), "bad label name {label:?}: {line}");
            assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{line}");
            let mut value = String::new();
            loop {
                match chars.next().map(|(_, c)| c) {
                    Some('\\') => match chars.next().map(|(_, c)| c) {
                        Some('\\') => value.push('\\'),
                        Some('"') => value.push('"'),
                        Some('n') => value.push('\n'),
                        other => panic!("bad escape {other:?}: {line}"),
                    },
                    Some('"') => break,
                    Some(c) => value.push(c),
                    None => panic!("unclosed label value: {line}"),
                }
            }
            assert!(labels.insert(label, value).is_none(), "label twice: {line}");
            match chars.peek().map(|(_, c)| *c) {
                Some(',') => {
                    chars.next();
                }
                Some('}') => {}
                other => panic!("expected , or }} after a label, found {other:?}: {line}"),
            }
        };
        rest = &after[end..];
    }
    let value = rest
        .strip_prefix(' ')
        .unwrap_or_else(|| panic!("one space before the value: {line}"));
    assert!(
        !value.contains(' '),
        "one value, no timestamp expected: {line}"
    );
    (name.to_owned(), labels, parse_value(value))
}

/// Serves `/metrics` for `app` on an address of its own, reading its search index's queue and
/// database pool as `dateline serve` does.
async fn metrics_address(app: &TestApp) -> SocketAddr {
    let engine = app.search.clone();
    app.state
        .metrics()
        .read_search_queue(move || engine.queued());
    let store = app.store.clone();
    app.state.metrics().read_database_pool(move || {
        let pool = store.pool();
        PoolUse {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap(),
            max: pool.options().get_max_connections(),
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = app.state.clone();
    tokio::spawn(async move {
        dateline_web::serve_metrics(listener, state, std::future::pending())
            .await
            .expect("serve metrics");
    });
    addr
}

async fn scrape(client: &reqwest::Client, addr: SocketAddr) -> Scrape {
    let response = client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    Scrape::parse(&response.text().await.unwrap())
}

const REQUESTS: &str = "dateline_http_requests_total";
const LATENCY: &str = "dateline_http_request_duration_seconds";

async fn metrics_are_valid_exposition_text_with_every_family(app: TestApp) {
    let metrics = metrics_address(&app).await;
    assert_eq!(app.get("/").await.status(), 200);
    let first = scrape(&app.client, metrics).await;
    for (family, kind) in [
        (REQUESTS, "counter"),
        (LATENCY, "histogram"),
        ("dateline_page_cache_hits_total", "counter"),
        ("dateline_page_cache_misses_total", "counter"),
        ("dateline_page_cache_entries", "gauge"),
        ("dateline_page_cache_bytes", "gauge"),
        ("dateline_page_cache_limit_bytes", "gauge"),
        ("dateline_connections_open", "gauge"),
        ("dateline_connections_limit", "gauge"),
        ("dateline_connections_refused_total", "counter"),
        ("dateline_search_updates_queued", "gauge"),
        ("dateline_related_lists_queued", "gauge"),
        ("dateline_db_pool_connections", "gauge"),
        ("dateline_db_pool_idle_connections", "gauge"),
        ("dateline_db_pool_max_connections", "gauge"),
        ("dateline_password_hashes_running", "gauge"),
        ("dateline_password_hashes_waiting", "gauge"),
    ] {
        assert_eq!(
            first.types.get(family).map(String::as_str),
            Some(kind),
            "{family}"
        );
    }
    let max = match app.store.backend() {
        Backend::Sqlite => 8.0,
        Backend::Postgres => 16.0,
    };
    let open = first.count("dateline_db_pool_connections", &[]);
    let idle = first.count("dateline_db_pool_idle_connections", &[]);
    assert_eq!(
        first.value("dateline_db_pool_max_connections", &[]),
        Some(max)
    );
    assert!(open >= 1.0 && open <= max, "{open} open");
    assert!(idle <= open, "{idle} idle of {open}");
    assert!(first.count("dateline_connections_open", &[]) >= 1.0);
    assert_eq!(
        first.value("dateline_connections_limit", &[]),
        Some(dateline_web::DEFAULT_MAX_CONNECTIONS as f64)
    );
    assert_eq!(
        first.value("dateline_page_cache_limit_bytes", &[]),
        Some(dateline_web::DEFAULT_PAGE_CACHE_BYTES as f64)
    );
    // The hashing gate is the process's: other tests' sign-ins may be running or waiting.
    assert!(
        first
            .value("dateline_password_hashes_running", &[])
            .is_some()
    );
    assert!(
        first
            .value("dateline_password_hashes_waiting", &[])
            .is_some()
    );
    app.related_settled().await;
    let settled = scrape(&app.client, metrics).await;
    assert_eq!(
        settled.value("dateline_related_lists_queued", &[]),
        Some(0.0)
    );
}

async fn requests_are_counted_by_route_pattern_and_status(app: TestApp) {
    let metrics = metrics_address(&app).await;
    let before = scrape(&app.client, metrics).await;
    for (path, status) in [
        ("/", 200),
        (SEED, 200),
        (SEED, 200),
        ("/no-such-story", 404),
        ("/healthz", 200),
        ("/section/no-such-section", 404),
        ("/a/path/no/route/matches", 404),
    ] {
        assert_eq!(app.get(path).await.status(), status, "{path}");
    }
    let refused = app.client.post(app.url("/healthz")).send().await.unwrap();
    assert_eq!(refused.status(), 405);
    let after = scrape(&app.client, metrics).await;
    let moved = |route: &str, status: &str| {
        let labels = [("route", route), ("status", status)];
        after.count(REQUESTS, &labels) - before.count(REQUESTS, &labels)
    };
    assert_eq!(moved("/", "200"), 1.0);
    assert_eq!(moved("/{slug}", "200"), 2.0);
    assert_eq!(moved("/{slug}", "404"), 1.0);
    assert_eq!(moved("/healthz", "200"), 1.0);
    assert_eq!(moved("/healthz", "405"), 1.0);
    assert_eq!(moved("/section/{slug}", "404"), 1.0);
    assert_eq!(moved("unmatched", "404"), 1.0);
    let routes = after.label_values(REQUESTS, "route");
    assert!(
        routes
            .iter()
            .all(|r| r == "unmatched" || r.starts_with('/')),
        "{routes:?}"
    );
    for raw in ["no-such-story", "no-such-section", "matches"] {
        assert!(
            !routes.iter().any(|r| r.contains(raw)),
            "a raw path is never a label: {routes:?}"
        );
    }
    let count =
        |scrape: &Scrape| scrape.count(&format!("{LATENCY}_count"), &[("route", "/{slug}")]);
    assert_eq!(count(&after) - count(&before), 3.0);
}

async fn latency_buckets_are_cumulative_and_end_with_the_count(app: TestApp) {
    let metrics = metrics_address(&app).await;
    for _ in 0..5 {
        assert_eq!(app.get(SEED).await.status(), 200);
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
    let scrape = scrape(&app.client, metrics).await;
    for route in ["/{slug}", "/healthz"] {
        let buckets = scrape.buckets(LATENCY, route);
        assert!(buckets.len() > 5, "{route}: {buckets:?}");
        assert!(
            buckets.windows(2).all(|w| w[0].1 <= w[1].1),
            "{route}: buckets never fall: {buckets:?}"
        );
        let (last_le, last) = *buckets.last().unwrap();
        assert_eq!(last_le, f64::INFINITY);
        let count = scrape.value(&format!("{LATENCY}_count"), &[("route", route)]);
        assert_eq!(Some(last), count, "{route}: +Inf is the count");
        assert!(last >= 5.0, "{route}");
        let sum = scrape
            .value(&format!("{LATENCY}_sum"), &[("route", route)])
            .unwrap();
        assert!(sum > 0.0 && sum < 90.0 * last, "{route}: sum {sum}");
    }
}

async fn a_repeat_request_moves_the_cache_hits(app: TestApp) {
    let metrics = metrics_address(&app).await;
    // An article's first read queues its related list, whose storing drops the page once.
    app.get(SEED).await;
    app.related_settled().await;
    app.get(SEED).await;
    let before = scrape(&app.client, metrics).await;
    let response = app.get(SEED).await;
    assert_eq!(response.headers()["x-cache"], "HIT");
    let after = scrape(&app.client, metrics).await;
    let hits = "dateline_page_cache_hits_total";
    let misses = "dateline_page_cache_misses_total";
    assert_eq!(after.count(hits, &[]) - before.count(hits, &[]), 1.0);
    assert_eq!(after.count(misses, &[]), before.count(misses, &[]));
    assert!(
        before.count(misses, &[]) >= 1.0,
        "the first read was a miss"
    );
    assert!(after.count("dateline_page_cache_entries", &[]) >= 1.0);
    assert!(after.count("dateline_page_cache_bytes", &[]) > 0.0);
    let response = app.get("/no-such-story").await;
    assert_eq!(response.status(), 404);
    let missed = scrape(&app.client, metrics).await;
    assert_eq!(
        missed.count(misses, &[]) - after.count(misses, &[]),
        1.0,
        "a page the cache never holds is a miss"
    );
}

async fn the_public_site_answers_404_for_metrics(app: TestApp) {
    let metrics = metrics_address(&app).await;
    for path in ["/metrics", "/metrics/", "/metrics?format=text"] {
        let response = app.get(path).await;
        assert!(
            matches!(response.status().as_u16(), 404 | 308 | 301),
            "{path}: {}",
            response.status()
        );
        if response.status() == 404 {
            assert!(!response.text().await.unwrap().contains(REQUESTS));
        }
    }
    assert_eq!(app.get("/metrics").await.status(), 404);
    // And the metrics address serves nothing of the site.
    for path in ["/", "/healthz", SEED, "/metrics/x"] {
        let response = app
            .client
            .get(format!("http://{metrics}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}

async fn a_flood_of_distinct_paths_adds_no_series(app: TestApp) {
    let metrics = metrics_address(&app).await;
    let shapes = |n: u32| {
        [
            format!("/story-{n}"),
            format!("/story-{n}/"),
            format!("/section/s-{n}"),
            format!("/tag/t-{n}?before={n}.{n}"),
            format!("/author/a-{n}/feed.xml"),
            format!("/{n}/deeper/than/any/route"),
            format!("/static/{n}.css"),
            format!("/admin/articles/{n}"),
            format!("/media/k{n}/{n}.jpg"),
            format!("/search?q=w{n}"),
        ]
    };
    // Every shape once, so every series it can make exists.
    for path in shapes(0) {
        app.get(&path).await;
    }
    let before = scrape(&app.client, metrics).await;
    for n in 1..=60 {
        for path in shapes(n * 7919) {
            app.get(&path).await;
        }
    }
    let after = scrape(&app.client, metrics).await;
    let series = |scrape: &Scrape| scrape.samples.keys().cloned().collect::<BTreeSet<_>>();
    assert_eq!(
        series(&before),
        series(&after),
        "600 new paths, no new series"
    );
    let routes = after.label_values(REQUESTS, "route");
    assert!(!routes.iter().any(|r| r.contains("7919")), "{routes:?}");
    assert!(
        after.count(REQUESTS, &[("route", "unmatched"), ("status", "404")]) >= 61.0,
        "the paths no route matches are counted together"
    );
}

async fn connections_turned_away_at_the_limit_are_counted(app: TestApp) {
    let metrics = metrics_address(&app).await;
    // A second listener of the same site that serves one connection at once.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = app.state.clone();
    let limits = ServeLimits {
        max_connections: 1,
        ..ServeLimits::default()
    };
    tokio::spawn(async move {
        dateline_web::serve_with(listener, state, std::future::pending(), limits)
            .await
            .expect("serve");
    });
    let before = scrape(&app.client, metrics).await;
    let refused = "dateline_connections_refused_total";
    let held = std::net::TcpStream::connect(addr).unwrap();
    // Any page but the health check, which is answered over the limit too.
    let answer = tokio::task::spawn_blocking(move || {
        let mut second = std::net::TcpStream::connect(addr).unwrap();
        second
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        second.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    let after = scrape(&app.client, metrics).await;
    assert_eq!(after.count(refused, &[]) - before.count(refused, &[]), 1.0);
    assert!(
        after.count("dateline_connections_open", &[]) >= 1.0,
        "the held connection is open"
    );
    drop(held);
}

// The binary itself.

/// A `dateline serve` process, killed when dropped.
struct Server {
    child: Option<Child>,
    addr: String,
}

impl Server {
    fn start(dir: &Path, database: &str, extra: &[&str], stderr: Stdio) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let child = Command::new(dateline_bin())
            .args(["serve", "--addr", &addr, "--database", database])
            .args(extra)
            .current_dir(dir)
            .env_remove("DATELINE_METRICS_ADDR")
            .env_remove("DATELINE_CONFIG")
            .env_remove("DATELINE_DATA_DIR")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start dateline serve");
        Self {
            child: Some(child),
            addr,
        }
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    async fn wait_healthy(&self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client
                .get(format!("http://{}/healthz", self.addr))
                .send()
                .await
                && r.status() == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "server at {} never became healthy",
                self.addr
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the process and returns what it wrote.
    fn stop(mut self) -> Output {
        let mut child = self.child.take().expect("running");
        let _ = child.kill();
        child.wait_with_output().expect("output")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The TCP sockets process `pid` listens on (Linux: its descriptors that are sockets, found in
/// the LISTEN state of its network namespace's TCP tables).
fn listening_sockets(pid: u32) -> usize {
    let inodes: BTreeSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("the process's descriptors")
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_owned(),
            )
        })
        .collect();
    let mut listening = 0;
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.get(3) == Some(&"0A") && fields.get(9).is_some_and(|i| inodes.contains(*i)) {
                listening += 1;
            }
        }
    }
    listening
}

/// A database for a process on `backend`: a file under `dir`, or a PostgreSQL database of its
/// own (`None`, and the test skipped, when PostgreSQL is not reachable).
async fn database(
    backend: Backend,
    test: &str,
    dir: &Path,
) -> Option<(String, Option<TestDatabase>)> {
    match backend {
        Backend::Sqlite => Some((
            format!("sqlite:{}", dir.join("dateline.db").display()),
            None,
        )),
        Backend::Postgres => {
            let db = TestDatabase::postgres(test).await?;
            Some((db.url().as_sqlx_url().to_owned(), Some(db)))
        }
    }
}

/// Runs each `async fn(Backend)` once on SQLite and once on PostgreSQL.
macro_rules! on_both_databases {
    ($($case:ident),* $(,)?) => {
        mod binary_on_sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(dateline_store::Backend::Sqlite).await;
                }
            )*
        }
        mod binary_on_postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(dateline_store::Backend::Postgres).await;
                }
            )*
        }
    };
}

on_both_databases!(
    the_binary_serves_metrics_on_the_address_given,
    without_a_metrics_address_nothing_else_listens,
    logs_to_a_pipe_carry_no_colour_codes,
    metrics_address_mistakes_are_one_clear_line,
);

async fn the_binary_serves_metrics_on_the_address_given(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("metrics::the_binary_serves_metrics_on_the_address_given::{backend:?}");
    let Some((url, _db)) = database(backend, &name, dir.path()).await else {
        return;
    };
    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let server = Server::start(
        dir.path(),
        &url,
        &["--metrics-addr", &metrics_addr],
        Stdio::null(),
    );
    let client = reqwest::Client::new();
    server.wait_healthy(&client).await;
    assert_eq!(
        listening_sockets(server.pid()),
        2,
        "the site and the metrics"
    );
    let public = |path: &str| format!("http://{}{path}", server.addr);
    assert_eq!(client.get(public(SEED)).send().await.unwrap().status(), 200);
    assert_eq!(
        client
            .get(public("/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let scrape = scrape(&client, metrics_addr.parse().unwrap()).await;
    assert!(scrape.count(REQUESTS, &[("route", "/healthz"), ("status", "200")]) >= 1.0);
    assert_eq!(
        scrape.value(REQUESTS, &[("route", "/{slug}"), ("status", "200")]),
        Some(1.0)
    );
    assert_eq!(
        scrape.value(REQUESTS, &[("route", "/{slug}"), ("status", "404")]),
        Some(1.0),
        "the public /metrics was an article that does not exist"
    );
    let max = match backend {
        Backend::Sqlite => 8.0,
        Backend::Postgres => 16.0,
    };
    assert_eq!(
        scrape.value("dateline_db_pool_max_connections", &[]),
        Some(max)
    );
    assert!(scrape.count("dateline_db_pool_connections", &[]) >= 1.0);
    for gauge in [
        "dateline_search_updates_queued",
        "dateline_related_lists_queued",
        "dateline_connections_open",
        "dateline_page_cache_entries",
    ] {
        assert!(scrape.value(gauge, &[]).is_some(), "{gauge}");
    }
    assert!(scrape.count("dateline_connections_limit", &[]) >= 1.0);
}

async fn without_a_metrics_address_nothing_else_listens(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("metrics::without_a_metrics_address_nothing_else_listens::{backend:?}");
    let Some((url, _db)) = database(backend, &name, dir.path()).await else {
        return;
    };
    let server = Server::start(dir.path(), &url, &[], Stdio::null());
    let client = reqwest::Client::new();
    server.wait_healthy(&client).await;
    assert_eq!(listening_sockets(server.pid()), 1, "the site alone");
    let response = client
        .get(format!("http://{}/metrics", server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

async fn logs_to_a_pipe_carry_no_colour_codes(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("metrics::logs_to_a_pipe_carry_no_colour_codes::{backend:?}");
    let Some((url, _db)) = database(backend, &name, dir.path()).await else {
        return;
    };
    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let server = Server::start(
        dir.path(),
        &url,
        &["--metrics-addr", &metrics_addr],
        Stdio::piped(),
    );
    let client = reqwest::Client::new();
    server.wait_healthy(&client).await;
    let output = server.stop();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("INFO"), "logs were written: {stderr}");
    assert!(
        stderr.contains(&format!("metrics at http://{metrics_addr}/metrics")),
        "{stderr}"
    );
    assert!(!stderr.contains("\x1b["), "no colour codes: {stderr:?}");
}

async fn metrics_address_mistakes_are_one_clear_line(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("metrics::metrics_address_mistakes_are_one_clear_line::{backend:?}");
    let Some((url, _db)) = database(backend, &name, dir.path()).await else {
        return;
    };
    let run = |args: &[&str], env: Option<&str>| {
        let mut command = Command::new(dateline_bin());
        command
            .args(["serve", "--database", &url])
            .args(args)
            .current_dir(dir.path())
            .env_remove("DATELINE_METRICS_ADDR")
            .env_remove("DATELINE_CONFIG")
            .env_remove("DATELINE_ADDR")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(value) = env {
            command.env("DATELINE_METRICS_ADDR", value);
        }
        let output = command.output().expect("run dateline");
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one line: {stderr}");
        assert!(lines[0].starts_with("error: "), "{stderr}");
        lines[0].to_owned()
    };
    let addr = format!("127.0.0.1:{}", free_port());
    let line = run(&["--addr", &addr, "--metrics-addr", "nowhere"], None);
    assert!(
        line.contains("metrics address: invalid listen address 'nowhere'"),
        "{line}"
    );
    let line = run(&["--addr", &addr], Some("nowhere-either"));
    assert!(
        line.contains("'nowhere-either'"),
        "read from the environment: {line}"
    );
    std::fs::write(
        dir.path().join("metrics.toml"),
        "metrics_addr = \"nowhere-in-a-file\"\n",
    )
    .unwrap();
    let line = run(&["--addr", &addr, "--config", "metrics.toml"], None);
    assert!(
        line.contains("'nowhere-in-a-file'"),
        "read from the config file: {line}"
    );
    let line = run(&["--addr", &addr, "--metrics-addr", &addr], None);
    assert!(
        line.contains("must differ from the site's address"),
        "{line}"
    );
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = held.local_addr().unwrap().to_string();
    let line = run(&["--addr", &addr, "--metrics-addr", &taken], None);
    assert!(
        line.contains(&format!("cannot listen on {taken} for metrics")),
        "{line}"
    );
    assert!(
        !dir.path().join("dateline-data").exists(),
        "nothing was created before the addresses were checked"
    );
}
