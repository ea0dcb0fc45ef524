//! Article bodies: CommonMark plus Dateline's own blocks.
//!
//! A Read More block is a line of its own, outside code fences:
//!
//! ```text
//! ::: read-more 42
//! ```
//!
//! It names another article by id. Editors may also write the article's path or URL
//! (`::: read-more /some-slug`); [`crate::articles`] resolves that to the id before storing, so
//! the stored body always refers by id and a renamed article keeps its links.
//!
//! The body is rendered and sanitised once, on write ([`render`]). The HTML keeps a marker where
//! each Read More block stands; [`split_rendered`] finds them at read time, when the current
//! headline and URL of the target are filled in — or nothing, if it is gone or unpublished.
//!
//! An embed block is a line of its own too, naming a video or post of another service and,
//! optionally, a title (see [`crate::embed`]):
//!
//! ```text
//! ::: embed https://youtu.be/dQw4w9WgXcQ The minister's statement
//! ```
//!
//! Its address is checked on write (one we cannot embed is refused with its line) and it is
//! rendered as a placeholder that loads nothing from the service until the reader asks.

use dateline_domain::{ArticleId, InvalidValue};
use pulldown_cmark::{Alignment, CodeBlockKind, Event, Options, Parser, Tag};

use crate::embed::Embed;

const MARKER_OPEN: &str = "<!--dateline:read-more:";
const MARKER_CLOSE: &str = "-->";

/// How a Read More block names its target, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    Id(ArticleId),
    /// A slug, taken from a path (`/some-slug`) or URL (`https://site/some-slug/`), its
    /// percent escapes decoded (a link copied from the address bar to an Urdu article).
    Slug(String),
}

impl Reference {
    /// The reference as a body source writes it: the id, or the path `/some-slug` as people
    /// type it (the letters of an Urdu slug as they are, not percent-encoded).
    pub fn source_text(&self) -> String {
        match self {
            Reference::Id(id) => id.to_string(),
            Reference::Slug(slug) => format!("/{slug}"),
        }
    }
}

/// One block of a body source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block<'a> {
    Markdown(&'a str),
    ReadMore {
        line: usize,
        reference: Reference,
    },
    /// An embed line: `source` is the line as written (with its ending), kept byte for byte.
    Embed {
        line: usize,
        source: &'a str,
        embed: Embed,
    },
}

/// Splits a body source into Markdown runs and Read More blocks.
pub fn parse(source: &str) -> Result<Vec<Block<'_>>, InvalidValue> {
    let mut blocks = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut run_start = 0;
    let mut offset = 0;
    for (index, line) in source.split_inclusive('\n').enumerate() {
        let trimmed = line.trim();
        let line_start = offset;
        offset += line.len();
        if let Some((ch, len)) = fence {
            if trimmed.len() >= len && trimmed.chars().all(|c| c == ch) {
                fence = None;
            }
            continue;
        }
        if let Some(opened) = fence_opening(trimmed) {
            fence = Some(opened);
            continue;
        }
        let Some(rest) = trimmed.strip_prefix(":::") else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let line_no = index + 1;
        match words.next() {
            Some("read-more") => {}
            Some("embed") => {
                let text = rest.trim_start().strip_prefix("embed").unwrap_or_default();
                let embed = Embed::parse(text)
                    .map_err(|why| InvalidValue::new("body", format!("line {line_no}: {why}")))?;
                if run_start < line_start {
                    blocks.push(Block::Markdown(&source[run_start..line_start]));
                }
                blocks.push(Block::Embed {
                    line: line_no,
                    source: line,
                    embed,
                });
                run_start = offset;
                continue;
            }
            _ => continue,
        }
        let target = words.next().ok_or_else(|| {
            InvalidValue::new(
                "body",
                format!("line {line_no}: Read More needs an article id or link"),
            )
        })?;
        if words.next().is_some() {
            return Err(InvalidValue::new(
                "body",
                format!("line {line_no}: Read More takes one article id or link"),
            ));
        }
        if run_start < line_start {
            blocks.push(Block::Markdown(&source[run_start..line_start]));
        }
        blocks.push(Block::ReadMore {
            line: line_no,
            reference: parse_reference(target, line_no)?,
        });
        run_start = offset;
    }
    if run_start < source.len() {
        blocks.push(Block::Markdown(&source[run_start..]));
    }
    Ok(blocks)
}

fn fence_opening(trimmed: &str) -> Option<(char, usize)> {
    let ch = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = trimmed.chars().take_while(|c| *c == ch).count();
    (len >= 3).then_some((ch, len))
}

fn parse_reference(target: &str, line: usize) -> Result<Reference, InvalidValue> {
    if let Ok(id) = target.parse::<i64>()
        && id > 0
    {
        return Ok(Reference::Id(ArticleId(id)));
    }
    let path = match target.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, path)| path),
        None => target,
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = dateline_domain::paths::decode(path);
    match path.trim_matches('/').rsplit('/').next() {
        Some(slug) if !slug.is_empty() => Ok(Reference::Slug(slug.to_owned())),
        _ => Err(InvalidValue::new(
            "body",
            format!("line {line}: '{target}' is not an article id or link"),
        )),
    }
}

/// Writes the body source back with every Read More block naming its target by id.
pub fn canonical_source(blocks: &[Block<'_>], ids: &[ArticleId]) -> String {
    let mut out = String::new();
    let mut ids = ids.iter();
    for block in blocks {
        match block {
            Block::Markdown(text) => out.push_str(text),
            Block::ReadMore { .. } => {
                let id = ids.next().expect("one id per Read More block");
                out.push_str(&format!("::: read-more {id}\n"));
            }
            Block::Embed { source, .. } => out.push_str(source),
        }
    }
    out
}

/// `source` with the target of each Read More block for which `target` gives a new one (an id or
/// a path, as text) written in its place; every other line is kept byte for byte. An export names
/// targets by path, since ids do not survive a move to another database.
pub fn rewrite_read_more(
    source: &str,
    mut target: impl FnMut(&Reference) -> Option<String>,
) -> Result<String, InvalidValue> {
    let mut new_targets = std::collections::HashMap::new();
    for block in parse(source)? {
        if let Block::ReadMore { line, reference } = block
            && let Some(new) = target(&reference)
        {
            new_targets.insert(line, new);
        }
    }
    if new_targets.is_empty() {
        return Ok(source.to_owned());
    }
    let mut out = String::with_capacity(source.len());
    for (index, line) in source.split_inclusive('\n').enumerate() {
        match new_targets.get(&(index + 1)) {
            Some(new) => {
                let ending = &line[line.trim_end_matches(['\n', '\r']).len()..];
                out.push_str("::: read-more ");
                out.push_str(new);
                out.push_str(ending);
            }
            None => out.push_str(line),
        }
    }
    Ok(out)
}

/// Renders the body to sanitised HTML, with a marker for each Read More block (`ids` in order).
pub fn render(blocks: &[Block<'_>], ids: &[ArticleId]) -> String {
    let mut html = String::new();
    let mut ids = ids.iter();
    for block in blocks {
        match block {
            Block::Markdown(text) => html.push_str(&render_markdown(text)),
            Block::ReadMore { .. } => {
                let id = ids.next().expect("one id per Read More block");
                html.push_str(&format!("{MARKER_OPEN}{id}{MARKER_CLOSE}\n"));
            }
            Block::Embed { embed, .. } => html.push_str(&embed.html()),
        }
    }
    html
}

/// CommonMark to HTML, then through ammonia: no script, no event handlers, no `javascript:` URLs,
/// and no comments — so a body can never forge a Read More marker.
///
/// Most bodies are plain prose: no raw HTML, no links, no images. For those, CommonMark's own
/// output is already safe — every character of text is escaped by the renderer and there is no
/// markup of the author's in it — and ammonia would hand it back unchanged, so it is skipped.
pub fn render_markdown(text: &str) -> String {
    let events: Vec<Event<'_>> = Parser::new_ext(text, markdown_options()).collect();
    // The HTML parser behind the sanitiser drops NUL and turns CR into LF; text with either
    // takes the sanitiser's path, so both paths give the same bytes.
    let plain = !text.contains(['\0', '\r'])
        && events.iter().all(|e| match e {
            Event::Html(_) | Event::InlineHtml(_) => false,
            Event::Start(Tag::Link { .. } | Tag::Image { .. } | Tag::FootnoteDefinition(_)) => {
                false
            }
            Event::FootnoteReference(_) => false,
            // CommonMark writes `<hr />` and `<br />`; the sanitiser writes `<hr>` and `<br>`.
            Event::Rule | Event::HardBreak => false,
            // `class="language-…"` from the info string, which the sanitiser strips.
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => info.is_empty(),
            Event::Start(Tag::Table(alignments)) => {
                alignments.iter().all(|a| *a == Alignment::None)
            }
            _ => true,
        });
    let mut html = String::with_capacity(text.len() * 5 / 4);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    if plain {
        html
    } else {
        ammonia::Builder::default().clean(&html).to_string()
    }
}

fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES
}

/// Scripts, frames, event handlers and `javascript:` links in a body source: refused with the line
/// they are on, rather than silently dropped by the sanitiser, so the writer knows.
pub fn active_content(source: &str) -> Option<InvalidValue> {
    use pulldown_cmark::{Event, Tag};
    const TAGS: [&str; 8] = [
        "<script", "<iframe", "<object", "<embed", "<style", "<form", "<frame", "<meta",
    ];
    const SCHEMES: [&str; 3] = ["javascript:", "vbscript:", "data:text/html"];
    let line = |offset: usize| source[..offset].matches('\n').count() + 1;
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;
    for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
        let bad = match &event {
            Event::Html(html) | Event::InlineHtml(html) => {
                let lower = html.to_lowercase();
                TAGS.iter().any(|t| lower.contains(t))
                    || SCHEMES.iter().any(|s| lower.contains(s))
                    || has_event_handler(&lower)
            }
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                let url: String = dest_url
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect::<String>()
                    .to_lowercase();
                SCHEMES.iter().any(|s| url.starts_with(s))
            }
            _ => false,
        };
        if bad {
            return Some(InvalidValue::new(
                "body",
                format!(
                    "line {}: scripts, frames, event handlers and javascript: links are not allowed in articles",
                    line(range.start)
                ),
            ));
        }
    }
    None
}

/// `onclick=`, `onerror =` and the like inside an HTML tag.
fn has_event_handler(html: &str) -> bool {
    let bytes = html.as_bytes();
    html.match_indices("on").any(|(i, _)| {
        let before_ok = i > 0 && (bytes[i - 1].is_ascii_whitespace() || bytes[i - 1] == b'/');
        let rest = &html[i + 2..];
        let name_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        before_ok && name_len > 0 && rest[name_len..].trim_start().starts_with('=')
    })
}

/// A piece of rendered body, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rendered<'a> {
    /// Sanitised HTML, safe to emit as is.
    Html(&'a str),
    ReadMore(ArticleId),
}

/// Finds the Read More markers in rendered HTML.
pub fn split_rendered(html: &str) -> Vec<Rendered<'_>> {
    let mut parts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(MARKER_OPEN) {
        let after = &rest[start + MARKER_OPEN.len()..];
        let Some(end) = after.find(MARKER_CLOSE) else {
            break;
        };
        let Ok(id) = after[..end].parse::<i64>() else {
            break;
        };
        if start > 0 {
            parts.push(Rendered::Html(&rest[..start]));
        }
        parts.push(Rendered::ReadMore(ArticleId(id)));
        rest = after[end + MARKER_CLOSE.len()..].trim_start_matches('\n');
    }
    if !rest.is_empty() {
        parts.push(Rendered::Html(rest));
    }
    parts
}

/// Escapes text for HTML content and attribute values: the one escaper for HTML written outside
/// the templates (which escape by themselves), such as feed bodies and search snippets.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn read_more_lines_become_blocks() {
        let source = "One.\n\n::: read-more 7\n\nTwo.\n\n:::  read-more  /a-story/\n";
        let blocks = parse(source).unwrap();
        assert_eq!(
            blocks,
            vec![
                Block::Markdown("One.\n\n"),
                Block::ReadMore {
                    line: 3,
                    reference: Reference::Id(ArticleId(7))
                },
                Block::Markdown("\nTwo.\n\n"),
                Block::ReadMore {
                    line: 7,
                    reference: Reference::Slug("a-story".into())
                },
            ]
        );
    }

    #[test]
    fn rewriting_read_more_targets_keeps_every_other_byte() {
        let source =
            "One.\r\n::: read-more 7\r\n```\n::: read-more 7\n```\n:::  read-more  /kept/\nEnd";
        let rewritten = rewrite_read_more(source, |r| match r {
            Reference::Id(id) => Some(format!("/story-{id}")),
            Reference::Slug(_) => None,
        })
        .unwrap();
        assert_eq!(
            rewritten,
            "One.\r\n::: read-more /story-7\r\n```\n::: read-more 7\n```\n:::  read-more  /kept/\nEnd"
        );
        assert_eq!(
            rewrite_read_more("No blocks.\n", |_| None).unwrap(),
            "No blocks.\n"
        );
        assert!(rewrite_read_more("::: read-more\n", |_| None).is_err());
    }

    #[test]
    fn embed_lines_become_blocks_and_keep_their_source() {
        let source = "One.\n\n::: embed https://youtu.be/dQw4w9WgXcQ  The statement \r\n\nTwo.\n:::embed https://x.com/GVS_News/status/17\n";
        let blocks = parse(source).unwrap();
        assert_eq!(blocks.len(), 4, "{blocks:?}");
        let Block::Embed {
            line,
            source: line_source,
            embed,
        } = &blocks[1]
        else {
            panic!("{blocks:?}");
        };
        assert_eq!(*line, 3);
        assert_eq!(
            *line_source,
            "::: embed https://youtu.be/dQw4w9WgXcQ  The statement \r\n"
        );
        assert_eq!(embed.provider, crate::embed::Provider::YouTube);
        assert_eq!(embed.title, "The statement");
        assert!(
            matches!(&blocks[3], Block::Embed { line: 6, embed, .. } if embed.provider == crate::embed::Provider::X)
        );
        assert_eq!(canonical_source(&blocks, &[]), source);
        let html = render(&blocks, &[]);
        assert!(
            html.contains("<figure class=\"embed embed-video embed-youtube\""),
            "{html}"
        );
        assert!(
            html.contains("<figure class=\"embed embed-post embed-x\""),
            "{html}"
        );
        assert!(
            !html.contains("<iframe") && !html.contains(" src="),
            "{html}"
        );
        assert_eq!(split_rendered(&html).len(), 1);
    }

    #[test]
    fn embed_shapes_of_every_provider_are_accepted() {
        for url in [
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtu.be/dQw4w9WgXcQ",
            "https://www.youtube.com/shorts/dQw4w9WgXcQ",
            "https://x.com/GVS_News/status/1780000000000000001",
            "https://twitter.com/GVS_News/status/1780000000000000001",
            "https://www.facebook.com/GVS/videos/123456789/",
            "https://fb.watch/aBc12/",
            "https://vimeo.com/76979871",
        ] {
            let source = format!("Before.\n\n::: embed {url}\n");
            let blocks = parse(&source).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert!(matches!(blocks[1], Block::Embed { .. }), "{url}");
        }
    }

    #[test]
    fn embeds_we_cannot_show_are_refused_with_their_line() {
        for (source, line) in [
            ("Intro.\n\n::: embed https://example.com/video\n", 3),
            ("::: embed javascript:alert(1)\n", 1),
            ("::: embed JAVASCRIPT:alert(1)//youtu.be/dQw4w9WgXcQ\n", 1),
            ("A\n::: embed\n", 2),
            ("::: embed https://youtu.be/dQw4w9WgXcQ\u{0}\n", 1),
            ("::: embed https://youtu.be/dQw4w9WgXcQ a\u{0}b\n", 1),
            ("::: embed https://www.instagram.com/p/abc/\n", 1),
            (
                "::: embed https://youtube.com/watch?v=dQw4w9WgXcQ\"><script>\n",
                1,
            ),
        ] {
            let problem = parse(source).unwrap_err();
            assert!(
                problem.message.starts_with(&format!("line {line}:")),
                "{source:?}: {problem}"
            );
        }
        assert!(
            parse("::: embed https://example.com/v\n")
                .unwrap_err()
                .message
                .contains("'https://example.com/v' is not an address Dateline can embed")
        );
    }

    #[test]
    fn embed_inside_a_code_fence_is_text() {
        let source = "```\n::: embed javascript:alert(1)\n```\n";
        assert_eq!(parse(source).unwrap(), vec![Block::Markdown(source)]);
    }

    #[test]
    fn read_more_inside_a_code_fence_is_text() {
        let source = "```\n::: read-more 7\n```\n";
        assert_eq!(parse(source).unwrap(), vec![Block::Markdown(source)]);
    }

    #[test]
    fn urls_name_their_last_path_segment() {
        let r = parse_reference(
            "https://www.globalvillagespace.com/eu-is-uninterested/?utm=x",
            1,
        )
        .unwrap();
        assert_eq!(r, Reference::Slug("eu-is-uninterested".into()));
    }

    #[test]
    fn urls_copied_from_the_address_bar_name_the_slug_decoded() {
        let r = parse_reference("https://gvs.example/%DA%A9%D8%B1%D8%A7%DA%86%DB%8C-2", 1);
        assert_eq!(r.unwrap(), Reference::Slug("کراچی-2".into()));
        let r = parse_reference("/کراچی-2", 1).unwrap();
        assert_eq!(r.source_text(), "/کراچی-2");
        assert_eq!(Reference::Id(ArticleId(4)).source_text(), "4");
    }

    #[test]
    fn read_more_without_a_target_is_refused() {
        assert!(
            parse("::: read-more\n")
                .unwrap_err()
                .message
                .contains("line 1")
        );
        assert!(parse("::: read-more 1 2\n").is_err());
        assert!(parse("::: read-more https://example.com/\n").is_err());
    }

    #[test]
    fn rendering_strips_script_and_cannot_forge_markers() {
        let source =
            "Hi <script>alert(1)</script> <!--dateline:read-more:5-->\n\n[x](javascript:alert(1))";
        let blocks = parse(source).unwrap();
        let html = render(&blocks, &[]);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert_eq!(split_rendered(&html).len(), 1, "{html}");
    }

    #[test]
    fn prose_skips_the_sanitiser_only_where_it_would_change_nothing() {
        let samples = [
            "Plain paragraph with *emphasis*, `code` & <angle> brackets escaped.\n\nSecond one.",
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted\n\n- one\n- two\n\n```\n<script>x</script>\n```",
            "Urdu: کراچی میں بارش ہوئی۔ Footnote[^1].\n\n[^1]: A note.",
            "| a | b |\n|:--|--:|\n| 1 | 2 |",
            "# Heading\n\n~~struck~~ and **strong** 1 < 2 > 0 \"quoted\" 'single'",
        ];
        for text in samples {
            let fast = render_markdown(text);
            let mut raw = String::new();
            pulldown_cmark::html::push_html(&mut raw, Parser::new_ext(text, markdown_options()));
            assert_eq!(
                fast,
                ammonia::Builder::default().clean(&raw).to_string(),
                "{text}"
            );
        }
    }

    #[test]
    fn links_images_and_raw_html_still_go_through_the_sanitiser() {
        let html = render_markdown(
            "[a](javascript:alert(1)) ![i](javascript:x) <b onclick=x>b</b> <em>ok</em>",
        );
        assert!(
            !html.contains("javascript:") && !html.contains("onclick"),
            "{html}"
        );
        assert!(html.contains("<em>ok</em>"), "{html}");
        assert!(
            render_markdown("[site](https://example.com)").contains("rel=\"noopener noreferrer\"")
        );
    }

    #[test]
    fn markers_round_trip_through_split() {
        let blocks = parse("A\n\n::: read-more 3\n\nB\n").unwrap();
        let html = render(&blocks, &[ArticleId(3)]);
        let parts = split_rendered(&html);
        assert_eq!(
            parts,
            vec![
                Rendered::Html("<p>A</p>\n"),
                Rendered::ReadMore(ArticleId(3)),
                Rendered::Html("<p>B</p>\n")
            ]
        );
        assert_eq!(
            canonical_source(&blocks, &[ArticleId(3)]),
            "A\n\n::: read-more 3\n\nB\n"
        );
    }

    #[test]
    fn scripts_and_javascript_links_are_refused_with_their_line() {
        for (body, line) in [
            ("Fine.\n\n<script>alert(1)</script>\n", 3),
            ("A [link](javascript:alert(1)).\n", 1),
            ("One\n\nTwo <img src=x onerror=alert(1)>\n", 3),
            ("<iframe src=\"https://x\"></iframe>\n", 1),
            ("[x]( JavaScript:alert(1))\n", 1),
        ] {
            let problem = active_content(body).unwrap_or_else(|| panic!("{body:?} accepted"));
            assert!(
                problem.message.starts_with(&format!("line {line}:")),
                "{problem}"
            );
        }
        for fine in [
            "Talks on Monday, once more.\n",
            "<em>emphasis</em> and a [link](https://example.com/on=1)\n",
            "```\n<script>shown as code</script>\n```\n",
            "Written `<script>` inline as code.\n",
        ] {
            assert_eq!(active_content(fine), None, "{fine:?}");
        }
    }
}
