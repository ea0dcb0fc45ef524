//! The publication as a whole: whether the database answers, the site settings every page
//! shows, change notices, and old addresses that lead elsewhere now.

use std::sync::Arc;

use async_trait::async_trait;

use crate::change::ChangeObserver;
use crate::site::SiteSettings;
use crate::store::StoreError;

#[async_trait]
pub trait SiteStore: Send + Sync {
    /// Answers when the database is reachable.
    async fn ping(&self) -> Result<(), StoreError>;

    /// `None` until the publication has been set up.
    async fn site_settings(&self) -> Result<Option<SiteSettings>, StoreError>;
    /// Stores the settings; announces that everything changed, since every page shows them.
    async fn put_site_settings(&self, settings: &SiteSettings) -> Result<(), StoreError>;

    /// Registers an observer told of every committed change (see [`ChangeObserver`]): every
    /// area's writes announce what they touched, on this node and, through the database, on
    /// the others.
    fn add_change_observer(&self, observer: Arc<dyn ChangeObserver>);

    /// Where an old path (`/section/old-name`) lives now, if it moved (see
    /// [`LabelStore::merge_label`](crate::store::LabelStore::merge_label)).
    async fn redirect(&self, from_path: &str) -> Result<Option<String>, StoreError>;
}
