//! The IPTC examples and test suites: every news item reads, with the fields it carries.

use chrono::{DateTime, Utc};
use dateline_domain::wire::{ItemStatus, VersionSignal, WireFormat};
use serde_json::Value;

use crate::{read_file, standards, visible_text};

fn utc(s: &str) -> Option<DateTime<Utc>> {
    Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

fn ninjs_files() -> Vec<String> {
    let mut files = Vec::new();
    let root = standards("ninjs");
    let mut dirs = vec![root.join("examples")];
    for version in std::fs::read_dir(root.join("test_suite")).unwrap() {
        dirs.push(version.unwrap().path().join("should_pass"));
    }
    for dir in dirs {
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            let relative = path.strip_prefix(standards("")).unwrap();
            files.push(relative.to_string_lossy().into_owned());
        }
    }
    files.sort();
    assert!(
        files.len() > 50,
        "the ninjs fixtures are missing: {files:?}"
    );
    files
}

/// The main headline as the schema defines it, found independently of the reader.
fn expected_headline(doc: &Value) -> Option<String> {
    if let Some(h) = doc.get("headline").and_then(Value::as_str) {
        return Some(h.to_owned());
    }
    if let Some(h) = doc.get("headline_main").and_then(Value::as_str) {
        return Some(h.to_owned());
    }
    let headlines = doc.get("headlines")?.as_array()?;
    headlines
        .iter()
        .find(|h| h.get("role").and_then(Value::as_str) == Some("main"))
        .or_else(|| headlines.first())
        .and_then(|h| h.get("value")?.as_str())
        .map(str::to_owned)
}

#[test]
fn every_ninjs_example_that_is_a_news_item_reads() {
    let mut items = 0;
    for file in ninjs_files() {
        let doc: Value = serde_json::from_slice(&std::fs::read(standards(&file)).unwrap()).unwrap();
        let uri = doc["uri"].as_str().unwrap();
        let read = read_file(&file);
        assert_eq!(read.format, WireFormat::Ninjs, "{file}");
        let kind = doc.get("type").and_then(Value::as_str).unwrap_or("text");
        let has_body = doc.get("bodies").is_some() || doc.get("body_text").is_some();
        match expected_headline(&doc) {
            Some(headline) if !matches!(kind, "event" | "planning") => {
                assert_eq!(read.versions.len(), 1, "{file}: {:?}", read.skipped);
                let v = &read.versions[0];
                assert_eq!(v.item_id, uri, "{file}");
                assert_eq!(v.headline, headline.trim(), "{file}");
                let status = doc
                    .get("pubStatus")
                    .or_else(|| doc.get("pubstatus"))
                    .and_then(Value::as_str)
                    .map_or(ItemStatus::Usable, |s| ItemStatus::parse(s).unwrap());
                assert_eq!(v.status, status, "{file}");
                items += 1;
            }
            _ if !has_body => {
                assert!(read.versions.is_empty(), "{file}");
                assert_eq!(read.skipped.len(), 1, "{file}");
                assert_eq!(read.skipped[0].id.as_deref(), Some(uri), "{file}");
                let reason = &read.skipped[0].reason;
                assert!(
                    reason == "no headline and no body" || reason.starts_with("a ninjs "),
                    "{file}: {reason}"
                );
            }
            _ => panic!("{file}: a body without a headline; check it by hand"),
        }
    }
    assert!(items >= 20, "only {items} news items read");
}

#[test]
fn ninjs_1_6_article_in_detail() {
    let read = read_file("ninjs/examples/1.6_005_complex_text_article.json");
    let v = &read.versions[0];
    assert_eq!(
        v.item_id,
        "http://ninjs.example.com/newsitems/20130709med123"
    );
    assert_eq!(v.version, None);
    assert_eq!(v.version_created, utc("2013-07-09T10:37:00Z"));
    assert_eq!(v.language.as_deref(), Some("en"));
    assert_eq!(
        v.byline.as_deref(),
        Some("Paulo Santalucia and Frances d'Emilio")
    );
    // The explicit `located` is kept; the agency dateline still leaves the body.
    assert_eq!(v.dateline.as_deref(), Some("Grossetto, Italy"));
    assert!(
        v.body_html.starts_with("<p>The trial of the captain"),
        "{}",
        v.body_html
    );
    assert_eq!(v.body_html.matches("<p>").count(), 4);
    assert!(visible_text(&v.body_html).ends_with("Schettino has denied wrongdoing."));
    assert_eq!(v.link.as_deref(), Some(v.item_id.as_str()));
    assert_eq!(v.status, ItemStatus::Usable);
    assert_eq!(v.signal, VersionSignal::New);
}

#[test]
fn ninjs_2_x_article_in_detail() {
    let read = read_file("ninjs/examples/2.1_ntb_text.json");
    let v = &read.versions[0];
    assert_eq!(v.item_id, "urn:8d19cf88-b3ab-4972-8fec-1207599f2872");
    assert_eq!(v.version.as_deref(), Some("6"));
    assert_eq!(v.version_created, utc("2019-08-09T09:46:53Z"));
    assert_eq!(v.first_created, utc("2019-08-09T09:30:04Z"));
    assert_eq!(v.language.as_deref(), Some("nb-NO"));
    assert_eq!(v.headline, "Google har kjøpt giganttomt i Skien");
    assert!(
        v.standfirst
            .starts_with("IT-giganten Google har kjøpt en tomt")
    );
    assert!(
        v.standfirst.ends_with("datasentre i Europa."),
        "{}",
        v.standfirst
    );
    assert_eq!(v.byline.as_deref(), Some("NTB"));
    assert_eq!(v.urgency, Some(5));
    assert_eq!(
        v.keywords,
        ["Innenriks", "Teknologi", "Industri", "Olje og energi"]
    );
    assert_eq!(v.link, None, "a urn is not a link");

    let read = read_file("ninjs/examples/2.2_005_complex_text_article.json");
    let v = &read.versions[0];
    // The XHTML body is preferred to the text one.
    assert_eq!(v.body_html.matches("<p>").count(), 4);
    assert!(v.body_html.starts_with("<p>The trial of the captain"));
}

#[test]
fn ninjs_3_x_article_in_detail() {
    let read = read_file("ninjs/examples/3.0_dpa_text.json");
    let v = &read.versions[0];
    assert_eq!(v.item_id, "urn:newsml:dpa.com:20090101:190510-99-167362");
    assert_eq!(v.version.as_deref(), Some("2"));
    // 16:02:28+02:00 in UTC.
    assert_eq!(v.version_created, utc("2019-05-10T14:02:28Z"));
    assert_eq!(v.language.as_deref(), Some("de"));
    assert_eq!(v.urgency, Some(4));
    assert_eq!(v.byline.as_deref(), Some("Von Christian Hollmann, dpa"));
    assert_eq!(
        v.headline,
        "Faktencheck Derby-Elfmeter: Hat Schiedsrichter Zwayer recht?"
    );
    assert!(
        v.body_html
            .contains("<p>Für Lucien Favre war es «der größte Skandal")
    );
    assert!(
        !v.body_html.contains("class="),
        "the sanitiser drops classes"
    );

    let read = read_file("ninjs/examples/3.1_004_simple_text_article.json");
    let v = &read.versions[0];
    assert_eq!(v.dateline.as_deref(), Some("GROSSETO, Italy (AP)"));
    assert!(v.body_html.starts_with("<p>The trial"));

    let read = read_file("ninjs/examples/3.0_tt_text_image.json");
    let v = &read.versions[0];
    assert_eq!(v.expires, utc("2023-05-30T22:00:00Z"));
    assert!(!v.body_html.contains("<title>"));
    assert!(v.body_html.contains("Pandemin satte stopp"));
}

#[test]
fn a_ninjs_picture_is_an_item_with_its_caption() {
    let read = read_file("ninjs/examples/3.0_ap_image.json");
    let v = &read.versions[0];
    assert_eq!(v.headline, "Turkey Islamic State");
    assert!(
        v.standfirst
            .starts_with("FILE - In this Monday, Nov. 11, 2019 file photo")
    );
    assert_eq!(v.body_html, "");
    assert_eq!(v.first_created, utc("2019-11-15T13:39:59Z"));
    assert!(v.link.as_deref().unwrap().starts_with("http://api.ap.org/"));
}

#[test]
fn newsml_g2_news_items_read() {
    let read = read_file("newsml-g2/examples/LISTING_1_A_NewsML-G2_News_Item.xml");
    assert_eq!(read.format, WireFormat::NewsmlG2);
    let v = &read.versions[0];
    assert_eq!(v.item_id, "urn:newsml:acmenews.com:20161018:US-FINANCE-FED");
    assert_eq!(v.version.as_deref(), Some("11"));
    assert_eq!(v.version_created, utc("2018-10-21T21:25:32Z"));
    assert_eq!(v.first_created, utc("2016-10-18T18:12:21Z"));
    assert_eq!(v.embargoed_until, utc("2018-10-23T12:00:00Z"));
    assert_eq!(v.status, ItemStatus::Usable);
    assert_eq!(v.signal, VersionSignal::Update);
    assert_eq!(v.headline, "Fed to halt QE to avert \"bubble\"");
    assert_eq!(v.language.as_deref(), Some("en-GB"));
    assert_eq!(v.dateline.as_deref(), Some("Berlin"));
    assert_eq!(v.byline.as_deref(), Some("Meredith Jameson"));
    assert_eq!(
        v.keywords,
        ["economy, business and finance", "labour market"]
    );

    let read = read_file("newsml-g2/examples/LISTING_2_NewsML-G2_Text_Document.xml");
    let v = &read.versions[0];
    assert_eq!(v.item_id, "urn:newsml:acmenews.com:20161121:US-FINANCE-FED");
    assert_eq!(v.language.as_deref(), Some("en-US"));
    assert_eq!(v.body_html.matches("<p>").count(), 2, "{}", v.body_html);
    assert!(visible_text(&v.body_html).starts_with("(New York, NY - October 21) Et, sent"));
    assert_eq!(
        v.byline.as_deref(),
        Some("By Meredith Jameson, Staff Reporter")
    );
    assert_eq!(v.dateline.as_deref(), Some("New York, NY"));

    let read = read_file("newsml-g2/examples/LISTING_3_Photo_in_NewsML-G2.xml");
    let v = &read.versions[0];
    assert_eq!(v.item_id, "tag:gettyimages.com,2010:GYI0062134533");
    assert_eq!(
        v.headline,
        "Variety Of Recessionary Forces Leave Las Vegas Economy Scarred"
    );
    assert!(
        v.standfirst
            .starts_with("A general view of part of downtown")
    );
    assert!(
        v.standfirst
            .ends_with("(Photo by Spencer Platt/Getty Images)")
    );
    assert_eq!(v.byline.as_deref(), Some("Spencer Platt"));
    assert!(
        v.keywords
            .starts_with(&["business".to_owned(), "economic".to_owned()])
    );
    assert_eq!(v.body_html, "");
}

#[test]
fn newsml_g2_items_without_headline_or_body_are_skipped_not_refused() {
    for (file, id) in [
        (
            "newsml-g2/examples/ap_metadata_example.xml",
            "tag:example.com,2008:407624",
        ),
        (
            "newsml-g2/examples/LISTING_29_Hop_History.xml",
            "urn:newsml:acmenews.com:20161019T1205:HOP-HISTORY-EXAMPLE",
        ),
    ] {
        let read = read_file(file);
        assert!(read.versions.is_empty(), "{file}");
        assert_eq!(read.skipped[0].id.as_deref(), Some(id));
        assert_eq!(read.skipped[0].reason, "no headline and no body");
    }
}

#[test]
fn a_newsml_g2_package_is_skipped_with_a_reason() {
    let read = read_file("newsml-g2/examples/LISTING_6_Simple_NewsML-G2_Package.xml");
    assert!(read.versions.is_empty());
    assert_eq!(read.skipped.len(), 1);
    assert_eq!(
        read.skipped[0].reason,
        "a NewsML-G2 packageItem, not a news item"
    );
    assert_eq!(
        read.skipped[0].id.as_deref(),
        Some("tag:example.com,2008:UK-NEWS-TOPTEN:UK20081220098658")
    );
}
