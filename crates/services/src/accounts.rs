//! Accounts and sign-in: argon2id password hashes, sessions with a CSRF token each, and sign-in
//! attempts limited per account and per address.
//!
//! A session token is 32 random bytes, given to the browser once and stored only as its SHA-256,
//! so a copy of the database signs nobody in. A new token is made at every sign-in.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Duration, Utc};
use dateline_domain::{
    Email, InvalidValue, NewUser, Role, Session, Store, StoreError, User, UserId,
};
use sha2::{Digest, Sha256};

use crate::ServiceError;

/// How long a session lasts after sign-in.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);
/// The window in which failed sign-ins are counted.
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);
/// Failed sign-ins to one account within the window before it is locked for the rest of it.
pub const MAX_FAILURES_PER_ACCOUNT: u64 = 5;
/// Failed sign-ins from one address within the window before it is refused for the rest of it.
pub const MAX_FAILURES_PER_ADDRESS: u64 = 20;
/// Shortest and longest password we accept, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A password a person chose, checked for length.
pub struct Password(String);

impl Password {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let n = s.chars().count();
        if n < MIN_PASSWORD_CHARS {
            return Err(InvalidValue::new(
                "password",
                format!("must be at least {MIN_PASSWORD_CHARS} characters long"),
            ));
        }
        if n > MAX_PASSWORD_CHARS {
            return Err(InvalidValue::new(
                "password",
                format!("must be at most {MAX_PASSWORD_CHARS} characters long"),
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

fn argon2() -> Argon2<'static> {
    // OWASP's recommended argon2id settings: 19 MiB, 2 passes, 1 lane.
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes `password` with argon2id and a fresh salt, off the async threads.
pub async fn hash_password(password: &Password) -> Result<String, ServiceError> {
    let password = password.0.clone();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .map_err(|e| ServiceError::Internal(format!("salt: {e}")))?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(format!("hash: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("hashing task: {e}")))?
}

/// Whether `password` matches the stored `hash`.
async fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// Checks the name and creates an account.
pub async fn add_user(
    store: &dyn Store,
    email: &str,
    name: &str,
    role: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<User, ServiceError> {
    let mut problems = Vec::new();
    let email = Email::parse(email).map_err(|e| problems.push(e)).ok();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        problems.push(InvalidValue::new(
            "name",
            "must be one line of 1 to 100 characters",
        ));
    }
    let role = Role::parse(role).map_err(|e| problems.push(e)).ok();
    let password = Password::parse(password).map_err(|e| problems.push(e)).ok();
    let (Some(email), Some(role), Some(password), true) =
        (email, role, password, problems.is_empty())
    else {
        return Err(ServiceError::Invalid(problems));
    };
    if store.user_credentials(&email).await?.is_some() {
        return Err(InvalidValue::new("email", format!("{email} already has an account")).into());
    }
    let new = NewUser {
        email,
        name: name.to_owned(),
        role,
        password_hash: hash_password(&password).await?,
        created_at: now,
    };
    match store.insert_user(&new).await {
        Err(StoreError::Conflict(_)) => {
            Err(InvalidValue::new("email", format!("{} already has an account", new.email)).into())
        }
        other => Ok(other?),
    }
}

/// Sets a new password for the account with `email` and signs it out everywhere.
pub async fn reset_password(
    store: &dyn Store,
    email: &str,
    password: &str,
) -> Result<User, ServiceError> {
    let email = Email::parse(email)?;
    let password = Password::parse(password)?;
    let (user, _) = store
        .user_credentials(&email)
        .await?
        .ok_or_else(|| InvalidValue::new("email", format!("no account has the address {email}")))?;
    let hash = hash_password(&password).await?;
    store.set_password_hash(user.id, &hash, None).await?;
    Ok(user)
}

/// Changes one's own password, which must be given; other sessions of the account end.
pub async fn change_password(
    store: &dyn Store,
    user: &User,
    current_session: &Session,
    current: &str,
    new: &str,
    repeated: &str,
) -> Result<(), ServiceError> {
    let (_, hash) = store
        .user_credentials(&user.email)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("account {} vanished", user.id)))?;
    if !verify_password(current, &hash).await {
        return Err(InvalidValue::new("current password", "is not right").into());
    }
    if new != repeated {
        return Err(InvalidValue::new("new password", "the two entries differ").into());
    }
    let password = Password::parse(new)?;
    let hash = hash_password(&password).await?;
    store
        .set_password_hash(user.id, &hash, Some(&current_session.token_hash))
        .await?;
    Ok(())
}

/// A fresh session: the token for the cookie, and what the store keeps.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub session: Session,
    pub user: User,
}

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("The e-mail address or password is not right.")]
    WrongCredentials,
    #[error(
        "Too many failed sign-ins for this account. Try again in {minutes} minutes, or ask an administrator to reset the password."
    )]
    AccountLocked { minutes: i64 },
    #[error("Too many failed sign-ins from your network. Try again in {minutes} minutes.")]
    AddressLocked { minutes: i64 },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for SignInError {
    fn from(e: StoreError) -> Self {
        SignInError::Service(e.into())
    }
}

fn account_scope(email: &str) -> String {
    format!(
        "account:{}",
        dateline_domain::query_text(email).to_lowercase()
    )
}

fn address_scope(address: &str) -> String {
    format!("address:{address}")
}

/// Signs in with e-mail and password from `address`, unless that account or address has failed
/// too often lately. A success starts a new session; any session the browser had is ended by the
/// caller.
pub async fn sign_in(
    store: &dyn Store,
    email: &str,
    password: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<SignedIn, SignInError> {
    let since = now - FAILURE_WINDOW;
    let minutes = FAILURE_WINDOW.num_minutes();
    let (account, address) = (account_scope(email), address_scope(address));
    if store.sign_in_failures(&address, since).await? >= MAX_FAILURES_PER_ADDRESS {
        return Err(SignInError::AddressLocked { minutes });
    }
    if store.sign_in_failures(&account, since).await? >= MAX_FAILURES_PER_ACCOUNT {
        return Err(SignInError::AccountLocked { minutes });
    }
    let found = match Email::parse(email) {
        Ok(email) => store.user_credentials(&email).await?,
        Err(_) => None,
    };
    let user = match found {
        Some((user, hash)) if verify_password(password, &hash).await => user,
        found => {
            if found.is_none() {
                // Spend the same time as a real check, so timing does not tell who has an account.
                let _ = verify_password(password, DUMMY_HASH).await;
            }
            store
                .record_sign_in_failure(&[account, address], now)
                .await?;
            return Err(SignInError::WrongCredentials);
        }
    };
    store.clear_sign_in_failures(&account).await?;
    let token = random_token();
    let session = Session {
        token_hash: token_hash(&token),
        user: user.id,
        csrf_token: random_token(),
        created_at: now,
        expires_at: now + SESSION_LIFETIME,
    };
    store.insert_session(&session).await?;
    Ok(SignedIn {
        token,
        session,
        user,
    })
}

/// An argon2id hash of a password nobody knows, verified against when the account is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zk1bFqA0WZ6yS5bJ0y8mQ1Uu4p6m5c8kGm2xJ0b0m9E";

/// The session a cookie's token stands for, if it is current.
pub async fn session(
    store: &dyn Store,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Session, User)>, StoreError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    store.session(&token_hash(token), now).await
}

/// Ends the session a cookie's token stands for.
pub async fn sign_out(
    store: &dyn Store,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store.delete_session(&token_hash(token), now).await
}

/// The account with this id, for pages about it.
pub async fn user(store: &dyn Store, id: UserId) -> Result<Option<User>, StoreError> {
    store.user_by_id(id).await
}

/// 32 random bytes as 64 hex digits.
pub fn random_token() -> String {
    rand::random::<[u8; 32]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hash = hash_password(&Password::parse("correct horse battery").unwrap())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash).await);
        assert!(!verify_password("wrong horse battery", &hash).await);
        assert!(
            PasswordHash::new(DUMMY_HASH).is_ok(),
            "the dummy hash must parse"
        );
        assert!(!verify_password("anything", DUMMY_HASH).await);
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough now").is_ok());
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
