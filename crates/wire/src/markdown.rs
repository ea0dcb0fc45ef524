//! Sanitised HTML as a Dateline body (CommonMark): what a wire item becomes when the desk turns
//! it into an article.
//!
//! Paragraphs, headings (`h1` becomes `##`, the article's headline being the only `h1`), lists,
//! block quotes, links (http, https and mailto only), strong and emphasis, line breaks and rules
//! keep their structure; every other element keeps its text. Text that Markdown would read as
//! syntax is escaped, so `*`, `_`, `[`, `<`, `&`, a `#` or `1.` at a line's start and a line that
//! reads `::: read-more` (a Dateline block) come out as the characters they were.

use crate::text::{decode_entities, sanitise};

/// Converts HTML (sanitised first, whatever it is) into a Dateline body.
pub fn html_to_body(html: &str) -> String {
    let clean = sanitise(html);
    let mut writer = Writer::default();
    for token in tokenize(&clean) {
        writer.token(token);
    }
    writer.finish()
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    Start { name: String, href: Option<String> },
    End(String),
    Text(String),
}

/// A tokenizer for the HTML the sanitiser writes: well-formed tags, double-quoted attributes,
/// no comments, no scripts.
fn tokenize(html: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        if let Some(tag) = rest.strip_prefix('<') {
            let Some(end) = tag_end(tag) else {
                tokens.push(Token::Text(decode_entities(rest)));
                break;
            };
            let inside = &tag[..end];
            rest = &tag[end + 1..];
            if let Some(name) = inside.strip_prefix('/') {
                tokens.push(Token::End(name.trim().to_ascii_lowercase()));
            } else if inside.starts_with(['!', '?']) {
                continue;
            } else {
                let name_len = inside
                    .find(|c: char| c.is_whitespace() || c == '/')
                    .unwrap_or(inside.len());
                let name = inside[..name_len].to_ascii_lowercase();
                let href = (name == "a")
                    .then(|| attribute(&inside[name_len..], "href"))
                    .flatten();
                tokens.push(Token::Start { name, href });
            }
        } else {
            let len = rest.find('<').unwrap_or(rest.len());
            tokens.push(Token::Text(decode_entities(&rest[..len])));
            rest = &rest[len..];
        }
    }
    tokens
}

/// Where the tag that starts after `<` ends (its `>`), quotes respected.
fn tag_end(tag: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in tag.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn attribute(attrs: &str, wanted: &str) -> Option<String> {
    let mut rest = attrs;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() {
            return None;
        }
        let name_len = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..name_len].to_ascii_lowercase();
        rest = rest[name_len..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            if let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let body = &after[1..];
                let end = body.find(q).unwrap_or(body.len());
                value = decode_entities(&body[..end]);
                rest = body.get(end + 1..).unwrap_or("");
            } else {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                value = decode_entities(&after[..end]);
                rest = &after[end..];
            }
        }
        if name == wanted {
            return Some(value);
        }
    }
}

enum Container {
    /// A block quote, and whether a line has been written in it.
    Quote(bool),
    List {
        ordered: bool,
        next: u64,
    },
    Item {
        marker: String,
        started: bool,
    },
}

enum Mark {
    Strong(usize),
    Em(usize),
    Link(usize, Option<String>),
}

#[derive(Default)]
struct Writer {
    out: String,
    containers: Vec<Container>,
    /// The paragraph being written: Markdown, with `\n` for a line break.
    inline: String,
    marks: Vec<Mark>,
    heading: Option<usize>,
}

const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "aside",
    "nav",
    "figure",
    "figcaption",
    "address",
    "pre",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "caption",
    "dl",
    "dt",
    "dd",
    "details",
    "summary",
    "center",
    "hgroup",
];

impl Writer {
    fn token(&mut self, token: Token) {
        match token {
            Token::Text(text) => self.text(&text),
            Token::Start { name, href } => self.start(&name, href),
            Token::End(name) => self.end(&name),
        }
    }

    fn start(&mut self, name: &str, href: Option<String>) {
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                let level = name[1..].parse::<usize>().unwrap_or(2).max(2);
                self.heading = Some(level);
            }
            "ul" | "ol" => {
                self.flush();
                self.containers.push(Container::List {
                    ordered: name == "ol",
                    next: 1,
                });
            }
            "li" => {
                self.flush();
                if !matches!(self.containers.last(), Some(Container::List { .. })) {
                    self.containers.push(Container::List {
                        ordered: false,
                        next: 1,
                    });
                }
                let marker = match self.containers.last_mut() {
                    Some(Container::List {
                        ordered: true,
                        next,
                    }) => {
                        let marker = format!("{next}. ");
                        *next += 1;
                        marker
                    }
                    _ => "- ".to_owned(),
                };
                self.containers.push(Container::Item {
                    marker,
                    started: false,
                });
            }
            "blockquote" => {
                self.flush();
                self.containers.push(Container::Quote(false));
            }
            "hr" => {
                self.flush();
                self.block(&["***".to_owned()]);
            }
            "br" => {
                if self.heading.is_some() {
                    self.inline.push(' ');
                } else {
                    self.inline.push('\n');
                }
            }
            "strong" | "b" => self.marks.push(Mark::Strong(self.inline.len())),
            "em" | "i" => self.marks.push(Mark::Em(self.inline.len())),
            "a" => {
                let href = href.filter(|h| allowed_link(h));
                self.marks.push(Mark::Link(self.inline.len(), href));
            }
            "td" | "th" => self.inline.push(' '),
            _ if BLOCKS.contains(&name) => self.flush(),
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => self.flush(),
            "ul" | "ol" => {
                self.flush();
                self.pop_to(|c| matches!(c, Container::List { .. }));
            }
            "li" => {
                self.flush();
                self.pop_to(|c| matches!(c, Container::Item { .. }));
            }
            "blockquote" => {
                self.flush();
                self.pop_to(|c| matches!(c, Container::Quote(_)));
            }
            "strong" | "b" => self.close_mark(|m| matches!(m, Mark::Strong(_))),
            "em" | "i" => self.close_mark(|m| matches!(m, Mark::Em(_))),
            "a" => self.close_mark(|m| matches!(m, Mark::Link(..))),
            "td" | "th" => self.inline.push(' '),
            _ if BLOCKS.contains(&name) => self.flush(),
            _ => {}
        }
    }

    fn pop_to(&mut self, is: impl Fn(&Container) -> bool) {
        if let Some(at) = self.containers.iter().rposition(is) {
            self.containers.truncate(at);
        }
    }

    fn close_mark(&mut self, is: impl Fn(&Mark) -> bool) {
        let Some(at) = self.marks.iter().rposition(is) else {
            return;
        };
        let mark = self.marks.remove(at);
        self.marks.truncate(at);
        let (start, open, close) = match mark {
            Mark::Strong(start) => (start, "**".to_owned(), "**".to_owned()),
            Mark::Em(start) => (start, "*".to_owned(), "*".to_owned()),
            Mark::Link(start, Some(href)) => {
                (start, "[".to_owned(), format!("]({})", destination(&href)))
            }
            Mark::Link(_, None) => return,
        };
        if start > self.inline.len() {
            return;
        }
        let content = self.inline.split_off(start);
        let trimmed = content.trim_start();
        let lead = &content[..content.len() - trimmed.len()];
        let trimmed = trimmed.trim_end();
        if trimmed.is_empty() {
            self.inline.push_str(&content);
            return;
        }
        let trail = &content[lead.len() + trimmed.len()..];
        self.inline.push_str(lead);
        self.inline.push_str(&open);
        self.inline.push_str(trimmed);
        self.inline.push_str(&close);
        self.inline.push_str(trail);
    }

    fn text(&mut self, text: &str) {
        let in_heading = self.heading.is_some();
        for c in text.chars() {
            if c.is_ascii_whitespace() {
                if !(self.inline.is_empty() || self.inline.ends_with([' ', '\n'])) {
                    self.inline.push(' ');
                }
                continue;
            }
            if dateline_domain::is_forbidden_char(c) {
                continue;
            }
            if matches!(
                c,
                '\\' | '*' | '_' | '[' | ']' | '`' | '<' | '>' | '&' | '|' | '~'
            ) || (in_heading && c == '#')
            {
                self.inline.push('\\');
            }
            self.inline.push(c);
        }
    }

    /// Ends the paragraph or heading being written.
    fn flush(&mut self) {
        let inline = std::mem::take(&mut self.inline);
        self.marks.clear();
        let heading = self.heading.take();
        let lines: Vec<String> = inline
            .split('\n')
            .map(|l| l.trim_matches(' '))
            .filter(|l| !l.is_empty())
            .map(escape_line_start)
            .collect();
        if lines.is_empty() {
            return;
        }
        match heading {
            Some(level) => {
                let text = lines.join(" ");
                self.block(&[format!("{} {text}", "#".repeat(level))]);
            }
            None => {
                let last = lines.len() - 1;
                let lines: Vec<String> = lines
                    .into_iter()
                    .enumerate()
                    .map(|(i, l)| if i < last { format!("{l}\\") } else { l })
                    .collect();
                self.block(&lines);
            }
        }
    }

    /// Writes a block's lines under the open containers, after a blank line.
    fn block(&mut self, lines: &[String]) {
        if !self.out.is_empty() {
            let blank = self.prefix(false);
            self.out.push_str(blank.trim_end());
            self.out.push('\n');
        }
        for line in lines {
            let prefix = self.prefix(true);
            self.out.push_str(&prefix);
            self.out.push_str(line);
            self.out.push('\n');
        }
    }

    /// The containers' prefix for a line: `> ` for quotes, the item's marker on its first line
    /// (when `content`), spaces of the marker's width after.
    fn prefix(&mut self, content: bool) -> String {
        let mut prefix = String::new();
        for container in &mut self.containers {
            match container {
                Container::Quote(wrote) => {
                    // A blank line before a quote's first block stays outside it.
                    if content || *wrote {
                        prefix.push_str("> ");
                    }
                    *wrote |= content;
                }
                Container::List { .. } => {}
                Container::Item { marker, started } => {
                    if content && !*started {
                        prefix.push_str(marker);
                        *started = true;
                    } else if *started {
                        prefix.push_str(&" ".repeat(marker.len()));
                    }
                }
            }
        }
        prefix
    }

    fn finish(mut self) -> String {
        self.flush();
        let len = self.out.trim_end().len();
        self.out.truncate(len);
        self.out
    }
}

/// Escapes what would make a line a list item, a heading underline, a Dateline block or a
/// quote: `-`, `+`, `=`, `:`, `#` at its start, and `1.` / `1)`.
fn escape_line_start(line: &str) -> String {
    if line.starts_with(['-', '+', '=', ':', '#']) {
        return format!("\\{line}");
    }
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 && line[digits..].starts_with(['.', ')']) {
        return format!("{}\\{}", &line[..digits], &line[digits..]);
    }
    line.to_owned()
}

fn allowed_link(href: &str) -> bool {
    let lower = href.trim().to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len())
}

/// A link destination that Markdown reads as one: spaces, brackets and backslashes
/// percent-encoded.
fn destination(href: &str) -> String {
    let mut out = String::with_capacity(href.len());
    for c in href.trim().chars() {
        match c {
            ' ' => out.push_str("%20"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '\\' => out.push_str("%5C"),
            '`' => out.push_str("%60"),
            c if c.is_control() || c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_becomes_markdown() {
        let body = html_to_body(
            "<h1>Top</h1><p>One <b>bold</b> and <i>it</i>.<br>Next line</p>\
             <ul><li>a</li><li>b</li></ul><ol><li>x</li></ol>\
             <blockquote><p>Quoted</p></blockquote><hr>\
             <p><a href=\"https://example.com/a b\">link</a> <a href=\"javascript:x\">js</a></p>",
        );
        assert_eq!(
            body,
            "## Top\n\nOne **bold** and *it*.\\\nNext line\n\n- a\n\n- b\n\n1. x\n\n> Quoted\n\n***\n\n\
             [link](https://example.com/a%20b) js"
        );
    }

    #[test]
    fn markdown_syntax_in_text_is_escaped() {
        assert_eq!(
            html_to_body("<p>2024. A *star* _under_ [x] `c` &lt;b&gt; a\\b #tag</p>"),
            "2024\\. A \\*star\\* \\_under\\_ \\[x\\] \\`c\\` \\<b\\> a\\\\b #tag"
        );
        assert_eq!(html_to_body("<p># Not a heading</p>"), "\\# Not a heading");
        assert_eq!(
            html_to_body("<p>::: read-more 42</p>"),
            "\\::: read-more 42"
        );
        assert_eq!(html_to_body("<h2>C# #</h2>"), "## C\\# \\#");
    }

    #[test]
    fn emphasis_keeps_spaces_outside_its_markers() {
        assert_eq!(html_to_body("<p>a<b> b </b>c</p>"), "a **b** c");
        assert_eq!(html_to_body("<p>a<b> </b>c</p>"), "a c");
    }

    #[test]
    fn nested_lists_and_quotes_keep_their_prefixes() {
        assert_eq!(
            html_to_body("<blockquote><ul><li><p>one</p><p>two</p></li></ul></blockquote>"),
            "> - one\n>\n>   two"
        );
    }
}
