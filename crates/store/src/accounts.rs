//! Accounts and sessions ([`AccountStore`]): accounts, sessions, sign-in attempts and the
//! devices and addresses accounts signed in from.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dateline_domain::store::{KnownSignIn, ReservationOutcome, SignInReservation};
use dateline_domain::{AccountStore, Email, NewUser, Role, Session, StoreError, User, UserId};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use crate::Backend;
use crate::rows::{self, db_error, get};
use crate::sql::SqlStore;

const USER_COLUMNS: &str = "id, email, name, role, created_at";

pub(crate) fn user(row: &AnyRow) -> Result<User, StoreError> {
    let email: String = get(row, "email")?;
    let role: String = get(row, "role")?;
    Ok(User {
        id: UserId(get(row, "id")?),
        email: Email::parse(&email).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        name: get(row, "name")?,
        role: Role::parse(&role).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        created_at: rows::time(get(row, "created_at")?)?,
    })
}

/// The PostgreSQL advisory lock that serialises sign-in attempts under `scope`: FNV-1a of the
/// scope, the same on every node.
fn scope_lock_key(scope: &str) -> i64 {
    let hash = scope.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// How many devices and addresses one account's successful sign-ins are remembered from: the
/// most recent ones; older ones are forgotten (an owner then counts as an unknown device).
const KNOWN_PER_ACCOUNT: u32 = 50;

#[async_trait]
impl AccountStore for SqlStore {
    async fn insert_user(&self, new: &NewUser) -> Result<User, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, name, role, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(new.email.as_str())
        .bind(new.name.as_str())
        .bind(new.role.as_str())
        .bind(new.password_hash.as_str())
        .bind(new.created_at.timestamp_millis())
        .fetch_one(self.pool())
        .await
        .map_err(|e| match db_error(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("the e-mail address {}", new.email))
            }
            other => other,
        })?;
        Ok(User {
            id: UserId(id),
            email: new.email.clone(),
            name: new.name.clone(),
            role: new.role,
            created_at: rows::time(new.created_at.timestamp_millis())?,
        })
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?
        .as_ref()
        .map(user)
        .transpose()
    }

    async fn user_credentials(&self, email: &Email) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1"
        )))
        .bind(email.as_str())
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?;
        row.map(|row| Ok((user(&row)?, get(&row, "password_hash")?)))
            .transpose()
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        rows::all(
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users ORDER BY name, id"
            ))),
            self.pool(),
            user,
        )
        .await
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(id.0)
            .bind(keep_session.unwrap_or(""))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    async fn insert_session(&self, s: &Session) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(s.token_hash.as_str())
        .bind(s.user.0)
        .bind(s.csrf_token.as_str())
        .bind(s.created_at.timestamp_millis())
        .bind(s.expires_at.timestamp_millis())
        .execute(self.pool())
        .await
        .map(|_| ())
        .map_err(db_error)
    }

    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Session, User)>, StoreError> {
        let row = sqlx::query(
            "SELECT s.token_hash, s.csrf_token, s.created_at AS session_created_at, s.expires_at, \
             u.id, u.email, u.name, u.role, u.created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now.timestamp_millis())
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        let account = user(&row)?;
        let session = Session {
            token_hash: get(&row, "token_hash")?,
            user: account.id,
            csrf_token: get(&row, "csrf_token")?,
            created_at: rows::time(get(&row, "session_created_at")?)?,
            expires_at: rows::time(get(&row, "expires_at")?)?,
        };
        Ok(Some((session, account)))
    }

    async fn delete_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2")
            .bind(token_hash)
            .bind(now.timestamp_millis())
            .execute(self.pool())
            .await
            .map(|_| ())
            .map_err(db_error)
    }

    /// Checks the limits and notes the attempt in one write transaction. SQLite serialises
    /// writers (`BEGIN IMMEDIATE`); PostgreSQL's READ COMMITTED would let two transactions both
    /// count the old rows, so each scope involved is locked first (transaction-scoped advisory
    /// locks, taken in one order by every node, so two attempts never wait on each other).
    async fn reserve_sign_in_attempt(
        &self,
        reservation: &SignInReservation<'_>,
    ) -> Result<ReservationOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            let mut keys: Vec<i64> = reservation
                .limits
                .iter()
                .map(|l| l.scope.as_str())
                .chain(reservation.record.iter().map(String::as_str))
                .map(scope_lock_key)
                .collect();
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(key)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
            }
        }
        for (i, limit) in reservation.limits.iter().enumerate() {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM sign_in_failures WHERE scope = $1 AND at >= $2",
            )
            .bind(limit.scope.as_str())
            .bind(reservation.since.timestamp_millis())
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
            if u64::try_from(n).unwrap_or_default() >= limit.max {
                tx.rollback().await.map_err(db_error)?;
                return Ok(ReservationOutcome::Refused(i));
            }
        }
        let at = reservation.at.timestamp_millis();
        for scope in reservation.record {
            sqlx::query("INSERT INTO sign_in_failures (scope, at, attempt) VALUES ($1, $2, $3)")
                .bind(scope.as_str())
                .bind(at)
                .bind(reservation.attempt)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        // Failures older than a day count for nothing; keep the table small.
        sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
            .bind(at - 24 * 3600 * 1000)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(ReservationOutcome::Reserved)
    }

    async fn release_sign_in_attempt(&self, attempt: &str) -> Result<(), StoreError> {
        if attempt.is_empty() {
            return Ok(());
        }
        sqlx::query("DELETE FROM sign_in_failures WHERE attempt = $1")
            .bind(attempt)
            .execute(self.pool())
            .await
            .map(|_| ())
            .map_err(db_error)
    }

    async fn remember_sign_in(
        &self,
        user: UserId,
        address: &str,
        device_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO known_devices (token_hash, user_id, last_sign_in) VALUES ($1, $2, $3) \
             ON CONFLICT (token_hash, user_id) DO UPDATE SET last_sign_in = excluded.last_sign_in",
        )
        .bind(device_hash)
        .bind(user.0)
        .bind(at.timestamp_millis())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO known_addresses (user_id, address, last_sign_in) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, address) DO UPDATE SET last_sign_in = excluded.last_sign_in",
        )
        .bind(user.0)
        .bind(address)
        .bind(at.timestamp_millis())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        // Bounded per account: only the most recent devices and addresses are remembered.
        for (table, key) in [
            ("known_devices", "token_hash"),
            ("known_addresses", "address"),
        ] {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE user_id = $1 AND {key} NOT IN \
                 (SELECT {key} FROM {table} WHERE user_id = $1 \
                  ORDER BY last_sign_in DESC LIMIT {KNOWN_PER_ACCOUNT})"
            )))
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }

    async fn known_sign_in(
        &self,
        user: UserId,
        address: &str,
        device_hash: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<KnownSignIn, StoreError> {
        let since = since.timestamp_millis();
        let device = match device_hash {
            Some(hash) => {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM known_devices \
                 WHERE token_hash = $1 AND user_id = $2 AND last_sign_in >= $3",
                )
                .bind(hash)
                .bind(user.0)
                .bind(since)
                .fetch_one(self.pool())
                .await
                .map_err(db_error)?
                    > 0
            }
            None => false,
        };
        let address: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM known_addresses \
             WHERE user_id = $1 AND address = $2 AND last_sign_in >= $3",
        )
        .bind(user.0)
        .bind(address)
        .bind(since)
        .fetch_one(self.pool())
        .await
        .map_err(db_error)?;
        Ok(KnownSignIn {
            device,
            address: address > 0,
        })
    }

    async fn sign_in_failures(&self, scope: &str, since: DateTime<Utc>) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sign_in_failures WHERE scope = $1 AND at >= $2",
        )
        .bind(scope)
        .bind(since.timestamp_millis())
        .fetch_one(self.pool())
        .await
        .map_err(db_error)?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    async fn clear_sign_in_failures(&self, scope: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sign_in_failures WHERE scope = $1")
            .bind(scope)
            .execute(self.pool())
            .await
            .map(|_| ())
            .map_err(db_error)
    }
}
