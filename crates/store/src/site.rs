//! The publication as a whole ([`SiteStore`]): health, the settings row, change observers and
//! redirects.

use std::sync::Arc;

use async_trait::async_trait;
use dateline_domain::{ChangeObserver, ContentChange, SiteSettings, SiteStore, StoreError};
use sqlx::{Any, Transaction};

use crate::rows::{self, db_error};
use crate::sql::SqlStore;

/// Writes the one row of site settings, replacing any.
pub(crate) async fn write_settings(
    tx: &mut Transaction<'_, Any>,
    s: &SiteSettings,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO site_settings (id, name, short_name, base_url, time_zone, locale, attribution_template, \
         attribution_template_agency_only, attribution_template_edited, show_comments) \
         VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (id) DO UPDATE SET name = $1, short_name = $2, base_url = $3, time_zone = $4, \
         locale = $5, attribution_template = $6, attribution_template_agency_only = $7, \
         attribution_template_edited = $8, show_comments = $9",
    )
    .bind(s.name.as_str())
    .bind(s.short_name.as_str())
    .bind(s.base_url.as_str())
    .bind(s.time_zone.name())
    .bind(s.locale.as_str())
    .bind(s.attribution_template.as_str())
    .bind(s.attribution_template_agency_only.as_str())
    .bind(s.attribution_template_edited.as_str())
    .bind(i64::from(s.show_comments))
    .execute(&mut **tx)
    .await
    .map(|_| ())
    .map_err(db_error)
}

#[async_trait]
impl SiteStore for SqlStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(self.health_pool())
            .await
            .map(|_| ())
            .map_err(db_error)
    }

    async fn site_settings(&self) -> Result<Option<SiteSettings>, StoreError> {
        let Some(row) = sqlx::query("SELECT * FROM site_settings WHERE id = 1")
            .fetch_optional(self.pool())
            .await
            .map_err(db_error)?
        else {
            return Ok(None);
        };
        rows::settings(&row).map(Some)
    }

    async fn put_site_settings(&self, s: &SiteSettings) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        write_settings(&mut tx, s).await?;
        // Every page shows the settings.
        self.commit_change(tx, ContentChange::everything()).await
    }

    fn add_change_observer(&self, observer: Arc<dyn ChangeObserver>) {
        self.register(observer);
    }

    async fn redirect(&self, from_path: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT to_path FROM redirects WHERE from_path = $1")
            .bind(from_path)
            .fetch_optional(self.pool())
            .await
            .map_err(db_error)
    }
}
