//! Pages and menus: an editor writes pages in the newsroom and readers find them at their
//! paths under their parents, with a breadcrumb, in the sitemap and nowhere articles are
//! listed; drafts and taken-down pages answer 404, a moved page's old address leads to its new
//! one. Addresses never collide with articles or
//! the site's own routes, and a page cannot be put under itself. The header and footer menus
//! show on every page, cached ones included, the moment they change; bad menus are refused
//! with a reason and change nothing.

use dateline_domain::{MenuName, MenuTarget, PageStore, Role, Slug};
use reqwest::StatusCode;

use crate::harness::{Desk, TestApp, attrs, on_both_backends, texts};

on_both_backends!(
    an_editor_writes_pages_and_readers_find_them_under_their_parents,
    page_addresses_never_collide_with_articles_or_the_sites_own_paths,
    a_page_cannot_be_put_under_itself_and_bad_pages_are_refused,
    menus_show_on_every_page_and_bad_menus_change_nothing,
    a_menu_or_page_change_reaches_cached_pages_at_once,
    only_editors_write_pages_and_menus_and_forms_need_their_token,
    a_publication_keeps_at_most_its_bound_of_pages,
);

/// The id in a page editor's address (`/admin/pages/12?done=…`).
fn page_id(response: &reqwest::Response) -> i64 {
    let location = response.headers()["location"].to_str().unwrap();
    location
        .trim_start_matches("/admin/pages/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("a page editor's address: {location}"))
}

/// Creates a page through the form; its id.
async fn create_page(desk: &Desk<'_>, fields: &[(&str, &str)], publish: bool) -> i64 {
    let mut all = fields.to_vec();
    all.push(("action", if publish { "publish" } else { "draft" }));
    let response = desk.post("/admin/pages", &all).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "create {fields:?}"
    );
    page_id(&response)
}

/// The message of a refused newsroom form.
async fn refusal(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let html = scraper::Html::parse_document(&response.text().await.unwrap());
    (status, texts(&html, "[role=alert]").join(" "))
}

async fn editor(app: &TestApp) -> Desk<'_> {
    let user = app.account("Eda Editor", Role::Editor).await;
    app.sign_in(&user).await
}

async fn about_us(desk: &Desk<'_>) -> (i64, i64) {
    let about = create_page(
        desk,
        &[
            ("title", "About us"),
            ("body", "We are a *newsroom*.\n"),
            ("description", "Who we are"),
        ],
        true,
    )
    .await;
    let team = create_page(
        desk,
        &[
            ("title", "Our team"),
            ("parent", &about.to_string()),
            ("position", "1"),
            ("body", "The people.\n"),
        ],
        true,
    )
    .await;
    (about, team)
}

async fn an_editor_writes_pages_and_readers_find_them_under_their_parents(app: TestApp) {
    let desk = editor(&app).await;
    let (about, team) = about_us(&desk).await;
    let draft = create_page(
        &desk,
        &[
            ("title", "Careers"),
            ("parent", &about.to_string()),
            ("body", "No vacancies.\n"),
        ],
        false,
    )
    .await;

    let (status, page) = app.page("/about-us/our-team").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(texts(&page, "main h1"), ["Our team"]);
    assert_eq!(
        texts(&page, ".breadcrumb a"),
        ["Home", "About us", "Our team"]
    );
    assert_eq!(
        attrs(&page, "link[rel=canonical]", "href"),
        [app.url("/about-us/our-team")]
    );
    assert!(
        texts(&page, ".byline, .dateline, .kicker").is_empty(),
        "no byline, date or section"
    );
    let (status, page) = app.page("/about-us").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(texts(&page, "main h1"), ["About us"]);
    assert_eq!(texts(&page, ".story-body em"), ["newsroom"]);
    assert_eq!(
        attrs(&page, "meta[name=description]", "content"),
        ["Who we are"]
    );
    // A WordPress-style address with a slash leads to the page, as an article's does.
    let response = app.get("/about-us/our-team/").await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()["location"], "/about-us/our-team");

    // A draft is not there for readers; its editor shows the address it will have.
    assert_eq!(
        app.get("/about-us/careers").await.status(),
        StatusCode::NOT_FOUND
    );
    let (status, editor_page) = desk.page(&format!("/admin/pages/{draft}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        texts(&editor_page, "main")
            .join(" ")
            .contains(&app.url("/about-us/careers")),
        "the editor names the page's address"
    );
    let (_, list) = desk.page("/admin/pages").await;
    assert_eq!(
        texts(&list, "table.pages td a"),
        ["About us", "Careers", "Our team"]
    );

    // In the sitemap; not on fronts, in feeds or in search.
    let sitemap = app
        .get("/sitemaps/sections.xml")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        sitemap.contains(&app.url("/about-us/our-team")),
        "{sitemap}"
    );
    assert!(!sitemap.contains("careers"), "{sitemap}");
    for path in ["/", "/feed.xml", "/search?q=newsroom"] {
        let body = app.get(path).await.text().await.unwrap();
        assert!(!body.contains("/about-us"), "{path} lists a page");
    }

    // Taken down: the page and those under it answer 404.
    let response = desk
        .post(&format!("/admin/pages/{about}/unpublish"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    for path in ["/about-us", "/about-us/our-team"] {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let (_, editor_page) = desk.page(&format!("/admin/pages/{team}")).await;
    assert!(
        texts(&editor_page, "main")
            .join(" ")
            .contains("answers 404")
    );
    desk.post(&format!("/admin/pages/{about}/publish"), &[])
        .await;
    assert_eq!(app.get("/about-us/our-team").await.status(), StatusCode::OK);

    // Moved under another parent, it answers at its new address.
    let contact = create_page(&desk, &[("title", "Contact"), ("body", "Write.\n")], true).await;
    let response = desk
        .post(
            &format!("/admin/pages/{team}"),
            &[
                ("title", "Our team"),
                ("slug", "our-team"),
                ("parent", &contact.to_string()),
                ("body", "The people.\n"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get("/contact/our-team").await.status(), StatusCode::OK);
    // Its old address leads there.
    let response = app.get("/about-us/our-team").await;
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(response.headers()["location"], "/contact/our-team");
}

async fn page_addresses_never_collide_with_articles_or_the_sites_own_paths(app: TestApp) {
    let desk = editor(&app).await;
    let article = "imran-khan-extends-invitation-to-putin-discuss-ties-on-call";
    for (fields, want) in [
        (vec![("title", "Imran"), ("slug", article)], "an article's"),
        (
            vec![("title", "Search"), ("slug", "search")],
            "one of the site's own addresses",
        ),
        (
            vec![("title", "Pictures"), ("slug", "media")],
            "one of the site's own addresses",
        ),
    ] {
        let mut all = fields.clone();
        all.push(("body", "Text.\n"));
        let (status, message) = refusal(desk.post("/admin/pages", &all).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(message.contains(want), "{fields:?}: {message}");
    }
    assert!(
        app.store.pages().await.unwrap().is_empty(),
        "nothing written"
    );
    // Under a parent, an article's slug is free.
    let (about, _) = about_us(&desk).await;
    create_page(
        &desk,
        &[
            ("title", "Imran"),
            ("slug", article),
            ("parent", &about.to_string()),
            ("body", "Text.\n"),
        ],
        true,
    )
    .await;
    // Two pages under one parent cannot share a slug.
    let (status, message) = refusal(
        desk.post(
            "/admin/pages",
            &[
                ("title", "Our team"),
                ("parent", &about.to_string()),
                ("body", "Again.\n"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message.contains("already taken"), "{message}");
    // An article whose headline makes a top-level page's slug passes over it.
    let id = desk
        .create_article(&[
            ("headline", "About us".to_owned()),
            ("section", "World".to_owned()),
            ("body", "A story.\n".to_owned()),
            ("language", "en".to_owned()),
        ])
        .await;
    let stored = dateline_domain::ArticleStore::article_by_id(app.store.as_ref(), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.slug, Slug::parse("about-us-2").unwrap());
    assert_eq!(
        texts(&app.page("/about-us").await.1, "main h1"),
        ["About us"]
    );
}

async fn a_page_cannot_be_put_under_itself_and_bad_pages_are_refused(app: TestApp) {
    let desk = editor(&app).await;
    let (about, team) = about_us(&desk).await;
    for parent in [about, team] {
        let (status, message) = refusal(
            desk.post(
                &format!("/admin/pages/{about}"),
                &[
                    ("title", "About us"),
                    ("parent", &parent.to_string()),
                    ("body", "Text.\n"),
                ],
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "under {parent}");
        assert!(message.contains("under itself"), "{message}");
    }
    for (fields, want) in [
        (vec![("title", "")], "title"),
        (vec![("title", "Two\nlines")], "title"),
        (
            vec![("title", "X"), ("body", "<script>alert(1)</script>\n")],
            "body",
        ),
        (vec![("title", "X"), ("body", "nul\u{0}\n")], "body"),
        (
            vec![("title", "X"), ("body", "::: read-more 1\n")],
            "Read More",
        ),
        (vec![("title", "X"), ("parent", "999999")], "no such page"),
        (vec![("title", "X"), ("position", "first")], "position"),
        (
            vec![("title", "X"), ("language", "not a language")],
            "language",
        ),
        (vec![("title", "X"), ("slug", "Bad Slug!")], "slug"),
    ] {
        let (status, message) = refusal(desk.post("/admin/pages", &fields).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(message.contains(want), "{fields:?}: {message}");
    }
    assert_eq!(app.store.pages().await.unwrap().len(), 2, "nothing written");
    let page = app
        .store
        .page(dateline_domain::PageId(about))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        page.summary.parent, None,
        "the refused save changed nothing"
    );
}

/// The header menu's labels as a reader sees them, nested ones after their parent.
fn header_labels(page: &scraper::Html) -> Vec<String> {
    texts(page, "nav.site-menu a")
}

async fn save_menu(desk: &Desk<'_>, menu: &str, rows: &[(&str, &str, bool)]) -> reqwest::Response {
    let mut fields: Vec<(String, String)> = Vec::new();
    for (n, (label, target, nested)) in rows.iter().enumerate() {
        fields.push((format!("label_{n}"), (*label).to_owned()));
        fields.push((format!("target_{n}"), (*target).to_owned()));
        if *nested {
            fields.push((format!("nested_{n}"), "1".to_owned()));
        }
    }
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    desk.post(&format!("/admin/menus/{menu}"), &pairs).await
}

async fn menus_show_on_every_page_and_bad_menus_change_nothing(app: TestApp) {
    let desk = editor(&app).await;
    // Without a header menu, the sections are the navigation.
    let (_, home) = app.page("/").await;
    assert!(!texts(&home, "nav.sections a").is_empty());
    assert!(header_labels(&home).is_empty());

    let (about, _) = about_us(&desk).await;
    let response = save_menu(
        &desk,
        "header",
        &[
            ("Home", "/", false),
            ("World", "/section/world", false),
            ("Team", "/about-us/our-team", true),
            ("About", "/about-us", false),
            ("Elsewhere", "https://example.org/x", false),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = save_menu(&desk, "footer", &[("Privacy", "/about-us", false)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let stored = app.store.menu(MenuName::Header).await.unwrap();
    assert!(matches!(stored[1].target, MenuTarget::Section(_)));
    assert!(matches!(stored[2].target, MenuTarget::Page(_)) && stored[2].nested);
    for path in [
        "/",
        "/section/world",
        "/about-us",
        "/imran-khan-extends-invitation-to-putin-discuss-ties-on-call",
        "/no-such-page",
    ] {
        let (_, page) = app.page(path).await;
        assert_eq!(
            header_labels(&page),
            ["Home", "World", "Team", "About", "Elsewhere"],
            "{path}"
        );
        assert_eq!(
            attrs(&page, "nav.site-menu .submenu a", "href"),
            ["/about-us/our-team"],
            "{path}"
        );
        assert_eq!(texts(&page, "nav.footer-menu a"), ["Privacy"], "{path}");
    }

    // Bad menus: refused with the reason, nothing stored changes.
    let long = "x".repeat(61);
    let many: Vec<(&str, &str, bool)> = (0..41).map(|_| ("Home", "/", false)).collect();
    for (rows, want) in [
        (vec![("", "/", false)], "label"),
        (vec![(long.as_str(), "/", false)], "60"),
        (vec![("Bad\u{1}label", "/", false)], "control"),
        (vec![("Nul\u{0}", "/", false)], "control"),
        (vec![("Evil", "javascript:alert(1)", false)], "javascript"),
        (
            vec![("Evil", "//evil.example", false)],
            "path starting with /",
        ),
        (
            vec![("Gone", "/section/no-such-section", false)],
            "no section",
        ),
        (
            vec![("Gone", "/no-such-page-or-article", false)],
            "no page or article",
        ),
        (vec![("Under", "/", true)], "first item"),
        (many, "at most 40"),
    ] {
        let (status, message) = refusal(save_menu(&desk, "header", &rows).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{rows:?}");
        assert!(message.contains(want), "{want}: {message}");
        assert_eq!(app.store.menu(MenuName::Header).await.unwrap(), stored);
    }
    assert_eq!(
        desk.post("/admin/menus/sidebar", &[]).await.status(),
        StatusCode::NOT_FOUND
    );

    // A page taken down leaves the menu (with what is nested under it) and is marked in the
    // newsroom; published again, it is back.
    desk.post(&format!("/admin/pages/{about}/unpublish"), &[])
        .await;
    let (_, home) = app.page("/").await;
    assert_eq!(header_labels(&home), ["Home", "World", "Elsewhere"]);
    assert!(texts(&home, "nav.footer-menu a").is_empty());
    let (_, menus) = desk.page("/admin/menus").await;
    assert_eq!(
        texts(&menus, ".broken").len(),
        3,
        "{:?}",
        texts(&menus, ".broken")
    );
    desk.post(&format!("/admin/pages/{about}/publish"), &[])
        .await;
    let (_, home) = app.page("/").await;
    assert_eq!(header_labels(&home).len(), 5);

    // An empty header menu brings the sections back.
    let response = save_menu(&desk, "header", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, home) = app.page("/").await;
    assert!(header_labels(&home).is_empty());
    assert!(texts(&home, "nav.sections a").contains(&"World".to_owned()));
}

/// Asks for `path` until the page cache answers it (a page rendered while some background
/// write landed is not kept, so the first renders may not be).
async fn assert_cached(app: &TestApp, path: &str) {
    for _ in 0..10 {
        if app.get(path).await.headers()["x-cache"] == "HIT" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{path} is never answered from the page cache");
}

async fn a_menu_or_page_change_reaches_cached_pages_at_once(app: TestApp) {
    let desk = editor(&app).await;
    // The demo's related lists are written in the background; a page rendered while one is
    // stored is not kept.
    app.related_settled().await;
    let article = "/imran-khan-extends-invitation-to-putin-discuss-ties-on-call";
    for path in ["/", article] {
        assert_cached(&app, path).await;
    }
    let (about, _) = about_us(&desk).await;
    assert_cached(&app, "/about-us/our-team").await;
    save_menu(&desk, "header", &[("About", "/about-us", false)]).await;
    for path in ["/", article, "/about-us/our-team"] {
        let (_, page) = app.page(path).await;
        assert_eq!(header_labels(&page), ["About"], "{path}");
    }
    // A page's new title shows on its own (cached) page and its children's breadcrumbs.
    let response = desk
        .post(
            &format!("/admin/pages/{about}"),
            &[
                ("title", "Who we are"),
                ("slug", "about-us"),
                ("body", "Text.\n"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.page("/about-us/our-team").await;
    assert_eq!(
        texts(&page, ".breadcrumb a"),
        ["Home", "Who we are", "Our team"]
    );
}

async fn only_editors_write_pages_and_menus_and_forms_need_their_token(app: TestApp) {
    let author = app.account("Abe Author", Role::Author).await;
    let desk = app.sign_in(&author).await;
    for path in ["/admin/pages", "/admin/pages/new", "/admin/menus"] {
        assert_eq!(
            desk.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let response = desk
        .post("/admin/pages", &[("title", "Mine"), ("body", "Text.\n")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        save_menu(&desk, "header", &[("Home", "/", false)])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let editor = editor(&app).await;
    let response = editor
        .post_raw("/admin/pages", &[("title", "Forged"), ("body", "Text.\n")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = editor
        .post_raw(
            "/admin/menus/header",
            &[("label_0", "Home"), ("target_0", "/")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(app.store.pages().await.unwrap().is_empty());
    assert!(app.store.menu(MenuName::Header).await.unwrap().is_empty());
    // Anonymous visitors are sent to sign in.
    let response = app.get("/admin/pages").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

async fn page_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM pages")
        .fetch_one(app.store.pool())
        .await
        .unwrap()
}

async fn a_publication_keeps_at_most_its_bound_of_pages(app: TestApp) {
    let bound = dateline_domain::Page::MAX_PAGES as i64;
    // Drafts up to one short of the bound, written straight into the table.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) \
         INSERT INTO pages (slug, parent_id, position, title, body, body_html, description, \
         status, language, created_at, updated_at, published_at) \
         SELECT 'filler-' || i, NULL, 0, 'Filler', '', '', '', 'draft', 'en', 0, 0, NULL FROM n",
        bound - 1
    )))
    .execute(app.store.pool())
    .await
    .unwrap();
    assert_eq!(page_count(&app).await, bound - 1);
    let desk = editor(&app).await;
    create_page(
        &desk,
        &[("title", "The last one"), ("body", "Text.\n")],
        true,
    )
    .await;
    assert_eq!(page_count(&app).await, bound);
    // One past the bound: refused with the reason, nothing written, on every try at once.
    let answers = futures_util::future::join_all((0..20).map(|n| {
        let title = format!("One too many {n}");
        let desk = &desk;
        async move {
            desk.post(
                "/admin/pages",
                &[("title", &title), ("body", "Text.\n"), ("action", "draft")],
            )
            .await
        }
    }))
    .await;
    for response in answers {
        let (status, message) = refusal(response).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(message.contains("the most it keeps"), "{message}");
    }
    assert_eq!(page_count(&app).await, bound);
}
