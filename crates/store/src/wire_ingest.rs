//! Storing a payload's item versions in a few statements per hundred versions.
//!
//! A statement costs a round trip to the database (on SQLite, a hop to the driver's thread and
//! back), so a payload's versions are written in batches: the batch's new items in multi-row
//! `INSERT`s, its items read back in one `SELECT`, its versions in multi-row `INSERT`s that
//! return what was new, and the items' new state in `UPDATE … FROM (VALUES …)`. Which version is
//! an item's current one is decided here, in memory, in arrival order, exactly as one version at a
//! time would decide it. Batches stay small because SQLite's driver finds each `$n` by name, so
//! binding costs grow with the square of a statement's parameters.

use std::collections::HashMap;

use dateline_domain::store::StoreError;
use dateline_domain::wire::{
    IncomingVersion, IngestOutcome, PayloadId, ProviderId, VersionSignal, WireItemId,
};
use sqlx::{Any, AssertSqlSafe, Transaction};

use crate::rows::{db_error, get};

/// Versions per batch: items, versions and updates are written in statements of a batch or less.
const BATCH: usize = 128;
/// Rows per multi-row statement, by the statement's width.
const ITEMS_PER_INSERT: usize = 32;
const VERSIONS_PER_INSERT: usize = 4;
const ITEMS_PER_UPDATE: usize = 16;

/// The order key of a version as stored: the domain's order, then the version key so that two
/// versions the agency does not tell apart are still ordered the same way whatever their arrival.
type StoredOrder = (Option<i64>, Option<i64>, String);

/// A version ready to store.
struct Ready<'a> {
    v: &'a IncomingVersion,
    key: String,
    order: StoredOrder,
    language: &'a str,
    sort_at: i64,
    text_hash: String,
}

/// An item as the batch leaves it.
struct ItemState {
    id: i64,
    current: Option<i64>,
    order: StoredOrder,
    /// Versions of this batch stored under it.
    added: i64,
    corrected: bool,
    /// The batch's version that became current, if one did.
    new_current: Option<(i64, usize)>,
}

/// `($1, $2, ...), ...`: `rows` groups of `width` placeholders numbered from `first`, each
/// wrapped by `wrap` (a cast, where the database cannot tell a parameter's type).
fn values(rows: usize, first: usize, wrap: &[&str]) -> String {
    let mut out = String::new();
    let width = wrap.len();
    for row in 0..rows {
        out.push_str(if row == 0 { "(" } else { ", (" });
        for (col, cast) in wrap.iter().enumerate() {
            if col > 0 {
                out.push_str(", ");
            }
            let n = first + row * width + col;
            if cast.is_empty() {
                out.push_str(&format!("${n}"));
            } else {
                out.push_str(&format!("CAST(${n} AS {cast})"));
            }
        }
        out.push(')');
    }
    out
}

pub(crate) async fn ingest(
    tx: &mut Transaction<'_, Any>,
    provider: ProviderId,
    payload: Option<PayloadId>,
    versions: &[IncomingVersion],
    default_language: &str,
    now: i64,
) -> Result<IngestOutcome, StoreError> {
    let mut outcome = IngestOutcome::default();
    let ready: Vec<Ready<'_>> = versions
        .iter()
        .map(|v| {
            let order = v.order();
            let key = v.version_key();
            Ready {
                order: (order.number, order.created_ms, key.clone()),
                key,
                language: v.language.as_deref().unwrap_or(default_language),
                sort_at: v.version_created.map_or(now, |t| t.timestamp_millis()),
                text_hash: v.text_fingerprint(),
                v,
            }
        })
        .collect();
    for batch in ready.chunks(BATCH) {
        ingest_batch(tx, provider, payload, batch, now, &mut outcome).await?;
    }
    Ok(outcome)
}

async fn ingest_batch(
    tx: &mut Transaction<'_, Any>,
    provider: ProviderId,
    payload: Option<PayloadId>,
    batch: &[Ready<'_>],
    now: i64,
    outcome: &mut IngestOutcome,
) -> Result<(), StoreError> {
    // The batch's items, each made (where new) with the fields of its first version here; the
    // fields are replaced below when another version turns out to be current.
    let mut firsts: Vec<&Ready<'_>> = Vec::new();
    for r in batch {
        if !firsts.iter().any(|f| f.v.item_id == r.v.item_id) {
            firsts.push(r);
        }
    }
    for chunk in firsts.chunks(ITEMS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO wire_items (provider_id, item_id, first_seen_at, sort_at, status, \
             language, headline, text_hash) VALUES {} ON CONFLICT (provider_id, item_id) DO NOTHING",
            values(chunk.len(), 1, &[""; 8])
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for r in chunk {
            query = query
                .bind(provider.0)
                .bind(&r.v.item_id)
                .bind(now)
                .bind(r.sort_at)
                .bind(r.v.status.as_str())
                .bind(r.language)
                .bind(&r.v.headline)
                .bind(&r.text_hash);
        }
        query.execute(&mut **tx).await.map_err(db_error)?;
    }
    let mut items: HashMap<&str, ItemState> = HashMap::with_capacity(firsts.len());
    for chunk in firsts.chunks(ITEMS_PER_INSERT) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT id, item_id, current_version_id, order_number, order_created, order_key \
             FROM wire_items WHERE provider_id = $1 AND item_id IN ({})",
            list.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(provider.0);
        for r in chunk {
            query = query.bind(&r.v.item_id);
        }
        for row in query.fetch_all(&mut **tx).await.map_err(db_error)? {
            let item_id: String = get(&row, "item_id")?;
            let Some(first) = chunk.iter().find(|r| r.v.item_id == item_id) else {
                continue;
            };
            items.insert(
                first.v.item_id.as_str(),
                ItemState {
                    id: get(&row, "id")?,
                    current: get(&row, "current_version_id")?,
                    order: (
                        get(&row, "order_number")?,
                        get(&row, "order_created")?,
                        get(&row, "order_key")?,
                    ),
                    added: 0,
                    corrected: false,
                    new_current: None,
                },
            );
        }
    }
    // The versions: each (item, key) once; what was stored before is unchanged.
    let mut fresh: Vec<(usize, i64)> = Vec::with_capacity(batch.len());
    let mut seen: Vec<(&str, &str)> = Vec::with_capacity(batch.len());
    for (index, r) in batch.iter().enumerate() {
        let pair = (r.v.item_id.as_str(), r.key.as_str());
        if seen.contains(&pair) {
            outcome.unchanged += 1;
            continue;
        }
        seen.push(pair);
        let item = items
            .get(r.v.item_id.as_str())
            .ok_or_else(|| StoreError::Corrupt(format!("item '{}' was not stored", r.v.item_id)))?;
        fresh.push((index, item.id));
    }
    let mut inserted: HashMap<(i64, String), i64> = HashMap::with_capacity(fresh.len());
    for chunk in fresh.chunks(VERSIONS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO wire_versions (item_id, version_key, version_label, order_number, \
             order_created, payload_id, received_at, status, signal, version_created, \
             first_created, embargoed_until, expires, language, headline, standfirst, \
             body_html, dateline, byline, link, keywords, urgency) VALUES {} \
             ON CONFLICT (item_id, version_key) DO NOTHING RETURNING id, item_id, version_key",
            values(chunk.len(), 1, &[""; 22])
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for &(index, item_id) in chunk {
            let r = &batch[index];
            let v = r.v;
            query = query
                .bind(item_id)
                .bind(&r.key)
                .bind(v.version.as_deref())
                .bind(r.order.0)
                .bind(r.order.1)
                .bind(payload.map(|p| p.0))
                .bind(now)
                .bind(v.status.as_str())
                .bind(v.signal.as_str())
                .bind(super::wire::millis(v.version_created))
                .bind(super::wire::millis(v.first_created))
                .bind(super::wire::millis(v.embargoed_until))
                .bind(super::wire::millis(v.expires))
                .bind(r.language)
                .bind(&v.headline)
                .bind(&v.standfirst)
                .bind(&v.body_html)
                .bind(v.dateline.as_deref())
                .bind(v.byline.as_deref())
                .bind(v.link.as_deref())
                .bind(super::wire::join_keywords(&v.keywords))
                .bind(v.urgency.map(i64::from));
        }
        for row in query.fetch_all(&mut **tx).await.map_err(db_error)? {
            inserted.insert(
                (get(&row, "item_id")?, get(&row, "version_key")?),
                get(&row, "id")?,
            );
        }
    }
    // In arrival order, as one version at a time would: a version newer than its item's current
    // one becomes current; an older one is history.
    for &(index, item_id) in &fresh {
        let r = &batch[index];
        let Some(&version_id) = inserted.get(&(item_id, r.key.clone())) else {
            outcome.unchanged += 1;
            continue;
        };
        let item = items
            .get_mut(r.v.item_id.as_str())
            .expect("every fresh version's item was read");
        item.added += 1;
        item.corrected |= r.v.signal == VersionSignal::Correction;
        if item.current.is_none() || r.order > item.order {
            item.current = Some(version_id);
            item.order = r.order.clone();
            item.new_current = Some((version_id, index));
            outcome.current += 1;
            let id = WireItemId(item.id);
            if !outcome.changed_items.contains(&id) {
                outcome.changed_items.push(id);
            }
        } else {
            outcome.history += 1;
        }
    }
    write_items(tx, batch, &items).await
}

/// Writes each touched item's new state: its current version's fields where one changed, and
/// its version count and corrected flag.
async fn write_items(
    tx: &mut Transaction<'_, Any>,
    batch: &[Ready<'_>],
    items: &HashMap<&str, ItemState>,
) -> Result<(), StoreError> {
    let mut touched: Vec<&ItemState> = items.values().filter(|i| i.added > 0).collect();
    touched.sort_by_key(|i| i.id);
    let (current, history): (Vec<&ItemState>, Vec<&ItemState>) =
        touched.into_iter().partition(|i| i.new_current.is_some());
    const BIG: &str = "BIGINT";
    const TEXT: &str = "TEXT";
    for chunk in current.chunks(ITEMS_PER_UPDATE) {
        let casts = [
            BIG, BIG, BIG, BIG, TEXT, BIG, TEXT, TEXT, TEXT, TEXT, BIG, BIG, BIG, BIG,
        ];
        let sql = format!(
            "UPDATE wire_items SET current_version_id = v.column2, order_number = v.column3, \
             order_created = v.column4, order_key = v.column5, sort_at = v.column6, \
             status = v.column7, language = v.column8, headline = v.column9, \
             text_hash = v.column10, embargoed_until = v.column11, expires = v.column12, \
             versions = wire_items.versions + v.column13, \
             corrected = CASE WHEN v.column14 = 1 THEN 1 ELSE wire_items.corrected END \
             FROM (VALUES {}) AS v WHERE wire_items.id = v.column1",
            values(chunk.len(), 1, &casts)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for item in chunk {
            let (version_id, index) = item.new_current.expect("partitioned on it");
            let r = &batch[index];
            query = query
                .bind(item.id)
                .bind(version_id)
                .bind(r.order.0)
                .bind(r.order.1)
                .bind(&r.key)
                .bind(r.sort_at)
                .bind(r.v.status.as_str())
                .bind(r.language)
                .bind(&r.v.headline)
                .bind(&r.text_hash)
                .bind(super::wire::millis(r.v.embargoed_until))
                .bind(super::wire::millis(r.v.expires))
                .bind(item.added)
                .bind(i64::from(item.corrected));
        }
        query.execute(&mut **tx).await.map_err(db_error)?;
    }
    for chunk in history.chunks(ITEMS_PER_UPDATE * 4) {
        let sql = format!(
            "UPDATE wire_items SET versions = wire_items.versions + v.column2, \
             corrected = CASE WHEN v.column3 = 1 THEN 1 ELSE wire_items.corrected END \
             FROM (VALUES {}) AS v WHERE wire_items.id = v.column1",
            values(chunk.len(), 1, &[BIG, BIG, BIG])
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for item in chunk {
            query = query
                .bind(item.id)
                .bind(item.added)
                .bind(i64::from(item.corrected));
        }
        query.execute(&mut **tx).await.map_err(db_error)?;
    }
    Ok(())
}
