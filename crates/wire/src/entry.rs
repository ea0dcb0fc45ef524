//! One entry as a format reader found it, and the rules every format shares to make it an
//! [`IncomingVersion`]: bodies sanitised, the dateline taken off the body, text fields plain and
//! bounded.

use chrono::{DateTime, Utc};
use dateline_domain::is_forbidden_char;
use dateline_domain::wire::{IncomingVersion, ItemStatus, VersionSignal};

use crate::Skipped;
use crate::dateline::{MAX_DATELINE_CHARS, strip_from_html};
use crate::text::{clean_line, has_text, html_to_line, sanitise};

pub const MAX_HEADLINE_CHARS: usize = 500;
pub const MAX_STANDFIRST_CHARS: usize = 2_000;
pub const MAX_BYLINE_CHARS: usize = 200;
pub const MAX_KEYWORD_CHARS: usize = 100;
pub const MAX_KEYWORDS: usize = 50;
const MAX_ID_CHARS: usize = 1_000;
const MAX_LINK_CHARS: usize = 2_000;
const MAX_LANGUAGE_CHARS: usize = 35;

/// An entry as read, before the shared rules. Text fields may still hold HTML (it is stripped);
/// `body_html` is not sanitised yet.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entry {
    pub item_id: Option<String>,
    pub version: Option<String>,
    pub version_created: Option<DateTime<Utc>>,
    pub first_created: Option<DateTime<Utc>>,
    pub status: Option<ItemStatus>,
    pub signal: Option<VersionSignal>,
    pub embargoed_until: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
    pub language: Option<String>,
    pub headline: String,
    pub standfirst: String,
    pub body_html: String,
    pub dateline: Option<String>,
    pub byline: Option<String>,
    pub link: Option<String>,
    pub keywords: Vec<String>,
    pub urgency: Option<u8>,
}

impl Entry {
    /// Applies the shared rules; an entry without an id, or with neither headline nor body, is
    /// skipped with the reason.
    pub fn finish(self, position: usize) -> Result<IncomingVersion, Skipped> {
        let item_id = self
            .item_id
            .as_deref()
            .map(|id| clean_line(id, MAX_ID_CHARS))
            .filter(|id| !id.is_empty());
        let skip = |reason: &str| Skipped {
            position,
            id: item_id.clone(),
            reason: reason.to_owned(),
        };
        let Some(id) = item_id.clone() else {
            return Err(skip("no id"));
        };
        let headline = html_to_line(&self.headline, MAX_HEADLINE_CHARS);
        let mut body_html = sanitise(document_body(&self.body_html));
        let mut dateline = self
            .dateline
            .as_deref()
            .map(|d| clean_line(d, MAX_DATELINE_CHARS))
            .filter(|d| !d.is_empty());
        if let Some((found, rest)) = strip_from_html(&body_html) {
            body_html = rest;
            dateline.get_or_insert(found);
        }
        body_html.retain(|c| !is_forbidden_char(c) || matches!(c, '\t' | '\n' | '\r'));
        let body_html = body_html.trim().to_owned();
        let has_body = has_text(&body_html);
        if headline.is_empty() && !has_body {
            return Err(skip("no headline and no body"));
        }
        let mut keywords: Vec<String> = Vec::new();
        for keyword in &self.keywords {
            let keyword = html_to_line(keyword, MAX_KEYWORD_CHARS);
            if !keyword.is_empty() && !keywords.contains(&keyword) {
                keywords.push(keyword);
            }
            if keywords.len() == MAX_KEYWORDS {
                break;
            }
        }
        Ok(IncomingVersion {
            item_id: id,
            version: self
                .version
                .map(|v| clean_line(&v, 100))
                .filter(|v| !v.is_empty()),
            version_created: self.version_created,
            first_created: self.first_created,
            status: self.status.unwrap_or(ItemStatus::Usable),
            signal: self.signal.unwrap_or(VersionSignal::New),
            embargoed_until: self.embargoed_until,
            expires: self.expires,
            language: self
                .language
                .map(|l| clean_line(&l, MAX_LANGUAGE_CHARS))
                .filter(|l| !l.is_empty()),
            headline,
            standfirst: html_to_line(&self.standfirst, MAX_STANDFIRST_CHARS),
            body_html: if has_body { body_html } else { String::new() },
            dateline,
            byline: self
                .byline
                .map(|b| html_to_line(&b, MAX_BYLINE_CHARS))
                .filter(|b| !b.is_empty()),
            link: self.link.as_deref().and_then(web_link),
            keywords,
            urgency: self.urgency.filter(|u| (1..=9).contains(u)),
        })
    }
}

/// What is inside `<body>` when an agency sends a whole HTML document as a body (its
/// `<title>` would otherwise come through as text).
fn document_body(html: &str) -> &str {
    let Some(open) = find_ignore_case(html, "<body") else {
        return html;
    };
    let Some(start) = html[open..].find('>').map(|i| open + i + 1) else {
        return html;
    };
    let end = find_ignore_case(&html[start..], "</body").map_or(html.len(), |i| start + i);
    &html[start..end]
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// An `http(s)` address, trimmed, or `None`.
pub(crate) fn web_link(s: &str) -> Option<String> {
    let s = s.trim();
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    let ok = (lower.starts_with("http://") || lower.starts_with("https://"))
        && s.len() > "http://".len()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.chars().count() <= MAX_LINK_CHARS;
    ok.then(|| s.to_owned())
}

/// A status word (`usable`, `stat:withheld`, `canceled`, `cancelled`) as an [`ItemStatus`].
pub(crate) fn status(s: &str) -> Option<ItemStatus> {
    let s = s.trim().to_ascii_lowercase();
    let word = s.rsplit([':', '/']).next().unwrap_or(&s);
    match word {
        "usable" => Some(ItemStatus::Usable),
        "withheld" => Some(ItemStatus::Withheld),
        "canceled" | "cancelled" => Some(ItemStatus::Canceled),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            item_id: Some(" urn:x ".into()),
            headline: "Headline".into(),
            ..Entry::default()
        }
    }

    #[test]
    fn bodies_are_sanitised_and_lose_their_dateline() {
        let v = Entry {
            body_html: "<p onclick=\"x()\">OSLO (NTB): Snow.<script>alert(1)</script>\u{7}</p>"
                .into(),
            ..entry()
        }
        .finish(0)
        .unwrap();
        assert_eq!(v.item_id, "urn:x");
        assert_eq!(v.body_html, "<p>Snow.</p>");
        assert_eq!(v.dateline.as_deref(), Some("OSLO (NTB)"));
    }

    #[test]
    fn an_explicit_dateline_wins_but_the_prefix_still_goes() {
        let v = Entry {
            dateline: Some("Oslo, Norway".into()),
            body_html: "<p>OSLO (NTB): Snow.</p>".into(),
            ..entry()
        }
        .finish(0)
        .unwrap();
        assert_eq!(v.body_html, "<p>Snow.</p>");
        assert_eq!(v.dateline.as_deref(), Some("Oslo, Norway"));
    }

    #[test]
    fn text_fields_are_bounded_plain_text() {
        let v = Entry {
            headline: format!("<b>A\u{0}</b> {}", "x".repeat(600)),
            standfirst: "y ".repeat(3_000),
            byline: Some("By <i>Ann</i> &amp; Bob".into()),
            keywords: (0..80)
                .map(|i| format!("k{i}"))
                .chain(["k1".into()])
                .collect(),
            ..entry()
        }
        .finish(0)
        .unwrap();
        assert_eq!(v.headline.chars().count(), 500);
        assert!(v.headline.starts_with("A xxx"));
        assert!(v.standfirst.chars().count() <= 2_000);
        assert_eq!(v.byline.as_deref(), Some("By Ann & Bob"));
        assert_eq!(v.keywords.len(), 50);
    }

    #[test]
    fn an_entry_with_no_headline_and_no_body_is_skipped() {
        let skipped = Entry {
            headline: " ".into(),
            body_html: "<p> </p>".into(),
            ..entry()
        }
        .finish(3)
        .unwrap_err();
        assert_eq!(skipped.position, 3);
        assert_eq!(skipped.id.as_deref(), Some("urn:x"));
        assert_eq!(skipped.reason, "no headline and no body");
    }

    #[test]
    fn a_whole_html_document_gives_its_body() {
        let v = Entry {
            body_html: "<html><head><title>T</title></head><BODY class=x><p>B</p></body></html>"
                .into(),
            ..entry()
        }
        .finish(0)
        .unwrap();
        assert_eq!(v.body_html, "<p>B</p>");
    }

    #[test]
    fn links_are_web_addresses_only() {
        assert_eq!(
            web_link(" https://a.example/x "),
            Some("https://a.example/x".into())
        );
        assert_eq!(web_link("javascript:alert(1)"), None);
        assert_eq!(web_link("urn:x"), None);
        assert_eq!(web_link("http://"), None);
    }
}
