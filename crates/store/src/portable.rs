//! Export and import: a read snapshot of the whole database, and batches of records written where
//! their keys are free. Called through the domain's [`PortableStore`] port.
//!
//! Rows cross databases by their natural keys (slugs, e-mail addresses, image keys, paths); ids
//! are resolved inside the transaction that writes, so a batch may refer to what it adds itself.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dateline_domain::{
    ArticleId, CommentId, CommentKind, CommentStatus, ContentChange, Counts, Email, ExportSnapshot,
    ImageId, ImportItem, ImportOutcome, MenuItem, MenuName, MenuTarget, PortableArticle,
    PortableComment, PortableCorrection, PortableImage, PortableLabel, PortableMenu,
    PortableMenuItem, PortableMenuTarget, PortablePage, PortableRedirect, PortableRevision,
    PortableStore, RevisionNumber, SearchText, SiteSettings, Slug, StoreError, User, WhenStored,
};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Transaction};

use crate::Backend;
use crate::rows::{self, db_error, get};
use crate::site::write_settings;
use crate::sql::SqlStore;

/// Slugs looked up per statement.
const SLUGS_PER_STATEMENT: usize = 200;

/// Row counts of every table an export or a backup carries, in one statement.
pub(crate) async fn table_counts(conn: &mut AnyConnection) -> Result<Counts, StoreError> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM site_settings) AS settings, \
         (SELECT COUNT(*) FROM sections) AS sections, (SELECT COUNT(*) FROM tags) AS tags, \
         (SELECT COUNT(*) FROM authors) AS authors, (SELECT COUNT(*) FROM users) AS users, \
         (SELECT COUNT(*) FROM images) AS images, (SELECT COUNT(*) FROM articles) AS articles, \
         (SELECT COUNT(*) FROM article_revisions) AS revisions, \
         (SELECT COUNT(*) FROM corrections) AS corrections, \
         (SELECT COUNT(*) FROM redirects) AS redirects, \
         (SELECT COUNT(*) FROM comments) AS comments",
    )
    .fetch_one(conn)
    .await
    .map_err(db_error)?;
    let n = |column: &str| -> Result<u64, StoreError> {
        Ok(u64::try_from(get::<i64>(&row, column)?).unwrap_or_default())
    };
    Ok(Counts {
        settings: n("settings")?,
        sections: n("sections")?,
        tags: n("tags")?,
        authors: n("authors")?,
        users: n("users")?,
        images: n("images")?,
        articles: n("articles")?,
        revisions: n("revisions")?,
        corrections: n("corrections")?,
        redirects: n("redirects")?,
        comments: n("comments")?,
    })
}

fn email(value: Option<String>) -> Result<Option<Email>, StoreError> {
    value
        .map(|e| {
            Email::parse(&e).map_err(|err| StoreError::Corrupt(format!("e-mail '{e}': {err}")))
        })
        .transpose()
}

fn label(row: &AnyRow) -> Result<PortableLabel, StoreError> {
    Ok(PortableLabel {
        slug: rows::slug(row, "slug")?,
        name: get(row, "name")?,
        position: get(row, "position")?,
    })
}

/// `$first, $first+1, ...`: `n` numbered placeholders.
fn numbered(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `COLLATE "C"` on PostgreSQL, nothing on SQLite (whose default is already byte order): paths
/// sort the same in both databases, so an export is the same file whichever one it came from.
fn byte_order(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " COLLATE \"C\"",
    }
}

/// An export's view of the database: one read transaction, repeatable on PostgreSQL (on SQLite in
/// WAL mode a read transaction sees one snapshot).
struct Snapshot {
    tx: Transaction<'static, Any>,
    backend: Backend,
}

impl Snapshot {
    async fn labels(&mut self, sql: &'static str) -> Result<Vec<PortableLabel>, StoreError> {
        sqlx::query(sql)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_error)?
            .iter()
            .map(label)
            .collect()
    }

    /// Slugs of the labels of articles `low..=high`, by article, in their order.
    async fn article_labels(
        &mut self,
        table: &str,
        column: &str,
        labels: &str,
        low: i64,
        high: i64,
    ) -> Result<HashMap<i64, Vec<Slug>>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT x.article_id, l.slug FROM {table} x JOIN {labels} l ON l.id = x.{column} \
             WHERE x.article_id BETWEEN $1 AND $2 ORDER BY x.article_id, x.position"
        )))
        .bind(low)
        .bind(high)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_error)?;
        let mut out: HashMap<i64, Vec<Slug>> = HashMap::new();
        for row in &rows {
            out.entry(get(row, "article_id")?)
                .or_default()
                .push(rows::slug(row, "slug")?);
        }
        Ok(out)
    }
}

#[async_trait]
impl ExportSnapshot for Snapshot {
    async fn counts(&mut self) -> Result<Counts, StoreError> {
        table_counts(&mut self.tx).await
    }

    async fn settings(&mut self) -> Result<Option<SiteSettings>, StoreError> {
        sqlx::query("SELECT * FROM site_settings WHERE id = 1")
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db_error)?
            .as_ref()
            .map(rows::settings)
            .transpose()
    }

    async fn sections(&mut self) -> Result<Vec<PortableLabel>, StoreError> {
        self.labels("SELECT slug, name, position FROM sections ORDER BY position, id")
            .await
    }

    async fn tags(&mut self) -> Result<Vec<PortableLabel>, StoreError> {
        self.labels("SELECT slug, name, 0 AS position FROM tags ORDER BY id")
            .await
    }

    async fn authors(&mut self) -> Result<Vec<PortableLabel>, StoreError> {
        self.labels("SELECT slug, name, 0 AS position FROM authors ORDER BY id")
            .await
    }

    async fn users(&mut self) -> Result<Vec<User>, StoreError> {
        sqlx::query("SELECT id, email, name, role, created_at FROM users ORDER BY id")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_error)?
            .iter()
            .map(crate::accounts::user)
            .collect()
    }

    async fn images_after(
        &mut self,
        after: Option<ImageId>,
        limit: u32,
    ) -> Result<Vec<(ImageId, PortableImage)>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {}, u.email AS uploaded_by_email FROM images i \
             LEFT JOIN users u ON u.id = i.uploaded_by WHERE i.id > $1 ORDER BY i.id LIMIT $2",
            crate::media::IMAGE_COLUMNS
        )))
        .bind(after.map_or(i64::MIN, |id| id.0))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|row| {
                let image = crate::media::image(row)?;
                Ok((
                    image.id,
                    PortableImage {
                        key: image.key,
                        ext: image.ext,
                        width: image.width,
                        height: image.height,
                        renditions: image.renditions,
                        alt: image.alt,
                        caption: image.caption,
                        credit: image.credit,
                        uploaded_by: email(get(row, "uploaded_by_email")?)?,
                        created_at: image.created_at,
                    },
                ))
            })
            .collect()
    }

    async fn articles_after(
        &mut self,
        after: Option<ArticleId>,
        limit: u32,
    ) -> Result<Vec<(ArticleId, PortableArticle)>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.slug, a.headline, a.standfirst, a.body, a.body_html, a.source_agency, \
             a.source_mode, a.status, a.language, a.published_at, a.created_at, \
             a.updated_at, a.scheduled_at, a.revision, a.live_revision, s.slug AS section_slug, \
             u.email AS created_by_email, i.media_key AS featured_key, a.seo_title, \
             a.seo_description, a.pinned_at \
             FROM articles a JOIN sections s ON s.id = a.section_id \
             LEFT JOIN users u ON u.id = a.created_by LEFT JOIN images i ON i.id = a.featured_image \
             WHERE a.id > $1 ORDER BY a.id LIMIT $2",
        )
        .bind(after.map_or(i64::MIN, |id| id.0))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_error)?;
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Ok(Vec::new());
        };
        let (low, high): (i64, i64) = (get(first, "id")?, get(last, "id")?);
        let mut tags = self
            .article_labels("article_tags", "tag_id", "tags", low, high)
            .await?;
        let mut authors = self
            .article_labels("article_authors", "author_id", "authors", low, high)
            .await?;
        let mut corrections: HashMap<i64, Vec<PortableCorrection>> = HashMap::new();
        for row in sqlx::query(
            "SELECT c.article_id, c.kind, c.note, c.created_at, u.email FROM corrections c \
             LEFT JOIN users u ON u.id = c.created_by WHERE c.article_id BETWEEN $1 AND $2 \
             ORDER BY c.article_id, c.created_at, c.id",
        )
        .bind(low)
        .bind(high)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_error)?
        {
            corrections
                .entry(get(&row, "article_id")?)
                .or_default()
                .push(PortableCorrection {
                    kind: rows::correction_kind(&row)?,
                    note: get(&row, "note")?,
                    created_by: email(get(&row, "email")?)?,
                    created_at: rows::time(get(&row, "created_at")?)?,
                });
        }
        rows.iter()
            .map(|row| {
                let id: i64 = get(row, "id")?;
                Ok((
                    ArticleId(id),
                    PortableArticle {
                        slug: rows::slug(row, "slug")?,
                        headline: get(row, "headline")?,
                        standfirst: get(row, "standfirst")?,
                        body: get(row, "body")?,
                        body_html: get(row, "body_html")?,
                        section: rows::slug(row, "section_slug")?,
                        tags: tags.remove(&id).unwrap_or_default(),
                        authors: authors.remove(&id).unwrap_or_default(),
                        source: rows::source(row)?,
                        status: rows::status(row)?,
                        language: rows::language(row)?,
                        published_at: rows::opt_time(row, "published_at")?,
                        created_at: rows::time(get(row, "created_at")?)?,
                        updated_at: rows::time(get(row, "updated_at")?)?,
                        scheduled_at: rows::opt_time(row, "scheduled_at")?,
                        revision: rows::revision_number(row, "revision")?,
                        live_revision: rows::opt_revision_number(row, "live_revision")?,
                        created_by: email(get(row, "created_by_email")?)?,
                        featured_image: get(row, "featured_key")?,
                        corrections: corrections.remove(&id).unwrap_or_default(),
                        previous_slugs: Vec::new(),
                        search: SearchText {
                            title: get(row, "seo_title")?,
                            description: get(row, "seo_description")?,
                        },
                        pinned_at: rows::opt_time(row, "pinned_at")?,
                    },
                ))
            })
            .collect()
    }

    async fn revisions_after(
        &mut self,
        article: ArticleId,
        after: RevisionNumber,
        limit: u32,
    ) -> Result<Vec<PortableRevision>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.*, a.slug AS article_slug, a.created_at AS article_created_at, \
             u.email AS saved_by_email FROM article_revisions r \
             JOIN articles a ON a.id = r.article_id LEFT JOIN users u ON u.id = r.saved_by \
             WHERE r.article_id = $1 AND r.number > $2 ORDER BY r.number LIMIT $3",
        )
        .bind(article.0)
        .bind(after.0)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|row| {
                Ok(PortableRevision {
                    article: rows::slug(row, "article_slug")?,
                    article_created_at: rows::time(get(row, "article_created_at")?)?,
                    number: rows::revision_number(row, "number")?,
                    based_on: rows::revision_number(row, "based_on")?,
                    kind: crate::workflow::revision_kind(row)?,
                    draft: crate::workflow::draft(row)?,
                    saved_by: email(get(row, "saved_by_email")?)?,
                    saved_at: rows::time(get(row, "saved_at")?)?,
                })
            })
            .collect()
    }

    async fn slugs(&mut self, ids: &[ArticleId]) -> Result<Vec<(ArticleId, Slug)>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(SLUGS_PER_STATEMENT) {
            let mut query = sqlx::query(AssertSqlSafe(format!(
                "SELECT id, slug FROM articles WHERE id IN ({})",
                numbered(1, chunk.len())
            )));
            for id in chunk {
                query = query.bind(id.0);
            }
            for row in query.fetch_all(&mut *self.tx).await.map_err(db_error)? {
                out.push((ArticleId(get(&row, "id")?), rows::slug(&row, "slug")?));
            }
        }
        Ok(out)
    }

    async fn comments_after(
        &mut self,
        after: Option<CommentId>,
        limit: u32,
    ) -> Result<Vec<(CommentId, PortableComment)>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.author_name, c.author_email, c.author_url, c.body, c.status, c.kind, \
             c.created_at, a.slug AS article_slug, a.created_at AS article_created_at, \
             p.created_at AS parent_created_at, p.author_name AS parent_author, \
             u.email AS user_email FROM comments c JOIN articles a ON a.id = c.article_id \
             LEFT JOIN comments p ON p.id = c.parent_id LEFT JOIN users u ON u.id = c.user_id \
             WHERE c.id > $1 ORDER BY c.id LIMIT $2",
        )
        .bind(after.map_or(i64::MIN, |id| id.0))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|row| {
                let status: String = get(row, "status")?;
                let kind: String = get(row, "kind")?;
                let parent = match get::<Option<i64>>(row, "parent_created_at")? {
                    Some(at) => Some((rows::time(at)?, get(row, "parent_author")?)),
                    None => None,
                };
                Ok((
                    CommentId(get(row, "id")?),
                    PortableComment {
                        article: rows::slug(row, "article_slug")?,
                        article_created_at: rows::time(get(row, "article_created_at")?)?,
                        parent,
                        author_name: get(row, "author_name")?,
                        author_email: get(row, "author_email")?,
                        author_url: get(row, "author_url")?,
                        body: get(row, "body")?,
                        status: CommentStatus::parse(&status)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        kind: CommentKind::parse(&kind)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        created_at: rows::time(get(row, "created_at")?)?,
                        user: email(get(row, "user_email")?)?,
                    },
                ))
            })
            .collect()
    }

    async fn redirects_after(
        &mut self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<PortableRedirect>, StoreError> {
        let order = byte_order(self.backend);
        let (condition, after) = match after {
            Some(after) => (
                format!("WHERE from_path{order} > $2"),
                Some(after.to_owned()),
            ),
            None => (String::new(), None),
        };
        let mut query = sqlx::query(AssertSqlSafe(format!(
            "SELECT from_path, to_path, created_at FROM redirects {condition} \
             ORDER BY from_path{order} LIMIT $1"
        )))
        .bind(i64::from(limit));
        if let Some(after) = after {
            query = query.bind(after);
        }
        query
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_error)?
            .iter()
            .map(|row| {
                Ok(PortableRedirect {
                    from_path: get(row, "from_path")?,
                    to_path: get(row, "to_path")?,
                    created_at: rows::time(get(row, "created_at")?)?,
                })
            })
            .collect()
    }

    async fn pages(&mut self) -> Result<Vec<PortablePage>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, slug, parent_id, position, title, status, language, body, body_html, \
             description, created_at, updated_at, published_at FROM pages ORDER BY id",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_error)?;
        let pages: Vec<dateline_domain::Page> = rows
            .iter()
            .map(crate::pages::page)
            .collect::<Result<_, _>>()?;
        let summaries: Vec<_> = pages.iter().map(|p| p.summary.clone()).collect();
        let paths = dateline_domain::page::page_paths(&summaries);
        let mut out: Vec<PortablePage> = pages
            .into_iter()
            .filter_map(|p| {
                let path = paths.get(&p.summary.id)?.clone();
                Some(PortablePage {
                    path,
                    title: p.summary.title,
                    body: p.body,
                    body_html: p.body_html,
                    description: p.description,
                    status: p.summary.status,
                    language: p.summary.language,
                    position: p.summary.position,
                    created_at: p.created_at,
                    updated_at: p.updated_at,
                    published_at: p.published_at,
                })
            })
            .collect();
        // Parents first.
        out.sort_by(|a, b| a.path.len().cmp(&b.path.len()).then(a.path.cmp(&b.path)));
        Ok(out)
    }

    async fn menus(&mut self) -> Result<Vec<PortableMenu>, StoreError> {
        let pages: Vec<dateline_domain::PageSummary> =
            sqlx::query("SELECT id, slug, parent_id, position, title, status, language FROM pages")
                .fetch_all(&mut *self.tx)
                .await
                .map_err(db_error)?
                .iter()
                .map(crate::pages::page_summary)
                .collect::<Result<_, _>>()?;
        let paths = dateline_domain::page::page_paths(&pages);
        let sections: HashMap<i64, Slug> = sqlx::query("SELECT id, slug FROM sections")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_error)?
            .iter()
            .map(|row| Ok((get::<i64>(row, "id")?, rows::slug(row, "slug")?)))
            .collect::<Result<_, StoreError>>()?;
        let mut menus = Vec::new();
        for name in MenuName::ALL {
            let rows = sqlx::query(
                "SELECT label, nested, page_id, section_id, url FROM menu_items \
                 WHERE menu = $1 ORDER BY position",
            )
            .bind(name.as_str())
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_error)?;
            let mut items = Vec::new();
            for row in &rows {
                let item = crate::pages::menu_item(row)?;
                let target = match item.target {
                    MenuTarget::Page(id) => match paths.get(&id) {
                        Some(path) => PortableMenuTarget::Page(path.clone()),
                        None => continue,
                    },
                    MenuTarget::Section(id) => match sections.get(&id.0) {
                        Some(slug) => PortableMenuTarget::Section(slug.clone()),
                        None => continue,
                    },
                    MenuTarget::Url(url) => PortableMenuTarget::Url(url),
                };
                items.push(PortableMenuItem {
                    label: item.label,
                    target,
                    nested: item.nested,
                });
            }
            menus.push(PortableMenu { name, items });
        }
        Ok(menus)
    }
}

/// The id of the page at `path` (its slugs from the top), in `tx`.
async fn page_at(
    tx: &mut Transaction<'static, Any>,
    path: &[Slug],
) -> Result<Option<i64>, StoreError> {
    let mut parent: Option<i64> = None;
    for slug in path {
        let found: Option<i64> = match parent {
            None => {
                sqlx::query_scalar("SELECT id FROM pages WHERE slug = $1 AND parent_id IS NULL")
                    .bind(slug.as_str())
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db_error)?
            }
            Some(parent) => {
                sqlx::query_scalar("SELECT id FROM pages WHERE slug = $1 AND parent_id = $2")
                    .bind(slug.as_str())
                    .bind(parent)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db_error)?
            }
        };
        match found {
            Some(id) => parent = Some(id),
            None => return Ok(None),
        }
    }
    Ok(parent)
}

fn path_text(path: &[Slug]) -> String {
    dateline_domain::SitePath::page(path).decoded().into_owned()
}

/// Adds a page where no page holds its path; its parent must be stored. A top-level slug an
/// article holds is taken.
async fn import_page(
    tx: &mut Transaction<'static, Any>,
    page: &PortablePage,
) -> Result<ImportOutcome, StoreError> {
    let Some((slug, parents)) = page.path.split_last() else {
        return Err(StoreError::InvalidInput("a page with no path".into()));
    };
    if page_at(tx, &page.path).await?.is_some() {
        return Ok(ImportOutcome::AlreadyThere);
    }
    let parent = if parents.is_empty() {
        None
    } else {
        match page_at(tx, parents).await? {
            Some(id) => Some(dateline_domain::PageId(id)),
            None => {
                return Err(StoreError::MissingReference(format!(
                    "parent page {}",
                    path_text(parents)
                )));
            }
        }
    };
    let new = dateline_domain::NewPage {
        slug: slug.clone(),
        parent,
        position: page.position,
        title: page.title.clone(),
        body: page.body.clone(),
        body_html: page.body_html.clone(),
        description: page.description.clone(),
        status: page.status,
        language: page.language.clone(),
        at: page.updated_at,
    };
    match crate::pages::insert_page_in(tx, &new, page.created_at, page.published_at).await {
        Ok(_) => Ok(ImportOutcome::Added),
        Err(StoreError::Conflict(_)) => Ok(ImportOutcome::Taken),
        Err(e) => Err(e),
    }
}

/// Writes a menu where the database's menu of that name is empty.
async fn import_menu(
    tx: &mut Transaction<'static, Any>,
    ids: &mut Ids,
    menu: &PortableMenu,
) -> Result<ImportOutcome, StoreError> {
    let mut items = Vec::with_capacity(menu.items.len());
    for item in &menu.items {
        let target = match &item.target {
            PortableMenuTarget::Page(path) => match page_at(tx, path).await? {
                Some(id) => MenuTarget::Page(dateline_domain::PageId(id)),
                None => {
                    return Err(StoreError::MissingReference(format!(
                        "page {}",
                        path_text(path)
                    )));
                }
            },
            PortableMenuTarget::Section(slug) => MenuTarget::Section(dateline_domain::SectionId(
                id_of(
                    tx,
                    &mut ids.sections,
                    ("sections", "slug", "section"),
                    slug.as_str(),
                )
                .await?,
            )),
            PortableMenuTarget::Url(url) => MenuTarget::Url(url.clone()),
        };
        items.push(MenuItem {
            label: item.label.clone(),
            target,
            nested: item.nested,
        });
    }
    let stored: Vec<MenuItem> = sqlx::query(
        "SELECT label, nested, page_id, section_id, url FROM menu_items \
         WHERE menu = $1 ORDER BY position",
    )
    .bind(menu.name.as_str())
    .fetch_all(&mut **tx)
    .await
    .map_err(db_error)?
    .iter()
    .map(crate::pages::menu_item)
    .collect::<Result<_, _>>()?;
    if stored == items {
        return Ok(ImportOutcome::AlreadyThere);
    }
    if !stored.is_empty() {
        return Ok(ImportOutcome::Taken);
    }
    crate::pages::write_menu(tx, menu.name, &items).await?;
    Ok(ImportOutcome::Added)
}

/// Ids of rows already looked up by key within one import batch.
#[derive(Default)]
struct Ids {
    sections: HashMap<String, i64>,
    tags: HashMap<String, i64>,
    authors: HashMap<String, i64>,
    users: HashMap<String, i64>,
    images: HashMap<String, i64>,
}

/// The id of the row of `table` whose `column` is `key`, remembered in `cache`; a missing one is
/// [`StoreError::MissingReference`] naming `what`.
async fn id_of(
    tx: &mut Transaction<'static, Any>,
    cache: &mut HashMap<String, i64>,
    (table, column, what): (&str, &str, &str),
    key: &str,
) -> Result<i64, StoreError> {
    if let Some(id) = cache.get(key) {
        return Ok(*id);
    }
    let id: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT id FROM {table} WHERE {column} = $1"
    )))
    .bind(key)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_error)?;
    let id = id.ok_or_else(|| StoreError::MissingReference(format!("{what} '{key}'")))?;
    cache.insert(key.to_owned(), id);
    Ok(id)
}

const SECTIONS: (&str, &str, &str) = ("sections", "slug", "section");
const TAGS: (&str, &str, &str) = ("tags", "slug", "tag");
const AUTHORS: (&str, &str, &str) = ("authors", "slug", "byline");
const USERS: (&str, &str, &str) = ("users", "email", "account");
const IMAGES: (&str, &str, &str) = ("images", "media_key", "image");

async fn user_id(
    tx: &mut Transaction<'static, Any>,
    ids: &mut Ids,
    email: Option<&Email>,
) -> Result<Option<i64>, StoreError> {
    match email {
        Some(email) => Ok(Some(
            id_of(tx, &mut ids.users, USERS, email.as_str()).await?,
        )),
        None => Ok(None),
    }
}

/// What an import needs to know of an article it meets stored.
struct StoredArticle {
    id: i64,
    slug: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// The newest revision's number: above 0 once the newsroom has saved a working copy.
    revision: i64,
}

/// The stored article with `slug`.
async fn article_by_slug(
    tx: &mut Transaction<'static, Any>,
    slug: &Slug,
) -> Result<Option<StoredArticle>, StoreError> {
    let row = sqlx::query(
        "SELECT id, slug, created_at, updated_at, revision FROM articles WHERE slug = $1",
    )
    .bind(slug.as_str())
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_error)?;
    row.map(|row| {
        Ok(StoredArticle {
            id: get(&row, "id")?,
            slug: get(&row, "slug")?,
            created_at: rows::time(get(&row, "created_at")?)?,
            updated_at: rows::time(get(&row, "updated_at")?)?,
            revision: get(&row, "revision")?,
        })
    })
    .transpose()
}

/// The id of the article a revision or comment belongs to: the one stored under `slug` with
/// this creation time; `None` when the slug is another article's (the record is taken), and
/// [`StoreError::MissingReference`] when there is none.
async fn record_article(
    tx: &mut Transaction<'static, Any>,
    slug: &Slug,
    created_at: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    match article_by_slug(tx, slug).await? {
        Some(stored) if stored.created_at == created_at => Ok(Some(stored.id)),
        Some(_) => Ok(None),
        None => Err(StoreError::MissingReference(format!("article '{slug}'"))),
    }
}

/// Inserts a label unless its slug is taken.
async fn import_label(
    tx: &mut Transaction<'static, Any>,
    table: &str,
    label: &PortableLabel,
) -> Result<ImportOutcome, StoreError> {
    let (columns, values) = if table == "sections" {
        ("slug, name, position", "$1, $2, $3")
    } else {
        ("slug, name", "$1, $2")
    };
    let mut query = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT (slug) DO NOTHING"
    )))
    .bind(label.slug.as_str())
    .bind(label.name.as_str());
    if table == "sections" {
        query = query.bind(label.position);
    }
    let done = query.execute(&mut **tx).await.map_err(db_error)?;
    Ok(outcome(done))
}

/// Adds the corrections of article `id` that it does not have yet.
async fn import_corrections(
    tx: &mut Transaction<'static, Any>,
    ids: &mut Ids,
    id: i64,
    corrections: &[PortableCorrection],
) -> Result<(), StoreError> {
    for c in corrections {
        let by = user_id(tx, ids, c.created_by.as_ref()).await?;
        sqlx::query(
            "INSERT INTO corrections (article_id, kind, note, created_by, created_at) \
             SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM corrections \
             WHERE article_id = $6 AND kind = $7 AND note = $8 AND created_at = $9)",
        )
        .bind(id)
        .bind(c.kind.as_str())
        .bind(c.note.as_str())
        .bind(by)
        .bind(c.created_at.timestamp_millis())
        .bind(id)
        .bind(c.kind.as_str())
        .bind(c.note.as_str())
        .bind(c.created_at.timestamp_millis())
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

async fn import_article(
    tx: &mut Transaction<'static, Any>,
    ids: &mut Ids,
    a: &PortableArticle,
    when_stored: WhenStored,
) -> Result<ImportOutcome, StoreError> {
    let mut stored = article_by_slug(tx, &a.slug).await?;
    if stored.is_none() && when_stored == WhenStored::UpdateIfNewer {
        // Renamed on the old site since it was imported: the same article under a slug it had.
        for previous in &a.previous_slugs {
            if let Some(found) = article_by_slug(tx, previous).await?
                && found.created_at == a.created_at
            {
                stored = Some(found);
                break;
            }
        }
    }
    if let Some(stored) = stored {
        if stored.created_at != a.created_at {
            return Ok(ImportOutcome::Taken);
        }
        let renamed = stored.slug != a.slug.as_str();
        let outcome = match when_stored {
            WhenStored::UpdateIfNewer if a.updated_at > stored.updated_at || renamed => {
                if stored.revision > 0 {
                    ImportOutcome::EditedHere
                } else {
                    update_article(tx, ids, stored.id, a).await?;
                    ImportOutcome::Updated
                }
            }
            _ => ImportOutcome::AlreadyThere,
        };
        import_corrections(tx, ids, stored.id, &a.corrections).await?;
        return Ok(outcome);
    }
    let refs = article_refs(tx, ids, a).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO articles (slug, headline, standfirst, body, body_html, section_id, \
         source_agency, source_mode, status, language, published_at, created_at, \
         updated_at, revision, live_revision, created_by, scheduled_at, featured_image, \
         seo_title, seo_description, pinned_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
         $19, $20, $21) RETURNING id",
    )
    .bind(a.slug.as_str())
    .bind(a.headline.as_str())
    .bind(a.standfirst.as_str())
    .bind(a.body.as_str())
    .bind(a.body_html.as_str())
    .bind(refs.section)
    .bind(crate::rows::source_columns(a.source.as_ref()).0)
    .bind(crate::rows::source_columns(a.source.as_ref()).1)
    .bind(a.status.as_str())
    .bind(a.language.as_str())
    .bind(a.published_at.map(|t| t.timestamp_millis()))
    .bind(a.created_at.timestamp_millis())
    .bind(a.updated_at.timestamp_millis())
    .bind(a.revision.0)
    .bind(a.live_revision.map(|n| n.0))
    .bind(refs.created_by)
    .bind(a.scheduled_at.map(|t| t.timestamp_millis()))
    .bind(refs.featured)
    .bind(a.search.title.as_str())
    .bind(a.search.description.as_str())
    .bind(a.pinned_at.map(|t| t.timestamp_millis()))
    .fetch_one(&mut **tx)
    .await
    .map_err(db_error)?;
    insert_labels(tx, id, &refs.tags, &refs.authors).await?;
    import_corrections(tx, ids, id, &a.corrections).await?;
    Ok(ImportOutcome::Added)
}

/// The ids of an article's section, tags, bylines, author account and featured image.
struct ArticleRefs {
    section: i64,
    tags: Vec<i64>,
    authors: Vec<i64>,
    created_by: Option<i64>,
    featured: Option<i64>,
}

async fn article_refs(
    tx: &mut Transaction<'static, Any>,
    ids: &mut Ids,
    a: &PortableArticle,
) -> Result<ArticleRefs, StoreError> {
    let section = id_of(tx, &mut ids.sections, SECTIONS, a.section.as_str()).await?;
    let mut tags = Vec::with_capacity(a.tags.len());
    for tag in &a.tags {
        tags.push(id_of(tx, &mut ids.tags, TAGS, tag.as_str()).await?);
    }
    let mut authors = Vec::with_capacity(a.authors.len());
    for author in &a.authors {
        authors.push(id_of(tx, &mut ids.authors, AUTHORS, author.as_str()).await?);
    }
    let created_by = user_id(tx, ids, a.created_by.as_ref()).await?;
    let featured = match &a.featured_image {
        Some(key) => Some(id_of(tx, &mut ids.images, IMAGES, key).await?),
        None => None,
    };
    Ok(ArticleRefs {
        section,
        tags,
        authors,
        created_by,
        featured,
    })
}

/// Writes an article's tags and bylines, each table's rows in one statement: an import writes a
/// whole archive.
async fn insert_labels(
    tx: &mut Transaction<'static, Any>,
    id: i64,
    tags: &[i64],
    authors: &[i64],
) -> Result<(), StoreError> {
    // Each table's rows in one statement: an import writes a whole archive.
    for (table, column, labels) in [
        ("article_tags", "tag_id", tags),
        ("article_authors", "author_id", authors),
    ] {
        if labels.is_empty() {
            continue;
        }
        let rows: Vec<String> = (0..labels.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        let mut query = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {table} (article_id, {column}, position) VALUES {}",
            rows.join(", ")
        )));
        for (position, label) in labels.iter().enumerate() {
            query = query.bind(id).bind(*label).bind(position as i64);
        }
        query.execute(&mut **tx).await.map_err(db_error)?;
    }
    Ok(())
}

/// Brings stored article `id` up to date with `a`: its slug, content, labels, status and times
/// (not its creation, its revisions or its notes). Its related list is computed again when next
/// read.
async fn update_article(
    tx: &mut Transaction<'static, Any>,
    ids: &mut Ids,
    id: i64,
    a: &PortableArticle,
) -> Result<(), StoreError> {
    let refs = article_refs(tx, ids, a).await?;
    let (agency, mode) = crate::rows::source_columns(a.source.as_ref());
    sqlx::query(
        "UPDATE articles SET slug = $1, headline = $2, standfirst = $3, body = $4, \
         body_html = $5, section_id = $6, source_agency = $7, source_mode = $8, status = $9, \
         language = $10, published_at = $11, updated_at = $12, scheduled_at = $13, \
         featured_image = $14, seo_title = $15, seo_description = $16, pinned_at = $17 \
         WHERE id = $18",
    )
    .bind(a.slug.as_str())
    .bind(a.headline.as_str())
    .bind(a.standfirst.as_str())
    .bind(a.body.as_str())
    .bind(a.body_html.as_str())
    .bind(refs.section)
    .bind(agency)
    .bind(mode)
    .bind(a.status.as_str())
    .bind(a.language.as_str())
    .bind(a.published_at.map(|t| t.timestamp_millis()))
    .bind(a.updated_at.timestamp_millis())
    .bind(a.scheduled_at.map(|t| t.timestamp_millis()))
    .bind(refs.featured)
    .bind(a.search.title.as_str())
    .bind(a.search.description.as_str())
    .bind(a.pinned_at.map(|t| t.timestamp_millis()))
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    for table in ["article_tags", "article_authors", "related_lists"] {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE article_id = $1"
        )))
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    }
    insert_labels(tx, id, &refs.tags, &refs.authors).await
}

async fn import_revision(
    tx: &mut Transaction<'static, Any>,
    ids: &mut Ids,
    r: &PortableRevision,
) -> Result<ImportOutcome, StoreError> {
    let Some(article) = record_article(tx, &r.article, r.article_created_at).await? else {
        return Ok(ImportOutcome::Taken);
    };
    let saved_by = user_id(tx, ids, r.saved_by.as_ref()).await?;
    let d = &r.draft;
    let done = sqlx::query(
        "INSERT INTO article_revisions (article_id, number, based_on, kind, headline, standfirst, \
         body, section, tags, authors, source_agency, source_mode, language, saved_by, \
         saved_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (article_id, number) DO NOTHING",
    )
    .bind(article)
    .bind(r.number.0)
    .bind(r.based_on.0)
    .bind(r.kind.as_str())
    .bind(d.headline.as_str())
    .bind(d.standfirst.as_str())
    .bind(d.body.as_str())
    .bind(d.section.as_str())
    .bind(d.tags.join("\n"))
    .bind(d.authors.join("\n"))
    .bind(crate::rows::source_columns(d.source.as_ref()).0)
    .bind(crate::rows::source_columns(d.source.as_ref()).1)
    .bind(d.language.as_str())
    .bind(saved_by)
    .bind(r.saved_at.timestamp_millis())
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    Ok(outcome(done))
}

/// The id of the comment of `article` written at `created_at` by `author`.
async fn comment_by_key(
    tx: &mut Transaction<'static, Any>,
    article: i64,
    created_at: DateTime<Utc>,
    author: &str,
) -> Result<Option<i64>, StoreError> {
    sqlx::query_scalar(
        "SELECT id FROM comments WHERE article_id = $1 AND created_at = $2 AND author_name = $3 \
         ORDER BY id LIMIT 1",
    )
    .bind(article)
    .bind(created_at.timestamp_millis())
    .bind(author)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_error)
}

/// Adds a comment unless its article already has one written at the same time by the same
/// author; taken when its article's slug belongs to an article of another creation time.
async fn import_comment(
    tx: &mut Transaction<'static, Any>,
    ids: &mut Ids,
    c: &PortableComment,
) -> Result<ImportOutcome, StoreError> {
    let Some(article) = record_article(tx, &c.article, c.article_created_at).await? else {
        return Ok(ImportOutcome::Taken);
    };
    if comment_by_key(tx, article, c.created_at, &c.author_name)
        .await?
        .is_some()
    {
        return Ok(ImportOutcome::AlreadyThere);
    }
    let parent = match &c.parent {
        Some((at, author)) => Some(comment_by_key(tx, article, *at, author).await?.ok_or_else(
            || StoreError::MissingReference(format!("comment by '{author}' on '{}'", c.article)),
        )?),
        None => None,
    };
    let user = user_id(tx, ids, c.user.as_ref()).await?;
    sqlx::query(
        "INSERT INTO comments (article_id, parent_id, author_name, author_email, author_url, \
         body, status, kind, created_at, user_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(article)
    .bind(parent)
    .bind(c.author_name.as_str())
    .bind(c.author_email.as_str())
    .bind(c.author_url.as_str())
    .bind(c.body.as_str())
    .bind(c.status.as_str())
    .bind(c.kind.as_str())
    .bind(c.created_at.timestamp_millis())
    .bind(user)
    .execute(&mut **tx)
    .await
    .map(outcome)
    .map_err(db_error)
}

/// What an `INSERT … ON CONFLICT DO NOTHING` of one record did.
fn outcome(done: sqlx::any::AnyQueryResult) -> ImportOutcome {
    if done.rows_affected() == 1 {
        ImportOutcome::Added
    } else {
        ImportOutcome::AlreadyThere
    }
}

async fn import_item(
    tx: &mut Transaction<'static, Any>,
    ids: &mut Ids,
    item: &ImportItem,
    when_stored: WhenStored,
) -> Result<ImportOutcome, StoreError> {
    match item {
        ImportItem::Settings(settings) => {
            let stored = sqlx::query("SELECT * FROM site_settings WHERE id = 1")
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_error)?
                .as_ref()
                .map(rows::settings)
                .transpose()?;
            match stored {
                Some(stored) if stored == *settings => Ok(ImportOutcome::AlreadyThere),
                Some(stored) if stored != SiteSettings::unconfigured() => Ok(ImportOutcome::Taken),
                _ => {
                    write_settings(tx, settings).await?;
                    Ok(ImportOutcome::Added)
                }
            }
        }
        ImportItem::Section(label) => import_label(tx, "sections", label).await,
        ImportItem::Tag(label) => import_label(tx, "tags", label).await,
        ImportItem::Author(label) => import_label(tx, "authors", label).await,
        ImportItem::User(user) => sqlx::query(
            "INSERT INTO users (email, name, role, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING",
        )
        .bind(user.email.as_str())
        .bind(user.name.as_str())
        .bind(user.role.as_str())
        .bind(user.password_hash.as_str())
        .bind(user.created_at.timestamp_millis())
        .execute(&mut **tx)
        .await
        .map(outcome)
        .map_err(db_error),
        ImportItem::Image(image) => {
            let by = user_id(tx, ids, image.uploaded_by.as_ref()).await?;
            let renditions = image
                .renditions
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",");
            sqlx::query(
                "INSERT INTO images (media_key, ext, width, height, renditions, alt, caption, \
                 credit, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (media_key) DO NOTHING",
            )
            .bind(image.key.as_str())
            .bind(image.ext.as_str())
            .bind(i64::from(image.width))
            .bind(i64::from(image.height))
            .bind(renditions)
            .bind(image.alt.as_str())
            .bind(image.caption.as_str())
            .bind(image.credit.as_str())
            .bind(by)
            .bind(image.created_at.timestamp_millis())
            .execute(&mut **tx)
            .await
            .map(outcome)
            .map_err(db_error)
        }
        ImportItem::Page(page) => import_page(tx, page).await,
        ImportItem::Menu(menu) => import_menu(tx, ids, menu).await,
        ImportItem::Article(article) => import_article(tx, ids, article, when_stored).await,
        ImportItem::Revision(revision) => import_revision(tx, ids, revision).await,
        ImportItem::Comment(comment) => import_comment(tx, ids, comment).await,
        ImportItem::Redirect(r) => {
            let stored: Option<String> =
                sqlx::query_scalar("SELECT to_path FROM redirects WHERE from_path = $1")
                    .bind(r.from_path.as_str())
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db_error)?;
            match stored {
                Some(to) if to == r.to_path => Ok(ImportOutcome::AlreadyThere),
                Some(_) => Ok(ImportOutcome::Taken),
                None => sqlx::query(
                    "INSERT INTO redirects (from_path, to_path, created_at) VALUES ($1, $2, $3)",
                )
                .bind(r.from_path.as_str())
                .bind(r.to_path.as_str())
                .bind(r.created_at.timestamp_millis())
                .execute(&mut **tx)
                .await
                .map(outcome)
                .map_err(db_error),
            }
        }
    }
}

/// Redirects read and written per statement (three parameters each).
const REDIRECTS_PER_STATEMENT: usize = 64;

/// Imports `run` as one redirect at a time would: added when its old path is new, already there
/// when the same redirect is stored (or came earlier in the run), taken when the old path leads
/// elsewhere.
async fn import_redirects(
    tx: &mut Transaction<'static, Any>,
    run: &[&PortableRedirect],
) -> Result<Vec<ImportOutcome>, StoreError> {
    let mut query = sqlx::query(AssertSqlSafe(format!(
        "SELECT from_path, to_path FROM redirects WHERE from_path IN ({})",
        numbered(1, run.len())
    )));
    for r in run {
        query = query.bind(r.from_path.as_str());
    }
    let mut known: std::collections::HashMap<String, String> = query
        .fetch_all(&mut **tx)
        .await
        .map_err(db_error)?
        .iter()
        .map(|row| Ok((rows::get(row, "from_path")?, rows::get(row, "to_path")?)))
        .collect::<Result<_, StoreError>>()?;
    let mut outcomes = Vec::with_capacity(run.len());
    let mut new: Vec<&PortableRedirect> = Vec::new();
    for r in run {
        outcomes.push(match known.get(&r.from_path) {
            Some(to) if *to == r.to_path => ImportOutcome::AlreadyThere,
            Some(_) => ImportOutcome::Taken,
            None => {
                known.insert(r.from_path.clone(), r.to_path.clone());
                new.push(r);
                ImportOutcome::Added
            }
        });
    }
    if !new.is_empty() {
        let rows: Vec<String> = (0..new.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        let mut insert = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO redirects (from_path, to_path, created_at) VALUES {}",
            rows.join(", ")
        )));
        for r in &new {
            insert = insert
                .bind(r.from_path.as_str())
                .bind(r.to_path.as_str())
                .bind(r.created_at.timestamp_millis());
        }
        insert.execute(&mut **tx).await.map_err(db_error)?;
    }
    Ok(outcomes)
}

#[async_trait]
impl PortableStore for SqlStore {
    async fn counts(&self) -> Result<Counts, StoreError> {
        let mut conn = self.pool().acquire().await.map_err(db_error)?;
        table_counts(&mut conn).await
    }

    async fn export_snapshot(&self) -> Result<Box<dyn ExportSnapshot>, StoreError> {
        let begin = match self.backend() {
            Backend::Sqlite => "BEGIN",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        let tx = self.pool().begin_with(begin).await.map_err(db_error)?;
        Ok(Box::new(Snapshot {
            tx,
            backend: self.backend(),
        }))
    }

    async fn import(
        &self,
        items: &[ImportItem],
        when_stored: WhenStored,
    ) -> Result<Vec<ImportOutcome>, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut ids = Ids::default();
        let mut outcomes = Vec::with_capacity(items.len());
        let mut at = 0;
        while at < items.len() {
            // A run of redirects (an import of a whole site has one per old address) goes in a
            // few statements per run.
            let run: Vec<&PortableRedirect> = items[at..]
                .iter()
                .map_while(|item| match item {
                    ImportItem::Redirect(r) => Some(r),
                    _ => None,
                })
                .take(REDIRECTS_PER_STATEMENT)
                .collect();
            if run.is_empty() {
                outcomes.push(import_item(&mut tx, &mut ids, &items[at], when_stored).await?);
                at += 1;
            } else {
                outcomes.extend(import_redirects(&mut tx, &run).await?);
                at += run.len();
            }
        }
        self.commit_change(tx, ContentChange::everything()).await?;
        Ok(outcomes)
    }

    async fn article_ids(&self, slugs: &[Slug]) -> Result<Vec<(Slug, ArticleId)>, StoreError> {
        let mut out = Vec::with_capacity(slugs.len());
        for chunk in slugs.chunks(SLUGS_PER_STATEMENT) {
            let mut query = sqlx::query(AssertSqlSafe(format!(
                "SELECT id, slug FROM articles WHERE slug IN ({})",
                numbered(1, chunk.len())
            )));
            for slug in chunk {
                query = query.bind(slug.as_str());
            }
            for row in query.fetch_all(self.pool()).await.map_err(db_error)? {
                out.push((rows::slug(&row, "slug")?, ArticleId(get(&row, "id")?)));
            }
        }
        Ok(out)
    }

    async fn image_key_exists(&self, key: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM images WHERE media_key = $1")
            .bind(key)
            .fetch_optional(self.pool())
            .await
            .map_err(db_error)?;
        Ok(found.is_some())
    }

    async fn replace_body(
        &self,
        id: ArticleId,
        body: &str,
        body_html: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE articles SET body = $1, body_html = $2 WHERE id = $3")
            .bind(body)
            .bind(body_html)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        self.commit_article_change(tx, id).await?;
        Ok(true)
    }
}
