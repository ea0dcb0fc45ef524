//! Comments on articles, as a publication moving from WordPress brings them: threaded (a reply
//! names its parent), plain text stored as written, and either approved (shown, when the site
//! shows comments) or pending (never shown). Spam and trashed comments are never stored.
//!
//! Readers cannot write comments here yet: they come in through imports, and the newsroom
//! approves, unapproves and deletes them.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::account::{Email, UserId};
use crate::article::{ArticleId, ArticleSummary};
use crate::text::InvalidValue;

/// Database identity of a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
#[serde(transparent)]
pub struct CommentId(pub i64);

impl fmt::Display for CommentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Longest comment text, in bytes.
pub const MAX_COMMENT_BYTES: usize = 64 * 1024;
/// Longest author name, e-mail address or URL of a comment, in characters.
pub const MAX_COMMENT_FIELD_CHARS: usize = 500;

/// Whether readers see a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommentStatus {
    /// Shown under its article (when the site shows comments).
    Approved,
    /// Waiting for the newsroom; never shown.
    Pending,
}

impl CommentStatus {
    pub const ALL: [CommentStatus; 2] = [CommentStatus::Approved, CommentStatus::Pending];

    pub fn as_str(self) -> &'static str {
        match self {
            CommentStatus::Approved => "approved",
            CommentStatus::Pending => "pending",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        CommentStatus::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| {
                InvalidValue::new(
                    "status",
                    format!("'{s}' is not a comment status: approved or pending"),
                )
            })
    }
}

/// What wrote a comment: a person, or another site linking to the article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommentKind {
    Comment,
    /// A notice that another page links here (WordPress's pingbacks and trackbacks).
    Pingback,
}

impl CommentKind {
    pub const ALL: [CommentKind; 2] = [CommentKind::Comment, CommentKind::Pingback];

    pub fn as_str(self) -> &'static str {
        match self {
            CommentKind::Comment => "comment",
            CommentKind::Pingback => "pingback",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        CommentKind::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| {
                InvalidValue::new(
                    "kind",
                    format!("'{s}' is not a kind of comment: comment or pingback"),
                )
            })
    }
}

/// A stored comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: CommentId,
    pub article: ArticleId,
    /// The comment this one answers.
    pub parent: Option<CommentId>,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    /// Plain text as written; paragraphs are separated by blank lines.
    pub body: String,
    pub status: CommentStatus,
    pub kind: CommentKind,
    pub created_at: DateTime<Utc>,
    /// The newsroom account that wrote it, when the commenter was a registered user.
    pub user: Option<UserId>,
}

impl Comment {
    /// The body's paragraphs (split at blank lines), each as its lines: how a page shows it.
    pub fn paragraphs(&self) -> Vec<Vec<&str>> {
        let mut paragraphs: Vec<Vec<&str>> = Vec::new();
        let mut current: Vec<&str> = Vec::new();
        for line in self.body.lines() {
            let line = line.trim_end();
            if line.trim().is_empty() {
                if !current.is_empty() {
                    paragraphs.push(std::mem::take(&mut current));
                }
            } else {
                current.push(line);
            }
        }
        if !current.is_empty() {
            paragraphs.push(current);
        }
        paragraphs
    }
}

/// A comment as the newsroom's list shows it: with its article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentRow {
    pub comment: Comment,
    pub article: ArticleSummary,
}

/// The newsroom's list of comments: which, and which page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommentFilter {
    /// Only comments of this status; every comment when `None`.
    pub status: Option<CommentStatus>,
    /// Rows to skip (newest first).
    pub offset: u64,
    pub limit: u32,
}

/// What a change of a comment's status did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentUpdate {
    /// There is no such comment.
    NotFound,
    /// It already had that status: nothing was written.
    Unchanged,
    /// Its status changed, and its article's page was told.
    Changed,
}

/// A comment as it moves between databases: it belongs to the article with `article`'s slug and
/// creation time, and is known by its own creation time and author's name; so is its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortableComment {
    pub article: crate::text::Slug,
    pub article_created_at: DateTime<Utc>,
    /// The parent's creation time and author's name.
    pub parent: Option<(DateTime<Utc>, String)>,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub body: String,
    pub status: CommentStatus,
    pub kind: CommentKind,
    pub created_at: DateTime<Utc>,
    /// The account, by its e-mail address.
    pub user: Option<Email>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_kinds_read_back_what_they_write() {
        for s in CommentStatus::ALL {
            assert_eq!(CommentStatus::parse(s.as_str()).unwrap(), s);
        }
        for k in CommentKind::ALL {
            assert_eq!(CommentKind::parse(k.as_str()).unwrap(), k);
        }
        assert!(CommentStatus::parse("spam").is_err());
        assert!(CommentStatus::parse("trash").is_err());
        assert!(CommentKind::parse("trackback").is_err());
    }

    #[test]
    fn paragraphs_are_split_at_blank_lines() {
        let comment = Comment {
            id: CommentId(1),
            article: ArticleId(1),
            parent: None,
            author_name: "A".into(),
            author_email: String::new(),
            author_url: String::new(),
            body: "One\nline two\n\n\n  \nThree <b>\r\n".into(),
            status: CommentStatus::Approved,
            kind: CommentKind::Comment,
            created_at: DateTime::UNIX_EPOCH,
            user: None,
        };
        assert_eq!(
            comment.paragraphs(),
            vec![vec!["One", "line two"], vec!["Three <b>"]]
        );
    }
}
