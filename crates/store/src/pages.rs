//! Pages and menus ([`PageStore`]). Every write commits with [`CacheKey::Pages`].

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dateline_domain::{
    CacheKey, ContentChange, Language, MenuItem, MenuName, MenuTarget, NewPage, Page, PageId,
    PageStatus, PageStore, PageSummary, SectionId, Slug, StoreError,
};
use sqlx::any::AnyRow;

use crate::rows::{self, db_error, get};
use crate::sql::{SqlStore, Tx};

const SUMMARY: &str = "id, slug, parent_id, position, title, status, language";

pub(crate) fn page_summary(row: &AnyRow) -> Result<PageSummary, StoreError> {
    let status: String = get(row, "status")?;
    let language: String = get(row, "language")?;
    Ok(PageSummary {
        id: PageId(get(row, "id")?),
        slug: rows::slug(row, "slug")?,
        parent: get::<Option<i64>>(row, "parent_id")?.map(PageId),
        position: get(row, "position")?,
        title: get(row, "title")?,
        status: PageStatus::parse(&status).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        language: Language::parse(&language).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

pub(crate) fn page(row: &AnyRow) -> Result<Page, StoreError> {
    Ok(Page {
        summary: page_summary(row)?,
        body: get(row, "body")?,
        body_html: get(row, "body_html")?,
        description: get(row, "description")?,
        created_at: rows::time(get(row, "created_at")?)?,
        updated_at: rows::time(get(row, "updated_at")?)?,
        published_at: rows::opt_time(row, "published_at")?,
    })
}

pub(crate) fn menu_item(row: &AnyRow) -> Result<MenuItem, StoreError> {
    let page: Option<i64> = get(row, "page_id")?;
    let section: Option<i64> = get(row, "section_id")?;
    let url: Option<String> = get(row, "url")?;
    let target = match (page, section, url) {
        (Some(id), _, _) => MenuTarget::Page(PageId(id)),
        (None, Some(id), _) => MenuTarget::Section(SectionId(id)),
        (None, None, Some(url)) => MenuTarget::Url(url),
        (None, None, None) => return Err(StoreError::Corrupt("a menu item with no target".into())),
    };
    Ok(MenuItem {
        label: get(row, "label")?,
        target,
        nested: get::<i64>(row, "nested")? != 0,
    })
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The change every page or menu write announces.
pub(crate) fn pages_changed() -> ContentChange {
    ContentChange {
        keys: BTreeSet::from([CacheKey::Pages]),
    }
}

/// Refuses a top-level slug an article holds, or one that a page other than `except` holds
/// among `parent`'s children. Checked inside the write's transaction.
pub(crate) async fn check_page_slug(
    tx: &mut Tx,
    slug: &Slug,
    parent: Option<PageId>,
    except: Option<PageId>,
) -> Result<(), StoreError> {
    if parent.is_none() {
        let article = sqlx::query("SELECT 1 FROM articles WHERE slug = $1")
            .bind(slug.as_str())
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_error)?;
        if article.is_some() {
            return Err(StoreError::Conflict(format!(
                "the address /{slug} (an article's)"
            )));
        }
    }
    let sibling: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM pages WHERE slug = $1 AND \
         ((parent_id IS NULL AND $2 = 0) OR parent_id = $2) AND id <> $3",
    )
    .bind(slug.as_str())
    .bind(parent.map_or(0, |p| p.0))
    .bind(except.map_or(0, |p| p.0))
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_error)?;
    if sibling.is_some() {
        return Err(StoreError::Conflict(format!(
            "the page address slug '{slug}' (another page's)"
        )));
    }
    Ok(())
}

pub(crate) async fn check_parent(tx: &mut Tx, parent: Option<PageId>) -> Result<(), StoreError> {
    if let Some(parent) = parent {
        let found = sqlx::query("SELECT 1 FROM pages WHERE id = $1")
            .bind(parent.0)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_error)?;
        if found.is_none() {
            return Err(StoreError::MissingReference(format!(
                "parent page {parent}"
            )));
        }
    }
    Ok(())
}

/// Inserts a page in `tx` (its slug checked); its id.
pub(crate) async fn insert_page_in(
    tx: &mut Tx,
    page: &NewPage,
    created_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
) -> Result<PageId, StoreError> {
    check_parent(tx, page.parent).await?;
    check_page_slug(tx, &page.slug, page.parent, None).await?;
    // The bound holds whoever writes (the newsroom, an import); writers at the same moment on
    // PostgreSQL may pass it by as many as write at once.
    let pages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pages")
        .fetch_one(&mut **tx)
        .await
        .map_err(db_error)?;
    if pages >= Page::MAX_PAGES as i64 {
        return Err(StoreError::InvalidInput(format!(
            "the publication has {} pages, the most it keeps; an unpublished one can be rewritten instead",
            Page::MAX_PAGES
        )));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO pages (slug, parent_id, position, title, body, body_html, description, \
         status, language, created_at, updated_at, published_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(page.slug.as_str())
    .bind(page.parent.map(|p| p.0))
    .bind(page.position)
    .bind(page.title.as_str())
    .bind(page.body.as_str())
    .bind(page.body_html.as_str())
    .bind(page.description.as_str())
    .bind(page.status.as_str())
    .bind(page.language.as_str())
    .bind(millis(created_at))
    .bind(millis(page.at))
    .bind(published_at.map(millis))
    .fetch_one(&mut **tx)
    .await
    .map_err(db_error)?;
    Ok(PageId(id))
}

/// Writes a menu's items in `tx`, replacing those it had.
pub(crate) async fn write_menu(
    tx: &mut Tx,
    menu: MenuName,
    items: &[MenuItem],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM menu_items WHERE menu = $1")
        .bind(menu.as_str())
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    for (position, item) in items.iter().enumerate() {
        let (page, section, url) = match &item.target {
            MenuTarget::Page(id) => (Some(id.0), None, None),
            MenuTarget::Section(id) => (None, Some(id.0), None),
            MenuTarget::Url(url) => (None, None, Some(url.clone())),
        };
        if let Some(id) = page {
            let found = sqlx::query("SELECT 1 FROM pages WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_error)?;
            if found.is_none() {
                return Err(StoreError::MissingReference(format!("page {id}")));
            }
        }
        if let Some(id) = section {
            let found = sqlx::query("SELECT 1 FROM sections WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_error)?;
            if found.is_none() {
                return Err(StoreError::MissingReference(format!("section {id}")));
            }
        }
        sqlx::query(
            "INSERT INTO menu_items (menu, position, nested, label, page_id, section_id, url) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(menu.as_str())
        .bind(position as i64)
        .bind(i64::from(item.nested))
        .bind(item.label.as_str())
        .bind(page)
        .bind(section)
        .bind(url)
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

/// Every page's path (decoded), as of now in `tx`.
async fn paths_in(tx: &mut Tx) -> Result<std::collections::HashMap<PageId, String>, StoreError> {
    let pages: Vec<PageSummary> =
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {SUMMARY} FROM pages")))
            .fetch_all(&mut **tx)
            .await
            .map_err(db_error)?
            .iter()
            .map(page_summary)
            .collect::<Result<_, _>>()?;
    Ok(dateline_domain::page::page_paths(&pages)
        .into_iter()
        .map(|(id, slugs)| {
            (
                id,
                dateline_domain::SitePath::page(&slugs)
                    .decoded()
                    .into_owned(),
            )
        })
        .collect())
}

/// Leads the old address of every page whose path changed (a page moved or renamed, and the
/// pages under it) to its new one.
async fn redirect_moved(
    tx: &mut Tx,
    before: &std::collections::HashMap<PageId, String>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let after = paths_in(tx).await?;
    for (id, old) in before {
        let Some(new) = after.get(id) else { continue };
        if old == new {
            continue;
        }
        sqlx::query(
            "INSERT INTO redirects (from_path, to_path, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (from_path) DO UPDATE SET to_path = excluded.to_path",
        )
        .bind(old.as_str())
        .bind(new.as_str())
        .bind(millis(at))
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

#[async_trait]
impl PageStore for SqlStore {
    async fn pages(&self) -> Result<Vec<PageSummary>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY} FROM pages ORDER BY parent_id IS NOT NULL, parent_id, position, id"
        )))
        .fetch_all(self.pool())
        .await
        .map_err(db_error)?;
        rows.iter().map(page_summary).collect()
    }

    async fn page(&self, id: PageId) -> Result<Option<Page>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY}, body, body_html, description, created_at, updated_at, \
             published_at FROM pages WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?;
        row.as_ref().map(page).transpose()
    }

    async fn insert_page(&self, new: &NewPage) -> Result<PageId, StoreError> {
        let mut tx = self.begin_write().await?;
        let published_at = (new.status == PageStatus::Published).then_some(new.at);
        let id = insert_page_in(&mut tx, new, new.at, published_at).await?;
        self.commit_change(tx, pages_changed()).await?;
        Ok(id)
    }

    async fn update_page(&self, id: PageId, new: &NewPage) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        check_parent(&mut tx, new.parent).await?;
        check_page_slug(&mut tx, &new.slug, new.parent, Some(id)).await?;
        let before = paths_in(&mut tx).await?;
        let published_at = (new.status == PageStatus::Published).then_some(millis(new.at));
        let done = sqlx::query(
            "UPDATE pages SET slug = $1, parent_id = $2, position = $3, title = $4, body = $5, \
             body_html = $6, description = $7, status = $8, language = $9, updated_at = $10, \
             published_at = COALESCE(published_at, $11) WHERE id = $12",
        )
        .bind(new.slug.as_str())
        .bind(new.parent.map(|p| p.0))
        .bind(new.position)
        .bind(new.title.as_str())
        .bind(new.body.as_str())
        .bind(new.body_html.as_str())
        .bind(new.description.as_str())
        .bind(new.status.as_str())
        .bind(new.language.as_str())
        .bind(millis(new.at))
        .bind(published_at)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?
        .rows_affected()
            > 0;
        if !done {
            return Ok(false);
        }
        redirect_moved(&mut tx, &before, new.at).await?;
        self.commit_change(tx, pages_changed()).await?;
        Ok(true)
    }

    async fn set_page_status(
        &self,
        id: PageId,
        status: PageStatus,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let published_at = (status == PageStatus::Published).then_some(millis(at));
        let done = sqlx::query(
            "UPDATE pages SET status = $1, updated_at = $2, \
             published_at = COALESCE(published_at, $3) WHERE id = $4",
        )
        .bind(status.as_str())
        .bind(millis(at))
        .bind(published_at)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?
        .rows_affected()
            > 0;
        if !done {
            return Ok(false);
        }
        self.commit_change(tx, pages_changed()).await?;
        Ok(true)
    }

    async fn top_page_slug_exists(&self, slug: &Slug) -> Result<bool, StoreError> {
        let found = sqlx::query("SELECT 1 FROM pages WHERE slug = $1 AND parent_id IS NULL")
            .bind(slug.as_str())
            .fetch_optional(self.pool())
            .await
            .map_err(db_error)?;
        Ok(found.is_some())
    }

    async fn menu(&self, menu: MenuName) -> Result<Vec<MenuItem>, StoreError> {
        let rows = sqlx::query(
            "SELECT label, nested, page_id, section_id, url FROM menu_items \
             WHERE menu = $1 ORDER BY position",
        )
        .bind(menu.as_str())
        .fetch_all(self.pool())
        .await
        .map_err(db_error)?;
        rows.iter().map(menu_item).collect()
    }

    async fn replace_menu(&self, menu: MenuName, items: &[MenuItem]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        write_menu(&mut tx, menu, items).await?;
        self.commit_change(tx, pages_changed()).await
    }
}
