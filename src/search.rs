//! Start-up of search: the index under the data directory, kept current from this node's writes
//! and (on PostgreSQL) from every other node's change notices, which `serve` listens for.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use dateline_search::{Build, IndexLocation, SearchEngine};
use dateline_store::SqlStore;

/// Opens `<data dir>/search-index`; a missing or stale index is built in the background (by
/// [`SearchEngine::keep_current`], which the caller runs) while the node serves everything else.
pub async fn open(store: &SqlStore, data_dir: &Path) -> anyhow::Result<Arc<SearchEngine>> {
    let dir = data_dir.join("search-index");
    let engine = SearchEngine::open_with(
        IndexLocation::Directory(dir.clone()),
        Arc::new(store.clone()),
        Build::InBackground,
    )
    .await
    .with_context(|| format!("while opening the search index in {}", dir.display()))?;
    Ok(Arc::new(engine))
}
