//! Bad input of every kind is an error with a message a person understands, never a panic.

use dateline_wire::{MAX_ITEMS, MAX_PAYLOAD_BYTES, ReadError, read};

use crate::read_str;

fn message(bytes: &[u8]) -> String {
    match read(bytes) {
        Ok(read) => panic!("read: {read:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn an_empty_payload_is_refused() {
    assert_eq!(message(b""), "the payload is empty");
    assert_eq!(message(b" \n\t"), "the payload is empty");
    assert_eq!(message("\u{feff}".as_bytes()), "the payload is empty");
}

#[test]
fn a_payload_over_the_limit_is_refused() {
    let big = vec![b' '; MAX_PAYLOAD_BYTES + 1];
    assert_eq!(
        message(&big),
        format!(
            "the payload is {} bytes; at most {MAX_PAYLOAD_BYTES} are read",
            MAX_PAYLOAD_BYTES + 1
        )
    );
}

#[test]
fn too_many_items_are_refused_in_every_format() {
    let n = MAX_ITEMS + 1;
    let json = format!("[{}]", vec![r#"{"uri":"u","headline":"h"}"#; n].join(","));
    let rss = format!(
        "<rss><channel>{}</channel></rss>",
        "<item><title>t</title></item>".repeat(n)
    );
    let atom = format!(
        "<feed>{}</feed>",
        "<entry><title>t</title></entry>".repeat(n)
    );
    let g2 = format!(
        "<newsMessage><itemSet>{}</itemSet></newsMessage>",
        "<newsItem guid=\"g\"/>".repeat(n)
    );
    for payload in [json, rss, atom, g2] {
        assert_eq!(
            message(payload.as_bytes()),
            "the payload holds more than 5000 items"
        );
    }
}

#[test]
fn malformed_json_says_where() {
    assert_eq!(
        message(b"{\"uri\": \"x\",\n \"headline\": }"),
        "malformed JSON: expected value at line 2 column 14"
    );
    assert!(message(&[b'['; 10_000]).starts_with("malformed JSON: recursion limit exceeded"));
}

#[test]
fn json_that_is_not_ninjs_says_what_is_missing() {
    assert_eq!(
        message(br#"{"headline": "x"}"#),
        "JSON, but not ninjs: no uri"
    );
    assert_eq!(
        message(br#"[{"a": 1}, {"b": 2}]"#),
        "JSON, but not ninjs: no uri in any document"
    );
    assert_eq!(
        message(b"[]"),
        "JSON, but not ninjs: an empty array, no documents"
    );
    assert_eq!(message(br#"{"uri": 7}"#), "JSON, but not ninjs: no uri");
}

#[test]
fn malformed_xml_says_where() {
    assert_eq!(
        message(b"<rss>\n  <channel>\n    <item></channel>\n</rss>"),
        "malformed XML at line 3, column 11: ill-formed document: expected `</item>`, but `</channel>` was found"
    );
    assert!(message(b"<rss><channel>").starts_with("malformed XML at line 1, column 15: "));
    assert!(message(b"<rss></rss><rss/>").starts_with("malformed XML at "));
    assert!(message(b"<rss attr=\"x></rss>").starts_with("malformed XML at "));
}

#[test]
fn xml_of_another_kind_is_named() {
    assert_eq!(
        message(b"<?xml version=\"1.0\"?><invoice><total>3</total></invoice>"),
        "an XML document whose root is <invoice>: not NewsML-G2, RSS or Atom"
    );
}

#[test]
fn an_html_page_is_not_a_feed() {
    for page in [
        "<!DOCTYPE html><html><head><title>Oops</title></head><body>Login</body></html>",
        "<!doctype html>\n<p>unclosed",
        "<html><body>x</body></html>",
        "<?xml version=\"1.0\"?><!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"x\"><html/>",
        "\u{feff}  <!-- error page --><HTML>",
    ] {
        assert_eq!(
            message(page.as_bytes()),
            "an HTML page, not a feed",
            "{page}"
        );
    }
}

#[test]
fn text_that_is_neither_json_nor_xml_is_refused() {
    assert_eq!(message(b"hello"), "neither JSON nor XML: not a wire format");
}

#[test]
fn invalid_utf8_is_refused_and_other_encodings_named() {
    assert_eq!(
        message(b"{\"uri\": \"caf\xe9\"}"),
        "the payload is not valid UTF-8 (at byte 12); only UTF-8 is read"
    );
    assert_eq!(
        message(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><channel><item><title>caf\xe9</title></item></channel></rss>"),
        "the payload is in ISO-8859-1; only UTF-8 is read"
    );
    // Declared Latin-1, but UTF-8 bytes that are not ASCII: still refused, the bytes would lie.
    assert_eq!(
        message("<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss><channel><item><title>café</title></item></channel></rss>".as_bytes()),
        "the payload is in windows-1252; only UTF-8 is read"
    );
    assert_eq!(
        message(b"\xff\xfe<\x00r\x00"),
        "the payload is in UTF-16; only UTF-8 is read"
    );
    // Declared Latin-1 but plain ASCII reads: ASCII is the same in both.
    assert!(read(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><channel/></rss>").is_ok());
}

#[test]
fn a_doctype_is_refused_so_billion_laughs_does_nothing() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rss><channel><item><title>&lol9;</title></item></channel></rss>"#;
    assert_eq!(
        message(laughs.as_bytes()),
        "the XML has a DOCTYPE; entity declarations are refused"
    );
}

#[test]
fn a_doctype_is_refused_so_external_entities_read_nothing() {
    let xxe = r#"<?xml version="1.0"?>
<!DOCTYPE newsItem [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<newsItem guid="x"><contentMeta><headline>&xxe;</headline></contentMeta></newsItem>"#;
    assert_eq!(
        message(xxe.as_bytes()),
        "the XML has a DOCTYPE; entity declarations are refused"
    );
    let external_dtd =
        r#"<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://attacker.example/x.dtd"><rss/>"#;
    assert_eq!(
        message(external_dtd.as_bytes()),
        "the XML has a DOCTYPE; entity declarations are refused"
    );
}

#[test]
fn an_unknown_entity_is_an_error_never_expanded() {
    assert_eq!(
        message(b"<rss><channel><item><title>&xxe;</title></item></channel></rss>"),
        "the XML uses the unknown entity &xxe; at line 1, column 28; only XML's own five are read"
    );
    assert!(
        message(b"<rss><channel><item><title x=\"&nbsp;\">t</title></item></channel></rss>")
            .starts_with("the XML uses the unknown entity &nbsp;")
    );
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 10_000;
    let deep = format!("<rss>{}{}</rss>", "<a>".repeat(depth), "</a>".repeat(depth));
    assert_eq!(
        message(deep.as_bytes()),
        "the XML nests elements more than 100 deep"
    );
    let fine = format!("<rss>{}{}</rss>", "<a>".repeat(98), "</a>".repeat(98));
    assert!(read_str(&fine).is_ok());
}

#[test]
fn deeply_nested_html_in_a_body_is_read_quickly_without_overflowing() {
    let depth = 200_000;
    let html = format!("{}x{}", "<div>".repeat(depth), "</div>".repeat(depth));
    let rss = format!(
        "<rss><channel><item><title>t</title><description><![CDATA[{html}]]></description></item></channel></rss>"
    );
    let read = read_str(&rss).unwrap();
    assert!(read.versions[0].body_html.contains('x'));
    let json = format!(
        r#"{{"uri":"u","headline":"h","body_html":{}}}"#,
        serde_json::to_string(&html).unwrap()
    );
    assert!(read_str(&json).is_ok());
    assert!(dateline_wire::html_to_body(&html).contains('x'));
    // Misnested tags leave elements open in the HTML parser; they are cut as well.
    let misnested = format!("{}x", "<b><div></b>".repeat(50_000));
    assert!(dateline_wire::html_to_body(&misnested).contains('x'));
}

#[test]
fn errors_are_one_line() {
    let errors = [
        ReadError::Empty,
        ReadError::HtmlPage,
        ReadError::DoctypeRefused,
        ReadError::UnknownFormat,
    ];
    for e in errors {
        assert!(!e.to_string().contains('\n'));
    }
}
