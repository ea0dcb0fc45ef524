//! The page cache: public pages rendered once, compressed once (gzip and brotli), and served from
//! memory with ETag and Last-Modified until something they show changes.
//!
//! Handlers opt in by attaching [`CacheTags`] to a 200 response: the [`CacheKey`]s the page
//! depends on (its article and the articles its Read More blocks point at; the listing a front
//! shows). The store announces every committed write as a [`ContentChange`] — synchronously, before
//! the write returns, and from other nodes through PostgreSQL — and every entry whose keys it
//! touches is dropped. So a reader never sees a stale headline after the editor's publish returns.
//!
//! Entries remember the publication's local day they were rendered on: the top bar shows today's
//! date, so after local midnight an entry from yesterday is rendered afresh.
//!
//! The cache is attached to the routes it serves ([`cached`]), each with the [`KeyRule`] of what
//! its page reads: an article, a feed or a sitemap reads no parameters, so `?utm_source=…` or any
//! other junk in the query string is the same entry; a front reads only its paging cursor. Nobody
//! can fill memory by varying the query string, or make every request a miss.
//!
//! Memory is bounded: an entry counts every byte it holds (its address, the keys it depends on,
//! its header values and its three bodies), and past the size limit the least recently used
//! entries go first.
//!
//! A miss is answered at once with the page as rendered, and stored as it is; its gzip and
//! brotli bodies are built on the blocking pool, at most [`MAX_COMPRESSIONS`] at a time (past
//! that the page is served uncompressed until a later request finds the pool free), and put in
//! its place. Concurrent misses of one address render once: the others wait for the first to be
//! stored and compressed, and are served from it.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use dateline_domain::{CacheKey, ChangeObserver, ContentChange};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::AppState;
use crate::handlers::PageQuery;
use crate::validators::{fnv1a, http_date, parse_http_date};

/// The keys a page depends on; attach to a response to have it cached.
#[derive(Debug, Clone, Default)]
pub struct CacheTags(pub BTreeSet<CacheKey>);

/// Largest page we cache, in bytes.
const MAX_PAGE: usize = 4 * 1024 * 1024;
/// How long a CDN in front may serve a page before asking again.
const S_MAXAGE: i64 = 300;
/// How long browsers may keep a page without asking.
const MAX_AGE: i64 = 60;
/// Pages compressed at once on the blocking pool; past this a page is kept uncompressed for now.
pub const MAX_COMPRESSIONS: usize = 4;
/// How long a request waits for a concurrent render of the same page before rendering its own.
const WAIT_FOR_RENDER: Duration = Duration::from_secs(10);
/// Bytes an entry costs besides what it holds: the map's slot, the `Arc`, the allocations' heads.
const ENTRY_OVERHEAD: usize = 256;
/// Bytes a key in an entry's key set costs besides the key itself (the B-tree's share).
const KEY_OVERHEAD: usize = 16;

/// What part of a request's address a cached route's page depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRule {
    /// The path alone: the page reads no parameters (articles, feeds, sitemaps).
    Path,
    /// The path and a front's paging cursor, as [`PageQuery`] reads it.
    PathAndCursor,
}

impl KeyRule {
    /// The cache key of a request to a route under this rule.
    pub fn key(self, uri: &Uri) -> String {
        match self {
            KeyRule::Path => uri.path().to_owned(),
            KeyRule::PathAndCursor => {
                format!("{}{}", uri.path(), PageQuery::from_uri(uri).cache_suffix())
            }
        }
    }
}

/// The state of [`serve_cached`] on a group of routes: the site and the routes' key rule.
#[derive(Clone)]
pub struct Cached {
    state: AppState,
    rule: KeyRule,
}

/// The page cache as a route layer for routes whose pages depend on what `rule` keeps.
pub fn cached(state: &AppState, rule: KeyRule) -> Cached {
    Cached {
        state: state.clone(),
        rule,
    }
}

/// One cached page, in every encoding we serve.
struct Entry {
    keys: BTreeSet<CacheKey>,
    day: NaiveDate,
    /// When the content last changed: the handler's Last-Modified, or when it was rendered.
    modified: DateTime<Utc>,
    etag: HeaderValue,
    last_modified: HeaderValue,
    content_type: HeaderValue,
    surrogate_key: HeaderValue,
    identity: Bytes,
    gzip: Bytes,
    brotli: Bytes,
    last_used: AtomicU64,
    /// Every byte held for this entry, its cache key included; set when it is stored.
    held: usize,
    /// Whether the gzip and brotli bodies have been built (they may still be empty, when a
    /// compressor failed: then the page is served as is).
    compressed: bool,
}

impl Entry {
    /// Bytes this entry holds apart from its cache key.
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + ENTRY_OVERHEAD
            + self.identity.len()
            + self.gzip.len()
            + self.brotli.len()
            + self.etag.len()
            + self.last_modified.len()
            + self.content_type.len()
            + self.surrogate_key.len()
            + self.keys.len() * (std::mem::size_of::<CacheKey>() + KEY_OVERHEAD)
    }

    /// The same page with its gzip and brotli bodies: slow, run it off the async threads.
    fn compressed(&self) -> Self {
        Self {
            keys: self.keys.clone(),
            day: self.day,
            modified: self.modified,
            etag: self.etag.clone(),
            last_modified: self.last_modified.clone(),
            content_type: self.content_type.clone(),
            surrogate_key: self.surrogate_key.clone(),
            gzip: gzip(&self.identity),
            brotli: brotli(&self.identity),
            identity: self.identity.clone(),
            last_used: AtomicU64::new(0),
            held: 0,
            compressed: true,
        }
    }
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Arc<Entry>>,
    bytes: usize,
}

/// Cached public pages, shared by every request of a process.
pub struct PageCache {
    inner: Mutex<Inner>,
    limit: AtomicUsize,
    /// Bumped by every invalidation: a page rendered across one is not stored.
    generation: AtomicU64,
    clock: AtomicU64,
    /// Pages being rendered and stored now, by key: a request for one of them waits for it.
    rendering: Mutex<HashMap<String, watch::Receiver<()>>>,
    /// Compressions allowed to run at once.
    compressions: Arc<Semaphore>,
    /// Requests answered from the cache, and requests to cached routes rendered instead.
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Held by the one request rendering (or compressing) a page for the cache; dropping it (stored
/// and compressed, not cacheable, or given up) wakes those waiting for the page.
struct Rendering {
    cache: Arc<PageCache>,
    key: String,
    _done: watch::Sender<()>,
}

impl Drop for Rendering {
    fn drop(&mut self) {
        self.cache.lock_rendering().remove(&self.key);
    }
}

/// Whether this request renders a page or waits for another's render of it.
enum Turn {
    Render(Rendering),
    Wait(watch::Receiver<()>),
}

impl PageCache {
    /// A cache holding at most `limit` bytes; 0 turns caching off.
    pub fn new(limit: usize) -> Self {
        Self {
            inner: Mutex::default(),
            limit: AtomicUsize::new(limit),
            generation: AtomicU64::new(0),
            clock: AtomicU64::new(0),
            rendering: Mutex::default(),
            compressions: Arc::new(Semaphore::new(MAX_COMPRESSIONS)),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        self.limit() > 0
    }

    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    /// Changes the size limit (0 turns caching off), evicting what no longer fits.
    pub fn set_limit(&self, limit: usize) {
        self.limit.store(limit, Ordering::Relaxed);
        let mut inner = self.lock();
        evict(&mut inner, limit);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_rendering(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Receiver<()>>> {
        self.rendering.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes held now, keys included.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Pages held now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Requests answered from the cache so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Requests to cached routes rendered so far because the cache held no page for them
    /// (while caching is on; pages that are never cached, such as a 404, included).
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// The addresses of the pages held now, for tests and diagnostics.
    pub fn keys(&self) -> Vec<String> {
        self.lock().entries.keys().cloned().collect()
    }

    fn get(&self, key: &str, day: NaiveDate) -> Option<Arc<Entry>> {
        let entry = self.lock().entries.get(key).cloned()?;
        if entry.day != day {
            return None;
        }
        entry.last_used.store(
            self.clock.fetch_add(1, Ordering::Relaxed),
            Ordering::Relaxed,
        );
        Some(entry)
    }

    /// Renders `key` ourselves, or waits for the request already rendering it.
    fn turn(self: &Arc<Self>, key: &str) -> Turn {
        let mut rendering = self.lock_rendering();
        if let Some(done) = rendering.get(key) {
            return Turn::Wait(done.clone());
        }
        let (sender, receiver) = watch::channel(());
        rendering.insert(key.to_owned(), receiver);
        Turn::Render(Rendering {
            cache: self.clone(),
            key: key.to_owned(),
            _done: sender,
        })
    }

    /// Stores `entry` under `key` unless an invalidation came after `generation` was read; the
    /// entry as shared, and whether it was stored.
    fn insert(&self, key: String, mut entry: Entry, generation: u64) -> (Arc<Entry>, bool) {
        let size = key.len() + entry.footprint();
        entry.held = size;
        let limit = self.limit();
        if size > limit {
            return (Arc::new(entry), false);
        }
        let mut inner = self.lock();
        // Checked under the lock that invalidation also takes: nothing slips in between.
        if self.generation.load(Ordering::SeqCst) != generation {
            return (Arc::new(entry), false);
        }
        entry.last_used = AtomicU64::new(self.clock.fetch_add(1, Ordering::Relaxed));
        let entry = Arc::new(entry);
        if let Some(old) = inner.entries.insert(key, entry.clone()) {
            inner.bytes -= old.held;
        }
        inner.bytes += size;
        if inner.bytes > limit {
            evict(&mut inner, limit - limit / 10);
        }
        (entry, true)
    }

    /// Puts the compressed `new` in the place of `old`, if `old` is still what `key` holds (no
    /// invalidation or eviction came in between).
    fn replace(&self, key: &str, old: &Arc<Entry>, mut new: Entry) {
        let size = key.len() + new.footprint();
        new.held = size;
        let limit = self.limit();
        let mut inner = self.lock();
        if !inner.entries.get(key).is_some_and(|e| Arc::ptr_eq(e, old)) {
            return;
        }
        inner.bytes -= old.held;
        if size > limit {
            inner.entries.remove(key);
            return;
        }
        new.last_used = AtomicU64::new(old.last_used.load(Ordering::Relaxed));
        inner.entries.insert(key.to_owned(), Arc::new(new));
        inner.bytes += size;
        if inner.bytes > limit {
            evict(&mut inner, limit - limit / 10);
        }
    }

    /// Drops every entry that depends on something `change` touched.
    pub fn invalidate(&self, change: &ContentChange) {
        let mut inner = self.lock();
        self.generation.fetch_add(1, Ordering::SeqCst);
        // Every page shows the menus, whose links follow the pages' paths.
        if change.keys.contains(&CacheKey::All) || change.keys.contains(&CacheKey::Pages) {
            *inner = Inner::default();
            return;
        }
        let mut freed = 0;
        inner.entries.retain(|_, entry| {
            let stale = change.touches(&entry.keys);
            if stale {
                freed += entry.held;
            }
            !stale
        });
        inner.bytes -= freed;
    }
}

/// Removes the least recently used entries until at most `target` bytes remain.
fn evict(inner: &mut Inner, target: usize) {
    let mut by_age: Vec<(u64, String, usize)> = inner
        .entries
        .iter()
        .map(|(k, e)| (e.last_used.load(Ordering::Relaxed), k.clone(), e.held))
        .collect();
    by_age.sort_unstable_by_key(|(used, _, _)| *used);
    for (_, key, size) in by_age {
        if inner.bytes <= target {
            break;
        }
        inner.entries.remove(&key);
        inner.bytes -= size;
    }
}

impl ChangeObserver for PageCache {
    fn content_changed(&self, change: &ContentChange) {
        self.invalidate(change);
    }
}

/// Serves cacheable GETs from the cache, and caches what handlers mark with [`CacheTags`].
pub async fn serve_cached(State(cached): State<Cached>, request: Request, next: Next) -> Response {
    let state = &cached.state;
    let cache = state.page_cache.clone();
    if !cache.enabled() || !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let key = cached.rule.key(request.uri());
    let site = state.site();
    let now = state.clock.now();
    let day = now.with_timezone(&site.time_zone).date_naive();
    let headers = request.headers().clone();
    let hit = |entry: &Entry| {
        cache.hits.fetch_add(1, Ordering::Relaxed);
        respond(entry, &headers, now, site.time_zone, "HIT")
    };
    // A client that takes no compression need not wait for it.
    if let Some(entry) = cache.get(&key, day)
        && (entry.compressed || pick_encoding(&headers).is_none())
    {
        return hit(&entry);
    }
    let rendering = match cache.turn(&key) {
        Turn::Render(rendering) => {
            if let Some(entry) = cache.get(&key, day) {
                // Stored but not compressed (compressions were busy): compress it now.
                if !entry.compressed {
                    compress(&cache, key, entry.clone(), rendering);
                }
                return hit(&entry);
            }
            Some(rendering)
        }
        Turn::Wait(mut done) => {
            // Woken when the other render is stored and compressed, or given up; either way
            // look again.
            let _ = tokio::time::timeout(WAIT_FOR_RENDER, done.changed()).await;
            if let Some(entry) = cache.get(&key, day) {
                return hit(&entry);
            }
            None
        }
    };
    let generation = cache.generation.load(Ordering::SeqCst);
    cache.misses.fetch_add(1, Ordering::Relaxed);
    let response = next.run(request).await;
    let Some(tags) = response.extensions().get::<CacheTags>().cloned() else {
        return response;
    };
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_PAGE).await else {
        tracing::error!(%key, "page too large to cache");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("text/html; charset=utf-8"));
    // A handler that knows its own validators (a feed dated by its newest item) keeps them.
    let validators = Validators {
        etag: parts.headers.get(header::ETAG).cloned(),
        modified: parts
            .headers
            .get(header::LAST_MODIFIED)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date),
    };
    let entry = build_entry(body, tags.0, content_type, day, now, validators);
    let (entry, stored) = cache.insert(key.clone(), entry, generation);
    let response = respond(&entry, &headers, now, site.time_zone, "MISS");
    // Whoever stores a page has it compressed, a request that gave up waiting included.
    let rendering = rendering.or_else(|| match cache.turn(&key) {
        Turn::Render(rendering) => Some(rendering),
        Turn::Wait(_) => None,
    });
    if stored && let Some(rendering) = rendering {
        compress(&cache, key, entry, rendering);
    }
    response
}

/// Compresses the stored `entry` on the blocking pool and puts the result in its place, unless
/// [`MAX_COMPRESSIONS`] are running already: then the page stays uncompressed until a later
/// request finds the pool free. Those waiting for the page wait for this.
fn compress(cache: &Arc<PageCache>, key: String, entry: Arc<Entry>, rendering: Rendering) {
    let Ok(permit) = cache.compressions.clone().try_acquire_owned() else {
        tracing::debug!(%key, "compressions busy; page served uncompressed");
        return;
    };
    let cache = cache.clone();
    tokio::task::spawn_blocking(move || {
        let _permit: OwnedSemaphorePermit = permit;
        cache.replace(&key, &entry, entry.compressed());
        drop(rendering);
    });
}

/// Validators a handler set itself.
#[derive(Default)]
struct Validators {
    etag: Option<HeaderValue>,
    modified: Option<DateTime<Utc>>,
}

/// The page as rendered, without its compressed bodies yet. The body is copied into an
/// allocation of its own size (see [`exact`]).
fn build_entry(
    body: Bytes,
    keys: BTreeSet<CacheKey>,
    content_type: HeaderValue,
    day: NaiveDate,
    now: DateTime<Utc>,
    validators: Validators,
) -> Entry {
    let etag = validators.etag.unwrap_or_else(|| {
        let hash = fnv1a(&body);
        HeaderValue::from_str(&format!("W/\"{hash:016x}\"")).expect("hex is a valid header")
    });
    let modified = validators.modified.unwrap_or(now);
    let surrogate = keys
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    Entry {
        etag,
        last_modified: HeaderValue::from_str(&http_date(modified))
            .expect("a date is a valid header"),
        surrogate_key: HeaderValue::from_str(&surrogate).unwrap_or(HeaderValue::from_static("all")),
        gzip: Bytes::new(),
        brotli: Bytes::new(),
        identity: Bytes::copy_from_slice(&body),
        keys,
        day,
        modified,
        content_type,
        last_used: AtomicU64::new(0),
        held: 0,
        compressed: false,
    }
}

fn gzip(body: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::best(),
    );
    encoder
        .write_all(body)
        .and_then(|()| encoder.finish())
        .map(exact)
        .unwrap_or_default()
}

fn brotli(body: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(body.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 9,
        lgwin: brotli_window(body.len()),
        size_hint: body.len(),
        ..Default::default()
    };
    match brotli::BrotliCompress(&mut &body[..], &mut out, &params) {
        Ok(_) => exact(out),
        Err(_) => Bytes::new(),
    }
}

/// The brotli window for a body of `len` bytes, as a power of two: no larger than the body (a
/// window past the end of the input finds nothing more, and the encoder's ring buffer and hash
/// tables grow with it — 4 MB and more at the largest window, for a 60 KB page), within the
/// format's 2^16 to 2^22 that the encoder's one-shot mode also uses.
fn brotli_window(len: usize) -> i32 {
    let bits = usize::BITS - len.saturating_sub(1).leading_zeros();
    i32::try_from(bits.clamp(16, 22)).unwrap_or(22)
}

/// `bytes` in an allocation of exactly its length: a cached body lives long, and the spare
/// capacity of the buffer it was written into (often as much again) would be held with it,
/// uncounted.
fn exact(mut bytes: Vec<u8>) -> Bytes {
    bytes.shrink_to_fit();
    Bytes::from(bytes)
}

/// Which encoding the client takes, best first: brotli, gzip, none.
fn pick_encoding(headers: &HeaderMap) -> Option<&'static str> {
    let accepted = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let takes = |name: &str| {
        accepted.split(',').any(|part| {
            let mut bits = part.split(';');
            let coding = bits.next().unwrap_or_default().trim();
            let refused = bits.any(|q| matches!(q.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            coding.eq_ignore_ascii_case(name) && !refused
        })
    };
    if takes("br") {
        Some("br")
    } else if takes("gzip") {
        Some("gzip")
    } else {
        None
    }
}

fn not_modified(entry: &Entry, headers: &HeaderMap) -> bool {
    if let Some(tags) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        let ours = entry.etag.to_str().unwrap_or_default();
        let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
        return tags
            .split(',')
            .any(|t| t.trim() == "*" || bare(t) == bare(ours));
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date)
        .is_some_and(|since| entry.modified.timestamp() <= since.timestamp())
}

fn respond(
    entry: &Entry,
    request: &HeaderMap,
    now: DateTime<Utc>,
    zone: chrono_tz::Tz,
    cache: &'static str,
) -> Response {
    // Nobody may keep a page past local midnight: its top bar shows the date.
    let local = now.with_timezone(&zone);
    let midnight = local
        .date_naive()
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| t.and_local_timezone(zone).earliest());
    let to_midnight = midnight.map_or(MAX_AGE, |m| {
        (m.with_timezone(&Utc) - now).num_seconds().max(0)
    });
    let control = format!(
        "public, max-age={}, s-maxage={}, stale-while-revalidate=30",
        MAX_AGE.min(to_midnight),
        S_MAXAGE.min(to_midnight)
    );
    let mut response = if not_modified(entry, request) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let encoding = pick_encoding(request);
        let body = match encoding {
            Some("br") if !entry.brotli.is_empty() => Some(("br", entry.brotli.clone())),
            Some("br" | "gzip") if !entry.gzip.is_empty() => Some(("gzip", entry.gzip.clone())),
            _ => None,
        };
        let mut response = match body {
            Some((name, bytes)) => {
                let mut r = Response::new(Body::from(bytes));
                r.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
                r
            }
            None => Response::new(Body::from(entry.identity.clone())),
        };
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, entry.content_type.clone());
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, entry.etag.clone());
    headers.insert(header::LAST_MODIFIED, entry.last_modified.clone());
    if let Ok(v) = HeaderValue::from_str(&control) {
        headers.insert(header::CACHE_CONTROL, v);
    }
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert("surrogate-key", entry.surrogate_key.clone());
    headers.insert("x-cache", HeaderValue::from_static(cache));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use dateline_domain::{ArticleId, SectionId};

    fn entry(keys: &[CacheKey], bytes: usize) -> Entry {
        let day = NaiveDate::from_ymd_opt(2024, 4, 16).unwrap();
        build_entry(
            Bytes::from(vec![b'x'; bytes]),
            keys.iter().copied().collect(),
            HeaderValue::from_static("text/html"),
            day,
            Utc::now(),
            Validators::default(),
        )
        .compressed()
    }

    #[test]
    fn brotli_bodies_decode_to_the_page_at_every_window_size() {
        assert_eq!(brotli_window(0), 16);
        assert_eq!(brotli_window(65_536), 16);
        assert_eq!(brotli_window(65_537), 17);
        assert_eq!(brotli_window(4 << 20), 22);
        assert_eq!(brotli_window(usize::MAX), 22);
        // Text that repeats from far back, so a window smaller than the body would show.
        let paragraph: Vec<u8> = (0..3_000u32)
            .flat_map(|i| format!("word{} ", i * 7919 % 3_001).into_bytes())
            .collect();
        for len in [0, 1, 1_000, 65_536, 65_537, 300_000, 5 << 20] {
            let body: Vec<u8> = paragraph.iter().copied().cycle().take(len).collect();
            let compressed = brotli(&body);
            let mut decoded = Vec::new();
            brotli::BrotliDecompress(&mut &compressed[..], &mut decoded).unwrap();
            assert_eq!(decoded, body, "{len} bytes");
            if len > 100_000 {
                assert!(
                    compressed.len() < len / 20,
                    "{len} bytes: {}",
                    compressed.len()
                );
            }
        }
    }

    #[test]
    fn invalidation_drops_exactly_the_entries_that_depend_on_the_change() {
        let cache = PageCache::new(1 << 20);
        let day = NaiveDate::from_ymd_opt(2024, 4, 16).unwrap();
        cache.insert(
            "/a".into(),
            entry(&[CacheKey::Article(ArticleId(1))], 10),
            0,
        );
        cache.insert(
            "/b".into(),
            entry(
                &[
                    CacheKey::Article(ArticleId(2)),
                    CacheKey::Article(ArticleId(1)),
                ],
                10,
            ),
            0,
        );
        cache.insert(
            "/section/x".into(),
            entry(&[CacheKey::Section(SectionId(5))], 10),
            0,
        );
        cache.invalidate(&ContentChange {
            keys: BTreeSet::from([CacheKey::Article(ArticleId(1)), CacheKey::Latest]),
        });
        assert!(cache.get("/a", day).is_none());
        assert!(
            cache.get("/b", day).is_none(),
            "a page whose Read More points at 1 goes too"
        );
        assert!(cache.get("/section/x", day).is_some());
        cache.invalidate(&ContentChange::everything());
        assert!(cache.is_empty());
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn a_page_rendered_across_an_invalidation_is_not_stored() {
        let cache = PageCache::new(1 << 20);
        let generation = cache.generation.load(Ordering::SeqCst);
        cache.invalidate(&ContentChange {
            keys: BTreeSet::from([CacheKey::Latest]),
        });
        cache.insert("/".into(), entry(&[CacheKey::Latest], 10), generation);
        assert!(cache.is_empty());
    }

    #[test]
    fn entries_from_yesterday_are_not_served() {
        let cache = PageCache::new(1 << 20);
        cache.insert("/".into(), entry(&[CacheKey::Latest], 10), 0);
        assert!(
            cache
                .get("/", NaiveDate::from_ymd_opt(2024, 4, 16).unwrap())
                .is_some()
        );
        assert!(
            cache
                .get("/", NaiveDate::from_ymd_opt(2024, 4, 17).unwrap())
                .is_none()
        );
    }

    #[test]
    fn the_least_recently_used_go_first_when_full() {
        let one = entry(&[CacheKey::Latest], 1000).footprint() + "/1".len();
        let cache = PageCache::new(one * 3);
        let day = NaiveDate::from_ymd_opt(2024, 4, 16).unwrap();
        for path in ["/1", "/2", "/3"] {
            cache.insert(path.into(), entry(&[CacheKey::Latest], 1000), 0);
        }
        assert!(
            cache.get("/1", day).is_some(),
            "touch /1 so /2 is the oldest"
        );
        cache.insert("/4".into(), entry(&[CacheKey::Latest], 1000), 0);
        assert!(cache.bytes() <= one * 3);
        assert!(cache.get("/2", day).is_none());
        assert!(cache.get("/1", day).is_some());
        assert!(cache.get("/4", day).is_some());
    }

    #[test]
    fn encodings_follow_accept_encoding() {
        let mut headers = HeaderMap::new();
        assert_eq!(pick_encoding(&headers), None);
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br"),
        );
        assert_eq!(pick_encoding(&headers), Some("br"));
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br;q=0"),
        );
        assert_eq!(pick_encoding(&headers), Some("gzip"));
    }

    #[test]
    fn an_entry_counts_its_key_so_long_addresses_cannot_outgrow_the_limit() {
        let small = entry(&[CacheKey::Latest], 100).footprint();
        let cache = PageCache::new(small * 20);
        for i in 0..200 {
            let key = format!("/sitemap.xml?x={i}&p={}", "a".repeat(small));
            cache.insert(key, entry(&[CacheKey::Latest], 100), 0);
            assert!(cache.bytes() <= cache.limit(), "{} held", cache.bytes());
        }
        // Counted without their keys, 18 to 20 pages would seem to fit.
        assert!(
            cache.len() <= 10,
            "each entry weighs its long key too: {} entries",
            cache.len()
        );
        let long = "/x".repeat(small * 20);
        cache.insert(long.clone(), entry(&[CacheKey::Latest], 1), 0);
        assert!(
            !cache.keys().contains(&long),
            "a key alone over the limit is not stored"
        );
    }

    #[test]
    fn a_page_without_parameters_is_keyed_on_its_path_alone() {
        let uri: Uri = "/some-story?utm_source=x&fbclid=y&before=1713247200000.5"
            .parse()
            .unwrap();
        assert_eq!(KeyRule::Path.key(&uri), "/some-story");
    }

    #[test]
    fn a_front_is_keyed_on_its_cursor_alone_in_canonical_form() {
        let key = |s: &str| KeyRule::PathAndCursor.key(&s.parse::<Uri>().unwrap());
        assert_eq!(key("/section/world"), "/section/world");
        assert_eq!(key("/section/world?utm_source=x&p=aaaa"), "/section/world");
        assert_eq!(
            key("/section/world?before=junk"),
            "/section/world",
            "an unreadable cursor is the first page"
        );
        assert_eq!(
            key("/?fbclid=1&before=1713247200000.5&x=2"),
            "/?before=1713247200000.5"
        );
        assert_eq!(
            key("/?after=1713247200000.5&before=1713247200000.7"),
            "/?before=1713247200000.7",
            "before wins, as the front reads it"
        );
        assert_eq!(
            key("/?before=1713247200000.5&before=1.1"),
            "/?before=1713247200000.5",
            "the first value counts"
        );
    }
}
