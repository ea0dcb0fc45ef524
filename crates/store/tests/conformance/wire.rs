//! The wire desk's storage ([`WireStore`]): providers, payloads, item versions.

use chrono::{DateTime, Duration, Utc};
use dateline_domain::store::{PollResult, WireFilter};
use dateline_domain::wire::{
    IncomingVersion, ItemStatus, KillPolicy, ProviderCode, ProviderKind, ProviderSettings,
    VersionSignal,
};
use dateline_domain::{Store, StoreError};

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap() + Duration::minutes(minutes)
}

fn settings(code: &str) -> ProviderSettings {
    ProviderSettings {
        code: ProviderCode::parse(code).unwrap(),
        name: format!("{code} news agency"),
        attribution: code.to_owned(),
        kind: ProviderKind::Ninjs,
        url: Some(format!("https://feeds.example/{code}")),
        language: "en".to_owned(),
        poll_interval_secs: 60,
        kill_policy: KillPolicy::TakeDown,
        credentials: Some("user:secret".to_owned()),
    }
}

fn version(item: &str, label: Option<&str>, created_minute: Option<i64>) -> IncomingVersion {
    IncomingVersion {
        item_id: item.to_owned(),
        version: label.map(str::to_owned),
        version_created: created_minute.map(at),
        first_created: Some(at(0)),
        status: ItemStatus::Usable,
        signal: VersionSignal::New,
        embargoed_until: None,
        expires: None,
        language: None,
        headline: format!("{item} version {}", label.unwrap_or("-")),
        standfirst: "What happened".to_owned(),
        body_html: format!("<p>Text of {item} {}</p>", label.unwrap_or("-")),
        dateline: Some("ISLAMABAD, Nov 19 (APP)".to_owned()),
        byline: Some("Staff reporter".to_owned()),
        link: None,
        keywords: vec!["politics".to_owned(), "Pakistan".to_owned()],
        urgency: Some(3),
    }
}

pub async fn providers_are_added_listed_and_changed_without_showing_credentials(store: &dyn Store) {
    let app = store.add_provider(&settings("APP"), at(0)).await.unwrap();
    assert_eq!(app.code.as_str(), "APP");
    assert!(app.has_credentials);
    assert!(!app.paused);
    assert_eq!(app.health.failures, 0);
    let taken = store.add_provider(&settings("app"), at(1)).await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    store.add_provider(&settings("AFP"), at(1)).await.unwrap();
    let codes: Vec<_> = store
        .providers()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.code.to_string())
        .collect();
    assert_eq!(codes, ["AFP", "APP"]);
    // A change without credentials keeps the stored ones.
    let mut changed = settings("APP");
    changed.name = "Associated Press of Pakistan".to_owned();
    changed.credentials = None;
    let app = store
        .update_provider(app.id, &changed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.name, "Associated Press of Pakistan");
    assert_eq!(
        store.provider_credentials(app.id).await.unwrap().as_deref(),
        Some("user:secret")
    );
    let by_code = store.provider_by_code(&app.code).await.unwrap().unwrap();
    assert_eq!(by_code, app);
    assert!(
        store
            .update_provider(dateline_domain::wire::ProviderId(9999), &changed)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn polls_are_recorded_and_repeated_failures_pause(store: &dyn Store) {
    let p = store.add_provider(&settings("APP"), at(0)).await.unwrap();
    let ok = PollResult::Success {
        etag: Some("\"v1\"".to_owned()),
        last_modified: Some("Tue, 01 Dec 2026 10:00:00 GMT".to_owned()),
    };
    store.record_poll(p.id, &ok, at(1), at(2)).await.unwrap();
    let failed = PollResult::Failure {
        error: "connection refused".to_owned(),
        pause: false,
    };
    store
        .record_poll(p.id, &failed, at(2), at(4))
        .await
        .unwrap();
    let last = PollResult::Failure {
        error: "HTTP 500".to_owned(),
        pause: true,
    };
    store.record_poll(p.id, &last, at(4), at(8)).await.unwrap();
    let p = store.provider(p.id).await.unwrap().unwrap();
    assert_eq!(p.health.etag.as_deref(), Some("\"v1\""));
    assert_eq!(p.health.last_success_at, Some(at(1)));
    assert_eq!(p.health.last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(p.health.failures, 2);
    assert!(p.paused);
    assert!(store.set_provider_paused(p.id, false).await.unwrap());
    let p = store.provider(p.id).await.unwrap().unwrap();
    assert!(!p.paused);
    assert_eq!(p.health.failures, 0);
    assert_eq!(p.health.next_poll_at, None);
}

pub async fn payloads_are_kept_verbatim_and_once(store: &dyn Store) {
    let p = store.add_provider(&settings("APP"), at(0)).await.unwrap();
    // Not text at all: invalid UTF-8 and a NUL byte are kept as they are.
    let bytes = b"\xff\xfe<newsItem>\0\x80</newsItem>".to_vec();
    let (id, new) = store
        .store_payload(p.id, "upload.xml", &bytes, at(1))
        .await
        .unwrap();
    assert!(new);
    let (again, new) = store
        .store_payload(p.id, "upload-again.xml", &bytes, at(2))
        .await
        .unwrap();
    assert_eq!((again, new), (id, false));
    assert_eq!(store.payload_bytes(id).await.unwrap(), Some(bytes.clone()));
    store
        .record_payload_read(id, None, Some("line 1: not XML"), 0)
        .await
        .unwrap();
    let listed = store.payloads(p.id, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].origin, "upload.xml");
    assert_eq!(listed[0].size, bytes.len() as u64);
    assert_eq!(listed[0].error.as_deref(), Some("line 1: not XML"));
    assert_eq!(listed[0].sha256.len(), 64);
}

pub async fn versions_replayed_in_any_order_give_the_same_state(store: &dyn Store) {
    let p = store.add_provider(&settings("APP"), at(0)).await.unwrap();
    let q = store.add_provider(&settings("AFP"), at(0)).await.unwrap();
    let versions = [
        version("a", Some("1"), Some(10)),
        version("a", Some("2"), Some(20)),
        version("a", Some("3"), Some(15)), // a later number wins over an earlier time
        version("b", None, Some(5)),
        IncomingVersion {
            headline: "b, updated".to_owned(),
            ..version("b", None, Some(6))
        },
    ];
    let forward = store
        .ingest(p.id, None, &versions, "en", at(30))
        .await
        .unwrap();
    assert_eq!(forward.current, 5);
    assert_eq!(forward.unchanged, 0);
    let mut reversed = versions.clone();
    reversed.reverse();
    let backward = store
        .ingest(q.id, None, &reversed, "ur", at(30))
        .await
        .unwrap();
    assert_eq!(
        (backward.current, backward.history),
        (2, 3),
        "each item's newest came first"
    );
    // Both times, once more: nothing changes.
    let again = store
        .ingest(p.id, None, &reversed, "en", at(31))
        .await
        .unwrap();
    assert_eq!((again.current, again.history, again.unchanged), (0, 0, 5));
    for provider in [p.id, q.id] {
        let a = store
            .wire_item_by_agency_id(provider, "a")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.row.headline, "a version 3");
        assert_eq!(a.row.versions, 3);
        let labels: Vec<_> = a.versions.iter().map(|v| v.key.as_str()).collect();
        assert_eq!(labels, ["3", "2", "1"]);
        assert!(a.versions[0].current && !a.versions[1].current);
        let b = store
            .wire_item_by_agency_id(provider, "b")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(b.row.sort_at, at(6));
        assert_eq!(b.row.versions, 2);
    }
    let q_a = store
        .wire_item_by_agency_id(q.id, "a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        q_a.row.language, "ur",
        "the provider's language when the item gives none"
    );
    // A version's whole text reads back.
    let current = store
        .wire_version(q_a.versions[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.body_html, "<p>Text of a 3</p>");
    assert_eq!(current.keywords, ["politics", "Pakistan"]);
    assert_eq!(current.dateline.as_deref(), Some("ISLAMABAD, Nov 19 (APP)"));
    assert_eq!(current.urgency, Some(3));
    assert_eq!(current.item, q_a.row.id);
}

pub async fn a_kill_or_a_correction_is_the_items_state(store: &dyn Store) {
    let p = store.add_provider(&settings("APP"), at(0)).await.unwrap();
    store
        .ingest(p.id, None, &[version("k", Some("1"), Some(1))], "en", at(1))
        .await
        .unwrap();
    let mut corrected = version("k", Some("2"), Some(2));
    corrected.signal = VersionSignal::Correction;
    let mut killed = version("k", Some("3"), Some(3));
    killed.status = ItemStatus::Canceled;
    let outcome = store
        .ingest(p.id, None, &[killed, corrected], "en", at(4))
        .await
        .unwrap();
    assert_eq!((outcome.current, outcome.history), (1, 1));
    let k = store
        .wire_item_by_agency_id(p.id, "k")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(k.row.status, ItemStatus::Canceled);
    assert!(k.row.corrected);
    let killed_only = store
        .wire_rows(&WireFilter {
            status: Some(ItemStatus::Canceled),
            limit: 10,
            ..WireFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(killed_only.len(), 1);
}

pub async fn the_desk_lists_newest_first_under_its_filters(store: &dyn Store) {
    let p = store.add_provider(&settings("APP"), at(0)).await.unwrap();
    let q = store.add_provider(&settings("AFP"), at(0)).await.unwrap();
    let mut versions = Vec::new();
    for i in 0..7 {
        let mut v = version(&format!("item-{i}"), Some("1"), Some(i));
        v.headline = format!("Budget 100% approved, item_{i}");
        if i % 2 == 1 {
            v.language = Some("ur".to_owned());
        }
        versions.push(v);
    }
    store
        .ingest(p.id, None, &versions, "en", at(10))
        .await
        .unwrap();
    // The same text from another agency: one fingerprint.
    let mut copy = versions[6].clone();
    copy.item_id = "afp-1".to_owned();
    copy.headline = "Another headline".to_owned();
    store
        .ingest(q.id, None, &[copy], "en", at(10))
        .await
        .unwrap();
    let all = store
        .wire_rows(&WireFilter {
            limit: 100,
            ..WireFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 8);
    assert!(
        all.windows(2)
            .all(|w| (w[0].sort_at, w[0].id) >= (w[1].sort_at, w[1].id))
    );
    let page = store
        .wire_rows(&WireFilter {
            provider: Some(p.id),
            limit: 3,
            ..WireFilter::default()
        })
        .await
        .unwrap();
    let ids: Vec<_> = page.iter().map(|r| r.item_id.as_str()).collect();
    assert_eq!(ids, ["item-6", "item-5", "item-4"]);
    let last = page.last().unwrap();
    let next = store
        .wire_rows(&WireFilter {
            provider: Some(p.id),
            after: Some((last.sort_at, last.id)),
            limit: 3,
            ..WireFilter::default()
        })
        .await
        .unwrap();
    let ids: Vec<_> = next.iter().map(|r| r.item_id.as_str()).collect();
    assert_eq!(ids, ["item-3", "item-2", "item-1"]);
    let urdu = store
        .wire_rows(&WireFilter {
            language: Some("ur".to_owned()),
            limit: 100,
            ..WireFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(urdu.len(), 3);
    // Text: LIKE's wildcards in the words are literal.
    let found = store
        .wire_rows(&WireFilter {
            text: Some("100% APPROVED, ITEM_3".to_owned()),
            limit: 100,
            ..WireFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].item_id, "item-3");
    let none = store
        .wire_rows(&WireFilter {
            text: Some("item%".to_owned()),
            limit: 100,
            ..WireFilter::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty());
    let recent = store
        .wire_rows(&WireFilter {
            since: Some(at(5)),
            limit: 100,
            ..WireFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(recent.len(), 3);
    let copies = store
        .text_senders(std::slice::from_ref(&all[0].text_hash))
        .await
        .unwrap();
    assert!(copies.iter().all(|c| c.items == 1));
    let mut codes: Vec<_> = copies.iter().map(|r| r.provider_code.to_string()).collect();
    codes.sort();
    assert_eq!(codes, ["AFP", "APP"]);
    assert_eq!(store.versions_received_since(p.id, at(9)).await.unwrap(), 7);
}

pub async fn the_same_version_sent_at_once_many_times_is_stored_once<S: Store + Clone>(store: &S) {
    let p = store.add_provider(&settings("APP"), at(0)).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let versions = [
                version("race", Some("1"), Some(1)),
                version("race", Some("2"), Some(2)),
            ];
            store.ingest(p.id, None, &versions, "en", at(3)).await
        }));
    }
    let mut stored = 0;
    for task in tasks {
        let outcome = task.await.unwrap().expect("ingest");
        stored += outcome.current + outcome.history;
    }
    assert_eq!(stored, 2, "each version stored once in all");
    let item = store
        .wire_item_by_agency_id(p.id, "race")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.row.versions, 2);
    assert_eq!(item.versions[0].key, "2");
    assert!(item.versions[0].current);
}

pub async fn of_simultaneous_claims_of_a_due_poll_exactly_one_wins<S: Store + Clone>(store: &S) {
    let p = store.add_provider(&settings("APP"), at(0)).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.claim_poll(p.id, at(1), at(2)).await
        }));
    }
    let mut won = 0;
    for task in tasks {
        won += u32::from(task.await.unwrap().expect("claim"));
    }
    assert_eq!(won, 1);
    // Held until at(2); due again then; never while paused.
    assert!(!store.claim_poll(p.id, at(1), at(3)).await.unwrap());
    assert!(store.claim_poll(p.id, at(2), at(3)).await.unwrap());
    store.set_provider_paused(p.id, true).await.unwrap();
    assert!(!store.claim_poll(p.id, at(5), at(6)).await.unwrap());
}
