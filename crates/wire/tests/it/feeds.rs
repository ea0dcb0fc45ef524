//! RSS 2.0 and Atom feeds, and a NewsML-G2 message with several items, written inline.

use chrono::{DateTime, Utc};
use dateline_domain::wire::{ItemStatus, VersionSignal, WireFormat};

use crate::read_str;

fn utc(s: &str) -> Option<DateTime<Utc>> {
    Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>APP National</title>
    <link>https://www.app.com.pk/</link>
    <atom:link href="https://www.app.com.pk/feed/" rel="self"/>
    <language>en-PK</language>
    <item>
      <title>PM inaugurates &lt;b&gt;new&lt;/b&gt; motorway &amp; bridge</title>
      <link>https://www.app.com.pk/national/pm-motorway/</link>
      <guid isPermaLink="false">app-2024-11-19-0042</guid>
      <pubDate>Tue, 19 Nov 2024 14:30:00 +0500</pubDate>
      <dc:creator><![CDATA[Staff Reporter]]></dc:creator>
      <category>National</category>
      <category><![CDATA[Infrastructure]]></category>
      <description><![CDATA[<p>The Prime Minister on <b>Tuesday</b> opened the road.</p>]]></description>
      <content:encoded><![CDATA[<p>ISLAMABAD, Nov 19 (APP): The Prime Minister on Tuesday opened the road.</p><p>It is 300 km long.<script>alert(1)</script></p>]]></content:encoded>
    </item>
    <item>
      <title>Markets close higher</title>
      <guid>https://www.app.com.pk/business/markets/</guid>
      <pubDate>Tue, 19 Nov 2024 11:00:00 GMT</pubDate>
      <description>KARACHI (APP) - Shares rose.</description>
    </item>
    <item>
      <title>No guid, no link</title>
      <pubDate>Wed, 20 Nov 2024 08:00:00 -0500</pubDate>
      <description>Plain text &amp; more.</description>
    </item>
  </channel>
</rss>"#;

#[test]
fn an_rss_feed_reads_with_content_encoded_and_cdata() {
    let read = read_str(RSS).unwrap();
    assert_eq!(read.format, WireFormat::Rss);
    assert_eq!(read.versions.len(), 3, "{:?}", read.skipped);
    let v = &read.versions[0];
    assert_eq!(v.item_id, "app-2024-11-19-0042");
    assert_eq!(v.version, None, "feeds carry no version label");
    assert_eq!(v.headline, "PM inaugurates new motorway & bridge");
    assert_eq!(
        v.standfirst,
        "The Prime Minister on Tuesday opened the road."
    );
    assert_eq!(
        v.body_html,
        "<p>The Prime Minister on Tuesday opened the road.</p><p>It is 300 km long.</p>"
    );
    assert_eq!(v.dateline.as_deref(), Some("ISLAMABAD, Nov 19 (APP)"));
    assert_eq!(v.version_created, utc("2024-11-19T09:30:00Z"));
    assert_eq!(v.byline.as_deref(), Some("Staff Reporter"));
    assert_eq!(v.keywords, ["National", "Infrastructure"]);
    assert_eq!(
        v.link.as_deref(),
        Some("https://www.app.com.pk/national/pm-motorway/")
    );
    assert_eq!(v.language.as_deref(), Some("en-PK"));
    assert_eq!(v.status, ItemStatus::Usable);
}

#[test]
fn an_rss_guid_that_is_a_permalink_is_the_link_too() {
    let read = read_str(RSS).unwrap();
    let v = &read.versions[1];
    assert_eq!(v.item_id, "https://www.app.com.pk/business/markets/");
    assert_eq!(
        v.link.as_deref(),
        Some("https://www.app.com.pk/business/markets/")
    );
    assert_eq!(v.version_created, utc("2024-11-19T11:00:00Z"));
    // The description is the body when there is no content:encoded; its dateline comes off.
    assert_eq!(v.body_html, "<p>Shares rose.</p>");
    assert_eq!(v.dateline.as_deref(), Some("KARACHI (APP)"));
}

#[test]
fn an_rss_item_without_guid_or_link_has_a_stable_hashed_id() {
    let first = read_str(RSS).unwrap();
    let again = read_str(RSS).unwrap();
    let v = &first.versions[2];
    assert!(v.item_id.starts_with("hash:"), "{}", v.item_id);
    assert_eq!(v.item_id, again.versions[2].item_id);
    assert_ne!(v.item_id, first.versions[1].item_id);
    assert_eq!(v.version_created, utc("2024-11-20T13:00:00Z"));
    assert_eq!(v.body_html, "<p>Plain text &amp; more.</p>");
    assert_eq!(v.standfirst, "Plain text & more.");
    // The same entry retitled is another entry.
    let changed = read_str(&RSS.replace("No guid, no link", "No guid, no link!")).unwrap();
    assert_ne!(changed.versions[2].item_id, v.item_id);
}

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Wire</title>
  <id>urn:uuid:feed</id>
  <updated>2024-12-02T10:00:00Z</updated>
  <entry>
    <title type="html">Talks &lt;em&gt;resume&lt;/em&gt;</title>
    <link rel="alternate" href="https://wire.example/talks"/>
    <link rel="enclosure" href="https://wire.example/talks.jpg"/>
    <id>tag:wire.example,2024:talks</id>
    <published>2024-12-02T08:00:00+01:00</published>
    <updated>2024-12-02T09:15:00-05:00</updated>
    <author><name>Ann Reporter</name></author>
    <author><name>Bob Writer</name></author>
    <category term="politics" label="Politics"/>
    <category term="eu"/>
    <summary>Negotiators return &amp; hope.</summary>
    <content type="html">&lt;p&gt;LONDON, Dec. 2 (Reuters) - Negotiators returned.&lt;/p&gt;</content>
  </entry>
  <entry xml:lang="fr">
    <title type="text">Less &lt;than&gt; text</title>
    <id>tag:wire.example,2024:xhtml</id>
    <updated>2024-12-02T10:00:00Z</updated>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>PARIS, 2 December (AFP) – <b>Bold</b> move.</p></div></content>
  </entry>
  <entry>
    <title>Only text</title>
    <id>tag:wire.example,2024:text</id>
    <content type="text">Line one &lt;script&gt;

Line two</content>
  </entry>
</feed>"#;

#[test]
fn an_atom_feed_reads_html_xhtml_and_text_content() {
    let read = read_str(ATOM).unwrap();
    assert_eq!(read.format, WireFormat::Atom);
    assert_eq!(read.versions.len(), 3, "{:?}", read.skipped);

    let v = &read.versions[0];
    assert_eq!(v.item_id, "tag:wire.example,2024:talks");
    assert_eq!(v.headline, "Talks resume");
    assert_eq!(v.standfirst, "Negotiators return & hope.");
    assert_eq!(v.body_html, "<p>Negotiators returned.</p>");
    assert_eq!(v.dateline.as_deref(), Some("LONDON, Dec. 2 (Reuters)"));
    assert_eq!(v.first_created, utc("2024-12-02T07:00:00Z"));
    assert_eq!(v.version_created, utc("2024-12-02T14:15:00Z"));
    assert_eq!(v.byline.as_deref(), Some("Ann Reporter, Bob Writer"));
    assert_eq!(v.keywords, ["Politics", "eu"]);
    assert_eq!(v.link.as_deref(), Some("https://wire.example/talks"));
    assert_eq!(v.language.as_deref(), Some("en"));

    let v = &read.versions[1];
    assert_eq!(v.headline, "Less <than> text");
    assert_eq!(v.body_html, "<p><b>Bold</b> move.</p>");
    assert_eq!(v.dateline.as_deref(), Some("PARIS, 2 December (AFP)"));
    assert_eq!(v.language.as_deref(), Some("fr"));

    let v = &read.versions[2];
    assert_eq!(
        v.body_html,
        "<p>Line one &lt;script&gt;</p>\n<p>Line two</p>"
    );
    assert_eq!(v.version_created, None);
}

const MESSAGE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/">
  <header><sent>2024-11-19T10:00:00Z</sent></header>
  <itemSet>
    <newsItem guid="urn:app:1" version="3" standard="NewsML-G2" standardversion="2.35" xml:lang="en">
      <itemMeta>
        <itemClass qcode="ninat:text"/>
        <versionCreated>2024-11-19T15:00:00+05:00</versionCreated>
        <firstCreated>2024-11-19T09:00:00Z</firstCreated>
        <pubStatus qcode="stat:withheld"/>
        <signal qcode="sig:update"/>
      </itemMeta>
      <contentMeta>
        <urgency>2</urgency>
        <language tag="ur"/>
        <by>APP Correspondent</by>
        <dateline>ISLAMABAD, Nov 19</dateline>
        <headline>Budget talks held</headline>
        <description role="drol:summary">Talks &amp; more talks.</description>
        <keyword>budget</keyword>
      </contentMeta>
      <contentSet>
        <inlineXML contenttype="application/xhtml+xml">
          <html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title></head>
            <body><p>ISLAMABAD, Nov 19 (APP): Talks were held.</p><p onclick="x()">More.</p></body></html>
        </inlineXML>
      </contentSet>
    </newsItem>
    <newsItem guid="urn:app:2" version="2">
      <itemMeta>
        <itemClass qcode="ninat:text"/>
        <versionCreated>2024-11-19T11:00:00Z</versionCreated>
        <pubStatus qcode="stat:canceled"/>
      </itemMeta>
      <contentMeta><headline>Killed story</headline></contentMeta>
    </newsItem>
    <newsItem guid="urn:app:3" version="4">
      <itemMeta>
        <itemClass qcode="ninat:text"/>
        <versionCreated>2024-11-19T12:00:00Z</versionCreated>
        <pubStatus qcode="stat:usable"/>
        <edNote>Corrects spelling of minister's name in second paragraph.</edNote>
      </itemMeta>
      <contentMeta><headline>Minister visits</headline></contentMeta>
      <contentSet>
        <inlineXML contenttype="application/nitf+xml">
          <nitf xmlns="http://iptc.org/std/NITF/2006-10-18/"><body><body.content>
            <p>KARACHI (APP) - The minister visited.</p><hl2>Later</hl2><media><media-caption>x</media-caption></media>
          </body.content></body></nitf>
        </inlineXML>
      </contentSet>
    </newsItem>
    <packageItem guid="urn:app:pkg" version="1"/>
    <newsItem guid="urn:app:4" version="1">
      <itemMeta><signal qcode="sig:correction"/></itemMeta>
      <contentMeta><headline>Signalled correction</headline></contentMeta>
    </newsItem>
  </itemSet>
</newsMessage>"#;

#[test]
fn a_news_message_holds_several_items_and_their_statuses() {
    let read = read_str(MESSAGE).unwrap();
    assert_eq!(read.format, WireFormat::NewsmlG2);
    assert_eq!(read.versions.len(), 4, "{:?}", read.skipped);

    let v = &read.versions[0];
    assert_eq!(v.item_id, "urn:app:1");
    assert_eq!(v.version.as_deref(), Some("3"));
    assert_eq!(v.status, ItemStatus::Withheld);
    assert_eq!(v.signal, VersionSignal::Update);
    assert_eq!(v.version_created, utc("2024-11-19T10:00:00Z"));
    assert_eq!(v.first_created, utc("2024-11-19T09:00:00Z"));
    assert_eq!(v.urgency, Some(2));
    assert_eq!(v.language.as_deref(), Some("ur"));
    assert_eq!(v.byline.as_deref(), Some("APP Correspondent"));
    assert_eq!(
        v.dateline.as_deref(),
        Some("ISLAMABAD, Nov 19"),
        "the explicit one wins"
    );
    assert_eq!(v.body_html, "<p>Talks were held.</p><p>More.</p>");
    assert_eq!(v.standfirst, "Talks & more talks.");
    assert_eq!(v.keywords, ["budget"]);

    let v = &read.versions[1];
    assert_eq!(v.item_id, "urn:app:2");
    assert_eq!(v.status, ItemStatus::Canceled);

    let v = &read.versions[2];
    assert_eq!(v.signal, VersionSignal::Correction);
    assert_eq!(v.dateline.as_deref(), Some("KARACHI (APP)"));
    assert!(
        v.body_html
            .starts_with("<p>The minister visited.</p><h2>Later</h2>"),
        "{}",
        v.body_html
    );
    assert!(
        !v.body_html.contains('x'),
        "media is left out: {}",
        v.body_html
    );

    assert_eq!(read.versions[3].signal, VersionSignal::Correction);

    assert_eq!(read.skipped.len(), 1);
    assert_eq!(read.skipped[0].position, 3);
    assert_eq!(read.skipped[0].id.as_deref(), Some("urn:app:pkg"));
    assert_eq!(
        read.skipped[0].reason,
        "a NewsML-G2 packageItem, not a news item"
    );
}

#[test]
fn a_ninjs_array_reads_each_document_and_skips_what_is_not_one() {
    let read = read_str(
        r#"[{"uri":"urn:a","headline":"A","body_text":"OSLO (NTB): Snow."},
            42,
            {"uri":"urn:b","pubstatus":"canceled","headlines":[{"value":"B"}]},
            {"headline":"no uri"}]"#,
    )
    .unwrap();
    assert_eq!(read.versions.len(), 2);
    assert_eq!(read.versions[0].body_html, "<p>Snow.</p>");
    assert_eq!(read.versions[0].dateline.as_deref(), Some("OSLO (NTB)"));
    assert_eq!(read.versions[1].status, ItemStatus::Canceled);
    assert_eq!(read.skipped.len(), 2);
    assert_eq!(
        read.skipped[0].reason,
        "a JSON number, not a ninjs document"
    );
    assert_eq!(read.skipped[1].position, 3);
    assert_eq!(read.skipped[1].reason, "no id");
}
