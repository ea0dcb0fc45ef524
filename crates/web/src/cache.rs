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
//! Memory is bounded: past the size limit the least recently used entries go first.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use dateline_domain::{CacheKey, ChangeObserver, ContentChange};

use crate::AppState;
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
}

impl Entry {
    fn size(&self) -> usize {
        self.identity.len() + self.gzip.len() + self.brotli.len() + 512
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
}

impl PageCache {
    /// A cache holding at most `limit` bytes; 0 turns caching off.
    pub fn new(limit: usize) -> Self {
        Self {
            inner: Mutex::default(),
            limit: AtomicUsize::new(limit),
            generation: AtomicU64::new(0),
            clock: AtomicU64::new(0),
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

    /// Bytes held now.
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

    fn insert(&self, key: String, entry: Arc<Entry>, generation: u64) {
        let size = entry.size();
        let limit = self.limit();
        if size > limit {
            return;
        }
        let mut inner = self.lock();
        // Checked under the lock that invalidation also takes: nothing slips in between.
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        entry.last_used.store(
            self.clock.fetch_add(1, Ordering::Relaxed),
            Ordering::Relaxed,
        );
        if let Some(old) = inner.entries.insert(key, entry) {
            inner.bytes -= old.size();
        }
        inner.bytes += size;
        if inner.bytes > limit {
            evict(&mut inner, limit - limit / 10);
        }
    }

    /// Drops every entry that depends on something `change` touched.
    pub fn invalidate(&self, change: &ContentChange) {
        let mut inner = self.lock();
        self.generation.fetch_add(1, Ordering::SeqCst);
        if change.keys.contains(&CacheKey::All) {
            *inner = Inner::default();
            return;
        }
        let mut freed = 0;
        inner.entries.retain(|_, entry| {
            let stale = change.touches(&entry.keys);
            if stale {
                freed += entry.size();
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
        .map(|(k, e)| (e.last_used.load(Ordering::Relaxed), k.clone(), e.size()))
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
pub async fn serve_cached(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let cache = state.page_cache();
    if !cache.enabled() || !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let key = request
        .uri()
        .path_and_query()
        .map_or_else(|| request.uri().path().to_owned(), ToString::to_string);
    let site = state.site();
    let now = state.clock.now();
    let day = now.with_timezone(&site.time_zone).date_naive();
    let headers = request.headers().clone();
    if let Some(entry) = cache.get(&key, day) {
        return respond(&entry, &headers, now, site.time_zone, "HIT");
    }
    let generation = cache.generation.load(Ordering::SeqCst);
    let response = next.run(request).await;
    let Some(tags) = response.extensions().get::<CacheTags>().cloned() else {
        return response;
    };
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_PAGE).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "page too large").into_response();
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
    let entry = Arc::new(build_entry(
        body,
        tags.0,
        content_type,
        day,
        now,
        validators,
    ));
    cache.insert(key, entry.clone(), generation);
    respond(&entry, &headers, now, site.time_zone, "MISS")
}

/// Validators a handler set itself.
#[derive(Default)]
struct Validators {
    etag: Option<HeaderValue>,
    modified: Option<DateTime<Utc>>,
}

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
        gzip: gzip(&body),
        brotli: brotli(&body),
        identity: body,
        keys,
        day,
        modified,
        content_type,
        last_used: AtomicU64::new(0),
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
        .map(Bytes::from)
        .unwrap_or_default()
}

fn brotli(body: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(body.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 9,
        lgwin: 22,
        ..Default::default()
    };
    match brotli::BrotliCompress(&mut &body[..], &mut out, &params) {
        Ok(_) => Bytes::from(out),
        Err(_) => Bytes::new(),
    }
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

    fn entry(keys: &[CacheKey], bytes: usize) -> Arc<Entry> {
        let day = NaiveDate::from_ymd_opt(2024, 4, 16).unwrap();
        Arc::new(build_entry(
            Bytes::from(vec![b'x'; bytes]),
            keys.iter().copied().collect(),
            HeaderValue::from_static("text/html"),
            day,
            Utc::now(),
            Validators::default(),
        ))
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
        let one = entry(&[CacheKey::Latest], 1000).size();
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
}
