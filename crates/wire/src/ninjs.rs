//! IPTC ninjs (News in JSON) 1.x, 2.x and 3.x: one document, or an array of them.
//!
//! The three families name the same things differently: 1.x has single fields (`headline`,
//! `body_html`, `description_text`, `byline`, `embargoed`), 2.x arrays with roles (`headlines`,
//! `bodies`, `descriptions`) and lower-case names (`versioncreated`, `pubstatus`), 3.x the same
//! arrays in camelCase (`versionCreated`, `pubStatus`, `embargoedUntil`, `altIds`). Each field is
//! looked up under the name its family gives it, then under the others', since agencies mix them.

use serde_json::{Map, Value};

use crate::entry::{Entry, status, web_link};
use crate::text::{parse_date, text_to_paragraphs};
use crate::{MAX_ITEMS, Read, ReadError, Skipped};
use dateline_domain::wire::{VersionSignal, WireFormat};

type Object = Map<String, Value>;

/// Which generation of ninjs a document follows, told by its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    V1,
    V2,
    V3,
}

const V3_KEYS: &[&str] = &[
    "versionCreated",
    "firstCreated",
    "contentCreated",
    "pubStatus",
    "embargoedUntil",
    "altIds",
    "copyrightHolder",
    "copyrightNotice",
    "usageTerms",
    "edNote",
    "infoSources",
    "trustIndicators",
    "rightsInfo",
    "representationType",
    "digitalSourceType",
    "eventDetails",
    "plannedCoverage",
];

const V2_KEYS: &[&str] = &[
    "headlines",
    "bodies",
    "descriptions",
    "by",
    "people",
    "places",
    "organisations",
    "subjects",
    "genres",
    "infosources",
    "trustindicators",
];

pub(crate) fn family(doc: &Object) -> Family {
    let standard = doc
        .get("standard")
        .or_else(|| doc.get("$standard"))
        .and_then(|s| s.get("version"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if standard.starts_with('3') || V3_KEYS.iter().any(|k| doc.contains_key(*k)) {
        Family::V3
    } else if standard.starts_with('2') || V2_KEYS.iter().any(|k| doc.contains_key(*k)) {
        Family::V2
    } else {
        Family::V1
    }
}

pub(crate) fn read(text: &str) -> Result<Read, ReadError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ReadError::MalformedJson {
        detail: e.to_string(),
    })?;
    let (documents, single) = match value {
        Value::Object(doc) => (vec![Value::Object(doc)], true),
        Value::Array(docs) => (docs, false),
        other => {
            return Err(ReadError::NotNinjs {
                missing: format!("a JSON {}, not an object or an array", kind(&other)),
            });
        }
    };
    if documents.is_empty() {
        return Err(ReadError::NotNinjs {
            missing: "an empty array, no documents".to_owned(),
        });
    }
    if documents.len() > MAX_ITEMS {
        return Err(ReadError::TooManyItems { max: MAX_ITEMS });
    }
    let with_uri = documents
        .iter()
        .filter(|d| d.get("uri").and_then(Value::as_str).is_some())
        .count();
    if with_uri == 0 {
        return Err(ReadError::NotNinjs {
            missing: if single {
                "no uri".to_owned()
            } else {
                "no uri in any document".to_owned()
            },
        });
    }
    let mut read = Read {
        format: WireFormat::Ninjs,
        versions: Vec::new(),
        skipped: Vec::new(),
    };
    for (position, doc) in documents.iter().enumerate() {
        let Value::Object(doc) = doc else {
            read.skipped.push(Skipped {
                position,
                id: None,
                reason: format!("a JSON {}, not a ninjs document", kind(doc)),
            });
            continue;
        };
        match entry(doc) {
            Ok(entry) => match entry.finish(position) {
                Ok(version) => read.versions.push(version),
                Err(skipped) => read.skipped.push(skipped),
            },
            Err(reason) => read.skipped.push(Skipped {
                position,
                id: string(doc, &["uri"]),
                reason,
            }),
        }
    }
    Ok(read)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The first of `keys` that holds a non-blank string (or a number, written out).
fn string(doc: &Object, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match doc.get(*k)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn date(doc: &Object, keys: &[&str]) -> Option<chrono::DateTime<chrono::Utc>> {
    keys.iter()
        .find_map(|k| doc.get(*k)?.as_str().and_then(parse_date))
}

fn array<'a>(doc: &'a Object, keys: &[&str]) -> &'a [Value] {
    keys.iter()
        .find_map(|k| doc.get(*k)?.as_array())
        .map_or(&[], Vec::as_slice)
}

/// A headline, description or body object: its role, content type and value.
struct Part<'a> {
    role: String,
    content_type: String,
    value: &'a str,
}

impl Part<'_> {
    fn is_html(&self) -> bool {
        let t = &self.content_type;
        t.contains("html")
            || t.contains("xml")
            || matches!(
                self.role.as_str(),
                "html" | "richtext" | "xhtml" | "body_html"
            )
    }
}

fn parts<'a>(doc: &'a Object, keys: &[&str]) -> Vec<Part<'a>> {
    array(doc, keys)
        .iter()
        .filter_map(|p| {
            let value = p.get("value")?.as_str()?;
            let field = |names: &[&str]| {
                names
                    .iter()
                    .find_map(|n| p.get(*n)?.as_str())
                    .unwrap_or("")
                    .to_ascii_lowercase()
            };
            Some(Part {
                role: field(&["role"]),
                content_type: field(&["contentType", "contenttype"]),
                value,
            })
        })
        .filter(|p| !p.value.trim().is_empty())
        .collect()
}

/// The main headline: role `main`, else one without a role, else the first plain one.
fn main_headline(parts: &[Part<'_>]) -> Option<String> {
    parts
        .iter()
        .find(|p| p.role == "main")
        .or_else(|| parts.iter().find(|p| p.role.is_empty()))
        .or_else(|| parts.iter().find(|p| !p.is_html()))
        .or_else(|| parts.first())
        .map(|p| p.value.to_owned())
}

const STANDFIRST_ROLES: &[&str] = &[
    "summary",
    "abstract",
    "standfirst",
    "lead",
    "description",
    "text",
    "caption",
];

/// The standfirst: by role, plain text before HTML where a role has both.
fn main_description(parts: &[Part<'_>]) -> Option<String> {
    STANDFIRST_ROLES
        .iter()
        .find_map(|role| {
            parts
                .iter()
                .find(|p| p.role == *role && !p.is_html())
                .or_else(|| parts.iter().find(|p| p.role == *role))
        })
        .or_else(|| parts.iter().find(|p| p.role.is_empty()))
        .or_else(|| parts.iter().find(|p| p.role != "creditline"))
        .map(|p| p.value.to_owned())
}

/// The body as HTML: an HTML body where there is one, else text made paragraphs.
fn main_body(parts: &[Part<'_>]) -> Option<String> {
    if let Some(html) = parts.iter().find(|p| p.is_html()) {
        return Some(html.value.to_owned());
    }
    parts
        .iter()
        .find(|p| p.role == "main" || p.role == "text" || p.role.is_empty())
        .or_else(|| parts.first())
        .map(|p| text_to_paragraphs(p.value))
}

/// 1.x's `headline_*`, `body_*`, `description_*` fields: the first whose suffix matches.
fn suffixed<'a>(doc: &'a Object, prefix: &str, preferred: &[&str]) -> Option<(&'a str, &'a str)> {
    let fields: Vec<(&str, &str)> = doc
        .iter()
        .filter_map(|(k, v)| {
            let suffix = k.strip_prefix(prefix)?;
            let v = v.as_str().filter(|v| !v.trim().is_empty())?;
            Some((suffix, v))
        })
        .collect();
    preferred
        .iter()
        .find_map(|want| fields.iter().find(|(s, _)| s.contains(want)))
        .or_else(|| fields.first())
        .copied()
}

fn entry(doc: &Object) -> Result<Entry, String> {
    let family = family(doc);
    if let Some(kind @ ("event" | "planning")) = doc.get("type").and_then(Value::as_str) {
        return Err(format!("a ninjs {kind}, not a news item"));
    }
    let item_id = string(doc, &["guid", "uri"]);
    let (headline, standfirst, body_html) = match family {
        Family::V1 => {
            let headline = string(doc, &["headline"])
                .or_else(|| suffixed(doc, "headline_", &["main"]).map(|(_, v)| v.to_owned()));
            let standfirst = suffixed(doc, "description_", &["text", "summary", "html"])
                .map(|(_, v)| v.to_owned());
            let body = suffixed(doc, "body_", &["html", "xhtml", "rich", "xml"]).map(|(s, v)| {
                if ["html", "xhtml", "rich", "xml"]
                    .iter()
                    .any(|h| s.contains(h))
                {
                    v.to_owned()
                } else {
                    text_to_paragraphs(v)
                }
            });
            (headline, standfirst, body)
        }
        Family::V2 | Family::V3 => (
            main_headline(&parts(doc, &["headlines"])),
            main_description(&parts(doc, &["descriptions"])),
            main_body(&parts(doc, &["bodies"])),
        ),
    };
    let dateline = array(doc, &["datelines"])
        .iter()
        .find_map(|d| {
            d.as_str()
                .or_else(|| d.get("value").and_then(Value::as_str))
                .map(str::to_owned)
        })
        .or_else(|| string(doc, &["dateline", "located"]));
    let ednote = string(doc, &["edNote", "ednote"]).unwrap_or_default();
    let signal = ednote
        .to_lowercase()
        .contains("correct")
        .then_some(VersionSignal::Correction);
    let mut keywords: Vec<String> = array(doc, &["keywords"])
        .iter()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    keywords.extend(
        array(doc, &["subjects", "subject"])
            .iter()
            .filter_map(|s| s.get("name")?.as_str().map(str::to_owned)),
    );
    let urgency = doc.get("urgency").and_then(|u| match u {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    Ok(Entry {
        item_id,
        version: string(doc, &["version"]),
        version_created: date(doc, &["versionCreated", "versioncreated"]),
        first_created: date(doc, &["firstCreated", "firstcreated"]),
        status: string(doc, &["pubStatus", "pubstatus"]).and_then(|s| status(&s)),
        signal,
        embargoed_until: date(doc, &["embargoedUntil", "embargoed"]),
        expires: date(doc, &["expires"]),
        language: string(doc, &["language"]),
        headline: headline.unwrap_or_default(),
        standfirst: standfirst.unwrap_or_default(),
        body_html: body_html.unwrap_or_default(),
        dateline,
        byline: string(doc, &["by", "byline"]),
        link: link(doc),
        keywords,
        urgency: urgency
            .filter(|u| (1.0..=9.0).contains(u))
            .map(|u| u.round() as u8),
    })
}

/// The item's address: its `uri` if that is a web address, else the first alternative id or
/// `links` entry that is.
fn link(doc: &Object) -> Option<String> {
    if let Some(uri) = doc.get("uri").and_then(Value::as_str).and_then(web_link) {
        return Some(uri);
    }
    let alt_values: Vec<&str> = match doc.get("altIds").or_else(|| doc.get("altids")) {
        Some(Value::Array(ids)) => ids
            .iter()
            .filter_map(|i| i.get("value")?.as_str())
            .collect(),
        Some(Value::Object(ids)) => ids.values().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    alt_values
        .into_iter()
        .chain(array(doc, &["links"]).iter().filter_map(|l| {
            ["href", "uri", "url"]
                .iter()
                .find_map(|k| l.get(*k)?.as_str())
        }))
        .find_map(web_link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_is_a_web_uri_an_alternative_id_or_a_links_entry() {
        let link = |json| link(&obj(json));
        assert_eq!(
            link(r#"{"uri":"https://a.example/1"}"#).as_deref(),
            Some("https://a.example/1")
        );
        assert_eq!(
            link(r#"{"uri":"urn:x","altIds":[{"role":"r","value":"x1"},{"value":"http://b.example/"}]}"#)
                .as_deref(),
            Some("http://b.example/")
        );
        assert_eq!(
            link(r#"{"uri":"urn:x","altids":{"web":"https://c.example/"}}"#).as_deref(),
            Some("https://c.example/")
        );
        assert_eq!(
            link(r#"{"uri":"urn:x","links":[{"rel":"self","href":"https://d.example/"}]}"#)
                .as_deref(),
            Some("https://d.example/")
        );
        assert_eq!(link(r#"{"uri":"urn:x"}"#), None);
    }

    fn obj(json: &str) -> Object {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn families_are_told_apart_by_their_keys() {
        assert_eq!(
            family(&obj(r#"{"uri":"x","body_html":"<p>a</p>"}"#)),
            Family::V1
        );
        assert_eq!(family(&obj(r#"{"uri":"x","headlines":[]}"#)), Family::V2);
        assert_eq!(
            family(&obj(r#"{"uri":"x","versionCreated":"2020-01-01"}"#)),
            Family::V3
        );
    }

    #[test]
    fn a_text_body_becomes_paragraphs_and_html_is_preferred() {
        let doc = obj(
            r#"{"uri":"x","bodies":[{"role":"main","contenttype":"text/plain","value":"a\nb"},
               {"role":"x","contenttype":"text/html","value":"<p>html</p>"}]}"#,
        );
        assert_eq!(entry(&doc).unwrap().body_html, "<p>html</p>");
        let doc = obj(r#"{"uri":"x","bodies":[{"value":"a < b\nc"}]}"#);
        assert_eq!(entry(&doc).unwrap().body_html, "<p>a &lt; b</p>\n<p>c</p>");
    }
}
