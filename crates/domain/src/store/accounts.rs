//! Accounts and sessions: the newsroom's people, their signed-in sessions, and what limits and
//! recognises their sign-in attempts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::account::{Email, NewUser, Session, User, UserId};
use crate::store::StoreError;

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Writes a new account. A taken e-mail address is [`StoreError::Conflict`].
    async fn insert_user(&self, user: &NewUser) -> Result<User, StoreError>;
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// The account signing in with `email`, and its password hash.
    async fn user_credentials(&self, email: &Email) -> Result<Option<(User, String)>, StoreError>;
    /// Every account, by name.
    async fn users(&self) -> Result<Vec<User>, StoreError>;
    /// Replaces an account's password hash and ends every session of the account except
    /// `keep_session` (a token hash). Returns false when there is no such account.
    async fn set_password_hash(
        &self,
        id: UserId,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<bool, StoreError>;

    async fn insert_session(&self, session: &Session) -> Result<(), StoreError>;
    /// The unexpired session with this token hash, and its account.
    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Session, User)>, StoreError>;
    /// Ends a session; ending one that does not exist is not an error. Expired sessions of every
    /// account are removed on the way.
    async fn delete_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// In one atomic step: unless one of `reservation.limits` is reached, notes the attempt
    /// under each of `reservation.record` (it counts as a failure until released). Simultaneous
    /// reservations are serialised, so no more attempts than a limit allows get through.
    async fn reserve_sign_in_attempt(
        &self,
        reservation: &SignInReservation<'_>,
    ) -> Result<ReservationOutcome, StoreError>;
    /// Takes back the rows of one attempt (it succeeded, or its password was never checked).
    async fn release_sign_in_attempt(&self, attempt: &str) -> Result<(), StoreError>;
    /// How many failures were noted under `scope` since `since`.
    async fn sign_in_failures(&self, scope: &str, since: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Forgets the failures under `scope` (after a successful sign-in).
    async fn clear_sign_in_failures(&self, scope: &str) -> Result<(), StoreError>;
    /// Notes a successful sign-in of `user` from `address` (a limit key) on the device whose
    /// cookie token hashes to `device_hash`, at `at`. Only an account's most recent devices and
    /// addresses are kept (50 of each), so the tables stay bounded.
    async fn remember_sign_in(
        &self,
        user: UserId,
        address: &str,
        device_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Whether `user` signed in since `since` on the device `device_hash` (when given), and
    /// from `address`.
    async fn known_sign_in(
        &self,
        user: UserId,
        address: &str,
        device_hash: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<KnownSignIn, StoreError>;
}

/// A limit on failed sign-ins: refused once `max` failures under `scope` were noted since the
/// reservation's `since`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInLimit {
    pub scope: String,
    pub max: u64,
}

/// One sign-in attempt, to be noted before its password is checked.
#[derive(Debug, Clone)]
pub struct SignInReservation<'a> {
    /// A random name for this attempt's rows, to release them by.
    pub attempt: &'a str,
    /// Checked, all of them, before anything is noted.
    pub limits: &'a [SignInLimit],
    /// The scopes the attempt is noted under.
    pub record: &'a [String],
    /// The start of the window the limits count in.
    pub since: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

/// What [`AccountStore::reserve_sign_in_attempt`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservationOutcome {
    /// The attempt is noted; check the password.
    Reserved,
    /// The limit at this index in `limits` is reached; nothing was noted.
    Refused(usize),
}

/// What the store remembers of an account's earlier sign-ins from where an attempt comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KnownSignIn {
    /// The attempt's device signed in to the account before.
    pub device: bool,
    /// The account signed in from the attempt's address before.
    pub address: bool,
}
