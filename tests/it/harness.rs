//! `TestApp`: the real router on a real socket, over a fresh database with the demo publication,
//! and a clock the test controls.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use dateline_domain::{
    AccountStore, Article, ArticleStatus, ArticleStore, Clock, FixedClock, LabelStore, Role,
    Section, Slug, User,
};
use dateline_search::{IndexLocation, SearchEngine};
use dateline_services::accounts;
use dateline_services::articles::{ArticleInput, create_article};
use dateline_services::demo;
use dateline_store::SqlStore;
use dateline_store::testing::TestDatabase;
use dateline_web::AppState;
use reqwest::StatusCode;
use scraper::{Html, Selector};

/// Runs `$body` (an `async fn(TestApp)`) once on SQLite and once on PostgreSQL.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case($crate::harness::TestApp::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let name = concat!(module_path!(), "::", stringify!($case));
                    if let Some(app) = $crate::harness::TestApp::postgres(name).await {
                        super::$case(app).await;
                    }
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;

/// 2024-04-16 10:00 in Karachi: the date on the reference page's top bar.
pub fn reference_day() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-04-16T10:00:00+05:00")
        .unwrap()
        .with_timezone(&Utc)
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub clock: Arc<FixedClock>,
    pub store: Arc<SqlStore>,
    pub state: AppState,
    /// Where uploaded images go.
    pub media_dir: std::path::PathBuf,
    pub search: Arc<SearchEngine>,
    server: tokio::task::JoinHandle<()>,
    _tasks: dateline_services::tasks::Supervisor,
    _media: tempfile::TempDir,
    _db: TestDatabase,
}

impl TestApp {
    pub async fn sqlite() -> Self {
        Self::start(TestDatabase::sqlite()).await
    }

    pub async fn postgres(test: &str) -> Option<Self> {
        Some(Self::start(TestDatabase::postgres(test).await?).await)
    }

    async fn start(db: TestDatabase) -> Self {
        let store = SqlStore::connect(db.url()).await.expect("connect");
        store.migrate().await.expect("migrate");
        let clock = Arc::new(FixedClock::new(reference_day()));
        let site = demo::set_up_publication(&store, clock.as_ref().now(), true)
            .await
            .expect("demo");
        let store = Arc::new(store);
        let media = tempfile::tempdir().expect("media directory");
        let media_dir = media.path().join("media");
        let search = Arc::new(
            SearchEngine::open(IndexLocation::Memory, store.clone())
                .await
                .expect("search index"),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let state = AppState::new(store.clone(), clock.clone(), site)
            .with_base_url(None, dateline_domain::BaseUrl::listening_on(addr))
            .with_media_dir(media_dir.clone())
            .with_search(search.clone(), true);
        let tasks = dateline_services::tasks::Supervisor::new();
        if let Some(related) = state.related_lists() {
            tasks.spawn("related lists", |stop| related.run(stop));
        }
        let serving = state.clone();
        let server = tokio::spawn(async move {
            dateline_web::serve(listener, serving, std::future::pending())
                .await
                .expect("serve");
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            addr,
            client,
            state,
            clock,
            store,
            media_dir,
            search,
            server,
            _tasks: tasks,
            _media: media,
            _db: db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Status and parsed HTML of a page.
    pub async fn page(&self, path: &str) -> (StatusCode, Html) {
        let response = self.get(path).await;
        let status = response.status();
        (
            status,
            Html::parse_document(&response.text().await.expect("body")),
        )
    }

    /// The section with this slug, which the test knows is there.
    pub async fn section(&self, slug: &str) -> Section {
        self.store
            .section_by_slug(&Slug::parse(slug).unwrap())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no section {slug}"))
    }

    /// Creates an article through the same service the newsroom and importers use.
    pub async fn create(&self, input: ArticleInput) -> Article {
        create_article(self.store.as_ref(), input, self.clock.now())
            .await
            .expect("create article")
    }

    /// Waits until the related lists queued so far are computed and stored.
    pub async fn related_settled(&self) {
        let search = self.state.search.as_ref().expect("search");
        let lists = search.related.as_ref().expect("related lists");
        tokio::time::timeout(std::time::Duration::from_secs(30), lists.settled())
            .await
            .expect("related lists computed within 30 s");
    }

    pub async fn set_status(&self, article: &Article, status: ArticleStatus) {
        let now = self.clock.now();
        assert!(
            self.store
                .set_article_status(article.id, status, None, now)
                .await
                .unwrap()
        );
    }
}

/// The password every account made by [`TestApp::account`] has.
pub const PASSWORD: &str = "correct horse battery";

impl TestApp {
    /// A new account with `role`, e-mail `<name>@newsroom.test`, password [`PASSWORD`].
    pub async fn account(&self, name: &str, role: Role) -> User {
        let email = format!("{}@newsroom.test", name.to_lowercase().replace(' ', "."));
        accounts::add_user(
            self.store.as_ref(),
            &email,
            name,
            role.as_str(),
            PASSWORD,
            self.clock.now(),
        )
        .await
        .expect("add account")
    }

    /// Signs in through the sign-in form; panics unless it works.
    pub async fn sign_in(&self, user: &User) -> Desk<'_> {
        self.try_sign_in(user.email.as_str(), PASSWORD)
            .await
            .expect("sign in")
    }

    /// Fills in the sign-in form; the refusal's status and message when it does not work.
    pub async fn try_sign_in(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Desk<'_>, (StatusCode, String)> {
        let form = self.get("/admin/login").await;
        let login_cookie = set_cookie_value(&form, "dateline_login").expect("login cookie");
        let html = Html::parse_document(&form.text().await.unwrap());
        let csrf = attrs(&html, "input[name=csrf]", "value").remove(0);
        let response = self
            .client
            .post(self.url("/admin/login"))
            .header("cookie", format!("dateline_login={login_cookie}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[
                ("email", email),
                ("password", password),
                ("csrf", &csrf),
            ]))
            .send()
            .await
            .unwrap();
        if response.status() != StatusCode::SEE_OTHER {
            let status = response.status();
            let html = Html::parse_document(&response.text().await.unwrap());
            return Err((status, texts(&html, "[role=alert]").join(" ")));
        }
        let session = set_cookie_value(&response, "dateline_session").expect("session cookie");
        let mut desk = Desk {
            app: self,
            session,
            csrf: String::new(),
        };
        let (status, page) = desk.page("/admin").await;
        assert_eq!(status, StatusCode::OK);
        desk.csrf = attrs(&page, "input[name=csrf]", "value").remove(0);
        Ok(desk)
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        self.clock.as_ref().now()
    }

    pub async fn count_users(&self) -> usize {
        self.store.users().await.unwrap().len()
    }
}

/// A browser signed in to the newsroom: its session cookie and the session's CSRF token.
pub struct Desk<'a> {
    pub app: &'a TestApp,
    pub session: String,
    pub csrf: String,
}

/// Form fields as the pairs a post takes.
pub fn pairs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

impl Desk<'_> {
    /// Creates an article through the editor form with `fields`; its id.
    pub async fn create_article(
        &self,
        fields: &[(&'static str, String)],
    ) -> dateline_domain::ArticleId {
        let response = self.post("/admin/articles", &pairs(fields)).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "create {fields:?}"
        );
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let id = location
            .trim_start_matches("/admin/articles/")
            .split('?')
            .next()
            .unwrap();
        dateline_domain::ArticleId(id.parse().unwrap())
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.app
            .client
            .get(self.app.url(path))
            .header("cookie", format!("dateline_session={}", self.session))
            .send()
            .await
            .unwrap()
    }

    pub async fn page(&self, path: &str) -> (StatusCode, Html) {
        let response = self.get(path).await;
        let status = response.status();
        (
            status,
            Html::parse_document(&response.text().await.unwrap()),
        )
    }

    /// Posts a form with this session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut all = fields.to_vec();
        all.push(("csrf", &self.csrf));
        self.post_raw(path, &all).await
    }

    /// Posts exactly `fields` (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url(path))
            .header("cookie", format!("dateline_session={}", self.session))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(fields))
            .send()
            .await
            .unwrap()
    }
}

/// The value a response's `Set-Cookie` gives cookie `name`.
pub fn set_cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    set_cookie_header(response, name)?
        .split(';')
        .next()?
        .split_once('=')
        .map(|(_, v)| v.to_owned())
}

/// The whole `Set-Cookie` header for cookie `name`.
pub fn set_cookie_header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// `application/x-www-form-urlencoded`.
pub fn form_body(fields: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A published article in `section` at `published_at`, with a plain body.
pub fn story(headline: &str, section: &str, published_at: DateTime<Utc>) -> ArticleInput {
    ArticleInput {
        headline: headline.to_owned(),
        standfirst: format!("Standfirst of {headline}."),
        body: format!("First paragraph of {headline}.\n\nSecond paragraph.\n"),
        section: section.to_owned(),
        tags: vec![],
        authors: vec![],
        source: None,
        status: ArticleStatus::Published,
        published_at: Some(published_at),
        language: "en".to_owned(),
    }
}

/// The whitespace-normalised text of every element matching `selector`.
pub fn texts(html: &Html, selector: &str) -> Vec<String> {
    let selector = Selector::parse(selector).expect("selector");
    html.select(&selector)
        .map(|e| normalise(&e.text().collect::<String>()))
        .collect()
}

/// The `attr` of every element matching `selector`.
pub fn attrs(html: &Html, selector: &str, attr: &str) -> Vec<String> {
    let selector = Selector::parse(selector).expect("selector");
    html.select(&selector)
        .filter_map(|e| e.value().attr(attr).map(str::to_owned))
        .collect()
}

pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The binary under test.
pub fn dateline_bin() -> &'static str {
    env!("CARGO_BIN_EXE_dateline")
}
