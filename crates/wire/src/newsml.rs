//! IPTC NewsML-G2: a `newsItem`, or a `newsMessage` whose `itemSet` holds several.
//!
//! A news item's identity and version are its `guid` and `version`; what the agency says about
//! it is in `itemMeta` (dates, `pubStatus`, `embargoed`, `signal`, `edNote`), what it is about in
//! `contentMeta` (headline, description, by, dateline, language, urgency, located, keywords,
//! subjects), and the text in `contentSet`: NITF (`nitf/body/body.content`) or XHTML
//! (`html/body`) inside `inlineXML`, or `inlineData`. Package, concept, planning and other items
//! are skipped with a reason.

use dateline_domain::wire::{VersionSignal, WireFormat};

use crate::entry::{Entry, status};
use crate::text::{parse_date, text_to_paragraphs};
use crate::xml::Element;
use crate::{MAX_ITEMS, Read, ReadError, Skipped};

/// Root element names that are NewsML-G2.
pub(crate) const ROOTS: &[&str] = &[
    "newsItem",
    "newsMessage",
    "packageItem",
    "conceptItem",
    "knowledgeItem",
    "planningItem",
    "catalogItem",
];

pub(crate) fn read(root: &Element) -> Result<Read, ReadError> {
    let items: Vec<&Element> = if root.name == "newsMessage" {
        root.all("itemSet").flat_map(Element::elements).collect()
    } else {
        vec![root]
    };
    if items.len() > MAX_ITEMS {
        return Err(ReadError::TooManyItems { max: MAX_ITEMS });
    }
    let mut read = Read {
        format: WireFormat::NewsmlG2,
        versions: Vec::new(),
        skipped: Vec::new(),
    };
    for (position, item) in items.into_iter().enumerate() {
        if item.name != "newsItem" {
            read.skipped.push(Skipped {
                position,
                id: item.attr("guid").map(str::to_owned),
                reason: format!("a NewsML-G2 {}, not a news item", item.name),
            });
            continue;
        }
        match entry(item).finish(position) {
            Ok(version) => read.versions.push(version),
            Err(skipped) => read.skipped.push(skipped),
        }
    }
    Ok(read)
}

fn entry(item: &Element) -> Entry {
    let empty = Element::default();
    let meta = item.child("itemMeta").unwrap_or(&empty);
    let content = item.child("contentMeta").unwrap_or(&empty);
    let date = |e: &Element, name: &str| e.child_text(name).as_deref().and_then(parse_date);
    let nitf = item
        .child("contentSet")
        .and_then(|set| set.child("inlineXML"))
        .and_then(|x| x.child("nitf"));
    let nitf_head = nitf
        .and_then(|n| n.child("body"))
        .and_then(|b| b.child("body.head"));
    Entry {
        item_id: item.attr("guid").map(str::to_owned),
        version: item.attr("version").map(str::to_owned),
        version_created: date(meta, "versionCreated"),
        first_created: date(meta, "firstCreated"),
        status: meta
            .child("pubStatus")
            .and_then(|s| s.attr("qcode").or_else(|| s.attr("uri")))
            .and_then(status),
        signal: signal(meta),
        embargoed_until: date(meta, "embargoed"),
        expires: date(meta, "expires").or_else(|| date(content, "expires")),
        language: content
            .child("language")
            .and_then(|l| l.attr("tag"))
            .or_else(|| item.attr("xml:lang"))
            .map(str::to_owned),
        headline: pick(content, "headline", &["main", "hlrole:main"]).unwrap_or_default(),
        standfirst: pick(
            content,
            "description",
            &["drol:summary", "drol:caption", "summary", "caption"],
        )
        .unwrap_or_default(),
        body_html: body(item).unwrap_or_default(),
        dateline: content
            .child_text("dateline")
            .or_else(|| nitf_head.and_then(|h| h.child_text("dateline")))
            .or_else(|| content.child("located").and_then(|l| l.child_text("name"))),
        byline: content
            .child_text("by")
            .or_else(|| nitf_head.and_then(|h| h.child_text("byline")))
            .or_else(|| content.child("creator").and_then(|c| c.child_text("name"))),
        link: None,
        keywords: content
            .all("keyword")
            .map(Element::text)
            .chain(content.all("subject").filter_map(|s| s.child_text("name")))
            .collect(),
        urgency: content
            .child_text("urgency")
            .and_then(|u| u.parse::<u8>().ok()),
    }
}

/// The text of the child `name` whose `role` is the first of `roles` found, else one without a
/// role, else the first.
fn pick(parent: &Element, name: &str, roles: &[&str]) -> Option<String> {
    let all: Vec<&Element> = parent.all(name).collect();
    roles
        .iter()
        .find_map(|r| all.iter().find(|e| e.attr("role") == Some(r)))
        .or_else(|| all.iter().find(|e| e.attr("role").is_none()))
        .or_else(|| all.first())
        .map(|e| e.text())
}

/// `sig:correction` or an editor's note that speaks of a correction is a correction; `sig:update`
/// an update.
fn signal(meta: &Element) -> Option<VersionSignal> {
    let qcodes: Vec<String> = meta
        .all("signal")
        .filter_map(|s| s.attr("qcode").or_else(|| s.attr("uri")))
        .map(str::to_ascii_lowercase)
        .collect();
    let ednote = meta
        .all("edNote")
        .map(|n| n.text().to_lowercase())
        .collect::<String>();
    if qcodes.iter().any(|q| q.ends_with("correction")) || ednote.contains("correct") {
        Some(VersionSignal::Correction)
    } else if qcodes.iter().any(|q| q.ends_with("update")) {
        Some(VersionSignal::Update)
    } else {
        None
    }
}

/// The body: NITF's `body.content`, XHTML's `body`, other inline XML as it is, or inline data.
fn body(item: &Element) -> Option<String> {
    let set = item.child("contentSet")?;
    if let Some(inline) = set.child("inlineXML") {
        if let Some(nitf) = inline.child("nitf") {
            let content = nitf.child("body")?.child("body.content")?;
            return Some(content.inner_html(&nitf_name));
        }
        if let Some(html) = inline.child("html") {
            return Some(html.child("body")?.inner_html(&html_name));
        }
        return Some(inline.inner_html(&html_name));
    }
    let data = set.child("inlineData")?;
    let kind = data.attr("contenttype").unwrap_or("text/plain");
    if kind.contains("html") {
        Some(data.text())
    } else {
        Some(text_to_paragraphs(&data.text()))
    }
}

/// NITF elements as HTML: headings and block quotes renamed, media left out.
fn nitf_name(name: &str) -> Option<String> {
    Some(
        match name {
            "hl1" | "hl2" => "h2",
            "bq" => "blockquote",
            "block" => "div",
            "media" | "media-reference" | "media-object" | "media-metadata" => return None,
            other => other,
        }
        .to_owned(),
    )
}

fn html_name(name: &str) -> Option<String> {
    Some(name.to_owned())
}
