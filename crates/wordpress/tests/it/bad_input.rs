//! Bad input of every kind is a `WxrError` with a message a person understands: never a panic,
//! never an entity expanded, never anything fetched.

use std::time::{Duration, Instant};

use dateline_wordpress::{Limits, ReadOptions, Record, WxrError, read, read_with};

use crate::{final_error, fixture_bytes, item_xml, read_bytes, wxr};

fn message(bytes: &[u8]) -> String {
    final_error(bytes).to_string()
}

#[test]
fn an_rss_feed_without_the_wordpress_namespace_is_not_wxr() {
    let feed = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
        <item><title>One</title><link>https://example.com/1</link></item></channel></rss>"#;
    assert_eq!(
        message(feed.as_bytes()),
        "not a WordPress export: an RSS feed without WordPress's export namespace"
    );
}

#[test]
fn an_rss_file_without_a_wxr_version_is_not_wxr() {
    let no_version = r#"<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>x</title>
        <item><wp:post_id>1</wp:post_id></item></channel></rss>"#;
    assert_eq!(
        message(no_version.as_bytes()),
        "not a WordPress export: the channel has no <wp:wxr_version>"
    );
}

#[test]
fn html_pages_and_other_documents_are_not_wxr() {
    for (page, reason) in [
        (
            "<!DOCTYPE html><html><head><title>Log in</title></head><body><p>Log in</body></html>",
            "an HTML page",
        ),
        (
            "<html lang=\"en\"><body>Error</body></html>",
            "an HTML page",
        ),
        (
            "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"></feed>",
            "an Atom feed",
        ),
        (
            "<?xml version=\"1.0\"?><invoice><total>3</total></invoice>",
            "the root element is <invoice>, not <rss>",
        ),
        ("", "the file is empty"),
        ("  \n ", "the file is empty"),
    ] {
        assert_eq!(
            message(page.as_bytes()),
            format!("not a WordPress export: {reason}"),
            "{page}"
        );
    }
}

#[test]
fn a_truncated_export_says_so_wherever_it_was_cut() {
    let bytes = fixture_bytes();
    for percent in [25, 50, 75] {
        let cut = &bytes[..bytes.len() * percent / 100];
        let results = read_bytes(cut);
        let error = final_error(cut);
        assert!(
            matches!(error, WxrError::Truncated { .. }),
            "{percent}%: {error}"
        );
        assert!(
            error.to_string().contains("the export is truncated"),
            "{error}"
        );
        // What came before the cut was read.
        assert!(results.len() > 30 * percent / 100, "{percent}%");
        assert!(matches!(results[0], Ok(Record::Site(_))));
    }
    // Inside a CDATA section, and just after one.
    let text = String::from_utf8(bytes.clone()).unwrap();
    let cdata = text
        .find("<content:encoded><![CDATA[<!-- wp:paragraph")
        .unwrap();
    for cut in [cdata + 30, cdata + "<content:encoded><![CDATA[".len()] {
        let error = final_error(&bytes[..cut]);
        assert_eq!(
            error.to_string().split(" at line").next(),
            Some("the file ends"),
            "{error}"
        );
        assert!(
            matches!(error, WxrError::Truncated { ref inside, .. } if inside == "content:encoded"),
            "{error}"
        );
    }
    let close = text.find("]]></content:encoded>").unwrap() + 3;
    assert!(matches!(
        final_error(&bytes[..close]),
        WxrError::Truncated { .. }
    ));
    // Cut mid-tag and mid-character.
    let tag = text.find("<wp:post_id>").unwrap() + 4;
    assert!(matches!(
        final_error(&bytes[..tag]),
        WxrError::Truncated { .. }
    ));
    let urdu = text.find("کراچی").unwrap() + 1;
    let error = final_error(&bytes[..urdu]);
    assert!(matches!(error, WxrError::Truncated { .. }), "{error}");
}

#[test]
fn malformed_xml_says_where() {
    let broken = wxr("<item><title>x</title>\n<wp:post_id>1</wp:post_id>\n</channel>");
    let error = final_error(broken.as_bytes());
    let WxrError::MalformedXml { at, .. } = &error else {
        panic!("{error}");
    };
    assert_eq!(at.line, 9);
    assert!(
        error
            .to_string()
            .starts_with("malformed XML at line 9, column 1 (byte "),
        "{error}"
    );
    let attribute = wxr("<item><category domain=category>X</category></item>");
    let error = final_error(attribute.as_bytes());
    assert!(matches!(error, WxrError::MalformedXml { .. }), "{error:?}");
    let after_root = format!("{}<rss/>", wxr(""));
    assert!(message(after_root.as_bytes()).starts_with("malformed XML at "));
}

#[test]
fn a_billion_laughs_doctype_is_refused_at_once() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><wp:wxr_version>1.2</wp:wxr_version>
<item><title>&lol9;</title></item></channel></rss>"#;
    let started = Instant::now();
    let results = read_bytes(laughs.as_bytes());
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(results.len(), 1);
    assert_eq!(
        results[0].as_ref().unwrap_err().to_string(),
        "the file has a DOCTYPE at line 2, column 1 (byte 22): entity declarations are refused, nothing is expanded or fetched"
    );
}

#[test]
fn external_entities_are_never_read_or_fetched() {
    for doctype in [
        r#"<!DOCTYPE rss [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>"#,
        r#"<!DOCTYPE rss [ <!ENTITY x SYSTEM "http://127.0.0.1:9/steal"> ]>"#,
        r#"<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/x.dtd">"#,
        r#"<!DOCTYPE rss [ <!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p; ]>"#,
    ] {
        let xxe = format!(
            "<?xml version=\"1.0\"?>\n{doctype}\n{}",
            wxr(&item_xml(1, "&x;", "")).split_once("?>").unwrap().1
        );
        let error = final_error(xxe.as_bytes());
        assert!(matches!(error, WxrError::DoctypeRefused { .. }), "{error}");
        assert!(
            !format!("{error:?}").contains("root:"),
            "nothing of /etc/passwd"
        );
    }
    // Without a DOCTYPE, an entity XML does not define is an error, not a lookup.
    let undeclared = wxr("<item><title>&x;</title></item>");
    assert!(
        message(undeclared.as_bytes())
            .starts_with("the file uses the unknown entity &x; at line 7")
    );
    let in_attribute = wxr("<item><category domain=\"&nbsp;\">x</category></item>");
    assert!(matches!(
        final_error(in_attribute.as_bytes()),
        WxrError::UnknownEntity { .. }
    ));
}

#[test]
fn other_encodings_and_invalid_utf8_are_refused() {
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss/>";
    assert_eq!(
        message(latin1),
        "the file is in ISO-8859-1; only UTF-8 is read"
    );
    let mut invalid = wxr(&item_xml(1, "caf\u{e9}", "")).into_bytes();
    let at = invalid
        .windows(2)
        .position(|w| w == "é".as_bytes())
        .unwrap();
    invalid[at] = 0xE9;
    invalid[at + 1] = b' ';
    assert!(matches!(final_error(&invalid), WxrError::NotUtf8 { .. }));
}

#[test]
fn a_content_field_past_the_bound_is_refused() {
    let content = "x".repeat(dateline_wordpress::MAX_FIELD_BYTES + 1);
    let file = wxr(&item_xml(1, &content, ""));
    let error = final_error(file.as_bytes());
    assert_eq!(
        error.to_string().split(" at ").next(),
        Some("<content:encoded>")
    );
    assert!(
        error.to_string().ends_with("is longer than 8388608 bytes"),
        "{error}"
    );
    assert!(error.is_fatal());
    // A field made of many CDATA sections is bounded as a whole.
    let limits = Limits {
        max_field_bytes: 1000,
        ..Limits::default()
    };
    let pieces = "y".repeat(400) + "]]]]><![CDATA[>" + &"z".repeat(400);
    let content = format!("{pieces}]]><![CDATA[{pieces}");
    let file = wxr(&item_xml(1, &content, ""));
    let results: Vec<_> = read_with(
        file.as_bytes(),
        ReadOptions {
            limits,
            ..ReadOptions::default()
        },
    )
    .collect();
    assert!(
        matches!(
            results.last(),
            Some(Err(WxrError::FieldTooLarge { max: 1000, .. }))
        ),
        "{results:?}"
    );
}

fn meta(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "<wp:postmeta><wp:meta_key><![CDATA[k{i}]]></wp:meta_key><wp:meta_value><![CDATA[v]]></wp:meta_value></wp:postmeta>"
            )
        })
        .collect()
}

fn item_ids(results: &[Result<Record, WxrError>]) -> Vec<u64> {
    results
        .iter()
        .filter_map(|r| match r {
            Ok(Record::Item(item)) => Some(item.post_id),
            _ => None,
        })
        .collect()
}

#[test]
fn too_many_meta_entries_leave_the_item_out_and_the_reading_goes_on() {
    let max = Limits::default().max_meta;
    let file = wxr(&format!(
        "{}{}{}",
        item_xml(1, "a", &meta(3)),
        item_xml(2, "b", &meta(max + 1)),
        item_xml(3, "c", &meta(max)),
    ));
    let results = read_bytes(file.as_bytes());
    assert_eq!(item_ids(&results), [1, 3]);
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("item 2 at line ")
            && errors[0].ends_with("has more than 5000 meta entries"),
        "{}",
        errors[0]
    );
}

#[test]
fn too_many_comments_and_too_large_records_are_bounded() {
    let limits = Limits {
        max_comments: 2,
        max_record_bytes: 10_000,
        ..Limits::default()
    };
    let comment = "<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_content><![CDATA[hi]]></wp:comment_content></wp:comment>";
    let file = wxr(&format!(
        "{}{}{}",
        item_xml(1, "a", &comment.repeat(3)),
        item_xml(
            2,
            &"b".repeat(6000),
            &meta(1).replace("[v]", &format!("[{}]", "v".repeat(6000)))
        ),
        item_xml(3, "c", &comment.repeat(2)),
    ));
    let options = ReadOptions {
        limits,
        ..ReadOptions::default()
    };
    let results: Vec<_> = read_with(file.as_bytes(), options).collect();
    assert_eq!(item_ids(&results), [3]);
    let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(matches!(
        errors[0],
        WxrError::TooMany {
            what: "comments",
            max: 2,
            ..
        }
    ));
    assert!(matches!(
        errors[1],
        WxrError::RecordTooLarge { max: 10_000, .. }
    ));
    assert!(
        errors[1].to_string().starts_with("item 2 at line"),
        "{}",
        errors[1]
    );
}

#[test]
fn fields_that_are_not_numbers_leave_the_item_out() {
    let file = wxr(&format!(
        "{}{}",
        item_xml(1, "a", "").replace("<wp:post_id>1<", "<wp:post_id>one<"),
        item_xml(2, "b", ""),
    ));
    let results = read_bytes(file.as_bytes());
    assert_eq!(item_ids(&results), [2]);
    let error = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert!(!error.is_fatal());
    assert!(
        error
            .to_string()
            .starts_with("<wp:post_id> at line 7, column 1")
            && error.to_string().ends_with("is \"one\", not a number"),
        "{error}"
    );
    let without_id = wxr("<item><title>x</title></item>");
    let error = read_bytes(without_id.as_bytes())
        .into_iter()
        .find_map(Result::err)
        .unwrap();
    assert_eq!(
        error.to_string(),
        "an item at line 7, column 1 (byte 363) has no <wp:post_id>"
    );
}

#[test]
fn deep_nesting_is_refused() {
    let deep = wxr(&format!(
        "<item>{}{}</item>",
        "<x>".repeat(100_000),
        "</x>".repeat(100_000)
    ));
    let results = read_bytes(deep.as_bytes());
    let error = results.last().unwrap().as_ref().unwrap_err();
    assert!(
        matches!(error, WxrError::TooDeep { max: 32, .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .starts_with("elements nest more than 32 deep at line 7")
    );
    assert!(results.len() < 5);
}

#[test]
fn the_iterator_ends_after_a_fatal_error() {
    let mut reader = read(&b"<html/>"[..]);
    assert!(reader.next().unwrap().is_err());
    assert!(reader.next().is_none());
    assert!(reader.next().is_none());
}
