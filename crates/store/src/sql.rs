//! The store type, and what every area's implementation shares: opening write transactions,
//! committing them with their change notices, the audit line a newsroom write leaves, and the
//! listing keys a write touches. Each area's port is implemented in a file of its own
//! (`articles.rs`, `labels.rs`, `accounts.rs`, `workflow.rs`, `media.rs`, `related.rs`,
//! `site.rs`, `portable.rs`), with its queries written once for both backends.

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use dateline_domain::{
    ArticleId, AuditEntry, AuthorId, CacheKey, ChangeObserver, ContentChange, NewArticle,
    SectionId, StoreError, TagId,
};
use sqlx::{Any, AnyPool, Transaction};

use crate::rows::db_error;
use crate::{Backend, DatabaseUrl};

/// A write transaction.
pub(crate) type Tx = Transaction<'static, Any>;

/// The columns [`crate::rows::summary`] reads, for `articles a JOIN sections s`.
pub(crate) const SUMMARY_COLUMNS: &str = "a.id, a.slug, a.headline, a.standfirst, a.status, a.language, \
     a.published_at, s.id AS section_id, s.slug AS section_slug, s.name AS section_name";

/// A publication stored in SQLite or PostgreSQL.
#[derive(Clone)]
pub struct SqlStore {
    pool: AnyPool,
    /// One connection of its own for the health check, so that a health probe never queues
    /// behind the requests waiting for `pool` when the server is saturated. Opened on first use.
    health: AnyPool,
    backend: Backend,
    url: DatabaseUrl,
    observers: Arc<RwLock<Vec<Arc<dyn ChangeObserver>>>>,
    /// Tells this process's change notifications from other nodes'.
    node: u64,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend)
            .field("node", &self.node)
            .finish()
    }
}

/// The PostgreSQL channel change notifications travel on.
pub(crate) const CHANGES_CHANNEL: &str = "dateline_changes";
/// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7_900;

impl SqlStore {
    pub(crate) fn new(pool: AnyPool, url: DatabaseUrl) -> Self {
        let backend = url.backend();
        let node = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id()).rotate_left(32);
        let health = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .test_before_acquire(false)
            .idle_timeout(None)
            .connect_lazy(url.as_sqlx_url())
            .unwrap_or_else(|_| pool.clone());
        Self {
            pool,
            health,
            backend,
            url,
            observers: Arc::default(),
            node,
        }
    }

    /// The database this store was opened on.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub(crate) fn node(&self) -> u64 {
        self.node
    }

    /// Adds an observer to those [`SqlStore::announce`] tells.
    pub(crate) fn register(&self, observer: Arc<dyn ChangeObserver>) {
        self.observers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(observer);
    }

    /// Tells every observer of this process about `change`.
    pub(crate) fn announce(&self, change: &ContentChange) {
        let observers = self
            .observers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for observer in observers {
            observer.content_changed(change);
        }
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first cannot take the lock later if
    /// another writer committed meanwhile, and fails at once instead of waiting its turn.
    pub(crate) async fn begin_write(&self) -> Result<Tx, StoreError> {
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        self.pool.begin_with(begin).await.map_err(db_error)
    }

    /// Commits `tx` with `change`: on PostgreSQL the notification to other nodes is part of the
    /// transaction (delivered on commit); observers in this process hear of it after the commit.
    /// Commits a write to article `id`, announcing its page and every listing it is on.
    pub(crate) async fn commit_article_change(
        &self,
        mut tx: Tx,
        id: ArticleId,
    ) -> Result<(), StoreError> {
        let mut change = ContentChange::default();
        listing_keys(&mut tx, id, &mut change.keys).await?;
        self.commit_change(tx, change).await
    }

    pub(crate) async fn commit_change(
        &self,
        mut tx: Tx,
        change: ContentChange,
    ) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            let mut payload = format!("{} {}", self.node, change.encode());
            if payload.len() > MAX_PAYLOAD {
                payload = format!("{} {}", self.node, ContentChange::everything().encode());
            }
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANGES_CHANNEL)
                .bind(payload)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)?;
        self.announce(&change);
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The health check's own connection (see the field).
    pub(crate) fn health_pool(&self) -> &AnyPool {
        &self.health
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection; waits for those in use to come back.
    pub async fn close(&self) {
        self.health.close().await;
        self.pool.close().await;
    }
}

/// Adds the keys of every listing article `id` is on, as of now in `tx`.
pub(crate) async fn listing_keys(
    tx: &mut Transaction<'_, Any>,
    id: ArticleId,
    keys: &mut BTreeSet<CacheKey>,
) -> Result<(), StoreError> {
    keys.extend([CacheKey::Latest, CacheKey::Article(id)]);
    let section: Option<i64> = sqlx::query_scalar("SELECT section_id FROM articles WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_error)?;
    keys.extend(section.map(|s| CacheKey::Section(SectionId(s))));
    let tags: Vec<i64> =
        sqlx::query_scalar("SELECT tag_id FROM article_tags WHERE article_id = $1")
            .bind(id.0)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_error)?;
    keys.extend(tags.into_iter().map(|t| CacheKey::Tag(TagId(t))));
    let authors: Vec<i64> =
        sqlx::query_scalar("SELECT author_id FROM article_authors WHERE article_id = $1")
            .bind(id.0)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_error)?;
    keys.extend(authors.into_iter().map(|a| CacheKey::Author(AuthorId(a))));
    Ok(())
}

/// The keys of a new article, known without asking the database.
pub(crate) fn new_article_keys(id: ArticleId, a: &NewArticle, keys: &mut BTreeSet<CacheKey>) {
    keys.extend([
        CacheKey::Latest,
        CacheKey::Article(id),
        CacheKey::Section(a.section),
    ]);
    keys.extend(a.tags.iter().map(|t| CacheKey::Tag(*t)));
    keys.extend(a.authors.iter().map(|u| CacheKey::Author(*u)));
}

/// Writes one line of the audit log.
pub(crate) async fn write_audit(tx: &mut Tx, e: &AuditEntry) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, action, article_id, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(e.at.timestamp_millis())
    .bind(e.user.map(|u| u.0))
    .bind(e.action.as_str())
    .bind(e.article.map(|a| a.0))
    .bind(e.detail.as_str())
    .execute(&mut **tx)
    .await
    .map(|_| ())
    .map_err(db_error)
}
