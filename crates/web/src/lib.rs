//! The public site over HTTP: routes, handlers, page view models and templates.
//!
//! Handlers parse the request into domain values, ask the services, and hand a view model to a
//! template; they never see SQL. [`app`] builds the whole router so tests can drive it without a
//! socket.

pub mod admin;
pub mod cache;
mod error;
mod handlers;
mod layout;
mod listener;
mod metadata;
pub mod metrics;
mod search;
mod security;
mod syndication;
mod validators;
mod views;

use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use std::time::{Duration, Instant};

use dateline_domain::{
    BaseUrl, CacheKey, ChangeObserver, Clock, ContentChange, SearchIndex, Section, SiteSettings,
    Store, StoreError,
};

use crate::cache::PageCache;
use crate::metrics::Metrics;

pub use error::WebError;
pub use handlers::MAX_SHOWN_COMMENTS;
pub use listener::{DEFAULT_MAX_CONNECTIONS, ServeLimits, listen};
pub use security::MAX_URI_BYTES;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// The settings as stored, and as the site shows them (with its base URL filled in).
    site: Arc<RwLock<(Arc<SiteSettings>, Arc<SiteSettings>)>>,
    /// Where the site's absolute links point when the settings name no base URL.
    base_url: Arc<SiteAddress>,
    page_cache: Arc<PageCache>,
    sections: Arc<NavSections>,
    navigation: Arc<NavPages>,
    site_stale: Arc<SiteStale>,
    /// Where uploaded images and their renditions are kept (`<data dir>/media`).
    pub media_dir: Arc<std::path::PathBuf>,
    /// Search and related articles; without it `/search` answers 503 and articles show no
    /// Related block.
    pub search: Option<search::SearchHandle>,
    /// Proxies whose `X-Forwarded-For` names the client (none: the TCP peer is the client).
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
    /// Bounds password hashing: sign-in and password changes wait here for their turn.
    pub hashing: Arc<dateline_services::accounts::HashGate>,
    /// Requests, connections and readings for `/metrics` on its own address.
    metrics: Arc<Metrics>,
    /// Places for agency files being uploaded (each up to 16 MiB in memory until stored).
    pub(crate) wire_uploads: Arc<tokio::sync::Semaphore>,
}

/// The sections the navigation shows, as last read, until a change notice names a section
/// (an article written in one, a section added or renamed) or a minute has passed.
#[derive(Default)]
struct NavSections(
    RwLock<Option<(Instant, Arc<Vec<Section>>)>>,
    /// Bumped by every notice that names a section: a read that spans one is not kept.
    std::sync::atomic::AtomicU64,
);

/// The longest the navigation's sections are reused without a notice.
const SECTIONS_TTL: Duration = Duration::from_secs(60);

impl ChangeObserver for NavSections {
    fn content_changed(&self, change: &ContentChange) {
        let named = change
            .keys
            .iter()
            .any(|k| matches!(k, CacheKey::All | CacheKey::Section(_)));
        if named {
            let mut held = self.0.write().unwrap_or_else(|e| e.into_inner());
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            *held = None;
        }
    }
}

/// The pages and menus every page shows ([`dateline_services::pages::Navigation`]), as last
/// read, until a change notice names the pages or menus, a section (a menu item may lead to
/// one) or everything, or a minute has passed.
#[derive(Default)]
struct NavPages(
    RwLock<Option<(Instant, Arc<dateline_services::pages::Navigation>)>>,
    /// Bumped by every notice that names them: a read that spans one is not kept.
    std::sync::atomic::AtomicU64,
);

impl ChangeObserver for NavPages {
    fn content_changed(&self, change: &ContentChange) {
        let named = change
            .keys
            .iter()
            .any(|k| matches!(k, CacheKey::All | CacheKey::Pages | CacheKey::Section(_)));
        if named {
            let mut held = self.0.write().unwrap_or_else(|e| e.into_inner());
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            *held = None;
        }
    }
}

/// Set when a notice may have changed the site settings (they announce "everything"), here or
/// on another node; the next request reads them again.
#[derive(Default)]
struct SiteStale(std::sync::atomic::AtomicBool);

impl ChangeObserver for SiteStale {
    fn content_changed(&self, change: &ContentChange) {
        if change.keys.contains(&CacheKey::All) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// Reads the site settings again before a request when a notice said they may have changed.
async fn refresh_site(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if state
        .site_stale
        .0
        .swap(false, std::sync::atomic::Ordering::SeqCst)
    {
        match state.store.site_settings().await {
            Ok(Some(site)) => state.set_site(site),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %dateline_services::Chain(&e), "could not reread the site settings");
                state
                    .site_stale
                    .0
                    .store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
    }
    next.run(request).await
}

/// The page cache's size unless configured otherwise: about a thousand article pages with
/// their compressed copies, the part of an archive readers are on at any moment, in a budget
/// that keeps the whole process under 300 MB.
pub const DEFAULT_PAGE_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// The server's part in the site's base URL (see [`SiteSettings::with_base_url`]).
#[derive(Debug)]
struct SiteAddress {
    /// `--base-url`: wins over the settings.
    configured: Option<BaseUrl>,
    /// The address the server listens on: used when nothing else names one.
    listening: BaseUrl,
}

impl AppState {
    /// The state of a site; its page cache listens to the store's change notices.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, site: SiteSettings) -> Self {
        let page_cache = Arc::new(PageCache::new(DEFAULT_PAGE_CACHE_BYTES));
        store.add_change_observer(page_cache.clone());
        let sections = Arc::new(NavSections::default());
        store.add_change_observer(sections.clone());
        let navigation = Arc::new(NavPages::default());
        store.add_change_observer(navigation.clone());
        let site_stale = Arc::new(SiteStale::default());
        store.add_change_observer(site_stale.clone());
        Self {
            store,
            clock,
            site: Arc::new(RwLock::new((
                Arc::new(site.clone()),
                Arc::new(site.clone()),
            ))),
            base_url: Arc::new(SiteAddress {
                configured: None,
                listening: BaseUrl::listening_on(std::net::SocketAddr::from((
                    [127, 0, 0, 1],
                    8080,
                ))),
            }),
            page_cache,
            sections,
            navigation,
            site_stale,
            media_dir: Arc::new(std::path::PathBuf::from("./dateline-data/media")),
            search: None,
            trusted_proxies: Arc::new([]),
            hashing: dateline_services::accounts::HashGate::shared(),
            metrics: Arc::default(),
            wire_uploads: Arc::new(tokio::sync::Semaphore::new(admin::CONCURRENT_WIRE_UPLOADS)),
        }
        .with_site(site)
    }

    fn with_site(self, site: SiteSettings) -> Self {
        self.set_site(site);
        self
    }

    /// Absolute links point at `configured` (the server's `--base-url`) when given, else at the
    /// base URL in the settings, else at `listening`, the address the server listens on.
    pub fn with_base_url(mut self, configured: Option<BaseUrl>, listening: BaseUrl) -> Self {
        self.base_url = Arc::new(SiteAddress {
            configured,
            listening,
        });
        let stored = self.stored_site();
        self.with_site(SiteSettings::clone(&stored))
    }

    /// Takes the client's address from `X-Forwarded-For` when the request comes from one of
    /// `proxies` (a load balancer or reverse proxy in front of this server).
    pub fn with_trusted_proxies(mut self, proxies: Vec<std::net::IpAddr>) -> Self {
        self.trusted_proxies = proxies.into();
        self
    }

    /// Hashes passwords through `gate` instead of the process's shared one.
    pub fn with_password_hashing(
        mut self,
        gate: Arc<dateline_services::accounts::HashGate>,
    ) -> Self {
        self.hashing = gate;
        self
    }

    /// Answers search with `index`; `related_block`: end article pages with related articles.
    pub fn with_search(mut self, index: Arc<dyn SearchIndex>, related_block: bool) -> Self {
        let related = related_block.then(|| {
            dateline_services::related::RelatedLists::new(
                self.store.clone(),
                index.clone(),
                self.clock.clone(),
            )
        });
        self.search = Some(search::SearchHandle { index, related });
        self
    }

    /// The related lists article pages end with, whose worker ([`RelatedLists::run`]) the
    /// caller runs; `None` without search or with the Related block turned off.
    ///
    /// [`RelatedLists::run`]: dateline_services::related::RelatedLists::run
    pub fn related_lists(&self) -> Option<Arc<dateline_services::related::RelatedLists>> {
        self.search
            .as_ref()
            .and_then(|search| search.related.clone())
    }

    /// Keeps uploaded images in `dir`.
    pub fn with_media_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.media_dir = Arc::new(dir);
        self
    }

    /// The sections, for the navigation: every page shows them and they rarely change, so they
    /// are read again only after a change notice names a section.
    pub async fn sections(&self) -> Result<Arc<Vec<Section>>, StoreError> {
        let cached = self
            .sections
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some((read, sections)) = cached
            && read.elapsed() < SECTIONS_TTL
        {
            return Ok(sections);
        }
        let generation = self.sections.1.load(std::sync::atomic::Ordering::SeqCst);
        let sections = Arc::new(self.store.sections().await?);
        let mut held = self.sections.0.write().unwrap_or_else(|e| e.into_inner());
        if self.sections.1.load(std::sync::atomic::Ordering::SeqCst) == generation {
            *held = Some((Instant::now(), sections.clone()));
        }
        Ok(sections)
    }

    /// The pages and menus, for every public page: read again only after a change notice
    /// names them (or a section, or everything).
    pub async fn navigation(
        &self,
    ) -> Result<Arc<dateline_services::pages::Navigation>, StoreError> {
        let cached = self
            .navigation
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some((read, navigation)) = cached
            && read.elapsed() < SECTIONS_TTL
        {
            return Ok(navigation);
        }
        let generation = self.navigation.1.load(std::sync::atomic::Ordering::SeqCst);
        let sections = self.sections().await?;
        let navigation =
            Arc::new(dateline_services::pages::navigation(self.store.as_ref(), &sections).await?);
        let mut held = self.navigation.0.write().unwrap_or_else(|e| e.into_inner());
        if self.navigation.1.load(std::sync::atomic::Ordering::SeqCst) == generation {
            *held = Some((Instant::now(), navigation.clone()));
        }
        Ok(navigation)
    }

    pub fn page_cache(&self) -> &PageCache {
        &self.page_cache
    }

    /// What `/metrics` reports; tell it here how to read the parts it only sees through ports.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The site settings as of now, as the site shows them: the base URL always set.
    pub fn site(&self) -> Arc<SiteSettings> {
        self.site
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
    }

    /// The site settings as an administrator left them: the base URL empty when none was set.
    pub fn stored_site(&self) -> Arc<SiteSettings> {
        self.site
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    /// The base URL the site would use if its settings named none: the server's `--base-url`
    /// or its address.
    pub fn server_base_url(&self) -> &BaseUrl {
        self.base_url
            .configured
            .as_ref()
            .unwrap_or(&self.base_url.listening)
    }

    /// Whether the server's `--base-url` overrides the settings.
    pub fn base_url_is_configured(&self) -> bool {
        self.base_url.configured.is_some()
    }

    /// Replaces the site settings (as stored) every later request sees.
    pub fn set_site(&self, site: SiteSettings) {
        let shown = site
            .clone()
            .with_base_url(self.base_url.configured.as_ref(), &self.base_url.listening);
        *self.site.write().unwrap_or_else(|e| e.into_inner()) = (Arc::new(site), Arc::new(shown));
    }
}

/// The whole site, with the default request deadlines.
pub fn app(state: AppState) -> Router {
    router(state, &ServeLimits::default())
}

/// The whole site, with `limits`' request-body and whole-request deadlines.
fn router(state: AppState, limits: &ServeLimits) -> Router {
    use cache::{KeyRule, cached};
    // Fronts read their paging cursor and nothing else.
    let fronts = Router::new()
        .route("/", get(handlers::show_home))
        .route("/section/{slug}", get(handlers::show_section))
        .route("/tag/{slug}", get(handlers::show_tag))
        .route("/author/{slug}", get(handlers::show_author))
        .route_layer(axum::middleware::from_fn_with_state(
            cached(&state, KeyRule::PathAndCursor),
            cache::serve_cached,
        ))
        // Before the cache: `/?p=ID` is a WordPress link to a post, not the home page.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            handlers::old_query_links,
        ));
    // Articles, feeds and sitemaps read no parameters.
    let documents = Router::new()
        .route("/{slug}", get(handlers::show_article))
        .merge(syndication::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            cached(&state, KeyRule::Path),
            cache::serve_cached,
        ));
    Router::new()
        .route("/healthz", get(handlers::health))
        .route("/static/style.css", get(handlers::stylesheet))
        .route("/static/embed.js", get(handlers::embed_script))
        .route("/{slug}/", get(handlers::redirect_trailing_slash))
        .merge(fronts)
        .merge(documents)
        .merge(admin::routes())
        .merge(search::routes())
        // Pages under a parent (`/about-us/our-team`) and old addresses are found here; the
        // pages are cached like the other documents.
        .fallback(axum::routing::any(handlers::not_found).layer(
            axum::middleware::from_fn_with_state(
                cached(&state, KeyRule::Path),
                cache::serve_cached,
            ),
        ))
        .layer(axum::middleware::from_fn(security::bound_uri))
        .layer(tower_http::timeout::RequestBodyDeadlineLayer::new(
            limits.body_read_timeout,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::render_error_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            refresh_site,
        ))
        .layer(axum::middleware::from_fn(security::add_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        // A 5xx is a warning here: the deliberate ones (503 when full) are the server holding its
        // limits, and an error's own cause is logged where it is turned into a response.
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .on_failure(tower_http::trace::DefaultOnFailure::new().level(tracing::Level::WARN)),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::count_requests,
        ))
        .with_state(state)
}

/// Answers HTTP on `listener` under the default [`ServeLimits`] until `shutdown` completes, then
/// lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, shutdown, ServeLimits::default()).await
}

/// Answers HTTP on `listener` under `limits` until `shutdown` completes, then lets requests in
/// flight finish. Handlers can read the peer's address as `ConnectInfo<SocketAddr>`.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    limits: ServeLimits,
) -> std::io::Result<()> {
    let connections = state.metrics.connections.clone();
    let router = router(state, &limits);
    listener::accept_loop(listener, router, &limits, connections, shutdown).await
}

/// Answers `GET /metrics` (and 404 for anything else) on `listener` until `shutdown` completes.
/// The listener must be an address of its own, never the public one: see `docs/SECURITY.md`.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = metrics::limits();
    let router = metrics::routes(state);
    listener::accept_loop(listener, router, &limits, Arc::default(), shutdown).await
}
