//! `dateline import wordpress FILE`: a WordPress export (WXR) becomes an export of ours, which
//! the import of Dateline's own files ([`crate::import`]) then checks and writes.
//!
//! One pass over the WXR file, one record in memory at a time ([`dateline_wordpress::read`]),
//! writes the records of our format ([`crate::portable`]) as the file goes: categories become
//! sections, tags stay tags, authors become bylines and newsroom accounts (which sign in only
//! once someone sets their password), posts become articles with their status, dates, slug,
//! excerpt (as the standfirst) and body (converted by [`dateline_wordpress::convert`]), and the
//! old addresses become redirects. Everything the import of our files does then holds for
//! WordPress too: the whole file is checked before anything is written, a second run adds
//! nothing the first wrote, a run cut short is finished by the next, and `--dry-run` writes
//! nothing.
//!
//! Pages come across with their hierarchy, order and status, their bodies converted as posts'
//! are, their old permalinks and `/?page_id=` links redirected to their new paths; the classic
//! menus become the header menu (and a menu named "footer" the footer menu), items that point
//! at a category or page named after it. What does not come across yet is counted and named in
//! the [`WordpressReport`]: attachments, comments.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use dateline_domain::Slug;
use dateline_wordpress::{
    Block, ConvertContext, EmbedProvider, Item, PostStatus, PostType, Record, Taxonomy, WxrError,
};

use crate::portable::{
    self, ArticleLine, HeaderLine, LabelLine, RedirectLine, SectionLine, UserLine,
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
    /// Pages converted, by their WordPress status.
    pub pages: HashMap<String, u64>,
    /// Menu items converted (into the header and footer menus).
    pub menu_items: u64,
    /// Comments not converted.
    pub comments_left_out: u64,
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

/// Text without markup, its entities decoded, spaces collapsed.
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

/// The slugs of the posts of a WXR file that will be articles: a Read More to one of them becomes
/// a Read More block, to anything else (a deleted or trashed post) a link. A first pass over the
/// file, keeping only the slugs.
pub fn article_slugs(input: impl BufRead) -> Result<HashSet<String>, WordpressError> {
    let mut slugs = HashSet::new();
    for record in dateline_wordpress::read(input) {
        match record {
            Ok(Record::Item(item)) if becomes_article(&item) => {
                slugs.insert(slug_for(&item.slug, item.title.trim(), item.post_id));
            }
            Ok(_) => {}
            Err(e) if e.is_fatal() => return Err(e.into()),
            Err(_) => {}
        }
    }
    Ok(slugs)
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

/// Converts a WXR file to our export format, written to `out`; what it did. `articles` are the
/// slugs [`article_slugs`] found in the same file.
pub fn convert_file(
    input: impl BufRead,
    articles: HashSet<String>,
    out: &mut impl Write,
    now: DateTime<Utc>,
) -> Result<WordpressReport, WordpressError> {
    let mut converter = Converter {
        articles,
        report: WordpressReport::default(),
        now,
        context: ConvertContext::new(""),
        language: "en".to_owned(),
        sections: HashSet::new(),
        tags: HashSet::new(),
        bylines: HashMap::new(),
        emails: HashMap::new(),
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
    redirects: HashSet<String>,
    /// Category slug → its path under its parents (`news/pakistan`).
    category_paths: HashMap<String, String>,
    uncategorized_written: bool,
    position: i64,
    /// Pages and menus, written at the end (see [`PagesAndMenus`]).
    standing: PagesAndMenus,
}

impl Converter {
    fn write(&mut self, out: &mut impl Write, record: portable::Record) -> std::io::Result<()> {
        writeln!(out, "{}", record.to_line())
    }

    fn record(&mut self, record: Record, out: &mut impl Write) -> std::io::Result<()> {
        match record {
            Record::Site(site) => {
                self.report.site = format!("{} ({})", site.title, site.link);
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
                return Ok(());
            }
        }
        self.report.comments_left_out += item.comments.len() as u64;
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
                return Ok(());
            }
            PostStatus::Inherit | PostStatus::Other(_) => {
                self.left_out(&format!("post of status {}", item.status.as_str()));
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
        let created = item.published_at.unwrap_or(self.now);
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
            featured_image: None,
            corrections: Vec::new(),
        };
        self.write(out, portable::Record::Article(line))?;
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
                Block::Markdown(text) => parts.push(text.trim_end().to_owned()),
                Block::ReadMore { href, title } => match self.internal_path(href) {
                    Some(path) => parts.push(format!("::: read-more {path}")),
                    None => parts.push(format!("Read More: [{}]({href})", title.trim())),
                },
                Block::Image(image) => {
                    images += 1;
                    if !image.caption.trim().is_empty() {
                        parts.push(format!("*{}*", plain(&image.caption)));
                    }
                }
                Block::Gallery(list) => {
                    images += list.len();
                    for image in list.iter().filter(|i| !i.caption.trim().is_empty()) {
                        parts.push(format!("*{}*", plain(&image.caption)));
                    }
                }
                Block::Embed {
                    url,
                    provider,
                    caption,
                } => {
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
                "{name}: {images} image(s) not imported (attachments do not come across yet); captions kept"
            ));
        }
        if embeds > 0 {
            self.report
                .problems
                .push(format!("{name}: {embeds} embed(s) kept as links"));
        }
        let mut body = parts
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        body.push('\n');
        body
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
const MAX_PAGES: usize = 5_000;
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
        self.report.comments_left_out += item.comments.len() as u64;
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
        let articles = article_slugs(file.as_bytes()).unwrap();
        assert_eq!(
            articles,
            HashSet::from(["first".to_owned(), "second".to_owned(), "later".to_owned()])
        );
        let mut out = Vec::new();
        let report = convert_file(file.as_bytes(), articles, &mut out, Utc::now()).unwrap();
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
        let articles = article_slugs(file.as_bytes()).unwrap();
        let mut out = Vec::new();
        let report = convert_file(file.as_bytes(), articles, &mut out, Utc::now()).unwrap();
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
