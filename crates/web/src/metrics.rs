//! What an operator watches, in Prometheus' text exposition format (version 0.0.4): requests and
//! their latency by route, the page cache, connections, the background queues, the database pool
//! and password hashing. Served only on an address of its own ([`crate::serve_metrics`]), never by
//! the public site: see `docs/SECURITY.md`.
//!
//! Recording is on every request's path, so it takes no lock: a request finds its route's
//! counters in a fixed table by the route's pattern (a slot is claimed once per pattern and read
//! without a lock afterwards) and adds to three atomic counters. Every label is bounded by
//! construction, whatever clients send: a route is the pattern the router matched (`/{slug}`,
//! never the raw path; no match at all is `unmatched`), and a route counts at most
//! [`STATUS_SLOTS`] distinct statuses (more fall under `other`). Everything else (the cache's
//! size, the queues, the pool) is read when scraped.
//!
//! Hand-written rather than a client crate: the text format is a few lines, and
//! `prometheus-client`'s histogram takes a lock per observation, while the `metrics` crate's
//! exporter keeps one process-wide recorder and every sample until the next scrape.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::validators::fnv1a;

/// Route patterns with counters of their own; a router has far fewer, and any beyond this
/// count under `other`.
const ROUTE_SLOTS: usize = 256;
/// Distinct statuses counted per route; more count under `other`.
pub const STATUS_SLOTS: usize = 16;
/// The latency buckets' upper bounds, in nanoseconds and as written in `le`.
const LATENCY_BUCKETS: [(u64, &str); 14] = [
    (500_000, "0.0005"),
    (1_000_000, "0.001"),
    (2_500_000, "0.0025"),
    (5_000_000, "0.005"),
    (10_000_000, "0.01"),
    (25_000_000, "0.025"),
    (50_000_000, "0.05"),
    (100_000_000, "0.1"),
    (250_000_000, "0.25"),
    (500_000_000, "0.5"),
    (1_000_000_000, "1"),
    (2_500_000_000, "2.5"),
    (5_000_000_000, "5"),
    (10_000_000_000, "10"),
];
/// The route label of a request no route matched.
pub const UNMATCHED: &str = "unmatched";
/// The label of whatever is beyond a table's slots.
const OTHER: &str = "other";
/// Connections the metrics listener serves at once: a scraper or two, and an operator's curl.
const MAX_SCRAPERS: usize = 16;
/// The exposition format's media type.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The counters of one process, and the readings taken at each scrape.
pub struct Metrics {
    routes: Routes,
    /// Connections of the public listener.
    pub(crate) connections: Arc<ConnectionStats>,
    readings: Mutex<Readings>,
}

/// How many connections of the pool to the database are open and idle, and the most it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    /// Open connections, in use or idle.
    pub open: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
}

type Reading<T> = Box<dyn Fn() -> T + Send + Sync>;

/// Parts the web layer reaches only through ports, read at each scrape.
#[derive(Default)]
struct Readings {
    search_queue: Option<Reading<usize>>,
    database_pool: Option<Reading<PoolUse>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            routes: Routes::new(),
            connections: Arc::default(),
            readings: Mutex::default(),
        }
    }
}

impl Metrics {
    /// Reports `queued()` as the search index's upkeep queue (articles waiting to be indexed).
    pub fn read_search_queue(&self, queued: impl Fn() -> usize + Send + Sync + 'static) {
        self.lock_readings().search_queue = Some(Box::new(queued));
    }

    /// Reports `read()` as the use of the database's connection pool.
    pub fn read_database_pool(&self, read: impl Fn() -> PoolUse + Send + Sync + 'static) {
        self.lock_readings().database_pool = Some(Box::new(read));
    }

    fn lock_readings(&self) -> std::sync::MutexGuard<'_, Readings> {
        self.readings.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Counters of one route pattern.
struct RouteStats {
    route: Box<str>,
    statuses: StatusCounts,
    /// Requests by latency bucket, not cumulative; the last is past every bound (`+Inf`).
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    /// Latency of every request together, in nanoseconds.
    nanos: AtomicU64,
}

impl RouteStats {
    fn new(route: &str) -> Self {
        Self {
            route: route.into(),
            statuses: StatusCounts::default(),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            nanos: AtomicU64::new(0),
        }
    }

    fn record(&self, status: u16, took: Duration) {
        self.statuses.add(status);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|(bound, _)| nanos <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The buckets as read now, cumulative, the last (`+Inf`) being the count.
    fn cumulative(&self) -> [u64; LATENCY_BUCKETS.len() + 1] {
        let mut total = 0;
        std::array::from_fn(|i| {
            total += self.buckets[i].load(Ordering::Relaxed);
            total
        })
    }
}

/// Requests by status: an open-addressed table whose slots are claimed with one
/// compare-and-swap, so counting never locks.
#[derive(Default)]
struct StatusCounts {
    /// The status each slot counts; 0 while free.
    codes: [AtomicU16; STATUS_SLOTS],
    counts: [AtomicU64; STATUS_SLOTS],
    /// Statuses that found every slot taken.
    other: AtomicU64,
}

impl StatusCounts {
    fn add(&self, code: u16) {
        let start = usize::from(code) % STATUS_SLOTS;
        for i in 0..STATUS_SLOTS {
            let slot = (start + i) % STATUS_SLOTS;
            let held = self.codes[slot].load(Ordering::Acquire);
            let ours = held == code
                || (held == 0
                    && match self.codes[slot].compare_exchange(
                        0,
                        code,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => true,
                        Err(now) => now == code,
                    });
            if ours {
                self.counts[slot].fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        self.other.fetch_add(1, Ordering::Relaxed);
    }

    /// `(status, count)` of every status counted so far, in order, `other` last.
    fn read(&self) -> Vec<(String, u64)> {
        let mut counted: Vec<(u16, u64)> = (0..STATUS_SLOTS)
            .filter_map(|slot| {
                let code = self.codes[slot].load(Ordering::Acquire);
                let count = self.counts[slot].load(Ordering::Relaxed);
                (code != 0 && count > 0).then_some((code, count))
            })
            .collect();
        counted.sort_unstable();
        let mut out: Vec<(String, u64)> = counted
            .into_iter()
            .map(|(code, count)| (code.to_string(), count))
            .collect();
        let other = self.other.load(Ordering::Relaxed);
        if other > 0 {
            out.push((OTHER.to_owned(), other));
        }
        out
    }
}

/// Route patterns and their counters: an open-addressed table of slots, each set once.
struct Routes {
    slots: Box<[OnceLock<Box<RouteStats>>]>,
    unmatched: RouteStats,
    other: RouteStats,
}

impl Routes {
    fn new() -> Self {
        Self {
            slots: (0..ROUTE_SLOTS).map(|_| OnceLock::new()).collect(),
            unmatched: RouteStats::new(UNMATCHED),
            other: RouteStats::new(OTHER),
        }
    }

    fn get(&self, route: Option<&str>) -> &RouteStats {
        let Some(route) = route else {
            return &self.unmatched;
        };
        let start = usize::try_from(fnv1a(route.as_bytes()) % ROUTE_SLOTS as u64).unwrap_or(0);
        for i in 0..ROUTE_SLOTS {
            let slot = &self.slots[(start + i) % ROUTE_SLOTS];
            let stats = slot.get_or_init(|| Box::new(RouteStats::new(route)));
            if *stats.route == *route {
                return stats;
            }
        }
        &self.other
    }

    /// Every route with at least one request, by pattern.
    fn used(&self) -> Vec<&RouteStats> {
        let mut used: Vec<&RouteStats> = self
            .slots
            .iter()
            .filter_map(|slot| slot.get().map(|stats| &**stats))
            .chain([&self.unmatched, &self.other])
            .filter(|stats| stats.cumulative()[LATENCY_BUCKETS.len()] > 0)
            .collect();
        used.sort_by(|a, b| a.route.cmp(&b.route));
        used
    }
}

/// Connections of one listener, kept by its accept loop.
#[derive(Default)]
pub(crate) struct ConnectionStats {
    open: AtomicUsize,
    refused: AtomicU64,
    limit: AtomicUsize,
}

/// Held while a connection is served; counts it as open until dropped.
pub(crate) struct OpenConnection(Arc<ConnectionStats>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl ConnectionStats {
    pub(crate) fn set_limit(&self, limit: usize) {
        self.limit.store(limit, Ordering::Relaxed);
    }

    pub(crate) fn opened(self: &Arc<Self>) -> OpenConnection {
        self.open.fetch_add(1, Ordering::Relaxed);
        OpenConnection(self.clone())
    }

    pub(crate) fn refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts every request by the route it matched, its status and how long its answer took (to
/// the response's head). The outermost layer of the public router.
pub(crate) async fn count_requests(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let matched = request.extensions().get::<MatchedPath>();
    let route = metrics.routes.get(matched.map(MatchedPath::as_str));
    let response = next.run(request).await;
    route.record(response.status().as_u16(), started.elapsed());
    response
}

/// The metrics' own router: `GET /metrics`, and a 404 for everything else.
pub(crate) fn routes(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(show_metrics))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .with_state(state)
}

/// The bounds of the metrics listener: the public ones, with fewer connections.
pub(crate) fn limits() -> crate::ServeLimits {
    crate::ServeLimits {
        max_connections: MAX_SCRAPERS,
        ..crate::ServeLimits::default()
    }
}

async fn show_metrics(State(state): State<AppState>) -> Response {
    let mut response = render(&state).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Every metric of `state`, in the text exposition format.
pub(crate) fn render(state: &AppState) -> String {
    let metrics = &state.metrics;
    let mut out = Exposition::default();
    let routes = metrics.routes.used();

    out.family(
        "dateline_http_requests_total",
        "counter",
        "Requests answered, by the route pattern they matched and status.",
    );
    for stats in &routes {
        for (status, count) in stats.statuses.read() {
            out.sample(
                "dateline_http_requests_total",
                &[("route", &*stats.route), ("status", status.as_str())],
                count,
            );
        }
    }

    let latency = "dateline_http_request_duration_seconds";
    out.family(
        latency,
        "histogram",
        "Time from a request reaching the router to its response's head, by route pattern.",
    );
    for stats in &routes {
        let route: &str = &stats.route;
        let cumulative = stats.cumulative();
        let les = LATENCY_BUCKETS.iter().map(|(_, le)| *le).chain(["+Inf"]);
        for (le, count) in les.zip(cumulative) {
            out.sample(
                &format!("{latency}_bucket"),
                &[("route", route), ("le", le)],
                count,
            );
        }
        let seconds = stats.nanos.load(Ordering::Relaxed) as f64 / 1e9;
        out.sample(&format!("{latency}_sum"), &[("route", route)], seconds);
        out.sample(
            &format!("{latency}_count"),
            &[("route", route)],
            cumulative[LATENCY_BUCKETS.len()],
        );
    }

    let cache = state.page_cache();
    out.single(
        "dateline_page_cache_hits_total",
        "counter",
        "Requests answered from the page cache.",
        cache.hits(),
    );
    out.single(
        "dateline_page_cache_misses_total",
        "counter",
        "Requests to cached routes that were rendered because the cache held no page for them.",
        cache.misses(),
    );
    out.single(
        "dateline_page_cache_entries",
        "gauge",
        "Pages held in the page cache.",
        cache.len(),
    );
    out.single(
        "dateline_page_cache_bytes",
        "gauge",
        "Bytes held by the page cache, keys and headers included.",
        cache.bytes(),
    );
    out.single(
        "dateline_page_cache_limit_bytes",
        "gauge",
        "The page cache's size limit (0: off).",
        cache.limit(),
    );

    let connections = &metrics.connections;
    out.single(
        "dateline_connections_open",
        "gauge",
        "Connections of the public listener being served.",
        connections.open.load(Ordering::Relaxed),
    );
    out.single(
        "dateline_connections_limit",
        "gauge",
        "Connections the public listener serves at once.",
        connections.limit.load(Ordering::Relaxed),
    );
    out.single(
        "dateline_connections_refused_total",
        "counter",
        "Connections turned away (503 and closed) because the limit was reached.",
        connections.refused.load(Ordering::Relaxed),
    );

    let readings = metrics.lock_readings();
    if let Some(queued) = &readings.search_queue {
        out.single(
            "dateline_search_updates_queued",
            "gauge",
            "Articles waiting to be brought up to date in the search index (a pending rebuild counts as one).",
            queued(),
        );
    }
    if let Some(related) = state.search.as_ref().and_then(|s| s.related.as_ref()) {
        out.single(
            "dateline_related_lists_queued",
            "gauge",
            "Articles waiting for their related list to be computed.",
            related.queued(),
        );
    }
    if let Some(read) = &readings.database_pool {
        let pool = read();
        out.single(
            "dateline_db_pool_connections",
            "gauge",
            "Open connections to the database, in use or idle.",
            pool.open,
        );
        out.single(
            "dateline_db_pool_idle_connections",
            "gauge",
            "Open connections to the database that are idle.",
            pool.idle,
        );
        out.single(
            "dateline_db_pool_max_connections",
            "gauge",
            "The most connections the pool opens to the database.",
            pool.max,
        );
    }
    drop(readings);

    out.single(
        "dateline_password_hashes_running",
        "gauge",
        "Password hashes and checks running now.",
        state.hashing.running(),
    );
    out.single(
        "dateline_password_hashes_waiting",
        "gauge",
        "Password hashes and checks waiting for their turn.",
        state.hashing.waiting(),
    );
    out.0
}

/// Text in the exposition format, built up family by family.
#[derive(Default)]
struct Exposition(String);

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (label, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{label}=\"{}\"", escape_label(value));
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }

    fn single(&mut self, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

/// A label value as the format writes it: backslash, double quote and line feed escaped.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_counts_each_status_apart_and_overflow_as_other() {
        let stats = RouteStats::new("/{slug}");
        for _ in 0..3 {
            stats.record(200, Duration::from_micros(300));
        }
        stats.record(404, Duration::from_millis(3));
        assert_eq!(
            stats.statuses.read(),
            [("200".to_owned(), 3), ("404".to_owned(), 1)]
        );
        for code in 100..(100 + STATUS_SLOTS as u16 + 5) {
            stats.record(code, Duration::ZERO);
        }
        let read = stats.statuses.read();
        assert_eq!(read.len(), STATUS_SLOTS + 1, "{read:?}");
        assert_eq!(read.last(), Some(&("other".to_owned(), 7)));
    }

    #[test]
    fn latency_buckets_are_cumulative_and_end_with_the_count() {
        let stats = RouteStats::new("/");
        stats.record(200, Duration::from_micros(500));
        stats.record(200, Duration::from_nanos(500_001));
        stats.record(200, Duration::from_secs(30));
        let cumulative = stats.cumulative();
        assert_eq!(cumulative[0], 1, "at the bound is within it");
        assert_eq!(cumulative[1], 2);
        assert_eq!(cumulative[LATENCY_BUCKETS.len() - 1], 2);
        assert_eq!(cumulative[LATENCY_BUCKETS.len()], 3);
        assert!(cumulative.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn routes_are_found_by_pattern_and_beyond_the_table_count_as_other() {
        let routes = Routes::new();
        let a = routes.get(Some("/{slug}")) as *const RouteStats;
        assert_eq!(a, routes.get(Some("/{slug}")) as *const RouteStats);
        assert_eq!(&*routes.get(None).route, UNMATCHED);
        for n in 0..ROUTE_SLOTS {
            routes.get(Some(&format!("/r{n}")));
        }
        assert_eq!(&*routes.get(Some("/one-too-many")).route, OTHER);
        assert_eq!(&*routes.get(Some("/r7")).route, "/r7");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_label("a\nb"), "a\\nb");
    }
}
