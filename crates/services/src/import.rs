//! `dateline import FILE`: reads an export (see [`crate::portable`] and `docs/EXPORT.md`) into a
//! database, new or in use.
//!
//! Two passes over the file, one line in memory at a time (at most
//! [`MAX_LINE_BYTES`](crate::portable::MAX_LINE_BYTES)):
//!
//! 1. **Check.** Every line is parsed and checked by the newsroom's rules, and every reference
//!    (a section, a byline, an account, an image, a Read More target) must be to a record above
//!    it or already stored; a Read More target may also come further down. Every problem is
//!    reported with its line number, and if there is one, nothing is written.
//! 2. **Write.** Records go to the store in batches, each one transaction. A record whose key
//!    (slug, e-mail address, image key, path) is already stored is left as it is, so importing a
//!    file twice, or again after an interruption, changes nothing the first run wrote. An
//!    article is the same one when its slug and creation time match; an article of another
//!    creation time under the same slug is kept, and the file's is left out (and reported).
//!
//! A Read More block whose target comes later in the file is stored with its path and no link
//! until the target is in; the last step links it. If writing fails midway (the database goes
//! away), the batches before are stored, whole: run the import again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use chrono::{DateTime, Utc};
use dateline_domain::{
    ArticleId, ImportItem, ImportOutcome, PortableArticle, PortableStore, Slug, StoreError,
    WhenStored,
};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};

use crate::ServiceError;
use crate::accounts::{HashGate, Password, hash_password, random_token};
use crate::backup::copy_image_files;
use crate::body::{self, Block, Reference};
use crate::portable::{
    ArticleLine, FORMAT, MAX_LINE_BYTES, Problems, Record, VERSION, image_files,
};

/// Records written per transaction, at most.
const BATCH_RECORDS: usize = 500;
/// Bytes of records written per transaction, about.
const BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Problems reported before the check gives up reading.
const MAX_PROBLEMS: usize = 100;
/// Records left out as taken that the report names (all are counted).
const MAX_NAMED: usize = 50;

/// How to import.
#[derive(Clone, Copy)]
pub struct ImportOptions<'a> {
    /// Where the site keeps uploaded images (`<data dir>/media`).
    pub media_dir: &'a Path,
    /// A media directory to copy the files of the file's images from (another installation's
    /// `<data dir>/media`, or a backup's `media`).
    pub media_from: Option<&'a Path>,
    /// Check the file, write nothing.
    pub dry_run: bool,
    /// Told every [`PROGRESS_LINES`] lines how far each pass is: "checked" or "written", and
    /// the line number.
    pub progress: Option<&'a (dyn Fn(&'static str, u64) + Sync)>,
    /// What to do with an article the database already holds: keep it (a file of ours), or
    /// bring it up to date when the file's copy is newer (a newer export of a site moving over).
    pub when_stored: WhenStored,
}

/// Lines between two progress reports.
pub const PROGRESS_LINES: u64 = 5_000;

/// What happened to the records of one type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub added: u64,
    /// Already stored (written by an earlier import, or the same in both databases).
    pub already_there: u64,
    /// Stored, and brought up to date from the file's newer copy.
    pub updated: u64,
    /// Stored, changed in the file since, but edited in the newsroom since it was imported: the
    /// newsroom's copy kept.
    pub edited_here: u64,
    /// Left out: the key is taken by something else.
    pub taken: u64,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Lines read (blank ones included).
    pub lines: u64,
    /// By record type (`article`, `tag`, ...).
    pub tallies: BTreeMap<&'static str, Tally>,
    /// The first records left out because their key is taken: line number and what it was.
    pub taken: Vec<(u64, String)>,
    /// The first articles changed in the file but kept as the newsroom edited them.
    pub edited_here: Vec<(u64, String)>,
    /// Articles whose Read More blocks were linked after their targets were stored.
    pub linked_later: u64,
    /// Images recorded whose files are not in the media directory (import with `media_from`,
    /// or copy them).
    pub images_without_files: u64,
}

/// A problem with one line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file did not pass the check: nothing was written.
    #[error("{} problem(s) in the file; nothing was imported", .0.len())]
    Invalid(Vec<LineError>),
    /// Writing stopped at a line; what the message says was written stays written.
    #[error("{0}")]
    Failed(LineError),
    /// The database refused or could not take a batch: lines `first` to `last` were not
    /// written; the lines above them are stored.
    #[error(
        "line {first}: lines {first} to {last} were not written (the lines above them are stored); run the import again once this is put right"
    )]
    Batch {
        first: u64,
        last: u64,
        #[source]
        source: StoreError,
    },
    /// A service the import relies on failed (the store, password hashing).
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        ImportError::Service(e.into())
    }
}

/// One line of the file as read.
enum Line<'a> {
    Text(&'a str),
    Blank,
    TooLong,
    NotUtf8,
}

/// Reads a file line by line, never holding more than [`MAX_LINE_BYTES`] of one.
struct Lines<R> {
    reader: R,
    buffer: Vec<u8>,
    number: u64,
}

impl<R: AsyncBufRead + Unpin> Lines<R> {
    fn new(reader: R) -> Self {
        Self {
            reader,
            buffer: Vec::new(),
            number: 0,
        }
    }

    /// The next line and its number.
    async fn next(&mut self) -> std::io::Result<Option<(u64, Line<'_>)>> {
        self.buffer.clear();
        let mut too_long = false;
        let mut read_any = false;
        loop {
            let available = self.reader.fill_buf().await?;
            if available.is_empty() {
                break;
            }
            read_any = true;
            let (chunk, used, ended) = match available.iter().position(|b| *b == b'\n') {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            if !too_long {
                if self.buffer.len() + chunk.len() > MAX_LINE_BYTES {
                    too_long = true;
                    self.buffer = Vec::new();
                } else {
                    self.buffer.extend_from_slice(chunk);
                }
            }
            self.reader.consume(used);
            if ended {
                break;
            }
        }
        if !read_any {
            return Ok(None);
        }
        self.number += 1;
        if too_long {
            return Ok(Some((self.number, Line::TooLong)));
        }
        if self.buffer.last() == Some(&b'\r') {
            self.buffer.pop();
        }
        let line = match std::str::from_utf8(&self.buffer) {
            Ok(text) if text.trim().is_empty() => Line::Blank,
            Ok(text) => Line::Text(text),
            Err(_) => Line::NotUtf8,
        };
        Ok(Some((self.number, line)))
    }
}

async fn open(path: &Path) -> Result<Lines<BufReader<tokio::fs::File>>, ImportError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|source| ImportError::Read {
            path: path.display().to_string(),
            source,
        })?;
    Ok(Lines::new(BufReader::with_capacity(256 * 1024, file)))
}

fn read_error(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError {
    let path = path.display().to_string();
    move |source| ImportError::Read { path, source }
}

/// Checks the file at `path` and, unless `options.dry_run`, imports it into `store`.
pub async fn import_file(
    store: &dyn PortableStore,
    path: &Path,
    options: ImportOptions<'_>,
) -> Result<ImportReport, ImportError> {
    let checked = check_file(store, path, options.media_from, options.progress).await?;
    if options.dry_run {
        return Ok(ImportReport {
            lines: checked,
            ..ImportReport::default()
        });
    }
    let mut writer = Writer {
        store,
        options,
        batch: Vec::new(),
        meta: Vec::new(),
        bytes: 0,
        batch_articles: HashSet::new(),
        current: None,
        link_later: Vec::new(),
        report: ImportReport::default(),
        gate: HashGate::shared(),
    };
    let mut lines = open(path).await?;
    while let Some((number, line)) = lines.next().await.map_err(read_error(path))? {
        if number % PROGRESS_LINES == 0
            && let Some(progress) = options.progress
        {
            progress("written", number);
        }
        let Line::Text(text) = line else { continue };
        let record = Record::parse(text).map_err(|message| failed(number, message))?;
        writer.add(number, record).await?;
    }
    writer.report.lines = lines.number;
    writer.flush().await?;
    writer.link_read_more().await?;
    Ok(writer.report)
}

fn failed(line: u64, message: impl Into<String>) -> ImportError {
    ImportError::Failed(LineError {
        line,
        message: message.into(),
    })
}

/// How a record is named in messages.
fn describe(record: &Record) -> String {
    match record {
        Record::Header(_) => "header".to_owned(),
        Record::Settings(_) => "settings".to_owned(),
        Record::Section(s) => format!("section '{}'", s.slug),
        Record::Tag(t) => format!("tag '{}'", t.slug),
        Record::Author(a) => format!("author '{}'", a.slug),
        Record::User(u) => format!("user '{}'", u.email),
        Record::Image(i) => format!("image '{}'", i.key),
        Record::Article(a) => format!("article '{}'", a.slug),
        Record::Revision(r) => format!("revision {} of article '{}'", r.number, r.article),
        Record::Redirect(r) => format!("redirect from '{}'", r.from),
        Record::Comment(c) => format!("comment by '{}' on '{}'", c.author, c.article),
        Record::Page(p) => format!("page '{}'", p.path),
        Record::Menu(m) => format!("menu '{}'", m.name),
    }
}

/// A comment's key within the file: its article's slug, its time and its author.
fn comment_key(article: &str, at: DateTime<Utc>, author: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    (article, at.timestamp_millis(), author).hash(&mut hasher);
    hasher.finish()
}

fn slug_hash(slug: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    slug.hash(&mut hasher);
    hasher.finish()
}

/// The first pass: what is known so far of the file and the database.
struct Check<'s> {
    store: &'s dyn PortableStore,
    media_from: Option<&'s Path>,
    problems: Vec<LineError>,
    sections: HashSet<String>,
    tags: HashSet<String>,
    authors: HashSet<String>,
    users: HashSet<String>,
    images: HashSet<String>,
    /// Hashes of the article slugs above the current line: eight bytes an article, however long
    /// the archive.
    articles: HashSet<u64>,
    /// The latest article line: its slug and creation time, which its revisions follow.
    current: Option<(Slug, DateTime<Utc>)>,
    /// The slug of the latest article line when that line had problems: its revisions are not
    /// reported again for following it.
    refused_article: Option<String>,
    /// Read More targets not seen by their line: checked once the whole file is read.
    forward: Vec<(u64, Slug)>,
    /// Keys of the comments above the current line ([`comment_key`]): a reply's parent must be
    /// one of them.
    comments: HashSet<u64>,
    /// Page paths above the current line, and (read at the first page or menu line) the
    /// database's.
    pages: Option<HashSet<String>>,
}

/// The kinds of reference a record makes, with the name a message gives them.
#[derive(Clone, Copy)]
enum Ref {
    Section,
    Tag,
    Author,
    User,
    Image,
}

impl Check<'_> {
    fn problem(&mut self, line: u64, message: String) {
        self.problems.push(LineError { line, message });
    }

    /// Whether `key` is above in the file or in the database (remembered once found there).
    async fn known(&mut self, kind: Ref, key: &str) -> Result<bool, StoreError> {
        let seen = match kind {
            Ref::Section => &self.sections,
            Ref::Tag => &self.tags,
            Ref::Author => &self.authors,
            Ref::User => &self.users,
            Ref::Image => &self.images,
        };
        if seen.contains(key) {
            return Ok(true);
        }
        let stored = match kind {
            Ref::Section | Ref::Tag | Ref::Author => {
                let Ok(slug) = Slug::parse(key) else {
                    return Ok(false);
                };
                match kind {
                    Ref::Section => self.store.section_by_slug(&slug).await?.is_some(),
                    Ref::Tag => self.store.tag_by_slug(&slug).await?.is_some(),
                    _ => self.store.author_by_slug(&slug).await?.is_some(),
                }
            }
            Ref::User => match dateline_domain::Email::parse(key) {
                Ok(email) => self.store.user_credentials(&email).await?.is_some(),
                Err(_) => false,
            },
            Ref::Image => self.store.image_key_exists(key).await?,
        };
        if stored {
            self.remember(kind, key);
        }
        Ok(stored)
    }

    fn remember(&mut self, kind: Ref, key: &str) {
        let set = match kind {
            Ref::Section => &mut self.sections,
            Ref::Tag => &mut self.tags,
            Ref::Author => &mut self.authors,
            Ref::User => &mut self.users,
            Ref::Image => &mut self.images,
        };
        set.insert(key.to_owned());
    }

    /// Notes a problem unless every reference of `refs` is known.
    async fn references(
        &mut self,
        line: u64,
        what: &str,
        refs: &[(Ref, &str)],
    ) -> Result<(), StoreError> {
        for (kind, key) in refs {
            if !self.known(*kind, key).await? {
                let name = match kind {
                    Ref::Section => "section",
                    Ref::Tag => "tag",
                    Ref::Author => "author",
                    Ref::User => "user",
                    Ref::Image => "image",
                };
                self.problem(
                    line,
                    format!(
                        "{what}: {name} '{key}' is neither above this line in the file nor in the database"
                    ),
                );
            }
        }
        Ok(())
    }

    async fn record(&mut self, line: u64, record: Record) -> Result<(), StoreError> {
        let what = describe(&record);
        let invalid = |problems: Problems| format!("{what}: {problems}");
        match record {
            Record::Header(_) => {
                self.problem(line, "a header belongs on the first line only".to_owned());
            }
            Record::Settings(s) => {
                if let Err(p) = s.check() {
                    self.problem(line, invalid(p));
                }
            }
            Record::Section(s) => match s.check() {
                Ok(label) => self.remember(Ref::Section, label.slug.as_str()),
                Err(p) => self.problem(line, invalid(p)),
            },
            Record::Tag(t) => match t.check() {
                Ok(label) => self.remember(Ref::Tag, label.slug.as_str()),
                Err(p) => self.problem(line, invalid(p)),
            },
            Record::Author(a) => match a.check() {
                Ok(label) => self.remember(Ref::Author, label.slug.as_str()),
                Err(p) => self.problem(line, invalid(p)),
            },
            Record::User(u) => match u.check(String::new()) {
                Ok(user) => self.remember(Ref::User, user.email.as_str()),
                Err(p) => self.problem(line, invalid(p)),
            },
            Record::Image(i) => match i.check() {
                Ok(image) => {
                    let by = image.uploaded_by.as_ref().map(|e| e.to_string());
                    if let Some(by) = &by {
                        self.references(line, &what, &[(Ref::User, by)]).await?;
                    }
                    if let Some(from) = self.media_from {
                        for file in image_files(&image.key, &image.ext, &image.renditions) {
                            if !from.join(&file).is_file() {
                                self.problem(
                                    line,
                                    format!(
                                        "{what}: its file {} is not there",
                                        from.join(&file).display()
                                    ),
                                );
                            }
                        }
                    }
                    self.remember(Ref::Image, &image.key);
                }
                Err(p) => self.problem(line, invalid(p)),
            },
            Record::Article(a) => self.article(line, &what, &a).await?,
            Record::Revision(r) => {
                let created = match &self.current {
                    Some((slug, created)) if slug.as_str() == r.article => Some(*created),
                    _ => None,
                };
                let Some(created) = created else {
                    if self.refused_article.as_deref() == Some(r.article.as_str()) {
                        return Ok(());
                    }
                    self.problem(
                        line,
                        format!(
                            "{what}: a revision must come right after its article's line (or after other revisions of it)"
                        ),
                    );
                    return Ok(());
                };
                match r.check(created) {
                    Ok(revision) => {
                        if let Some(by) = revision.saved_by.as_ref().map(|e| e.to_string()) {
                            self.references(line, &what, &[(Ref::User, &by)]).await?;
                        }
                    }
                    Err(p) => self.problem(line, invalid(p)),
                }
            }
            Record::Redirect(r) => {
                if let Err(p) = r.check() {
                    self.problem(line, invalid(p));
                }
            }
            Record::Comment(c) => match c.check() {
                Ok(comment) => self.comment(line, &what, &comment).await?,
                Err(p) => self.problem(line, invalid(p)),
            },
            Record::Page(p) => match p.check() {
                Ok(page) => {
                    if let Some((_, parents)) = page.path.split_last()
                        && !parents.is_empty()
                    {
                        let parent = crate::portable::page_path_text(parents);
                        self.require_page(line, &what, "its parent page", &parent)
                            .await?;
                    }
                    let path = crate::portable::page_path_text(&page.path);
                    // Reads the database's pages first, if not read yet.
                    self.page_known(&path).await?;
                    self.pages.get_or_insert_default().insert(path);
                }
                Err(p) => self.problem(line, invalid(p)),
            },
            Record::Menu(m) => match m.check() {
                Ok(menu) => {
                    for item in &menu.items {
                        match &item.target {
                            dateline_domain::PortableMenuTarget::Page(path) => {
                                let path = crate::portable::page_path_text(path);
                                self.require_page(line, &what, "page", &path).await?;
                            }
                            dateline_domain::PortableMenuTarget::Section(slug) => {
                                self.references(line, &what, &[(Ref::Section, slug.as_str())])
                                    .await?;
                            }
                            dateline_domain::PortableMenuTarget::Url(_) => {}
                        }
                    }
                }
                Err(p) => self.problem(line, invalid(p)),
            },
        }
        Ok(())
    }

    /// A comment's article must be above it in the file or stored, its parent above it in the
    /// file, its account known.
    async fn comment(
        &mut self,
        line: u64,
        what: &str,
        c: &dateline_domain::PortableComment,
    ) -> Result<(), StoreError> {
        let article = c.article.as_str();
        if !self.articles.contains(&slug_hash(article))
            && self
                .store
                .article_ids(std::slice::from_ref(&c.article))
                .await?
                .is_empty()
        {
            self.problem(
                line,
                format!("{what}: article '{article}' is neither above this line in the file nor in the database"),
            );
        }
        if let Some((at, author)) = &c.parent
            && !self.comments.contains(&comment_key(article, *at, author))
        {
            self.problem(
                line,
                format!(
                    "{what}: the comment it answers (by '{author}') must come above it in the file"
                ),
            );
        }
        if let Some(user) = &c.user {
            self.references(line, what, &[(Ref::User, user.as_str())])
                .await?;
        }
        self.comments
            .insert(comment_key(article, c.created_at, &c.author_name));
        Ok(())
    }

    /// Reports a problem unless the page at `path` (named in the message as `page`) is above
    /// this line in the file or in the database.
    async fn require_page(
        &mut self,
        line: u64,
        what: &str,
        page: &str,
        path: &str,
    ) -> Result<(), StoreError> {
        if !self.page_known(path).await? {
            self.problem(
                line,
                format!(
                    "{what}: {page} '{path}' is neither above this line in the file nor in the database"
                ),
            );
        }
        Ok(())
    }

    /// Whether a page's path is above in the file or in the database.
    async fn page_known(&mut self, path: &str) -> Result<bool, StoreError> {
        if self.pages.is_none() {
            let stored = self.store.pages().await?;
            let paths = dateline_domain::page::page_paths(&stored);
            self.pages = Some(
                paths
                    .values()
                    .map(|slugs| crate::portable::page_path_text(slugs))
                    .collect(),
            );
        }
        Ok(self.pages.as_ref().is_some_and(|p| p.contains(path)))
    }

    async fn article(&mut self, line: u64, what: &str, a: &ArticleLine) -> Result<(), StoreError> {
        self.current = None;
        self.refused_article = None;
        let article = match a.check() {
            Ok(article) => article,
            Err(p) => {
                self.problem(line, format!("{what}: {p}"));
                self.refused_article = Some(a.slug.clone());
                return Ok(());
            }
        };
        let emails: Vec<String> = article
            .created_by
            .iter()
            .chain(
                article
                    .corrections
                    .iter()
                    .filter_map(|c| c.created_by.as_ref()),
            )
            .map(ToString::to_string)
            .collect();
        let mut refs: Vec<(Ref, &str)> = vec![(Ref::Section, article.section.as_str())];
        refs.extend(article.tags.iter().map(|t| (Ref::Tag, t.as_str())));
        refs.extend(article.authors.iter().map(|t| (Ref::Author, t.as_str())));
        refs.extend(emails.iter().map(|e| (Ref::User, e.as_str())));
        refs.extend(
            article
                .featured_image
                .iter()
                .map(|k| (Ref::Image, k.as_str())),
        );
        self.references(line, what, &refs).await?;
        match read_more_targets(&article.body) {
            Ok(targets) => {
                for target in targets {
                    if !self.articles.contains(&slug_hash(target.as_str())) {
                        self.forward.push((line, target));
                    }
                }
            }
            Err(message) => self.problem(line, format!("{what}: {message}")),
        }
        self.articles.insert(slug_hash(article.slug.as_str()));
        self.current = Some((article.slug, article.created_at));
        Ok(())
    }

    /// The Read More targets that came later in the file, or are stored.
    async fn check_forward(&mut self) -> Result<(), StoreError> {
        let pending: Vec<(u64, Slug)> = std::mem::take(&mut self.forward)
            .into_iter()
            .filter(|(_, slug)| !self.articles.contains(&slug_hash(slug.as_str())))
            .collect();
        for chunk in pending.chunks(200) {
            let slugs: Vec<Slug> = chunk.iter().map(|(_, s)| s.clone()).collect();
            let stored: HashSet<Slug> = self
                .store
                .article_ids(&slugs)
                .await?
                .into_iter()
                .map(|(slug, _)| slug)
                .collect();
            for (line, slug) in chunk {
                if !stored.contains(slug) {
                    self.problem(
                        *line,
                        format!(
                            "body: Read More refers to /{slug}, which is neither in the file nor in the database"
                        ),
                    );
                }
            }
        }
        Ok(())
    }
}

/// The slugs the Read More blocks of a body name, or why one of them cannot be imported.
fn read_more_targets(source: &str) -> Result<Vec<Slug>, String> {
    let blocks = body::parse(source).map_err(|e| e.to_string())?;
    let mut targets = Vec::new();
    for block in blocks {
        let Block::ReadMore { line, reference } = block else {
            continue;
        };
        match reference {
            Reference::Id(id) => {
                return Err(format!(
                    "body: line {line}: Read More names article {id} by its id, which another database does not share; name it by path (::: read-more /its-slug)"
                ));
            }
            Reference::Slug(s) => match Slug::parse(&s) {
                Ok(slug) => targets.push(slug),
                Err(_) => {
                    return Err(format!(
                        "body: line {line}: Read More refers to '{s}', which is not an article's path"
                    ));
                }
            },
        }
    }
    Ok(targets)
}

/// The first pass over the file; the number of lines when all is well.
async fn check_file(
    store: &dyn PortableStore,
    path: &Path,
    media_from: Option<&Path>,
    progress: Option<&(dyn Fn(&'static str, u64) + Sync)>,
) -> Result<u64, ImportError> {
    let mut check = Check {
        store,
        media_from,
        problems: Vec::new(),
        sections: HashSet::new(),
        tags: HashSet::new(),
        authors: HashSet::new(),
        users: HashSet::new(),
        images: HashSet::new(),
        articles: HashSet::new(),
        current: None,
        refused_article: None,
        forward: Vec::new(),
        comments: HashSet::new(),
        pages: None,
    };
    let mut lines = open(path).await?;
    let mut header = false;
    while let Some((number, line)) = lines.next().await.map_err(read_error(path))? {
        if number % PROGRESS_LINES == 0
            && let Some(progress) = progress
        {
            progress("checked", number);
        }
        let text = match line {
            Line::Blank => continue,
            Line::TooLong => {
                check.problem(
                    number,
                    format!("longer than {} MiB", MAX_LINE_BYTES / (1024 * 1024)),
                );
                continue;
            }
            Line::NotUtf8 => {
                check.problem(number, "not UTF-8 text".to_owned());
                continue;
            }
            Line::Text(text) => text,
        };
        let record = match Record::parse(text) {
            Ok(record) => record,
            Err(message) => {
                check.problem(number, message);
                if !header {
                    break;
                }
                continue;
            }
        };
        if !header {
            match record {
                Record::Header(h) if h.format == FORMAT && h.version == VERSION => header = true,
                Record::Header(h) if h.format == FORMAT => {
                    check.problem(
                        number,
                        format!(
                            "the file is in version {} of the export format; this Dateline reads version {VERSION}",
                            h.version
                        ),
                    );
                    break;
                }
                _ => {
                    check.problem(
                        number,
                        format!(
                            "the first line must be an export's header: {{\"type\":\"header\",\"format\":\"{FORMAT}\",\"version\":{VERSION},...}}"
                        ),
                    );
                    break;
                }
            }
            continue;
        }
        check.record(number, record).await?;
        if check.problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    if !header && check.problems.is_empty() {
        check.problem(lines.number.max(1), "the file is empty".to_owned());
    }
    if check.problems.len() < MAX_PROBLEMS {
        check.check_forward().await?;
    }
    if check.problems.is_empty() {
        Ok(lines.number)
    } else {
        check.problems.sort_by_key(|p| p.line);
        Err(ImportError::Invalid(check.problems))
    }
}

/// What the writer remembers of each record of the batch.
struct Meta {
    line: u64,
    kind: &'static str,
    what: String,
    /// The slug of an article.
    article: Option<Slug>,
    /// The key of an image.
    image: Option<String>,
    /// An article stored with Read More blocks whose targets were not stored yet.
    linked_later: bool,
    /// An article whose body has Read More blocks.
    read_more: bool,
}

/// The second pass: records gathered into batches and written.
struct Writer<'s> {
    store: &'s dyn PortableStore,
    options: ImportOptions<'s>,
    batch: Vec<ImportItem>,
    meta: Vec<Meta>,
    bytes: usize,
    /// Slugs of the articles in the batch.
    batch_articles: HashSet<Slug>,
    /// The latest article line: its slug and creation time.
    current: Option<(Slug, DateTime<Utc>)>,
    /// Articles to link once every target is stored: line and slug.
    link_later: Vec<(u64, Slug)>,
    report: ImportReport,
    gate: std::sync::Arc<HashGate>,
}

impl Writer<'_> {
    async fn add(&mut self, line: u64, record: Record) -> Result<(), ImportError> {
        let what = describe(&record);
        let kind = record.kind();
        let invalid = |p: Problems| failed(line, format!("{what}: {p}"));
        let mut meta = Meta {
            line,
            kind,
            what: what.clone(),
            article: None,
            image: None,
            linked_later: false,
            read_more: false,
        };
        let (item, bytes) = match record {
            Record::Header(_) => return Ok(()),
            Record::Settings(s) => (ImportItem::Settings(s.check().map_err(invalid)?), 512),
            Record::Section(s) => (ImportItem::Section(s.check().map_err(invalid)?), 256),
            Record::Tag(t) => (ImportItem::Tag(t.check().map_err(invalid)?), 256),
            Record::Author(a) => (ImportItem::Author(a.check().map_err(invalid)?), 256),
            Record::User(u) => {
                let hash = self.unusable_hash(&u.email).await?;
                (ImportItem::User(u.check(hash).map_err(invalid)?), 512)
            }
            Record::Image(i) => {
                let image = i.check().map_err(invalid)?;
                if let Some(from) = self.options.media_from {
                    copy_image_files(from, self.options.media_dir, &image.key)
                        .await
                        .map_err(|e| failed(line, format!("{what}: {e}")))?;
                }
                meta.image = Some(image.key.clone());
                (ImportItem::Image(image), 1024)
            }
            Record::Article(a) => {
                let mut article = a.check().map_err(invalid)?;
                let (linked_later, read_more) = self.render(line, &mut article).await?;
                meta.linked_later = linked_later;
                meta.read_more = read_more;
                meta.article = Some(article.slug.clone());
                self.current = Some((article.slug.clone(), article.created_at));
                self.batch_articles.insert(article.slug.clone());
                let bytes = article.body.len() * 2 + article.standfirst.len() + 1024;
                (ImportItem::Article(article), bytes)
            }
            Record::Revision(r) => {
                let created = match &self.current {
                    Some((slug, created)) if slug.as_str() == r.article => *created,
                    _ => {
                        return Err(failed(
                            line,
                            format!("{what}: a revision must come right after its article's line"),
                        ));
                    }
                };
                let revision = r.check(created).map_err(invalid)?;
                let bytes = revision.draft.body.len() + 1024;
                (ImportItem::Revision(revision), bytes)
            }
            Record::Redirect(r) => (ImportItem::Redirect(r.check().map_err(invalid)?), 256),
            Record::Comment(c) => {
                let comment = c.check().map_err(invalid)?;
                let bytes = comment.body.len() + 512;
                (ImportItem::Comment(comment), bytes)
            }
            Record::Page(p) => {
                let page = p.check().map_err(invalid)?;
                let bytes = page.body.len() * 2 + 1024;
                (ImportItem::Page(page), bytes)
            }
            Record::Menu(m) => (ImportItem::Menu(m.check().map_err(invalid)?), 4096),
        };
        self.batch.push(item);
        self.meta.push(meta);
        self.bytes += bytes;
        if self.batch.len() >= BATCH_RECORDS || self.bytes >= BATCH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    /// A password hash for a new account that nobody knows the password of: the person sets
    /// one with `dateline user reset-password`. Accounts already stored keep theirs.
    async fn unusable_hash(&self, email: &str) -> Result<String, ImportError> {
        if let Ok(email) = dateline_domain::Email::parse(email)
            && self.store.user_credentials(&email).await?.is_some()
        {
            return Ok(String::new());
        }
        let password = Password::parse(&random_token())
            .map_err(|e| ServiceError::internal("cannot make an unusable password", e))?;
        Ok(hash_password(&self.gate, &password).await?)
    }

    /// Resolves the Read More blocks of `article` to ids and renders its body; a target not
    /// stored yet keeps its path (and no link) until [`Writer::link_read_more`]. Returns whether
    /// that happened, and whether the body has Read More blocks at all.
    async fn render(
        &mut self,
        line: u64,
        article: &mut PortableArticle,
    ) -> Result<(bool, bool), ImportError> {
        let source = std::mem::take(&mut article.body);
        let blocks = body::parse(&source).map_err(|e| failed(line, e.to_string()))?;
        let targets = read_more_targets(&source).map_err(|message| failed(line, message))?;
        if targets.is_empty() {
            article.body_html = body::render(&blocks, &[]);
            article.body = source;
            return Ok((false, false));
        }
        // A target earlier in this batch is not stored until the batch is.
        if targets.iter().any(|t| self.batch_articles.contains(t)) {
            self.flush().await?;
        }
        let stored: HashMap<Slug, ArticleId> = self
            .store
            .article_ids(&targets)
            .await?
            .into_iter()
            .collect();
        let (body, html, held) = link(&blocks, |reference| match reference {
            Reference::Slug(s) => Slug::parse(s).ok().and_then(|s| stored.get(&s).copied()),
            Reference::Id(id) => Some(*id),
        });
        article.body = body;
        article.body_html = html;
        Ok((held, true))
    }

    async fn flush(&mut self) -> Result<(), ImportError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let outcomes = match self
            .store
            .import(&self.batch, self.options.when_stored)
            .await
        {
            Ok(outcomes) => outcomes,
            Err(source) => {
                return Err(ImportError::Batch {
                    first: self.meta.first().map_or(0, |m| m.line),
                    last: self.meta.last().map_or(0, |m| m.line),
                    source,
                });
            }
        };
        self.batch.clear();
        self.bytes = 0;
        self.batch_articles.clear();
        // Articles already stored whose Read More blocks may still wait for their targets.
        let mut waiting = Vec::new();
        for (outcome, meta) in outcomes.into_iter().zip(std::mem::take(&mut self.meta)) {
            let tally = self.report.tallies.entry(meta.kind).or_default();
            match outcome {
                ImportOutcome::Added | ImportOutcome::Updated => {
                    if outcome == ImportOutcome::Added {
                        tally.added += 1;
                    } else {
                        tally.updated += 1;
                    }
                    if meta.linked_later
                        && let Some(slug) = meta.article.clone()
                    {
                        self.link_later.push((meta.line, slug));
                    }
                }
                ImportOutcome::AlreadyThere => {
                    tally.already_there += 1;
                    if meta.read_more
                        && let Some(slug) = meta.article.clone()
                    {
                        waiting.push((meta.line, slug));
                    }
                }
                ImportOutcome::EditedHere => {
                    tally.edited_here += 1;
                    if self.report.edited_here.len() < MAX_NAMED {
                        self.report.edited_here.push((meta.line, meta.what));
                    }
                }
                ImportOutcome::Taken => {
                    tally.taken += 1;
                    if self.report.taken.len() < MAX_NAMED {
                        self.report.taken.push((meta.line, meta.what));
                    }
                }
            }
            if outcome != ImportOutcome::Taken
                && let Some(key) = &meta.image
                && !self.options.media_dir.join(key).is_dir()
            {
                self.report.images_without_files += 1;
            }
        }
        // An earlier run may have stopped before linking them.
        for (line, slug) in waiting {
            let stored = self.store.article_by_slug(&slug).await?;
            if stored.is_some_and(|a| !waiting_targets(&a.body).is_empty()) {
                self.link_later.push((line, slug));
            }
        }
        Ok(())
    }

    /// Links the Read More blocks of articles stored before their targets.
    async fn link_read_more(&mut self) -> Result<(), ImportError> {
        for (line, slug) in std::mem::take(&mut self.link_later) {
            let Some(article) = self.store.article_by_slug(&slug).await? else {
                continue;
            };
            let blocks = body::parse(&article.body).map_err(|e| failed(line, e.to_string()))?;
            let waiting = waiting_targets(&article.body);
            if waiting.is_empty() {
                continue;
            }
            let stored: HashMap<Slug, ArticleId> = self
                .store
                .article_ids(&waiting)
                .await?
                .into_iter()
                .collect();
            if let Some(missing) = waiting.iter().find(|s| !stored.contains_key(*s)) {
                return Err(failed(
                    line,
                    format!(
                        "article '{slug}': Read More refers to /{missing}, which is not in the database"
                    ),
                ));
            }
            let (body, html, _) = link(&blocks, |reference| match reference {
                Reference::Slug(s) => Slug::parse(s).ok().and_then(|s| stored.get(&s).copied()),
                Reference::Id(id) => Some(*id),
            });
            self.store.replace_body(article.id, &body, &html).await?;
            self.report.linked_later += 1;
        }
        Ok(())
    }
}

/// The targets a stored body's Read More blocks still name by path: stored before them, not
/// linked yet.
fn waiting_targets(stored_body: &str) -> Vec<Slug> {
    let Ok(blocks) = body::parse(stored_body) else {
        return Vec::new();
    };
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::ReadMore {
                reference: Reference::Slug(s),
                ..
            } => Slug::parse(s).ok(),
            _ => None,
        })
        .collect()
}

/// The body source and rendering of `blocks` with each Read More target `resolve` finds named by
/// id; one it does not find keeps its path and is left out of the rendering. The third value
/// says whether any was left out.
fn link(
    blocks: &[Block<'_>],
    resolve: impl Fn(&Reference) -> Option<ArticleId>,
) -> (String, String, bool) {
    let mut source = String::new();
    let mut shown = Vec::with_capacity(blocks.len());
    let mut ids = Vec::new();
    let mut held = false;
    for block in blocks {
        match block {
            Block::Markdown(text) | Block::Embed { source: text, .. } => {
                source.push_str(text);
                shown.push(block.clone());
            }
            Block::ReadMore { reference, .. } => match resolve(reference) {
                Some(id) => {
                    source.push_str(&format!("::: read-more {id}\n"));
                    shown.push(block.clone());
                    ids.push(id);
                }
                None => {
                    source.push_str(&format!("::: read-more {}\n", reference.source_text()));
                    held = true;
                }
            },
        }
    }
    (source, body::render(&shown, &ids), held)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines_of(bytes: &[u8]) -> Vec<String> {
        let mut lines = Lines::new(bytes);
        let mut out = Vec::new();
        while let Some((n, line)) = lines.next().await.unwrap() {
            out.push(match line {
                Line::Text(t) => format!("{n}:{t}"),
                Line::Blank => format!("{n}:(blank)"),
                Line::TooLong => format!("{n}:(too long)"),
                Line::NotUtf8 => format!("{n}:(not utf-8)"),
            });
        }
        out
    }

    #[tokio::test]
    async fn lines_are_numbered_and_capped_without_holding_the_long_one() {
        let mut input = b"one\r\n\n".to_vec();
        input.extend(vec![b'x'; MAX_LINE_BYTES + 1]);
        input.extend(b"\n\xff\xfe\nlast");
        assert_eq!(
            lines_of(&input).await,
            [
                "1:one",
                "2:(blank)",
                "3:(too long)",
                "4:(not utf-8)",
                "5:last"
            ]
        );
        assert!(lines_of(b"").await.is_empty());
    }

    #[test]
    fn read_more_by_id_is_not_portable() {
        let err = read_more_targets("Text.\n\n::: read-more 42\n").unwrap_err();
        assert!(
            err.contains("line 3: Read More names article 42 by its id"),
            "{err}"
        );
        assert_eq!(
            read_more_targets("::: read-more /a-story\n::: read-more https://x.pk/b/\n").unwrap(),
            [Slug::parse("a-story").unwrap(), Slug::parse("b").unwrap()]
        );
    }

    #[test]
    fn a_target_not_stored_yet_keeps_its_path_and_no_link() {
        let source = "One.\n::: read-more /here\n::: read-more /later\nTwo.\n";
        let blocks = body::parse(source).unwrap();
        let (body, html, held) = link(&blocks, |r| match r {
            Reference::Slug(s) if s == "here" => Some(ArticleId(7)),
            _ => None,
        });
        assert!(held);
        assert_eq!(body, "One.\n::: read-more 7\n::: read-more /later\nTwo.\n");
        assert_eq!(html.matches("dateline:read-more").count(), 1);
        assert!(html.contains("dateline:read-more:7"));
    }
}
