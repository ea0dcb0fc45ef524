//! The public site over HTTP: routes, handlers, page view models and templates.
//!
//! Handlers parse the request into domain values, ask the services, and hand a view model to a
//! template; they never see SQL. [`app`] builds the whole router so tests can drive it without a
//! socket.

mod error;
mod handlers;
mod layout;
mod search;
mod security;
mod views;

use std::sync::{Arc, RwLock};

use axum::Router;
use axum::routing::get;
use dateline_domain::{Clock, SearchIndex, SiteSettings, Store};

pub use error::WebError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    site: Arc<RwLock<Arc<SiteSettings>>>,
    /// Search and related articles; without it `/search` answers 503 and articles show no
    /// Related block.
    pub search: Option<search::SearchHandle>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, site: SiteSettings) -> Self {
        Self {
            store,
            clock,
            site: Arc::new(RwLock::new(Arc::new(site))),
            search: None,
        }
    }

    /// Answers search with `index`; `related_block`: end article pages with related articles.
    pub fn with_search(mut self, index: Arc<dyn SearchIndex>, related_block: bool) -> Self {
        self.search = Some(search::SearchHandle {
            index,
            related_block,
        });
        self
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
        .merge(search::routes())
        .fallback(handlers::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::render_error_pages,
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
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}
