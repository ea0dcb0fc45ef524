//! Image uploads on both backends: renditions, cache headers, featured images on the public
//! pages, and every kind of bad upload refused with nothing stored.

use std::io::Cursor;

use dateline_domain::{ArticleStore, MediaStore, Role};
use reqwest::StatusCode;
use scraper::Html;

use crate::harness::{Desk, TestApp, attrs, on_both_backends, texts};

on_both_backends!(
    upload_makes_renditions_served_with_long_cache_headers,
    featured_image_shows_on_the_article_and_in_lists,
    bad_uploads_are_refused_clearly_and_store_nothing,
);

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .unwrap();
    out
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::new_luma8(width, height)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// Posts `file` to the media form as a browser would (multipart), with the session's CSRF token
/// (or `csrf`) and `fields`.
pub(crate) async fn upload(
    desk: &Desk<'_>,
    file: &[u8],
    filename: &str,
    fields: &[(&str, &str)],
    csrf: Option<&str>,
) -> reqwest::Response {
    upload_to(desk, "/admin/media", file, filename, fields, csrf).await
}

/// Posts `file` to the upload form at `path`, as [`upload`] does.
pub(crate) async fn upload_to(
    desk: &Desk<'_>,
    path: &str,
    file: &[u8],
    filename: &str,
    fields: &[(&str, &str)],
    csrf: Option<&str>,
) -> reqwest::Response {
    let boundary = "----datelineTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    let csrf = csrf.unwrap_or(&desk.csrf).to_owned();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    for (name, value) in all {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    desk.app
        .client
        .post(desk.app.url(path))
        .header("cookie", format!("dateline_session={}", desk.session))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A file, the form's words, the answer expected and what its message must say.
type BadUpload = (
    Vec<u8>,
    Vec<(&'static str, &'static str)>,
    StatusCode,
    &'static str,
);

const WORDS: [(&str, &str); 3] = [
    ("alt", "Flooded street in Karachi"),
    ("caption", "Saddar after the first rain"),
    ("credit", "APP"),
];

fn files_under(dir: &std::path::Path) -> usize {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| {
                if e.path().is_dir() {
                    files_under(&e.path())
                } else {
                    1
                }
            })
            .sum(),
        Err(_) => 0,
    }
}

async fn upload_makes_renditions_served_with_long_cache_headers(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Contributor).await;
    let desk = app.sign_in(&writer).await;
    let response = upload(&desk, &jpeg(1500, 1000), "rain.jpg", &WORDS, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        texts(&page, "[role=status]"),
        ["Uploaded image 1 (1500 × 1000 pixels, 5 sizes)."]
    );
    let images = app.store.images(0, 10).await.unwrap();
    assert_eq!(images[0].renditions, [320, 640, 960, 1280, 1500]);
    assert_eq!(images[0].alt, "Flooded street in Karachi");
    assert_eq!(files_under(&app.media_dir), 5);
    let src = attrs(&page, ".library img", "src").remove(0);
    assert!(src.ends_with("/320.jpg"), "{src}");
    let file = app.get(&src).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "image/jpeg");
    assert_eq!(
        file.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let bytes = file.bytes().await.unwrap();
    let small = image::load_from_memory(&bytes).unwrap();
    assert_eq!((small.width(), small.height()), (320, 213));
    for bad in [
        "/media/zz/320.jpg",
        &src.replace("320.jpg", "321.jpg"),
        &src.replace(".jpg", ".html"),
    ] {
        assert_eq!(app.get(bad).await.status(), StatusCode::NOT_FOUND, "{bad}");
    }
}

async fn featured_image_shows_on_the_article_and_in_lists(app: TestApp) {
    let editor = app.account("Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    upload(&desk, &jpeg(1200, 800), "rain.jpg", &WORDS, None).await;
    let image = app.store.images(0, 1).await.unwrap().remove(0);
    let article = app
        .store
        .article_by_slug(
            &dateline_domain::Slug::parse(
                "imran-khan-extends-invitation-to-putin-discuss-ties-on-call",
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    // A contributor may not change someone else's article, which answers as a missing one would.
    let writer = app.account("Sana Jamal", Role::Contributor).await;
    let sana = app.sign_in(&writer).await;
    let id = image.id.to_string();
    let response = sana
        .post(
            &format!("/admin/articles/{}/featured", article.id),
            &[("image", &id)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = desk
        .post(
            &format!("/admin/articles/{}/featured", article.id),
            &[("image", "9999")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        app.store
            .featured_images(&[article.id])
            .await
            .unwrap()
            .is_empty()
    );
    let response = desk
        .post(
            &format!("/admin/articles/{}/featured", article.id),
            &[("image", &id)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.page(&format!("/{}", article.slug)).await;
    assert_eq!(
        attrs(&page, ".featured img", "alt"),
        ["Flooded street in Karachi"]
    );
    let srcset = attrs(&page, ".featured img", "srcset").remove(0);
    assert_eq!(srcset.matches("w,").count() + 1, 4, "{srcset}");
    assert!(
        srcset.contains("/320.jpg 320w") && srcset.ends_with("/1200.jpg 1200w"),
        "{srcset}"
    );
    assert_eq!(
        texts(&page, ".featured figcaption"),
        ["Saddar after the first rain APP"]
    );
    // Shared on social media and read by search engines with the same picture, at its largest.
    let base = app.state.site().base_url.clone();
    let content =
        |attr: &str, key: &str| attrs(&page, &format!("meta[{attr}=\"{key}\"]"), "content");
    let og_image = content("property", "og:image").remove(0);
    assert!(
        og_image.starts_with(&format!("{base}/media/")) && og_image.ends_with("/1200.jpg"),
        "{og_image}"
    );
    assert_eq!(content("property", "og:image:width"), ["1200"]);
    assert_eq!(content("property", "og:image:height"), ["800"]);
    assert_eq!(
        content("property", "og:image:alt"),
        ["Flooded street in Karachi"]
    );
    assert_eq!(
        content("name", "twitter:image"),
        std::slice::from_ref(&og_image)
    );
    let ld = scraper::Selector::parse("script[type=\"application/ld+json\"]").unwrap();
    let news: serde_json::Value = page
        .select(&ld)
        .map(|s| serde_json::from_str::<serde_json::Value>(&s.text().collect::<String>()).unwrap())
        .find(|v| v["@type"] == "NewsArticle")
        .expect("NewsArticle JSON-LD");
    let image = &news["image"][0];
    assert_eq!(image["url"], og_image.as_str());
    assert_eq!(
        (image["width"].as_u64(), image["height"].as_u64()),
        (Some(1200), Some(800))
    );
    assert_eq!(image["caption"], "Saddar after the first rain");
    assert_eq!(image["creditText"], "APP");
    let path = og_image.strip_prefix(&base).unwrap();
    let served = app.get(path).await;
    assert_eq!(served.status(), StatusCode::OK, "{path}");
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    let (_, home) = app.page("/").await;
    assert_eq!(attrs(&home, ".teaser-image img", "srcset").len(), 1);
    let (_, section) = app
        .page(&format!("/section/{}", article.section.slug))
        .await;
    assert_eq!(attrs(&section, ".teaser-image img", "src").len(), 1);
}

async fn bad_uploads_are_refused_clearly_and_store_nothing(app: TestApp) {
    let writer = app.account("Sana Jamal", Role::Contributor).await;
    let desk = app.sign_in(&writer).await;
    let html_as_png = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>";
    let mut oversize = png(10, 10);
    oversize.resize(11 * 1024 * 1024, 0);
    let cases: Vec<BadUpload> = vec![
        (
            html_as_png.to_vec(),
            WORDS.to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "image: is not a JPEG, PNG or WebP image",
        ),
        (
            oversize,
            WORDS.to_vec(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "The image is larger than 10 MB",
        ),
        (
            png(12_001, 2),
            WORDS.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "is too large: at most 12000 pixels a side",
        ),
        (
            png(7000, 7000),
            WORDS.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "is 7000 × 7000 pixels",
        ),
        (
            jpeg(100, 100),
            vec![("alt", " "), ("caption", "c"), ("credit", "c")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "alt text: is required",
        ),
        (
            jpeg(100, 100),
            vec![("alt", "a"), ("caption", "c")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "credit: is required",
        ),
        (
            b"\x89PNG\r\n\x1a\nbroken".to_vec(),
            WORDS.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "image: cannot be read",
        ),
    ];
    for (file, fields, status, want) in cases {
        let response = upload(&desk, &file, "photo.png", &fields, None).await;
        assert_eq!(response.status(), status, "{want}");
        let page = Html::parse_document(&response.text().await.unwrap());
        let alert = texts(&page, "[role=alert]").join(" ");
        assert!(alert.contains(want), "{alert} should say {want}");
        assert!(
            alert.contains("Nothing was") || alert.contains("Nothing was stored"),
            "{alert}"
        );
    }
    let response = upload(&desk, &jpeg(100, 100), "ok.jpg", &WORDS, Some("forged")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(app.store.images(0, 10).await.unwrap().is_empty());
    assert_eq!(files_under(&app.media_dir), 0);
    // What was typed is kept in the form after a refusal.
    let response = upload(&desk, html_as_png, "photo.png", &WORDS, None).await;
    let page = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        attrs(&page, "input[name=alt]", "value"),
        ["Flooded street in Karachi"]
    );
}
