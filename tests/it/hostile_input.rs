//! Hostile text and files, on both backends: markup in a standfirst or a section name reaches
//! feed readers as text; control characters in names are refused on save and never make a feed
//! unreadable; a NUL byte anywhere is a clear refusal, never an outage; image decoding is bounded
//! in concurrency and in memory.

use std::io::{Cursor, Write};

use dateline_domain::{
    ArticleStore, LabelStore, MediaStore, Role, Slug, StoreError, WorkflowStore,
};
use dateline_services::media;
use reqwest::StatusCode;
use scraper::Html;

use crate::checkers;
use crate::harness::{Desk, TestApp, attrs, on_both_backends, pairs, story, texts};

on_both_backends!(
    markup_in_a_standfirst_or_section_name_reaches_feed_readers_as_text,
    control_character_in_a_name_is_refused_on_save_and_old_bad_names_keep_feeds_well_formed,
    nul_bytes_are_refused_clearly_and_never_answer_5xx,
    parallel_uploads_are_decoded_one_at_a_time,
    sixteen_bit_picture_too_large_to_decode_is_refused_naming_the_limit,
);

const HOSTILE: &str = "\"><img src=x onerror=alert(1)>";

/// The editor's fields for a new article.
fn fields(headline: &str) -> Vec<(&'static str, String)> {
    vec![
        ("headline", headline.to_owned()),
        ("standfirst", format!("Standfirst of {headline}.")),
        (
            "body",
            format!("First paragraph of {headline}.\n\nSecond paragraph.\n"),
        ),
        ("section", "Pakistan".to_owned()),
        ("tags", "Economy".to_owned()),
        ("authors", "Sana Jamal".to_owned()),
        ("source_agencies", "APP".to_owned()),
        ("source_mode", "additional-inputs".to_owned()),
        ("language", "en".to_owned()),
    ]
}

/// `fields` with `changes` put in place of the fields they name.
fn changed(headline: &str, changes: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut all = fields(headline);
    for (k, v) in changes {
        all.retain(|(key, _)| key != k);
        all.push((k, (*v).to_owned()));
    }
    all
}

async fn html(response: reqwest::Response) -> Html {
    Html::parse_document(&response.text().await.unwrap())
}

/// What feedparser reads as the feed's title and description and each entry's title, summary
/// and tags; a title, description or summary as `{"type": "text/plain" or "text/html", "value"}`.
fn feedparser_text(document: &[u8]) -> serde_json::Value {
    const SCRIPT: &str = r#"
import json, sys, feedparser
d = feedparser.parse(sys.stdin.buffer.read())
print(json.dumps({
    "bozo": bool(d.bozo),
    "error": str(d.get("bozo_exception", "")),
    "title": d.feed.get("title_detail"),
    "subtitle": d.feed.get("subtitle_detail"),
    "entries": [{
        "title": e.get("title"),
        "summary": e.get("summary_detail"),
        "tags": [t.get("term") for t in e.get("tags", [])],
        "authors": [a.get("name") for a in e.get("authors", [])],
    } for e in d.entries],
}))
"#;
    let (ok, out, err) = checkers::run_with_input("python3", &["-c", SCRIPT], document);
    assert!(ok, "feedparser failed: {err}");
    serde_json::from_str(&out).expect("feedparser's report")
}

fn has_xmllint(test: &str) -> bool {
    let runs = std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    checkers::available(
        runs,
        "xmllint (libxml2-utils) not installed: apt-get install libxml2-utils",
        test,
    )
}

async fn body(app: &TestApp, path: &str) -> Vec<u8> {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.bytes().await.unwrap().to_vec()
}

async fn markup_in_a_standfirst_or_section_name_reaches_feed_readers_as_text(app: TestApp) {
    let mut input = story(
        "Hostile standfirst in the feeds",
        &format!("{HOSTILE} World"),
        app.clock_now(),
    );
    input.standfirst = HOSTILE.to_owned();
    let article = app.create(input).await;
    let section = format!("/section/{}", article.section.slug);

    // The raw RSS carries the text escaped as HTML inside XML: `&amp;lt;img`, never `<img`.
    let rss = String::from_utf8(body(&app, "/feed.xml").await).unwrap();
    assert!(!rss.contains("<img"), "{rss}");
    assert!(rss.contains("&amp;lt;img src=x onerror=alert(1)&amp;gt;"));
    let section_rss = String::from_utf8(body(&app, &format!("{section}/feed.xml")).await).unwrap();
    assert!(!section_rss.contains("<img"), "{section_rss}");
    // JSON Feed's title and summary are plain text: the characters, as typed.
    let json: serde_json::Value =
        serde_json::from_slice(&body(&app, &format!("{section}/feed.json")).await).unwrap();
    assert_eq!(json["items"][0]["summary"], HOSTILE);
    assert!(json["description"].as_str().unwrap().contains(HOSTILE));

    if !checkers::has_feedparser(
        "markup_in_a_standfirst_or_section_name_reaches_feed_readers_as_text",
    ) {
        return;
    }
    for path in [
        "/feed.xml".to_owned(),
        "/feed.atom".to_owned(),
        format!("{section}/feed.xml"),
        format!("{section}/feed.atom"),
    ] {
        let parsed = feedparser_text(&body(&app, &path).await);
        assert_eq!(parsed["bozo"], false, "{path}: {}", parsed["error"]);
        let entry = parsed["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["title"] == "Hostile standfirst in the feeds")
            .unwrap_or_else(|| panic!("{path}: the article is in the feed: {parsed}"));
        assert_shows_as_text(&path, "summary", &entry["summary"]);
        assert_shows_as_text(&path, "title", &parsed["title"]);
        assert_shows_as_text(&path, "description", &parsed["subtitle"]);
    }
}

/// A feedparser text construct that holds [`HOSTILE`] (or nothing of it) as text: plain text
/// with the characters as typed, or HTML in which they are escaped; never an `<img>` element.
fn assert_shows_as_text(path: &str, field: &str, detail: &serde_json::Value) {
    let value = detail["value"].as_str().unwrap_or_default();
    match detail["type"].as_str() {
        Some("text/html") => {
            assert!(
                !value.contains("<img"),
                "{path}: {field} has an <img> element: {value}"
            );
            if value.contains("img") {
                assert!(value.contains("&lt;img src=x"), "{path}: {field}: {value}");
            }
        }
        Some("text/plain") => {
            if value.contains("img") {
                assert!(value.contains(HOSTILE), "{path}: {field}: {value}");
            }
        }
        other => panic!("{path}: {field} of type {other:?}"),
    }
}

async fn control_character_in_a_name_is_refused_on_save_and_old_bad_names_keep_feeds_well_formed(
    app: TestApp,
) {
    let writer = app.account("Sana Jamal", Role::Author).await;
    let desk = app.sign_in(&writer).await;
    let before = app.store.count_articles().await.unwrap();
    for (field, value) in [
        ("section", "Wor\u{1}ld"),
        ("tags", "Economy, Bud\u{7}get"),
        ("authors", "Sana\u{85} Jamal"),
        ("source_agencies", "AP\u{1B}P"),
    ] {
        let form = changed("Control characters in names", &[(field, value)]);
        let response = desk.post("/admin/articles", &pairs(&form)).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} {value:?}"
        );
        let page = html(response).await;
        let alert = texts(&page, "[role=alert]").join(" ");
        assert!(alert.contains("control characters"), "{field}: {alert}");
        assert!(
            texts(&page, "textarea[name=body]")[0].contains("First paragraph"),
            "{field}: the typed text is kept"
        );
        assert_eq!(
            attrs(&page, "input[name=headline]", "value"),
            ["Control characters in names"]
        );
    }
    assert_eq!(app.store.count_articles().await.unwrap(), before);

    // Names written before they were checked: straight into the database.
    let slug = |s: &str| Slug::parse(s).unwrap();
    app.store
        .ensure_section(&slug("wor-ld"), "Wor\u{1}ld\u{FFFF}")
        .await
        .unwrap();
    app.store
        .ensure_tag(&slug("bud-get"), "Bud\u{7}get")
        .await
        .unwrap();
    app.store
        .ensure_author(&slug("sana-x"), "Sana\u{8}X")
        .await
        .unwrap();
    let mut input = story("Old bad names in the feeds", "Wor ld", app.clock_now());
    input.tags = vec!["Bud get".to_owned()];
    input.authors = vec!["Sana X".to_owned()];
    app.create(input).await;

    let test =
        "control_character_in_a_name_is_refused_on_save_and_old_bad_names_keep_feeds_well_formed";
    let xmllint = has_xmllint(test);
    let feedparser = checkers::has_feedparser(test);
    for path in [
        "/feed.atom",
        "/feed.xml",
        "/section/wor-ld/feed.atom",
        "/section/wor-ld/feed.xml",
        "/tag/bud-get/feed.atom",
        "/author/sana-x/feed.atom",
        "/sitemaps/sections.xml",
    ] {
        let document = body(&app, path).await;
        let text = String::from_utf8(document.clone()).unwrap();
        assert!(
            !text.contains(['\u{1}', '\u{7}', '\u{8}', '\u{FFFF}']),
            "{path}: {text}"
        );
        if xmllint {
            let (ok, _, err) = checkers::run_with_input("xmllint", &["--noout", "-"], &document);
            assert!(ok, "{path} is not well-formed XML: {err}");
        }
        if feedparser && path.contains("feed") {
            let parsed = feedparser_text(&document);
            assert_eq!(parsed["bozo"], false, "{path}: {}", parsed["error"]);
            let entries = parsed["entries"].as_array().unwrap();
            let entry = entries
                .iter()
                .find(|e| e["title"] == "Old bad names in the feeds")
                .unwrap_or_else(|| panic!("{path}: {parsed}"));
            assert!(
                entry["tags"].as_array().unwrap().contains(&"Budget".into()),
                "{path}: {entry}"
            );
        }
    }
}

async fn nul_bytes_are_refused_clearly_and_never_answer_5xx(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Author).await;
    let desk = app.sign_in(&writer).await;
    let response = desk
        .post("/admin/articles", &pairs(&fields("Budget talks resume")))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = location
        .trim_start_matches("/admin/articles/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (_, page) = desk.page(&format!("/admin/articles/{id}")).await;
    let base = attrs(&page, "#editor input[name=base]", "value").remove(0);

    // Save: 422, the problem named, the typed text kept, nothing saved.
    for (field, value) in [
        ("body", "First paragraph with a NUL\u{0} in it.\n"),
        ("standfirst", "A standfirst\u{0}"),
        ("headline", "Budget\u{0} talks"),
        ("section", "Paki\u{0}stan"),
    ] {
        let mut form = changed("Budget talks resume", &[(field, value)]);
        form.push(("base", base.clone()));
        let response = desk
            .post(&format!("/admin/articles/{id}"), &pairs(&form))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "save with a NUL in the {field}"
        );
        let page = html(response).await;
        let alert = texts(&page, "[role=alert]").join(" ");
        assert!(alert.contains(field), "{field}: {alert}");
        assert!(
            texts(&page, "textarea[name=body]")[0].contains("First paragraph"),
            "{field}: the typed text is kept"
        );
    }
    let workflow = app
        .store
        .workflow(dateline_domain::ArticleId(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(workflow.revision.to_string(), base, "nothing was saved");

    // A new article with a NUL: the same.
    let form = changed("Nul in a new article", &[("body", "Text\u{0}\n")]);
    let response = desk.post("/admin/articles", &pairs(&form)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Autosave: refused as the sender's mistake (422, like any autosave the limits refuse), on
    // both databases alike.
    let mut form = changed("Budget talks resume", &[("body", "Typing\u{0}\n")]);
    form.push(("base", base.clone()));
    let response = desk
        .post(&format!("/admin/articles/{id}/autosave"), &pairs(&form))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "autosave"
    );

    // Searches and filters: the NUL is dropped, the page answers.
    for path in [
        "/admin?q=%00",
        "/admin?q=bud%00get",
        "/admin/read-more?q=%00",
        "/admin/read-more?q=Bud%00",
    ] {
        let response = desk.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    for path in [
        "/search?q=%00",
        "/search?q=karachi%00&section=pak%00istan",
        "/api/search?q=%00karachi",
    ] {
        let status = app.get(path).await.status();
        assert!(!status.is_server_error(), "{path}: {status}");
    }

    // Sign-in with a NUL in the e-mail: a wrong sign-in like any other.
    let wrong = app
        .try_sign_in("nobody@example.com", "not the password")
        .await
        .err()
        .expect("refused");
    let nul = app
        .try_sign_in("sana\u{0}@example.com", "not the password")
        .await
        .err()
        .expect("refused");
    assert_eq!(nul.0, StatusCode::UNAUTHORIZED, "{}", nul.1);
    assert_eq!(nul, wrong);

    // And a path the forms do not guard: the store calls it invalid input, not an outage.
    match app.store.find_by_headline("Bud\u{0}get", 5, None).await {
        Ok(_) | Err(StoreError::InvalidInput(_)) => {}
        Err(e) => panic!("a NUL is the caller's mistake, not {e:?}"),
    }
}

/// Posts the image upload form (multipart) with alt text, caption and credit.
async fn upload(desk: &Desk<'_>, file: &[u8]) -> reqwest::Response {
    let words = [
        ("alt", "A flat grey field"),
        ("caption", "Grey"),
        ("credit", "Dateline"),
    ];
    crate::newsroom_media::upload(desk, file, "flat.png", &words, None).await
}

async fn parallel_uploads_are_decoded_one_at_a_time(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Author).await;
    let desk = app.sign_in(&writer).await;
    let mut png = Vec::new();
    // Small enough to keep the test quick; the turns do not depend on the size.
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
        1_000,
        1_000,
        image::Rgb([120, 120, 120]),
    ))
    .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
    .unwrap();
    let one = || async {
        let response = upload(&desk, &png).await;
        let status = response.status();
        (status, response.text().await.unwrap())
    };
    let (a, b, c, d, e, f) = tokio::join!(one(), one(), one(), one(), one(), one());
    let answers = [a, b, c, d, e, f];
    let mut uploaded = 0;
    for (status, page) in &answers {
        match *status {
            StatusCode::OK => uploaded += 1,
            // Turned away after the bounded wait, with the newsroom's own page.
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(page.contains("waited"), "{page}");
            }
            other => panic!("upload answered {other}: {page}"),
        }
    }
    assert!(uploaded >= 1, "{answers:?}");
    let peak = media::peak_concurrent_decodes();
    assert!(
        (1..=media::DECODE_PERMITS).contains(&peak),
        "{peak} uploads were decoded at once; the limit is {}",
        media::DECODE_PERMITS
    );
    assert_eq!(media::DECODE_PERMITS, 1);
}

/// A `side` × `side` black PNG at 16 bits a channel (RGB), written row by row so that the test
/// never holds the decoded picture: a few hundred kilobytes however large the picture.
fn flat_sixteen_bit_png(side: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&side.to_be_bytes());
    header.extend_from_slice(&side.to_be_bytes());
    // 16 bits, truecolour (RGB), deflate, adaptive filtering, not interlaced.
    header.extend_from_slice(&[16, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    let row = vec![0u8; 1 + side as usize * 6];
    let mut data = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    for _ in 0..side {
        data.write_all(&row).unwrap();
    }
    chunk(&mut out, b"IDAT", &data.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

async fn sixteen_bit_picture_too_large_to_decode_is_refused_naming_the_limit(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Author).await;
    let desk = app.sign_in(&writer).await;
    let png = flat_sixteen_bit_png(6_000);
    assert!(png.len() < 1024 * 1024, "{} bytes", png.len());
    let header = image::ImageReader::new(Cursor::new(&png))
        .with_guessed_format()
        .unwrap();
    assert_eq!(header.into_dimensions().unwrap(), (6_000, 6_000));
    let response = upload(&desk, &png).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(response).await;
    let alert = texts(&page, "[role=alert]").join(" ");
    assert!(alert.contains("16 bits a channel"), "{alert}");
    assert!(alert.contains("the limit is 160 MB"), "{alert}");
    assert_eq!(
        attrs(&page, "input[name=alt]", "value"),
        ["A flat grey field"]
    );
    assert!(app.store.images(0, 10).await.unwrap().is_empty());
}
