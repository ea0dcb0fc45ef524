//! Related articles: what to offer a reader at the end of a story, and an editor choosing a
//! Read More link. The ranking itself (text, tags, section and time) is the search index's.
//!
//! Readers see stored lists ([`RelatedLists`]): a list is computed when its article is published
//! or changed, and stored, so rendering a page reads a few rows instead of running a ranking
//! query whose cost grows with the archive. An article whose list was never computed (an imported
//! archive, a database older than the lists) shows none on its first render and gets one in the
//! background; the store's change notice then drops the cached page.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use dateline_domain::{
    Article, ArticleId, ArticleStatus, ArticleSummary, CacheKey, ChangeObserver, Clock,
    ContentChange, SearchHit, SearchIndex, Store,
};
use tokio::sync::{Notify, watch};

use crate::ServiceError;
use crate::tasks::Stop;

/// Up to `limit` published articles related to `article` (which may be a draft being edited),
/// best first, never `article` itself. Runs the ranking query: for the editor's picker.
pub async fn related_articles(
    search: &dyn SearchIndex,
    article: &Article,
    limit: usize,
) -> Result<Vec<SearchHit>, ServiceError> {
    Ok(search.related(article, limit).await?)
}

/// Related articles of the published article `id`; `None` when there is no such published
/// article (readers may not learn about drafts).
pub async fn related_to_published(
    store: &dyn Store,
    search: &dyn SearchIndex,
    id: ArticleId,
    limit: usize,
) -> Result<Option<Vec<SearchHit>>, ServiceError> {
    let Some(article) = store
        .article_by_id(id)
        .await?
        .filter(|a| a.status == ArticleStatus::Published)
    else {
        return Ok(None);
    };
    related_articles(search, &article, limit).await.map(Some)
}

/// How many articles a stored list names (a page shows fewer when some are taken down).
pub const LIST_LEN: usize = 6;
/// Lists waiting to be computed because a page found none; more requests are dropped (the next
/// render of such a page asks again), so a crawl of a large archive cannot queue without bound.
const MAX_FIRST_READS: usize = 256;

/// Why a list is (re)computed; a later, stronger reason replaces a weaker one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reason {
    /// A page found no list: compute it unless one has been stored meanwhile.
    FirstRead,
    /// A neighbour appeared or went: recompute this list only.
    Neighbour,
    /// The article itself was written: recompute, then refresh the lists of articles that
    /// enter its list, and of those that named it if it was taken down.
    Changed,
}

#[derive(Default)]
struct Queue {
    items: BTreeMap<ArticleId, Reason>,
    first_reads: usize,
}

impl Queue {
    fn push(&mut self, id: ArticleId, reason: Reason) {
        if reason == Reason::FirstRead {
            if self.first_reads >= MAX_FIRST_READS || self.items.contains_key(&id) {
                return;
            }
            self.first_reads += 1;
        }
        let entry = self.items.entry(id).or_insert(reason);
        if reason > *entry {
            if *entry == Reason::FirstRead {
                self.first_reads -= 1;
            }
            *entry = reason;
        }
    }

    fn pop(&mut self) -> Option<(ArticleId, Reason)> {
        let (id, reason) = self.items.pop_first()?;
        if reason == Reason::FirstRead {
            self.first_reads -= 1;
        }
        Some((id, reason))
    }
}

/// The stored related lists of one node: read for pages, kept current by a background task fed
/// by the store's change notices. On PostgreSQL every node hears every change and recomputes;
/// a node that finds the list already stored as it would compute it writes nothing.
pub struct RelatedLists {
    store: Arc<dyn Store>,
    search: Arc<dyn SearchIndex>,
    clock: Arc<dyn Clock>,
    queue: Mutex<Queue>,
    wake: Notify,
    /// `true` while nothing is queued or being computed.
    idle: watch::Sender<bool>,
}

/// Queues the articles each committed change wrote.
struct Observer(Arc<RelatedLists>);

impl ChangeObserver for Observer {
    fn content_changed(&self, change: &ContentChange) {
        // `All` (a renamed label, a lost notification) names no article: lists stay as they
        // are, and pages filter out whatever has been taken down since.
        let ids = change.keys.iter().filter_map(|key| match key {
            CacheKey::Article(id) => Some(*id),
            _ => None,
        });
        self.0.enqueue(ids.map(|id| (id, Reason::Changed)));
    }
}

impl RelatedLists {
    /// Subscribes to `store`'s changes; lists are computed with `search` by [`RelatedLists::run`],
    /// which the caller runs.
    pub fn new(
        store: Arc<dyn Store>,
        search: Arc<dyn SearchIndex>,
        clock: Arc<dyn Clock>,
    ) -> Arc<Self> {
        let lists = Arc::new(RelatedLists {
            store: store.clone(),
            search,
            clock,
            queue: Mutex::default(),
            wake: Notify::new(),
            idle: watch::Sender::new(true),
        });
        store.add_change_observer(Arc::new(Observer(lists.clone())));
        lists
    }

    /// Up to `limit` published articles from the stored list of `id`, in its order. With no list
    /// yet, none, and one is computed in the background.
    pub async fn for_page(
        &self,
        id: ArticleId,
        limit: usize,
    ) -> Result<Vec<ArticleSummary>, ServiceError> {
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        match self.store.related_summaries(id, limit).await? {
            Some(shown) => Ok(shown),
            None => {
                self.enqueue([(id, Reason::FirstRead)]);
                Ok(Vec::new())
            }
        }
    }

    /// How many articles are waiting for their list to be computed (not counting the one being
    /// computed now).
    pub fn queued(&self) -> usize {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .items
            .len()
    }

    /// Waits until every list queued so far has been computed (or has failed).
    pub async fn settled(&self) {
        let mut idle = self.idle.subscribe();
        // The sender lives in `self`, so the channel cannot close while we wait.
        let _ = idle.wait_for(|idle| *idle).await;
    }

    fn enqueue(&self, items: impl IntoIterator<Item = (ArticleId, Reason)>) {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        for (id, reason) in items {
            queue.push(id, reason);
        }
        if !queue.items.is_empty() {
            self.idle.send_replace(false);
            self.wake.notify_one();
        }
    }

    /// Computes queued lists as they come, until `stop` says to stop (between two lists).
    pub async fn run(self: Arc<Self>, mut stop: Stop) {
        loop {
            if stop.is_set() {
                return;
            }
            let next = {
                let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                let next = queue.pop();
                if next.is_none() {
                    self.idle.send_replace(true);
                }
                next
            };
            let Some((id, reason)) = next else {
                tokio::select! {
                    () = stop.wait() => return,
                    () = self.wake.notified() => {}
                }
                continue;
            };
            if let Err(e) = self.update(id, reason).await {
                tracing::warn!(error = %crate::Chain(&e), article = id.0, "related list not computed");
            }
        }
    }

    async fn update(&self, id: ArticleId, reason: Reason) -> Result<(), ServiceError> {
        let article = self
            .store
            .article_by_id(id)
            .await?
            .filter(|a| a.status == ArticleStatus::Published);
        let Some(article) = article else {
            if reason == Reason::Changed {
                // Taken down (or never published): lists naming it get a replacement.
                let naming = self.store.lists_naming(id).await?;
                self.enqueue(naming.into_iter().map(|other| (other, Reason::Neighbour)));
            }
            return Ok(());
        };
        let old = self.store.related_list(id).await?;
        if reason == Reason::FirstRead && old.is_some() {
            return Ok(());
        }
        let ids: Vec<ArticleId> = self
            .search
            .related(&article, LIST_LEN)
            .await?
            .into_iter()
            .map(|hit| hit.id)
            .collect();
        if old.as_ref() != Some(&ids) {
            self.store
                .put_related_list(id, &ids, self.clock.now())
                .await?;
        }
        if reason == Reason::Changed {
            // A new story becomes a follow-up on the pages of the stories it relates to.
            let old = old.unwrap_or_default();
            let entered = ids.into_iter().filter(|other| !old.contains(other));
            self.enqueue(entered.map(|other| (other, Reason::Neighbour)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stronger_reasons_replace_weaker_and_first_reads_are_bounded() {
        let mut queue = Queue::default();
        queue.push(ArticleId(1), Reason::FirstRead);
        queue.push(ArticleId(1), Reason::Changed);
        queue.push(ArticleId(1), Reason::Neighbour);
        assert_eq!(queue.first_reads, 0);
        assert_eq!(queue.pop(), Some((ArticleId(1), Reason::Changed)));
        for n in 0..(MAX_FIRST_READS as i64 + 10) {
            queue.push(ArticleId(n), Reason::FirstRead);
        }
        assert_eq!(queue.items.len(), MAX_FIRST_READS);
        // Changes are never dropped, however many first reads wait.
        queue.push(ArticleId(100_000), Reason::Changed);
        assert_eq!(queue.items.len(), MAX_FIRST_READS + 1);
        while queue.pop().is_some() {}
        assert_eq!(queue.first_reads, 0);
    }
}
