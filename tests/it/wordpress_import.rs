//! `dateline import wordpress`: the WordPress sample export (made by WordPress 6.1's own exporter)
//! comes across with its posts, sections, tags and bylines, and the old addresses answer: every
//! post permalink, the old slugs, category and tag archives and feeds. A second import adds
//! nothing; a newer export updates what changed (and keeps what the newsroom edited); a dry run
//! writes nothing; a file that is not WXR, is cut short or declares entities is refused with one
//! line and nothing written. Pages come across with their hierarchy and their old addresses, and
//! the classic menu becomes the header menu. With a copy of the uploads folder, pictures come
//! across, featured and in bodies, and their old addresses answer. (Comments:
//! `tests/it/comments.rs`.)

use std::path::{Path, PathBuf};
use std::process::Output;

use dateline_domain::{ArticleStatus, ArticleStore, RevisionKind, RevisionNumber, Role, Slug};
use dateline_services::newsroom;
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{TestApp, on_both_backends, texts};

on_both_backends!(
    a_wordpress_export_comes_across_and_its_old_addresses_answer,
    a_second_import_adds_nothing_and_a_dry_run_writes_nothing,
    files_that_are_not_wordpress_exports_are_refused_and_nothing_is_written,
    an_import_killed_half_way_is_finished_by_the_next_run,
    a_newer_export_updates_what_changed_and_keeps_what_the_newsroom_edited,
    pictures_come_across_from_a_copy_of_the_uploads_folder,
    seo_fields_and_sticky_posts_come_across,
);

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/wordpress")
        .join(name)
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("gvs-sample.expected.json")).unwrap())
        .unwrap()
}

fn command(app: &TestApp, file: &Path, extra: &[&str], data: &Path) -> tokio::process::Command {
    let file = file.to_str().expect("a UTF-8 path");
    let mut args = vec!["import", "wordpress", file];
    args.extend_from_slice(extra);
    crate::portable::command(app.store.url(), data, &args)
}

pub(crate) async fn import(app: &TestApp, file: &Path, extra: &[&str]) -> Output {
    let data = tempfile::tempdir().unwrap();
    let mut command = command(app, file, extra, data.path());
    let output = tokio::time::timeout(std::time::Duration::from_secs(300), command.output())
        .await
        .expect("the import stops within five minutes")
        .expect("run dateline");
    // The converted file beside the database is gone, whatever happened.
    let left: Vec<_> = std::fs::read_dir(data.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("wordpress-import-")
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    output
}

pub(crate) fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Follows redirects (at most five) from `path`; the last answer's status, address and page.
async fn follow(app: &TestApp, path: &str) -> (StatusCode, String, scraper::Html) {
    let mut at = path.to_owned();
    for _ in 0..5 {
        let response = app.get(&at).await;
        if response.status() == StatusCode::MOVED_PERMANENTLY
            || response.status() == StatusCode::PERMANENT_REDIRECT
        {
            at = response.headers()["location"].to_str().unwrap().to_owned();
            continue;
        }
        let status = response.status();
        let page = scraper::Html::parse_document(&response.text().await.unwrap());
        return (status, at, page);
    }
    panic!("{path}: more than five redirects");
}

async fn a_wordpress_export_comes_across_and_its_old_addresses_answer(app: TestApp) {
    let out = stdout(&import(&app, &fixture("gvs-sample.wxr.xml"), &[]).await);
    for line in [
        "posts (publish): 38",
        "posts (draft): 2",
        "posts (pending): 1",
        "posts (private): 1",
        "posts (future): 1",
        "pages (publish): 3",
        "pages (draft): 1",
        "menu items: 4",
        "left out: 5 attachment",
        "left out: 1 trashed post",
        "password-protected, imported as a draft",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
    let expected = expected();
    let protected: Vec<u64> = expected["password_protected_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    // Every published post's old permalink leads to its article.
    let mut followed = 0;
    for link in expected["permalinks"]["items"].as_array().unwrap() {
        if link["type"] != "post" || protected.contains(&link["id"].as_u64().unwrap()) {
            continue;
        }
        let path = link["path"].as_str().unwrap();
        let (status, at, page) = follow(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path} → {at}");
        assert!(!at.ends_with('/'), "{path} → {at}");
        assert_eq!(texts(&page, "article h1").len(), 1, "{path} → {at}");
        followed += 1;
    }
    assert_eq!(
        followed, 37,
        "38 published posts, one of them password-protected"
    );
    assert!(!out.contains("nav_menu_item"), "{out}");
    assert!(!out.contains("left out: 4 page"), "{out}");
    // Every published page's old permalink and link by number lead to it, under its parent.
    let titles = [
        (28, "About Us", "/about-us"),
        (29, "Our Team", "/about-us/our-team"),
        (30, "Contact Us", "/about-us/contact-us"),
    ];
    let mut pages = 0;
    for link in expected["permalinks"]["items"].as_array().unwrap() {
        if link["type"] != "page" {
            continue;
        }
        let id = link["id"].as_u64().unwrap();
        let (_, title, home) = titles
            .iter()
            .find(|(n, _, _)| *n == id)
            .unwrap_or_else(|| panic!("page {id} is one of the three"));
        for old in [
            link["path"].as_str().unwrap().to_owned(),
            format!("/?page_id={id}"),
        ] {
            let (status, at, page) = follow(&app, &old).await;
            assert_eq!((status, at.as_str()), (StatusCode::OK, *home), "{old}");
            assert_eq!(texts(&page, "main h1"), [*title], "{old}");
        }
        let response = app.get(&format!("/?page_id={id}")).await;
        assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
        pages += 1;
    }
    assert_eq!(pages, 3, "three published pages");
    let (_, _, team) = follow(&app, "/about-us/our-team/").await;
    assert_eq!(
        texts(&team, ".breadcrumb a"),
        ["Home", "About Us", "Our Team"]
    );
    // The draft page is there for the newsroom, not for readers.
    let draft = dateline_domain::PageStore::pages(app.store.as_ref())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.title == "Careers")
        .expect("the draft page is imported");
    assert_eq!(draft.status, dateline_domain::PageStatus::Draft);
    assert_eq!(app.get("/careers").await.status(), StatusCode::NOT_FOUND);
    // The classic menu is the header menu on every page: its four items, the category and
    // page items named after what they point at, Pakistan under News.
    for path in ["/", "/about-us", "/section/world"] {
        let (_, page) = app.page(path).await;
        assert_eq!(
            texts(&page, "nav.site-menu a"),
            ["Home", "News", "Pakistan", "About Us"],
            "{path}"
        );
        assert_eq!(
            crate::harness::attrs(&page, "nav.site-menu a", "href"),
            ["/", "/section/news", "/section/pakistan", "/about-us"],
            "{path}"
        );
        assert_eq!(texts(&page, "nav.site-menu .submenu a"), ["Pakistan"]);
    }
    // The seed article's Read More links point at the imported articles by id.
    let (_, _, seed) = follow(
        &app,
        "/imran-khan-extends-invitation-to-putin-discuss-ties-on-call/",
    )
    .await;
    assert_eq!(
        texts(&seed, ".read-more").len(),
        4,
        "{:?}",
        texts(&seed, "main")
    );
    // The block editor's YouTube embed and the classic post's bare YouTube link are embeds,
    // placeholders that load nothing from YouTube until asked.
    for slug in [
        "/port-zarina-holds-its-first-monsoon-preparedness-drill",
        "/sabzabads-old-vegetable-market-reopens-after-repairs",
    ] {
        let (status, _, page) = follow(&app, slug).await;
        assert_eq!(status, StatusCode::OK, "{slug}");
        assert_eq!(
            texts(&page, ".story-body figure.embed-youtube button"),
            ["Load the YouTube video"],
            "{slug}"
        );
        assert!(crate::harness::attrs(&page, "iframe", "src").is_empty());
    }
    // Old slugs, category archives (under their parents too), tag archives and feeds.
    for old in expected["old_slug_redirects"].as_array().unwrap() {
        let (status, at, _) = follow(&app, old["from"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{old}");
        assert_eq!(
            at,
            old["to"].as_str().unwrap().trim_end_matches('/'),
            "{old}"
        );
    }
    for (old, new) in [
        ("/category/news/pakistan/", "/section/pakistan"),
        ("/category/news/world/middle-east/", "/section/middle-east"),
        ("/category/business/feed/", "/section/business/feed.xml"),
        ("/tag/qa/", "/tag/qa"),
        (
            "/tag/%da%a9%d8%b1%d8%a7%da%86%db%8c/",
            "/tag/%da%a9%d8%b1%d8%a7%da%86%db%8c",
        ),
        ("/feed/", "/feed.xml"),
        (
            "/?p=13&utm_source=x",
            "/imran-khan-extends-invitation-to-putin-discuss-ties-on-call",
        ),
        ("/2021/08/", "/search?from=2021-08-01&until=2021-08-31"),
    ] {
        let (status, at, _) = follow(&app, old).await;
        assert_eq!((status, at.as_str()), (StatusCode::OK, new), "{old}");
    }
    // Statuses: drafts (slugs made from their titles), review, scheduled, private as a draft;
    // the trashed post is not there.
    for (slug, status) in [
        (
            "explainer-how-riverbend-tram-fares-will-change",
            ArticleStatus::Draft,
        ),
        (
            "zarina-cricket-club-names-a-new-captain",
            ArticleStatus::InReview,
        ),
        (
            "newsroom-note-style-reminders-for-election-week",
            ArticleStatus::Draft,
        ),
        (
            "preview-the-sabzabad-budget-for-2031",
            ArticleStatus::Scheduled,
        ),
    ] {
        let article = app
            .store
            .article_by_slug(&Slug::parse(slug).unwrap())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{slug} imported"));
        assert_eq!(article.status, status, "{slug}");
    }
    for gone in [
        "lake-sorvan-water-levels-fall",
        "lake-sorvan-water-levels-fall__trashed",
    ] {
        if let Ok(slug) = Slug::parse(gone) {
            assert!(app.store.article_by_slug(&slug).await.unwrap().is_none());
        }
    }
    // A number WordPress never gave is the home page; the home page itself is unchanged.
    assert_eq!(app.get("/?p=999999").await.status(), StatusCode::OK);
    assert_eq!(app.get("/?p=abc").await.status(), StatusCode::OK);
    // Addresses that only look like ours: no redirect to another site, no page.
    for hostile in ["//evil.example/", "/\\evil.example/", "/category/nope/"] {
        let response = app.get(hostile).await;
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(
            !location.starts_with("//") && !location.starts_with("/\\"),
            "{hostile} → {location}"
        );
    }
}

async fn article_count(app: &TestApp) -> u64 {
    app.store.count_articles().await.unwrap()
}

async fn a_second_import_adds_nothing_and_a_dry_run_writes_nothing(app: TestApp) {
    let before = article_count(&app).await;
    let dry = stdout(&import(&app, &fixture("gvs-sample.wxr.xml"), &["--dry-run"]).await);
    assert!(dry.contains("it can be imported"), "{dry}");
    assert_eq!(
        article_count(&app).await,
        before,
        "the dry run wrote nothing"
    );
    stdout(&import(&app, &fixture("gvs-sample.wxr.xml"), &[]).await);
    let after = article_count(&app).await;
    assert!(after > before + 30, "{before} → {after}");
    let again = stdout(&import(&app, &fixture("gvs-sample.wxr.xml"), &[]).await);
    assert!(again.contains("article: 0 added"), "{again}");
    assert!(again.contains("redirect: 0 added"), "{again}");
    assert!(again.contains("page: 0 added, 4 already there"), "{again}");
    assert!(again.contains("menu: 0 added, 1 already there"), "{again}");
    assert_eq!(article_count(&app).await, after);
}

async fn files_that_are_not_wordpress_exports_are_refused_and_nothing_is_written(app: TestApp) {
    let before = article_count(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read_to_string(fixture("gvs-sample.wxr.xml")).unwrap();
    let cut = whole.len() / 2;
    let cut = (cut..whole.len())
        .find(|&i| whole.is_char_boundary(i))
        .unwrap();
    let cases = [
        ("rss.xml", "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>A feed</title></channel></rss>".to_owned()),
        ("page.html", "<!doctype html><html><body>Not an export</body></html>".to_owned()),
        ("half.xml", whole[..cut].to_owned()),
        (
            "laughs.xml",
            "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY a \"ha\"><!ENTITY b \"&a;&a;&a;&a;\">]><rss version=\"2.0\" xmlns:wp=\"http://wordpress.org/export/1.2/\"><channel><wp:wxr_version>1.2</wp:wxr_version><title>&b;</title></channel></rss>".to_owned(),
        ),
        (
            "external.xml",
            "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><rss version=\"2.0\"><channel><title>&x;</title></channel></rss>".to_owned(),
        ),
    ];
    for (name, text) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let output = import(&app, &path, &[]).await;
        assert!(!output.status.success(), "{name} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "{name}: {stderr}");
        assert!(
            errors[0].contains("nothing was imported"),
            "{name}: {}",
            errors[0]
        );
        assert!(
            !errors[0].contains("root:"),
            "{name}: nothing fetched: {}",
            errors[0]
        );
        assert_eq!(article_count(&app).await, before, "{name}: nothing written");
    }
    let missing = import(&app, &dir.path().join("nowhere.xml"), &[]).await;
    assert!(!missing.status.success());
}

/// A WXR file of `posts` published posts, each but the first with a Read More to the one before.
fn many_posts(posts: usize) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" \
         xmlns:excerpt=\"http://wordpress.org/export/1.2/excerpt/\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
         xmlns:wp=\"http://wordpress.org/export/1.2/\"><channel><title>Many</title>\
         <link>https://many.example</link><language>en-US</language>\
         <wp:wxr_version>1.2</wp:wxr_version>\
         <wp:base_site_url>https://many.example</wp:base_site_url>\
         <wp:base_blog_url>https://many.example</wp:base_blog_url>\
         <wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[desk]]></wp:author_login>\
         <wp:author_email><![CDATA[desk@many.example]]></wp:author_email>\
         <wp:author_display_name><![CDATA[News Desk]]></wp:author_display_name></wp:author>\
         <wp:category><wp:term_id>1</wp:term_id><wp:category_nicename><![CDATA[city]]></wp:category_nicename>\
         <wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[City]]></wp:cat_name></wp:category>",
    );
    for n in 0..posts {
        let read_more = if n == 0 {
            String::new()
        } else {
            format!(
                "<p>Read More: <a href=\"https://many.example/story-number-{}/\">Story {}</a></p>",
                n - 1,
                n - 1
            )
        };
        out.push_str(&format!(
            "<item><title>Story number {n}</title><link>https://many.example/story-number-{n}/</link>\
             <dc:creator><![CDATA[desk]]></dc:creator>\
             <content:encoded><![CDATA[<p>The council met for the {n}th time.</p>{read_more}]]></content:encoded>\
             <excerpt:encoded><![CDATA[]]></excerpt:encoded><wp:post_id>{}</wp:post_id>\
             <wp:post_date><![CDATA[2023-05-01 10:00:00]]></wp:post_date>\
             <wp:post_date_gmt><![CDATA[2023-05-01 05:00:00]]></wp:post_date_gmt>\
             <wp:post_name><![CDATA[story-number-{n}]]></wp:post_name>\
             <wp:status><![CDATA[publish]]></wp:status><wp:post_type><![CDATA[post]]></wp:post_type>\
             <category domain=\"category\" nicename=\"city\"><![CDATA[City]]></category></item>",
            100 + n
        ));
    }
    out.push_str("</channel></rss>");
    out
}

async fn an_import_killed_half_way_is_finished_by_the_next_run(app: TestApp) {
    const POSTS: u64 = 3_000;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many.xml");
    std::fs::write(&file, many_posts(POSTS as usize)).unwrap();
    let before = article_count(&app).await;
    // Killed (SIGKILL) once the first batch is in.
    let data = tempfile::tempdir().unwrap();
    let mut child = command(&app, &file, &[], data.path()).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let now = article_count(&app).await;
        if now > before {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it could be stopped"
        );
        assert!(std::time::Instant::now() < deadline, "no article came in");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let partial = article_count(&app).await - before;
    assert!(partial < POSTS, "stopped half-way: {partial}");
    // Whatever is in is whole: every stored article has its byline and section.
    for n in 0..POSTS {
        let slug = Slug::parse(&format!("story-number-{n}")).unwrap();
        if let Some(article) = app.store.article_by_slug(&slug).await.unwrap() {
            assert_eq!(article.authors.len(), 1, "{slug:?}");
            assert_eq!(article.section.slug.as_str(), "city");
        }
    }
    // The next run finishes the job, and the one after adds nothing.
    stdout(&import(&app, &file, &[]).await);
    assert_eq!(article_count(&app).await, before + POSTS);
    let again = stdout(&import(&app, &file, &[]).await);
    assert!(again.contains("article: 0 added"), "{again}");
    let last = app
        .store
        .article_by_slug(&Slug::parse(&format!("story-number-{}", POSTS - 1)).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(last.body.contains("::: read-more "), "{}", last.body);
}

/// The fixture with the item of the post `post_name` changed by `edit`.
fn with_post_changed(xml: &str, post_name: &str, edit: impl Fn(&str) -> String) -> String {
    let marker = format!("<wp:post_name><![CDATA[{post_name}]]></wp:post_name>");
    let at = xml.find(&marker).expect("the post is in the fixture");
    let start = xml[..at].rfind("<item>").unwrap();
    let end = at + xml[at..].find("</item>").unwrap();
    format!("{}{}{}", &xml[..start], edit(&xml[start..end]), &xml[end..])
}

/// A later modification time (in both of WordPress's dates).
fn modified_later(item: &str) -> String {
    let mut out = String::new();
    for line in item.lines() {
        if line.contains("<wp:post_modified_gmt>") {
            out.push_str("\t\t<wp:post_modified_gmt><![CDATA[2024-06-01 05:00:00]]></wp:post_modified_gmt>\n");
        } else if line.contains("<wp:post_modified>") {
            out.push_str(
                "\t\t<wp:post_modified><![CDATA[2024-06-01 10:00:00]]></wp:post_modified>\n",
            );
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

async fn a_newer_export_updates_what_changed_and_keeps_what_the_newsroom_edited(app: TestApp) {
    let first = stdout(&import(&app, &fixture("gvs-sample.wxr.xml"), &[]).await);
    assert!(!first.contains(" updated,"), "{first}");
    let count = article_count(&app).await;
    // An editor works on one imported story in the newsroom.
    let edited_slug = "tarnak-valley-apricot-harvest-larger-than-expected";
    let edited = app
        .store
        .article_by_slug(&Slug::parse(edited_slug).unwrap())
        .await
        .unwrap()
        .unwrap();
    let editor = app.account("Sana", Role::Editor).await;
    let mut draft = newsroom::draft_of(&edited);
    draft.headline = "Tarnak Valley: a record apricot harvest".to_owned();
    newsroom::save(
        app.store.as_ref(),
        &editor,
        edited.id,
        RevisionNumber(0),
        &draft,
        RevisionKind::Save,
        app.clock_now(),
    )
    .await
    .unwrap();
    // Meanwhile on the old site: one story retitled, one renamed, the edited one changed too.
    let xml = std::fs::read_to_string(fixture("gvs-sample.wxr.xml")).unwrap();
    let xml = with_post_changed(
        &xml,
        "qila-noor-library-extends-its-opening-hours",
        |item| {
            modified_later(&item.replace(
                "<title><![CDATA[Qila Noor library extends its opening hours]]></title>",
                "<title><![CDATA[Qila Noor library opens until midnight]]></title>",
            ))
        },
    );
    let xml = with_post_changed(
        &xml,
        "port-zarina-holds-its-first-monsoon-preparedness-drill",
        |item| {
            modified_later(&item.replace(
            "<wp:post_name><![CDATA[port-zarina-holds-its-first-monsoon-preparedness-drill]]></wp:post_name>",
            "<wp:post_name><![CDATA[port-zarina-monsoon-drill]]></wp:post_name>\n\
             <wp:postmeta><wp:meta_key><![CDATA[_wp_old_slug]]></wp:meta_key>\
             <wp:meta_value><![CDATA[port-zarina-holds-its-first-monsoon-preparedness-drill]]></wp:meta_value></wp:postmeta>",
        ))
        },
    );
    let xml = with_post_changed(&xml, edited_slug, |item| {
        modified_later(&item.replace(
            "than expected]]></title>",
            "than expected, growers say]]></title>",
        ))
    });
    let dir = tempfile::tempdir().unwrap();
    let newer = dir.path().join("newer.xml");
    std::fs::write(&newer, xml).unwrap();
    let out = stdout(&import(&app, &newer, &[]).await);
    assert!(out.contains("article: 0 added, "), "{out}");
    assert!(out.contains(", 2 updated, 1 kept as edited here"), "{out}");
    assert!(
        out.contains("edited in the newsroom since it was imported"),
        "{out}"
    );
    assert_eq!(article_count(&app).await, count, "nothing added twice");
    // The retitled story shows its new headline at its address.
    let (status, _, page) = follow(&app, "/qila-noor-library-extends-its-opening-hours/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        texts(&page, "article h1"),
        ["Qila Noor library opens until midnight"]
    );
    // The renamed one answers at its new address, and the old one leads there.
    let (status, at, page) = follow(
        &app,
        "/port-zarina-holds-its-first-monsoon-preparedness-drill/",
    )
    .await;
    assert_eq!(
        (status, at.as_str()),
        (StatusCode::OK, "/port-zarina-monsoon-drill")
    );
    assert_eq!(texts(&page, "article h1").len(), 1);
    // The story the editor worked on keeps the newsroom's copy.
    let kept = app
        .store
        .article_by_slug(&Slug::parse(edited_slug).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.id, edited.id);
    assert!(!kept.headline.contains("growers say"), "{}", kept.headline);
    // And the same newer file again changes nothing.
    let again = stdout(&import(&app, &newer, &[]).await);
    assert!(again.contains("article: 0 added, "), "{again}");
    assert!(
        again.contains(", 0 updated, 1 kept as edited here"),
        "{again}"
    );
}

/// A JPEG of `width` × `height` at `path`, its folders made.
fn jpeg(path: &Path, width: u32, height: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    })
    .save(path)
    .unwrap();
}

async fn pictures_come_across_from_a_copy_of_the_uploads_folder(app: TestApp) {
    let uploads = tempfile::tempdir().unwrap();
    for file in [
        "2023/07/port-zarina-drill.jpg",
        "2022/09/lake-sorvan-dawn.jpg",
        "2024/04/phone-call-illustration.jpg",
    ] {
        jpeg(&uploads.path().join(file), 1200, 800);
    }
    // 2021/03/sabzabad-market.jpg is missing from the copy; the PDF is not a picture.
    // The site's own data directory: the pictures go where it serves them from.
    let data = app.media_dir.parent().unwrap().to_owned();
    let folder = uploads.path().to_str().unwrap();
    let run = |extra: &'static [&'static str]| {
        let mut args = vec!["--uploads", folder];
        args.extend_from_slice(extra);
        let mut command = command(&app, &fixture("gvs-sample.wxr.xml"), &args, &data);
        async move { command.output().await.unwrap() }
    };
    let dry = stdout(&run(&["--dry-run"]).await);
    assert!(dry.contains("images: 3"), "{dry}");
    let pictures = || {
        std::fs::read_dir(&app.media_dir)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .count()
            })
            .unwrap_or(0)
    };
    assert_eq!(pictures(), 0, "a dry run writes no pictures");
    let out = stdout(&run(&[]).await);
    assert!(out.contains("images: 3"), "{out}");
    assert!(
        out.contains("2021/03/sabzabad-market.jpg): its file is missing"),
        "{out}"
    );
    assert!(out.contains("not a picture"), "{out}");
    assert!(out.contains("image: 3 added"), "{out}");
    assert_eq!(pictures(), 3);
    // The body's picture is ours now, and answers.
    let (status, _, page) = follow(
        &app,
        "/port-zarina-holds-its-first-monsoon-preparedness-drill/",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let sources = crate::harness::attrs(&page, "article img", "src");
    let body_picture = sources
        .iter()
        .find(|s| s.starts_with("/media/"))
        .unwrap_or_else(|| panic!("{sources:?}"));
    let picture = app.get(body_picture).await;
    assert_eq!(picture.status(), StatusCode::OK, "{body_picture}");
    assert_eq!(picture.headers()["content-type"], "image/jpeg");
    // The featured picture, with the alt text it had.
    let (_, _, page) = follow(
        &app,
        "/dawn-over-lake-sorvan-photographers-gather-for-annual-contest/",
    )
    .await;
    let featured = crate::harness::attrs(&page, "figure.featured img", "src");
    assert_eq!(featured.len(), 1, "a featured picture");
    assert!(featured[0].starts_with("/media/"), "{featured:?}");
    // Old file addresses (the original and a size variant), the attachment page and its
    // number lead to the new homes.
    for old in [
        "/wp-content/uploads/2023/07/port-zarina-drill.jpg",
        "/wp-content/uploads/2023/07/port-zarina-drill-1024x683.jpg",
        "/wp-content/uploads/2023/07/port-zarina-drill-150x150.jpg?ver=2",
    ] {
        let response = app.get(old).await;
        assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY, "{old}");
        let to = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.starts_with("/media/"), "{old} → {to}");
        assert_eq!(app.get(&to).await.status(), StatusCode::OK, "{old} → {to}");
    }
    for old in [
        "/port-zarina-holds-its-first-monsoon-preparedness-drill/port-zarina-drill/",
        "/?attachment_id=5",
    ] {
        let (status, at, _) = follow(&app, old).await;
        assert_eq!(
            (status, at.as_str()),
            (
                StatusCode::OK,
                "/port-zarina-holds-its-first-monsoon-preparedness-drill"
            ),
            "{old}"
        );
    }
    // A second run finds the pictures there: nothing written twice.
    let again = stdout(&run(&[]).await);
    assert!(again.contains("image: 0 added, 3 already there"), "{again}");
}

async fn seo_fields_and_sticky_posts_come_across(app: TestApp) {
    stdout(&import(&app, &fixture("gvs-sample.wxr.xml"), &[]).await);
    // Yoast's title (its variables filled in, the site name left to our own title) and
    // description.
    let (_, _, page) = follow(&app, "/qila-noor-library-extends-its-opening-hours/").await;
    let title = texts(&page, "title").remove(0);
    assert!(
        title.starts_with("Qila Noor library now open until 10pm |"),
        "{title}"
    );
    assert!(!title.contains("%%"), "{title}");
    assert_eq!(
        crate::harness::attrs(&page, "meta[name=description]", "content"),
        [
            "The public library in the fictional town of Qila Noor will stay open until 10pm on weekdays from March."
        ]
    );
    assert_eq!(
        texts(&page, "article h1"),
        ["Qila Noor library extends its opening hours"]
    );
    // The sticky post leads the home page.
    let sticky = expected()["sticky_post_ids"][0].as_u64().unwrap();
    let (_, _, sticky_page) = follow(&app, &format!("/?p={sticky}")).await;
    let headline = texts(&sticky_page, "article h1").remove(0);
    let (_, home) = app.page("/").await;
    assert_eq!(texts(&home, ".teaser-headline")[0], headline);
}
