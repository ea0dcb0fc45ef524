//! Post bodies into typed blocks: Markdown for prose, and blocks of their own for what prose
//! cannot say (images, galleries, embeds, "Read More" links, separators, page breaks).
//!
//! WordPress stores bodies in two shapes. The block editor writes HTML between delimiter
//! comments (`<!-- wp:paragraph -->…<!-- /wp:paragraph -->`, with attributes as JSON); the
//! classic editor writes HTML without `<p>` tags, leaving paragraphs to `wpautop()`: a blank
//! line is a paragraph break and a single newline a line break. A body with no block
//! delimiter is read the classic way; one with them, the block way (WordPress does the same:
//! it turns auto-paragraphs off for block content). In both, shortcodes (`[caption]`,
//! `[gallery]`, `[embed]`) are expanded as WordPress would.
//!
//! The HTML is read by a tolerant tokenizer of our own (see the `html` module for why not an
//! XML parser): any input converts, never panics, and keeps its text. What cannot be
//! converted is kept as text and named in [`Converted::problems`]: unknown blocks and
//! shortcodes, scripts and styles (which are dropped, with their content). The Markdown is not
//! sanitised (the caller does that), but it never carries markup: every `<` in it is text.

mod embed;
mod html;
mod markdown;

use std::collections::{HashMap, HashSet};

use html::Token;
pub use markdown::markdown_destination;
use markdown::{Markdown, Piece};

use crate::model::Site;
use crate::text::{collapse_whitespace, decode_entities};

/// One block of a converted body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Prose as CommonMark: paragraphs, headings, lists, quotes, code, inline strong,
    /// emphasis, links and code.
    Markdown(String),
    /// A paragraph that is only "Read More: <a href>title</a>": a link to a related article.
    ReadMore {
        href: String,
        title: String,
    },
    Image(Image),
    /// Images shown together (`wp:gallery`, `[gallery]`).
    Gallery(Vec<Image>),
    /// Something WordPress embeds from another service.
    Embed {
        url: String,
        provider: EmbedProvider,
        /// The caption the editor gave the embed.
        caption: Option<String>,
    },
    /// A thematic break (`<hr>`, `wp:separator`).
    Separator,
    /// `<!--nextpage-->`: the article continues on another page.
    PageBreak,
}

/// An image in a body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Image {
    /// The URL the body shows (often a resized copy; empty for `[gallery ids]` images).
    pub src: String,
    pub alt: String,
    /// The caption, as plain text.
    pub caption: String,
    /// A credit found at the end of the caption (`(Photo: AFP)`, `Photo: AFP` after a `|`).
    pub credit: Option<String>,
    /// The attachment (`wp-image-N`, the block's `id`, `[caption id="attachment_N"]`).
    pub attachment_id: Option<u64>,
    /// Where the image links to.
    pub link: Option<String>,
}

/// Whose embed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmbedProvider {
    YouTube,
    /// X, formerly Twitter.
    X,
    Facebook,
    Instagram,
    Vimeo,
    Other,
}

/// What the converter needs to know about the old site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertContext {
    /// The old site's home URL (`https://example.com`, or with a path for a site in a folder).
    pub base_url: String,
}

impl ConvertContext {
    /// The context of a site at this home URL.
    pub fn new(base_url: impl Into<String>) -> Self {
        ConvertContext {
            base_url: base_url.into(),
        }
    }

    /// The context of an export's site: its blog URL (where permalinks live).
    pub fn for_site(site: &Site) -> Self {
        let base = if site.base_blog_url.is_empty() {
            &site.link
        } else {
            &site.base_blog_url
        };
        ConvertContext::new(base.clone())
    }

    /// The path under the old site of a link to it (`/a-post/`, query and fragment kept), or
    /// `None` for a link elsewhere. Root-relative links (`/a-post/`) are the site's own; the
    /// scheme, letter case and a `www.` do not matter.
    pub fn site_path(&self, href: &str) -> Option<String> {
        let href = href.trim();
        let base = self.base_url.trim().trim_end_matches('/');
        let base_path = embed::strip_scheme(base)
            .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or("");
        let path = if href.starts_with('/') && !href.starts_with("//") {
            href
        } else {
            let base_host = embed::host(base)?;
            if embed::host(href)? != base_host {
                return None;
            }
            let rest = embed::strip_scheme(href)?;
            let start = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            &rest[start..]
        };
        let path = match path.strip_prefix(base_path) {
            Some(rest)
                if base_path.is_empty() || rest.is_empty() || rest.starts_with(['/', '?', '#']) =>
            {
                rest
            }
            _ => return None,
        };
        Some(if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        })
    }

    /// Whether a link is to the old site (see [`ConvertContext::site_path`]).
    pub fn is_internal(&self, href: &str) -> bool {
        self.site_path(href).is_some()
    }
}

/// A converted body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Converted {
    pub blocks: Vec<Block>,
    /// What could not be converted, one line each (the text was kept).
    pub problems: Vec<String>,
    internal_links: Vec<String>,
}

impl Converted {
    /// Every link to the old site, in body order: Markdown links, Read More links and image
    /// links under [`ConvertContext::base_url`] (or root-relative). They are given as the body
    /// had them; in Markdown a link's destination is written as [`markdown_destination`] makes
    /// it, so the caller can find it there and rewrite it.
    pub fn internal_links(&self) -> &[String] {
        &self.internal_links
    }
}

/// Converts a post body.
pub fn convert(content: &str, ctx: &ConvertContext) -> Converted {
    let tokens = html::tokenize(content);
    let classic = !tokens
        .iter()
        .any(|t| matches!(t, Token::BlockStart { .. } | Token::BlockEnd { .. }));
    let mut converter = Converter::new(ctx, classic, &tokens);
    for (i, token) in tokens.iter().enumerate() {
        converter.token(i, token);
    }
    converter.finish()
}

/// Blocks whose markup the converter reads as HTML: their delimiters change nothing.
const KNOWN_BLOCKS: &[&str] = &[
    "paragraph",
    "heading",
    "list",
    "list-item",
    "quote",
    "pullquote",
    "html",
    "group",
    "columns",
    "column",
    "preformatted",
    "code",
    "verse",
    "table",
    "freeform",
    "separator",
    "spacer",
    "more",
    "nextpage",
    "shortcode",
    "image",
    "gallery",
    "embed",
    "missing",
    "buttons",
    "button",
];

/// HTML elements that end a paragraph.
const BLOCK_ELEMENTS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "aside",
    "nav",
    "address",
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
    "form",
    "fieldset",
    "legend",
    "cite",
    "figcaption",
];

/// Shortcodes with no closing tag.
const SELF_CLOSING_SHORTCODES: &[&str] = &["gallery", "video", "audio", "playlist"];

/// An open `<figure>` or `[caption]`.
struct Figure {
    image: Option<Image>,
    caption: String,
    /// Text goes to the caption: inside `<figcaption>`, or after the image in `[caption]`.
    in_caption: bool,
    shortcode: bool,
    /// `[caption id="attachment_N"]`'s attachment.
    attachment_id: Option<u64>,
}

/// An open `wp:embed` block, `[embed]` shortcode, or a service's embed code (a
/// `<blockquote class="twitter-tweet">` and the like).
struct Embedding {
    url: String,
    /// The text inside (`[embed]url[/embed]`, the block's fallback, the quoted post).
    text: String,
    caption: String,
    in_caption: bool,
    from: EmbedFrom,
    /// Links inside: a quoted post's last one is its address.
    links: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EmbedFrom {
    Block,
    Shortcode,
    /// A blockquote, open this deep.
    Blockquote(usize),
}

/// Hosts of the scripts that services' embed codes load.
const EMBED_SCRIPT_HOSTS: &[&str] = &[
    "platform.twitter.com",
    "instagram.com",
    "tiktok.com",
    "connect.facebook.net",
];

/// Classes of the blockquotes services' embed codes write, with the post quoted inside.
const EMBED_BLOCKQUOTES: &[&str] = &[
    "twitter-tweet",
    "twitter-video",
    "instagram-media",
    "tiktok-embed",
];

struct Converter<'c> {
    ctx: &'c ConvertContext,
    classic: bool,
    blocks: Vec<Block>,
    problems: Vec<String>,
    seen_problems: HashSet<String>,
    /// Every link written, in body order.
    links: Vec<String>,
    md: Markdown,
    figures: Vec<Figure>,
    gallery: Option<(Vec<Image>, Vec<u64>)>,
    embed: Option<Embedding>,
    /// Inside `<script>` or `<style>`.
    skipping: Option<String>,
    /// The `wp:image` block's id, for the image inside it.
    block_image_id: Option<u64>,
    /// Hrefs of the open `<a>` elements.
    open_links: Vec<Option<String>>,
    /// For unknown shortcodes: the last index of each name's closing tag.
    last_close: HashMap<String, usize>,
    /// Unknown shortcodes open now.
    open_shortcodes: Vec<String>,
}

impl<'c> Converter<'c> {
    fn new(ctx: &'c ConvertContext, classic: bool, tokens: &[Token<'_>]) -> Self {
        let mut last_close = HashMap::new();
        for (i, token) in tokens.iter().enumerate() {
            if let Token::ShortcodeClose { name, .. } = token {
                last_close.insert(name.clone(), i);
            }
        }
        Converter {
            ctx,
            classic,
            blocks: Vec::new(),
            problems: Vec::new(),
            seen_problems: HashSet::new(),
            links: Vec::new(),
            md: Markdown::default(),
            figures: Vec::new(),
            gallery: None,
            embed: None,
            skipping: None,
            block_image_id: None,
            open_links: Vec::new(),
            last_close,
            open_shortcodes: Vec::new(),
        }
    }

    fn problem(&mut self, text: String) {
        if self.seen_problems.insert(text.clone()) {
            self.problems.push(text);
        }
    }

    fn token(&mut self, index: usize, token: &Token<'_>) {
        if let Some(element) = &self.skipping {
            if matches!(token, Token::End { name } if name == element) {
                self.skipping = None;
            }
            return;
        }
        match token {
            Token::Text(text) => self.text(&decode_entities(text)),
            Token::Literal(text) => self.text(text),
            Token::Comment(body) => self.comment(body),
            Token::Start { name, attrs } => self.start(name, attrs),
            Token::End { name } => self.end(name),
            Token::BlockStart {
                name,
                attrs,
                closed,
            } => self.block_start(name, attrs, *closed),
            Token::BlockEnd { name } => self.block_end(name),
            Token::ShortcodeOpen {
                name,
                attrs,
                raw,
                closed,
            } => self.shortcode_open(index, name, attrs, raw, *closed),
            Token::ShortcodeClose { name, raw } => self.shortcode_close(name, raw),
        }
    }

    // Text.

    fn text(&mut self, text: &str) {
        if let Some(embed) = &mut self.embed {
            if embed.in_caption {
                embed.caption.push_str(text);
            } else {
                embed.text.push_str(text);
            }
            return;
        }
        if let Some(figure) = self.figures.last_mut()
            && figure.in_caption
        {
            figure.caption.push_str(text);
            return;
        }
        if !self.classic || self.md.in_pre() {
            self.md.text(text, false);
            return;
        }
        // Classic content: a blank line ends the paragraph.
        let mut rest = text;
        loop {
            let (segment, next) = match split_blank_line(rest) {
                Some((before, after)) => (before, Some(after)),
                None => (rest, None),
            };
            self.classic_text(segment, next.is_some());
            match next {
                Some(after) => {
                    self.end_paragraph();
                    rest = after;
                }
                None => break,
            }
        }
    }

    /// Classic text without blank lines. A line that is only a URL WordPress embeds becomes an
    /// embed, as WordPress's auto-embeds work line by line; `ends_paragraph` tells whether a
    /// blank line follows the text.
    fn classic_text(&mut self, text: &str, ends_paragraph: bool) {
        let mut rest = text;
        let mut line_start = 0;
        while line_start <= rest.len() {
            let line_end = rest[line_start..]
                .find('\n')
                .map_or(rest.len(), |i| line_start + i);
            let line = &rest[line_start..line_end];
            let starts_line = line_start > 0 || self.md.paragraph_is_empty();
            let ends_line = line_end < rest.len() || ends_paragraph;
            if starts_line
                && ends_line
                && self.open_links.is_empty()
                && embed::is_embeddable_url(line)
            {
                self.md.text(&rest[..line_start], true);
                let url = line.trim().to_owned();
                self.emit(Block::Embed {
                    provider: embed::provider(&url),
                    url,
                    caption: None,
                });
                rest = &rest[line_end..];
                line_start = 1;
                continue;
            }
            if line_end == rest.len() {
                break;
            }
            line_start = line_end + 1;
        }
        self.md.text(rest, true);
    }

    /// `<!--nextpage-->` is a page break; `<!--more-->` (where the teaser ends) and other
    /// comments show nothing.
    fn comment(&mut self, body: &str) {
        if body.trim() == "nextpage" {
            self.emit(Block::PageBreak);
        }
    }

    // HTML elements.

    fn start(&mut self, name: &str, attrs: &[(String, String)]) {
        let attr = |key: &str| {
            attrs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        if let Some(embed) = &mut self.embed {
            match name {
                "figcaption" => embed.in_caption = true,
                "a" => {
                    if let Some(href) = attr("href").filter(|h| allowed_link(h)) {
                        embed.links.push(href.trim().to_owned());
                    }
                }
                "blockquote" => {
                    if let EmbedFrom::Blockquote(depth) = &mut embed.from {
                        *depth += 1;
                    }
                }
                "br" | "p" => embed.text.push(' '),
                _ => {}
            }
            return;
        }
        match name {
            "blockquote"
                if attr("class").is_some_and(|class| {
                    class
                        .split_whitespace()
                        .any(|c| EMBED_BLOCKQUOTES.contains(&c))
                }) =>
            {
                self.end_paragraph();
                let url = attr("data-instgrm-permalink")
                    .or_else(|| attr("cite"))
                    .filter(|u| allowed_link(u))
                    .unwrap_or_default();
                self.embed = Some(Embedding::new(
                    url.trim().to_owned(),
                    EmbedFrom::Blockquote(1),
                ));
            }
            "script" | "style" => {
                // The loader an embed code brings along goes unremarked.
                let embed_loader = attr("src")
                    .and_then(embed::host)
                    .is_some_and(|host| EMBED_SCRIPT_HOSTS.contains(&host.as_str()));
                if !embed_loader {
                    self.problem(format!("a <{name}> was left out, with its content"));
                }
                self.skipping = Some(name.to_owned());
            }
            "p" => self.end_paragraph(),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.end_paragraph();
                self.md.start_heading(name[1..].parse().unwrap_or(2));
            }
            "ul" | "ol" => {
                self.end_paragraph();
                let start = attr("start")
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(1);
                self.md.start_list(name == "ol", start);
            }
            "li" => {
                self.end_paragraph();
                self.md.start_item();
            }
            "blockquote" => {
                self.end_paragraph();
                self.md.start_quote();
            }
            "pre" => {
                self.end_paragraph();
                self.md.start_pre();
            }
            "hr" => self.emit(Block::Separator),
            "br" => {
                if let Some(figure) = self.figures.last_mut()
                    && figure.in_caption
                {
                    figure.caption.push(' ');
                } else if self.md.line_break() {
                    self.end_paragraph();
                }
            }
            "strong" | "b" => self.md.start_strong(),
            "em" | "i" => self.md.start_em(),
            "code" | "kbd" | "samp" | "tt" => self.md.start_code(),
            "a" => {
                let href = attr("href")
                    .map(str::trim)
                    .filter(|h| allowed_link(h))
                    .map(str::to_owned);
                let in_caption = self.figures.last().is_some_and(|f| f.in_caption);
                if let Some(href) = &href
                    && !in_caption
                {
                    self.links.push(href.clone());
                }
                self.open_links.push(href.clone());
                self.md.start_link(href);
            }
            "img" => self.image(attrs),
            "figure" => {
                self.end_paragraph();
                self.figures.push(Figure {
                    image: None,
                    caption: String::new(),
                    in_caption: false,
                    shortcode: false,
                    attachment_id: None,
                });
            }
            "figcaption" => {
                if let Some(figure) = self.figures.last_mut()
                    && figure.image.is_some()
                {
                    figure.in_caption = true;
                } else {
                    self.end_paragraph();
                }
            }
            "iframe" => {
                if let Some(src) = attr("src").filter(|s| !s.trim().is_empty()) {
                    let url = src.trim().to_owned();
                    self.emit(Block::Embed {
                        provider: embed::provider(&url),
                        url,
                        caption: None,
                    });
                }
            }
            "td" | "th" => self.md.text(" ", false),
            _ if BLOCK_ELEMENTS.contains(&name) => self.end_paragraph(),
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        if let Some(embed) = &mut self.embed {
            match name {
                "figcaption" => embed.in_caption = false,
                "p" => embed.text.push(' '),
                "blockquote" => {
                    if let EmbedFrom::Blockquote(depth) = &mut embed.from {
                        *depth -= 1;
                        if *depth == 0 {
                            self.finish_embed();
                        }
                    }
                }
                _ => {}
            }
            return;
        }
        match name {
            "p" => self.end_paragraph(),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => self.end_paragraph(),
            "ul" | "ol" => {
                self.end_paragraph();
                self.md.end_list();
            }
            "li" => {
                self.end_paragraph();
                self.md.end_item();
            }
            "blockquote" => {
                self.end_paragraph();
                self.md.end_quote();
            }
            "pre" => self.md.end_pre(),
            "strong" | "b" => self.md.end_strong(),
            "em" | "i" => self.md.end_em(),
            "code" | "kbd" | "samp" | "tt" => self.md.end_code(),
            "a" => {
                self.open_links.pop();
                self.md.end_link();
            }
            "figcaption" => {
                if let Some(figure) = self.figures.last_mut()
                    && figure.in_caption
                    && !figure.shortcode
                {
                    figure.in_caption = false;
                } else {
                    self.end_paragraph();
                }
            }
            "figure" => {
                if let Some(at) = self.figures.iter().rposition(|f| !f.shortcode) {
                    let figure = self.figures.remove(at);
                    self.finish_figure(figure);
                } else {
                    self.end_paragraph();
                }
            }
            "td" | "th" => self.md.text(" ", false),
            _ if BLOCK_ELEMENTS.contains(&name) => self.end_paragraph(),
            _ => {}
        }
    }

    fn image(&mut self, attrs: &[(String, String)]) {
        let attr = |key: &str| {
            attrs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim().to_owned())
        };
        let class_id = attr("class").and_then(|class| {
            class
                .split_whitespace()
                .find_map(|c| c.strip_prefix("wp-image-")?.parse::<u64>().ok())
        });
        let data_id = attr("data-id").and_then(|id| id.parse::<u64>().ok());
        let mut image = Image {
            src: attr("src").unwrap_or_default(),
            alt: attr("alt").unwrap_or_default(),
            attachment_id: self.block_image_id.or(class_id).or(data_id),
            link: self.open_links.iter().rev().find_map(Clone::clone),
            ..Image::default()
        };
        if let Some(figure) = self.figures.last_mut()
            && figure.image.is_none()
        {
            if image.attachment_id.is_none() {
                image.attachment_id = figure.attachment_id;
            }
            figure.image = Some(image);
            if figure.shortcode {
                figure.in_caption = true;
            }
            return;
        }
        self.md.paragraph.mixed = true;
        self.emit_image(image);
    }

    fn finish_figure(&mut self, figure: Figure) {
        match figure.image {
            Some(mut image) => {
                if figure.caption.trim().is_empty() && image.caption.is_empty() {
                    self.emit_image(image);
                    return;
                }
                let caption = if figure.caption.trim().is_empty() {
                    std::mem::take(&mut image.caption)
                } else {
                    collapse_whitespace(&figure.caption)
                };
                let (caption, credit) = split_credit(&caption);
                image.caption = caption;
                image.credit = credit;
                self.emit_image(image);
            }
            None => {
                // A figure with no image (a table, a quote): its text was written as prose.
                self.end_paragraph();
            }
        }
    }

    fn emit_image(&mut self, image: Image) {
        if let Some(link) = &image.link {
            self.links.push(link.clone());
        }
        if let Some((images, _)) = &mut self.gallery {
            images.push(image);
        } else {
            self.emit(Block::Image(image));
        }
    }

    // Block delimiters.

    fn block_start(&mut self, name: &str, attrs: &str, closed: bool) {
        let name = name.strip_prefix("core/").unwrap_or(name);
        let json = || serde_json::from_str::<serde_json::Value>(attrs).ok();
        if name == "embed" || name.starts_with("core-embed/") {
            let url = json()
                .and_then(|j| j.get("url")?.as_str().map(str::to_owned))
                .unwrap_or_default();
            self.end_paragraph();
            self.embed = Some(Embedding::new(url, EmbedFrom::Block));
            if closed {
                self.finish_embed();
            }
            return;
        }
        match name {
            "image" => {
                self.block_image_id = json().and_then(|j| j.get("id")?.as_u64());
            }
            "gallery" => {
                self.end_paragraph();
                self.flush_markdown();
                let ids = json()
                    .and_then(|j| {
                        j.get("ids")?
                            .as_array()
                            .map(|ids| ids.iter().filter_map(|v| v.as_u64()).collect())
                    })
                    .unwrap_or_default();
                self.gallery = Some((Vec::new(), ids));
                if closed {
                    self.finish_gallery();
                }
            }
            "nextpage" | "more" | "separator" if closed => {
                if name == "nextpage" {
                    self.emit(Block::PageBreak);
                } else if name == "separator" {
                    self.emit(Block::Separator);
                }
            }
            _ if KNOWN_BLOCKS.contains(&name) => {}
            _ => self.problem(format!(
                "the block wp:{name} is not converted; its text was kept"
            )),
        }
    }

    fn block_end(&mut self, name: &str) {
        let name = name.strip_prefix("core/").unwrap_or(name);
        if name == "embed" || name.starts_with("core-embed/") {
            if self
                .embed
                .as_ref()
                .is_some_and(|e| e.from == EmbedFrom::Block)
            {
                self.finish_embed();
            }
            return;
        }
        match name {
            "image" => self.block_image_id = None,
            "gallery" => self.finish_gallery(),
            _ => {}
        }
    }

    fn finish_embed(&mut self) {
        let Some(embed) = self.embed.take() else {
            return;
        };
        let (url, caption) = match embed.from {
            // The quoted post is the caption; its address, the last link to the service.
            EmbedFrom::Blockquote(_) => {
                let url = if embed.url.trim().is_empty() {
                    embed
                        .links
                        .iter()
                        .rev()
                        .find(|l| embed::provider(l) != EmbedProvider::Other)
                        .or(embed.links.last())
                        .cloned()
                        .unwrap_or_default()
                } else {
                    embed.url.trim().to_owned()
                };
                (url, collapse_whitespace(&embed.text))
            }
            _ if embed.url.trim().is_empty() => (
                collapse_whitespace(&embed.text),
                collapse_whitespace(&embed.caption),
            ),
            _ => (
                embed.url.trim().to_owned(),
                collapse_whitespace(&embed.caption),
            ),
        };
        if url.is_empty() {
            if !caption.is_empty() {
                self.md.text(&caption, false);
                self.end_paragraph();
            }
            return;
        }
        let block = Block::Embed {
            provider: embed::provider(&url),
            url,
            caption: (!caption.is_empty()).then_some(caption),
        };
        self.emit(block);
    }

    fn finish_gallery(&mut self) {
        let Some((mut images, ids)) = self.gallery.take() else {
            return;
        };
        self.end_paragraph();
        if images.is_empty() {
            images = ids
                .iter()
                .map(|id| Image {
                    attachment_id: Some(*id),
                    ..Image::default()
                })
                .collect();
        } else {
            for (image, id) in images.iter_mut().zip(&ids) {
                image.attachment_id.get_or_insert(*id);
            }
        }
        // Text written inside the gallery (its caption) follows it.
        let during = self.md.take();
        self.blocks.push(Block::Gallery(images));
        if !during.is_empty() {
            self.blocks.push(Block::Markdown(during));
        }
    }

    // Shortcodes.

    fn shortcode_open(
        &mut self,
        index: usize,
        name: &str,
        attrs: &[(String, String)],
        raw: &str,
        closed: bool,
    ) {
        let attr = |key: &str| {
            attrs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim().to_owned())
        };
        let has_close = self.last_close.get(name).is_some_and(|at| *at > index) && !closed;
        match name {
            "caption" | "wp_caption" if has_close => {
                self.end_paragraph();
                let id = attr("id").and_then(|id| id.strip_prefix("attachment_")?.parse().ok());
                self.figures.push(Figure {
                    image: None,
                    caption: attr("caption").unwrap_or_default(),
                    in_caption: false,
                    shortcode: true,
                    attachment_id: id,
                });
            }
            "embed" if has_close => {
                self.end_paragraph();
                self.embed = Some(Embedding::new(
                    attr("src").unwrap_or_default(),
                    EmbedFrom::Shortcode,
                ));
            }
            "gallery" => {
                let ids: Vec<u64> = attr("ids")
                    .or_else(|| attr("include"))
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|id| id.trim().parse().ok())
                    .collect();
                if ids.is_empty() {
                    self.problem(
                        "a [gallery] without ids (the post's attached images) was left out"
                            .to_owned(),
                    );
                    return;
                }
                let images = ids
                    .into_iter()
                    .map(|id| Image {
                        attachment_id: Some(id),
                        ..Image::default()
                    })
                    .collect();
                self.emit(Block::Gallery(images));
            }
            _ if has_close || SELF_CLOSING_SHORTCODES.contains(&name) => {
                self.problem(format!(
                    "the shortcode [{name}] is not converted; its text was kept"
                ));
                let media = [
                    "src", "mp4", "m4v", "webm", "ogv", "mp3", "m4a", "ogg", "wav",
                ]
                .iter()
                .find_map(|key| attr(key).filter(|v| allowed_link(v)));
                if let Some(url) = media {
                    self.md.start_link(Some(url.clone()));
                    self.md.text(&url, false);
                    self.md.end_link();
                    self.links.push(url);
                }
                if has_close {
                    self.open_shortcodes.push(name.to_owned());
                }
            }
            // Not a shortcode after all: `[note]` in prose.
            _ => self.text(raw),
        }
    }

    fn shortcode_close(&mut self, name: &str, raw: &str) {
        match name {
            "caption" | "wp_caption" => {
                if let Some(at) = self.figures.iter().rposition(|f| f.shortcode) {
                    let figure = self.figures.remove(at);
                    self.finish_figure(figure);
                    return;
                }
            }
            "embed" => {
                if self
                    .embed
                    .as_ref()
                    .is_some_and(|e| e.from == EmbedFrom::Shortcode)
                {
                    self.finish_embed();
                    return;
                }
            }
            _ => {
                if let Some(at) = self.open_shortcodes.iter().rposition(|n| n == name) {
                    self.open_shortcodes.truncate(at);
                    return;
                }
            }
        }
        self.text(raw);
    }

    // Output.

    /// Ends the paragraph being written; a "Read More" paragraph or a bare embed URL becomes a
    /// block of its own.
    fn end_paragraph(&mut self) {
        let top = self.md.at_top() && self.figures.is_empty();
        let before = self.md.out_len();
        let paragraph = self.md.flush();
        if !top {
            return;
        }
        let special = read_more(&paragraph.pieces).or_else(|| {
            if paragraph.mixed {
                return None;
            }
            match paragraph.visible().as_slice() {
                [Piece::Text(text)] if embed::is_embeddable_url(text) => {
                    let url = text.trim().to_owned();
                    Some(Block::Embed {
                        provider: embed::provider(&url),
                        url,
                        caption: None,
                    })
                }
                _ => None,
            }
        });
        if let Some(block) = special {
            self.md.discard_last_block(before);
            self.emit(block);
        }
    }

    /// Moves the Markdown written so far into a block.
    fn flush_markdown(&mut self) {
        let markdown = self.md.take();
        if !markdown.is_empty() {
            self.blocks.push(Block::Markdown(markdown));
        }
    }

    fn emit(&mut self, block: Block) {
        self.end_paragraph();
        self.flush_markdown();
        self.blocks.push(block);
    }

    fn finish(mut self) -> Converted {
        self.md.end_pre();
        if self.embed.is_some() {
            self.finish_embed();
        }
        while let Some(figure) = self.figures.pop() {
            self.finish_figure(figure);
        }
        if self.gallery.is_some() {
            self.finish_gallery();
        }
        self.end_paragraph();
        self.flush_markdown();
        // Read More links were links of the body, collected with the others.
        let ctx = self.ctx;
        let mut seen = HashSet::new();
        let internal_links: Vec<String> = self
            .links
            .into_iter()
            .filter(|link| ctx.is_internal(link) && seen.insert(link.clone()))
            .collect();
        Converted {
            blocks: self.blocks,
            problems: self.problems,
            internal_links,
        }
    }
}

impl Embedding {
    fn new(url: String, from: EmbedFrom) -> Self {
        Embedding {
            url,
            text: String::new(),
            caption: String::new(),
            in_caption: false,
            from,
            links: Vec::new(),
        }
    }
}

/// "Read More: <a href>title</a>" (or `Read more`, bold or not, a colon or not, spaces and
/// no-break spaces around), or a link whose text starts with "Read More:".
fn read_more(pieces: &[Piece]) -> Option<Block> {
    let visible: Vec<&Piece> = pieces
        .iter()
        .filter(|p| !matches!(p, Piece::Text(t) if crate::text::is_blank(t)))
        .collect();
    let (href, title) = match visible.as_slice() {
        [Piece::Text(lead), Piece::Link { href, text }] if is_read_more(lead) => {
            (href, collapse_whitespace(text))
        }
        [Piece::Link { href, text }] => {
            let text = collapse_whitespace(text);
            let lower = text.to_lowercase();
            let rest = lower.strip_prefix("read more")?.trim_start();
            let after = rest.strip_prefix([':', '-', '–', '—'])?;
            let title = text[text.len() - after.len()..].trim().to_owned();
            (href, title)
        }
        _ => return None,
    };
    if title.is_empty() || href.is_empty() {
        return None;
    }
    Some(Block::ReadMore {
        href: href.clone(),
        title,
    })
}

fn is_read_more(lead: &str) -> bool {
    let lead = collapse_whitespace(lead).to_lowercase();
    let lead = lead.trim_end_matches([':', '-', '–', '—', ' ']);
    lead == "read more"
}

/// Splits text at its first blank line (a run of whitespace holding two newlines).
fn split_blank_line(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            let mut j = i + 1;
            let mut newlines = 1;
            while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\r' | b'\n') {
                if bytes[j] == b'\n' {
                    newlines += 1;
                }
                j += 1;
            }
            if newlines >= 2 {
                return Some((&text[..i], &text[j..]));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    None
}

/// A credit at the end of a caption: `(Photo: AFP)`, `(Credit: …)`, `(Image: …)`, `Photo by …`,
/// or `Photo: …` after ` | `, ` - ` or ` — `. Returns the caption without it, and the credit.
fn split_credit(caption: &str) -> (String, Option<String>) {
    let caption = caption.trim();
    const LABELS: &[&str] = &[
        "photo:",
        "photo by",
        "photograph:",
        "credit:",
        "image:",
        "picture:",
        "courtesy:",
        "courtesy of",
    ];
    let credit_of = |part: &str| {
        let lower = part.to_lowercase();
        LABELS.iter().find_map(|label| {
            lower.strip_prefix(label).map(|rest| {
                part[part.len() - rest.len()..]
                    .trim()
                    .trim_end_matches('.')
                    .to_owned()
            })
        })
    };
    if let Some(inner) = caption.strip_suffix(')')
        && let Some(open) = inner.rfind('(')
        && let Some(credit) = credit_of(inner[open + 1..].trim())
        && !credit.is_empty()
    {
        return (caption[..open].trim().to_owned(), Some(credit));
    }
    for separator in [" | ", " - ", " — ", " – "] {
        if let Some(at) = caption.rfind(separator)
            && let Some(credit) = credit_of(caption[at + separator.len()..].trim())
            && !credit.is_empty()
        {
            return (caption[..at].trim().to_owned(), Some(credit));
        }
    }
    if let Some(credit) = credit_of(caption)
        && !credit.is_empty()
    {
        return (String::new(), Some(credit));
    }
    (caption.to_owned(), None)
}

/// Links kept in Markdown: anything but script-running schemes.
fn allowed_link(href: &str) -> bool {
    let lower: String = href
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    !lower.is_empty()
        && !["javascript:", "vbscript:", "data:"]
            .iter()
            .any(|scheme| lower.starts_with(scheme))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ConvertContext {
        ConvertContext::new("https://old.example.com")
    }

    fn blocks(content: &str) -> Vec<Block> {
        convert(content, &ctx()).blocks
    }

    fn md(text: &str) -> Block {
        Block::Markdown(text.to_owned())
    }

    #[test]
    fn classic_text_gets_wordpress_paragraphs_and_line_breaks() {
        assert_eq!(
            blocks("First line\nsame paragraph\n\nSecond <b>bold</b>\n\n\n&nbsp;\n\nThird"),
            vec![md(
                "First line\\\nsame paragraph\n\nSecond **bold**\n\nThird"
            )]
        );
        assert_eq!(
            blocks("One<br />\nTwo<br><br>Three"),
            vec![md("One\\\nTwo\n\nThree")]
        );
    }

    #[test]
    fn newlines_next_to_block_tags_are_not_line_breaks() {
        assert_eq!(
            blocks(
                "Intro\n<h3>Head</h3>\n<ul>\n <li>a</li>\n <li>b\n<ul><li>c</li></ul></li>\n</ul>\nEnd"
            ),
            vec![md("Intro\n\n### Head\n\n- a\n- b\n  - c\n\nEnd")]
        );
    }

    #[test]
    fn block_content_newlines_are_spaces() {
        assert_eq!(
            blocks("<!-- wp:paragraph -->\n<p>One\ntwo</p>\n<!-- /wp:paragraph -->"),
            vec![md("One two")]
        );
    }

    #[test]
    fn ordered_lists_quotes_code_and_links() {
        assert_eq!(
            blocks(
                "<ol start=\"3\"><li>x</li><li>y</li></ol><blockquote><p>q</p></blockquote>\
                 <p>Use <code>a*b</code> and <a href=\"/about/\">us</a>!<a href=\"https://x.test\">x</a></p>\
                 <pre>fn main() {\n  *x*\n}</pre>"
            ),
            vec![md(
                "3. x\n4. y\n\n> q\n\nUse `a*b` and [us](/about/)\\![x](https://x.test)\n\n```\nfn main() {\n  *x*\n}\n```"
            )]
        );
    }

    #[test]
    fn markdown_syntax_in_text_is_escaped() {
        assert_eq!(
            blocks("<p>2024. A *star* _under_ [x] #tag &lt;b&gt; a\\b</p><p># Not a heading</p>"),
            vec![md(
                "2024\\. A \\*star\\* \\_under\\_ \\[x\\] #tag \\<b\\> a\\\\b\n\n\\# Not a heading"
            )]
        );
    }

    #[test]
    fn read_more_paragraphs_in_every_dress() {
        let expected = Block::ReadMore {
            href: "https://old.example.com/a/".to_owned(),
            title: "A title".to_owned(),
        };
        for paragraph in [
            "<p><strong>Read More:</strong> <a href=\"https://old.example.com/a/\">A title</a></p>",
            "<p>Read more: <a href=\"https://old.example.com/a/\">A title</a>&nbsp;</p>",
            "<p><b>READ MORE: <a href=\"https://old.example.com/a/\">A  title</a></b></p>",
            "<p><a href=\"https://old.example.com/a/\">Read More: A title</a></p>",
            "Read More: <a href=\"https://old.example.com/a/\">A title</a>",
        ] {
            assert_eq!(blocks(paragraph), vec![expected.clone()], "{paragraph}");
        }
        // Not only a link: prose.
        assert!(matches!(
            blocks("<p>Read more: <a href=\"/a/\">A</a> and more</p>").as_slice(),
            [Block::Markdown(_)]
        ));
        assert!(matches!(
            blocks("<ul><li>Read more: <a href=\"/a/\">A</a></li></ul>").as_slice(),
            [Block::Markdown(_)]
        ));
    }

    #[test]
    fn classic_captions_become_images_with_credits() {
        assert_eq!(
            blocks(
                "[caption id=\"attachment_12\" align=\"alignnone\" width=\"300\"]<a href=\"https://old.example.com/full.jpg\">\
                 <img class=\"size-medium\" src=\"https://old.example.com/m.jpg\" alt=\"A &amp; B\" /></a> \
                 The mayor, 2019 (Photo: AFP)[/caption]"
            ),
            vec![Block::Image(Image {
                src: "https://old.example.com/m.jpg".to_owned(),
                alt: "A & B".to_owned(),
                caption: "The mayor, 2019".to_owned(),
                credit: Some("AFP".to_owned()),
                attachment_id: Some(12),
                link: Some("https://old.example.com/full.jpg".to_owned()),
            })]
        );
        // The old form: the caption as an attribute.
        assert_eq!(
            blocks(
                "[caption id=\"attachment_3\" caption=\"Old style | Photo by Jane Doe\"]<img src=\"a.jpg\">[/caption]"
            ),
            vec![Block::Image(Image {
                src: "a.jpg".to_owned(),
                caption: "Old style".to_owned(),
                credit: Some("Jane Doe".to_owned()),
                attachment_id: Some(3),
                ..Image::default()
            })]
        );
    }

    #[test]
    fn a_lone_image_in_prose_splits_it() {
        assert_eq!(
            blocks(
                "<p>Before <img class=\"alignleft wp-image-9\" src=\"i.jpg\" alt=\"\"> after</p>"
            ),
            vec![
                md("Before"),
                Block::Image(Image {
                    src: "i.jpg".to_owned(),
                    attachment_id: Some(9),
                    ..Image::default()
                }),
                md("after"),
            ]
        );
    }

    #[test]
    fn galleries_in_both_editors() {
        let images = |ids: &[u64]| {
            ids.iter()
                .map(|id| Image {
                    attachment_id: Some(*id),
                    ..Image::default()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            blocks("Before\n\n[gallery columns=\"2\" ids=\"4, 5,6\"]\n\nAfter"),
            vec![
                md("Before"),
                Block::Gallery(images(&[4, 5, 6])),
                md("After")
            ]
        );
        let converted = convert("[gallery]", &ctx());
        assert!(converted.blocks.is_empty());
        assert_eq!(converted.problems.len(), 1);
        let nested = "<!-- wp:gallery {\"linkTo\":\"none\"} -->\n<figure class=\"wp-block-gallery has-nested-images\">\
            <!-- wp:image {\"id\":4} --><figure class=\"wp-block-image\"><img src=\"a.jpg\" alt=\"A\" class=\"wp-image-4\"/>\
            <figcaption>First</figcaption></figure><!-- /wp:image -->\
            <!-- wp:image {\"id\":5} --><figure class=\"wp-block-image\"><img src=\"b.jpg\" alt=\"B\"/></figure><!-- /wp:image -->\
            <figcaption class=\"blocks-gallery-caption\">Both</figcaption></figure>\n<!-- /wp:gallery -->";
        assert_eq!(
            blocks(nested),
            vec![
                Block::Gallery(vec![
                    Image {
                        src: "a.jpg".to_owned(),
                        alt: "A".to_owned(),
                        caption: "First".to_owned(),
                        attachment_id: Some(4),
                        ..Image::default()
                    },
                    Image {
                        src: "b.jpg".to_owned(),
                        alt: "B".to_owned(),
                        attachment_id: Some(5),
                        ..Image::default()
                    },
                ]),
                md("Both"),
            ]
        );
        let old = "<!-- wp:gallery {\"ids\":[7,8]} --><figure class=\"wp-block-gallery\"><ul class=\"blocks-gallery-grid\">\
            <li class=\"blocks-gallery-item\"><figure><img src=\"c.jpg\" data-id=\"7\"/></figure></li>\
            <li class=\"blocks-gallery-item\"><figure><img src=\"d.jpg\"/></figure></li></ul></figure><!-- /wp:gallery -->";
        assert_eq!(
            blocks(old),
            vec![Block::Gallery(vec![
                Image {
                    src: "c.jpg".to_owned(),
                    attachment_id: Some(7),
                    ..Image::default()
                },
                Image {
                    src: "d.jpg".to_owned(),
                    attachment_id: Some(8),
                    ..Image::default()
                },
            ])]
        );
    }

    #[test]
    fn embeds_from_blocks_shortcodes_bare_urls_and_iframes() {
        let embed = |url: &str, provider| Block::Embed {
            url: url.to_owned(),
            provider,
            caption: None,
        };
        assert_eq!(
            blocks("[embed]https://vimeo.com/123[/embed]"),
            vec![embed("https://vimeo.com/123", EmbedProvider::Vimeo)]
        );
        assert_eq!(
            blocks("Text\n\nhttps://twitter.com/a/status/1\n\nhttps://example.com/page"),
            vec![
                md("Text"),
                embed("https://twitter.com/a/status/1", EmbedProvider::X),
                md("https://example.com/page"),
            ]
        );
        assert_eq!(
            blocks(
                "<!-- wp:core-embed/instagram {\"url\":\"https://www.instagram.com/p/x/\"} -->\n<figure><div>\nhttps://www.instagram.com/p/x/\n</div></figure>\n<!-- /wp:core-embed/instagram -->"
            ),
            vec![embed(
                "https://www.instagram.com/p/x/",
                EmbedProvider::Instagram
            )]
        );
        assert_eq!(
            blocks("<iframe src=\"https://www.youtube.com/embed/abc\" width=560></iframe>"),
            vec![embed(
                "https://www.youtube.com/embed/abc",
                EmbedProvider::YouTube
            )]
        );
        // A link to a video is prose, not an embed.
        assert!(matches!(
            blocks("<p><a href=\"https://youtu.be/x\">https://youtu.be/x</a></p>").as_slice(),
            [Block::Markdown(_)]
        ));
    }

    #[test]
    fn a_url_alone_on_a_line_of_classic_text_is_embedded() {
        assert_eq!(
            blocks("Watch this:\nhttps://youtu.be/abc\nMore text\n\nhttps://youtu.be/def"),
            vec![
                md("Watch this:"),
                Block::Embed {
                    url: "https://youtu.be/abc".to_owned(),
                    provider: EmbedProvider::YouTube,
                    caption: None,
                },
                md("More text"),
                Block::Embed {
                    url: "https://youtu.be/def".to_owned(),
                    provider: EmbedProvider::YouTube,
                    caption: None,
                },
            ]
        );
        // Not alone on its line: prose.
        assert_eq!(
            blocks("See https://youtu.be/abc\nhttps://youtu.be/abc now"),
            vec![md("See https://youtu.be/abc\\\nhttps://youtu.be/abc now")]
        );
    }

    #[test]
    fn embed_codes_pasted_from_services_become_embeds() {
        let converted = convert(
            "<p>Before</p><blockquote class=\"twitter-tweet\"><p lang=\"en\">Big news today <a href=\"https://t.co/x\">pic.twitter.com/x</a></p>\
             &mdash; Someone (@someone) <a href=\"https://twitter.com/someone/status/123?ref_src=twsrc\">May 1, 2024</a></blockquote>\
             <script async src=\"https://platform.twitter.com/widgets.js\" charset=\"utf-8\"></script><p>After</p>",
            &ctx(),
        );
        assert_eq!(
            converted.blocks,
            vec![
                md("Before"),
                Block::Embed {
                    url: "https://twitter.com/someone/status/123?ref_src=twsrc".to_owned(),
                    provider: EmbedProvider::X,
                    caption: Some(
                        "Big news today pic.twitter.com/x — Someone (@someone) May 1, 2024"
                            .to_owned()
                    ),
                },
                md("After"),
            ]
        );
        assert!(converted.problems.is_empty(), "{:?}", converted.problems);
        assert_eq!(
            blocks(
                "<blockquote class=\"instagram-media\" data-instgrm-permalink=\"https://www.instagram.com/p/abc/\"><div><a href=\"https://www.instagram.com/p/abc/?utm=1\">View</a></div></blockquote>"
            ),
            vec![Block::Embed {
                url: "https://www.instagram.com/p/abc/".to_owned(),
                provider: EmbedProvider::Instagram,
                caption: Some("View".to_owned()),
            }]
        );
    }

    #[test]
    fn pathological_input_converts_in_linear_time() {
        let started = std::time::Instant::now();
        for piece in [
            "[",
            "[[",
            "<!--",
            "<a href=\"",
            "<p>",
            "<b>",
            "<script>",
            "&amp",
            "<![CDATA[",
            "<x ",
            "\n",
            "[caption]",
            "<li>",
            "<blockquote class=\"twitter-tweet\">",
        ] {
            let input = piece.repeat(400_000 / piece.len());
            let converted = convert(&input, &ctx());
            assert!(converted.blocks.len() < 100_000, "{piece}");
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn separators_page_breaks_and_more() {
        assert_eq!(
            blocks("a<!--more-->\n\n<hr />b<!--nextpage-->c"),
            vec![
                md("a"),
                Block::Separator,
                md("b"),
                Block::PageBreak,
                md("c")
            ]
        );
        assert_eq!(
            blocks(
                "<!-- wp:paragraph --><p>a</p><!-- /wp:paragraph --><!-- wp:separator /--><!-- wp:nextpage /--><!-- wp:more /-->"
            ),
            vec![md("a"), Block::Separator, Block::PageBreak]
        );
    }

    #[test]
    fn unknown_blocks_and_shortcodes_keep_their_text_and_are_named() {
        let converted = convert(
            "<!-- wp:jetpack/slideshow {\"ids\":[1]} --><div><p>Slide text</p></div><!-- /wp:jetpack/slideshow -->\
             <!-- wp:paragraph --><p>[pullquote align=\"right\"]Quoted[/pullquote] and [sic] [1]</p><!-- /wp:paragraph -->",
            &ctx(),
        );
        assert_eq!(
            converted.blocks,
            vec![md("Slide text\n\nQuoted and \\[sic\\] \\[1\\]")]
        );
        assert_eq!(
            converted.problems,
            vec![
                "the block wp:jetpack/slideshow is not converted; its text was kept".to_owned(),
                "the shortcode [pullquote] is not converted; its text was kept".to_owned(),
            ]
        );
    }

    #[test]
    fn scripts_and_styles_are_dropped_and_reported() {
        let converted = convert(
            "<p>Before</p><script>alert('x <p>y</p>')</script><style>p{}</style><p>After</p>",
            &ctx(),
        );
        assert_eq!(converted.blocks, vec![md("Before\n\nAfter")]);
        assert_eq!(converted.problems.len(), 2);
    }

    #[test]
    fn malformed_markup_keeps_its_text() {
        for (html, expected) in [
            (
                "<p>open <b>bold <i>both</p><p>next",
                "open bold both\n\nnext",
            ),
            ("<p>a < b and c<d</p>", "a \\< b and c\\<d"),
            ("<p class=x>unquoted</P></p></div>", "unquoted"),
            ("<p>tail <a href=\"x", "tail \\<a href=\"x"),
            ("text <!-- unclosed comment", "text \\<!-- unclosed comment"),
            ("</li></ul>stray ends", "stray ends"),
        ] {
            assert_eq!(blocks(html), vec![md(expected)], "{html}");
        }
    }

    #[test]
    fn internal_links_are_collected() {
        let converted = convert(
            "<p><a href=\"https://old.example.com/a/\">a</a> <a href=\"http://www.OLD.example.com/b/?x=1\">b</a> \
             <a href=\"/c/\">c</a> <a href=\"https://elsewhere.test/\">d</a> <a href=\"javascript:alert(1)\">e</a></p>\
             <p>Read more: <a href=\"https://old.example.com/r/\">R</a></p>",
            &ctx(),
        );
        assert_eq!(
            converted.internal_links(),
            [
                "https://old.example.com/a/",
                "http://www.OLD.example.com/b/?x=1",
                "/c/",
                "https://old.example.com/r/",
            ]
        );
        assert!(matches!(&converted.blocks[0], Block::Markdown(m) if m.ends_with(" e")));
    }

    #[test]
    fn site_paths_are_under_the_base() {
        let ctx = ConvertContext::new("https://example.com/news/");
        assert_eq!(
            ctx.site_path("https://example.com/news/a/").as_deref(),
            Some("/a/")
        );
        assert_eq!(
            ctx.site_path("https://example.com/news").as_deref(),
            Some("/")
        );
        assert_eq!(ctx.site_path("https://example.com/newsroom/"), None);
        assert_eq!(ctx.site_path("https://other.com/news/a/"), None);
        assert_eq!(ctx.site_path("mailto:a@example.com"), None);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = format!(
            "{}x{}",
            "<ul><li>".repeat(10_000),
            "</li></ul>".repeat(10_000)
        );
        let converted = convert(&deep, &ctx());
        let [Block::Markdown(text)] = converted.blocks.as_slice() else {
            panic!("{:?}", converted.blocks);
        };
        assert!(text.ends_with('x'));
        assert!(text.len() < 200, "{text}");
        let quotes = format!("{}y", "<blockquote>".repeat(10_000));
        assert!(
            matches!(convert(&quotes, &ctx()).blocks.as_slice(), [Block::Markdown(t)] if t.ends_with('y'))
        );
    }

    #[test]
    fn credits_are_found_only_where_labelled() {
        assert_eq!(
            split_credit("Market day (Photo: Reuters)"),
            ("Market day".to_owned(), Some("Reuters".to_owned()))
        );
        assert_eq!(
            split_credit("Stalls. (Illustrative file photo)"),
            ("Stalls. (Illustrative file photo)".to_owned(), None)
        );
        assert_eq!(
            split_credit("Crowds — Courtesy of the council"),
            ("Crowds".to_owned(), Some("the council".to_owned()))
        );
        assert_eq!(
            split_credit("Photo: AP"),
            (String::new(), Some("AP".to_owned()))
        );
    }
}
