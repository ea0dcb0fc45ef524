//! Pages and menus: the standing pages and the header and footer menus. Every write announces
//! [`CacheKey::Pages`](crate::CacheKey::Pages).

use async_trait::async_trait;

use crate::page::{MenuItem, MenuName, NewPage, Page, PageId, PageStatus, PageSummary};
use crate::store::StoreError;
use crate::text::Slug;

#[async_trait]
pub trait PageStore: Send + Sync {
    /// Every page, without bodies, by parent, position and id.
    async fn pages(&self) -> Result<Vec<PageSummary>, StoreError>;
    async fn page(&self, id: PageId) -> Result<Option<Page>, StoreError>;
    /// Adds a page. A slug its siblings hold, or (at the top) an article's, is
    /// [`StoreError::Conflict`]; a parent that does not exist, [`StoreError::MissingReference`].
    async fn insert_page(&self, page: &NewPage) -> Result<PageId, StoreError>;
    /// Replaces a page's fields (its creation time stays; its first publication time is set
    /// when first published). False when there is no such page. Conflicts as for
    /// [`PageStore::insert_page`]. When its path changes (a new slug or parent), the old path
    /// of the page and of every page under it is kept as a redirect to the new one.
    async fn update_page(&self, id: PageId, page: &NewPage) -> Result<bool, StoreError>;
    /// Publishes or takes down a page. False when there is no such page.
    async fn set_page_status(
        &self,
        id: PageId,
        status: PageStatus,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;
    /// Whether a top-level page holds this slug (articles pass over it).
    async fn top_page_slug_exists(&self, slug: &Slug) -> Result<bool, StoreError>;
    /// A menu's items, in order.
    async fn menu(&self, menu: MenuName) -> Result<Vec<MenuItem>, StoreError>;
    /// Replaces a menu's items with `items`, in one transaction. A page or section that does
    /// not exist is [`StoreError::MissingReference`] and nothing changes.
    async fn replace_menu(&self, menu: MenuName, items: &[MenuItem]) -> Result<(), StoreError>;
}
