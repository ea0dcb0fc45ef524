//! A small, safe XML tree for the formats we read.
//!
//! quick-xml never fetches anything; on top of that a document with a DOCTYPE is refused outright
//! (so entity declarations, billion laughs and external entities can do nothing), an entity other
//! than the five XML predefines is an error and never expanded, and elements nest at most
//! [`MAX_DEPTH`] deep.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use crate::ReadError;
use crate::text::escape_html;

/// How deep elements may nest.
pub const MAX_DEPTH: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Element {
    pub prefix: Option<String>,
    /// The local name, without its prefix.
    pub name: String,
    /// Attributes by local name (prefix dropped), values decoded.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// Child elements with this local name, whatever their prefix.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.name == name)
    }

    /// The first child element with this local name, whatever its prefix.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    /// The first child element with this local name and no prefix.
    pub fn plain_child(&self, name: &str) -> Option<&Element> {
        self.elements()
            .find(|e| e.name == name && e.prefix.is_none())
    }

    /// The text of this element and everything in it.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.push_text(&mut out);
        out
    }

    fn push_text(&self, out: &mut String) {
        for node in &self.children {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.push_text(out),
            }
        }
    }

    /// The text of a child element, trimmed; `None` when absent or blank.
    pub fn child_text(&self, name: &str) -> Option<String> {
        let text = self.child(name)?.text();
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }

    /// What this element holds, written as HTML: elements by their local name, `xmlns`
    /// attributes dropped, text escaped. `rename` may give an element another name (NITF's
    /// `hl2` as `h2`), or `None` to leave it out with what it holds.
    pub fn inner_html(&self, rename: &dyn Fn(&str) -> Option<String>) -> String {
        let mut out = String::new();
        for node in &self.children {
            write_html(node, rename, &mut out);
        }
        out
    }
}

fn write_html(node: &Node, rename: &dyn Fn(&str) -> Option<String>, out: &mut String) {
    match node {
        Node::Text(t) => out.push_str(&escape_html(t)),
        Node::Element(e) => {
            let Some(name) = rename(&e.name) else {
                return;
            };
            out.push('<');
            out.push_str(&name);
            for (k, v) in &e.attrs {
                if k == "xmlns" || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    continue;
                }
                out.push(' ');
                out.push_str(k);
                out.push_str("=\"");
                out.push_str(&escape_html(v));
                out.push('"');
            }
            out.push('>');
            if matches!(name.as_str(), "br" | "hr" | "img") {
                return;
            }
            for child in &e.children {
                write_html(child, rename, out);
            }
            out.push_str("</");
            out.push_str(&name);
            out.push('>');
        }
    }
}

/// Reads an XML document into its root element.
pub(crate) fn parse(text: &str) -> Result<Element, ReadError> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let at = |reader: &Reader<&[u8]>, pos: u64| -> String {
        let _ = reader;
        position(text, pos as usize)
    };
    loop {
        let event = reader.read_event().map_err(|e| ReadError::MalformedXml {
            at: at(&reader, reader.error_position()),
            detail: e.to_string(),
        })?;
        match event {
            Event::DocType(_) => return Err(ReadError::DoctypeRefused),
            Event::Start(start) => {
                if root.is_some() {
                    return Err(malformed(text, &reader, "content after the root element"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(ReadError::TooDeep { max: MAX_DEPTH });
                }
                stack.push(element(&start, text, &reader)?);
            }
            Event::Empty(start) => {
                if root.is_some() {
                    return Err(malformed(text, &reader, "content after the root element"));
                }
                let e = element(&start, text, &reader)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(e)),
                    None => root = Some(e),
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err(malformed(text, &reader, "an end tag without a start"));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(done)),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                push_text(&mut stack, &content, || {
                    malformed(text, &reader, "text outside the root element")
                })?;
            }
            Event::CData(t) => {
                let content = t.xml10_content();
                push_text(&mut stack, &content, || {
                    malformed(text, &reader, "text outside the root element")
                })?;
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => {
                            return Err(malformed(
                                text,
                                &reader,
                                &format!("a bad character reference &{};", &*r),
                            ));
                        }
                    }
                } else {
                    match &*r {
                        "lt" => "<".to_owned(),
                        "gt" => ">".to_owned(),
                        "amp" => "&".to_owned(),
                        "apos" => "'".to_owned(),
                        "quot" => "\"".to_owned(),
                        other => {
                            // Point at the `&` that starts the reference.
                            let start = reader.buffer_position() as usize - other.len() - 2;
                            return Err(ReadError::UnknownEntity {
                                name: other.chars().take(40).collect(),
                                at: position(text, start),
                            });
                        }
                    }
                };
                push_text(&mut stack, &resolved, || {
                    malformed(text, &reader, "a reference outside the root element")
                })?;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(ReadError::MalformedXml {
            at: position(text, text.len()),
            detail: format!("the document ends inside <{}>", open.name),
        });
    }
    root.ok_or_else(|| ReadError::MalformedXml {
        at: position(text, text.len()),
        detail: "no root element".to_owned(),
    })
}

fn push_text(
    stack: &mut [Element],
    content: &str,
    outside: impl FnOnce() -> ReadError,
) -> Result<(), ReadError> {
    match stack.last_mut() {
        Some(parent) => {
            if let Some(Node::Text(last)) = parent.children.last_mut() {
                last.push_str(content);
            } else {
                parent.children.push(Node::Text(content.to_owned()));
            }
            Ok(())
        }
        None if content.trim().is_empty() => Ok(()),
        None => Err(outside()),
    }
}

fn malformed(text: &str, reader: &Reader<&[u8]>, detail: &str) -> ReadError {
    ReadError::MalformedXml {
        at: position(text, reader.buffer_position() as usize),
        detail: detail.to_owned(),
    }
}

fn element(
    start: &BytesStart<'_>,
    text: &str,
    reader: &Reader<&[u8]>,
) -> Result<Element, ReadError> {
    let (name, prefix) = split_name(start.name().as_ref());
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| malformed(text, reader, &e.to_string()))?;
        let (key, _) = split_name(attr.key.as_ref());
        let value =
            attr.normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| match e {
                    quick_xml::Error::Escape(
                        quick_xml::escape::EscapeError::UnrecognizedEntity(_, name),
                    ) => ReadError::UnknownEntity {
                        name: name.chars().take(40).collect(),
                        at: position(text, reader.buffer_position() as usize),
                    },
                    other => malformed(text, reader, &other.to_string()),
                })?;
        let key = if attr.key.as_ref() == "xml:lang" {
            "xml:lang".to_owned()
        } else {
            key
        };
        attrs.push((key, value.into_owned()));
    }
    Ok(Element {
        prefix,
        name,
        attrs,
        children: Vec::new(),
    })
}

fn split_name(qname: &str) -> (String, Option<String>) {
    match qname.split_once(':') {
        Some((prefix, local)) => (local.to_owned(), Some(prefix.to_owned())),
        None => (qname.to_owned(), None),
    }
}

/// "line L, column C" for a byte offset into `text`.
pub(crate) fn position(text: &str, offset: usize) -> String {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_with_text_cdata_and_references() {
        let root = parse(
            "<?xml version=\"1.0\"?><a x=\"1 &amp; 2\"><b>one &amp; <![CDATA[<two>]]>&#33;</b><c:d/></a>",
        )
        .unwrap();
        assert_eq!(root.name, "a");
        assert_eq!(root.attr("x"), Some("1 & 2"));
        assert_eq!(root.child_text("b").as_deref(), Some("one & <two>!"));
        let d = root.child("d").unwrap();
        assert_eq!(d.prefix.as_deref(), Some("c"));
    }

    #[test]
    fn positions_are_lines_and_columns() {
        assert_eq!(position("ab\ncd", 4), "line 2, column 2");
        assert_eq!(position("", 0), "line 1, column 1");
    }
}
