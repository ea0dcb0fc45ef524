//! A tolerant tokenizer for the HTML WordPress stores, with its block comments and shortcodes.
//!
//! Post content is not well-formed XML: `<p>` and `<li>` are left open, `<br>` and `<img>` are
//! not closed, `&nbsp;` is not an XML entity, attributes go without quotes, and a `<` in prose
//! is often not escaped. An XML parser would refuse most real posts, so this is a small
//! tokenizer of our own, which never fails: anything it cannot read as markup is text. It
//! knows three things beyond tags and text: comments (where the block editor's
//! `<!-- wp:name {…} -->` delimiters live), the raw-text elements `script` and `style` (whose
//! content is not markup), and shortcodes (`[name attr="…"]`, `[/name]`), which WordPress
//! expands wherever they appear in text.

/// One piece of content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// A start tag; name and attribute names in lower case, attribute values decoded.
    Start {
        name: String,
        attrs: Vec<(String, String)>,
    },
    End {
        name: String,
    },
    /// Text, as written (entities not decoded).
    Text(&'a str),
    /// Literal text that is already decoded (CDATA sections, `[[escaped]]` shortcodes).
    Literal(String),
    Comment(&'a str),
    /// `<!-- wp:name {json} -->`, and whether it closes itself (`/-->`).
    BlockStart {
        name: String,
        attrs: &'a str,
        closed: bool,
    },
    /// `<!-- /wp:name -->`.
    BlockEnd {
        name: String,
    },
    /// `[name attr="value"]`, and whether it closes itself (`/]`).
    ShortcodeOpen {
        name: String,
        attrs: Vec<(String, String)>,
        raw: &'a str,
        closed: bool,
    },
    /// `[/name]`.
    ShortcodeClose {
        name: String,
        raw: &'a str,
    },
}

/// Elements whose content is text, not markup, up to their end tag.
const RAW_TEXT: &[&str] = &["script", "style"];

/// Splits content into tokens, in time proportional to its length whatever it holds.
pub(crate) fn tokenize(html: &str) -> Vec<Token<'_>> {
    let mut scan = Scan::default();
    let mut rest = html;
    while !rest.is_empty() {
        let Some(at) = rest.find('<') else {
            text(rest, &mut scan.tokens);
            break;
        };
        if at > 0 {
            text(&rest[..at], &mut scan.tokens);
            rest = &rest[at..];
        }
        rest = scan.markup(rest);
    }
    scan.tokens
}

/// The tokens so far, and what the rest of the input is known not to hold: once a search for
/// `-->` or `>` fails, it fails for every later position too, and is not made again.
#[derive(Default)]
struct Scan<'a> {
    tokens: Vec<Token<'a>>,
    no_comment_end: bool,
    no_cdata_end: bool,
    no_gt: bool,
}

impl<'a> Scan<'a> {
    /// Reads the markup at the start of `s` (which starts with `<`), and returns what follows.
    fn markup(&mut self, s: &'a str) -> &'a str {
        let after = &s[1..];
        if let Some(body) = after.strip_prefix("!--") {
            return match find_unless(&mut self.no_comment_end, body, "-->") {
                Some(end) => {
                    self.tokens.push(comment(&body[..end]));
                    &body[end + 3..]
                }
                // An unclosed comment would hide the rest of the post: take `<` as text.
                None => literal_lt(s, &mut self.tokens),
            };
        }
        if let Some(body) = after.strip_prefix("![CDATA[") {
            return match find_unless(&mut self.no_cdata_end, body, "]]>") {
                Some(end) => {
                    self.tokens.push(Token::Literal(body[..end].to_owned()));
                    &body[end + 3..]
                }
                None => literal_lt(s, &mut self.tokens),
            };
        }
        if after.starts_with(['!', '?']) {
            // A doctype, a processing instruction or a bogus comment: nothing to keep.
            return match find_unless(&mut self.no_gt, after, ">") {
                Some(end) => &after[end + 1..],
                None => literal_lt(s, &mut self.tokens),
            };
        }
        let (closing, name_start) = match after.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (false, after),
        };
        if !name_start.starts_with(|c: char| c.is_ascii_alphabetic()) || self.no_gt {
            return literal_lt(s, &mut self.tokens);
        }
        let Some(end) = tag_end(name_start) else {
            self.no_gt = true;
            return literal_lt(s, &mut self.tokens);
        };
        let inside = &name_start[..end];
        let rest = &name_start[end + 1..];
        let name_len = inside
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(inside.len());
        let name = inside[..name_len].to_ascii_lowercase();
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '_'))
        {
            // `c<d</p>`: not a tag name, so not a tag.
            return literal_lt(s, &mut self.tokens);
        }
        if closing {
            self.tokens.push(Token::End { name });
            return rest;
        }
        let attrs = attributes(&inside[name_len..]);
        let raw_text = RAW_TEXT.contains(&name.as_str()) && !inside.ends_with('/');
        self.tokens.push(Token::Start {
            name: name.clone(),
            attrs,
        });
        if !raw_text {
            return rest;
        }
        // The content runs to `</name`, whatever it holds.
        let end = find_end_tag(rest, &name).unwrap_or(rest.len());
        if end > 0 {
            self.tokens.push(Token::Text(&rest[..end]));
        }
        self.tokens.push(Token::End { name });
        let after_close = &rest[end..];
        match after_close.find('>') {
            Some(gt) => &after_close[gt + 1..],
            None => "",
        }
    }
}

/// Finds `needle`, unless an earlier search showed the rest holds none.
fn find_unless(absent: &mut bool, haystack: &str, needle: &str) -> Option<usize> {
    if *absent {
        return None;
    }
    let found = haystack.find(needle);
    *absent = found.is_none();
    found
}

/// Where `</name` starts, in any letter case.
fn find_end_tag(s: &str, name: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(at) = s[from..].find("</").map(|i| from + i) {
        let start = at + 2;
        if bytes.len() >= start + name.len()
            && bytes[start..start + name.len()].eq_ignore_ascii_case(name.as_bytes())
        {
            return Some(at);
        }
        from = start;
    }
    None
}

fn literal_lt<'a>(s: &'a str, tokens: &mut Vec<Token<'a>>) -> &'a str {
    tokens.push(Token::Text(&s[..1]));
    &s[1..]
}

/// Where the tag ends (its `>`), quotes respected; an unclosed quote is taken as a character
/// (so a stray `"` does not swallow the post), and `None` when there is no `>` at all.
fn tag_end(tag: &str) -> Option<usize> {
    let mut quote = None;
    let mut in_value = false;
    let bytes = tag.as_bytes();
    // No real tag is this long: past it, a quote is taken as unclosed.
    const MAX_TAG: usize = 64 * 1024;
    for (i, &b) in bytes.iter().enumerate().take(MAX_TAG) {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'=') => in_value = true,
            (None, b'"' | b'\'') if in_value => quote = Some(b),
            (None, b'>') => return Some(i),
            (None, b) if b.is_ascii_whitespace() => {}
            (None, _) => in_value = false,
        }
    }
    if quote.is_some() || bytes.len() > MAX_TAG {
        return tag.find('>');
    }
    None
}

/// Attributes: `name="value"`, `name='value'`, `name=value`, `name`. Names in lower case,
/// values entity-decoded.
pub(crate) fn attributes(s: &str) -> Vec<(String, String)> {
    let mut attrs = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() || attrs.len() >= 64 {
            return attrs;
        }
        let name_len = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len())
            .max(rest.chars().next().map_or(1, char::len_utf8));
        let name = rest[..name_len].to_ascii_lowercase();
        rest = rest[name_len..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            if let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let body = &after[1..];
                let end = body.find(q).unwrap_or(body.len());
                value = crate::text::decode_entities(&body[..end]).into_owned();
                rest = body.get(end + 1..).unwrap_or("");
            } else {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                value = crate::text::decode_entities(&after[..end]).into_owned();
                rest = &after[end..];
            }
        }
        attrs.push((name, value));
    }
}

fn comment(body: &str) -> Token<'_> {
    let trimmed = body.trim();
    if let Some(rest) = trimmed.strip_prefix("/wp:") {
        let name = block_name(rest);
        if !name.is_empty() {
            return Token::BlockEnd {
                name: name.to_owned(),
            };
        }
    } else if let Some(rest) = trimmed.strip_prefix("wp:") {
        let name = block_name(rest);
        if !name.is_empty() {
            let attrs = rest[name.len()..].trim();
            let (attrs, closed) = match attrs.strip_suffix('/') {
                Some(attrs) => (attrs.trim(), true),
                None => (attrs, false),
            };
            return Token::BlockStart {
                name: name.to_owned(),
                attrs,
                closed,
            };
        }
    }
    Token::Comment(body)
}

fn block_name(s: &str) -> &str {
    let len = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/')))
        .unwrap_or(s.len());
    &s[..len]
}

/// Splits text at shortcodes.
fn text<'a>(s: &'a str, tokens: &mut Vec<Token<'a>>) {
    let mut rest = s;
    let mut from = 0;
    while let Some(at) = rest[from..].find('[').map(|i| from + i) {
        match shortcode(&rest[at..]) {
            Some((token, len)) => {
                if at > 0 {
                    tokens.push(Token::Text(&rest[..at]));
                }
                tokens.push(token);
                rest = &rest[at + len..];
                from = 0;
            }
            None => from = at + 1,
        }
    }
    if !rest.is_empty() {
        tokens.push(Token::Text(rest));
    }
}

/// A shortcode tag at the start of `s` (which starts with `[`), and its length.
fn shortcode(s: &str) -> Option<(Token<'_>, usize)> {
    let after = &s[1..];
    // `[[name]]` is WordPress's escape for a literal `[name]`.
    if let Some(inner) = after.strip_prefix('[') {
        let end = find_within(inner, &['[', ']'], MAX_SHORTCODE)?;
        if !inner[end..].starts_with("]]") {
            return None;
        }
        let body = &inner[..end];
        if shortcode_name(body.trim_start_matches('/')).is_empty() || body.contains('[') {
            return None;
        }
        return Some((Token::Literal(format!("[{body}]")), end + 4));
    }
    let end = find_within(after, &['[', ']'], MAX_SHORTCODE)?;
    if after.as_bytes()[end] != b']' {
        return None;
    }
    let body = &after[..end];
    let raw = &s[..end + 2];
    if let Some(name) = body.strip_prefix('/') {
        let name = name.trim_end();
        if shortcode_name(name).len() != name.len() || name.is_empty() {
            return None;
        }
        return Some((
            Token::ShortcodeClose {
                name: name.to_ascii_lowercase(),
                raw,
            },
            end + 2,
        ));
    }
    let name = shortcode_name(body);
    if name.is_empty() {
        return None;
    }
    let attrs_text = &body[name.len()..];
    if !(attrs_text.is_empty() || attrs_text.starts_with(char::is_whitespace) || attrs_text == "/")
    {
        return None;
    }
    let (attrs_text, closed) = match attrs_text.trim_end().strip_suffix('/') {
        Some(a) => (a, true),
        None => (attrs_text, false),
    };
    Some((
        Token::ShortcodeOpen {
            name: name.to_ascii_lowercase(),
            attrs: attributes(attrs_text),
            raw,
            closed,
        },
        end + 2,
    ))
}

/// The longest shortcode tag read, in bytes.
const MAX_SHORTCODE: usize = 4096;

/// Finds the first of `chars` in the first `max` bytes of `haystack`: a `[` in prose does not
/// make the tokenizer read the rest of the post, and each byte is looked at a bounded number of
/// times.
fn find_within(haystack: &str, chars: &[char], max: usize) -> Option<usize> {
    let mut limit = haystack.len().min(max + 1);
    while !haystack.is_char_boundary(limit) {
        limit -= 1;
    }
    haystack[..limit].find(chars)
}

/// A shortcode's name: letters, digits, `_` and `-`, starting with a letter or `_`.
fn shortcode_name(s: &str) -> &str {
    if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return "";
    }
    let len = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(s.len());
    &s[..len]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(name: &str, attrs: &[(&str, &str)]) -> Token<'static> {
        Token::Start {
            name: name.to_owned(),
            attrs: attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn tags_text_and_attributes_of_every_quoting() {
        assert_eq!(
            tokenize("<P Class=x id='a b' data-x=\"1 &amp; 2\" hidden>Hi</p>"),
            vec![
                start(
                    "p",
                    &[
                        ("class", "x"),
                        ("id", "a b"),
                        ("data-x", "1 & 2"),
                        ("hidden", "")
                    ]
                ),
                Token::Text("Hi"),
                Token::End { name: "p".into() },
            ]
        );
        assert_eq!(
            tokenize("<br/><img src=a.jpg />"),
            vec![start("br", &[]), start("img", &[("src", "a.jpg")])]
        );
    }

    #[test]
    fn a_lone_angle_bracket_is_text() {
        assert_eq!(
            tokenize("3 < 5 and a<b"),
            vec![
                Token::Text("3 "),
                Token::Text("<"),
                Token::Text(" 5 and a"),
                Token::Text("<"),
                Token::Text("b"),
            ]
        );
        assert_eq!(
            tokenize("<!-- open"),
            vec![Token::Text("<"), Token::Text("!-- open")]
        );
    }

    #[test]
    fn an_unclosed_quote_does_not_swallow_the_post() {
        assert_eq!(
            tokenize("<a href=\"x>link</a> after"),
            vec![
                start("a", &[("href", "x")]),
                Token::Text("link"),
                Token::End { name: "a".into() },
                Token::Text(" after"),
            ]
        );
    }

    #[test]
    fn block_comments_are_recognised() {
        assert_eq!(
            tokenize(
                "<!-- wp:image {\"id\":5} --><!-- /wp:image --><!-- wp:spacer /--><!--more-->"
            ),
            vec![
                Token::BlockStart {
                    name: "image".into(),
                    attrs: "{\"id\":5}",
                    closed: false
                },
                Token::BlockEnd {
                    name: "image".into()
                },
                Token::BlockStart {
                    name: "spacer".into(),
                    attrs: "",
                    closed: true
                },
                Token::Comment("more"),
            ]
        );
    }

    #[test]
    fn script_content_is_not_markup() {
        assert_eq!(
            tokenize("<script>if (a<b) {}</p></SCRIPT >x"),
            vec![
                start("script", &[]),
                Token::Text("if (a<b) {}</p>"),
                Token::End {
                    name: "script".into()
                },
                Token::Text("x"),
            ]
        );
    }

    #[test]
    fn shortcodes_are_split_from_text() {
        let tokens =
            tokenize("a [caption id=\"attachment_6\" width=1]b[/caption] [1] [[gallery]] [x/]");
        assert_eq!(
            tokens,
            vec![
                Token::Text("a "),
                Token::ShortcodeOpen {
                    name: "caption".into(),
                    attrs: vec![
                        ("id".into(), "attachment_6".into()),
                        ("width".into(), "1".into())
                    ],
                    raw: "[caption id=\"attachment_6\" width=1]",
                    closed: false
                },
                Token::Text("b"),
                Token::ShortcodeClose {
                    name: "caption".into(),
                    raw: "[/caption]"
                },
                Token::Text(" [1] "),
                Token::Literal("[gallery]".into()),
                Token::Text(" "),
                Token::ShortcodeOpen {
                    name: "x".into(),
                    attrs: vec![],
                    raw: "[x/]",
                    closed: true
                },
            ]
        );
    }
}
