//! Which articles a front lists, and keyset pagination through them.

use chrono::{DateTime, Utc};

use crate::article::{ArticleId, AuthorId, SectionId, TagId};

/// A list of published articles, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Everything: the home page.
    Latest,
    Section(SectionId),
    Tag(TagId),
    Author(AuthorId),
}

/// A position in a listing: the publication time and id of an article on a page's edge.
/// Encoded in URLs as `<unix-milliseconds>.<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub published_at: DateTime<Utc>,
    pub id: ArticleId,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.published_at.timestamp_millis(), self.id.0)
    }

    /// `None` for anything that is not a cursor we made: a bad cursor is treated as "first page".
    pub fn parse(s: &str) -> Option<Self> {
        let (millis, id) = s.split_once('.')?;
        let published_at = DateTime::from_timestamp_millis(millis.parse().ok()?)?;
        let id = id.parse().ok().filter(|id| *id > 0)?;
        Some(Self {
            published_at,
            id: ArticleId(id),
        })
    }
}

/// Which side of the cursor a page lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Articles published before the cursor (the "older" link).
    Older,
    /// Articles published after the cursor (the "newer" link).
    Newer,
}

/// One page of a listing. Results always come back newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub cursor: Option<(Direction, Cursor)>,
    pub limit: u32,
}

impl PageRequest {
    pub fn first(limit: u32) -> Self {
        Self {
            cursor: None,
            limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_junk() {
        let c = Cursor {
            published_at: DateTime::from_timestamp_millis(1_629_900_000_123).unwrap(),
            id: ArticleId(42),
        };
        assert_eq!(Cursor::parse(&c.encode()), Some(c));
        for junk in [
            "",
            "1",
            "x.1",
            "1.x",
            "1.-3",
            "1.0",
            "99999999999999999999.1",
        ] {
            assert_eq!(Cursor::parse(junk), None, "{junk}");
        }
    }
}
