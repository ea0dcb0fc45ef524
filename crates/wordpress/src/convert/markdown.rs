//! The CommonMark writer for prose: paragraphs, headings, lists, block quotes, code, and inline
//! strong, emphasis, links and code. An `h1` in a body becomes `##`, as in the wire desk's
//! bodies: the article's headline is its only `h1`.
//!
//! Text that Markdown would read as syntax is escaped (`*`, `_`, `[`, `<`, `&`, a `#` or `1.`
//! at a line's start…), so the characters come out as they were written. The writer also keeps
//! a plain account of the paragraph being written (its text and its links), from which the
//! converter recognises "Read More:" paragraphs and bare embed URLs.

use crate::text::is_blank;

/// How deep lists and quotes nest; deeper ones are written at this depth.
const MAX_NESTING: usize = 16;
/// How many inline marks may be open at once; further ones keep only their text.
const MAX_MARKS: usize = 64;

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
    Code(usize),
}

/// The paragraph being written, as plain pieces.
#[derive(Default)]
pub(crate) struct Paragraph {
    pub pieces: Vec<Piece>,
    open_link: Option<(String, String)>,
    /// Something other than text and links (code, an image) was in it.
    pub mixed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    Link { href: String, text: String },
}

impl Paragraph {
    fn push(&mut self, c: char) {
        if let Some((_, text)) = &mut self.open_link {
            text.push(c);
        } else if let Some(Piece::Text(text)) = self.pieces.last_mut() {
            text.push(c);
        } else {
            self.pieces.push(Piece::Text(c.to_string()));
        }
    }

    /// The pieces that are not only whitespace.
    pub fn visible(&self) -> Vec<&Piece> {
        self.pieces
            .iter()
            .filter(|p| match p {
                Piece::Text(t) => !is_blank(t),
                Piece::Link { .. } => true,
            })
            .collect()
    }
}

#[derive(Default)]
pub(crate) struct Markdown {
    out: String,
    containers: Vec<Container>,
    /// The paragraph being written: Markdown, with `\n` for a line break.
    inline: String,
    marks: Vec<Mark>,
    heading: Option<usize>,
    /// Inside `<pre>`: the raw text.
    pre: Option<String>,
    code: usize,
    /// A newline in classic text, written as a line break if more text follows.
    pending_break: bool,
    pub paragraph: Paragraph,
    /// Nesting past [`MAX_NESTING`] that was not written.
    dropped_nesting: usize,
    /// Whether the last block was written inside a list item.
    last_in_item: bool,
}

impl Markdown {
    /// Whether the writer is at the top: not in a list, a quote or a heading.
    pub fn at_top(&self) -> bool {
        self.containers.is_empty() && self.heading.is_none() && self.pre.is_none()
    }

    /// Whether the paragraph being written has nothing in it yet.
    pub fn paragraph_is_empty(&self) -> bool {
        is_blank(&self.inline)
    }

    pub fn in_pre(&self) -> bool {
        self.pre.is_some()
    }

    /// Takes the Markdown written so far. Open lists and quotes stay open; their next line
    /// starts them again (a new Markdown block cannot continue an item begun in another).
    pub fn take(&mut self) -> String {
        for container in &mut self.containers {
            match container {
                Container::Quote(wrote) => *wrote = false,
                Container::Item { started, .. } => *started = false,
                Container::List { .. } => {}
            }
        }
        let len = self.out.trim_end().len();
        self.out.truncate(len);
        self.last_in_item = false;
        std::mem::take(&mut self.out)
    }

    /// Text, entities already decoded. With `newlines`, a newline is a line break (classic
    /// content); otherwise it is a space.
    pub fn text(&mut self, text: &str, newlines: bool) {
        if let Some(pre) = &mut self.pre {
            pre.push_str(text);
            return;
        }
        let in_heading = self.heading.is_some();
        for c in text.chars() {
            if c == '\n' && newlines && !in_heading {
                if !self.inline.is_empty() && !self.inline.ends_with('\n') {
                    self.pending_break = true;
                }
                continue;
            }
            if c.is_ascii_whitespace() {
                if !(self.inline.is_empty() || self.inline.ends_with([' ', '\n'])) {
                    self.inline.push(' ');
                    self.paragraph.push(' ');
                }
                continue;
            }
            if c.is_control() {
                continue;
            }
            if self.pending_break {
                self.pending_break = false;
                let len = self.inline.trim_end_matches(' ').len();
                self.inline.truncate(len);
                self.inline.push('\n');
                self.paragraph.push(' ');
            }
            if self.code > 0 {
                self.inline.push(c);
            } else {
                if matches!(
                    c,
                    '\\' | '*' | '_' | '[' | ']' | '`' | '<' | '>' | '&' | '|' | '~'
                ) || (in_heading && c == '#')
                {
                    self.inline.push('\\');
                }
                self.inline.push(c);
            }
            self.paragraph.push(c);
        }
    }

    /// `<br>`. Two in a row end the paragraph, as WordPress's auto-paragraphs make them.
    /// Returns whether it did.
    pub fn line_break(&mut self) -> bool {
        self.pending_break = false;
        if let Some(pre) = &mut self.pre {
            pre.push('\n');
            return false;
        }
        if self.heading.is_some() {
            self.inline.push(' ');
            return false;
        }
        if self.inline.ends_with('\n') {
            return true;
        }
        if !self.inline.is_empty() {
            let len = self.inline.trim_end_matches(' ').len();
            self.inline.truncate(len);
            self.inline.push('\n');
            self.paragraph.push(' ');
        }
        false
    }

    pub fn start_heading(&mut self, level: usize) {
        self.heading = Some(level.clamp(2, 6));
    }

    pub fn start_list(&mut self, ordered: bool, start: u64) {
        if self.containers.len() >= MAX_NESTING {
            self.dropped_nesting += 1;
            return;
        }
        self.containers.push(Container::List {
            ordered,
            next: start,
        });
    }

    pub fn end_list(&mut self) {
        if self.dropped_nesting > 0 {
            self.dropped_nesting -= 1;
            return;
        }
        self.pop_to(|c| matches!(c, Container::List { .. }));
    }

    pub fn start_item(&mut self) {
        if self.containers.len() >= MAX_NESTING {
            return;
        }
        if !matches!(self.containers.last(), Some(Container::List { .. })) {
            // An `<li>` after another without `</li>`: the earlier item ends.
            if matches!(self.containers.last(), Some(Container::Item { .. })) {
                self.containers.pop();
            }
            if !matches!(self.containers.last(), Some(Container::List { .. })) {
                self.containers.push(Container::List {
                    ordered: false,
                    next: 1,
                });
            }
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

    pub fn end_item(&mut self) {
        if let Some(at) = self
            .containers
            .iter()
            .rposition(|c| matches!(c, Container::Item { .. }))
            && !self.containers[at + 1..]
                .iter()
                .any(|c| matches!(c, Container::List { .. }))
        {
            self.containers.truncate(at);
        }
    }

    pub fn start_quote(&mut self) {
        if self.containers.len() >= MAX_NESTING {
            self.dropped_nesting += 1;
            return;
        }
        self.containers.push(Container::Quote(false));
    }

    pub fn end_quote(&mut self) {
        if self.dropped_nesting > 0 {
            self.dropped_nesting -= 1;
            return;
        }
        self.pop_to(|c| matches!(c, Container::Quote(_)));
    }

    pub fn start_pre(&mut self) {
        self.pre = Some(String::new());
    }

    pub fn end_pre(&mut self) {
        let Some(code) = self.pre.take() else {
            return;
        };
        let code = code.trim_matches('\n');
        if is_blank(code) {
            return;
        }
        let fence = "`".repeat(longest_run(code, '`').max(2) + 1);
        let mut lines = vec![fence.clone()];
        lines.extend(code.lines().map(|l| l.trim_end().to_owned()));
        lines.push(fence);
        self.block(&lines);
    }

    pub fn start_strong(&mut self) {
        self.push_mark(Mark::Strong(self.inline.len()));
    }

    pub fn start_em(&mut self) {
        self.push_mark(Mark::Em(self.inline.len()));
    }

    pub fn start_code(&mut self) {
        self.paragraph.mixed = true;
        if self.pre.is_none() {
            self.code += 1;
            self.push_mark(Mark::Code(self.inline.len()));
        }
    }

    pub fn start_link(&mut self, href: Option<String>) {
        if let Some(href) = &href {
            if self.paragraph.open_link.is_some() {
                self.paragraph.mixed = true;
            }
            self.paragraph.open_link = Some((href.clone(), String::new()));
        }
        self.push_mark(Mark::Link(self.inline.len(), href));
    }

    fn push_mark(&mut self, mark: Mark) {
        if self.marks.len() < MAX_MARKS {
            self.marks.push(mark);
        }
    }

    pub fn end_strong(&mut self) {
        self.close_mark(|m| matches!(m, Mark::Strong(_)));
    }

    pub fn end_em(&mut self) {
        self.close_mark(|m| matches!(m, Mark::Em(_)));
    }

    pub fn end_code(&mut self) {
        if self.pre.is_none() && self.code > 0 {
            self.code -= 1;
            self.close_mark(|m| matches!(m, Mark::Code(_)));
        }
    }

    pub fn end_link(&mut self) {
        if let Some((href, text)) = self.paragraph.open_link.take() {
            self.paragraph.pieces.push(Piece::Link { href, text });
        }
        self.close_mark(|m| matches!(m, Mark::Link(..)));
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
        // Marks opened inside this one and not closed are dropped (their text stays).
        self.marks.truncate(at);
        let (start, open, close) = match mark {
            Mark::Strong(start) => (start, "**".to_owned(), "**".to_owned()),
            Mark::Em(start) => (start, "*".to_owned(), "*".to_owned()),
            Mark::Link(start, Some(href)) => {
                (start, "[".to_owned(), format!("]({})", destination(&href)))
            }
            Mark::Link(_, None) => return,
            Mark::Code(start) => {
                if start > self.inline.len() {
                    return;
                }
                let content = self.inline.split_off(start);
                if content.trim().is_empty() {
                    self.inline.push_str(&content);
                    return;
                }
                let fence = "`".repeat(longest_run(&content, '`') + 1);
                let pad = if content.starts_with('`') || content.ends_with('`') {
                    " "
                } else {
                    ""
                };
                self.inline.push_str(&fence);
                self.inline.push_str(pad);
                self.inline.push_str(&content.replace('\n', " "));
                self.inline.push_str(pad);
                self.inline.push_str(&fence);
                return;
            }
        };
        if start > self.inline.len() || !self.inline.is_char_boundary(start) {
            return;
        }
        let content = self.inline.split_off(start);
        let trimmed = content.trim_start_matches([' ', '\n']);
        let lead = &content[..content.len() - trimmed.len()];
        let trimmed = trimmed.trim_end_matches([' ', '\n']);
        // Emphasis across a line break, or around nothing, keeps only its text.
        if trimmed.is_empty() || (open != "[" && trimmed.contains('\n')) {
            self.inline.push_str(&content);
            return;
        }
        let trail = &content[lead.len() + trimmed.len()..];
        self.inline.push_str(lead);
        // `!` before a link's `[` would make it an image.
        if open == "[" && self.inline.ends_with('!') && !self.inline.ends_with("\\!") {
            self.inline.pop();
            self.inline.push_str("\\!");
        }
        self.inline.push_str(&open);
        self.inline.push_str(trimmed);
        self.inline.push_str(&close);
        self.inline.push_str(trail);
    }

    /// Ends the paragraph or heading being written, and returns its plain account.
    pub fn flush(&mut self) -> Paragraph {
        self.pending_break = false;
        self.code = 0;
        let inline = std::mem::take(&mut self.inline);
        self.marks.clear();
        let mut paragraph = std::mem::take(&mut self.paragraph);
        if let Some((href, text)) = paragraph.open_link.take() {
            paragraph.pieces.push(Piece::Link { href, text });
        }
        let heading = self.heading.take();
        let lines: Vec<String> = inline
            .split('\n')
            .filter(|l| !is_blank(l))
            .map(|l| escape_line_start(l.trim_matches(' ')))
            .collect();
        if lines.is_empty() {
            return paragraph;
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
        paragraph
    }

    /// Drops the paragraph being written (the converter made it a block of its own).
    pub fn discard_last_block(&mut self, len_before: usize) {
        self.out.truncate(len_before);
    }

    pub fn out_len(&self) -> usize {
        self.out.len()
    }

    /// Writes a block's lines under the open containers, after a blank line (but for a list
    /// item that follows another block written in an item: lists stay tight).
    fn block(&mut self, lines: &[String]) {
        let starts_item = matches!(
            self.containers.last(),
            Some(Container::Item { started: false, .. })
        );
        let tight = starts_item && self.last_in_item;
        if !self.out.is_empty() && !tight {
            let blank = self.prefix(false);
            self.out.push_str(blank.trim_end());
            self.out.push('\n');
        }
        self.last_in_item = self
            .containers
            .iter()
            .any(|c| matches!(c, Container::Item { .. }));
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
}

fn longest_run(text: &str, c: char) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for ch in text.chars() {
        if ch == c {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

/// Escapes what would make a line a list item, a heading, a quote or a Dateline block: `-`,
/// `+`, `=`, `:`, `#` at its start, and `1.` / `1)`.
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

/// A link destination as this crate writes it in Markdown: the href with spaces, parentheses,
/// angle brackets, backslashes and backticks percent-encoded, and control characters dropped.
pub fn markdown_destination(href: &str) -> String {
    destination(href)
}

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
