//! The streaming reader: XML events in, [`Record`]s out, one record in memory at a time.
//!
//! The reader keeps a stack of open elements (at most [`Limits::max_depth`]), the record being
//! built and the text of the field being read. quick-xml reads each event into one reused
//! buffer, fed by a [`Source`] that allows one event [`Limits::max_field_bytes`] (plus room for
//! its markup), so neither a long field nor a long file makes memory grow.
//!
//! Namespaces are taken from the root element's declarations (WordPress declares them all
//! there): elements are matched by namespace, whatever prefix the file chose.

use std::collections::{HashSet, VecDeque};
use std::io::BufRead;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use crate::error::{Position, WxrError};
use crate::model::{
    Author, Comment, CommentApproval, CommentKind, Item, ItemTerm, PostStatus, PostType, Record,
    Site, Taxonomy, Term, TimeBasis,
};
use crate::source::Source;
use crate::text::{decode_entities, decode_slug};

/// The bounds on what one record may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest text field (an item's content, a meta value…), in bytes.
    pub max_field_bytes: usize,
    /// The most meta entries one item, term or comment may have.
    pub max_meta: usize,
    /// The most comments one item may have.
    pub max_comments: usize,
    /// The most terms (categories, tags…) one item may name.
    pub max_item_terms: usize,
    /// The largest record, all its fields together, in bytes.
    pub max_record_bytes: usize,
    /// How deep elements may nest (a WXR file needs six).
    pub max_depth: usize,
    /// The most distinct terms the header may hold (the reader remembers each one's taxonomy
    /// and slug until the first item, to leave out the repeats).
    pub max_terms: usize,
}

/// 8 MiB.
pub const MAX_FIELD_BYTES: usize = 8 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_field_bytes: MAX_FIELD_BYTES,
            max_meta: 5_000,
            max_comments: 20_000,
            max_item_terms: 2_000,
            max_record_bytes: 64 * 1024 * 1024,
            max_depth: 32,
            max_terms: 1_000_000,
        }
    }
}

/// How to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadOptions {
    /// The site's time zone, when the caller knows it (WordPress does not export it). Local
    /// dates without a GMT twin (drafts) are read in it; without it, at the offset learned from
    /// earlier items ([`TimeBasis::LearnedOffset`]).
    pub time_zone: Option<chrono_tz::Tz>,
    pub limits: Limits,
}

/// Reads a WXR file as a stream of records, with the default [`ReadOptions`].
pub fn read<R: BufRead>(reader: R) -> Reader<R> {
    read_with(reader, ReadOptions::default())
}

/// Reads a WXR file as a stream of records.
pub fn read_with<R: BufRead>(reader: R, options: ReadOptions) -> Reader<R> {
    // Room for a field's markup: `<![CDATA[`, `]]>`, a tag's attributes.
    let event_limit = options.limits.max_field_bytes.saturating_add(4096);
    let mut xml = quick_xml::Reader::from_reader(Source::new(reader, event_limit));
    let config = xml.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;
    Reader {
        xml,
        buf: Vec::new(),
        options,
        namespaces: Vec::new(),
        stack: Vec::new(),
        root_done: false,
        site: Site::default(),
        site_sent: false,
        record: Building::Nothing,
        text: String::new(),
        seen_terms: Some(HashSet::new()),
        learned_offset: None,
        record_bytes: 0,
        skipping: false,
        queue: VecDeque::new(),
        finished: false,
        peak: 0,
    }
}

/// The records of a WXR file, in file order: [`Record::Site`] first, then authors, terms and
/// items. After an error for which [`WxrError::is_fatal`] is true, the iterator ends; after
/// any other, it goes on with the next record.
pub struct Reader<R> {
    xml: quick_xml::Reader<Source<R>>,
    buf: Vec<u8>,
    options: ReadOptions,
    /// Prefixes the root declared, and what they stand for.
    namespaces: Vec<(String, Ns)>,
    stack: Vec<Open>,
    root_done: bool,
    site: Site,
    site_sent: bool,
    record: Building,
    /// The text of the innermost element being read.
    text: String,
    /// (taxonomy, raw slug) of the terms given so far; dropped at the first item.
    seen_terms: Option<HashSet<(String, String)>>,
    learned_offset: Option<FixedOffset>,
    /// Bytes held by the record being built.
    record_bytes: usize,
    /// Whether the rest of the current item is being skipped after an error in it.
    skipping: bool,
    queue: VecDeque<Result<Record, WxrError>>,
    finished: bool,
    peak: usize,
}

/// What a namespace prefix stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    /// No prefix: RSS's own elements.
    Rss,
    Wp,
    Content,
    Excerpt,
    Dc,
    Other,
}

#[derive(Debug)]
struct Open {
    ns: Ns,
    local: String,
    /// The name as written, for messages.
    qname: String,
    at: Position,
}

impl Open {
    fn is(&self, ns: Ns, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
}

enum Building {
    Nothing,
    Author(Author),
    Term(Box<TermFields>),
    Item(Box<ItemFields>),
}

#[derive(Default)]
struct TermFields {
    /// `category`, `tag` or `term`: which header element.
    element: String,
    taxonomy: String,
    term_id: String,
    slug: String,
    parent: String,
    name: String,
    description: String,
    meta: Vec<(String, String)>,
    meta_entry: (String, String),
}

#[derive(Default)]
struct ItemFields {
    post_id: String,
    post_type: String,
    title: String,
    slug: String,
    link: String,
    guid: String,
    guid_is_permalink: bool,
    status: String,
    post_date: String,
    post_date_gmt: String,
    post_modified: String,
    post_modified_gmt: String,
    author: String,
    excerpt: String,
    content: String,
    password: String,
    sticky: String,
    parent: String,
    menu_order: String,
    comment_status: String,
    ping_status: String,
    attachment_url: Option<String>,
    terms: Vec<ItemTerm>,
    /// The attributes of the `<category>` being read: domain and nicename.
    term_attrs: (String, String),
    meta: Vec<(String, String)>,
    meta_entry: (String, String),
    comments: Vec<Comment>,
    comment: Option<CommentFields>,
    at: Position,
}

#[derive(Default)]
struct CommentFields {
    id: String,
    author: String,
    author_email: String,
    author_url: String,
    author_ip: String,
    date: String,
    date_gmt: String,
    content: String,
    approved: String,
    kind: String,
    parent: String,
    user_id: String,
    meta: Vec<(String, String)>,
    meta_entry: (String, String),
    at: Position,
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Record, WxrError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(next) = self.queue.pop_front() {
                return Some(next);
            }
            if self.finished {
                return None;
            }
            if let Err(error) = self.step() {
                if error.is_fatal() {
                    self.finished = true;
                    self.record = Building::Nothing;
                } else {
                    // The record is left out; inside an item, so is the rest of it.
                    self.record = Building::Nothing;
                    self.record_bytes = 0;
                    self.skipping = self.stack.len() > 2;
                }
                self.queue.push_back(Err(error));
            }
        }
    }
}

impl<R: BufRead> Reader<R> {
    /// The most bytes the reader has held at once so far: its read buffer, the event being
    /// parsed, the record being built and the text of the field being read. It depends on the
    /// largest record, not on the file's size.
    pub fn peak_buffered_bytes(&self) -> usize {
        self.peak
    }

    /// The bytes the reader holds now (see [`Reader::peak_buffered_bytes`]).
    pub fn buffered_bytes(&self) -> usize {
        self.xml.get_ref().buffer_bytes()
            + self.buf.capacity()
            + self.text.capacity()
            + self.record_bytes
    }

    /// Where the reader is in the file.
    pub fn position(&self) -> Position {
        self.xml.get_ref().position()
    }

    /// Reads one XML event.
    fn step(&mut self) -> Result<(), WxrError> {
        self.xml.get_mut().new_event();
        let at = self.xml.get_ref().position();
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let result = match self.xml.read_event_into(&mut buf) {
            Ok(event) => self.event(event, at),
            Err(error) => Err(self.xml_error(error, at)),
        };
        self.buf = buf;
        self.peak = self.peak.max(self.buffered_bytes());
        result
    }

    fn event(&mut self, event: Event<'_>, at: Position) -> Result<(), WxrError> {
        match event {
            Event::Decl(decl) => {
                if let Some(Ok(encoding)) = decl.encoding() {
                    let label = encoding.trim().to_ascii_lowercase();
                    if !matches!(label.as_str(), "utf-8" | "utf8" | "us-ascii" | "ascii") {
                        return Err(WxrError::UnsupportedEncoding {
                            encoding: encoding.chars().take(40).collect(),
                        });
                    }
                }
                Ok(())
            }
            Event::DocType(doctype) => {
                let content = doctype.xml10_content();
                if content
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("html")
                {
                    return Err(WxrError::NotWxr {
                        reason: "an HTML page".to_owned(),
                    });
                }
                Err(WxrError::DoctypeRefused { at })
            }
            Event::Start(start) => self.start(&start, at),
            Event::Empty(start) => {
                let started = self.start(&start, at);
                if self.stack.is_empty() {
                    return started;
                }
                let ended = self.end(at);
                started.and(ended)
            }
            Event::End(_) => self.end(at),
            Event::Text(text) => self.push_text(&text.xml10_content(), at),
            Event::CData(cdata) => self.push_text(&cdata.xml10_content(), at),
            Event::GeneralRef(reference) => {
                let resolved = if reference.is_char_ref() {
                    match reference.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        _ => {
                            return Err(WxrError::MalformedXml {
                                at,
                                detail: format!(
                                    "a bad character reference &{};",
                                    truncate(&reference, 40)
                                ),
                            });
                        }
                    }
                } else {
                    match &*reference {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => {
                            return Err(WxrError::UnknownEntity {
                                name: truncate(other, 40),
                                at,
                            });
                        }
                    }
                };
                self.push_text(resolved.encode_utf8(&mut [0; 4]), at)
            }
            Event::Comment(_) | Event::PI(_) => Ok(()),
            Event::Eof => self.eof(at),
        }
    }

    fn xml_error(&self, error: quick_xml::Error, at: Position) -> WxrError {
        let source = self.xml.get_ref();
        let inside = self
            .stack
            .last()
            .map_or_else(|| "the file".to_owned(), |open| open.qname.clone());
        match error {
            quick_xml::Error::Io(_) if source.over_budget => WxrError::FieldTooLarge {
                field: inside,
                max: self.options.limits.max_field_bytes,
                at,
            },
            quick_xml::Error::Io(e) => WxrError::Io {
                detail: e.to_string(),
            },
            // Cut in the middle of a character, or of markup.
            quick_xml::Error::Encoding(_) | quick_xml::Error::Syntax(_)
                if source.eof && !self.stack.is_empty() =>
            {
                WxrError::Truncated { inside, at }
            }
            quick_xml::Error::Encoding(_) => WxrError::NotUtf8 { at },
            other => WxrError::MalformedXml {
                at,
                detail: other.to_string(),
            },
        }
    }

    fn eof(&mut self, at: Position) -> Result<(), WxrError> {
        if let Some(open) = self.stack.last() {
            return Err(WxrError::Truncated {
                inside: open.qname.clone(),
                at,
            });
        }
        if !self.root_done {
            return Err(WxrError::NotWxr {
                reason: "the file is empty".to_owned(),
            });
        }
        if !self.site_sent {
            return Err(WxrError::NotWxr {
                reason: "an RSS file without a <channel>".to_owned(),
            });
        }
        self.finished = true;
        Ok(())
    }

    fn namespace(&self, prefix: Option<&str>) -> Ns {
        match prefix {
            None => Ns::Rss,
            Some(prefix) => self
                .namespaces
                .iter()
                .find(|(p, _)| p == prefix)
                .map_or(Ns::Other, |(_, ns)| *ns),
        }
    }

    fn start(&mut self, start: &BytesStart<'_>, at: Position) -> Result<(), WxrError> {
        let qname = start.name();
        let qname: &str = qname.as_ref();
        let (prefix, local) = match qname.split_once(':') {
            Some((prefix, local)) => (Some(prefix), local),
            None => (None, qname),
        };
        if self.root_done {
            return Err(WxrError::MalformedXml {
                at,
                detail: "an element after the root element".to_owned(),
            });
        }
        let depth = self.stack.len();
        if depth >= self.options.limits.max_depth {
            return Err(WxrError::TooDeep {
                max: self.options.limits.max_depth,
                at,
            });
        }
        if depth == 0 {
            self.root(start, local, at)?;
        }
        let open = Open {
            ns: self.namespace(prefix),
            local: local.to_owned(),
            qname: truncate(qname, 60),
            at,
        };
        self.text.clear();
        let in_channel = depth == 2 && self.stack[1].is(Ns::Rss, "channel");
        let result = match depth {
            _ if self.skipping => Ok(()),
            2 if in_channel => self.begin_record(&open, at),
            3 => self.begin_field(start, &open, at),
            4 => {
                self.begin_subfield(&open);
                Ok(())
            }
            _ => Ok(()),
        };
        // Pushed whatever happened, so that the end tag finds it.
        self.stack.push(open);
        result
    }

    /// Checks the root: an `<rss>` that declares WordPress's export namespace.
    fn root(&mut self, start: &BytesStart<'_>, local: &str, at: Position) -> Result<(), WxrError> {
        if local != "rss" {
            let reason = match local.to_ascii_lowercase().as_str() {
                "html" => "an HTML page".to_owned(),
                "feed" => "an Atom feed".to_owned(),
                _ => format!("the root element is <{}>, not <rss>", truncate(local, 40)),
            };
            return Err(WxrError::NotWxr { reason });
        }
        for attr in start.attributes() {
            let attr = attr.map_err(|e| WxrError::MalformedXml {
                at,
                detail: e.to_string(),
            })?;
            let key: &str = attr.key.as_ref();
            let Some(prefix) = key.strip_prefix("xmlns:") else {
                continue;
            };
            let uri = attr.value.trim();
            let ns =
                if uri.starts_with("http://wordpress.org/export/") && uri.ends_with("/excerpt/") {
                    Ns::Excerpt
                } else if uri.starts_with("http://wordpress.org/export/") {
                    Ns::Wp
                } else if uri == "http://purl.org/rss/1.0/modules/content/" {
                    Ns::Content
                } else if uri == "http://purl.org/dc/elements/1.1/" {
                    Ns::Dc
                } else {
                    Ns::Other
                };
            self.namespaces.push((prefix.to_owned(), ns));
        }
        if !self.namespaces.iter().any(|(_, ns)| *ns == Ns::Wp) {
            return Err(WxrError::NotWxr {
                reason: "an RSS feed without WordPress's export namespace".to_owned(),
            });
        }
        Ok(())
    }

    /// Sends the site record before the first other record.
    fn send_site(&mut self) -> Result<(), WxrError> {
        if self.site_sent {
            return Ok(());
        }
        if self.site.wxr_version.is_empty() {
            return Err(WxrError::NotWxr {
                reason: "the channel has no <wp:wxr_version>".to_owned(),
            });
        }
        self.site_sent = true;
        self.queue
            .push_back(Ok(Record::Site(std::mem::take(&mut self.site))));
        Ok(())
    }

    /// A child of `<channel>` starts.
    fn begin_record(&mut self, open: &Open, at: Position) -> Result<(), WxrError> {
        let record = match (open.ns, open.local.as_str()) {
            (Ns::Wp, "author") => Building::Author(Author::default()),
            (Ns::Wp, element @ ("category" | "tag" | "term")) => {
                Building::Term(Box::new(TermFields {
                    element: element.to_owned(),
                    ..TermFields::default()
                }))
            }
            (Ns::Rss, "item") => {
                self.seen_terms = None;
                Building::Item(Box::new(ItemFields {
                    at,
                    ..ItemFields::default()
                }))
            }
            _ => return Ok(()),
        };
        self.send_site()?;
        self.record = record;
        self.record_bytes = 0;
        Ok(())
    }

    /// A child of a record starts.
    fn begin_field(
        &mut self,
        start: &BytesStart<'_>,
        open: &Open,
        at: Position,
    ) -> Result<(), WxrError> {
        let limits = self.options.limits;
        let Building::Item(item) = &mut self.record else {
            return Ok(());
        };
        match (open.ns, open.local.as_str()) {
            (Ns::Rss, "category") => {
                let mut domain = String::new();
                let mut nicename = String::new();
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| WxrError::MalformedXml {
                        at,
                        detail: e.to_string(),
                    })?;
                    let value = attribute_value(&attr, at)?;
                    match attr.key.as_ref() {
                        "domain" => domain = value,
                        "nicename" => nicename = value,
                        _ => {}
                    }
                }
                item.term_attrs = (domain, nicename);
            }
            (Ns::Rss, "guid") => {
                for attr in start.attributes().flatten() {
                    if attr.key.as_ref() == "isPermaLink" {
                        item.guid_is_permalink = attr.value.trim() == "true";
                    }
                }
            }
            (Ns::Wp, "comment") => {
                if item.comments.len() >= limits.max_comments {
                    return Err(WxrError::TooMany {
                        what: "comments",
                        max: limits.max_comments,
                        post_id: item_label(item),
                        at,
                    });
                }
                item.comment = Some(CommentFields {
                    at,
                    ..CommentFields::default()
                });
            }
            (Ns::Wp, "postmeta") => item.meta_entry = Default::default(),
            _ => {}
        }
        Ok(())
    }

    /// A grandchild of a record starts.
    fn begin_subfield(&mut self, open: &Open) {
        if let Building::Item(item) = &mut self.record
            && let Some(comment) = &mut item.comment
            && open.is(Ns::Wp, "commentmeta")
        {
            comment.meta_entry = Default::default();
        }
    }

    fn push_text(&mut self, text: &str, at: Position) -> Result<(), WxrError> {
        if self.skipping || self.stack.len() < 3 {
            return Ok(());
        }
        let max = self.options.limits.max_field_bytes;
        if self.text.len() + text.len() > max {
            let field = self
                .stack
                .last()
                .map_or_else(String::new, |open| open.qname.clone());
            return Err(WxrError::FieldTooLarge { field, max, at });
        }
        self.text.push_str(text);
        Ok(())
    }

    fn end(&mut self, at: Position) -> Result<(), WxrError> {
        let Some(open) = self.stack.pop() else {
            return Err(WxrError::MalformedXml {
                at,
                detail: "an end tag without a start".to_owned(),
            });
        };
        let depth = self.stack.len();
        let text = std::mem::take(&mut self.text);
        if self.skipping {
            if depth <= 2 {
                self.skipping = false;
            }
            return Ok(());
        }
        match depth {
            0 => self.root_done = true,
            1 if open.is(Ns::Rss, "channel") => self.send_site()?,
            2 if self.stack[1].is(Ns::Rss, "channel") => self.end_record(&open, text)?,
            3 => self.end_field(&open, text, at)?,
            4 => self.end_subfield(&open, text, at)?,
            5 => self.end_comment_meta(&open, text),
            _ => {}
        }
        Ok(())
    }

    /// Counts a field's bytes against the record's bound.
    fn hold(&mut self, bytes: usize, at: Position) -> Result<(), WxrError> {
        self.record_bytes += bytes;
        let max = self.options.limits.max_record_bytes;
        if self.record_bytes > max {
            let post_id = match &self.record {
                Building::Item(item) => item_label(item),
                _ => "?".to_owned(),
            };
            return Err(WxrError::RecordTooLarge { post_id, max, at });
        }
        Ok(())
    }

    /// A child of `<channel>` ends: a site field, or a whole record.
    fn end_record(&mut self, open: &Open, text: String) -> Result<(), WxrError> {
        let site = &mut self.site;
        match (open.ns, open.local.as_str()) {
            (Ns::Rss, "title") if !self.site_sent => {
                site.title = decode_entities(text.trim()).into_owned();
            }
            (Ns::Rss, "link") if !self.site_sent => site.link = text.trim().to_owned(),
            (Ns::Rss, "description") if !self.site_sent => {
                site.description = decode_entities(text.trim()).into_owned();
            }
            (Ns::Rss, "language") if !self.site_sent => site.language = text.trim().to_owned(),
            (Ns::Wp, "wxr_version") if !self.site_sent => {
                site.wxr_version = text.trim().to_owned();
            }
            (Ns::Wp, "base_site_url") if !self.site_sent => {
                site.base_site_url = text.trim().to_owned();
            }
            (Ns::Wp, "base_blog_url") if !self.site_sent => {
                site.base_blog_url = text.trim().to_owned();
            }
            _ => {}
        }
        let record = std::mem::replace(&mut self.record, Building::Nothing);
        self.record_bytes = 0;
        match record {
            Building::Nothing => {}
            Building::Author(author) => self.queue.push_back(Ok(Record::Author(author))),
            Building::Term(term) => {
                if let Some(term) = self.finish_term(*term, open.at)? {
                    self.queue.push_back(Ok(Record::Term(term)));
                }
            }
            Building::Item(item) => {
                let item = self.finish_item(*item)?;
                self.queue.push_back(Ok(Record::Item(Box::new(item))));
            }
        }
        Ok(())
    }

    /// A child of a record ends.
    fn end_field(&mut self, open: &Open, text: String, at: Position) -> Result<(), WxrError> {
        self.hold(text.len(), at)?;
        let limits = self.options.limits;
        match &mut self.record {
            Building::Nothing => {}
            Building::Author(author) => {
                if open.ns != Ns::Wp {
                    return Ok(());
                }
                match open.local.as_str() {
                    "author_id" => author.id = number(&text, "wp:author_id", open.at)?.unwrap_or(0),
                    "author_login" => author.login = text,
                    "author_email" => author.email = text,
                    "author_display_name" => {
                        author.display_name = decode_entities(&text).into_owned();
                    }
                    "author_first_name" => author.first_name = decode_entities(&text).into_owned(),
                    "author_last_name" => author.last_name = decode_entities(&text).into_owned(),
                    _ => {}
                }
            }
            Building::Term(term) => {
                if open.ns != Ns::Wp {
                    return Ok(());
                }
                match open.local.as_str() {
                    "term_id" => term.term_id = text,
                    "term_taxonomy" => term.taxonomy = text,
                    "category_nicename" | "tag_slug" | "term_slug" => term.slug = text,
                    "category_parent" | "term_parent" => term.parent = text,
                    "cat_name" | "tag_name" | "term_name" => term.name = text,
                    "category_description" | "tag_description" | "term_description" => {
                        term.description = text;
                    }
                    "termmeta" => {
                        if term.meta.len() >= limits.max_meta {
                            return Err(WxrError::TooMany {
                                what: "term meta entries",
                                max: limits.max_meta,
                                post_id: format!("term {}", term.slug),
                                at: open.at,
                            });
                        }
                        let entry = std::mem::take(&mut term.meta_entry);
                        term.meta.push(entry);
                    }
                    _ => {}
                }
            }
            Building::Item(item) => match (open.ns, open.local.as_str()) {
                (Ns::Rss, "title") => item.title = text,
                (Ns::Rss, "link") => item.link = text.trim().to_owned(),
                (Ns::Rss, "guid") => item.guid = text.trim().to_owned(),
                (Ns::Rss, "category") => {
                    if item.terms.len() >= limits.max_item_terms {
                        return Err(WxrError::TooMany {
                            what: "terms",
                            max: limits.max_item_terms,
                            post_id: item_label(item),
                            at: open.at,
                        });
                    }
                    let (domain, nicename) = std::mem::take(&mut item.term_attrs);
                    // RSS readers' plain `<category>` without a domain is a category.
                    let taxonomy = if domain.is_empty() {
                        Taxonomy::Category
                    } else {
                        Taxonomy::parse(&domain)
                    };
                    item.terms.push(ItemTerm {
                        taxonomy,
                        slug: decode_slug(&nicename),
                        raw_slug: nicename,
                        name: decode_entities(text.trim()).into_owned(),
                    });
                }
                (Ns::Dc, "creator") => item.author = text.trim().to_owned(),
                (Ns::Content, "encoded") => item.content = text,
                (Ns::Excerpt, "encoded") => item.excerpt = text,
                (Ns::Wp, field) => match field {
                    "post_id" => item.post_id = text,
                    "post_date" => item.post_date = text,
                    "post_date_gmt" => item.post_date_gmt = text,
                    "post_modified" => item.post_modified = text,
                    "post_modified_gmt" => item.post_modified_gmt = text,
                    "comment_status" => item.comment_status = text,
                    "ping_status" => item.ping_status = text,
                    "post_name" => item.slug = text,
                    "status" => item.status = text,
                    "post_parent" => item.parent = text,
                    "menu_order" => item.menu_order = text,
                    "post_type" => item.post_type = text,
                    "post_password" => item.password = text,
                    "is_sticky" => item.sticky = text,
                    "attachment_url" => item.attachment_url = Some(text.trim().to_owned()),
                    "postmeta" => {
                        if item.meta.len() >= limits.max_meta {
                            return Err(WxrError::TooMany {
                                what: "meta entries",
                                max: limits.max_meta,
                                post_id: item_label(item),
                                at: open.at,
                            });
                        }
                        let entry = std::mem::take(&mut item.meta_entry);
                        item.meta.push(entry);
                    }
                    "comment" => {
                        if let Some(comment) = item.comment.take() {
                            let comment = finish_comment(comment)?;
                            item.comments.push(comment);
                        }
                    }
                    _ => {}
                },
                _ => {}
            },
        }
        Ok(())
    }

    /// A grandchild of a record ends: a meta key or value, or a comment's field.
    fn end_subfield(&mut self, open: &Open, text: String, at: Position) -> Result<(), WxrError> {
        self.hold(text.len(), at)?;
        let limits = self.options.limits;
        if open.ns != Ns::Wp {
            return Ok(());
        }
        match &mut self.record {
            Building::Term(term) => match open.local.as_str() {
                "meta_key" => term.meta_entry.0 = text,
                "meta_value" => term.meta_entry.1 = text,
                _ => {}
            },
            Building::Item(item) => {
                if let Some(comment) = &mut item.comment {
                    match open.local.as_str() {
                        "comment_id" => comment.id = text,
                        "comment_author" => comment.author = text,
                        "comment_author_email" => comment.author_email = text,
                        "comment_author_url" => comment.author_url = text.trim().to_owned(),
                        "comment_author_IP" => comment.author_ip = text,
                        "comment_date" => comment.date = text,
                        "comment_date_gmt" => comment.date_gmt = text,
                        "comment_content" => comment.content = text,
                        "comment_approved" => comment.approved = text,
                        "comment_type" => comment.kind = text,
                        "comment_parent" => comment.parent = text,
                        "comment_user_id" => comment.user_id = text,
                        "commentmeta" => {
                            if comment.meta.len() >= limits.max_meta {
                                return Err(WxrError::TooMany {
                                    what: "comment meta entries",
                                    max: limits.max_meta,
                                    post_id: item_label(item),
                                    at: open.at,
                                });
                            }
                            let entry = std::mem::take(&mut comment.meta_entry);
                            comment.meta.push(entry);
                        }
                        _ => {}
                    }
                } else {
                    match open.local.as_str() {
                        "meta_key" => item.meta_entry.0 = text,
                        "meta_value" => item.meta_entry.1 = text,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn end_comment_meta(&mut self, open: &Open, text: String) {
        if let Building::Item(item) = &mut self.record
            && let Some(comment) = &mut item.comment
            && open.ns == Ns::Wp
        {
            self.record_bytes += text.len();
            match open.local.as_str() {
                "meta_key" => comment.meta_entry.0 = text,
                "meta_value" => comment.meta_entry.1 = text,
                _ => {}
            }
        }
    }

    /// The term, or `None` when the same (taxonomy, slug) came before.
    fn finish_term(&mut self, fields: TermFields, at: Position) -> Result<Option<Term>, WxrError> {
        let taxonomy = match fields.element.as_str() {
            "category" => "category".to_owned(),
            "tag" => "post_tag".to_owned(),
            _ => fields.taxonomy.trim().to_owned(),
        };
        let raw_slug = fields.slug.trim().to_owned();
        if let Some(seen) = &mut self.seen_terms {
            if !seen.insert((taxonomy.clone(), raw_slug.clone())) {
                return Ok(None);
            }
            if seen.len() > self.options.limits.max_terms {
                return Err(WxrError::TooMany {
                    what: "terms in the header",
                    max: self.options.limits.max_terms,
                    post_id: "(the header)".to_owned(),
                    at,
                });
            }
        }
        let parent = fields.parent.trim();
        Ok(Some(Term {
            taxonomy: Taxonomy::parse(&taxonomy),
            term_id: number(&fields.term_id, "wp:term_id", at)?.unwrap_or(0),
            slug: decode_slug(&raw_slug),
            raw_slug,
            name: decode_entities(fields.name.trim()).into_owned(),
            parent: (!parent.is_empty()).then(|| decode_slug(parent)),
            description: fields.description,
            meta: fields.meta,
        }))
    }

    fn finish_item(&mut self, fields: ItemFields) -> Result<Item, WxrError> {
        let at = fields.at;
        let Some(post_id) = number(&fields.post_id, "wp:post_id", at)? else {
            return Err(WxrError::MissingField {
                record: "an item",
                field: "wp:post_id",
                at,
            });
        };
        let post_date = parse_date(&fields.post_date);
        let post_date_gmt = parse_date(&fields.post_date_gmt);
        let post_modified = parse_date(&fields.post_modified);
        let post_modified_gmt = parse_date(&fields.post_modified_gmt);
        if let (Some(local), Some(gmt)) = (post_date, post_date_gmt)
            && let Some(offset) = offset_between(local, gmt)
        {
            self.learned_offset = Some(offset);
        }
        let (published_at, published_from) = self.utc(post_date, post_date_gmt);
        let (modified_at, modified_from) = self.utc(post_modified, post_modified_gmt);
        let raw_slug = fields.slug.trim().to_owned();
        let menu_order = match fields.menu_order.trim() {
            "" => 0,
            order => order.parse().map_err(|_| WxrError::InvalidField {
                field: "wp:menu_order".to_owned(),
                value: truncate(order, 40),
                expected: "a number",
                at,
            })?,
        };
        Ok(Item {
            post_id,
            post_type: PostType::parse(fields.post_type.trim()),
            title: fields.title,
            slug: decode_slug(&raw_slug),
            raw_slug,
            link: fields.link,
            guid: fields.guid,
            guid_is_permalink: fields.guid_is_permalink,
            status: PostStatus::parse(fields.status.trim()),
            post_date,
            post_date_gmt,
            published_at,
            published_from,
            post_modified,
            post_modified_gmt,
            modified_at,
            modified_from,
            author: fields.author,
            excerpt: fields.excerpt,
            content: fields.content,
            password: fields.password,
            sticky: fields.sticky.trim() == "1",
            parent_id: number(&fields.parent, "wp:post_parent", at)?.filter(|id| *id > 0),
            menu_order,
            comment_status: fields.comment_status.trim().to_owned(),
            ping_status: fields.ping_status.trim().to_owned(),
            attachment_url: fields.attachment_url.filter(|u| !u.is_empty()),
            terms: fields.terms,
            meta: fields.meta,
            comments: fields.comments,
        })
    }

    /// A UTC time from a GMT date, or from a local one at the site's offset.
    fn utc(
        &self,
        local: Option<NaiveDateTime>,
        gmt: Option<NaiveDateTime>,
    ) -> (Option<DateTime<Utc>>, TimeBasis) {
        if let Some(gmt) = gmt {
            return (Some(gmt.and_utc()), TimeBasis::Gmt);
        }
        let Some(local) = local else {
            return (None, TimeBasis::None);
        };
        if let Some(zone) = self.options.time_zone {
            // A local time that a clock change skipped or repeated: the earlier reading.
            let zoned = zone.from_local_datetime(&local).earliest().or_else(|| {
                zone.from_local_datetime(&(local + chrono::Duration::hours(1)))
                    .earliest()
            });
            if let Some(zoned) = zoned {
                return (
                    Some(zoned.with_timezone(&Utc)),
                    TimeBasis::SiteTimeZone(zoned.offset().fix()),
                );
            }
        }
        if let Some(offset) = self.learned_offset
            && let Some(zoned) = offset.from_local_datetime(&local).single()
        {
            return (
                Some(zoned.with_timezone(&Utc)),
                TimeBasis::LearnedOffset(offset),
            );
        }
        (None, TimeBasis::None)
    }
}

fn attribute_value(
    attr: &quick_xml::events::attributes::Attribute<'_>,
    at: Position,
) -> Result<String, WxrError> {
    attr.normalized_value(XmlVersion::Implicit1_0)
        .map(|v| v.into_owned())
        .map_err(|e| match e {
            quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(
                _,
                name,
            )) => WxrError::UnknownEntity {
                name: truncate(&name, 40),
                at,
            },
            other => WxrError::MalformedXml {
                at,
                detail: other.to_string(),
            },
        })
}

fn finish_comment(fields: CommentFields) -> Result<Comment, WxrError> {
    let at = fields.at;
    Ok(Comment {
        id: number(&fields.id, "wp:comment_id", at)?.unwrap_or(0),
        parent_id: number(&fields.parent, "wp:comment_parent", at)?.filter(|id| *id > 0),
        author: fields.author,
        author_email: fields.author_email,
        author_url: fields.author_url,
        author_ip: fields.author_ip,
        date: parse_date(&fields.date),
        date_gmt: parse_date(&fields.date_gmt).map(|d| d.and_utc()),
        content: fields.content,
        approved: CommentApproval::parse(fields.approved.trim()),
        kind: CommentKind::parse(fields.kind.trim()),
        user_id: number(&fields.user_id, "wp:comment_user_id", at)?.filter(|id| *id > 0),
        meta: fields.meta,
    })
}

/// A number field: `None` when empty, an error when not a number.
fn number(text: &str, field: &str, at: Position) -> Result<Option<u64>, WxrError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| WxrError::InvalidField {
        field: field.to_owned(),
        value: truncate(text, 40),
        expected: "a number",
        at,
    })
}

/// WordPress's `Y-m-d H:i:s`; the zero date MySQL keeps for "none", and anything that is not a
/// date, read as none.
fn parse_date(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    if text.is_empty() || text.starts_with("0000-00-00") {
        return None;
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()
}

/// The offset of a local time from its GMT twin, if it is one a place could have.
fn offset_between(local: NaiveDateTime, gmt: NaiveDateTime) -> Option<FixedOffset> {
    let seconds = (local - gmt).num_seconds();
    if seconds.abs() > 14 * 3600 || seconds % 60 != 0 {
        return None;
    }
    FixedOffset::east_opt(i32::try_from(seconds).ok()?)
}

fn item_label(item: &ItemFields) -> String {
    if item.post_id.trim().is_empty() {
        "(no id yet)".to_owned()
    } else {
        truncate(item.post_id.trim(), 20)
    }
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_and_the_zero_date_is_none() {
        assert_eq!(
            parse_date("2024-04-16 09:00:00").map(|d| d.to_string()),
            Some("2024-04-16 09:00:00".to_owned())
        );
        assert_eq!(parse_date("0000-00-00 00:00:00"), None);
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn offsets_are_what_places_have() {
        let t = |s| parse_date(s).unwrap();
        assert_eq!(
            offset_between(t("2024-04-16 09:00:00"), t("2024-04-16 04:00:00")),
            FixedOffset::east_opt(5 * 3600)
        );
        assert_eq!(
            offset_between(t("2024-04-16 09:00:00"), t("2024-04-10 04:00:00")),
            None
        );
    }
}
