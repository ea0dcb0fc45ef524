//! The WordPress reader's tests, in one binary: the GVS sample export against the counts
//! WordPress's database gave, one test per exporter quirk, converted bodies, bad input of every
//! kind, bounds, streaming, and properties over arbitrary input.

mod bad_input;
mod bodies;
mod fixture;
mod properties;
mod quirks;
mod streaming;

use std::path::PathBuf;

use dateline_wordpress::{Item, Record, Site, Term, WxrError, read};

/// `shared/fixtures/wordpress/…`, beside the checkout.
pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/wordpress"
    ))
    .join(name)
}

pub fn fixture_bytes() -> Vec<u8> {
    std::fs::read(fixture_path("gvs-sample.wxr.xml")).expect("the WXR fixture")
}

pub fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(fixture_path("gvs-sample.expected.json"))
        .expect("the expected JSON");
    serde_json::from_str(&text).expect("valid JSON")
}

/// Every record of the fixture, read as a stream from the file.
pub fn records() -> Vec<Record> {
    let file = std::fs::File::open(fixture_path("gvs-sample.wxr.xml")).expect("the WXR fixture");
    read(std::io::BufReader::new(file))
        .collect::<Result<Vec<_>, _>>()
        .expect("the fixture reads")
}

pub fn site() -> Site {
    match records().into_iter().next() {
        Some(Record::Site(site)) => site,
        other => panic!("the first record is not the site: {other:?}"),
    }
}

pub fn terms() -> Vec<Term> {
    records()
        .into_iter()
        .filter_map(|r| match r {
            Record::Term(term) => Some(term),
            _ => None,
        })
        .collect()
}

pub fn items() -> Vec<Item> {
    records()
        .into_iter()
        .filter_map(|r| match r {
            Record::Item(item) => Some(*item),
            _ => None,
        })
        .collect()
}

pub fn item(id: u64) -> Item {
    items()
        .into_iter()
        .find(|i| i.post_id == id)
        .unwrap_or_else(|| panic!("no item {id}"))
}

/// Everything a reader gives for these bytes.
pub fn read_bytes(bytes: &[u8]) -> Vec<Result<Record, WxrError>> {
    read(bytes).collect()
}

/// The error reading these bytes ends with (every result before it is a record).
pub fn final_error(bytes: &[u8]) -> WxrError {
    let results = read_bytes(bytes);
    match results.last() {
        Some(Err(e)) => {
            assert!(
                results[..results.len() - 1].iter().all(Result::is_ok),
                "an error before the last: {results:?}"
            );
            e.clone()
        }
        other => panic!("no error at the end: {other:?}"),
    }
}

/// A small WXR file around some items' XML.
pub fn wxr(items: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>Test</title>
<link>https://test.example</link>
<wp:wxr_version>1.2</wp:wxr_version>
{items}
</channel>
</rss>
"#
    )
}

/// One item's XML.
pub fn item_xml(id: u64, content: &str, extra: &str) -> String {
    format!(
        "<item><title><![CDATA[Post {id}]]></title><link>https://test.example/post-{id}/</link>\
         <dc:creator><![CDATA[admin]]></dc:creator>\
         <content:encoded><![CDATA[{content}]]></content:encoded>\
         <wp:post_id>{id}</wp:post_id><wp:post_date><![CDATA[2024-01-02 03:04:05]]></wp:post_date>\
         <wp:post_date_gmt><![CDATA[2024-01-01 22:04:05]]></wp:post_date_gmt>\
         <wp:post_name><![CDATA[post-{id}]]></wp:post_name><wp:status><![CDATA[publish]]></wp:status>\
         <wp:post_type><![CDATA[post]]></wp:post_type>{extra}</item>\n"
    )
}
