//! Comments on articles ([`crate::comment`]): what an article page shows and what the newsroom
//! moderates.

use async_trait::async_trait;

use crate::article::ArticleId;
use crate::comment::{Comment, CommentFilter, CommentId, CommentRow, CommentStatus, CommentUpdate};
use crate::store::StoreError;

#[async_trait]
pub trait CommentStore: Send + Sync {
    /// The approved comments of an article, oldest first (replies after their parents, which
    /// are always older), at most `limit`.
    async fn approved_comments(
        &self,
        article: ArticleId,
        limit: u32,
    ) -> Result<Vec<Comment>, StoreError>;

    /// Comments newest first, with their articles, as `filter` says; and whether there are more
    /// after them.
    async fn comments(&self, filter: &CommentFilter)
    -> Result<(Vec<CommentRow>, bool), StoreError>;

    /// One comment.
    async fn comment(&self, id: CommentId) -> Result<Option<Comment>, StoreError>;

    /// Sets a comment's status. Only a real change is written and announced
    /// ([`CacheKey::Comments`] of its article), so the same request sent many times at once ends
    /// in one state with one notice.
    ///
    /// [`CacheKey::Comments`]: crate::CacheKey::Comments
    async fn set_comment_status(
        &self,
        id: CommentId,
        status: CommentStatus,
    ) -> Result<CommentUpdate, StoreError>;

    /// Deletes a comment; its replies move up to its parent (or the top). `false` when there is
    /// no such comment.
    async fn delete_comment(&self, id: CommentId) -> Result<bool, StoreError>;
}
