//! The newsroom's tables: accounts, sessions and failed sign-ins. Called from the [`Store`]
//! implementation in `sql.rs`.
//!
//! [`Store`]: dateline_domain::Store

use chrono::{DateTime, Utc};
use dateline_domain::{Email, NewUser, Role, Session, StoreError, User, UserId};
use sqlx::any::AnyRow;

use crate::rows::{self, db_error, get};
use crate::sql::SqlStore;

const USER_COLUMNS: &str = "id, email, name, role, created_at";

fn user(row: &AnyRow) -> Result<User, StoreError> {
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

impl SqlStore {
    pub(crate) async fn insert_user_row(&self, new: &NewUser) -> Result<User, StoreError> {
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

    pub(crate) async fn user_row_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
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

    pub(crate) async fn user_credentials_row(
        &self,
        email: &Email,
    ) -> Result<Option<(User, String)>, StoreError> {
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

    pub(crate) async fn user_rows(&self) -> Result<Vec<User>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY name, id"
        )))
        .fetch_all(self.pool())
        .await
        .map_err(db_error)?
        .iter()
        .map(user)
        .collect()
    }

    pub(crate) async fn set_password_hash_row(
        &self,
        id: UserId,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await.map_err(db_error)?;
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

    pub(crate) async fn insert_session_row(&self, s: &Session) -> Result<(), StoreError> {
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

    pub(crate) async fn session_row(
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

    pub(crate) async fn delete_session_row(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2")
            .bind(token_hash)
            .bind(now.timestamp_millis())
            .execute(self.pool())
            .await
            .map(|_| ())
            .map_err(db_error)
    }

    pub(crate) async fn record_sign_in_failure_rows(
        &self,
        scopes: &[String],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await.map_err(db_error)?;
        for scope in scopes {
            sqlx::query("INSERT INTO sign_in_failures (scope, at) VALUES ($1, $2)")
                .bind(scope.as_str())
                .bind(at.timestamp_millis())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        // Failures older than a day count for nothing; keep the table small.
        sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
            .bind(at.timestamp_millis() - 24 * 3600 * 1000)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    pub(crate) async fn sign_in_failure_count(
        &self,
        scope: &str,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
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

    pub(crate) async fn clear_sign_in_failure_rows(&self, scope: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sign_in_failures WHERE scope = $1")
            .bind(scope)
            .execute(self.pool())
            .await
            .map(|_| ())
            .map_err(db_error)
    }
}
