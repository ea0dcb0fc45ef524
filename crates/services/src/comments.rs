//! Comments: the threads an article page shows, and the newsroom's moderation (approve,
//! unapprove, delete), which editors and administrators do.
//!
//! Comments come in through imports (a WordPress site's, or an export of ours); readers cannot
//! write them here yet.

use dateline_domain::{
    Action, Comment, CommentFilter, CommentId, CommentRow, CommentStatus, CommentUpdate, Store,
    User,
};

use crate::ServiceError;

/// Comments on a page of the newsroom's list.
pub const PAGE_SIZE: u32 = 50;

/// Deepest indentation a page shows: replies deeper than this sit at this depth.
pub const MAX_DEPTH: usize = 5;

/// A page of the newsroom's list, newest first: `status` or all, page `page` (from 1); and
/// whether there is a next page.
pub async fn list_comments(
    store: &dyn Store,
    user: &User,
    status: Option<CommentStatus>,
    page: u64,
) -> Result<(Vec<CommentRow>, bool), ServiceError> {
    if !user.may(Action::ModerateComments) {
        return Err(ServiceError::Forbidden);
    }
    let filter = CommentFilter {
        status,
        offset: page.saturating_sub(1).saturating_mul(u64::from(PAGE_SIZE)),
        limit: PAGE_SIZE,
    };
    Ok(store.comments(&filter).await?)
}

/// Approves or unapproves a comment: the article's page shows it, or no longer does. Setting
/// the status it already has changes nothing.
pub async fn set_comment_status(
    store: &dyn Store,
    user: &User,
    id: CommentId,
    status: CommentStatus,
) -> Result<CommentUpdate, ServiceError> {
    if !user.may(Action::ModerateComments) {
        return Err(ServiceError::Forbidden);
    }
    match store.set_comment_status(id, status).await? {
        CommentUpdate::NotFound => Err(ServiceError::NotFound),
        done => {
            if done == CommentUpdate::Changed {
                tracing::info!(comment = %id, by = %user.id, status = status.as_str(), "comment moderated");
            }
            Ok(done)
        }
    }
}

/// Deletes a comment; its replies take its place in the thread.
pub async fn delete_comment(
    store: &dyn Store,
    user: &User,
    id: CommentId,
) -> Result<(), ServiceError> {
    if !user.may(Action::ModerateComments) {
        return Err(ServiceError::Forbidden);
    }
    if !store.delete_comment(id).await? {
        return Err(ServiceError::NotFound);
    }
    tracing::info!(comment = %id, by = %user.id, "comment deleted");
    Ok(())
}

/// `comments` (oldest first) in reading order: each followed by its replies, oldest first, at
/// one more depth (at most [`MAX_DEPTH`]). A reply whose parent is not among them (not
/// approved) starts a thread of its own.
pub fn threads(comments: &[Comment]) -> Vec<(usize, &Comment)> {
    use std::collections::{HashMap, HashSet};
    let present: HashSet<CommentId> = comments.iter().map(|c| c.id).collect();
    let mut children: HashMap<CommentId, Vec<&Comment>> = HashMap::new();
    let mut roots = Vec::new();
    for comment in comments {
        match comment
            .parent
            .filter(|p| present.contains(p) && *p != comment.id)
        {
            Some(parent) => children.entry(parent).or_default().push(comment),
            None => roots.push(comment),
        }
    }
    let mut out = Vec::with_capacity(comments.len());
    let mut seen = HashSet::new();
    let mut stack: Vec<(usize, &Comment)> = roots.into_iter().rev().map(|c| (0, c)).collect();
    while let Some((depth, comment)) = stack.pop() {
        if !seen.insert(comment.id) {
            continue;
        }
        out.push((depth.min(MAX_DEPTH), comment));
        if let Some(replies) = children.get(&comment.id) {
            stack.extend(replies.iter().rev().map(|c| (depth + 1, *c)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration};
    use dateline_domain::{ArticleId, CommentKind};

    use super::*;

    fn comment(id: i64, parent: Option<i64>, minutes: i64) -> Comment {
        Comment {
            id: CommentId(id),
            article: ArticleId(1),
            parent: parent.map(CommentId),
            author_name: format!("Reader {id}"),
            author_email: String::new(),
            author_url: String::new(),
            body: "Text".into(),
            status: CommentStatus::Approved,
            kind: CommentKind::Comment,
            created_at: DateTime::UNIX_EPOCH + Duration::minutes(minutes),
            user: None,
        }
    }

    #[test]
    fn replies_follow_their_parents_one_level_deeper() {
        let comments = [
            comment(1, None, 0),
            comment(2, Some(1), 1),
            comment(3, None, 2),
            comment(4, Some(2), 3),
            comment(5, Some(1), 4),
            comment(6, Some(99), 5),
        ];
        let order: Vec<(usize, i64)> = threads(&comments)
            .into_iter()
            .map(|(depth, c)| (depth, c.id.0))
            .collect();
        assert_eq!(order, [(0, 1), (1, 2), (2, 4), (1, 5), (0, 3), (0, 6)]);
    }

    #[test]
    fn deep_threads_stop_indenting() {
        let comments: Vec<Comment> = (1..=8)
            .map(|i| comment(i, (i > 1).then_some(i - 1), i))
            .collect();
        let depths: Vec<usize> = threads(&comments).into_iter().map(|(d, _)| d).collect();
        assert_eq!(depths, [0, 1, 2, 3, 4, 5, 5, 5]);
    }
}
