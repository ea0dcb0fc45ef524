//! RSS 2.0 (and RSS 1.0's RDF) and Atom feeds.
//!
//! Feeds carry no version label: the domain tells versions apart by a hash of their text. An
//! entry's id is its `guid` / `id`, else its link, else a hash of its title and date, so the same
//! entry read twice has the same id.

use dateline_domain::wire::WireFormat;

use crate::entry::{Entry, web_link};
use crate::text::{decode_entities, parse_date, text_to_paragraphs};
use crate::xml::Element;
use crate::{MAX_ITEMS, Read, ReadError};

pub(crate) fn read_rss(root: &Element) -> Result<Read, ReadError> {
    let channel = root.child("channel");
    let mut items: Vec<&Element> = channel.into_iter().flat_map(|c| c.all("item")).collect();
    // RSS 1.0 puts its items beside the channel.
    items.extend(root.all("item"));
    let language = channel.and_then(|c| c.child_text("language"));
    finish(WireFormat::Rss, &items, |item| {
        rss_entry(item, language.as_deref())
    })
}

pub(crate) fn read_atom(root: &Element) -> Result<Read, ReadError> {
    let items: Vec<&Element> = root.all("entry").collect();
    let language = root.attr("xml:lang");
    finish(WireFormat::Atom, &items, |entry| {
        atom_entry(entry, language)
    })
}

fn finish(
    format: WireFormat,
    items: &[&Element],
    entry: impl Fn(&Element) -> Entry,
) -> Result<Read, ReadError> {
    if items.len() > MAX_ITEMS {
        return Err(ReadError::TooManyItems { max: MAX_ITEMS });
    }
    let mut read = Read {
        format,
        versions: Vec::new(),
        skipped: Vec::new(),
    };
    for (position, item) in items.iter().enumerate() {
        match entry(item).finish(position) {
            Ok(version) => read.versions.push(version),
            Err(skipped) => read.skipped.push(skipped),
        }
    }
    Ok(read)
}

fn rss_entry(item: &Element, language: Option<&str>) -> Entry {
    let title = item
        .plain_child("title")
        .map(Element::text)
        .unwrap_or_default();
    let date_text = item
        .plain_child("pubDate")
        .or_else(|| item.child("date"))
        .map(Element::text);
    let published = date_text.as_deref().and_then(parse_date);
    let updated = item
        .child("updated")
        .or_else(|| item.child("modified"))
        .and_then(|u| parse_date(&u.text()));
    let guid = item.plain_child("guid");
    let guid_text = guid
        .map(|g| g.text().trim().to_owned())
        .filter(|g| !g.is_empty());
    let permalink = guid
        .filter(|g| g.attr("isPermaLink").is_none_or(|p| p.trim() != "false"))
        .and_then(|g| web_link(&g.text()));
    let link = item
        .plain_child("link")
        .and_then(|l| web_link(&l.text()))
        .or(permalink);
    let description = item
        .plain_child("description")
        .map(Element::text)
        .unwrap_or_default();
    let content = item.child("encoded").map(Element::text);
    let body = content
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| description.clone());
    Entry {
        item_id: guid_text
            .or_else(|| link.clone())
            .or_else(|| Some(hash_id(&title, date_text.as_deref().unwrap_or("")))),
        version_created: updated.or(published),
        language: item
            .child_text("language")
            .or_else(|| language.map(str::to_owned)),
        headline: title,
        standfirst: description,
        body_html: html_or_text(&body),
        byline: item
            .child("creator")
            .or_else(|| item.plain_child("author"))
            .map(Element::text),
        link,
        keywords: item.all("category").map(Element::text).collect(),
        ..Entry::default()
    }
}

fn atom_entry(entry: &Element, language: Option<&str>) -> Entry {
    let title = entry
        .child("title")
        .map(atom_text_as_html)
        .unwrap_or_default();
    let published_text = entry.child_text("published");
    let updated_text = entry.child_text("updated");
    let published = published_text.as_deref().and_then(parse_date);
    let updated = updated_text.as_deref().and_then(parse_date);
    let link = entry
        .all("link")
        .find(|l| l.attr("rel").is_none_or(|r| r == "alternate"))
        .and_then(|l| l.attr("href"))
        .and_then(web_link);
    let summary = entry
        .child("summary")
        .map(atom_text_as_html)
        .unwrap_or_default();
    let content = entry
        .child("content")
        .filter(|c| c.attr("src").is_none())
        .map(atom_text_as_html)
        .filter(|c| !c.trim().is_empty());
    let date_for_hash = updated_text.or(published_text).unwrap_or_default();
    let authors: Vec<String> = entry
        .all("author")
        .filter_map(|a| a.child_text("name"))
        .collect();
    Entry {
        item_id: entry.child_text("id").or_else(|| link.clone()).or_else(|| {
            Some(hash_id(
                &entry.child("title").map(Element::text).unwrap_or_default(),
                &date_for_hash,
            ))
        }),
        version_created: updated.or(published),
        first_created: published,
        language: entry.attr("xml:lang").or(language).map(str::to_owned),
        body_html: content.unwrap_or_else(|| summary.clone()),
        headline: title,
        standfirst: summary,
        byline: (!authors.is_empty()).then(|| authors.join(", ")),
        link,
        keywords: entry
            .all("category")
            .filter_map(|c| c.attr("label").or_else(|| c.attr("term")))
            .map(str::to_owned)
            .collect(),
        ..Entry::default()
    }
}

/// An Atom text construct as HTML: `html` as it is, `xhtml` written out, `text` escaped into
/// paragraphs.
fn atom_text_as_html(e: &Element) -> String {
    match e.attr("type").unwrap_or("text") {
        "html" | "text/html" => e.text(),
        "xhtml" | "application/xhtml+xml" => {
            let inner = e.child("div").unwrap_or(e);
            inner.inner_html(&|n| Some(n.to_owned()))
        }
        _ => text_to_paragraphs(&e.text()),
    }
}

/// RSS text that may be HTML: as it is if it has tags, else (its entities decoded) escaped into
/// paragraphs.
fn html_or_text(s: &str) -> String {
    if s.contains('<') {
        s.to_owned()
    } else {
        text_to_paragraphs(&decode_entities(s))
    }
}

/// A stable id for an entry that has none: a 64-bit FNV-1a hash of its title and date.
fn hash_id(title: &str, date: &str) -> String {
    let mut hash: u64 = 0xcbf29ce484222325;
    for byte in title
        .trim()
        .bytes()
        .chain([0xff])
        .chain(date.trim().bytes())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    format!("hash:{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_ids_are_stable_and_tell_entries_apart() {
        assert_eq!(hash_id("A", "1"), hash_id(" A ", "1"));
        assert_ne!(hash_id("A", "1"), hash_id("A", "2"));
        assert_ne!(hash_id("A1", ""), hash_id("A", "1"));
    }

    #[test]
    fn text_without_tags_is_escaped() {
        assert_eq!(html_or_text("a\nb"), "<p>a</p>\n<p>b</p>");
        assert_eq!(html_or_text("a &amp; b"), "<p>a &amp; b</p>");
    }
}
