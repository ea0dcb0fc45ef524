//! Related articles: what to offer a reader at the end of a story, and an editor choosing a
//! Read More link. The ranking itself (text, tags, section, time) is the search index's.

use dateline_domain::{Article, ArticleId, ArticleStatus, SearchHit, SearchIndex, Store};

use crate::ServiceError;

/// Up to `limit` published articles related to `article` (which may be a draft being edited),
/// best first, never `article` itself.
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
