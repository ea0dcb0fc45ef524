//! Background work in one place: every long-running task of a node (keeping the search index
//! current, computing related lists, hearing other nodes' changes, scheduled publishing, and the
//! wire desk's pollers to come) runs under one [`Supervisor`], started by `serve` and stopped by
//! it on shutdown.
//!
//! Work that is heard about, queued and done later is one [`Worker`]: a [`Job`] says what is
//! queued and what is done with a batch of it; the worker owns the bounded, deduplicating
//! [`Queue`], wakes for new work, hands it out in batches, retries or drops what fails, stops
//! between two batches when told, and reports its queue's length for `/metrics`.
//!
//! This crate stands apart from `dateline-services` because `dateline-search` runs a worker too
//! and does not depend on the services.

mod supervisor;
mod worker;

pub use supervisor::{Stop, Supervisor};
pub use worker::{Job, Queue, Retry, Settings, Worker};
