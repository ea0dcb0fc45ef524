//! The search index: the domain's [`SearchIndex`] port on tantivy.
//!
//! The index is derived from the database and holds only published articles. It lives in a
//! directory under the data directory (or in memory), and is rebuilt from the store when it is
//! missing, unreadable, from an older schema, or stale: each commit records the store's
//! [`content fingerprint`](Store::content_fingerprint) as of the changes it applied, and
//! [`SearchEngine::open`] compares it with the database's.
//!
//! It is kept current from the store's change notices by a `dateline_tasks::Worker`: its observer
//! queues the ids of written articles (or "everything"), and its task
//! ([`SearchEngine::keep_current`]) re-reads those articles from the store, a batch at a time,
//! and updates the index. A search first waits for the updates queued before it, so a publish or unpublish
//! shows in the very next search. On PostgreSQL every node keeps its own index this way, from the
//! notices of the other nodes.

mod engine;
pub mod text;

pub use engine::{Build, IndexLocation, SearchEngine};
