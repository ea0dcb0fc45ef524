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
//! Pages come across with their hierarchy, order and status, their bodies converted as posts'
//! are, their old permalinks and `/?page_id=` links redirected to their new paths; the classic
//! menus become the header menu (and a menu named "footer" the footer menu), items that point
//! at a category or page named after it.
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
    /// Items not converted, by kind ("attachment", "trashed post", "trashed page"…).
    pub left_out: HashMap<String, u64>,
    /// Comments converted, by status (`approved`, `pending`); those left out (trashed, spam,
    /// on an item left out) are counted in `left_out`.
    pub comments: HashMap<String, u64>,
    /// Images brought in from the uploads folder.
    pub images: u64,
    /// The keys of the images whose renditions this run wrote into the media directory (an
    /// import that then fails removes them).
    pub written_images: Vec<String>,
    /// Pages converted, by their WordPress status.
    pub pages: HashMap<String, u64>,
    /// Menu items converted (into the header and footer menus).
    pub menu_items: u64,
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

/// [`plain`] text without the characters no one-line field may hold.
fn plain_line(html: &str) -> String {
    plain(html)
        .chars()
        .filter(|c| !dateline_domain::is_forbidden_char(*c))
        .collect()
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
        standing: PagesAndMenus::default(),
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
    converter.write_pages_and_menus(out)?;
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
    /// Pages and menus, written at the end (see [`PagesAndMenus`]).
    standing: PagesAndMenus,
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
        image
            .attachment_id
            .and_then(|id| self.images.get(&id))
            .or_else(|| self.image_at(&image.src))
    }

    /// The image of ours made from the old site's file at `src` (an original or a size
    /// variant).
    fn image_at(&self, src: &str) -> Option<&ImportedImage> {
        let path = self.context.site_path(src)?;
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
            Record::Term(term) => match self.note_term(&term) {
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
            PostType::Page => {
                self.page(item);
                return Ok(());
            }
            PostType::NavMenuItem => {
                self.menu_item(&item);
                return Ok(());
            }
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
        let mut text = plain_line(&without_variables(
            &item.resolve_yoast(template, &self.site),
        ));
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
            let new = self
                .internal_path(link)
                .or_else(|| self.image_at(link).map(|i| i.path(u64::MAX)));
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

/// The most pages a file may bring; past it the rest are left out (each is held in memory until
/// the end of the file, where their paths are known).
const MAX_PAGES: usize = dateline_domain::Page::MAX_PAGES;
/// The most menu items held; a menu keeps at most [`MenuLimits::MAX_ITEMS`] of them.
///
/// [`MenuLimits::MAX_ITEMS`]: dateline_domain::MenuLimits::MAX_ITEMS
const MAX_MENU_ITEMS: usize = 1_000;

/// A page as read, until its parents are known.
struct WpPage {
    id: u64,
    parent: Option<u64>,
    order: i64,
    slug: String,
    title: String,
    status: &'static str,
    body: String,
    link: String,
    created: DateTime<Utc>,
    modified: Option<DateTime<Utc>>,
}

/// Pages, menu items and the terms they point at, gathered over the file and written at its
/// end: a page may come before its parent, a menu item before its page.
#[derive(Default)]
struct PagesAndMenus {
    pages: Vec<WpPage>,
    items: Vec<WpMenuItem>,
    /// Category term id → the section's slug and name.
    categories: HashMap<u64, (String, String)>,
    /// Menu slug → its name.
    menus: HashMap<String, String>,
}

impl Converter {
    /// Remembers what menu items may point at: categories (as sections) and the menus' names.
    fn note_term(&mut self, term: &dateline_wordpress::Term) -> Taxonomy {
        match &term.taxonomy {
            Taxonomy::Category => {
                let slug = slug_for(&term.slug, &term.name, term.term_id);
                self.standing
                    .categories
                    .insert(term.term_id, (slug, term.name.clone()));
            }
            Taxonomy::NavMenu => {
                self.standing
                    .menus
                    .insert(term.slug.clone(), term.name.clone());
            }
            _ => {}
        }
        term.taxonomy.clone()
    }

    /// Keeps a page for the end of the file.
    fn page(&mut self, item: Item) {
        let status = match item.status {
            PostStatus::Publish if item.is_password_protected() => {
                self.report.problems.push(format!(
                    "page {} ({}): password-protected, imported as a draft",
                    item.post_id, item.title
                ));
                "draft"
            }
            PostStatus::Publish => "published",
            PostStatus::Draft | PostStatus::Pending | PostStatus::Private | PostStatus::Future => {
                "draft"
            }
            PostStatus::Trash => {
                self.left_out("trashed page");
                return;
            }
            PostStatus::Inherit | PostStatus::Other(_) => {
                self.left_out(&format!("page of status {}", item.status.as_str()));
                return;
            }
        };
        if self.standing.pages.len() >= MAX_PAGES {
            self.left_out("page past the limit");
            return;
        }
        *self
            .report
            .pages
            .entry(item.status.as_str().to_owned())
            .or_default() += 1;
        self.comments_left_behind(&item);
        let title = if item.title.trim().is_empty() {
            format!("Untitled {}", item.post_id)
        } else {
            item.title.trim().to_owned()
        };
        // Read More blocks belong to articles: on a page they are plain links.
        let body = self
            .body(&item)
            .lines()
            .map(|line| match line.strip_prefix("::: read-more ") {
                Some(path) => format!("[Read more]({path})"),
                None => line.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        let created = item.published_at.unwrap_or(self.now);
        self.standing.pages.push(WpPage {
            id: item.post_id,
            parent: item.parent_id,
            order: item.menu_order,
            slug: slug_for(&item.slug, item.title.trim(), item.post_id),
            title,
            status,
            body,
            link: item.link.clone(),
            created,
            modified: item.modified_at.filter(|m| *m > created),
        });
    }

    /// Keeps a menu item for the end of the file.
    fn menu_item(&mut self, item: &Item) {
        if item.status == PostStatus::Trash {
            self.left_out("trashed menu item");
            return;
        }
        match item.menu_item() {
            Some(menu_item) if self.standing.items.len() < MAX_MENU_ITEMS => {
                self.standing.items.push(WpMenuItem {
                    id: item.post_id,
                    inner: menu_item,
                });
            }
            _ => self.left_out("menu item past the limit"),
        }
    }

    /// Every page's path (its slugs from the top), by WordPress id. A page whose parent is not
    /// coming across is put at the top, and said so.
    fn page_paths(&mut self) -> HashMap<u64, Vec<String>> {
        let ids: HashSet<u64> = self.standing.pages.iter().map(|p| p.id).collect();
        let parent_of: HashMap<u64, Option<u64>> = self
            .standing
            .pages
            .iter()
            .map(|p| (p.id, p.parent.filter(|parent| ids.contains(parent))))
            .collect();
        for page in &self.standing.pages {
            if page.parent.is_some_and(|parent| !ids.contains(&parent)) {
                self.report.problems.push(format!(
                    "page {} ({}): its parent page does not come across; imported at the top",
                    page.id, page.title
                ));
            }
        }
        let slug_of: HashMap<u64, String> = self
            .standing
            .pages
            .iter()
            .map(|p| (p.id, p.slug.clone()))
            .collect();
        let mut paths = HashMap::new();
        for page in &self.standing.pages {
            let mut chain = vec![page.slug.clone()];
            let mut at = parent_of.get(&page.id).copied().flatten();
            while let Some(parent) = at {
                if chain.len() > dateline_domain::Page::MAX_DEPTH {
                    break;
                }
                chain.push(slug_of[&parent].clone());
                at = parent_of.get(&parent).copied().flatten();
            }
            chain.reverse();
            paths.insert(page.id, chain);
        }
        paths
    }

    /// Writes the pages (parents first), their redirects, and the menus.
    fn write_pages_and_menus(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        // A top-level page whose slug an article or one of the site's own addresses holds
        // moves aside to `{slug}-page`.
        let ids: HashSet<u64> = self.standing.pages.iter().map(|p| p.id).collect();
        for page in &mut self.standing.pages {
            let top = page.parent.is_none_or(|parent| !ids.contains(&parent));
            let taken = self.articles.contains(&page.slug)
                || Slug::parse(&page.slug).is_ok_and(|s| dateline_domain::Page::reserved(&s));
            if top && taken {
                let moved = format!("{}-page", page.slug);
                self.report.problems.push(format!(
                    "page {} ({}): /{} is an article's or the site's own address; the page is at /{moved}",
                    page.id, page.title, page.slug
                ));
                page.slug = moved;
            }
        }
        let paths = self.page_paths();
        let mut order: Vec<usize> = (0..self.standing.pages.len()).collect();
        order.sort_by_key(|&i| {
            let page = &self.standing.pages[i];
            (paths[&page.id].len(), page.order, page.id)
        });
        let mut written: HashSet<Vec<String>> = HashSet::new();
        for i in order {
            let page = &self.standing.pages[i];
            let path = paths[&page.id].clone();
            if !written.insert(path.clone()) {
                self.report.problems.push(format!(
                    "page {} ({}): another page has the address /{}; left out",
                    page.id,
                    page.title,
                    path.join("/")
                ));
                continue;
            }
            let new_path = format!("/{}", path.join("/"));
            let line = portable::PageLine {
                path: new_path.clone(),
                title: page.title.clone(),
                body: page.body.clone(),
                description: String::new(),
                status: page.status.to_owned(),
                language: language_of(&page.title, &self.language),
                position: page.order,
                created_at: rfc3339(page.created),
                updated_at: page.modified.map(rfc3339),
                published_at: (page.status == "published").then(|| rfc3339(page.created)),
            };
            let (id, status, link) = (page.id, page.status, page.link.clone());
            self.write(out, portable::Record::Page(line))?;
            if status == "published" {
                self.redirect(out, &format!("/?page_id={id}"), &new_path)?;
                if let Some(old) = self.context.site_path(&link) {
                    let old = dateline_domain::paths::decode(&old).into_owned();
                    let old = old.trim_end_matches('/');
                    if !old.is_empty() && !old.contains('?') {
                        self.redirect(out, old, &new_path)?;
                    }
                }
            }
        }
        self.write_menus(out, &paths)
    }

    /// The classic menus: the first (or the one whose name or slug says "footer") becomes the
    /// footer menu, the first other the header menu; items in their order, nested one level.
    fn write_menus(
        &mut self,
        out: &mut impl Write,
        paths: &HashMap<u64, Vec<String>>,
    ) -> std::io::Result<()> {
        let items = std::mem::take(&mut self.standing.items);
        let mut menu_slugs: Vec<String> = Vec::new();
        for item in &items {
            let slug = item.menu.clone().unwrap_or_default();
            if !menu_slugs.contains(&slug) {
                menu_slugs.push(slug);
            }
        }
        let mut header_taken = false;
        let mut footer_taken = false;
        for slug in menu_slugs {
            let name = self
                .standing
                .menus
                .get(&slug)
                .cloned()
                .unwrap_or_else(|| slug.clone());
            let footer = slug.contains("footer") || name.to_lowercase().contains("footer");
            let ours = match (footer, header_taken, footer_taken) {
                (true, _, false) => {
                    footer_taken = true;
                    "footer"
                }
                (false, false, _) => {
                    header_taken = true;
                    "header"
                }
                _ => {
                    let count = items
                        .iter()
                        .filter(|i| i.menu.as_deref().unwrap_or_default() == slug)
                        .count();
                    self.report.problems.push(format!(
                        "menu {name}: {count} item(s) left out (Dateline has one header and one footer menu)"
                    ));
                    continue;
                }
            };
            let mine: Vec<&WpMenuItem> = items
                .iter()
                .filter(|i| i.menu.as_deref().unwrap_or_default() == slug)
                .collect();
            let line = self.menu_line(&name, ours, &mine, paths);
            if !line.items.is_empty() {
                self.report.menu_items += line.items.len() as u64;
                self.write(out, portable::Record::Menu(line))?;
            }
        }
        Ok(())
    }

    /// One menu's items, in order, each under its top-level item.
    fn menu_line(
        &mut self,
        name: &str,
        ours: &str,
        items: &[&WpMenuItem],
        paths: &HashMap<u64, Vec<String>>,
    ) -> portable::MenuLine {
        // WordPress ids of the items (the `custom` kind names itself as its object).
        let by_parent = |parent: Option<u64>| {
            let mut list: Vec<&WpMenuItem> = items
                .iter()
                .copied()
                .filter(|i| i.parent_item.filter(|p| *p > 0) == parent)
                .collect();
            list.sort_by_key(|i| i.order);
            list
        };
        // Top-level items have no parent item; everything under one (at any depth) follows it.
        let known: HashSet<u64> = items.iter().filter_map(|i| self_id(i)).collect();
        let mut tops: Vec<&WpMenuItem> = items
            .iter()
            .copied()
            .filter(|i| i.parent_item.is_none_or(|p| p == 0 || !known.contains(&p)))
            .collect();
        tops.sort_by_key(|i| i.order);
        let mut lines = Vec::new();
        for top in tops {
            let Some(line) = self.menu_item_line(name, top, false, paths) else {
                continue;
            };
            lines.push(line);
            // Every item below this one, flattened to one level.
            let mut below = Vec::new();
            let mut queue: Vec<u64> = self_id(top).into_iter().collect();
            let mut depth = 0;
            while let Some(parent) = queue.pop() {
                depth += 1;
                if depth > MAX_MENU_ITEMS {
                    break;
                }
                for child in by_parent(Some(parent)) {
                    below.push(child);
                    queue.extend(self_id(child));
                }
            }
            below.sort_by_key(|i| i.order);
            for child in below {
                if child.parent_item != self_id(top) {
                    self.report.problems.push(format!(
                        "menu {name}: \"{}\" was nested more than one level; it is now under \"{}\"",
                        self.menu_label(child, paths).unwrap_or_default(),
                        self.menu_label(top, paths).unwrap_or_default()
                    ));
                }
                if let Some(line) = self.menu_item_line(name, child, true, paths) {
                    lines.push(line);
                }
            }
        }
        let max = dateline_domain::MenuLimits::MAX_ITEMS;
        if lines.len() > max {
            self.report.problems.push(format!(
                "menu {name}: {} item(s) past the first {max} left out",
                lines.len() - max
            ));
            lines.truncate(max);
        }
        portable::MenuLine {
            name: ours.to_owned(),
            items: lines,
        }
    }

    /// The label of an item: its own, or (empty, as WordPress writes it for a category or page)
    /// the name of what it points at.
    fn menu_label(&self, item: &WpMenuItem, paths: &HashMap<u64, Vec<String>>) -> Option<String> {
        let own = item.title.trim();
        if !own.is_empty() {
            return Some(own.to_owned());
        }
        let id = item.object_id?;
        match item.object.as_str() {
            "category" => self.standing.categories.get(&id).map(|(_, n)| n.clone()),
            "page" => self
                .standing
                .pages
                .iter()
                .find(|p| p.id == id && paths.contains_key(&id))
                .map(|p| p.title.clone()),
            _ => None,
        }
    }

    /// One item as a line, or `None` (said in the report) when its target does not come across.
    fn menu_item_line(
        &mut self,
        name: &str,
        item: &WpMenuItem,
        nested: bool,
        paths: &HashMap<u64, Vec<String>>,
    ) -> Option<portable::MenuItemLine> {
        let mut line = portable::MenuItemLine {
            label: String::new(),
            page: None,
            section: None,
            url: None,
            nested,
        };
        let label = self.menu_label(item, paths);
        let what = label
            .clone()
            .unwrap_or_else(|| format!("item {}", item.order));
        let mut skip = |why: &str| {
            self.report
                .problems
                .push(format!("menu {name}: \"{what}\" left out: {why}"));
            None
        };
        let Some(label) = label else {
            return skip("it has no label and what it points at does not come across");
        };
        if dateline_domain::page::menu_label(&label).is_err() {
            return skip("its label is empty, too long or has control characters");
        }
        line.label = label
            .chars()
            .take(dateline_domain::MenuLimits::MAX_LABEL_CHARS)
            .collect();
        match (item.kind.as_str(), item.object.as_str(), item.object_id) {
            ("taxonomy", "category", Some(id)) => match self.standing.categories.get(&id) {
                Some((slug, _)) => line.section = Some(slug.clone()),
                None => return skip("its category does not come across"),
            },
            ("post_type", "page", Some(id)) => match paths.get(&id) {
                Some(path) => line.page = Some(format!("/{}", path.join("/"))),
                None => return skip("its page does not come across"),
            },
            ("post_type", "post", Some(id)) => line.url = Some(format!("/?p={id}")),
            ("custom", _, _) => {
                let url = item.url.clone().unwrap_or_default();
                let target = match self.context.site_path(&url) {
                    Some(path) => {
                        let decoded = dateline_domain::paths::decode(&path).into_owned();
                        let trimmed = decoded.trim_end_matches('/');
                        if trimmed.is_empty() {
                            "/".to_owned()
                        } else {
                            trimmed.to_owned()
                        }
                    }
                    None => url,
                };
                match dateline_domain::page::menu_url(&target) {
                    Ok(url) => line.url = Some(url),
                    Err(_) => return skip("its link is not a path or an http(s) address"),
                }
            }
            _ => return skip("it points at something that does not come across"),
        }
        Some(line)
    }
}

/// A menu item's own WordPress id, as its children name it in `_menu_item_menu_item_parent`.
fn self_id(item: &WpMenuItem) -> Option<u64> {
    Some(item.id)
}

/// A menu item with its own WordPress id.
struct WpMenuItem {
    id: u64,
    inner: dateline_wordpress::MenuItem,
}

impl std::ops::Deref for WpMenuItem {
    type Target = dateline_wordpress::MenuItem;

    fn deref(&self) -> &Self::Target {
        &self.inner
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

    /// A page or menu item: id, type, slug, parent, order, status, content, meta.
    fn item(
        id: u64,
        kind: &str,
        slug: &str,
        (parent, order): (u64, i64),
        status: &str,
        content: &str,
        meta: &[(&str, &str)],
    ) -> String {
        let meta: String = meta
            .iter()
            .map(|(k, v)| {
                format!(
                    "<wp:postmeta><wp:meta_key><![CDATA[{k}]]></wp:meta_key>\
                     <wp:meta_value><![CDATA[{v}]]></wp:meta_value></wp:postmeta>"
                )
            })
            .collect();
        let menu = if kind == "nav_menu_item" {
            "<category domain=\"nav_menu\" nicename=\"primary\"><![CDATA[Primary]]></category>"
        } else {
            ""
        };
        let title = if kind == "page" {
            format!("Page {slug}")
        } else {
            String::new()
        };
        format!(
            "<item><title>{title}</title><link>https://old.example/{slug}/</link>\
             <dc:creator><![CDATA[desk]]></dc:creator>\
             <content:encoded><![CDATA[{content}]]></content:encoded>\
             <wp:post_id>{id}</wp:post_id>\
             <wp:post_date_gmt><![CDATA[2024-04-16 05:00:00]]></wp:post_date_gmt>\
             <wp:post_name><![CDATA[{slug}]]></wp:post_name>\
             <wp:status><![CDATA[{status}]]></wp:status>\
             <wp:post_parent>{parent}</wp:post_parent><wp:menu_order>{order}</wp:menu_order>\
             <wp:post_type><![CDATA[{kind}]]></wp:post_type>{menu}{meta}</item>"
        )
    }

    #[test]
    fn pages_come_parents_first_and_menus_keep_one_level() {
        let page_item = |id: u64, parent: u64| {
            [
                ("_menu_item_type", "post_type".to_owned()),
                ("_menu_item_object", "page".to_owned()),
                ("_menu_item_object_id", id.to_string()),
                ("_menu_item_menu_item_parent", parent.to_string()),
            ]
        };
        let meta = |m: &[(&'static str, String)]| -> Vec<(&'static str, String)> { m.to_vec() };
        let items = [
            // Menu items first, a child page before its parent, a trashed page, a page whose
            // slug an article holds.
            item(
                50,
                "nav_menu_item",
                "50",
                (0, 1),
                "publish",
                "",
                &refs(&meta(&page_item(11, 0))),
            ),
            item(
                51,
                "nav_menu_item",
                "51",
                (0, 2),
                "publish",
                "",
                &refs(&meta(&page_item(10, 50))),
            ),
            item(
                52,
                "nav_menu_item",
                "52",
                (0, 3),
                "publish",
                "",
                &refs(&meta(&page_item(10, 51))),
            ),
            item(
                53,
                "nav_menu_item",
                "53",
                (0, 4),
                "publish",
                "",
                &[
                    ("_menu_item_type", "custom"),
                    ("_menu_item_object", "custom"),
                    ("_menu_item_url", "javascript:alert(1)"),
                ],
            )
            .replace("<title></title>", "<title>Evil</title>"),
            item(
                10,
                "page",
                "child",
                (11, 1),
                "publish",
                "<p>Read More: <a href=\"https://old.example/story/\">Story</a></p>",
                &[],
            ),
            item(11, "page", "parent", (0, 0), "publish", "<p>Top.</p>", &[]),
            item(12, "page", "gone", (0, 0), "trash", "<p>x</p>", &[]),
            item(13, "page", "story", (0, 0), "draft", "<p>x</p>", &[]),
        ];
        let posts = wxr(&[(1, "story", "publish", "<p>Story.</p>")]);
        let file = posts.replace("</channel>", &format!("{}</channel>", items.concat()));
        let survey = survey(file.as_bytes()).unwrap();
        let mut out = Vec::new();
        let report = convert_file(file.as_bytes(), survey, None, &mut out, Utc::now()).unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<portable::Record> = out
            .lines()
            .map(|l| portable::Record::parse(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        let pages: Vec<&portable::PageLine> = lines
            .iter()
            .filter_map(|r| match r {
                portable::Record::Page(p) => Some(p),
                _ => None,
            })
            .collect();
        let paths: Vec<&str> = pages.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["/parent", "/story-page", "/parent/child"]);
        assert!(
            pages[2].body.contains("[Read more](/story)"),
            "{}",
            pages[2].body
        );
        for page in &pages {
            page.check().unwrap_or_else(|e| panic!("{e}: {page:?}"));
        }
        assert_eq!(report.left_out.get("trashed page"), Some(&1));
        assert!(
            out.contains(r#""from":"/?page_id=10","to":"/parent/child""#),
            "{out}"
        );
        let menu = lines
            .iter()
            .find_map(|r| match r {
                portable::Record::Menu(m) => Some(m),
                _ => None,
            })
            .expect("a menu");
        assert_eq!(menu.name, "header");
        let items: Vec<(&str, bool)> = menu
            .items
            .iter()
            .map(|i| (i.page.as_deref().unwrap_or_default(), i.nested))
            .collect();
        assert_eq!(
            items,
            [
                ("/parent", false),
                ("/parent/child", true),
                ("/parent/child", true)
            ]
        );
        assert_eq!(menu.items[0].label, "Page parent", "named after its page");
        let notes = report.problems.join("\n");
        assert!(notes.contains("nested more than one level"), "{notes}");
        assert!(
            notes.contains("not a path or an http(s) address"),
            "{notes}"
        );
        assert!(notes.contains("/story-page"), "{notes}");
        menu.check().unwrap();
    }

    fn refs<'a>(m: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
        m.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}
