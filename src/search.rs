//! Start-up of search: the index under the data directory, kept current from this node's writes
//! and (on PostgreSQL) from every other node's change notices.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use dateline_search::{IndexLocation, SearchEngine};
use dateline_store::SqlStore;

/// Opens (rebuilding if missing or stale) `<data dir>/search-index` and keeps it current.
pub async fn start(store: &SqlStore, data_dir: &Path) -> anyhow::Result<Arc<SearchEngine>> {
    let dir = data_dir.join("search-index");
    let engine = SearchEngine::open(
        IndexLocation::Directory(dir.clone()),
        Arc::new(store.clone()),
    )
    .await
    .with_context(|| format!("while opening the search index in {}", dir.display()))?;
    store
        .listen_for_changes()
        .await
        .context("while listening for other nodes' changes")?;
    Ok(Arc::new(engine))
}
