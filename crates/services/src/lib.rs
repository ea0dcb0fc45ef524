//! The newsroom's rules: how an article is created and checked, how its body is rendered, how a
//! page of the public site is assembled, and the demo publication and test corpus.
//!
//! Services speak to storage only through the domain's [`Store`](dateline_domain::Store) port and
//! know nothing of HTTP.
//!
//! Errors: one closed type, [`ServiceError`], for every service a request or a task calls (see
//! [`error`]); the command line's own operations (export, import, backups, the demo loader) have
//! theirs, which keep a service error as their source. `anyhow` only in the binary.

pub mod accounts;
pub mod articles;
pub mod backup;
pub mod body;
pub mod comments;
pub mod dates;
pub mod demo;
pub mod embed;
pub mod error;
pub mod export;
pub mod generate;
pub mod import;
pub mod media;
pub mod newsroom;
pub mod ninjs;
pub mod pages;
pub mod picture;
pub mod portable;
pub mod reading;
pub mod related;
pub mod settings;
pub mod syndication;
pub mod wire;
pub mod wire_poll;
pub mod wordpress;

/// Background tasks under one supervisor, and the one worker type (`dateline-tasks`).
pub use dateline_tasks as tasks;

pub use error::{Chain, ServiceError, SignInRefusal};
