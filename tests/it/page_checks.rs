//! Every public page type, as the real server renders it, through the Nu HTML Checker (zero
//! errors) and axe-core in Chromium (zero violations).

use std::path::PathBuf;

use dateline_domain::Clock;
use serde_json::Value;

use crate::browser::Browser;
use crate::checkers;
use crate::harness::TestApp;

/// The public pages every check covers: name, path and the status the page answers with.
/// A new page type is checked by adding it here.
pub const PUBLIC_PAGES: &[(&str, &str, u16)] = &[
    ("home", "/", 200),
    ("section", "/section/world", 200),
    ("tag", "/tag/russia", 200),
    ("author", "/author/sana-mirza", 200),
    ("search", "/search?q=russia+afghanistan", 200),
    ("empty-search", "/search", 200),
    (
        "article",
        "/imran-khan-extends-invitation-to-putin-discuss-ties-on-call",
        200,
    ),
    (
        "urdu-article",
        "/کراچی-میں-موسم-گرم-اور-مرطوب-ہلکی-بارش-کا-امکان",
        200,
    ),
    ("page", "/about-us/our-team", 200),
    ("not-found", "/no-such-page", 404),
];

/// A TestApp whose fronts paginate, so pagers are on the checked pages too, with standing
/// pages (one under another) and header and footer menus (one item nested), so every page
/// type is checked with the menus in its layout.
async fn app_with_pages() -> TestApp {
    let app = TestApp::sqlite().await;
    let now = app.clock.now();
    let editor = app
        .account("Page Editor", dateline_domain::Role::Editor)
        .await;
    let language = dateline_domain::Language::english();
    let page = |title: &str, parent: String| dateline_services::pages::PageInput {
        title: title.to_owned(),
        slug: String::new(),
        body: format!("About {title}.\n\n- one\n- two\n"),
        description: format!("All about {title}"),
        language: String::new(),
        parent,
        position: String::new(),
        status: dateline_domain::PageStatus::Published,
    };
    let store = app.store.as_ref();
    let about = dateline_services::pages::create_page(
        store,
        &editor,
        &page("About us", String::new()),
        &language,
        now,
    )
    .await
    .unwrap();
    dateline_services::pages::create_page(
        store,
        &editor,
        &page("Our team", about.to_string()),
        &language,
        now,
    )
    .await
    .unwrap();
    let row = |label: &str, target: &str, nested: bool| dateline_services::pages::MenuRow {
        label: label.to_owned(),
        target: target.to_owned(),
        nested,
    };
    dateline_services::pages::save_menu(
        store,
        &editor,
        dateline_domain::MenuName::Header,
        &[
            row("Home", "/", false),
            row("World", "/section/world", false),
            row("About us", "/about-us", false),
            row("Our team", "/about-us/our-team", true),
        ],
    )
    .await
    .unwrap();
    dateline_services::pages::save_menu(
        store,
        &editor,
        dateline_domain::MenuName::Footer,
        &[row("About us", "/about-us", false)],
    )
    .await
    .unwrap();
    for i in 0..21 {
        let mut input = crate::harness::story(
            &format!("World story number {i}"),
            "World",
            now - chrono::Duration::hours(i),
        );
        input.tags = vec!["Russia".into()];
        input.authors = vec!["Sana Mirza".into()];
        app.create(input).await;
    }
    app
}

#[tokio::test]
async fn every_public_page_type_passes_the_nu_html_checker() {
    let test = "page_checks::every_public_page_type_passes_the_nu_html_checker";
    if !checkers::has_vnu(test) {
        return;
    }
    let app = app_with_pages().await;
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    for (name, path, status) in PUBLIC_PAGES {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), *status, "{name}: {path}");
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, response.text().await.unwrap()).unwrap();
        files.push(file);
    }
    // The second page of a front, reached through its pager.
    let (_, first) = app.page("/section/world").await;
    let older = crate::harness::attrs(&first, "a[rel=next]", "href");
    assert_eq!(older.len(), 1, "the World front has an older page");
    let file = dir.path().join("section-older.html");
    std::fs::write(&file, app.get(&older[0]).await.text().await.unwrap()).unwrap();
    files.push(file);

    // A control: the checker does report a page that is wrong.
    let control = dir.path().join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><html lang=\"en\"><title>x</title><p><li>stray</li></p></html>",
    )
    .unwrap();
    assert!(
        !checkers::vnu_errors(std::slice::from_ref(&control)).is_empty(),
        "the Nu HTML Checker reports nothing even for a broken page"
    );

    let errors = checkers::vnu_errors(&files);
    assert!(
        errors.is_empty(),
        "the Nu HTML Checker found {} errors:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

#[tokio::test]
async fn every_public_page_type_has_no_axe_violations() {
    let test = "page_checks::every_public_page_type_has_no_axe_violations";
    if !checkers::has_axe(test) {
        return;
    }
    let Some(browser) = Browser::start(test).await else {
        return;
    };
    let axe = std::fs::read_to_string(checkers::axe_script()).unwrap();
    let app = app_with_pages().await;
    let mut report = Vec::new();
    for (width, height) in [(390, 844), (1366, 900)] {
        browser.viewport(width, height).await;
        for (name, path, _) in PUBLIC_PAGES {
            browser.client.goto(&app.url(path)).await.unwrap();
            browser.client.execute(&axe, vec![]).await.unwrap();
            let result = browser
                .client
                .execute_async(
                    "const done = arguments[arguments.length - 1];
                     axe.run(document, { resultTypes: ['violations'] })
                        .then(r => done({ violations: r.violations.map(v => ({
                            id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.map(n => ({ target: n.target, summary: n.failureSummary })),
                        })) }))
                        .catch(e => done({ error: String(e) }));",
                    vec![],
                )
                .await
                .unwrap();
            assert!(
                result["error"].is_null(),
                "{name}: axe failed: {}",
                result["error"]
            );
            for violation in result["violations"].as_array().unwrap() {
                report.push(describe(name, width, violation));
            }
            // The JSON-LD reached the browser intact (the CSP does not touch data blocks).
            let ld = browser
                .client
                .execute(
                    "return [...document.querySelectorAll('script[type=\"application/ld+json\"]')]
                        .map(s => JSON.parse(s.textContent)['@type'] || 'graph');",
                    vec![],
                )
                .await
                .unwrap();
            if *name == "article" {
                assert_eq!(ld, serde_json::json!(["NewsArticle"]), "{name}");
            }
            if width == 1366 {
                browser.screenshot(&format!("page-{name}")).await;
            }
        }
    }
    // A control: axe does report an image without a text alternative.
    browser
        .client
        .execute(
            "const img = document.createElement('img'); img.src = '/static/logo.png';
             document.querySelector('main').append(img);",
            vec![],
        )
        .await
        .unwrap();
    let control = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: ['image-alt'] }).then(r => done(r.violations.length));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(control, 1, "axe did not catch an image without alt text");
    browser.close().await;
    assert!(
        report.is_empty(),
        "axe-core found {} violations:\n{}",
        report.len(),
        report.join("\n")
    );
}

fn describe(page: &str, width: u32, violation: &Value) -> String {
    let nodes: Vec<String> = violation["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            format!(
                "    at {}: {}",
                n["target"],
                n["summary"].as_str().unwrap_or_default().replace('\n', " ")
            )
        })
        .collect();
    format!(
        "{page} ({width}px): {} [{}] {}\n{}",
        violation["id"].as_str().unwrap_or_default(),
        violation["impact"].as_str().unwrap_or_default(),
        violation["help"].as_str().unwrap_or_default(),
        nodes.join("\n")
    )
}
