//! Why a service call failed: one closed type for every service a request or a background task
//! calls, so the web layer has one mapping to HTTP and nothing nests.
//!
//! Policy:
//!
//! - A refusal says what was refused, in words fit for the person who asked: [`NotFound`],
//!   [`Forbidden`], [`WrongState`], [`Stale`], [`Invalid`], [`SignIn`], [`Busy`].
//! - A failure keeps its cause as its [`source`](std::error::Error::source), never as text:
//!   the store's error ([`Store`], whose own source is the driver's), the search index's
//!   ([`Search`]), or anything else ([`Internal`], with the cause boxed). Whoever answers the
//!   request logs the whole chain ([`Chain`]) once; the visitor is told only that it failed.
//! - Whether a store failure is an outage that may pass (503) or a failure to look into (500)
//!   is the store's to say ([`StoreError::Unavailable`] against [`StoreError::Failed`]).
//!
//! [`NotFound`]: ServiceError::NotFound
//! [`Forbidden`]: ServiceError::Forbidden
//! [`WrongState`]: ServiceError::WrongState
//! [`Stale`]: ServiceError::Stale
//! [`Invalid`]: ServiceError::Invalid
//! [`SignIn`]: ServiceError::SignIn
//! [`Busy`]: ServiceError::Busy
//! [`Store`]: ServiceError::Store
//! [`Search`]: ServiceError::Search
//! [`Internal`]: ServiceError::Internal

use std::fmt;
use std::time::Duration;

use dateline_domain::{InvalidValue, SearchError, StoreError};

/// Why a service call failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// There is no such thing — or there is one the account may not even see, which answers the
    /// same, so that nobody learns from the difference which ids exist.
    #[error("not found")]
    NotFound,
    /// The account may see this but its role (or whose article it is) does not allow the step.
    #[error("not allowed")]
    Forbidden,
    /// The thing is not in a state this step applies to; the message says so in words.
    #[error("{0}")]
    WrongState(String),
    /// Someone saved the article after the editor's page was loaded: the revision the editor
    /// reviewed (`None` when the form did not say) is no longer the newest, `current`.
    #[error("revision {current} was saved after the page was loaded")]
    Stale { seen: Option<i64>, current: i64 },
    /// The input is not valid; every problem found is listed.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<InvalidValue>),
    /// A sign-in was refused: wrong credentials, or a limit reached.
    #[error(transparent)]
    SignIn(#[from] SignInRefusal),
    /// Too much of the same work is under way; the request may be made again after
    /// `retry_after`. The message says so in a sentence a person understands.
    #[error("{message}")]
    Busy {
        message: String,
        retry_after: Duration,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
    /// Something outside the input failed (a worker thread, the disk, the random source):
    /// `context` says what was being done, the source what went wrong.
    #[error("{context}")]
    Internal {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl ServiceError {
    /// An [`Internal`](ServiceError::Internal) failure while doing `context`.
    pub fn internal(
        context: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        ServiceError::Internal {
            context,
            source: source.into(),
        }
    }

    /// The store's error inside, if that is what failed (directly or under a search).
    pub fn store_error(&self) -> Option<&StoreError> {
        match self {
            ServiceError::Store(e) | ServiceError::Search(SearchError::Store(e)) => Some(e),
            _ => None,
        }
    }
}

impl From<InvalidValue> for ServiceError {
    fn from(e: InvalidValue) -> Self {
        ServiceError::Invalid(vec![e])
    }
}

/// Why a sign-in was refused. The message is what the person is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignInRefusal {
    #[error("The e-mail address or password is not right.")]
    WrongCredentials,
    /// Too many failures to this account from this address.
    #[error(
        "Too many failed sign-ins for this account. Try again in {minutes} minutes, sign in from a browser you have used before, or ask an administrator to reset the password."
    )]
    AccountLocked { minutes: i64 },
    /// Too many failures to this account from browsers it does not know, from anywhere.
    #[error(
        "Too many failed sign-ins for this account from browsers it has not been used on. Sign in from a browser you have used before, or try again in {minutes} minutes."
    )]
    UnknownDevicesLocked { minutes: i64 },
    #[error("Too many failed sign-ins from your network. Try again in {minutes} minutes.")]
    AddressLocked { minutes: i64 },
    #[error("Too many failed sign-ins from this browser. Try again in {minutes} minutes.")]
    DeviceLocked { minutes: i64 },
}

/// An error and its sources on one line, `outer: inner: innermost`, for logs. A source whose
/// text its parent already ends with (as some drivers' errors repeat their cause) is not
/// repeated.
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.to_string();
        f.write_str(&shown)?;
        let mut next = self.0.source();
        while let Some(e) = next {
            let text = e.to_string();
            if !shown.ends_with(&text) {
                write!(f, ": {text}")?;
            }
            shown = text;
            next = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_shows_every_cause_once() {
        let io = std::io::Error::other("connection reset");
        let e = ServiceError::Store(StoreError::Unavailable(Box::new(io)));
        assert_eq!(
            Chain(&e).to_string(),
            "the database cannot be reached: connection reset"
        );
        let e = ServiceError::internal(
            "cannot write the image files",
            std::io::Error::other("disk full"),
        );
        assert_eq!(
            Chain(&e).to_string(),
            "cannot write the image files: disk full"
        );
        #[derive(Debug, thiserror::Error)]
        #[error("driver: {0}")]
        struct Repeats(#[source] std::io::Error);
        let e = ServiceError::Store(StoreError::Failed(Box::new(Repeats(
            std::io::Error::other("no such table: corrections"),
        ))));
        assert_eq!(
            Chain(&e).to_string(),
            "the database failed a statement: driver: no such table: corrections"
        );
    }

    #[test]
    fn the_store_error_is_found_under_a_search() {
        let e = ServiceError::Search(SearchError::Store(StoreError::Corrupt("x".into())));
        assert!(matches!(e.store_error(), Some(StoreError::Corrupt(_))));
        assert!(ServiceError::NotFound.store_error().is_none());
    }
}
