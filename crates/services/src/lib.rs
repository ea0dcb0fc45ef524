//! The newsroom's rules: how an article is created and checked, how its body is rendered, how a
//! page of the public site is assembled, and the demo publication and test corpus.
//!
//! Services speak to storage only through the domain's [`Store`](dateline_domain::Store) port and
//! know nothing of HTTP.
//!
//! Errors: typed ([`ServiceError`]) here and below; `anyhow` only in the binary.

pub mod accounts;
pub mod articles;
pub mod backup;
pub mod body;
pub mod dates;
pub mod demo;
pub mod export;
pub mod generate;
pub mod import;
pub mod media;
pub mod newsroom;
pub mod picture;
pub mod portable;
pub mod reading;
pub mod related;
pub mod settings;
pub mod syndication;

/// Background tasks under one supervisor, and the one worker type (`dateline-tasks`).
pub use dateline_tasks as tasks;

use dateline_domain::{InvalidValue, SearchError, StoreError};

/// Why a service call failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input does not make a valid article; every problem found is listed.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<InvalidValue>),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something outside the input went wrong (a worker thread, the random source).
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Search(#[from] SearchError),
    /// Too much of the same work is under way; the request may be made again shortly. The
    /// message says so in a sentence a person understands.
    #[error("busy: {0}")]
    Busy(String),
}

impl From<InvalidValue> for ServiceError {
    fn from(e: InvalidValue) -> Self {
        ServiceError::Invalid(vec![e])
    }
}
