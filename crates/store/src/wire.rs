//! The wire desk ([`WireStore`]): providers, payloads kept verbatim, item versions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dateline_domain::store::{
    ArticleSource, PollResult, StoreError, StoredVersion, TextSender, VersionInfo, WireAlert,
    WireFilter, WireItem, WireRow, WireStore,
};
use dateline_domain::wire::{
    AlertId, AlertKind, IncomingVersion, IngestOutcome, ItemStatus, KillPolicy, PayloadId,
    PayloadRecord, PollHealth, Provider, ProviderCode, ProviderId, ProviderKind, ProviderSettings,
    VersionSignal, WireFormat, WireItemId, WireVersionId,
};
use dateline_domain::{ArticleId, UserId};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::rows::{self, db_error, get, opt_time, time};
use crate::sql::SqlStore;

const PROVIDER_COLUMNS: &str = "id, code, name, attribution, kind, url, language, \
    poll_interval_secs, kill_policy, credentials IS NOT NULL AS has_credentials, paused, \
    created_at, etag, last_modified, last_poll_at, last_success_at, last_error, last_error_at, \
    failures, next_poll_at";

const ROW_COLUMNS: &str = "i.id, i.provider_id, p.code, i.item_id, i.headline, i.status, \
    i.language, i.sort_at, i.versions, i.corrected, i.embargoed_until, i.expires, i.text_hash";

const INFO_COLUMNS: &str = "v.id, v.version_key, v.version_label, v.status, v.signal, \
    v.version_created, v.received_at, v.headline, (i.current_version_id = v.id) AS is_current";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} '{value}'"))
}

fn flag(row: &AnyRow, column: &str) -> Result<bool, StoreError> {
    // A boolean expression reads back as a boolean on PostgreSQL and an integer on SQLite.
    match row.try_get::<bool, _>(column) {
        Ok(b) => Ok(b),
        Err(_) => Ok(get::<i64>(row, column)? != 0),
    }
}

fn count(row: &AnyRow, column: &str) -> Result<u32, StoreError> {
    let n: i64 = get(row, column)?;
    u32::try_from(n).map_err(|_| corrupt(column, &n.to_string()))
}

fn provider(row: &AnyRow) -> Result<Provider, StoreError> {
    let code: String = get(row, "code")?;
    let kind: String = get(row, "kind")?;
    let policy: String = get(row, "kill_policy")?;
    Ok(Provider {
        id: ProviderId(get(row, "id")?),
        code: ProviderCode::parse(&code).map_err(|_| corrupt("provider code", &code))?,
        name: get(row, "name")?,
        attribution: get(row, "attribution")?,
        kind: ProviderKind::parse(&kind).map_err(|_| corrupt("provider kind", &kind))?,
        url: get(row, "url")?,
        language: get(row, "language")?,
        poll_interval_secs: count(row, "poll_interval_secs")?,
        kill_policy: KillPolicy::parse(&policy).map_err(|_| corrupt("kill policy", &policy))?,
        has_credentials: flag(row, "has_credentials")?,
        paused: flag(row, "paused")?,
        created_at: time(get(row, "created_at")?)?,
        health: PollHealth {
            etag: get(row, "etag")?,
            last_modified: get(row, "last_modified")?,
            last_poll_at: opt_time(row, "last_poll_at")?,
            last_success_at: opt_time(row, "last_success_at")?,
            last_error: get(row, "last_error")?,
            last_error_at: opt_time(row, "last_error_at")?,
            failures: count(row, "failures")?,
            next_poll_at: opt_time(row, "next_poll_at")?,
        },
    })
}

const ALERT_COLUMNS: &str = "w.id, w.article_id, a.headline, v.item_id, p.code, p.attribution, \
    w.version_id, \
    w.kind, w.raised_at, w.resolved_at, \
    (SELECT s.version_id FROM article_sources s JOIN wire_versions sv ON sv.id = s.version_id \
     WHERE s.article_id = w.article_id AND sv.item_id = v.item_id \
     ORDER BY s.position LIMIT 1) AS used_version_id";

const ALERT_FROM: &str = "wire_alerts w JOIN articles a ON a.id = w.article_id \
    JOIN wire_versions v ON v.id = w.version_id JOIN wire_items i ON i.id = v.item_id \
    JOIN wire_providers p ON p.id = i.provider_id";

fn alert(row: &AnyRow) -> Result<WireAlert, StoreError> {
    let code: String = get(row, "code")?;
    let kind: String = get(row, "kind")?;
    Ok(WireAlert {
        id: AlertId(get(row, "id")?),
        article: ArticleId(get(row, "article_id")?),
        article_headline: get(row, "headline")?,
        item: WireItemId(get(row, "item_id")?),
        provider_code: ProviderCode::parse(&code).map_err(|_| corrupt("provider code", &code))?,
        attribution: get(row, "attribution")?,
        version: WireVersionId(get(row, "version_id")?),
        used_version: get::<Option<i64>>(row, "used_version_id")?.map(WireVersionId),
        kind: AlertKind::parse(&kind).ok_or_else(|| corrupt("alert kind", &kind))?,
        raised_at: time(get(row, "raised_at")?)?,
        resolved_at: opt_time(row, "resolved_at")?,
    })
}

fn status(row: &AnyRow) -> Result<ItemStatus, StoreError> {
    let s: String = get(row, "status")?;
    ItemStatus::parse(&s).ok_or_else(|| corrupt("item status", &s))
}

fn wire_row(row: &AnyRow) -> Result<WireRow, StoreError> {
    let code: String = get(row, "code")?;
    Ok(WireRow {
        id: WireItemId(get(row, "id")?),
        provider: ProviderId(get(row, "provider_id")?),
        provider_code: ProviderCode::parse(&code).map_err(|_| corrupt("provider code", &code))?,
        item_id: get(row, "item_id")?,
        headline: get(row, "headline")?,
        status: status(row)?,
        language: get(row, "language")?,
        sort_at: time(get(row, "sort_at")?)?,
        versions: count(row, "versions")?,
        corrected: flag(row, "corrected")?,
        embargoed_until: opt_time(row, "embargoed_until")?,
        expires: opt_time(row, "expires")?,
        text_hash: get(row, "text_hash")?,
    })
}

fn version_info(row: &AnyRow) -> Result<VersionInfo, StoreError> {
    let signal: String = get(row, "signal")?;
    Ok(VersionInfo {
        id: WireVersionId(get(row, "id")?),
        key: get(row, "version_key")?,
        label: get(row, "version_label")?,
        status: status(row)?,
        signal: VersionSignal::parse(&signal).ok_or_else(|| corrupt("signal", &signal))?,
        version_created: opt_time(row, "version_created")?,
        received_at: time(get(row, "received_at")?)?,
        headline: get(row, "headline")?,
        current: flag(row, "is_current")?,
    })
}

fn payload_record(row: &AnyRow) -> Result<PayloadRecord, StoreError> {
    let format: Option<String> = get(row, "format")?;
    let size: i64 = get(row, "size")?;
    Ok(PayloadRecord {
        id: PayloadId(get(row, "id")?),
        provider: ProviderId(get(row, "provider_id")?),
        origin: get(row, "origin")?,
        sha256: get(row, "sha256")?,
        size: u64::try_from(size).map_err(|_| corrupt("payload size", &size.to_string()))?,
        received_at: time(get(row, "received_at")?)?,
        format: format
            .map(|f| WireFormat::parse(&f).ok_or_else(|| corrupt("payload format", &f)))
            .transpose()?,
        error: get(row, "error")?,
        stored_versions: count(row, "stored_versions")?,
    })
}

/// Binds a provider's settings as `$1`…`$9`, in the order the statements name the columns:
/// code, name, attribution, kind, url, language, poll interval, kill policy, credentials.
fn bind_settings<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    s: &'q ProviderSettings,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    query
        .bind(s.code.as_str())
        .bind(&s.name)
        .bind(&s.attribution)
        .bind(s.kind.as_str())
        .bind(s.url.as_deref())
        .bind(&s.language)
        .bind(i64::from(s.poll_interval_secs))
        .bind(s.kill_policy.as_str())
        .bind(s.credentials.as_deref())
}

/// Keywords are stored one per line (a keyword holds no line break).
pub(crate) fn join_keywords(keywords: &[String]) -> String {
    keywords
        .iter()
        .map(|k| k.replace(['\n', '\r'], " "))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn millis(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(|t| t.timestamp_millis())
}

/// Sorts where `None` does in Rust: before every number (SQL puts NULL first or last by engine).
const NONE: i64 = i64::MIN;

impl SqlStore {
    async fn item_rows(
        &self,
        condition: &str,
        bind: impl FnOnce(
            sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
        ) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> Result<Option<WireItem>, StoreError> {
        let sql = format!(
            "SELECT {ROW_COLUMNS}, i.first_seen_at FROM wire_items i \
             JOIN wire_providers p ON p.id = i.provider_id WHERE {condition}"
        );
        let Some(row) = bind(sqlx::query(AssertSqlSafe(sql)))
            .fetch_optional(self.pool())
            .await
            .map_err(db_error)?
        else {
            return Ok(None);
        };
        let item = wire_row(&row)?;
        let first_seen_at = time(get(&row, "first_seen_at")?)?;
        let versions = rows::all(
            sqlx::query(AssertSqlSafe(format!(
                "SELECT {INFO_COLUMNS} FROM wire_versions v JOIN wire_items i ON i.id = v.item_id \
                 WHERE v.item_id = $1 \
                 ORDER BY COALESCE(v.order_number, {NONE}) DESC, \
                 COALESCE(v.order_created, {NONE}) DESC, v.version_key DESC"
            )))
            .bind(item.id.0),
            self.pool(),
            version_info,
        )
        .await?;
        Ok(Some(WireItem {
            row: item,
            first_seen_at,
            versions,
        }))
    }
}

#[async_trait]
impl WireStore for SqlStore {
    async fn add_provider(
        &self,
        s: &ProviderSettings,
        at: DateTime<Utc>,
    ) -> Result<Provider, StoreError> {
        let query = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO wire_providers (code, name, attribution, kind, url, language, \
             poll_interval_secs, kill_policy, credentials, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {PROVIDER_COLUMNS}"
        )));
        let row = bind_settings(query, s)
            .bind(at.timestamp_millis())
            .fetch_one(self.pool())
            .await
            .map_err(db_error)?;
        provider(&row)
    }

    async fn update_provider(
        &self,
        id: ProviderId,
        s: &ProviderSettings,
    ) -> Result<Option<Provider>, StoreError> {
        let query = sqlx::query(AssertSqlSafe(format!(
            "UPDATE wire_providers SET code = $1, name = $2, attribution = $3, kind = $4, \
             url = $5, language = $6, poll_interval_secs = $7, kill_policy = $8, \
             credentials = COALESCE($9, credentials) WHERE id = $10 RETURNING {PROVIDER_COLUMNS}"
        )));
        let row = bind_settings(query, s)
            .bind(id.0)
            .fetch_optional(self.pool())
            .await
            .map_err(db_error)?;
        row.as_ref().map(provider).transpose()
    }

    async fn providers(&self) -> Result<Vec<Provider>, StoreError> {
        rows::all(
            sqlx::query(AssertSqlSafe(format!(
                "SELECT {PROVIDER_COLUMNS} FROM wire_providers ORDER BY code"
            ))),
            self.pool(),
            provider,
        )
        .await
    }

    async fn provider(&self, id: ProviderId) -> Result<Option<Provider>, StoreError> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {PROVIDER_COLUMNS} FROM wire_providers WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?
        .as_ref()
        .map(provider)
        .transpose()
    }

    async fn provider_by_code(&self, code: &ProviderCode) -> Result<Option<Provider>, StoreError> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {PROVIDER_COLUMNS} FROM wire_providers WHERE code = $1"
        )))
        .bind(code.as_str())
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?
        .as_ref()
        .map(provider)
        .transpose()
    }

    async fn provider_credentials(&self, id: ProviderId) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT credentials FROM wire_providers WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.pool())
            .await
            .map_err(db_error)?;
        match row {
            Some(row) => get(&row, "credentials"),
            None => Ok(None),
        }
    }

    async fn set_provider_paused(&self, id: ProviderId, paused: bool) -> Result<bool, StoreError> {
        let sql = if paused {
            "UPDATE wire_providers SET paused = 1 WHERE id = $1"
        } else {
            "UPDATE wire_providers SET paused = 0, failures = 0, next_poll_at = NULL WHERE id = $1"
        };
        let done = sqlx::query(sql)
            .bind(id.0)
            .execute(self.pool())
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn poll_soon(&self, id: ProviderId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE wire_providers SET next_poll_at = $2 WHERE id = $1 AND paused = 0 \
             AND kind <> 'files' AND url IS NOT NULL",
        )
        .bind(id.0)
        .bind(now.timestamp_millis())
        .execute(self.pool())
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn claim_poll(
        &self,
        id: ProviderId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // One statement: the database serialises the simultaneous ones, and the second finds
        // next_poll_at already in the future.
        let done = sqlx::query(
            "UPDATE wire_providers SET next_poll_at = $3 WHERE id = $1 AND paused = 0 \
             AND (next_poll_at IS NULL OR next_poll_at <= $2)",
        )
        .bind(id.0)
        .bind(now.timestamp_millis())
        .bind(until.timestamp_millis())
        .execute(self.pool())
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_poll(
        &self,
        id: ProviderId,
        result: &PollResult,
        at: DateTime<Utc>,
        next_poll_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let query = match result {
            PollResult::Success {
                etag,
                last_modified,
            } => sqlx::query(
                "UPDATE wire_providers SET last_poll_at = $2, last_success_at = $2, \
                 failures = 0, etag = $3, last_modified = $4, next_poll_at = $5 WHERE id = $1",
            )
            .bind(id.0)
            .bind(at.timestamp_millis())
            .bind(etag.as_deref())
            .bind(last_modified.as_deref())
            .bind(next_poll_at.timestamp_millis()),
            PollResult::Failure { error, pause } => sqlx::query(
                "UPDATE wire_providers SET last_poll_at = $2, last_error_at = $2, \
                 last_error = $3, failures = failures + 1, next_poll_at = $4, \
                 paused = CASE WHEN $5 = 1 THEN 1 ELSE paused END WHERE id = $1",
            )
            .bind(id.0)
            .bind(at.timestamp_millis())
            .bind(error.as_str())
            .bind(next_poll_at.timestamp_millis())
            .bind(i64::from(*pause)),
        };
        query.execute(self.pool()).await.map_err(db_error)?;
        Ok(())
    }

    async fn store_payload(
        &self,
        provider: ProviderId,
        origin: &str,
        bytes: &[u8],
        at: DateTime<Utc>,
    ) -> Result<(PayloadId, bool), StoreError> {
        let sha256 = format!("{:x}", Sha256::digest(bytes));
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let inserted = sqlx::query(
            "INSERT INTO wire_payloads (provider_id, origin, sha256, size, bytes, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (provider_id, sha256) DO NOTHING \
             RETURNING id",
        )
        .bind(provider.0)
        .bind(origin)
        .bind(&sha256)
        .bind(size)
        .bind(bytes.to_vec())
        .bind(at.timestamp_millis())
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?;
        if let Some(row) = inserted {
            return Ok((PayloadId(get(&row, "id")?), true));
        }
        let row =
            sqlx::query("SELECT id FROM wire_payloads WHERE provider_id = $1 AND sha256 = $2")
                .bind(provider.0)
                .bind(&sha256)
                .fetch_one(self.pool())
                .await
                .map_err(db_error)?;
        Ok((PayloadId(get(&row, "id")?), false))
    }

    async fn record_payload_read(
        &self,
        id: PayloadId,
        format: Option<WireFormat>,
        error: Option<&str>,
        stored_versions: u32,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE wire_payloads SET format = $2, error = $3, \
             stored_versions = stored_versions + $4 WHERE id = $1",
        )
        .bind(id.0)
        .bind(format.map(WireFormat::as_str))
        .bind(error)
        .bind(i64::from(stored_versions))
        .execute(self.pool())
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn payloads(
        &self,
        provider: ProviderId,
        limit: u32,
    ) -> Result<Vec<PayloadRecord>, StoreError> {
        rows::all(
            sqlx::query(
                "SELECT id, provider_id, origin, sha256, size, received_at, format, error, \
                 stored_versions FROM wire_payloads WHERE provider_id = $1 \
                 ORDER BY received_at DESC, id DESC LIMIT $2",
            )
            .bind(provider.0)
            .bind(i64::from(limit)),
            self.pool(),
            payload_record,
        )
        .await
    }

    async fn payload_record(&self, id: PayloadId) -> Result<Option<PayloadRecord>, StoreError> {
        sqlx::query(
            "SELECT id, provider_id, origin, sha256, size, received_at, format, error, \
             stored_versions FROM wire_payloads WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?
        .as_ref()
        .map(payload_record)
        .transpose()
    }

    async fn payload_bytes(&self, id: PayloadId) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT bytes FROM wire_payloads WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.pool())
            .await
            .map_err(db_error)?;
        row.map(|row| get::<Vec<u8>>(&row, "bytes")).transpose()
    }

    async fn ingest(
        &self,
        provider: ProviderId,
        payload: Option<PayloadId>,
        versions: &[IncomingVersion],
        default_language: &str,
        at: DateTime<Utc>,
    ) -> Result<IngestOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        let outcome = crate::wire_ingest::ingest(
            &mut tx,
            provider,
            payload,
            versions,
            default_language,
            at.timestamp_millis(),
        )
        .await?;
        if let Some(payload) = payload {
            sqlx::query(
                "UPDATE wire_payloads SET stored_versions = stored_versions + $2 WHERE id = $1",
            )
            .bind(payload.0)
            .bind(i64::from(outcome.current + outcome.history))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(outcome)
    }

    async fn versions_received_since(
        &self,
        provider: ProviderId,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM wire_versions v JOIN wire_items i ON i.id = v.item_id \
             WHERE i.provider_id = $1 AND v.received_at >= $2",
        )
        .bind(provider.0)
        .bind(since.timestamp_millis())
        .fetch_one(self.pool())
        .await
        .map_err(db_error)?;
        let n: i64 = get(&row, "n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn wire_rows(&self, f: &WireFilter) -> Result<Vec<WireRow>, StoreError> {
        // Placeholders are numbered in the order the filters are added.
        let mut conditions = Vec::new();
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if f.provider.is_some() {
            conditions.push(format!("i.provider_id = {}", next()));
        }
        if f.language.is_some() {
            conditions.push(format!("i.language = {}", next()));
        }
        if f.status.is_some() {
            conditions.push(format!("i.status = {}", next()));
        }
        if f.since.is_some() {
            conditions.push(format!("i.sort_at >= {}", next()));
        }
        if f.text.is_some() {
            conditions.push(format!("LOWER(i.headline) LIKE {} ESCAPE '\\'", next()));
        }
        if f.after.is_some() {
            let (at, id) = (next(), next());
            conditions.push(format!(
                "(i.sort_at < {at} OR (i.sort_at = {at} AND i.id < {id}))"
            ));
        }
        let limit = next();
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM wire_items i JOIN wire_providers p ON p.id = i.provider_id \
             {filter} ORDER BY i.sort_at DESC, i.id DESC LIMIT {limit}"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        if let Some(p) = f.provider {
            query = query.bind(p.0);
        }
        if let Some(l) = &f.language {
            query = query.bind(l.clone());
        }
        if let Some(s) = f.status {
            query = query.bind(s.as_str());
        }
        if let Some(t) = f.since {
            query = query.bind(t.timestamp_millis());
        }
        if let Some(text) = &f.text {
            let escaped = text
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            query = query.bind(format!("%{escaped}%"));
        }
        if let Some((at, id)) = f.after {
            query = query.bind(at.timestamp_millis()).bind(id.0);
        }
        query = query.bind(i64::from(f.limit));
        rows::all(query, self.pool(), wire_row).await
    }

    async fn text_senders(&self, hashes: &[String]) -> Result<Vec<TextSender>, StoreError> {
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=hashes.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT i.text_hash, p.code, COUNT(*) AS items FROM wire_items i \
             JOIN wire_providers p ON p.id = i.provider_id WHERE i.text_hash IN ({}) \
             GROUP BY i.text_hash, p.code ORDER BY i.text_hash, p.code",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for hash in hashes {
            query = query.bind(hash.clone());
        }
        rows::all(query, self.pool(), |row| {
            let code: String = get(row, "code")?;
            let items: i64 = get(row, "items")?;
            Ok(TextSender {
                text_hash: get(row, "text_hash")?,
                provider_code: ProviderCode::parse(&code)
                    .map_err(|_| corrupt("provider code", &code))?,
                items: u64::try_from(items).unwrap_or(0),
            })
        })
        .await
    }

    async fn wire_item(&self, id: WireItemId) -> Result<Option<WireItem>, StoreError> {
        self.item_rows("i.id = $1", |q| q.bind(id.0)).await
    }

    async fn wire_item_by_agency_id(
        &self,
        provider: ProviderId,
        item_id: &str,
    ) -> Result<Option<WireItem>, StoreError> {
        let item_id = item_id.to_owned();
        self.item_rows("i.provider_id = $1 AND i.item_id = $2", move |q| {
            q.bind(provider.0).bind(item_id)
        })
        .await
    }

    async fn wire_version(&self, id: WireVersionId) -> Result<Option<StoredVersion>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {INFO_COLUMNS}, v.item_id AS item, i.provider_id, i.item_id AS agency_id, \
             v.payload_id, v.first_created, v.embargoed_until, v.expires, v.language, \
             v.standfirst, v.body_html, v.dateline, v.byline, v.link, v.keywords, v.urgency \
             FROM wire_versions v JOIN wire_items i ON i.id = v.item_id WHERE v.id = $1"
        )))
        .bind(id.0)
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let keywords: String = get(&row, "keywords")?;
        let urgency: Option<i64> = get(&row, "urgency")?;
        Ok(Some(StoredVersion {
            info: version_info(&row)?,
            item: WireItemId(get(&row, "item")?),
            provider: ProviderId(get(&row, "provider_id")?),
            item_id: get(&row, "agency_id")?,
            payload: get::<Option<i64>>(&row, "payload_id")?.map(PayloadId),
            first_created: opt_time(&row, "first_created")?,
            embargoed_until: opt_time(&row, "embargoed_until")?,
            expires: opt_time(&row, "expires")?,
            language: get(&row, "language")?,
            standfirst: get(&row, "standfirst")?,
            body_html: get(&row, "body_html")?,
            dateline: get(&row, "dateline")?,
            byline: get(&row, "byline")?,
            link: get(&row, "link")?,
            keywords: keywords
                .lines()
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect(),
            urgency: urgency.and_then(|u| u8::try_from(u).ok()),
        }))
    }

    async fn attach_source(
        &self,
        article: ArticleId,
        version: WireVersionId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM articles WHERE id = $1) AS articles, \
             (SELECT COUNT(*) FROM wire_versions WHERE id = $2) AS versions",
        )
        .bind(article.0)
        .bind(version.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        if get::<i64>(&exists, "articles")? == 0 || get::<i64>(&exists, "versions")? == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO article_sources (article_id, version_id, position, attached_at) \
             SELECT $1, $2, COALESCE(MAX(position), 0) + 1, $3 FROM article_sources \
             WHERE article_id = $1 ON CONFLICT (article_id, version_id) DO NOTHING",
        )
        .bind(article.0)
        .bind(version.0)
        .bind(at.timestamp_millis())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    async fn article_sources(&self, article: ArticleId) -> Result<Vec<ArticleSource>, StoreError> {
        rows::all(
            sqlx::query(AssertSqlSafe(format!(
                "SELECT {INFO_COLUMNS}, i.id AS item, i.item_id AS agency_item_id, p.code, \
                 p.attribution, i.status AS item_status, i.current_version_id, \
                 i.embargoed_until AS item_embargo \
                 FROM article_sources s JOIN wire_versions v ON v.id = s.version_id \
                 JOIN wire_items i ON i.id = v.item_id \
                 JOIN wire_providers p ON p.id = i.provider_id \
                 WHERE s.article_id = $1 ORDER BY s.position"
            )))
            .bind(article.0),
            self.pool(),
            |row| {
                let code: String = get(row, "code")?;
                let item_status: String = get(row, "item_status")?;
                let version = version_info(row)?;
                let current: Option<i64> = get(row, "current_version_id")?;
                Ok(ArticleSource {
                    newer_version: current.filter(|c| *c != version.id.0).map(WireVersionId),
                    version,
                    item: WireItemId(get(row, "item")?),
                    item_id: get(row, "agency_item_id")?,
                    provider_code: ProviderCode::parse(&code)
                        .map_err(|_| corrupt("provider code", &code))?,
                    attribution: get(row, "attribution")?,
                    item_status: ItemStatus::parse(&item_status)
                        .ok_or_else(|| corrupt("item status", &item_status))?,
                    embargoed_until: opt_time(row, "item_embargo")?,
                })
            },
        )
        .await
    }

    async fn items_in_use(&self, items: &[WireItemId]) -> Result<Vec<WireItemId>, StoreError> {
        let mut used = Vec::new();
        for chunk in items.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT DISTINCT v.item_id FROM article_sources s \
                 JOIN wire_versions v ON v.id = s.version_id WHERE v.item_id IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for item in chunk {
                query = query.bind(item.0);
            }
            used.extend(
                rows::all(query, self.pool(), |row| {
                    Ok(WireItemId(get(row, "item_id")?))
                })
                .await?,
            );
        }
        Ok(used)
    }

    async fn articles_built_on(&self, item: WireItemId) -> Result<Vec<ArticleId>, StoreError> {
        rows::all(
            sqlx::query(
                "SELECT DISTINCT s.article_id FROM article_sources s \
                 JOIN wire_versions v ON v.id = s.version_id WHERE v.item_id = $1 \
                 ORDER BY s.article_id",
            )
            .bind(item.0),
            self.pool(),
            |row| Ok(ArticleId(get(row, "article_id")?)),
        )
        .await
    }

    async fn raise_alert(
        &self,
        article: ArticleId,
        version: WireVersionId,
        kind: AlertKind,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO wire_alerts (article_id, version_id, kind, raised_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (article_id, version_id, kind) DO NOTHING",
        )
        .bind(article.0)
        .bind(version.0)
        .bind(kind.as_str())
        .bind(at.timestamp_millis())
        .execute(self.pool())
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn alert(&self, id: AlertId) -> Result<Option<WireAlert>, StoreError> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {ALERT_COLUMNS} FROM {ALERT_FROM} WHERE w.id = $1"
        )))
        .bind(id.0)
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?
        .as_ref()
        .map(alert)
        .transpose()
    }

    async fn open_alerts(&self, limit: u32) -> Result<Vec<WireAlert>, StoreError> {
        rows::all(
            sqlx::query(AssertSqlSafe(format!(
                "SELECT {ALERT_COLUMNS} FROM {ALERT_FROM} WHERE w.resolved_at IS NULL \
                 ORDER BY w.raised_at DESC, w.id DESC LIMIT $1"
            )))
            .bind(i64::from(limit)),
            self.pool(),
            alert,
        )
        .await
    }

    async fn article_alerts(&self, article: ArticleId) -> Result<Vec<WireAlert>, StoreError> {
        rows::all(
            sqlx::query(AssertSqlSafe(format!(
                "SELECT {ALERT_COLUMNS} FROM {ALERT_FROM} WHERE w.article_id = $1 \
                 ORDER BY w.raised_at DESC, w.id DESC"
            )))
            .bind(article.0),
            self.pool(),
            alert,
        )
        .await
    }

    async fn open_alerts_of(&self, articles: &[ArticleId]) -> Result<Vec<WireAlert>, StoreError> {
        let mut alerts = Vec::new();
        for chunk in articles.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let mut query = sqlx::query(AssertSqlSafe(format!(
                "SELECT {ALERT_COLUMNS} FROM {ALERT_FROM} WHERE w.resolved_at IS NULL \
                 AND w.article_id IN ({}) ORDER BY w.raised_at DESC, w.id DESC",
                placeholders.join(", ")
            )));
            for article in chunk {
                query = query.bind(article.0);
            }
            alerts.extend(rows::all(query, self.pool(), alert).await?);
        }
        Ok(alerts)
    }

    async fn resolve_alert(
        &self,
        id: AlertId,
        by: UserId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE wire_alerts SET resolved_at = $2, resolved_by = $3 \
             WHERE id = $1 AND resolved_at IS NULL",
        )
        .bind(id.0)
        .bind(at.timestamp_millis())
        .bind(by.0)
        .execute(self.pool())
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }
}
