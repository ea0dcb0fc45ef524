//! Related articles: what to offer a reader at the end of a story, and an editor choosing a
//! Read More link. The ranking itself (text, tags, section and time) is the search index's.
//!
//! Readers see stored lists ([`RelatedLists`]): a list is computed when its article is published
//! or changed, and stored, so rendering a page reads a few rows instead of running a ranking
//! query whose cost grows with the archive. An article whose list was never computed (an imported
//! archive, a database older than the lists) shows none on its first render and gets one in the
//! background; the store's change notice then drops the cached page.

use std::sync::Arc;

use dateline_domain::{
    Article, ArticleId, ArticleStatus, ArticleSummary, CacheKey, Clock, ContentChange, SearchHit,
    SearchIndex, Store,
};

use crate::ServiceError;
use crate::tasks::{Job, Retry, Settings, Stop, Worker};

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
    /// A page found no list: compute it unless one has been stored meanwhile. Offered to the
    /// worker, so at most [`MAX_FIRST_READS`] wait.
    FirstRead,
    /// A neighbour appeared or went: recompute this list only.
    Neighbour,
    /// The article itself was written: recompute, then refresh the lists of articles that
    /// enter its list, and of those that named it if it was taken down.
    Changed,
}

impl Reason {
    fn merge(queued: &mut Reason, new: Reason) {
        *queued = (*queued).max(new);
    }
}

/// The stored related lists of one node: read for pages, kept current by a background worker fed
/// by the store's change notices. On PostgreSQL every node hears every change and recomputes;
/// a node that finds the list already stored as it would compute it writes nothing.
pub struct RelatedLists {
    worker: Arc<Worker<Compute>>,
}

/// Computes lists, one article at a time: the job of the related lists' worker.
struct Compute {
    store: Arc<dyn Store>,
    search: Arc<dyn SearchIndex>,
    clock: Arc<dyn Clock>,
}

impl Job for Compute {
    type Key = ArticleId;
    type Value = Reason;
    type Error = ServiceError;

    fn merge(queued: &mut Reason, new: Reason) {
        Reason::merge(queued, new);
    }

    /// The articles each committed change wrote. `All` (a renamed label, a lost notification)
    /// names no article: lists stay as they are, and pages filter out whatever has been taken
    /// down since.
    fn heard(&self, change: &ContentChange) -> Vec<(ArticleId, Reason)> {
        change
            .keys
            .iter()
            .filter_map(|key| match key {
                CacheKey::Article(id) => Some((*id, Reason::Changed)),
                _ => None,
            })
            .collect()
    }

    async fn work(
        &self,
        batch: Vec<(ArticleId, Reason)>,
        worker: &Worker<Self>,
    ) -> Result<(), ServiceError> {
        for (id, reason) in batch {
            self.update(id, reason, worker).await?;
        }
        Ok(())
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
        let worker = Worker::new(
            Compute {
                store: store.clone(),
                search,
                clock,
            },
            Settings {
                name: "related lists",
                batch: 1,
                capacity: MAX_FIRST_READS,
                // A list that fails is computed again when its article next changes or a page
                // finds none.
                retry: Retry::Never,
            },
        );
        store.add_change_observer(worker.observer());
        Arc::new(RelatedLists { worker })
    }

    /// Up to `limit` published articles from the stored list of `id`, in its order. With no list
    /// yet, none, and one is computed in the background.
    pub async fn for_page(
        &self,
        id: ArticleId,
        limit: usize,
    ) -> Result<Vec<ArticleSummary>, ServiceError> {
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        match self.worker.job().store.related_summaries(id, limit).await? {
            Some(shown) => Ok(shown),
            None => {
                self.worker.offer([(id, Reason::FirstRead)]);
                Ok(Vec::new())
            }
        }
    }

    /// How many articles are waiting for their list to be computed (not counting the one being
    /// computed now).
    pub fn queued(&self) -> usize {
        self.worker.queued()
    }

    /// Waits until every list queued so far has been computed (or has failed).
    pub async fn settled(&self) {
        self.worker.settled().await;
    }

    /// Computes queued lists as they come, until `stop` says to stop (between two lists).
    pub async fn run(self: Arc<Self>, stop: Stop) {
        self.worker.clone().run(stop).await;
    }
}

impl Compute {
    async fn update(
        &self,
        id: ArticleId,
        reason: Reason,
        worker: &Worker<Self>,
    ) -> Result<(), ServiceError> {
        let article = self
            .store
            .article_by_id(id)
            .await?
            .filter(|a| a.status == ArticleStatus::Published);
        let Some(article) = article else {
            if reason == Reason::Changed {
                // Taken down (or never published): lists naming it get a replacement.
                let naming = self.store.lists_naming(id).await?;
                worker.push(naming.into_iter().map(|other| (other, Reason::Neighbour)));
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
            worker.push(entered.map(|other| (other, Reason::Neighbour)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::Queue;

    #[test]
    fn stronger_reasons_replace_weaker_and_first_reads_are_bounded() {
        // The worker's queue, as the related lists' worker keeps it: first reads offered, the
        // rest pushed.
        let mut queue = Queue::new(MAX_FIRST_READS, Reason::merge);
        queue.offer(ArticleId(1), Reason::FirstRead);
        queue.push(ArticleId(1), Reason::Changed);
        queue.push(ArticleId(1), Reason::Neighbour);
        assert_eq!(queue.offered(), 0);
        assert_eq!(queue.pop(), Some((ArticleId(1), Reason::Changed)));
        for n in 0..(MAX_FIRST_READS as i64 + 10) {
            queue.offer(ArticleId(n), Reason::FirstRead);
        }
        assert_eq!(queue.len(), MAX_FIRST_READS);
        // Changes are never dropped, however many first reads wait.
        queue.push(ArticleId(100_000), Reason::Changed);
        assert_eq!(queue.len(), MAX_FIRST_READS + 1);
        while queue.pop().is_some() {}
        assert_eq!(queue.offered(), 0);
    }
}
