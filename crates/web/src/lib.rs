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
mod metadata;
mod security;
mod syndication;
mod views;

use std::sync::{Arc, RwLock};

use axum::Router;
use axum::routing::get;
use std::time::{Duration, Instant};

use dateline_domain::{Clock, Section, SiteSettings, Store, StoreError};

use crate::cache::PageCache;

pub use error::WebError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    site: Arc<RwLock<Arc<SiteSettings>>>,
    page_cache: Arc<PageCache>,
    sections: Arc<RwLock<Option<SectionsRead>>>,
    /// Where uploaded images and their renditions are kept (`<data dir>/media`).
    pub media_dir: Arc<std::path::PathBuf>,
}

/// The sections as read at a moment.
type SectionsRead = (Instant, Arc<Vec<Section>>);

/// How long the navigation's list of sections is reused before it is read again.
const SECTIONS_TTL: Duration = Duration::from_secs(5);

/// The page cache's size unless configured otherwise.
pub const DEFAULT_PAGE_CACHE_BYTES: usize = 128 * 1024 * 1024;

impl AppState {
    /// The state of a site; its page cache listens to the store's change notices.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, site: SiteSettings) -> Self {
        let page_cache = Arc::new(PageCache::new(DEFAULT_PAGE_CACHE_BYTES));
        store.add_change_observer(page_cache.clone());
        Self {
            store,
            clock,
            site: Arc::new(RwLock::new(Arc::new(site))),
            page_cache,
            sections: Arc::default(),
            media_dir: Arc::new(std::path::PathBuf::from("./dateline-data/media")),
        }
    }

    /// Keeps uploaded images in `dir`.
    pub fn with_media_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.media_dir = Arc::new(dir);
        self
    }

    /// The sections, for the navigation: read from the store at most every few seconds, since
    /// every page shows them and they rarely change.
    pub async fn sections(&self) -> Result<Arc<Vec<Section>>, StoreError> {
        let cached = self
            .sections
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some((read, sections)) = cached
            && read.elapsed() < SECTIONS_TTL
        {
            return Ok(sections);
        }
        let sections = Arc::new(self.store.sections().await?);
        *self.sections.write().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), sections.clone()));
        Ok(sections)
    }

    pub fn page_cache(&self) -> &PageCache {
        &self.page_cache
    }

    /// The site settings as of now.
    pub fn site(&self) -> Arc<SiteSettings> {
        self.site.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the site settings every later request sees.
    pub fn set_site(&self, site: SiteSettings) {
        *self.site.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(site);
    }
}

/// The whole site.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(handlers::show_home))
        .route("/healthz", get(handlers::health))
        .route("/static/style.css", get(handlers::stylesheet))
        .route("/section/{slug}", get(handlers::show_section))
        .route("/tag/{slug}", get(handlers::show_tag))
        .route("/author/{slug}", get(handlers::show_author))
        .route("/{slug}", get(handlers::show_article))
        .route("/{slug}/", get(handlers::redirect_trailing_slash))
        .merge(syndication::routes())
        .merge(admin::routes())
        .fallback(handlers::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::render_error_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cache::serve_cached,
        ))
        .layer(axum::middleware::from_fn(security::add_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Answers HTTP on `listener` until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
