//! The newsroom at `/admin`: sign-in, accounts, and (in the modules below) the article editor.
//!
//! Every route here is behind [`SignedIn`], which sends anonymous visitors to the sign-in page,
//! and checks the account's role with [`SignedIn::require`] before doing anything. Every
//! state-changing form carries the session's CSRF token, checked by the form's extractor
//! (`session::CsrfForm`) before anything is read from or written to the store. Article ids in
//! addresses are the domain's [`dateline_domain::ArticleId`] (sections' and tags' likewise), so
//! an address whose id is not a number names nothing: 404. Every page is a view model rendered
//! by [`Respond::respond`].

mod articles;
mod auth;
mod comments;
mod labels;
pub mod media;
mod pages;
mod session;
mod settings;
mod users;
mod wire;

pub(crate) use wire::CONCURRENT_UPLOADS as CONCURRENT_WIRE_UPLOADS;

use std::sync::LazyLock;

use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use dateline_domain::{Action, SectionId, SitePath, StoreError, TagId, User};
use dateline_services::ServiceError;

use crate::AppState;
use crate::error::{Answer, WebError};

pub use session::SignedIn;

/// Largest newsroom form body, in bytes: a body at the size limit written entirely in
/// characters that take three bytes when form-encoded, and room for the other fields. Image
/// uploads have their own, larger, limit.
pub const MAX_FORM_BYTES: usize = 3 * dateline_services::articles::MAX_BODY_BYTES + 256 * 1024;

/// The newsroom's routes, merged into the site's router by [`crate::app`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/static/admin.css", get(stylesheet))
        .route("/admin/login", get(auth::show_login).post(auth::sign_in))
        .route("/admin/logout", axum::routing::post(auth::sign_out))
        .route(
            "/admin/password",
            get(auth::show_password).post(auth::change_password),
        )
        .route("/admin/users", get(users::list_users).post(users::add_user))
        .route(
            "/admin/settings",
            get(settings::show_settings).post(settings::save_settings),
        )
        .route("/admin/static/editor.js", get(editor_script))
        .route("/admin", get(articles::list_articles))
        .route("/admin/articles/new", get(articles::new_article))
        .route("/admin/articles", post(articles::create_article))
        .route(
            "/admin/articles/{id}",
            get(articles::edit_article).post(articles::save_article),
        )
        .route(
            "/admin/articles/{id}/autosave",
            post(articles::autosave_article),
        )
        // Submit, publish and unpublish; the named routes beside it take precedence.
        .route("/admin/articles/{id}/{step}", post(articles::move_article))
        .route(
            "/admin/articles/{id}/schedule",
            post(articles::schedule_article),
        )
        .route(
            "/admin/articles/{id}/correct",
            post(articles::correct_article),
        )
        .route("/admin/articles/{id}/history", get(articles::show_history))
        .route("/admin/articles/{id}/diff", get(articles::show_diff))
        .route(
            "/admin/articles/{id}/restore",
            post(articles::restore_revision),
        )
        .route("/admin/preview", post(articles::preview_article))
        .route("/admin/read-more", get(articles::find_read_more))
        .route("/admin/audit", get(articles::show_audit))
        .route("/admin/comments", get(comments::list_comments))
        .route(
            "/admin/comments/{id}/{step}",
            post(comments::moderate_comment),
        )
        .route(
            "/admin/media",
            get(media::list_media)
                .post(media::upload_media)
                .route_layer(axum::extract::DefaultBodyLimit::max(
                    dateline_services::media::MAX_UPLOAD_BYTES + 256 * 1024,
                )),
        )
        .route("/admin/articles/{id}/featured", post(media::set_featured))
        .route(
            "/admin/articles/{id}/search",
            post(articles::set_search_text),
        )
        .route("/admin/articles/{id}/pin", post(articles::pin_article))
        .route(
            "/admin/sections",
            get(labels::list_labels).post(labels::add_section),
        )
        .route(
            "/admin/sections/{id}",
            post(labels::rename_label::<SectionId>),
        )
        .route(
            "/admin/sections/{id}/merge",
            post(labels::merge_label::<SectionId>),
        )
        .route(
            "/admin/sections/{id}/delete",
            post(labels::delete_label::<SectionId>),
        )
        .route("/admin/tags/{id}", post(labels::rename_label::<TagId>))
        .route("/admin/tags/{id}/merge", post(labels::merge_label::<TagId>))
        .route(
            "/admin/tags/{id}/delete",
            post(labels::delete_label::<TagId>),
        )
        .route(
            "/admin/pages",
            get(pages::list_pages).post(pages::create_page),
        )
        .route("/admin/pages/new", get(pages::new_page))
        .route(
            "/admin/pages/{id}",
            get(pages::edit_page).post(pages::save_page),
        )
        .route("/admin/pages/{id}/{step}", post(pages::move_page))
        .route("/admin/menus", get(pages::list_menus))
        .route("/admin/menus/{menu}", post(pages::save_menu))
        .route("/admin/wire", get(wire::desk))
        .route("/admin/wire/items/{id}", get(wire::item))
        .route("/admin/wire/alerts/{id}/resolve", post(wire::resolve_alert))
        .route("/admin/wire/alerts/{id}/take-down", post(wire::take_down))
        .route("/admin/wire/items/{id}/article", post(wire::create_article))
        .route("/admin/wire/items/{id}/source", post(wire::add_source))
        .route(
            "/admin/wire/providers",
            get(wire::providers).post(wire::add_provider),
        )
        .route(
            "/admin/wire/providers/{id}",
            get(wire::provider).post(wire::update_provider),
        )
        .route(
            "/admin/wire/providers/{id}/pause",
            post(wire::pause_provider),
        )
        .route(
            "/admin/wire/providers/{id}/resume",
            post(wire::resume_provider),
        )
        .route("/admin/wire/providers/{id}/poll", post(wire::poll_provider))
        .route(
            "/admin/wire/providers/{id}/upload",
            post(wire::upload).route_layer(axum::extract::DefaultBodyLimit::max(
                dateline_services::wire::MAX_PAYLOAD_BYTES + 256 * 1024,
            )),
        )
        .route("/media/{key}/{file}", get(media::serve_file))
        .route("/admin/", get(|| async { Redirect::permanent("/admin") }))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_BYTES))
}

const STYLESHEET: &str = include_str!("../../static/admin.css");
const EDITOR_JS: &str = include_str!("../../static/editor.js");

/// The editor script's URL, with a content hash so it can be cached forever. A same-origin file:
/// the Content-Security-Policy forbids inline scripts.
pub static EDITOR_JS_HREF: LazyLock<String> =
    LazyLock::new(|| format!("/admin/static/editor.js?v={:08x}", fnv(EDITOR_JS)));

async fn editor_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        EDITOR_JS,
    )
        .into_response()
}

/// The newsroom stylesheet's URL, with a content hash so it can be cached forever.
pub static STYLESHEET_HREF: LazyLock<String> =
    LazyLock::new(|| format!("/admin/static/admin.css?v={:08x}", fnv(STYLESHEET)));

fn fnv(text: &str) -> u32 {
    crate::validators::fnv1a(text.as_bytes()) as u32
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// What every newsroom page shares: the top bar with the account and its links.
pub struct AdminLayout {
    pub site_name: String,
    pub title: String,
    pub stylesheet: &'static str,
    /// The signed-in account; `None` on the sign-in page.
    pub user: Option<NavUser>,
    pub csrf: String,
    /// Which top-bar link is the current page.
    pub current: &'static str,
}

/// The account as the top bar shows it, with the links its role may follow.
pub struct NavUser {
    pub name: String,
    pub role: &'static str,
    pub manages_users: bool,
    pub manages_settings: bool,
    pub reads_audit: bool,
    pub manages_labels: bool,
    pub moderates_comments: bool,
}

impl AdminLayout {
    pub fn new(state: &AppState, title: &str, signed: Option<&SignedIn>) -> Self {
        Self {
            site_name: state.site().name.clone(),
            title: title.to_owned(),
            stylesheet: STYLESHEET_HREF.as_str(),
            user: signed.map(|s| nav_user(&s.user)),
            csrf: signed
                .map(|s| s.session.csrf_token.clone())
                .unwrap_or_default(),
            current: "",
        }
    }

    pub fn at(mut self, current: &'static str) -> Self {
        self.current = current;
        self
    }
}

fn nav_user(user: &User) -> NavUser {
    NavUser {
        name: user.name.clone(),
        role: user.role.as_str(),
        manages_users: user.may(Action::ManageUsers),
        manages_settings: user.may(Action::ManageSiteSettings),
        reads_audit: user.may(Action::ViewAuditLog),
        manages_labels: user.may(Action::ManageSectionsAndTags),
        moderates_comments: user.may(Action::ModerateComments),
    }
}

/// Why a newsroom request was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Nobody is signed in (or the session expired): go to the sign-in page, then back.
    #[error("sign-in required")]
    SignIn { next: String },
    /// The form's CSRF token is missing or not this session's.
    #[error("CSRF token rejected")]
    Csrf,
    /// The request cannot be read (a malformed form).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// An upload over the size limit.
    #[error("too large: {0}")]
    TooLarge(String),
    /// A service refused or failed: answered by [`Answer::of`], refusals in the newsroom's
    /// words, failures with the site's error page.
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Web(#[from] WebError),
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        AdminError::Service(e.into())
    }
}

impl From<askama::Error> for AdminError {
    fn from(e: askama::Error) -> Self {
        AdminError::Web(e.into())
    }
}

#[derive(Template)]
#[template(path = "admin/message.html")]
struct MessagePage {
    layout: AdminLayout,
    heading: &'static str,
    message: String,
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let (answer, heading, message) = match self {
            AdminError::SignIn { next } => {
                let to = SitePath::ADMIN_LOGIN.with_query([("next", next)]);
                return Redirect::to(to.as_str()).into_response();
            }
            AdminError::Csrf => (
                Answer::status(StatusCode::FORBIDDEN),
                "Form expired",
                "This form has expired or did not come from this newsroom, so nothing was changed. Go back, reload the page and try again.".to_owned(),
            ),
            AdminError::BadRequest(message) => (
                Answer::status(StatusCode::BAD_REQUEST),
                "Cannot do that",
                format!("{message}. Nothing was changed."),
            ),
            AdminError::TooLarge(message) => (
                Answer::status(StatusCode::PAYLOAD_TOO_LARGE),
                "Too large",
                message,
            ),
            AdminError::Service(e) => {
                let answer = Answer::of(&e);
                let (heading, message) = match e {
                    ServiceError::Forbidden => (
                        "Not allowed",
                        "Your role does not allow this. Nothing was changed. Ask an editor or an administrator if you need it done.".to_owned(),
                    ),
                    ServiceError::NotFound => (
                        "Not found",
                        "There is nothing at this address in the newsroom.".to_owned(),
                    ),
                    ServiceError::WrongState(message) => (
                        "Cannot do that now",
                        format!("{message} Nothing was changed."),
                    ),
                    // Handlers that publish answer this with the comparison page; elsewhere it
                    // is plain.
                    ServiceError::Stale { current, .. } => (
                        "Cannot do that now",
                        format!("Revision {current} was saved after this page was loaded. Reload the article to see it. Nothing was changed."),
                    ),
                    ServiceError::Invalid(problems) => (
                        "Cannot do that",
                        format!("{}. Nothing was changed.", in_words(&problems)),
                    ),
                    // A value the database refused (a NUL byte a form's checks missed): the
                    // sender's mistake, told in the newsroom's words, never an outage page.
                    ServiceError::Store(StoreError::InvalidInput(_)) => (
                        "Cannot do that",
                        "The text sent contains characters that cannot be stored, such as an invisible control character; remove them and try again. Nothing was changed.".to_owned(),
                    ),
                    ServiceError::SignIn(refusal) => ("Cannot sign in", refusal.to_string()),
                    ServiceError::Busy { message, .. } => {
                        ("Busy, try again shortly", format!("{message}."))
                    }
                    // A failure of ours: the site's error page, the cause already logged.
                    _ => return answer.page(),
                };
                (answer, heading, message)
            }
            AdminError::Web(e) => return e.into_response(),
        };
        let page = MessagePage {
            layout: AdminLayout {
                site_name: String::new(),
                title: heading.to_owned(),
                stylesheet: STYLESHEET_HREF.as_str(),
                user: None,
                csrf: String::new(),
                current: "",
            },
            heading,
            message,
        };
        let mut response = page
            .respond(answer.status)
            .unwrap_or_else(IntoResponse::into_response);
        answer.add_retry_after(&mut response);
        response
    }
}

/// A refused form's problems as one line, for a page that shows them together.
pub fn in_words(problems: &[dateline_domain::InvalidValue]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A rendered newsroom page: never cached by browsers or proxies.
pub fn page(status: StatusCode, html: String) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

/// A view model answered as a newsroom page: rendered, with `status`, never cached. A template
/// that fails to render is a 500 (logged), not half a page.
pub trait Respond: Template {
    fn respond(&self, status: StatusCode) -> Result<Response, AdminError> {
        Ok(page(status, self.render()?))
    }
}

impl<T: Template> Respond for T {}
