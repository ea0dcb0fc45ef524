//! `dateline import wordpress FILE`: a WordPress export (WXR) becomes an export of ours, which
//! the import of Dateline's own files ([`crate::import`]) then checks and writes.
//!
//! A first pass ([`survey`]) learns which posts become articles and what the attachments are;
//! with a copy of the old uploads folder, their pictures come across first ([`media`]). Then one
//! pass over the WXR file, one record in memory at a time ([`dateline_wordpress::read`]),
//! writes the records of our format ([`crate::portable`]) as the file goes: categories become
//! sections, tags stay tags, authors become bylines and newsroom accounts (which sign in only
//! once someone sets their password), posts become articles with their status, dates, slug,
//! excerpt (as the standfirst) and body (converted by [`dateline_wordpress::convert`]), and the
//! old addresses become redirects. Everything the import of our files does then holds for
//! WordPress too: the whole file is checked before anything is written, a second run adds
//! nothing the first wrote, a run cut short is finished by the next, and `--dry-run` writes
//! nothing. A newer export of the same site brings what changed there
//! ([`dateline_domain::WhenStored::UpdateIfNewer`]): a post edited or renamed since is brought
//! up to date, unless the newsroom has edited it here since.
//!
//! Comments come across with their posts: approved and pending ones, with their threads and,
//! when the commenter was one of the exported authors, their account; trashed ones (and spam,
//! which WordPress does not export) stay behind. Their text becomes plain text.
//!
//! What does not come across is counted and named in the [`WordpressReport`].

mod media;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use dateline_domain::{SearchText, Slug};
use dateline_wordpress::{
    Block, CommentApproval, ConvertContext, EmbedProvider, Item, PostStatus, PostType, Record,
    Taxonomy, WxrError,
};

pub use self::media::{Attachment, Uploads};
use crate::portable::{
    self, ArticleLine, CommentLine, CommentParent, HeaderLine, ImageLine, LabelLine, RedirectLine,
    SectionLine, UserLine,
};

/// The section of posts filed under no category.
const UNCATEGORIZED: (&str, &str) = ("uncategorized", "Uncategorized");

/// What the conversion did, for the report.
#[derive(Debug, Clone, Default)]
pub struct WordpressReport {
    /// The old site's address and title.
    pub site: String,
    /// Posts converted, by their WordPress status.
    pub posts: HashMap<String, u64>,
    /// Items not converted, by kind ("page", "attachment", "nav_menu_item", "trashed post"…).
    pub left_out: HashMap<String, u64>,
    /// Comments converted, by status (`approved`, `pending`); those left out (trashed, spam,
    /// on an item left out) are counted in `left_out`.
    pub comments: HashMap<String, u64>,
    /// Images brought in from the uploads folder.
    pub images: u64,
    /// The keys of the images whose renditions this run wrote into the media directory (an
    /// import that then fails removes them).
    pub written_images: Vec<String>,
    /// Sections, tags, bylines and redirects written.
    pub sections: u64,
    pub tags: u64,
    pub bylines: u64,
    pub redirects: u64,
    /// Items converted with something lost or changed on the way, with the reason.
    pub problems: Vec<String>,
}

/// Why a file could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum WordpressError {
    /// The WXR file itself: not WXR, malformed, truncated, or refused.
    #[error("{0}")]
    File(#[from] WxrError),
    #[error("cannot write the converted file: {0}")]
    Write(#[from] std::io::Error),
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A slug for `text` that ours accepts: the WordPress slug when it is one, else one made from
/// `fallback` (a title), else `post-ID`.
fn slug_for(slug: &str, fallback: &str, id: u64) -> String {
    Slug::parse(slug)
        .ok()
        .or_else(|| Slug::from_title(slug))
        .or_else(|| Slug::from_title(fallback))
        .map_or_else(|| format!("post-{id}"), |s| s.as_str().to_owned())
}

/// The language of a post: the site's, or Urdu for a title mostly in Arabic script.
fn language_of(title: &str, site: &str) -> String {
    let letters = title.chars().filter(|c| c.is_alphabetic()).count();
    let arabic = title
        .chars()
        .filter(|c| matches!(*c as u32, 0x0600..=0x06FF | 0x0750..=0x077F | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF))
        .count();
    if letters > 0 && arabic * 2 > letters {
        "ur".to_owned()
    } else {
        site.to_owned()
    }
}

/// `text` without the SEO plugin's variables the export cannot fill in (`%%primary_category%%`).
fn without_variables(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("%%") {
        let after = &rest[start + 2..];
        match after.find("%%") {
            Some(end)
                if end > 0
                    && after[..end]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                out.push_str(&rest[..start]);
                rest = &after[end + 2..];
            }
            _ => {
                out.push_str(&rest[..start + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Text without markup, its entities decoded, spaces collapsed.
/// An embed block (`::: embed URL Caption`) for a WordPress embed of a service we embed, its
/// caption as the title (plain text on one line, cut to the title's limit); `None` for a service
/// or an address we do not embed, which stays a link.
fn embed_line(url: &str, caption: Option<&str>) -> Option<String> {
    let title: String = caption
        .map(plain)
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(crate::embed::MAX_TITLE_CHARS)
        .collect();
    let line = format!("{} {}", url.trim(), title.trim());
    crate::embed::Embed::parse(&line).ok()?;
    Some(format!("::: embed {}", line.trim_end()))
}

/// `text` on one line without control characters, at most the length a comment's field may
/// have; `fallback` when nothing is left.
fn one_line(text: &str, fallback: &str) -> String {
    let line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !dateline_domain::is_forbidden_char(*c))
        .take(dateline_domain::comment::MAX_COMMENT_FIELD_CHARS)
        .collect();
    if line.is_empty() {
        fallback.to_owned()
    } else {
        line
    }
}

/// A comment's text as WordPress stored it (HTML, or text with line breaks) as plain text:
/// paragraphs kept apart by a blank line, lines kept, tags dropped, entities decoded, control
/// characters removed, at most a comment's length.
fn comment_text(content: &str) -> String {
    let mut text = content.replace("\r\n", "\n").replace('\r', "\n");
    for (from, to) in [
        ("<br>", "\n"),
        ("<br/>", "\n"),
        ("<br />", "\n"),
        ("</p>", "\n\n"),
    ] {
        text = text.replace(from, to);
    }
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            c => out.push(c),
        }
    }
    let decoded = dateline_wordpress::decode_entities(&out);
    let mut paragraphs: Vec<String> = Vec::new();
    for block in decoded.split("\n\n") {
        let lines: Vec<String> = block
            .lines()
            .map(|l| {
                l.chars()
                    .filter(|c| *c == '\t' || !dateline_domain::is_forbidden_char(*c))
                    .collect::<String>()
                    .trim()
                    .to_owned()
            })
            .filter(|l| !l.is_empty())
            .collect();
        if !lines.is_empty() {
            paragraphs.push(lines.join("\n"));
        }
    }
    let mut body = paragraphs.join("\n\n");
    let limit = dateline_domain::comment::MAX_COMMENT_BYTES;
    if body.len() > limit {
        let mut end = limit;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body.truncate(end);
    }
    body
}

fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if in_tag => {}
            c => out.push(c),
        }
    }
    let decoded = dateline_wordpress::decode_entities(&out);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a first pass over a WXR file learns, keeping little of each item: the slugs of the
/// posts that become articles (a Read More to one of them becomes a Read More block, to anything
/// else, such as a trashed post, a link) and the attachments, which come across before the posts
/// that show them.
#[derive(Debug, Clone, Default)]
pub struct Survey {
    pub articles: HashSet<String>,
    /// Post id → slug, of the posts that become published articles.
    pub published: HashMap<u64, String>,
    /// Attachments by post id.
    pub attachments: BTreeMap<u64, Attachment>,
    /// The old site's own address (`wp:base_site_url`), where its uploads live.
    pub site_url: String,
}

/// Reads a WXR file once to learn its [`Survey`]; a file that is not WXR, is malformed or cut
/// short fails here, before anything is written.
pub fn survey(input: impl BufRead) -> Result<Survey, WordpressError> {
    let mut survey = Survey::default();
    let mut site = ConvertContext::new("");
    let mut site_title = String::new();
    for record in dateline_wordpress::read(input) {
        match record {
            Ok(Record::Site(s)) => {
                survey.site_url = if s.base_site_url.is_empty() {
                    s.link.clone()
                } else {
                    s.base_site_url.clone()
                };
                site = ConvertContext::new(survey.site_url.clone());
                site_title = s.title.clone();
            }
            Ok(Record::Item(item)) if becomes_article(&item) => {
                let slug = slug_for(&item.slug, item.title.trim(), item.post_id);
                if item.status == PostStatus::Publish && item.password.is_empty() {
                    survey.published.insert(item.post_id, slug.clone());
                }
                survey.articles.insert(slug);
            }
            Ok(Record::Item(item)) if item.post_type == PostType::Attachment => {
                if let Some(attachment) = Attachment::of(&item, &site, &site_title) {
                    survey.attachments.insert(item.post_id, attachment);
                }
            }
            Ok(_) => {}
            Err(e) if e.is_fatal() => return Err(e.into()),
            Err(_) => {}
        }
    }
    Ok(survey)
}

/// Whether an item becomes an article (a post that is not in the trash).
fn becomes_article(item: &Item) -> bool {
    item.post_type == PostType::Post
        && matches!(
            item.status,
            PostStatus::Publish
                | PostStatus::Draft
                | PostStatus::Private
                | PostStatus::Pending
                | PostStatus::Future
        )
}

/// Converts a WXR file to our export format, written to `out`; what it did. `survey` is what
/// [`survey`] learned of the same file; with `uploads`, its images are brought in too.
pub fn convert_file(
    input: impl BufRead,
    survey: Survey,
    uploads: Option<Uploads<'_>>,
    out: &mut impl Write,
    now: DateTime<Utc>,
) -> Result<WordpressReport, WordpressError> {
    let mut converter = Converter {
        articles: survey.articles,
        published: survey.published,
        site_url: survey.site_url,
        images: HashMap::new(),
        image_files: HashMap::new(),
        uploads_prefix: None,
        site: dateline_wordpress::Site::default(),
        report: WordpressReport::default(),
        now,
        context: ConvertContext::new(""),
        language: "en".to_owned(),
        sections: HashSet::new(),
        tags: HashSet::new(),
        bylines: HashMap::new(),
        emails: HashMap::new(),
        emails_by_id: HashMap::new(),
        redirects: HashSet::new(),
        category_paths: HashMap::new(),
        uncategorized_written: false,
        position: 0,
    };
    let header = portable::Record::Header(HeaderLine {
        format: portable::FORMAT.to_owned(),
        version: portable::VERSION,
        exported_at: rfc3339(now),
        generator: Some("dateline import wordpress".to_owned()),
    });
    writeln!(out, "{}", header.to_line())?;
    converter.context = ConvertContext::new(converter.site_url.clone());
    converter.attachments(survey.attachments, uploads, out)?;
    for record in dateline_wordpress::read(input) {
        match record {
            Ok(record) => converter.record(record, out)?,
            Err(e) if e.is_fatal() => return Err(e.into()),
            Err(e) => converter.report.problems.push(format!("left out: {e}")),
        }
    }
    Ok(converter.report)
}

struct Converter {
    report: WordpressReport,
    /// The slugs of the file's posts that become articles.
    articles: HashSet<String>,
    /// Post id → slug of the posts that become published articles.
    published: HashMap<u64, String>,
    /// The old site's address, where its uploads live.
    site_url: String,
    /// Attachment id → the image of ours it became.
    images: HashMap<u64, ImportedImage>,
    /// A file under the old uploads folder (an original or a size variant) → its attachment.
    image_files: HashMap<String, u64>,
    /// The old site's uploads folder (`/wp-content/uploads/`).
    uploads_prefix: Option<String>,
    /// The old site, for the SEO fields' variables (`%%sitename%%`).
    site: dateline_wordpress::Site,
    now: DateTime<Utc>,
    context: ConvertContext,
    /// The site's language (`en` of `en-US`).
    language: String,
    sections: HashSet<String>,
    tags: HashSet<String>,
    /// Author login → byline slug.
    bylines: HashMap<String, String>,
    /// Author login → the e-mail address of their account.
    emails: HashMap<String, String>,
    /// Author (user) id → the e-mail address of their account: a registered commenter's.
    emails_by_id: HashMap<u64, String>,
    redirects: HashSet<String>,
    /// Category slug → its path under its parents (`news/pakistan`).
    category_paths: HashMap<String, String>,
    uncategorized_written: bool,
    position: i64,
}

/// An attachment brought in as an image of ours.
#[derive(Debug, Clone)]
struct ImportedImage {
    key: String,
    ext: &'static str,
    /// Rendition widths, smallest first.
    renditions: Vec<u32>,
}

impl ImportedImage {
    /// The address of its rendition closest to `width` from above (the largest if none is).
    fn path(&self, width: u64) -> String {
        let chosen = self
            .renditions
            .iter()
            .copied()
            .find(|w| u64::from(*w) >= width)
            .or(self.renditions.last().copied())
            .unwrap_or_default();
        format!("/media/{}/{chosen}.{}", self.key, self.ext)
    }
}

/// Widest rendition a body shows (its column is narrower).
const BODY_IMAGE_WIDTH: u64 = 1280;

impl Converter {
    fn write(&mut self, out: &mut impl Write, record: portable::Record) -> std::io::Result<()> {
        writeln!(out, "{}", record.to_line())
    }

    /// The attachments: with `uploads`, each image brought in and written as an image line
    /// (before the articles that show them), its old file addresses redirected; without, they
    /// are counted as left out. Attachment pages lead to the post they belong to.
    fn attachments(
        &mut self,
        attachments: BTreeMap<u64, Attachment>,
        uploads: Option<Uploads<'_>>,
        out: &mut impl Write,
    ) -> std::io::Result<()> {
        for (id, attachment) in attachments {
            if self.uploads_prefix.is_none() {
                self.uploads_prefix = attachment.uploads_prefix();
            }
            let image = match &uploads {
                None => {
                    self.left_out("attachment (no --uploads folder given)");
                    None
                }
                Some(_) if !attachment.looks_like_a_picture() => {
                    self.left_out("attachment (not a picture)");
                    self.report.problems.push(format!(
                        "attachment {id} ({}): not a picture; Dateline keeps pictures only",
                        attachment.file
                    ));
                    None
                }
                Some(uploads) => {
                    let key = media::key_for(&self.site_url, &attachment.file);
                    match media::bring_in(&attachment, uploads, &key) {
                        Ok(brought) => Some((key, brought)),
                        Err(why) => {
                            self.left_out("attachment (file not usable)");
                            self.report
                                .problems
                                .push(format!("attachment {id} ({}): {why}", attachment.file));
                            None
                        }
                    }
                }
            };
            let image = match image {
                Some((key, brought)) => {
                    if brought.written {
                        self.report.written_images.push(key.clone());
                    }
                    self.report.images += 1;
                    let outline = brought.outline;
                    self.write(
                        out,
                        portable::Record::Image(ImageLine {
                            key: key.clone(),
                            ext: outline.ext.to_owned(),
                            width: outline.width,
                            height: outline.height,
                            renditions: outline.renditions.clone(),
                            files: Vec::new(),
                            alt: attachment.alt.clone(),
                            caption: attachment.caption.clone(),
                            credit: attachment.credit.clone(),
                            uploaded_by: None,
                            created_at: rfc3339(attachment.uploaded_at.unwrap_or(self.now)),
                        }),
                    )?;
                    let image = ImportedImage {
                        key,
                        ext: outline.ext,
                        renditions: outline.renditions,
                    };
                    self.image_files.insert(attachment.file.clone(), id);
                    for (variant, _) in &attachment.variants {
                        self.image_files.insert(variant.clone(), id);
                    }
                    self.images.insert(id, image.clone());
                    Some(image)
                }
                None => None,
            };
            self.attachment_redirects(id, &attachment, image.as_ref(), out)?;
        }
        Ok(())
    }

    /// The old addresses of an attachment: its files lead to the renditions closest in width,
    /// its attachment page (and `/?attachment_id=N`) to the post it belongs to, or else to the
    /// picture.
    fn attachment_redirects(
        &mut self,
        id: u64,
        attachment: &Attachment,
        image: Option<&ImportedImage>,
        out: &mut impl Write,
    ) -> std::io::Result<()> {
        if let (Some(image), Some(prefix)) = (image, self.uploads_prefix.clone()) {
            self.redirect(
                out,
                &format!("{prefix}{}", attachment.file),
                &image.path(u64::MAX),
            )?;
            for (variant, width) in &attachment.variants {
                self.redirect(
                    out,
                    &format!("{prefix}{variant}"),
                    &image.path(width.unwrap_or(u64::MAX)),
                )?;
            }
        }
        let home = match attachment.parent.and_then(|p| self.published.get(&p)) {
            Some(slug) => Some(format!("/{slug}")),
            None => image.map(|i| i.path(u64::MAX)),
        };
        if let Some(home) = home {
            if let Some(page) = attachment.page.clone() {
                self.redirect(out, &page, &home)?;
            }
            self.redirect(out, &format!("/?attachment_id={id}"), &home)?;
        }
        Ok(())
    }

    /// The image of ours a body image became: by its attachment id, else by its file's address.
    fn image_of(&self, image: &dateline_wordpress::Image) -> Option<&ImportedImage> {
        if let Some(found) = image.attachment_id.and_then(|id| self.images.get(&id)) {
            return Some(found);
        }
        let path = self.context.site_path(&image.src)?;
        let path = path.split(['?', '#']).next()?;
        let file = path.strip_prefix(self.uploads_prefix.as_deref()?)?;
        let file = percent_encoding::percent_decode_str(file)
            .decode_utf8()
            .ok()?;
        self.images.get(self.image_files.get(file.as_ref())?)
    }

    /// A body image as ours: the picture, and its caption (with its credit) under it.
    fn body_image(&self, image: &dateline_wordpress::Image, parts: &mut Vec<String>) -> bool {
        let found = self.image_of(image);
        if let Some(found) = found {
            let alt = plain(&image.alt)
                .replace('\\', "\\\\")
                .replace('[', "\\[")
                .replace(']', "\\]");
            parts.push(format!("![{alt}]({})", found.path(BODY_IMAGE_WIDTH)));
        }
        let mut caption = plain(&image.caption);
        if let Some(credit) = image.credit.as_deref().map(plain).filter(|c| !c.is_empty())
            && !caption.contains(&credit)
        {
            caption = format!("{caption} ({credit})").trim().to_owned();
        }
        if !caption.is_empty() {
            parts.push(format!("*{caption}*"));
        }
        found.is_some()
    }

    fn record(&mut self, record: Record, out: &mut impl Write) -> std::io::Result<()> {
        match record {
            Record::Site(site) => {
                self.report.site = format!("{} ({})", site.title, site.link);
                self.site = site.clone();
                self.context = ConvertContext::for_site(&site);
                let primary = site.language.split(['-', '_']).next().unwrap_or("en");
                if !primary.is_empty() {
                    self.language = primary.to_ascii_lowercase();
                }
                self.redirect(out, "/feed", "/feed.xml")?;
                self.redirect(out, "/feed/atom", "/feed.atom")?;
                self.redirect(out, "/feed/rss2", "/feed.xml")
            }
            Record::Author(author) => {
                let name = if author.display_name.trim().is_empty() {
                    author.login.clone()
                } else {
                    author.display_name.clone()
                };
                let slug = slug_for(&author.login, &name, author.id);
                self.bylines.insert(author.login.clone(), slug.clone());
                self.report.bylines += 1;
                self.write(
                    out,
                    portable::Record::Author(LabelLine {
                        slug: slug.clone(),
                        name: name.clone(),
                    }),
                )?;
                if dateline_domain::Email::parse(&author.email).is_ok() {
                    self.emails
                        .insert(author.login.clone(), author.email.trim().to_lowercase());
                    self.emails_by_id
                        .insert(author.id, author.email.trim().to_lowercase());
                    self.write(
                        out,
                        portable::Record::User(UserLine {
                            email: author.email.trim().to_lowercase(),
                            name,
                            role: "contributor".to_owned(),
                            created_at: rfc3339(self.now),
                        }),
                    )?;
                } else {
                    self.report.problems.push(format!(
                        "author {}: no usable e-mail address, so a byline without an account",
                        author.login
                    ));
                }
                if author.login != slug {
                    self.redirect(
                        out,
                        &format!("/author/{}", author.login),
                        &format!("/author/{slug}"),
                    )?;
                }
                Ok(())
            }
            Record::Term(term) => match term.taxonomy {
                Taxonomy::Category => {
                    let slug = slug_for(&term.slug, &term.name, term.term_id);
                    if self.sections.insert(slug.clone()) {
                        self.position += 1;
                        self.report.sections += 1;
                        self.write(
                            out,
                            portable::Record::Section(SectionLine {
                                slug: slug.clone(),
                                name: term.name.clone(),
                                position: self.position,
                            }),
                        )?;
                    }
                    if term.parent.is_some() {
                        self.report.problems.push(format!(
                            "category {}: a section of its own (sections have no parents)",
                            term.name
                        ));
                    }
                    // The old category archive and its feed: WordPress writes a child's path
                    // under its parents' (`/category/news/pakistan/`); the bare one answers too.
                    let path = match term
                        .parent
                        .as_ref()
                        .and_then(|p| self.category_paths.get(p))
                    {
                        Some(parent) => format!("{parent}/{}", term.slug),
                        None => term.slug.clone(),
                    };
                    self.category_paths.insert(term.slug.clone(), path.clone());
                    for old in [
                        format!("/category/{path}"),
                        format!("/category/{}", term.slug),
                    ] {
                        self.redirect(out, &old, &format!("/section/{slug}"))?;
                        self.redirect(
                            out,
                            &format!("{old}/feed"),
                            &format!("/section/{slug}/feed.xml"),
                        )?;
                    }
                    Ok(())
                }
                Taxonomy::Tag => {
                    let slug = slug_for(&term.slug, &term.name, term.term_id);
                    if self.tags.insert(slug.clone()) {
                        self.report.tags += 1;
                        self.write(
                            out,
                            portable::Record::Tag(LabelLine {
                                slug: slug.clone(),
                                name: term.name.clone(),
                            }),
                        )?;
                    }
                    if term.slug != slug {
                        self.redirect(
                            out,
                            &format!("/tag/{}", term.slug),
                            &format!("/tag/{slug}"),
                        )?;
                    }
                    self.redirect(
                        out,
                        &format!("/tag/{}/feed", term.slug),
                        &format!("/tag/{slug}/feed.xml"),
                    )?;
                    Ok(())
                }
                _ => Ok(()),
            },
            Record::Item(item) => self.item(*item, out),
        }
    }

    /// A redirect from `from` (a path as people type it, without a trailing slash) to `to`,
    /// once.
    fn redirect(&mut self, out: &mut impl Write, from: &str, to: &str) -> std::io::Result<()> {
        if from == to || !self.redirects.insert(from.to_owned()) {
            return Ok(());
        }
        self.report.redirects += 1;
        self.write(
            out,
            portable::Record::Redirect(RedirectLine {
                from: from.to_owned(),
                to: to.to_owned(),
                created_at: rfc3339(self.now),
            }),
        )
    }

    fn left_out(&mut self, what: &str) {
        *self.report.left_out.entry(what.to_owned()).or_default() += 1;
    }

    fn item(&mut self, item: Item, out: &mut impl Write) -> std::io::Result<()> {
        match &item.post_type {
            PostType::Post => {}
            // Counted and written by the first step (`attachments`).
            PostType::Attachment => return Ok(()),
            other => {
                let kind = other.as_str().to_owned();
                self.left_out(&kind);
                self.comments_left_behind(&item);
                return Ok(());
            }
        }
        let status = match item.status {
            PostStatus::Publish if !item.password.is_empty() => {
                self.report.problems.push(format!(
                    "post {} ({}): password-protected, imported as a draft",
                    item.post_id, item.title
                ));
                "draft"
            }
            PostStatus::Publish => "published",
            PostStatus::Draft | PostStatus::Private => "draft",
            PostStatus::Pending => "in_review",
            PostStatus::Future => "scheduled",
            PostStatus::Trash => {
                self.left_out("trashed post");
                self.comments_left_behind(&item);
                return Ok(());
            }
            PostStatus::Inherit | PostStatus::Other(_) => {
                self.left_out(&format!("post of status {}", item.status.as_str()));
                self.comments_left_behind(&item);
                return Ok(());
            }
        };
        *self
            .report
            .posts
            .entry(item.status.as_str().to_owned())
            .or_default() += 1;
        if !self.uncategorized_written {
            self.uncategorized_written = true;
            if self.sections.insert(UNCATEGORIZED.0.to_owned()) {
                self.position += 1;
                self.report.sections += 1;
                self.write(
                    out,
                    portable::Record::Section(SectionLine {
                        slug: UNCATEGORIZED.0.to_owned(),
                        name: UNCATEGORIZED.1.to_owned(),
                        position: self.position,
                    }),
                )?;
            }
        }
        let headline = if item.title.trim().is_empty() {
            self.report.problems.push(format!(
                "post {}: no title, imported as \"Untitled {}\"",
                item.post_id, item.post_id
            ));
            format!("Untitled {}", item.post_id)
        } else {
            item.title.trim().to_owned()
        };
        let slug = slug_for(&item.slug, item.title.trim(), item.post_id);
        let categories: Vec<String> = item
            .terms
            .iter()
            .filter(|t| t.taxonomy == Taxonomy::Category)
            .map(|t| slug_for(&t.slug, &t.name, item.post_id))
            .filter(|s| self.sections.contains(s))
            .collect();
        let section = categories
            .iter()
            .find(|s| s.as_str() != UNCATEGORIZED.0)
            .or(categories.first())
            .cloned()
            .unwrap_or_else(|| UNCATEGORIZED.0.to_owned());
        let tags: Vec<String> = item
            .terms
            .iter()
            .filter(|t| t.taxonomy == Taxonomy::Tag)
            .map(|t| slug_for(&t.slug, &t.name, item.post_id))
            .filter(|s| self.tags.contains(s))
            .collect();
        let authors: Vec<String> = self
            .bylines
            .get(&item.author)
            .cloned()
            .into_iter()
            .collect();
        let body = self.body(&item);
        // The same on every run (an article is known by its slug and creation time): a draft
        // dated before the file tells the site's offset has its local date taken as UTC.
        let created = item
            .published_at
            .or_else(|| item.post_date.map(|d| d.and_utc()))
            .or(item.modified_at)
            .unwrap_or(self.now);
        let modified = item.modified_at.filter(|m| *m > created);
        let line = ArticleLine {
            slug: slug.clone(),
            headline: headline.clone(),
            standfirst: plain(&item.excerpt),
            body,
            section,
            tags,
            authors,
            source: None,
            status: status.to_owned(),
            language: language_of(&headline, &self.language),
            firstcreated: rfc3339(created),
            versioncreated: modified.map(rfc3339),
            firstpublished: (status == "published").then(|| rfc3339(created)),
            embargoed: (status == "scheduled").then(|| rfc3339(created)),
            revision: 0,
            live_revision: None,
            created_by: self.emails.get(&item.author).cloned(),
            featured_image: item
                .thumbnail_id()
                .and_then(|id| self.images.get(&id))
                .map(|image| image.key.clone()),
            corrections: Vec::new(),
            previous_slugs: self.previous_slugs(&item, &slug),
            seo_title: self.seo_text(&item, item.seo_title(), SearchText::MAX_TITLE_CHARS),
            seo_description: self.seo_text(
                &item,
                item.seo_description(),
                SearchText::MAX_DESCRIPTION_CHARS,
            ),
            // A sticky post leads the home page, as it did on the old site.
            pinned_at: (item.sticky && status == "published").then(|| rfc3339(created)),
        };
        self.write(out, portable::Record::Article(line))?;
        self.comments(&item, &slug, created, out)?;
        if status == "published" {
            // WordPress's link by number, `/?p=ID`.
            self.redirect(out, &format!("/?p={}", item.post_id), &format!("/{slug}"))?;
            for old in item.old_slugs() {
                if old != slug {
                    self.redirect(out, &format!("/{old}"), &format!("/{slug}"))?;
                }
            }
            if item.slug != slug && !item.slug.is_empty() {
                self.redirect(out, &format!("/{}", item.slug), &format!("/{slug}"))?;
            }
        }
        Ok(())
    }

    /// An SEO plugin's field as ours: its variables filled in, on one line, within `max`
    /// characters (cut at a word, and reported); empty when it has none.
    fn seo_text(&mut self, item: &Item, field: Option<&str>, max: usize) -> String {
        let Some(template) = field.filter(|f| !f.trim().is_empty()) else {
            return String::new();
        };
        let resolved = without_variables(&item.resolve_yoast(template, &self.site));
        let mut text: String = plain(&resolved)
            .chars()
            .filter(|c| !c.is_control() && !dateline_domain::is_forbidden_char(*c))
            .collect();
        // Our pages add the site's name to the title themselves.
        let site = self.site.title.trim();
        if max == SearchText::MAX_TITLE_CHARS
            && !site.is_empty()
            && let Some(before) = text.strip_suffix(site)
        {
            text = before
                .trim_end_matches(|c: char| c.is_whitespace() || "-|–—·:»".contains(c))
                .to_owned();
        }
        if text.chars().count() <= max {
            return text;
        }
        self.report.problems.push(format!(
            "post {} ({}): its SEO text was longer than {max} characters and was shortened",
            item.post_id, item.title
        ));
        let mut cut: String = text.chars().take(max).collect();
        if let Some(space) = cut.rfind(' ') {
            cut.truncate(space);
        }
        cut
    }

    /// The slugs an earlier import may have given the post: those it had before on the old
    /// site (`_wp_old_slug`), and the one made from its title while it was a draft without one.
    fn previous_slugs(&self, item: &Item, slug: &str) -> Vec<String> {
        let mut previous = item.old_slugs();
        previous.push(slug_for("", item.title.trim(), item.post_id));
        previous.retain(|old| old != slug && Slug::parse(old).is_ok());
        previous.dedup();
        previous.truncate(crate::articles::MAX_LABELS);
        previous
    }

    /// The comments of an item that is not imported.
    fn comments_left_behind(&mut self, item: &Item) {
        for _ in &item.comments {
            self.left_out("comment on an item left out");
        }
    }

    /// The approved and pending comments of the post just written (`slug`, created at
    /// `created`), oldest first, each after the comment it answers; trashed and spam ones are
    /// counted as left out. A reply to a comment left out starts a thread of its own.
    fn comments(
        &mut self,
        item: &Item,
        slug: &str,
        created: DateTime<Utc>,
        out: &mut impl Write,
    ) -> std::io::Result<()> {
        let mut comments: Vec<&dateline_wordpress::Comment> = item.comments.iter().collect();
        comments.sort_by_key(|c| (c.date_gmt, c.id));
        // WordPress id → (time, author) of the comments written.
        let mut written: HashMap<u64, (DateTime<Utc>, String)> = HashMap::new();
        for c in comments {
            let status = match &c.approved {
                CommentApproval::Approved => "approved",
                CommentApproval::Pending => "pending",
                CommentApproval::Trash => {
                    self.left_out("trashed comment");
                    continue;
                }
                CommentApproval::Spam => {
                    self.left_out("spam comment");
                    continue;
                }
                CommentApproval::Other(other) => {
                    self.left_out(&format!("comment of status {other}"));
                    continue;
                }
            };
            let kind = match c.kind {
                dateline_wordpress::CommentKind::Pingback
                | dateline_wordpress::CommentKind::Trackback => "pingback",
                _ => "comment",
            };
            let mut at = c
                .date_gmt
                .or_else(|| c.date.map(|d| d.and_utc()))
                .unwrap_or(created);
            let author = one_line(&plain(&c.author), "Anonymous");
            // Two comments of a post by one author at one second are one key: keep both, a
            // millisecond apart.
            while written.values().any(|(t, a)| *t == at && *a == author) {
                at += chrono::Duration::milliseconds(1);
            }
            let body = comment_text(&c.content);
            if body.is_empty() {
                self.left_out("empty comment");
                continue;
            }
            let parent = c
                .parent_id
                .and_then(|p| written.get(&p))
                .map(|(t, a)| CommentParent {
                    created_at: rfc3339(*t),
                    author: a.clone(),
                });
            if c.parent_id.is_some() && parent.is_none() {
                self.report.problems.push(format!(
                    "post {}: comment {} answers a comment left out, so it starts a thread",
                    item.post_id, c.id
                ));
            }
            let line = CommentLine {
                article: slug.to_owned(),
                article_created: rfc3339(created),
                created_at: rfc3339(at),
                author: author.clone(),
                email: one_line(c.author_email.trim(), ""),
                url: one_line(c.author_url.trim(), ""),
                body,
                status: status.to_owned(),
                kind: kind.to_owned(),
                parent,
                user: c.user_id.and_then(|id| self.emails_by_id.get(&id).cloned()),
            };
            self.write(out, portable::Record::Comment(line))?;
            written.insert(c.id, (at, author));
            *self.report.comments.entry(status.to_owned()).or_default() += 1;
        }
        Ok(())
    }

    /// The post's body in our format, with what was lost on the way reported.
    fn body(&mut self, item: &Item) -> String {
        let converted = dateline_wordpress::convert(&item.content, &self.context);
        let name = format!("post {} ({})", item.post_id, item.title);
        for problem in &converted.problems {
            self.report.problems.push(format!("{name}: {problem}"));
        }
        let mut parts: Vec<String> = Vec::new();
        let mut images = 0;
        let mut embeds = 0;
        for block in &converted.blocks {
            match block {
                Block::Markdown(text) => {
                    parts.push(self.own_links(text.trim_end(), converted.internal_links()));
                }
                Block::ReadMore { href, title } => match self.internal_path(href) {
                    Some(path) => parts.push(format!("::: read-more {path}")),
                    None => parts.push(format!("Read More: [{}]({href})", title.trim())),
                },
                Block::Image(image) => {
                    if !self.body_image(image, &mut parts) {
                        images += 1;
                    }
                }
                Block::Gallery(list) => {
                    for image in list {
                        if !self.body_image(image, &mut parts) {
                            images += 1;
                        }
                    }
                }
                Block::Embed {
                    url,
                    provider,
                    caption,
                } => {
                    if let Some(line) = embed_line(url, caption.as_deref()) {
                        parts.push(line);
                        continue;
                    }
                    embeds += 1;
                    let label = match provider {
                        EmbedProvider::YouTube => "Watch on YouTube",
                        EmbedProvider::X => "See the post on X",
                        EmbedProvider::Facebook => "See it on Facebook",
                        EmbedProvider::Instagram => "See it on Instagram",
                        EmbedProvider::Vimeo => "Watch on Vimeo",
                        EmbedProvider::Other => "See it",
                    };
                    parts.push(format!("[{label}]({url})"));
                    if let Some(caption) = caption.as_deref().filter(|c| !c.trim().is_empty()) {
                        parts.push(format!("*{}*", plain(caption)));
                    }
                }
                Block::Separator | Block::PageBreak => parts.push("---".to_owned()),
            }
        }
        if images > 0 {
            self.report.problems.push(format!(
                "{name}: {images} image(s) not imported (no attachment of the export with its file); captions kept"
            ));
        }
        if embeds > 0 {
            self.report.problems.push(format!(
                "{name}: {embeds} embed(s) Dateline does not embed kept as links"
            ));
        }
        let mut body = parts
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        body.push('\n');
        body
    }

    /// `markdown` with its links to the old site's posts and uploaded pictures pointing at
    /// their new homes. Links to what did not come across are left as they were.
    fn own_links(&self, markdown: &str, links: &[String]) -> String {
        let mut text = markdown.to_owned();
        for link in links {
            let new = self.internal_path(link).or_else(|| {
                let image = dateline_wordpress::Image {
                    src: link.clone(),
                    ..Default::default()
                };
                self.image_of(&image).map(|i| i.path(u64::MAX))
            });
            if let Some(new) = new {
                let old = format!("]({})", dateline_wordpress::markdown_destination(link));
                text = text.replace(&old, &format!("]({new})"));
            }
        }
        text
    }

    /// The path on the new site of a link to one of the old site's posts (`/slug`), if it is one.
    fn internal_path(&self, href: &str) -> Option<String> {
        if !self.context.is_internal(href) {
            return None;
        }
        let path = self.context.site_path(href)?;
        let slug = path.trim_matches('/');
        if slug.is_empty() || slug.contains('/') {
            return None;
        }
        let decoded = percent_encoding::percent_decode_str(slug)
            .decode_utf8()
            .ok()?
            .into_owned();
        self.articles
            .contains(&decoded)
            .then(|| format!("/{decoded}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_come_from_wordpress_else_the_title() {
        assert_eq!(slug_for("imran-khan", "x", 1), "imran-khan");
        assert_eq!(slug_for("", "Floods in Sindh", 2), "floods-in-sindh");
        assert_eq!(slug_for("", "", 3), "post-3");
        assert_eq!(slug_for("کراچی-بارش", "x", 4), "کراچی-بارش");
    }

    #[test]
    fn urdu_titles_are_urdu() {
        assert_eq!(language_of("کراچی میں بارش", "en"), "ur");
        assert_eq!(language_of("Floods in Sindh", "en"), "en");
    }

    /// A WXR file of `posts`: (id, slug, status, content).
    fn wxr(posts: &[(u64, &str, &str, &str)]) -> String {
        let mut items = String::new();
        for (id, slug, status, content) in posts {
            items.push_str(&format!(
                "<item><title>Post {id}</title><link>https://old.example/{slug}/</link>\
                 <dc:creator><![CDATA[desk]]></dc:creator>\
                 <content:encoded><![CDATA[{content}]]></content:encoded>\
                 <excerpt:encoded><![CDATA[]]></excerpt:encoded>\
                 <wp:post_id>{id}</wp:post_id>\
                 <wp:post_date><![CDATA[2024-04-16 10:00:00]]></wp:post_date>\
                 <wp:post_date_gmt><![CDATA[2024-04-16 05:00:00]]></wp:post_date_gmt>\
                 <wp:post_name><![CDATA[{slug}]]></wp:post_name>\
                 <wp:status><![CDATA[{status}]]></wp:status>\
                 <wp:post_type><![CDATA[post]]></wp:post_type></item>"
            ));
        }
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\" \
             xmlns:excerpt=\"http://wordpress.org/export/1.2/excerpt/\" \
             xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
             xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
             xmlns:wp=\"http://wordpress.org/export/1.2/\"><channel><title>Old</title>\
             <link>https://old.example</link><language>en-US</language>\
             <wp:wxr_version>1.2</wp:wxr_version>\
             <wp:base_site_url>https://old.example</wp:base_site_url>\
             <wp:base_blog_url>https://old.example</wp:base_blog_url>{items}</channel></rss>"
        )
    }

    #[test]
    fn read_more_to_a_post_that_stays_behind_is_a_link() {
        let read_more = |slug: &str| {
            format!("<p>Read More: <a href=\"https://old.example/{slug}/\">Story {slug}</a></p>")
        };
        let file = wxr(&[
            (1, "first", "publish", &read_more("later")),
            (2, "second", "publish", &read_more("binned")),
            (3, "later", "publish", "<p>Later.</p>"),
            (4, "binned__trashed", "trash", "<p>Gone.</p>"),
        ]);
        let survey = survey(file.as_bytes()).unwrap();
        assert_eq!(
            survey.articles,
            HashSet::from(["first".to_owned(), "second".to_owned(), "later".to_owned()])
        );
        let mut out = Vec::new();
        let report = convert_file(file.as_bytes(), survey, None, &mut out, Utc::now()).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("::: read-more /later"), "{out}");
        assert!(
            out.contains("Read More: [Story binned](https://old.example/binned/)"),
            "{out}"
        );
        assert_eq!(report.left_out.get("trashed post"), Some(&1));
        // Every line is a record our import reads.
        for line in out.lines() {
            portable::Record::parse(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        }
    }

    #[test]
    fn seo_variables_that_cannot_be_filled_in_go() {
        assert_eq!(
            without_variables("Budget %%primary_category%% talks %%sep%% 100%% sure"),
            "Budget  talks  100%% sure"
        );
    }

    #[test]
    fn embeds_of_services_we_embed_become_embed_blocks_and_others_stay_links() {
        let content = "<!-- wp:embed {\"url\":\"https://www.youtube.com/watch?v=gvsFixture1\",\"type\":\"video\",\"providerNameSlug\":\"youtube\"} -->\n\
            <figure class=\"wp-block-embed is-provider-youtube\"><div class=\"wp-block-embed__wrapper\">\n\
            https://www.youtube.com/watch?v=gvsFixture1\n\
            </div><figcaption>The <em>minister's</em> statement</figcaption></figure>\n\
            <!-- /wp:embed -->\n\n\
            <!-- wp:paragraph --><p>Between.</p><!-- /wp:paragraph -->\n\n\
            <!-- wp:embed {\"url\":\"https://www.instagram.com/p/abc/\",\"providerNameSlug\":\"instagram\"} -->\n\
            <figure class=\"wp-block-embed\"><div class=\"wp-block-embed__wrapper\">\n\
            https://www.instagram.com/p/abc/\n\
            </div></figure>\n\
            <!-- /wp:embed -->";
        let classic = "Before.\n\nhttps://x.com/GVS_News/status/1780000000000000001\n\n\
            [embed]https://vimeo.com/76979871[/embed]\n\nAfter.";
        let file = wxr(&[
            (1, "blocks", "publish", content),
            (2, "classic", "publish", classic),
        ]);
        let survey = survey(file.as_bytes()).unwrap();
        let mut out = Vec::new();
        let report = convert_file(file.as_bytes(), survey, None, &mut out, Utc::now()).unwrap();
        let bodies: Vec<String> = String::from_utf8(out)
            .unwrap()
            .lines()
            .filter_map(|line| match portable::Record::parse(line).unwrap() {
                portable::Record::Article(article) => Some(article.body),
                _ => None,
            })
            .collect();
        assert_eq!(
            bodies[0],
            "::: embed https://www.youtube.com/watch?v=gvsFixture1 The minister's statement\n\n\
             Between.\n\n[See it on Instagram](https://www.instagram.com/p/abc/)\n"
        );
        assert_eq!(
            bodies[1],
            "Before.\n\n::: embed https://x.com/GVS_News/status/1780000000000000001\n\n\
             ::: embed https://vimeo.com/76979871\n\nAfter.\n"
        );
        for body in &bodies {
            crate::body::parse(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        }
        assert_eq!(
            report
                .problems
                .iter()
                .filter(|p| p.contains("embed"))
                .collect::<Vec<_>>(),
            ["post 1 (Post 1): 1 embed(s) Dateline does not embed kept as links"]
        );
    }

    #[test]
    fn comment_text_is_plain_with_its_paragraphs() {
        assert_eq!(
            comment_text("<p>One <em>two</em> &amp; three</p><p>Four<br />five</p>"),
            "One two & three\n\nFour\nfive"
        );
        assert_eq!(
            comment_text("Line one\r\nline two\r\n\r\n\r\nNext\u{0}."),
            "Line one\nline two\n\nNext."
        );
        assert_eq!(comment_text("[&#8230;] linked [&#8230;]"), "[…] linked […]");
        assert_eq!(comment_text("<p> </p>"), "");
        assert_eq!(one_line("  A\n  B\u{7} ", "Anonymous"), "A B");
        assert_eq!(one_line(" ", "Anonymous"), "Anonymous");
    }

    #[test]
    fn excerpts_lose_their_markup() {
        assert_eq!(
            plain("<p>Putin&#8217;s call &amp; the <b>SCO</b></p>\n"),
            "Putin’s call & the SCO"
        );
    }
}
