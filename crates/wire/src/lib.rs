//! Reading agency wire formats: the bytes of one payload (a file, or the body of an HTTP answer)
//! become normalised item versions ([`IncomingVersion`]) for the wire desk.
//!
//! [`read`] tells the format by content, never by file name: IPTC ninjs 1.x, 2.x and 3.x (JSON),
//! IPTC NewsML-G2 (a `newsItem` or a `newsMessage`), RSS 2.0 and Atom. Every format then goes
//! through the same rules: bodies sanitised as article bodies are, the agency dateline taken off
//! the body's start ([`split_dateline`]), text fields made plain, bounded text. An entry that
//! cannot be converted is listed in [`Read::skipped`] with the reason; a payload that cannot be
//! read at all is a [`ReadError`], never a panic.
//!
//! The crate is pure: no database, no HTTP, no clock. XML is read without DOCTYPEs, entity
//! expansion or network access (see the `xml` module).
//!
//! Errors: one closed enum, [`ReadError`], whose messages are one line a person on the desk
//! understands, saying where the payload went wrong when the parser knows.

mod dateline;
mod entry;
mod feed;
mod markdown;
mod newsml;
mod ninjs;
mod text;
mod xml;

use dateline_domain::wire::{IncomingVersion, WireFormat};

pub use dateline::split_dateline;
pub use entry::{
    MAX_BYLINE_CHARS, MAX_HEADLINE_CHARS, MAX_KEYWORD_CHARS, MAX_KEYWORDS, MAX_STANDFIRST_CHARS,
};
pub use markdown::html_to_body;
pub use xml::MAX_DEPTH;

/// The largest payload read, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024 * 1024;
/// The most item versions (entries) one payload may hold.
pub const MAX_ITEMS: usize = 5_000;

/// What a payload held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// The format the payload was read as.
    pub format: WireFormat,
    /// Every entry that became an item version, in payload order.
    pub versions: Vec<IncomingVersion>,
    /// Every entry that did not, with the reason.
    pub skipped: Vec<Skipped>,
}

/// An entry that could not be converted into an item version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The entry's place in the payload, from 0.
    pub position: usize,
    /// Its id, where it had one.
    pub id: Option<String>,
    /// Why: "no headline and no body", "a NewsML-G2 packageItem, not a news item".
    pub reason: String,
}

/// Why a payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the payload is empty")]
    Empty,
    #[error("the payload is {size} bytes; at most {max} are read")]
    TooLarge { size: usize, max: usize },
    #[error("the payload holds more than {max} items")]
    TooManyItems { max: usize },
    #[error("the payload is not valid UTF-8 (at byte {offset}); only UTF-8 is read")]
    NotUtf8 { offset: usize },
    #[error("the payload is in {encoding}; only UTF-8 is read")]
    UnsupportedEncoding { encoding: String },
    #[error("an HTML page, not a feed")]
    HtmlPage,
    #[error("neither JSON nor XML: not a wire format")]
    UnknownFormat,
    #[error("malformed JSON: {detail}")]
    MalformedJson { detail: String },
    #[error("JSON, but not ninjs: {missing}")]
    NotNinjs { missing: String },
    #[error("malformed XML at {at}: {detail}")]
    MalformedXml { at: String, detail: String },
    #[error("the XML has a DOCTYPE; entity declarations are refused")]
    DoctypeRefused,
    #[error("the XML uses the unknown entity &{name}; at {at}; only XML's own five are read")]
    UnknownEntity { name: String, at: String },
    #[error("the XML nests elements more than {max} deep")]
    TooDeep { max: usize },
    #[error("an XML document whose root is <{root}>: not NewsML-G2, RSS or Atom")]
    UnknownRoot { root: String },
}

/// Reads one payload, telling its format by its content.
pub fn read(bytes: &[u8]) -> Result<Read, ReadError> {
    if bytes.len() > MAX_PAYLOAD_BYTES {
        return Err(ReadError::TooLarge {
            size: bytes.len(),
            max: MAX_PAYLOAD_BYTES,
        });
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ReadError::UnsupportedEncoding {
            encoding: "UTF-16".to_owned(),
        });
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]);
            return Err(match declared_encoding(&head) {
                Some(encoding) if !is_utf8_label(&encoding) => {
                    ReadError::UnsupportedEncoding { encoding }
                }
                _ => ReadError::NotUtf8 {
                    offset: e.valid_up_to(),
                },
            });
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let start = text.trim_start();
    match start.chars().next() {
        None => Err(ReadError::Empty),
        Some('{' | '[') => ninjs::read(text),
        Some('<') => read_xml(text),
        Some(_) => Err(ReadError::UnknownFormat),
    }
}

fn read_xml(text: &str) -> Result<Read, ReadError> {
    if let Some(encoding) = declared_encoding(text)
        && !is_utf8_label(&encoding)
        && !text.is_ascii()
    {
        return Err(ReadError::UnsupportedEncoding { encoding });
    }
    if is_html_page(text) {
        return Err(ReadError::HtmlPage);
    }
    let root = xml::parse(text)?;
    match root.name.as_str() {
        name if newsml::ROOTS.contains(&name) => newsml::read(&root),
        "rss" | "RDF" => feed::read_rss(&root),
        "feed" => feed::read_atom(&root),
        "html" => Err(ReadError::HtmlPage),
        _ => Err(ReadError::UnknownRoot {
            root: root.name.chars().take(60).collect(),
        }),
    }
}

/// The `encoding` an XML declaration names, if any.
fn declared_encoding(text: &str) -> Option<String> {
    let decl = text.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let after = &decl[decl.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &after[1..];
    let value = &value[..value.find(quote)?];
    Some(value.chars().take(40).collect())
}

fn is_utf8_label(encoding: &str) -> bool {
    matches!(
        encoding.trim().to_ascii_lowercase().as_str(),
        "utf-8" | "utf8" | "us-ascii" | "ascii"
    )
}

/// Whether the markup is an HTML page: `<!doctype html` or an `<html` root, after any XML
/// declaration, comments and whitespace.
fn is_html_page(text: &str) -> bool {
    let mut rest = text.trim_start();
    loop {
        if rest.starts_with("<?") {
            match rest.find("?>") {
                Some(end) => rest = rest[end + 2..].trim_start(),
                None => return false,
            }
        } else if rest.starts_with("<!--") {
            match rest.find("-->") {
                Some(end) => rest = rest[end + 3..].trim_start(),
                None => return false,
            }
        } else {
            break;
        }
    }
    let head: String = rest
        .chars()
        .take(15)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || (head.starts_with("<html")
            && head[5..]
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace() || c == '>'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_encodings_are_found() {
        assert_eq!(
            declared_encoding("<?xml version=\"1.0\" encoding='ISO-8859-1'?><a/>").as_deref(),
            Some("ISO-8859-1")
        );
        assert_eq!(declared_encoding("<?xml version=\"1.0\"?><a/>"), None);
    }

    #[test]
    fn html_pages_are_recognised() {
        assert!(is_html_page("<!DOCTYPE html><html>"));
        assert!(is_html_page("  <!-- x --><HTML lang=en>"));
        assert!(is_html_page("<?xml version=\"1.0\"?>\n<html>"));
        assert!(!is_html_page("<rss version=\"2.0\">"));
        assert!(!is_html_page("<htmlfeed>"));
    }
}
