//! `dateline export`: the whole publication as JSON lines (see [`crate::portable`] and
//! `docs/EXPORT.md`), read from one consistent snapshot of the database while the site serves.
//!
//! Memory stays bounded whatever the size of the archive: articles are read a page at a time,
//! and an article's revisions a few at a time, each written out before the next is read.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dateline_domain::{
    ArticleId, Counts, ExportSnapshot, PortableRevision, PortableStore, RevisionNumber, Slug,
    StoreError,
};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::body::{self, Reference};
use crate::portable::{
    ArticleLine, CommentLine, FORMAT, HeaderLine, ImageLine, LabelLine, Record, RedirectLine,
    RevisionLine, SectionLine, SettingsLine, UserLine, VERSION, time_text,
};

/// Articles read per query.
const ARTICLES_PER_PAGE: u32 = 50;
/// Revisions (each up to a body's size) read per query.
const REVISIONS_PER_PAGE: u32 = 10;
/// Images and redirects read per query.
const ROWS_PER_PAGE: u32 = 500;

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export")]
    Write(#[source] std::io::Error),
    /// Fewer records were written than the snapshot held (a row the export could not reach,
    /// such as an article whose section is gone): the file is not a whole publication.
    #[error(
        "the export is incomplete: it wrote {written:?} of the database's {stored:?}; nothing should be read from it"
    )]
    Incomplete { written: Counts, stored: Counts },
}

/// What an export wrote: one count per record type (`settings` is 0 or 1), and what the snapshot
/// held, which it matches (or the export fails).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    pub written: Counts,
    pub stored: Counts,
}

/// Writes lines to the output a page at a time.
struct Lines<'w, W> {
    out: &'w mut W,
    buffer: Vec<u8>,
}

impl<W: AsyncWrite + Unpin> Lines<'_, W> {
    fn push(&mut self, record: &Record) {
        self.buffer.extend_from_slice(record.to_line().as_bytes());
        self.buffer.push(b'\n');
    }

    async fn flush(&mut self) -> Result<(), ExportError> {
        self.out
            .write_all(&self.buffer)
            .await
            .map_err(ExportError::Write)?;
        self.buffer.clear();
        Ok(())
    }
}

/// Writes every record of the publication to `out`: the header, settings, sections, tags,
/// bylines, accounts, images, then each article followed by its revisions, then comments, then
/// redirects. The
/// database is read in one snapshot: what is written meanwhile is left out, whole.
pub async fn export<W: AsyncWrite + Unpin>(
    store: &dyn PortableStore,
    out: &mut W,
    now: DateTime<Utc>,
) -> Result<ExportSummary, ExportError> {
    let mut snap = store.export_snapshot().await?;
    let stored = snap.counts().await?;
    let mut written = Counts::default();
    let mut lines = Lines {
        out,
        buffer: Vec::with_capacity(64 * 1024),
    };
    lines.push(&Record::Header(HeaderLine {
        format: FORMAT.to_owned(),
        version: VERSION,
        exported_at: time_text(now),
        generator: Some(format!("dateline {}", env!("CARGO_PKG_VERSION"))),
    }));
    if let Some(settings) = snap.settings().await? {
        lines.push(&Record::Settings(SettingsLine::from_settings(&settings)));
        written.settings += 1;
    }
    for section in snap.sections().await? {
        lines.push(&Record::Section(SectionLine::from_label(&section)));
        written.sections += 1;
    }
    for tag in snap.tags().await? {
        lines.push(&Record::Tag(LabelLine::from_label(&tag)));
        written.tags += 1;
    }
    for author in snap.authors().await? {
        lines.push(&Record::Author(LabelLine::from_label(&author)));
        written.authors += 1;
    }
    for user in snap.users().await? {
        lines.push(&Record::User(UserLine::from_user(&user)));
        written.users += 1;
    }
    // Pages, parents first, then the menus that lead to them (an empty menu is left out).
    for page in snap.pages().await? {
        lines.push(&Record::Page(crate::portable::PageLine::from_page(&page)));
    }
    for menu in snap.menus().await? {
        if !menu.items.is_empty() {
            lines.push(&Record::Menu(crate::portable::MenuLine::from_menu(&menu)));
        }
    }
    lines.flush().await?;
    let mut after = None;
    loop {
        let page = snap.images_after(after, ROWS_PER_PAGE).await?;
        let Some((last, _)) = page.last() else { break };
        after = Some(*last);
        for (_, image) in &page {
            lines.push(&Record::Image(ImageLine::from_image(image)));
            written.images += 1;
        }
        lines.flush().await?;
    }
    export_articles(snap.as_mut(), &mut lines, &mut written).await?;
    export_comments(snap.as_mut(), &mut lines, &mut written).await?;
    let mut after: Option<String> = None;
    loop {
        let page = snap
            .redirects_after(after.as_deref(), ROWS_PER_PAGE)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(last.from_path.clone());
        for redirect in &page {
            lines.push(&Record::Redirect(RedirectLine::from_redirect(redirect)));
            written.redirects += 1;
        }
        lines.flush().await?;
    }
    lines.flush().await?;
    lines.out.flush().await.map_err(ExportError::Write)?;
    if written != stored {
        return Err(ExportError::Incomplete { written, stored });
    }
    Ok(ExportSummary { written, stored })
}

async fn export_articles<W: AsyncWrite + Unpin>(
    snap: &mut dyn ExportSnapshot,
    lines: &mut Lines<'_, W>,
    written: &mut Counts,
) -> Result<(), ExportError> {
    let mut after = None;
    loop {
        let page = snap.articles_after(after, ARTICLES_PER_PAGE).await?;
        let Some((last, _)) = page.last() else { break };
        after = Some(*last);
        let bodies: Vec<&str> = page.iter().map(|(_, a)| a.body.as_str()).collect();
        let paths = paths_of(snap, &bodies).await?;
        for (id, article) in &page {
            let body = with_paths(&article.body, &paths);
            lines.push(&Record::Article(ArticleLine::from_article(article, body)));
            written.articles += 1;
            written.corrections += article.corrections.len() as u64;
            export_revisions(snap, *id, lines, written).await?;
        }
        lines.flush().await?;
    }
    Ok(())
}

/// Every comment, in the order they were added (a reply after the comment it answers).
async fn export_comments<W: AsyncWrite + Unpin>(
    snap: &mut dyn ExportSnapshot,
    lines: &mut Lines<'_, W>,
    written: &mut Counts,
) -> Result<(), ExportError> {
    let mut after = None;
    loop {
        let page = snap.comments_after(after, ROWS_PER_PAGE).await?;
        let Some((last, _)) = page.last() else { break };
        after = Some(*last);
        for (_, comment) in &page {
            lines.push(&Record::Comment(CommentLine::from_comment(comment)));
            written.comments += 1;
        }
        lines.flush().await?;
    }
    Ok(())
}

async fn export_revisions<W: AsyncWrite + Unpin>(
    snap: &mut dyn ExportSnapshot,
    article: ArticleId,
    lines: &mut Lines<'_, W>,
    written: &mut Counts,
) -> Result<(), ExportError> {
    let mut after = RevisionNumber::STORED;
    loop {
        let page: Vec<PortableRevision> = snap
            .revisions_after(article, after, REVISIONS_PER_PAGE)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.number;
        let bodies: Vec<&str> = page.iter().map(|r| r.draft.body.as_str()).collect();
        let paths = paths_of(snap, &bodies).await?;
        for revision in &page {
            let body = with_paths(&revision.draft.body, &paths);
            lines.push(&Record::Revision(RevisionLine::from_revision(
                revision, body,
            )));
            written.revisions += 1;
        }
        lines.flush().await?;
    }
    Ok(())
}

/// The paths (`/slug`) of the articles the Read More blocks of `bodies` name by id.
async fn paths_of(
    snap: &mut dyn ExportSnapshot,
    bodies: &[&str],
) -> Result<HashMap<ArticleId, Slug>, StoreError> {
    let mut ids = Vec::new();
    for source in bodies {
        // A working copy saved before it was valid may not parse; it is written as it is.
        let Ok(blocks) = body::parse(source) else {
            continue;
        };
        for block in blocks {
            if let body::Block::ReadMore {
                reference: Reference::Id(id),
                ..
            } = block
            {
                ids.push(id);
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(snap.slugs(&ids).await?.into_iter().collect())
}

/// `source` with every Read More block that names a stored article by id naming it by path.
fn with_paths(source: &str, paths: &HashMap<ArticleId, Slug>) -> String {
    body::rewrite_read_more(source, |reference| match reference {
        Reference::Id(id) => paths
            .get(id)
            .map(|slug| Reference::Slug(slug.to_string()).source_text()),
        Reference::Slug(_) => None,
    })
    .unwrap_or_else(|_| source.to_owned())
}
