//! The storage conformance suite: every backend must behave the same. Each case runs against a
//! fresh SQLite file and a fresh PostgreSQL database (skipped, with a message, when no server is
//! reachable outside CI).
//!
//! Cases reach the store through the domain's ports, as the services do: `&dyn Store`, `&dyn
//! PortableStore`, or a generic `S: Store` where writers are spawned with clones of it. Only the
//! few about the backend itself (migrations, notices between nodes, copies of the database) take
//! the `SqlStore`.

use chrono::{DateTime, Duration, Utc};
use dateline_domain::{
    ArticleId, ArticleStatus, AttributionMode, AuthorId, Cursor, Direction, Headline, Language,
    Listing, NewArticle, PageRequest, SearchText, SectionId, SiteSettings, Slug, Source, Store,
    StoreError, TagId, WhenStored,
};
use std::collections::BTreeSet;
use std::sync::Arc;

use dateline_domain::store::{KnownSignIn, ReservationOutcome, SignInLimit, SignInReservation};
use dateline_domain::{
    ArticleStore, AuditAction, AuditEntry, Content, Correction, CorrectionKind, Draft, Email,
    ImageId, LabelDeletion, LabelKind, LabelRef, MAX_REVISIONS, NewImage, NewUser, RevisionInfo,
    RevisionKind, RevisionNumber, Role, SaveOutcome, Session, SiteStore, Transition, UserId,
};
use dateline_domain::{CacheKey, ChangeObserver, ContentChange};
use dateline_domain::{
    Counts, ImportItem, ImportOutcome, PortableArticle, PortableCorrection, PortableImage,
    PortableLabel, PortableRedirect, PortableRevision, PortableStore,
};
use dateline_store::testing::TestDatabase;

#[path = "conformance/pages.rs"]
mod pages;
#[path = "conformance/wire.rs"]
mod wire;
use dateline_store::{Backend, SqlStore};
use pages::*;
use wire::*;

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let db = dateline_store::testing::TestDatabase::sqlite();
                    super::$case(&super::open(&db).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(db) = dateline_store::testing::TestDatabase::postgres(concat!("postgres::", stringify!($case))).await else { return };
                    let store = super::open(&db).await;
                    super::$case(&store).await;
                    store.close().await;
                }
            )*
        }
    };
}

conformance!(
    migrations_apply_once,
    site_settings_round_trip,
    ensure_finds_or_creates_by_slug,
    article_round_trips_with_tags_byline_and_source,
    taken_slug_is_a_conflict_and_writes_nothing,
    unknown_section_is_refused_and_writes_nothing,
    batch_insert_is_all_or_nothing,
    listings_are_newest_first_and_filtered,
    keyset_pages_cover_every_article_once_in_both_directions,
    unpublishing_takes_an_article_off_listings,
    summaries_skip_missing_ids_and_report_status,
    urdu_slugs_round_trip,
    writes_announce_every_listing_they_touch,
    other_nodes_hear_of_changes,
    listing_changed_at_counts_unpublished_articles,
    sitemap_id_ranges_list_only_published_articles_in_id_order,
    accounts_round_trip_and_emails_are_unique,
    sessions_expire_and_password_changes_end_the_others,
    sign_in_failures_are_counted_per_scope_and_window,
    sign_in_reservations_stop_at_the_limit_even_when_simultaneous,
    known_devices_and_addresses_are_remembered_per_account,
    only_an_accounts_most_recent_devices_and_addresses_are_remembered,
    newsroom_writes_announce_old_and_new_listings,
    saves_based_on_an_old_revision_are_kept_but_not_applied,
    transitions_apply_only_from_the_given_states,
    published_articles_come_in_id_order_complete,
    fingerprint_changes_with_every_write,
    featured_images_are_announced_and_listed,
    renaming_a_label_announces_everything,
    related_lists_round_trip_and_are_announced,
    concurrent_writers_wait_their_turn,
    autosaves_on_ones_own_autosave_replace_it_under_a_new_number,
    revisions_are_capped_and_the_oldest_autosaves_go_first,
    revision_list_gives_sizes_and_headlines_without_bodies,
    a_guarded_transition_refuses_once_a_newer_revision_is_saved,
    new_labels_are_created_by_the_write_that_stores_them_with_audit_lines,
    merging_labels_moves_articles_and_redirects_the_old_front,
    deleting_labels_refuses_a_section_in_use_and_untags_articles,
    imports_write_records_where_their_keys_are_free,
    an_import_naming_what_is_not_there_writes_nothing,
    an_export_snapshot_reads_back_what_was_imported,
    an_export_snapshot_does_not_see_later_writes,
    replacing_a_body_changes_nothing_else_and_is_announced,
    a_newer_copy_updates_what_the_newsroom_has_not_edited,
    a_backup_copy_holds_what_was_committed,
    providers_are_added_listed_and_changed_without_showing_credentials,
    polls_are_recorded_and_repeated_failures_pause,
    payloads_are_kept_verbatim_and_once,
    versions_replayed_in_any_order_give_the_same_state,
    a_kill_or_a_correction_is_the_items_state,
    the_desk_lists_newest_first_under_its_filters,
    the_same_version_sent_at_once_many_times_is_stored_once,
    of_simultaneous_claims_of_a_due_poll_exactly_one_wins,
    page_addresses_are_unique_among_siblings_and_apart_from_articles,
    menus_are_replaced_whole_and_refuse_targets_that_are_not_there,
);

async fn open(db: &TestDatabase) -> SqlStore {
    let store = SqlStore::connect(db.url()).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_629_900_000, 0).unwrap() + Duration::minutes(minutes)
}

fn article(slug: &str, section: SectionId, minutes: i64) -> NewArticle {
    NewArticle {
        slug: Slug::parse(slug).unwrap(),
        headline: Headline::parse(&format!("Headline of {slug}")).unwrap(),
        standfirst: format!("Standfirst of {slug}"),
        body: "Body.\n".into(),
        body_html: "<p>Body.</p>\n".into(),
        section,
        tags: vec![],
        authors: vec![],
        source: None,
        status: ArticleStatus::Published,
        language: Language::english(),
        published_at: Some(at(minutes)),
        created_at: at(minutes),
        updated_at: at(minutes),
    }
}

async fn section(store: &dyn Store, name: &str) -> SectionId {
    store
        .ensure_section(&Slug::from_title(name).unwrap(), name)
        .await
        .unwrap()
        .id
}

async fn migrations_apply_once(store: &SqlStore) {
    assert_eq!(
        store.migrate().await.unwrap(),
        0,
        "a second run applies nothing"
    );
    store.ping().await.unwrap();
}

async fn site_settings_round_trip(store: &dyn Store) {
    assert_eq!(store.site_settings().await.unwrap(), None);
    let mut site = SiteSettings::unconfigured();
    site.name = "Global Village Space".into();
    site.time_zone = chrono_tz::Asia::Karachi;
    store.put_site_settings(&site).await.unwrap();
    assert_eq!(store.site_settings().await.unwrap(), Some(site.clone()));
    site.short_name = "GVS".into();
    store.put_site_settings(&site).await.unwrap();
    assert_eq!(store.site_settings().await.unwrap(), Some(site));
}

async fn ensure_finds_or_creates_by_slug(store: &dyn Store) {
    let slug = Slug::parse("pakistan").unwrap();
    let first = store.ensure_section(&slug, "Pakistan").await.unwrap();
    let again = store.ensure_section(&slug, "PAKISTAN").await.unwrap();
    assert_eq!(first, again, "the existing section is returned unchanged");
    assert_eq!(store.section_by_slug(&slug).await.unwrap(), Some(first));
    let tag = store
        .ensure_tag(&Slug::parse("russia").unwrap(), "Russia")
        .await
        .unwrap();
    assert_eq!(store.tag_by_slug(&tag.slug).await.unwrap(), Some(tag));
    let author = store
        .ensure_author(&Slug::parse("sana-mirza").unwrap(), "Sana Mirza")
        .await
        .unwrap();
    assert_eq!(
        store.author_by_slug(&author.slug).await.unwrap(),
        Some(author)
    );
    assert_eq!(
        store
            .tag_by_slug(&Slug::parse("nothing").unwrap())
            .await
            .unwrap(),
        None
    );
    store
        .ensure_section(&Slug::parse("world").unwrap(), "World")
        .await
        .unwrap();
    let names: Vec<_> = store
        .sections()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(
        names,
        ["Pakistan", "World"],
        "sections come back in creation order"
    );
}

async fn article_round_trips_with_tags_byline_and_source(store: &dyn Store) {
    let section = section(store, "Pakistan").await;
    let mut tags = Vec::new();
    for name in ["Russia", "Afghanistan", "Diplomacy"] {
        tags.push(
            store
                .ensure_tag(&Slug::from_title(name).unwrap(), name)
                .await
                .unwrap()
                .id,
        );
    }
    let mut authors = Vec::new();
    for name in ["Sana Mirza", "Ahmed Raza"] {
        authors.push(
            store
                .ensure_author(&Slug::from_title(name).unwrap(), name)
                .await
                .unwrap()
                .id,
        );
    }
    let mut new = article("putin-calls-khan", section, 0);
    new.tags = vec![tags[2], tags[0], tags[1]];
    new.authors = vec![authors[1], authors[0]];
    new.source = Some(Source {
        agencies: vec!["APP".into(), "Reuters".into()],
        mode: AttributionMode::Edited,
    });
    new.body = "Body with ’typographic’ quotes.\n".into();
    let id = store.insert_article(&new).await.unwrap();
    let stored = store.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(stored.slug, new.slug);
    assert_eq!(stored.headline, new.headline.as_str());
    assert_eq!(stored.body, new.body);
    assert_eq!(stored.section.name, "Pakistan");
    let tag_names: Vec<_> = stored.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        tag_names,
        ["Diplomacy", "Russia", "Afghanistan"],
        "tags keep their order"
    );
    let byline: Vec<_> = stored.authors.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        byline,
        ["Ahmed Raza", "Sana Mirza"],
        "byline keeps its order"
    );
    assert_eq!(stored.source, new.source);
    assert_eq!(stored.published_at, new.published_at);
    assert_eq!(stored.created_at, new.created_at);
    assert_eq!(
        store.article_by_slug(&new.slug).await.unwrap().unwrap(),
        stored
    );
    assert!(store.slug_exists(&new.slug).await.unwrap());
    assert_eq!(
        store.article_by_id(ArticleId(id.0 + 1000)).await.unwrap(),
        None
    );
}

async fn taken_slug_is_a_conflict_and_writes_nothing(store: &dyn Store) {
    let section = section(store, "World").await;
    let tag = store
        .ensure_tag(&Slug::parse("russia").unwrap(), "Russia")
        .await
        .unwrap()
        .id;
    store
        .insert_article(&article("same-slug", section, 0))
        .await
        .unwrap();
    let mut again = article("same-slug", section, 1);
    again.tags = vec![tag];
    let err = store.insert_article(&again).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(store.count_articles().await.unwrap(), 1);
    let tagged = store
        .list_published(Listing::Tag(tag), PageRequest::first(10))
        .await
        .unwrap();
    assert!(tagged.is_empty(), "no tag rows were left behind");
}

async fn unknown_section_is_refused_and_writes_nothing(store: &dyn Store) {
    let err = store
        .insert_article(&article("orphan", SectionId(999), 0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::MissingReference(_)), "{err:?}");
    let section = section(store, "World").await;
    let mut bad_tag = article("bad-tag", section, 0);
    bad_tag.tags = vec![TagId(12345)];
    assert!(matches!(
        store.insert_article(&bad_tag).await,
        Err(StoreError::MissingReference(_))
    ));
    let mut bad_author = article("bad-author", section, 0);
    bad_author.authors = vec![AuthorId(12345)];
    assert!(store.insert_article(&bad_author).await.is_err());
    assert_eq!(
        store.count_articles().await.unwrap(),
        0,
        "half-written articles would show here"
    );
}

async fn batch_insert_is_all_or_nothing(store: &dyn Store) {
    let section = section(store, "World").await;
    let ids = store
        .insert_articles(&[article("a", section, 0), article("b", section, 1)])
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let batch = [
        article("c", section, 2),
        article("a", section, 3),
        article("d", section, 4),
    ];
    assert!(store.insert_articles(&batch).await.is_err());
    assert_eq!(
        store.count_articles().await.unwrap(),
        2,
        "nothing of the failed batch was kept"
    );
    assert!(!store.slug_exists(&Slug::parse("c").unwrap()).await.unwrap());
}

async fn listings_are_newest_first_and_filtered(store: &dyn Store) {
    let pakistan = section(store, "Pakistan").await;
    let world = section(store, "World").await;
    let russia = store
        .ensure_tag(&Slug::parse("russia").unwrap(), "Russia")
        .await
        .unwrap()
        .id;
    let sana = store
        .ensure_author(&Slug::parse("sana").unwrap(), "Sana")
        .await
        .unwrap()
        .id;
    let mut a = article("a", pakistan, 10);
    a.tags = vec![russia];
    let mut b = article("b", world, 30);
    b.tags = vec![russia];
    b.authors = vec![sana];
    let c = article("c", pakistan, 20);
    let mut draft = article("draft", pakistan, 40);
    draft.status = ArticleStatus::Draft;
    draft.tags = vec![russia];
    for x in [&a, &b, &c, &draft] {
        store.insert_article(x).await.unwrap();
    }
    let slugs = |list: Vec<dateline_domain::ArticleSummary>| {
        list.into_iter()
            .map(|s| s.slug.to_string())
            .collect::<Vec<_>>()
    };
    let page = PageRequest::first(10);
    assert_eq!(
        slugs(store.list_published(Listing::Latest, page).await.unwrap()),
        ["b", "c", "a"]
    );
    assert_eq!(
        slugs(
            store
                .list_published(Listing::Section(pakistan), page)
                .await
                .unwrap()
        ),
        ["c", "a"]
    );
    assert_eq!(
        slugs(
            store
                .list_published(Listing::Tag(russia), page)
                .await
                .unwrap()
        ),
        ["b", "a"]
    );
    assert_eq!(
        slugs(
            store
                .list_published(Listing::Author(sana), page)
                .await
                .unwrap()
        ),
        ["b"]
    );
    assert_eq!(
        slugs(
            store
                .list_published(Listing::Latest, PageRequest::first(2))
                .await
                .unwrap()
        ),
        ["b", "c"]
    );
}

async fn keyset_pages_cover_every_article_once_in_both_directions(store: &dyn Store) {
    let section = section(store, "World").await;
    // Pairs of articles share a publication time: the id breaks the tie.
    let batch: Vec<_> = (0..23)
        .map(|i| article(&format!("s{i}"), section, i / 2))
        .collect();
    store.insert_articles(&batch).await.unwrap();
    let all = store
        .list_published(Listing::Latest, PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(all.len(), 23);
    let cursor = |s: &dateline_domain::ArticleSummary| Cursor {
        published_at: s.published_at.unwrap(),
        id: s.id,
    };

    let mut seen = Vec::new();
    let mut request = PageRequest::first(5);
    loop {
        let page = store
            .list_published(Listing::Latest, request)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        request = PageRequest {
            cursor: Some((Direction::Older, cursor(last))),
            limit: 5,
        };
        seen.extend(page.iter().map(|s| s.id));
    }
    assert_eq!(
        seen,
        all.iter().map(|s| s.id).collect::<Vec<_>>(),
        "older pages walk the whole list in order"
    );

    let mut back = Vec::new();
    let mut request = PageRequest {
        cursor: Some((Direction::Newer, cursor(all.last().unwrap()))),
        limit: 5,
    };
    loop {
        let page = store
            .list_published(Listing::Latest, request)
            .await
            .unwrap();
        let Some(first) = page.first() else { break };
        assert!(
            page.windows(2)
                .all(|w| w[0].published_at >= w[1].published_at),
            "newer pages are newest first too"
        );
        request = PageRequest {
            cursor: Some((Direction::Newer, cursor(first))),
            limit: 5,
        };
        back.splice(0..0, page.iter().map(|s| s.id));
    }
    assert_eq!(
        back,
        all[..22].iter().map(|s| s.id).collect::<Vec<_>>(),
        "newer pages walk back to the top"
    );
}

async fn unpublishing_takes_an_article_off_listings(store: &dyn Store) {
    let section = section(store, "World").await;
    let id = store
        .insert_article(&article("live", section, 0))
        .await
        .unwrap();
    assert!(
        store
            .set_article_status(id, ArticleStatus::Draft, None, at(5))
            .await
            .unwrap()
    );
    assert!(
        store
            .list_published(Listing::Latest, PageRequest::first(10))
            .await
            .unwrap()
            .is_empty()
    );
    let stored = store.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(stored.status, ArticleStatus::Draft);
    assert_eq!(
        stored.published_at,
        Some(at(0)),
        "the original publication time is kept"
    );
    assert_eq!(stored.updated_at, at(5));
    assert!(
        !store
            .set_article_status(ArticleId(9999), ArticleStatus::Published, None, at(5))
            .await
            .unwrap()
    );
}

async fn summaries_skip_missing_ids_and_report_status(store: &dyn Store) {
    let section = section(store, "World").await;
    let live = store
        .insert_article(&article("live", section, 0))
        .await
        .unwrap();
    let mut draft = article("draft", section, 1);
    draft.status = ArticleStatus::Draft;
    let draft = store.insert_article(&draft).await.unwrap();
    let mut found = store
        .summaries(&[draft, ArticleId(424242), live])
        .await
        .unwrap();
    found.sort_by_key(|s| s.id);
    assert_eq!(found.len(), 2);
    assert_eq!(
        (found[0].id, found[0].status),
        (live, ArticleStatus::Published)
    );
    assert_eq!(
        (found[1].id, found[1].status),
        (draft, ArticleStatus::Draft)
    );
    assert!(store.summaries(&[]).await.unwrap().is_empty());
}

async fn urdu_slugs_round_trip(store: &dyn Store) {
    let section = section(store, "Pakistan").await;
    let mut new = article("کراچی-میں-بارش", section, 0);
    new.language = Language::parse("ur").unwrap();
    new.headline = Headline::parse("کراچی میں بارش").unwrap();
    store.insert_article(&new).await.unwrap();
    let stored = store.article_by_slug(&new.slug).await.unwrap().unwrap();
    assert_eq!(stored.headline, "کراچی میں بارش");
    assert_eq!(stored.language.as_str(), "ur");
}

#[derive(Default)]
struct Heard(std::sync::Mutex<Vec<ContentChange>>);

impl ChangeObserver for Heard {
    fn content_changed(&self, change: &ContentChange) {
        self.0.lock().unwrap().push(change.clone());
    }
}

impl Heard {
    fn take(&self) -> Vec<ContentChange> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

async fn writes_announce_every_listing_they_touch(store: &dyn Store) {
    let heard = Arc::new(Heard::default());
    store.add_change_observer(heard.clone());
    let section = section(store, "World").await;
    let tag = store
        .ensure_tag(&Slug::parse("russia").unwrap(), "Russia")
        .await
        .unwrap()
        .id;
    let author = store
        .ensure_author(&Slug::parse("sana").unwrap(), "Sana")
        .await
        .unwrap()
        .id;
    let mut new = article("noticed", section, 0);
    new.tags = vec![tag];
    new.authors = vec![author];
    let id = store.insert_article(&new).await.unwrap();
    let expected = BTreeSet::from([
        CacheKey::Latest,
        CacheKey::Article(id),
        CacheKey::Section(section),
        CacheKey::Tag(tag),
        CacheKey::Author(author),
    ]);
    assert_eq!(
        heard.take(),
        [ContentChange {
            keys: expected.clone()
        }],
        "heard before insert returned"
    );
    store
        .set_article_status(id, ArticleStatus::Draft, None, at(1))
        .await
        .unwrap();
    assert_eq!(heard.take(), [ContentChange { keys: expected }]);
    let err = store.insert_article(&new).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)));
    assert!(heard.take().is_empty(), "a failed write announces nothing");
    store
        .set_article_status(ArticleId(9999), ArticleStatus::Draft, None, at(1))
        .await
        .unwrap();
    assert!(
        heard.take().is_empty(),
        "nor does a write that found nothing"
    );
}

async fn other_nodes_hear_of_changes(store: &SqlStore) {
    let other = SqlStore::connect(store.url()).await.unwrap();
    let heard = Arc::new(Heard::default());
    other.add_change_observer(heard.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listener = other
        .listen_for_changes(async move {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    if store.backend() == Backend::Sqlite {
        assert!(
            listener.is_none(),
            "SQLite has one node and nothing to listen to"
        );
        return;
    }
    let listener = tokio::spawn(listener.expect("PostgreSQL nodes listen"));
    let section = section(store, "World").await;
    let id = store
        .insert_article(&article("far-away", section, 0))
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let changes = heard.take();
        if let Some(change) = changes.first() {
            assert!(change.keys.contains(&CacheKey::Article(id)), "{change:?}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the other node heard nothing within a second"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // Told to stop, the listener returns.
    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), listener)
        .await
        .expect("the listener stops when told")
        .unwrap();
    other.close().await;
}

async fn listing_changed_at_counts_unpublished_articles(store: &dyn Store) {
    let world = section(store, "World").await;
    let sport = section(store, "Sport").await;
    let russia = store
        .ensure_tag(&Slug::parse("russia").unwrap(), "Russia")
        .await
        .unwrap()
        .id;
    let sana = store
        .ensure_author(&Slug::parse("sana").unwrap(), "Sana")
        .await
        .unwrap()
        .id;
    assert_eq!(
        store.listing_changed_at(Listing::Latest).await.unwrap(),
        None
    );
    let mut a = article("a", world, 10);
    a.tags = vec![russia];
    a.authors = vec![sana];
    let a = store.insert_article(&a).await.unwrap();
    store
        .insert_article(&article("b", sport, 20))
        .await
        .unwrap();
    let changed = |listing| async move { store.listing_changed_at(listing).await.unwrap() };
    assert_eq!(changed(Listing::Latest).await, Some(at(20)));
    assert_eq!(changed(Listing::Section(world)).await, Some(at(10)));
    // Tags and bylines may be answered with a later time, never an earlier one.
    for listing in [Listing::Tag(russia), Listing::Author(sana)] {
        let when = changed(listing).await.expect("a change time");
        assert!((at(10)..=at(20)).contains(&when), "{listing:?}: {when}");
    }
    store
        .set_article_status(a, ArticleStatus::Draft, None, at(60))
        .await
        .unwrap();
    for listing in [
        Listing::Latest,
        Listing::Section(world),
        Listing::Tag(russia),
        Listing::Author(sana),
    ] {
        assert_eq!(
            changed(listing).await,
            Some(at(60)),
            "{listing:?}: the withdrawal counts"
        );
    }
    assert_eq!(changed(Listing::Section(sport)).await, Some(at(20)));
}

async fn sitemap_id_ranges_list_only_published_articles_in_id_order(store: &dyn Store) {
    assert_eq!(store.max_article_id().await.unwrap(), None);
    let world = section(store, "World").await;
    let mut batch: Vec<_> = (0..6)
        .map(|i| article(&format!("s{i}"), world, 10 - i))
        .collect();
    batch[2].status = ArticleStatus::Draft;
    let ids = store.insert_articles(&batch).await.unwrap();
    assert_eq!(store.max_article_id().await.unwrap(), Some(ids[5]));
    let entries = store
        .published_in_id_range(ids[1], ids[4], 100)
        .await
        .unwrap();
    let slugs: Vec<_> = entries.iter().map(|e| e.slug.as_str()).collect();
    assert_eq!(slugs, ["s1", "s3", "s4"], "in id order, drafts left out");
    assert_eq!(entries[0].id, ids[1]);
    assert_eq!(entries[0].updated_at, at(9));
    let limited = store
        .published_in_id_range(ids[0], ids[5], 2)
        .await
        .unwrap();
    assert_eq!(limited.len(), 2);
    assert!(
        store
            .published_in_id_range(ids[2], ids[2], 10)
            .await
            .unwrap()
            .is_empty()
    );
}

// Newsroom

fn new_user(email: &str, role: Role) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        name: format!("Name of {email}"),
        role,
        password_hash: format!("hash of {email}"),
        created_at: at(0),
    }
}

fn session(token: &str, user: UserId, expires: i64) -> Session {
    Session {
        token_hash: token.to_owned(),
        user,
        csrf_token: format!("csrf of {token}"),
        created_at: at(0),
        expires_at: at(expires),
    }
}

async fn accounts_round_trip_and_emails_are_unique(store: &dyn Store) {
    let sana = store
        .insert_user(&new_user("sana@gvs.pk", Role::Editor))
        .await
        .unwrap();
    assert_eq!(sana.role, Role::Editor);
    assert_eq!(store.user_by_id(sana.id).await.unwrap(), Some(sana.clone()));
    let (found, hash) = store
        .user_credentials(&Email::parse("SANA@gvs.pk").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found, hash.as_str()),
        (sana.clone(), "hash of sana@gvs.pk")
    );
    let err = store
        .insert_user(&new_user("sana@gvs.pk", Role::Admin))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    store
        .insert_user(&new_user("ali@gvs.pk", Role::Contributor))
        .await
        .unwrap();
    let names: Vec<_> = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.email.to_string(), u.role))
        .collect();
    assert_eq!(
        names,
        [
            ("ali@gvs.pk".to_owned(), Role::Contributor),
            ("sana@gvs.pk".to_owned(), Role::Editor)
        ]
    );
    assert_eq!(store.user_by_id(UserId(9999)).await.unwrap(), None);
}

async fn sessions_expire_and_password_changes_end_the_others(store: &dyn Store) {
    let sana = store
        .insert_user(&new_user("sana@gvs.pk", Role::Author))
        .await
        .unwrap();
    for token in ["one", "two", "three"] {
        store
            .insert_session(&session(token, sana.id, 60))
            .await
            .unwrap();
    }
    let (found, user) = store.session("one", at(59)).await.unwrap().unwrap();
    assert_eq!(
        (found.csrf_token.as_str(), user.id),
        ("csrf of one", sana.id)
    );
    assert_eq!(found.expires_at, at(60));
    assert!(
        store.session("one", at(60)).await.unwrap().is_none(),
        "expired"
    );
    assert!(store.session("nope", at(1)).await.unwrap().is_none());
    assert!(
        store
            .set_password_hash(sana.id, "new hash", Some("two"))
            .await
            .unwrap()
    );
    assert!(store.session("one", at(1)).await.unwrap().is_none());
    assert!(store.session("two", at(1)).await.unwrap().is_some());
    assert!(store.session("three", at(1)).await.unwrap().is_none());
    let (_, hash) = store.user_credentials(&sana.email).await.unwrap().unwrap();
    assert_eq!(hash, "new hash");
    assert!(
        !store
            .set_password_hash(UserId(9999), "x", None)
            .await
            .unwrap()
    );
    store.delete_session("two", at(1)).await.unwrap();
    assert!(store.session("two", at(1)).await.unwrap().is_none());
    store.delete_session("two", at(1)).await.unwrap();
}

/// Notes one attempt under `scopes` at `minute`, with no limit to check.
async fn note_attempt(store: &dyn Store, attempt: &str, scopes: &[String], minute: i64) {
    let reservation = SignInReservation {
        attempt,
        limits: &[],
        record: scopes,
        since: at(minute - 15),
        at: at(minute),
    };
    assert_eq!(
        store.reserve_sign_in_attempt(&reservation).await.unwrap(),
        ReservationOutcome::Reserved
    );
}

async fn sign_in_failures_are_counted_per_scope_and_window(store: &dyn Store) {
    let scopes = [
        "account:sana@gvs.pk".to_owned(),
        "address:10.0.0.1".to_owned(),
    ];
    for minute in [0, 5, 10] {
        note_attempt(store, &format!("attempt {minute}"), &scopes, minute).await;
    }
    assert_eq!(store.sign_in_failures(&scopes[0], at(0)).await.unwrap(), 3);
    assert_eq!(store.sign_in_failures(&scopes[1], at(5)).await.unwrap(), 2);
    assert_eq!(
        store
            .sign_in_failures("address:10.0.0.2", at(0))
            .await
            .unwrap(),
        0
    );
    // Releasing an attempt takes back its rows under every scope, and only its own.
    store.release_sign_in_attempt("attempt 5").await.unwrap();
    assert_eq!(store.sign_in_failures(&scopes[0], at(0)).await.unwrap(), 2);
    assert_eq!(store.sign_in_failures(&scopes[1], at(0)).await.unwrap(), 2);
    store.clear_sign_in_failures(&scopes[0]).await.unwrap();
    assert_eq!(store.sign_in_failures(&scopes[0], at(0)).await.unwrap(), 0);
    assert_eq!(store.sign_in_failures(&scopes[1], at(0)).await.unwrap(), 2);
}

async fn sign_in_reservations_stop_at_the_limit_even_when_simultaneous<S: Store + Clone>(
    store: &S,
) {
    let limits = [
        SignInLimit {
            scope: "pair:10.0.0.1 sana@gvs.pk".to_owned(),
            max: 5,
        },
        SignInLimit {
            scope: "address:10.0.0.1".to_owned(),
            max: 20,
        },
    ];
    let record: Vec<String> = limits.iter().map(|l| l.scope.clone()).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let (store, limits, record) = (store.clone(), limits.clone(), record.clone());
        tasks.spawn(async move {
            let attempt = format!("attempt {i}");
            let reservation = SignInReservation {
                attempt: &attempt,
                limits: &limits,
                record: &record,
                since: at(0),
                at: at(1),
            };
            store.reserve_sign_in_attempt(&reservation).await.unwrap()
        });
    }
    let mut outcomes = Vec::new();
    while let Some(outcome) = tasks.join_next().await {
        outcomes.push(outcome.unwrap());
    }
    let reserved = outcomes
        .iter()
        .filter(|o| **o == ReservationOutcome::Reserved)
        .count();
    assert_eq!(reserved, 5, "exactly the limit's worth: {outcomes:?}");
    assert!(outcomes.iter().all(|o| matches!(
        o,
        ReservationOutcome::Reserved | ReservationOutcome::Refused(0)
    )));
    assert_eq!(store.sign_in_failures(&record[0], at(0)).await.unwrap(), 5);
    assert_eq!(store.sign_in_failures(&record[1], at(0)).await.unwrap(), 5);
    // The second limit is reported by its index; outside the window nothing counts.
    let other = [limits[1].clone()];
    let full = SignInReservation {
        attempt: "late",
        limits: &other,
        record: &record[1..],
        since: at(0),
        at: at(2),
    };
    for _ in 0..15 {
        assert_eq!(
            store.reserve_sign_in_attempt(&full).await.unwrap(),
            ReservationOutcome::Reserved
        );
    }
    let both = SignInReservation {
        attempt: "refused",
        limits: &[
            SignInLimit {
                max: 100,
                ..limits[0].clone()
            },
            limits[1].clone(),
        ],
        record: &record,
        since: at(0),
        at: at(3),
    };
    assert_eq!(
        store.reserve_sign_in_attempt(&both).await.unwrap(),
        ReservationOutcome::Refused(1)
    );
    assert_eq!(
        store.sign_in_failures(&record[0], at(0)).await.unwrap(),
        5,
        "refused notes nothing"
    );
    let later = SignInReservation {
        since: at(10),
        at: at(20),
        ..both
    };
    assert_eq!(
        store.reserve_sign_in_attempt(&later).await.unwrap(),
        ReservationOutcome::Reserved
    );
}

async fn only_an_accounts_most_recent_devices_and_addresses_are_remembered(store: &dyn Store) {
    let sana = store
        .insert_user(&new_user("sana@gvs.pk", Role::Editor))
        .await
        .unwrap();
    for n in 0..60 {
        store
            .remember_sign_in(
                sana.id,
                &format!("10.0.0.{n}"),
                &format!("device-{n}"),
                at(n),
            )
            .await
            .unwrap();
    }
    let oldest = store
        .known_sign_in(sana.id, "10.0.0.0", Some("device-0"), at(0))
        .await
        .unwrap();
    assert_eq!(oldest, KnownSignIn::default(), "the oldest are forgotten");
    let newest = store
        .known_sign_in(sana.id, "10.0.0.59", Some("device-59"), at(0))
        .await
        .unwrap();
    assert_eq!(
        newest,
        KnownSignIn {
            device: true,
            address: true
        }
    );
    let tenth = store
        .known_sign_in(sana.id, "10.0.0.10", Some("device-10"), at(0))
        .await
        .unwrap();
    assert_eq!(
        tenth,
        KnownSignIn {
            device: true,
            address: true
        },
        "the 50 most recent stay"
    );
}

async fn known_devices_and_addresses_are_remembered_per_account(store: &dyn Store) {
    let sana = store
        .insert_user(&new_user("sana@gvs.pk", Role::Editor))
        .await
        .unwrap();
    let ali = store
        .insert_user(&new_user("ali@gvs.pk", Role::Author))
        .await
        .unwrap();
    assert_eq!(
        store
            .known_sign_in(sana.id, "10.0.0.1", Some("device"), at(0))
            .await
            .unwrap(),
        KnownSignIn::default()
    );
    store
        .remember_sign_in(sana.id, "10.0.0.1", "device", at(5))
        .await
        .unwrap();
    assert_eq!(
        store
            .known_sign_in(sana.id, "10.0.0.1", Some("device"), at(0))
            .await
            .unwrap(),
        KnownSignIn {
            device: true,
            address: true
        }
    );
    assert_eq!(
        store
            .known_sign_in(sana.id, "10.0.0.2", None, at(0))
            .await
            .unwrap(),
        KnownSignIn {
            device: false,
            address: false
        }
    );
    assert_eq!(
        store
            .known_sign_in(ali.id, "10.0.0.1", Some("device"), at(0))
            .await
            .unwrap(),
        KnownSignIn::default(),
        "another account does not know the device or the address"
    );
    assert_eq!(
        store
            .known_sign_in(sana.id, "10.0.0.1", Some("device"), at(6))
            .await
            .unwrap(),
        KnownSignIn::default(),
        "forgotten after the time given"
    );
    // Signing in again moves the time on.
    store
        .remember_sign_in(sana.id, "10.0.0.1", "device", at(10))
        .await
        .unwrap();
    assert_eq!(
        store
            .known_sign_in(sana.id, "10.0.0.1", Some("device"), at(6))
            .await
            .unwrap(),
        KnownSignIn {
            device: true,
            address: true
        }
    );
}

fn audit(action: AuditAction) -> AuditEntry {
    AuditEntry {
        at: at(1),
        user: None,
        action,
        article: None,
        detail: String::new(),
    }
}

fn content_of(new: &NewArticle) -> Content {
    Content {
        headline: new.headline.clone(),
        standfirst: new.standfirst.clone(),
        body: new.body.clone(),
        body_html: new.body_html.clone(),
        section: LabelRef::Existing(new.section),
        tags: new.tags.iter().copied().map(LabelRef::Existing).collect(),
        authors: new
            .authors
            .iter()
            .copied()
            .map(LabelRef::Existing)
            .collect(),
        source: new.source.clone(),
        language: new.language.clone(),
    }
}

fn draft(headline: &str) -> Draft {
    Draft {
        headline: headline.to_owned(),
        section: "World".to_owned(),
        language: "en".to_owned(),
        ..Draft::default()
    }
}

async fn newsroom_writes_announce_old_and_new_listings(store: &dyn Store) {
    let heard = Arc::new(Heard::default());
    store.add_change_observer(heard.clone());
    let writer = store
        .insert_user(&new_user("sana@gvs.pk", Role::Editor))
        .await
        .unwrap();
    let world = section(store, "World").await;
    let sport = section(store, "Sport").await;
    let tag = store
        .ensure_tag(&Slug::parse("russia").unwrap(), "Russia")
        .await
        .unwrap()
        .id;
    let mut new = article("drafted", world, 0);
    new.status = ArticleStatus::Draft;
    new.published_at = None;
    new.tags = vec![tag];
    let id = store
        .insert_draft(
            &new.slug,
            &content_of(&new),
            &draft("Drafted"),
            writer.id,
            &audit(AuditAction::Created),
        )
        .await
        .unwrap();
    let first = BTreeSet::from([
        CacheKey::Latest,
        CacheKey::Article(id),
        CacheKey::Section(world),
        CacheKey::Tag(tag),
    ]);
    assert_eq!(
        heard.take(),
        [ContentChange {
            keys: first.clone()
        }]
    );
    // Moving the draft to another section and dropping its tag touches both fronts.
    let mut moved = content_of(&new);
    moved.section = LabelRef::Existing(sport);
    moved.tags = vec![];
    let outcome = store
        .save_revision(
            id,
            RevisionNumber(1),
            &draft("Moved"),
            RevisionKind::Save,
            writer.id,
            Some(&moved),
            &audit(AuditAction::Saved),
        )
        .await
        .unwrap();
    assert_eq!(outcome, SaveOutcome::Saved(RevisionNumber(2)));
    let both = BTreeSet::from([
        CacheKey::Latest,
        CacheKey::Article(id),
        CacheKey::Section(world),
        CacheKey::Section(sport),
        CacheKey::Tag(tag),
    ]);
    assert_eq!(heard.take(), [ContentChange { keys: both }]);
    let now_keys = BTreeSet::from([
        CacheKey::Latest,
        CacheKey::Article(id),
        CacheKey::Section(sport),
    ]);
    let publish = Transition {
        from: &[ArticleStatus::Draft],
        to: ArticleStatus::Published,
        content: Some((&moved, RevisionNumber(2))),
        published_at: Some(at(2)),
        scheduled_at: None,
        revision: None,
        now: at(2),
    };
    assert!(
        store
            .transition(id, &publish, &audit(AuditAction::Published))
            .await
            .unwrap()
    );
    assert_eq!(
        heard.take(),
        [ContentChange {
            keys: now_keys.clone()
        }]
    );
    let correction = Correction {
        article: id,
        kind: CorrectionKind::Correction,
        note: "Fixed a name.".to_owned(),
        created_at: at(3),
    };
    assert!(
        store
            .add_correction(
                &correction,
                writer.id,
                &audit(AuditAction::AddedNote(CorrectionKind::Correction))
            )
            .await
            .unwrap()
    );
    assert_eq!(heard.take(), [ContentChange { keys: now_keys }]);
    assert_eq!(store.corrections(id).await.unwrap(), [correction]);
    assert_eq!(
        store.article_by_id(id).await.unwrap().unwrap().updated_at,
        at(3)
    );
    // Writes that find nothing announce nothing.
    assert!(
        !store
            .transition(id, &publish, &audit(AuditAction::Published))
            .await
            .unwrap()
    );
    assert!(heard.take().is_empty());
    let log = store.audit_log(Some(id), 0, 10).await.unwrap();
    let actions: Vec<_> = log.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["added correction", "published", "saved", "created"]
    );
}

async fn saves_based_on_an_old_revision_are_kept_but_not_applied(store: &dyn Store) {
    let writer = store
        .insert_user(&new_user("sana@gvs.pk", Role::Author))
        .await
        .unwrap();
    let world = section(store, "World").await;
    let mut new = article("contested", world, 0);
    new.status = ArticleStatus::Draft;
    let id = store
        .insert_draft(
            &new.slug,
            &content_of(&new),
            &draft("One"),
            writer.id,
            &audit(AuditAction::Created),
        )
        .await
        .unwrap();
    let save = |based_on, headline: &'static str| async move {
        store
            .save_revision(
                id,
                RevisionNumber(based_on),
                &draft(headline),
                RevisionKind::Save,
                writer.id,
                None,
                &audit(AuditAction::Saved),
            )
            .await
            .unwrap()
    };
    assert_eq!(save(1, "Two").await, SaveOutcome::Saved(RevisionNumber(2)));
    assert_eq!(
        save(1, "Late").await,
        SaveOutcome::Conflict {
            current: RevisionNumber(2),
            kept_as: RevisionNumber(3)
        }
    );
    assert_eq!(save(2, "Four").await, SaveOutcome::Saved(RevisionNumber(4)));
    let revisions = store.revision_list(id).await.unwrap();
    let seen: Vec<_> = revisions
        .iter()
        .map(|r| (r.number.0, r.kind, r.headline.as_str(), r.based_on.0))
        .collect();
    assert_eq!(
        seen,
        [
            (4, RevisionKind::Save, "Four", 2),
            (3, RevisionKind::Conflict, "Late", 1),
            (2, RevisionKind::Save, "Two", 1),
            (1, RevisionKind::Save, "One", 0),
        ]
    );
    assert_eq!(
        revisions[0].saved_by_name.as_deref(),
        Some("Name of sana@gvs.pk")
    );
    assert_eq!(
        store.workflow(id).await.unwrap().unwrap().revision,
        RevisionNumber(4)
    );
    let err = store
        .save_revision(
            ArticleId(9999),
            RevisionNumber::STORED,
            &draft("x"),
            RevisionKind::Save,
            writer.id,
            None,
            &audit(AuditAction::Saved),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::MissingReference(_)), "{err:?}");
}

async fn transitions_apply_only_from_the_given_states(store: &dyn Store) {
    let world = section(store, "World").await;
    let mut new = article("scheduled", world, 0);
    new.status = ArticleStatus::Draft;
    new.published_at = None;
    let id = store.insert_article(&new).await.unwrap();
    let schedule = Transition {
        from: &[ArticleStatus::Draft, ArticleStatus::InReview],
        to: ArticleStatus::Scheduled,
        content: None,
        published_at: None,
        scheduled_at: Some(at(60)),
        revision: None,
        now: at(1),
    };
    assert!(
        store
            .transition(id, &schedule, &audit(AuditAction::Scheduled))
            .await
            .unwrap()
    );
    assert!(
        !store
            .transition(id, &schedule, &audit(AuditAction::Scheduled))
            .await
            .unwrap()
    );
    assert!(store.due_articles(at(59)).await.unwrap().is_empty());
    assert_eq!(store.due_articles(at(60)).await.unwrap(), [id]);
    let listed = store
        .list_published(
            Listing::Latest,
            PageRequest {
                cursor: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert!(listed.is_empty(), "a scheduled article is not public");
    let wf = store.workflow(id).await.unwrap().unwrap();
    assert_eq!(
        (wf.status, wf.scheduled_at),
        (ArticleStatus::Scheduled, Some(at(60)))
    );
}

async fn featured_images_are_announced_and_listed(store: &dyn Store) {
    let heard = Arc::new(Heard::default());
    store.add_change_observer(heard.clone());
    let writer = store
        .insert_user(&new_user("sana@gvs.pk", Role::Author))
        .await
        .unwrap();
    let world = section(store, "World").await;
    let id = store
        .insert_article(&article("pictured", world, 0))
        .await
        .unwrap();
    heard.take();
    let image = store
        .insert_image(&NewImage {
            key: "0123456789abcdef0123456789abcdef".to_owned(),
            ext: "jpg".to_owned(),
            width: 1500,
            height: 1000,
            renditions: vec![320, 640, 1500],
            alt: "A street".to_owned(),
            caption: "Saddar".to_owned(),
            credit: "APP".to_owned(),
            uploaded_by: writer.id,
            created_at: at(0),
        })
        .await
        .unwrap();
    assert_eq!(image.renditions, [320, 640, 1500]);
    assert_eq!(store.image(image.id).await.unwrap(), Some(image.clone()));
    assert!(
        store
            .set_featured_image(id, Some(image.id), &audit(AuditAction::SetFeaturedImage))
            .await
            .unwrap()
    );
    let keys = BTreeSet::from([
        CacheKey::Latest,
        CacheKey::Article(id),
        CacheKey::Section(world),
    ]);
    assert_eq!(heard.take(), [ContentChange { keys }]);
    assert_eq!(
        store.featured_images(&[id, ArticleId(9999)]).await.unwrap(),
        [(id, image.clone())]
    );
    let err = store
        .set_featured_image(
            id,
            Some(ImageId(9999)),
            &audit(AuditAction::SetFeaturedImage),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::MissingReference(_)), "{err:?}");
    assert!(heard.take().is_empty());
    assert!(
        !store
            .set_featured_image(
                ArticleId(9999),
                None,
                &audit(AuditAction::RemovedFeaturedImage)
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .set_featured_image(id, None, &audit(AuditAction::RemovedFeaturedImage))
            .await
            .unwrap()
    );
    assert!(store.featured_images(&[id]).await.unwrap().is_empty());
    assert_eq!(store.images(0, 10).await.unwrap(), [image]);
}

async fn renaming_a_label_announces_everything(store: &dyn Store) {
    let heard = Arc::new(Heard::default());
    store.add_change_observer(heard.clone());
    let world = section(store, "World").await;
    assert!(
        store
            .rename_label(
                LabelKind::Section,
                world.0,
                "International",
                &audit(AuditAction::Renamed(LabelKind::Section))
            )
            .await
            .unwrap()
    );
    assert_eq!(heard.take(), [ContentChange::everything()]);
    assert_eq!(store.sections().await.unwrap()[0].name, "International");
    assert_eq!(store.sections().await.unwrap()[0].slug.as_str(), "world");
    assert!(
        !store
            .rename_label(
                LabelKind::Tag,
                9999,
                "x",
                &audit(AuditAction::Renamed(LabelKind::Tag))
            )
            .await
            .unwrap()
    );
    assert!(heard.take().is_empty());
}

async fn published_articles_come_in_id_order_complete(store: &dyn Store) {
    let section = section(store, "Pakistan").await;
    let tag = store
        .ensure_tag(&Slug::from_title("Russia").unwrap(), "Russia")
        .await
        .unwrap()
        .id;
    let author = store
        .ensure_author(&Slug::from_title("Sana Mirza").unwrap(), "Sana Mirza")
        .await
        .unwrap()
        .id;
    let mut ids = Vec::new();
    for n in 0..5 {
        let mut new = article(&format!("story-{n}"), section, n);
        new.tags = vec![tag];
        new.authors = vec![author];
        if n == 2 {
            new.status = ArticleStatus::Draft;
        }
        ids.push(store.insert_article(&new).await.unwrap());
    }
    let first = store.published_articles_after(None, 2).await.unwrap();
    let first_ids: Vec<_> = first.iter().map(|a| a.id).collect();
    assert_eq!(first_ids, [ids[0], ids[1]]);
    assert_eq!(
        first[0],
        store.article_by_id(ids[0]).await.unwrap().unwrap()
    );
    let rest = store
        .published_articles_after(Some(ids[1]), 10)
        .await
        .unwrap();
    let rest_ids: Vec<_> = rest.iter().map(|a| a.id).collect();
    assert_eq!(rest_ids, [ids[3], ids[4]], "drafts are left out");
    assert!(
        rest.iter()
            .all(|a| a.tags.len() == 1 && a.authors.len() == 1)
    );
    assert!(
        store
            .published_articles_after(Some(ids[4]), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn fingerprint_changes_with_every_write(store: &dyn Store) {
    let empty = store.content_fingerprint().await.unwrap();
    assert_eq!(store.content_fingerprint().await.unwrap(), empty, "stable");
    let section = section(store, "World").await;
    let id = store
        .insert_article(&article("fingerprinted", section, 0))
        .await
        .unwrap();
    let inserted = store.content_fingerprint().await.unwrap();
    assert_ne!(inserted, empty);
    store
        .set_article_status(id, ArticleStatus::Draft, None, at(5))
        .await
        .unwrap();
    let unpublished = store.content_fingerprint().await.unwrap();
    assert_ne!(unpublished, inserted);
    let mut old = article("imported-long-ago", section, -1000);
    old.updated_at = at(-1000);
    old.status = ArticleStatus::Draft;
    store.insert_article(&old).await.unwrap();
    assert_ne!(
        store.content_fingerprint().await.unwrap(),
        unpublished,
        "an insert with an old update time still changes it"
    );
}

async fn related_lists_round_trip_and_are_announced(store: &dyn Store) {
    let heard = Arc::new(Heard::default());
    store.add_change_observer(heard.clone());
    let world = section(store, "World").await;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(
            store
                .insert_article(&article(&format!("related-{n}"), world, n))
                .await
                .unwrap(),
        );
    }
    let [a, b, c, d] = ids[..] else {
        unreachable!()
    };
    heard.take();
    assert_eq!(store.related_list(a).await.unwrap(), None, "never computed");
    // Order kept; the article itself, repeats and unknown ids dropped.
    assert!(
        store
            .put_related_list(a, &[c, a, b, c, ArticleId(9999)], at(10))
            .await
            .unwrap()
    );
    assert_eq!(store.related_list(a).await.unwrap(), Some(vec![c, b]));
    assert_eq!(
        heard.take(),
        [ContentChange {
            keys: BTreeSet::from([CacheKey::Related(a)])
        }],
        "only the article's own related block changed"
    );
    // An empty list is a computed list, not a missing one.
    assert!(store.put_related_list(d, &[], at(10)).await.unwrap());
    assert_eq!(store.related_list(d).await.unwrap(), Some(vec![]));
    // Replacing a list keeps nothing of the old one.
    assert!(store.put_related_list(b, &[c, d], at(11)).await.unwrap());
    assert!(store.put_related_list(a, &[d], at(12)).await.unwrap());
    assert_eq!(store.related_list(a).await.unwrap(), Some(vec![d]));
    assert_eq!(store.lists_naming(d).await.unwrap(), [a, b]);
    // What a page shows: published articles only, in the list's order, at most `limit`.
    let shown = |list: Option<Vec<dateline_domain::ArticleSummary>>| {
        list.map(|l| l.into_iter().map(|s| s.id).collect::<Vec<_>>())
    };
    assert_eq!(
        shown(store.related_summaries(b, 10).await.unwrap()),
        Some(vec![c, d])
    );
    assert_eq!(
        shown(store.related_summaries(b, 1).await.unwrap()),
        Some(vec![c])
    );
    store
        .set_article_status(c, ArticleStatus::Unpublished, None, at(12))
        .await
        .unwrap();
    assert_eq!(
        shown(store.related_summaries(b, 10).await.unwrap()),
        Some(vec![d])
    );
    assert_eq!(
        shown(store.related_summaries(d, 10).await.unwrap()),
        Some(vec![])
    );
    assert_eq!(
        shown(store.related_summaries(c, 10).await.unwrap()),
        None,
        "never computed"
    );
    assert_eq!(store.lists_naming(c).await.unwrap(), [b]);
    assert!(store.lists_naming(a).await.unwrap().is_empty());
    heard.take();
    assert!(
        !store
            .put_related_list(ArticleId(9999), &[a], at(13))
            .await
            .unwrap(),
        "no such article"
    );
    assert!(heard.take().is_empty());
    assert_eq!(store.related_list(ArticleId(9999)).await.unwrap(), None);
}

async fn concurrent_writers_wait_their_turn<S: Store + Clone>(store: &S) {
    // Writers that read before they write (status changes, related lists) all succeed when
    // they overlap; none fails because another committed first.
    let world = section(store, "World").await;
    let mut ids = Vec::new();
    for n in 0..8 {
        ids.push(
            store
                .insert_article(&article(&format!("busy-{n}"), world, n))
                .await
                .unwrap(),
        );
    }
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..5 {
        for (i, id) in ids.iter().copied().enumerate() {
            let store = store.clone();
            let others: Vec<_> = ids.iter().copied().filter(|o| *o != id).collect();
            tasks.spawn(async move {
                let status = if round % 2 == 0 {
                    ArticleStatus::Draft
                } else {
                    ArticleStatus::Published
                };
                store
                    .set_article_status(id, status, None, at(100 + round))
                    .await
                    .map(|_| ())?;
                store
                    .put_related_list(id, &others[i % 3..], at(100 + round))
                    .await
                    .map(|_| ())
            });
        }
    }
    while let Some(outcome) = tasks.join_next().await {
        outcome.unwrap().expect("every overlapping write succeeds");
    }
    for id in ids {
        assert!(store.related_list(id).await.unwrap().is_some());
    }
}

/// A draft article by a new author; its id and the author.
async fn drafted(store: &dyn Store, slug: &str) -> (ArticleId, UserId) {
    let writer = store
        .insert_user(&new_user(&format!("{slug}@gvs.pk"), Role::Author))
        .await
        .unwrap();
    let world = section(store, "World").await;
    let mut new = article(slug, world, 0);
    new.status = ArticleStatus::Draft;
    new.published_at = None;
    let id = store
        .insert_draft(
            &new.slug,
            &content_of(&new),
            &draft("One"),
            writer.id,
            &audit(AuditAction::Created),
        )
        .await
        .unwrap();
    (id, writer.id)
}

async fn save_as(
    store: &dyn Store,
    id: ArticleId,
    based_on: i64,
    headline: &str,
    kind: RevisionKind,
    by: UserId,
) -> SaveOutcome {
    store
        .save_revision(
            id,
            RevisionNumber(based_on),
            &draft(headline),
            kind,
            by,
            None,
            &audit(AuditAction::Saved),
        )
        .await
        .unwrap()
}

async fn autosaves_on_ones_own_autosave_replace_it_under_a_new_number(store: &dyn Store) {
    let (id, writer) = drafted(store, "typing").await;
    let other = store
        .insert_user(&new_user("other@gvs.pk", Role::Editor))
        .await
        .unwrap()
        .id;
    let auto = RevisionKind::Autosave;
    assert_eq!(
        save_as(store, id, 1, "T", auto, writer).await,
        SaveOutcome::Saved(RevisionNumber(2))
    );
    assert_eq!(
        save_as(store, id, 2, "Ty", auto, writer).await,
        SaveOutcome::Saved(RevisionNumber(3))
    );
    assert_eq!(
        save_as(store, id, 3, "Typ", auto, writer).await,
        SaveOutcome::Saved(RevisionNumber(4))
    );
    let list = store.revision_list(id).await.unwrap();
    let seen: Vec<_> = list
        .iter()
        .map(|r| (r.number.0, r.headline.as_str(), r.based_on.0))
        .collect();
    assert_eq!(
        seen,
        [(4, "Typ", 1), (1, "One", 0)],
        "one autosave row, chained to revision 1"
    );
    // Someone else's autosave, a named save, or a conflict does not replace it.
    assert_eq!(
        save_as(store, id, 4, "Other", auto, other).await,
        SaveOutcome::Saved(RevisionNumber(5))
    );
    assert_eq!(
        save_as(store, id, 5, "Named", RevisionKind::Save, writer).await,
        SaveOutcome::Saved(RevisionNumber(6))
    );
    assert_eq!(
        save_as(store, id, 6, "After", auto, writer).await,
        SaveOutcome::Saved(RevisionNumber(7))
    );
    assert_eq!(
        save_as(store, id, 6, "Late", auto, writer).await,
        SaveOutcome::Conflict {
            current: RevisionNumber(7),
            kept_as: RevisionNumber(8)
        }
    );
    let numbers: Vec<i64> = store
        .revision_list(id)
        .await
        .unwrap()
        .iter()
        .map(|r| r.number.0)
        .collect();
    assert_eq!(numbers, [8, 7, 6, 5, 4, 1]);
    // Only the first autosave of a run is in the audit log.
    let log = store.audit_log(Some(id), 0, 50).await.unwrap();
    let actions: Vec<_> = log.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["conflict", "saved", "saved", "saved", "saved", "created"]
    );
}

async fn revisions_are_capped_and_the_oldest_autosaves_go_first(store: &dyn Store) {
    let (id, writer) = drafted(store, "capped").await;
    let other = store
        .insert_user(&new_user("desk@gvs.pk", Role::Editor))
        .await
        .unwrap()
        .id;
    // Alternate writers so no autosave replaces another; a named save every tenth time.
    let mut base = 1;
    let total = MAX_REVISIONS + 40;
    for n in 0..total {
        let (kind, by) = match n % 10 {
            0 => (RevisionKind::Save, writer),
            k if k % 2 == 0 => (RevisionKind::Autosave, writer),
            _ => (RevisionKind::Autosave, other),
        };
        match save_as(store, id, base, &format!("Take {n}"), kind, by).await {
            SaveOutcome::Saved(next) => base = next.0,
            conflict => panic!("{conflict:?}"),
        }
    }
    let list = store.revision_list(id).await.unwrap();
    assert_eq!(list.len() as i64, MAX_REVISIONS);
    assert_eq!(list[0].number.0, base, "the current revision stays");
    let saves = list.iter().filter(|r| r.kind == RevisionKind::Save).count() as i64;
    assert_eq!(saves, 1 + total.div_euclid(10), "every named save stays");
    // The autosaves left are the newest ones.
    let oldest_autosave = list
        .iter()
        .filter(|r| r.kind == RevisionKind::Autosave)
        .map(|r| r.number.0)
        .min()
        .unwrap();
    let from_there = list
        .iter()
        .filter(|r| r.number.0 >= oldest_autosave)
        .count() as i64;
    assert_eq!(
        from_there,
        base - oldest_autosave + 1,
        "nothing newer was dropped"
    );
    assert!(oldest_autosave > 2, "older autosaves were dropped");
}

async fn revision_list_gives_sizes_and_headlines_without_bodies(store: &dyn Store) {
    let (id, writer) = drafted(store, "sized").await;
    let big = Draft {
        headline: "H".repeat(400),
        body: "ب".repeat(50_000),
        ..draft("unused")
    };
    store
        .save_revision(
            id,
            RevisionNumber(1),
            &big,
            RevisionKind::Save,
            writer,
            None,
            &audit(AuditAction::Saved),
        )
        .await
        .unwrap();
    let list: Vec<RevisionInfo> = store.revision_list(id).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].body_chars, 50_000, "characters, not bytes");
    assert_eq!(
        list[0].headline.chars().count(),
        RevisionInfo::HEADLINE_CHARS
    );
    assert_eq!(list[0].saved_by, Some(writer));
    assert_eq!(
        list[0].saved_by_name.as_deref(),
        Some("Name of sized@gvs.pk")
    );
    assert_eq!(list[1].body_chars, 0);
}

async fn a_guarded_transition_refuses_once_a_newer_revision_is_saved(store: &dyn Store) {
    let (id, writer) = drafted(store, "guarded").await;
    let publish = |revision| Transition {
        from: &ArticleStatus::ALL,
        to: ArticleStatus::Scheduled,
        content: None,
        published_at: None,
        scheduled_at: Some(at(60)),
        revision: Some(RevisionNumber(revision)),
        now: at(2),
    };
    save_as(store, id, 1, "Newer", RevisionKind::Autosave, writer).await;
    assert!(
        !store
            .transition(id, &publish(1), &audit(AuditAction::Scheduled))
            .await
            .unwrap()
    );
    let wf = store.workflow(id).await.unwrap().unwrap();
    assert_eq!(wf.status, ArticleStatus::Draft, "nothing moved");
    assert!(
        store
            .transition(id, &publish(2), &audit(AuditAction::Scheduled))
            .await
            .unwrap()
    );
    assert_eq!(
        store.workflow(id).await.unwrap().unwrap().status,
        ArticleStatus::Scheduled
    );
}

fn new_label<Id>(name: &str) -> LabelRef<Id> {
    LabelRef::New {
        slug: Slug::from_title(name).unwrap(),
        name: name.to_owned(),
    }
}

async fn new_labels_are_created_by_the_write_that_stores_them_with_audit_lines(store: &dyn Store) {
    let heard = Arc::new(Heard::default());
    store.add_change_observer(heard.clone());
    let writer = store
        .insert_user(&new_user("sana@gvs.pk", Role::Editor))
        .await
        .unwrap();
    let world = section(store, "World").await;
    let mut content = content_of(&article("labelled", world, 0));
    content.section = new_label("Climate");
    content.tags = vec![new_label("Floods"), new_label("Floods Relief")];
    content.authors = vec![new_label("Ayesha Khan")];
    let id = store
        .insert_draft(
            &Slug::parse("labelled").unwrap(),
            &content,
            &draft("Labelled"),
            writer.id,
            &AuditEntry {
                user: Some(writer.id),
                ..audit(AuditAction::Created)
            },
        )
        .await
        .unwrap();
    let stored = store.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(stored.section.name, "Climate");
    let tags: Vec<_> = stored.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tags, ["Floods", "Floods Relief"]);
    assert_eq!(stored.authors[0].name, "Ayesha Khan");
    // A new section is on every page's navigation.
    let changes = heard.take();
    assert_eq!(changes.len(), 1);
    assert!(changes[0].keys.contains(&CacheKey::All), "{changes:?}");
    let log = store.audit_log(Some(id), 0, 10).await.unwrap();
    let mut actions: Vec<_> = log.iter().map(|r| r.action.as_str()).collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        [
            "added byline name",
            "added section",
            "added tag",
            "added tag",
            "created"
        ]
    );
    assert!(
        log.iter()
            .all(|r| r.user_name.as_deref() == Some("Name of sana@gvs.pk"))
    );

    // A save that conflicts creates nothing it names.
    let mut more = content.clone();
    more.section = LabelRef::Existing(world);
    more.tags = vec![new_label("Dams")];
    let outcome = store
        .save_revision(
            id,
            RevisionNumber::STORED,
            &draft("Stale"),
            RevisionKind::Save,
            writer.id,
            Some(&more),
            &audit(AuditAction::Saved),
        )
        .await
        .unwrap();
    assert!(matches!(outcome, SaveOutcome::Conflict { .. }));
    assert!(
        store
            .tag_by_slug(&Slug::parse("dams").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    // A taken slug creates nothing either.
    let mut again = content.clone();
    again.section = new_label("Energy");
    let taken = store
        .insert_draft(
            &Slug::parse("labelled").unwrap(),
            &again,
            &draft("Again"),
            writer.id,
            &audit(AuditAction::Created),
        )
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert!(
        store
            .section_by_slug(&Slug::parse("energy").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    // Naming an existing slug uses it: no second row, no audit line.
    let before = store.tags().await.unwrap().len();
    more.tags = vec![new_label("FLOODS")];
    store
        .save_revision(
            id,
            RevisionNumber(1),
            &draft("Fresh"),
            RevisionKind::Save,
            writer.id,
            Some(&more),
            &audit(AuditAction::Saved),
        )
        .await
        .unwrap();
    assert_eq!(store.tags().await.unwrap().len(), before);
    let log = store.audit_log(Some(id), 0, 10).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|r| r.action.as_str() == "added tag")
            .count(),
        2
    );
}

async fn merging_labels_moves_articles_and_redirects_the_old_front(store: &dyn Store) {
    let heard = Arc::new(Heard::default());
    let world = section(store, "World").await;
    let global = section(store, "Global").await;
    let floods = store
        .ensure_tag(&Slug::parse("floods").unwrap(), "Floods")
        .await
        .unwrap()
        .id;
    let flooding = store
        .ensure_tag(&Slug::parse("flooding").unwrap(), "Flooding")
        .await
        .unwrap()
        .id;
    let mut one = article("one", world, 0);
    one.tags = vec![floods, flooding];
    let mut two = article("two", global, 1);
    two.tags = vec![flooding];
    let ids = store.insert_articles(&[one, two]).await.unwrap();
    store.add_change_observer(heard.clone());
    assert!(
        store
            .merge_label(
                LabelKind::Section,
                global.0,
                world.0,
                &audit(AuditAction::Merged(LabelKind::Section))
            )
            .await
            .unwrap()
    );
    assert_eq!(heard.take(), [ContentChange::everything()]);
    for id in &ids {
        let a = store.article_by_id(*id).await.unwrap().unwrap();
        assert_eq!(a.section.id, world);
    }
    assert_eq!(
        store.redirect("/section/global").await.unwrap().as_deref(),
        Some("/section/world")
    );
    assert!(
        store
            .section_by_slug(&Slug::parse("global").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .merge_label(
                LabelKind::Tag,
                flooding.0,
                floods.0,
                &audit(AuditAction::Merged(LabelKind::Tag))
            )
            .await
            .unwrap()
    );
    for id in &ids {
        let a = store.article_by_id(*id).await.unwrap().unwrap();
        let tags: Vec<_> = a.tags.iter().map(|t| t.id).collect();
        assert_eq!(tags, [floods]);
    }
    assert_eq!(
        store.redirect("/tag/flooding").await.unwrap().as_deref(),
        Some("/tag/floods")
    );
    // A third merge carries the older redirect along.
    let news = section(store, "News").await;
    assert!(
        store
            .merge_label(
                LabelKind::Section,
                world.0,
                news.0,
                &audit(AuditAction::Merged(LabelKind::Section))
            )
            .await
            .unwrap()
    );
    assert_eq!(
        store.redirect("/section/global").await.unwrap().as_deref(),
        Some("/section/news")
    );
    // Unknown labels and a label into itself change nothing.
    heard.take();
    assert!(
        !store
            .merge_label(
                LabelKind::Section,
                news.0,
                news.0,
                &audit(AuditAction::Merged(LabelKind::Section))
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .merge_label(
                LabelKind::Tag,
                9999,
                floods.0,
                &audit(AuditAction::Merged(LabelKind::Tag))
            )
            .await
            .unwrap()
    );
    assert!(heard.take().is_empty());
    let log = store.audit_log(None, 0, 10).await.unwrap();
    assert_eq!(log.len(), 3);
}

async fn deleting_labels_refuses_a_section_in_use_and_untags_articles(store: &dyn Store) {
    let world = section(store, "World").await;
    let empty = section(store, "Empty").await;
    let floods = store
        .ensure_tag(&Slug::parse("floods").unwrap(), "Floods")
        .await
        .unwrap()
        .id;
    let mut one = article("one", world, 0);
    one.tags = vec![floods];
    let id = store.insert_article(&one).await.unwrap();
    assert_eq!(
        store
            .delete_label(
                LabelKind::Section,
                world.0,
                &audit(AuditAction::Deleted(LabelKind::Section))
            )
            .await
            .unwrap(),
        LabelDeletion::InUse(1)
    );
    assert_eq!(
        store
            .delete_label(
                LabelKind::Section,
                empty.0,
                &audit(AuditAction::Deleted(LabelKind::Section))
            )
            .await
            .unwrap(),
        LabelDeletion::Deleted
    );
    assert_eq!(
        store
            .delete_label(
                LabelKind::Section,
                empty.0,
                &audit(AuditAction::Deleted(LabelKind::Section))
            )
            .await
            .unwrap(),
        LabelDeletion::NotFound
    );
    assert_eq!(
        store
            .delete_label(
                LabelKind::Tag,
                floods.0,
                &audit(AuditAction::Deleted(LabelKind::Tag))
            )
            .await
            .unwrap(),
        LabelDeletion::Deleted
    );
    assert!(
        store
            .article_by_id(id)
            .await
            .unwrap()
            .unwrap()
            .tags
            .is_empty()
    );
    assert!(store.tags().await.unwrap().is_empty());
    let log = store.audit_log(None, 0, 10).await.unwrap();
    assert_eq!(log.len(), 2);
}

// Export and import

fn label(slug: &str, name: &str, position: i64) -> PortableLabel {
    PortableLabel {
        slug: Slug::parse(slug).unwrap(),
        name: name.to_owned(),
        position,
    }
}

fn portable_article(slug: &str, minutes: i64) -> PortableArticle {
    PortableArticle {
        slug: Slug::parse(slug).unwrap(),
        headline: format!("Headline of {slug}"),
        standfirst: "Standfirst.".into(),
        body: "Body.\n".into(),
        body_html: "<p>Body.</p>\n".into(),
        section: Slug::parse("world").unwrap(),
        tags: vec![Slug::parse("russia").unwrap(), Slug::parse("iran").unwrap()],
        authors: vec![Slug::parse("sana").unwrap()],
        source: Some(Source::single("APP", AttributionMode::AdditionalInputs)),
        status: ArticleStatus::Scheduled,
        language: Language::parse("ur").unwrap(),
        published_at: None,
        created_at: at(minutes),
        updated_at: at(minutes + 1),
        scheduled_at: Some(at(minutes + 60)),
        revision: RevisionNumber(2),
        live_revision: Some(RevisionNumber(1)),
        created_by: Some(Email::parse("sana@gvs.pk").unwrap()),
        featured_image: Some("abc123".into()),
        corrections: vec![PortableCorrection {
            kind: CorrectionKind::Update,
            note: "Added a quote.".into(),
            created_by: Some(Email::parse("sana@gvs.pk").unwrap()),
            created_at: at(minutes + 2),
        }],
        previous_slugs: vec![],
        search: SearchText {
            title: format!("Search title of {slug}"),
            description: "What a search engine shows.".into(),
        },
        pinned_at: Some(at(minutes + 3)),
    }
}

fn portable_revision(article: &PortableArticle, number: i64) -> PortableRevision {
    PortableRevision {
        article: article.slug.clone(),
        article_created_at: article.created_at,
        number: RevisionNumber(number),
        based_on: RevisionNumber(number - 1),
        kind: if number == 1 {
            RevisionKind::Save
        } else {
            RevisionKind::Autosave
        },
        draft: Draft {
            headline: format!("Draft {number}"),
            tags: vec!["Russia".into(), "Iran".into()],
            ..draft("")
        },
        saved_by: Some(Email::parse("sana@gvs.pk").unwrap()),
        saved_at: at(number),
    }
}

fn portable_image() -> PortableImage {
    PortableImage {
        key: "abc123".into(),
        ext: "jpg".into(),
        width: 800,
        height: 600,
        renditions: vec![320, 640, 800],
        alt: "Alt".into(),
        caption: "Caption".into(),
        credit: "Credit".into(),
        uploaded_by: Some(Email::parse("sana@gvs.pk").unwrap()),
        created_at: at(0),
    }
}

/// A whole small publication, in the order an export writes it.
fn publication() -> Vec<ImportItem> {
    let article = portable_article("budget", 0);
    let mut site = SiteSettings::unconfigured();
    site.name = "Global Village Space".into();
    vec![
        ImportItem::Settings(site),
        ImportItem::Section(label("world", "World", 2)),
        ImportItem::Tag(label("russia", "Russia", 0)),
        ImportItem::Tag(label("iran", "Iran", 0)),
        ImportItem::Author(label("sana", "Sana", 0)),
        ImportItem::User(new_user("sana@gvs.pk", Role::Editor)),
        ImportItem::Image(portable_image()),
        ImportItem::Revision(portable_revision(&article, 1)),
        ImportItem::Revision(portable_revision(&article, 2)),
        ImportItem::Redirect(PortableRedirect {
            from_path: "/section/old-world".into(),
            to_path: "/section/world".into(),
            created_at: at(3),
        }),
    ]
    .into_iter()
    .enumerate()
    .flat_map(|(i, item)| {
        // The article goes right before its revisions.
        if i == 7 {
            vec![ImportItem::Article(article.clone()), item]
        } else {
            vec![item]
        }
    })
    .collect()
}

async fn imports_write_records_where_their_keys_are_free(store: &dyn PortableStore) {
    let items = publication();
    let outcomes = store.import(&items, WhenStored::Keep).await.unwrap();
    assert!(
        outcomes.iter().all(|o| *o == ImportOutcome::Added),
        "{outcomes:?}"
    );
    let counts = PortableStore::counts(store).await.unwrap();
    assert_eq!(
        counts,
        Counts {
            settings: 1,
            sections: 1,
            tags: 2,
            authors: 1,
            users: 1,
            images: 1,
            articles: 1,
            revisions: 2,
            corrections: 1,
            redirects: 1,
            comments: 0,
        }
    );
    // The same again: every key is there, nothing changes.
    let again = store.import(&items, WhenStored::Keep).await.unwrap();
    assert!(
        again.iter().all(|o| *o == ImportOutcome::AlreadyThere),
        "{again:?}"
    );
    assert_eq!(PortableStore::counts(store).await.unwrap(), counts);
    // The same slug created at another time is another article: it and its revisions are left
    // out; so are settings a publication made its own, and a redirect leading elsewhere.
    let other = portable_article("budget", 500);
    let mut site = SiteSettings::unconfigured();
    site.name = "Another Paper".into();
    let clash = store
        .import(
            &[
                ImportItem::Article(other.clone()),
                ImportItem::Revision(portable_revision(&other, 3)),
                ImportItem::Settings(site),
                ImportItem::Redirect(PortableRedirect {
                    from_path: "/section/old-world".into(),
                    to_path: "/section/elsewhere".into(),
                    created_at: at(4),
                }),
            ],
            WhenStored::Keep,
        )
        .await
        .unwrap();
    assert_eq!(clash, [ImportOutcome::Taken; 4]);
    assert_eq!(PortableStore::counts(store).await.unwrap(), counts);
    // The same article with a note it lacks gets the note.
    let mut noted = portable_article("budget", 0);
    noted.corrections.push(PortableCorrection {
        kind: CorrectionKind::Correction,
        note: "Fixed a name.".into(),
        created_by: None,
        created_at: at(9),
    });
    assert_eq!(
        store
            .import(&[ImportItem::Article(noted)], WhenStored::Keep)
            .await
            .unwrap(),
        [ImportOutcome::AlreadyThere]
    );
    let id = store
        .article_ids(&[Slug::parse("budget").unwrap()])
        .await
        .unwrap()[0]
        .1;
    assert_eq!(store.corrections(id).await.unwrap().len(), 2);
    let wf = store.workflow(id).await.unwrap().unwrap();
    assert_eq!(
        (wf.status, wf.revision, wf.live_revision, wf.scheduled_at),
        (
            ArticleStatus::Scheduled,
            RevisionNumber(2),
            Some(RevisionNumber(1)),
            Some(at(60))
        )
    );
    assert!(wf.created_by.is_some());
    assert_eq!(store.featured_images(&[id]).await.unwrap().len(), 1);
    assert!(store.image_key_exists("abc123").await.unwrap());
    assert!(!store.image_key_exists("abc124").await.unwrap());
    // Settings over the blank ones of a publication not set up yet are written.
    let fresh = TestDatabase::sqlite();
    let fresh = open(&fresh).await;
    fresh
        .put_site_settings(&SiteSettings::unconfigured())
        .await
        .unwrap();
    let mut site = SiteSettings::unconfigured();
    site.name = "Global Village Space".into();
    assert_eq!(
        fresh
            .import(&[ImportItem::Settings(site.clone())], WhenStored::Keep)
            .await
            .unwrap(),
        [ImportOutcome::Added]
    );
    assert_eq!(fresh.site_settings().await.unwrap(), Some(site));
}

async fn an_import_naming_what_is_not_there_writes_nothing(store: &dyn PortableStore) {
    let before = PortableStore::counts(store).await.unwrap();
    let mut items = publication();
    // The article names a tag that neither the batch nor the database holds.
    for item in &mut items {
        if let ImportItem::Article(a) = item {
            a.tags.push(Slug::parse("nowhere").unwrap());
        }
    }
    let err = store.import(&items, WhenStored::Keep).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::MissingReference(what) if what.contains("nowhere")),
        "{err:?}"
    );
    assert_eq!(PortableStore::counts(store).await.unwrap(), before);
    let orphan = portable_revision(&portable_article("nothing-here", 0), 1);
    let err = store
        .import(&[ImportItem::Revision(orphan)], WhenStored::Keep)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::MissingReference(what) if what.contains("nothing-here")),
        "{err:?}"
    );
}

async fn an_export_snapshot_reads_back_what_was_imported(store: &dyn PortableStore) {
    let items = publication();
    store.import(&items, WhenStored::Keep).await.unwrap();
    let second = PortableArticle {
        tags: vec![],
        corrections: vec![],
        featured_image: None,
        created_by: None,
        status: ArticleStatus::Published,
        published_at: Some(at(20)),
        scheduled_at: None,
        live_revision: None,
        revision: RevisionNumber::STORED,
        ..portable_article("follow-up", 10)
    };
    store
        .import(
            &[
                ImportItem::Article(second.clone()),
                ImportItem::Redirect(PortableRedirect {
                    from_path: "/a-old".into(),
                    to_path: "/follow-up".into(),
                    created_at: at(5),
                }),
            ],
            WhenStored::Keep,
        )
        .await
        .unwrap();
    let mut snap = store.export_snapshot().await.unwrap();
    assert_eq!(snap.counts().await.unwrap().articles, 2);
    assert_eq!(
        snap.settings().await.unwrap().unwrap().name,
        "Global Village Space"
    );
    assert_eq!(snap.sections().await.unwrap(), [label("world", "World", 2)]);
    assert_eq!(
        snap.tags().await.unwrap(),
        [label("russia", "Russia", 0), label("iran", "Iran", 0)]
    );
    assert_eq!(snap.authors().await.unwrap(), [label("sana", "Sana", 0)]);
    let users = snap.users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].email.as_str(), "sana@gvs.pk");
    let images = snap.images_after(None, 10).await.unwrap();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].1, portable_image());
    assert!(
        snap.images_after(Some(images[0].0), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Articles a page at a time, in the order they were added.
    let first_page = snap.articles_after(None, 1).await.unwrap();
    assert_eq!(first_page.len(), 1);
    assert_eq!(first_page[0].1, portable_article("budget", 0));
    let next = snap.articles_after(Some(first_page[0].0), 1).await.unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].1, second);
    assert!(
        snap.articles_after(Some(next[0].0), 1)
            .await
            .unwrap()
            .is_empty()
    );
    let budget = first_page[0].0;
    let revisions = snap
        .revisions_after(budget, RevisionNumber::STORED, 1)
        .await
        .unwrap();
    assert_eq!(
        revisions,
        [portable_revision(&portable_article("budget", 0), 1)]
    );
    let rest = snap
        .revisions_after(budget, RevisionNumber(1), 10)
        .await
        .unwrap();
    assert_eq!(rest, [portable_revision(&portable_article("budget", 0), 2)]);
    assert_eq!(
        snap.slugs(&[budget, ArticleId(budget.0 + 1000)])
            .await
            .unwrap(),
        [(budget, Slug::parse("budget").unwrap())]
    );
    // Redirects by their old path, in byte order, a page at a time.
    let page = snap.redirects_after(None, 1).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].from_path, "/a-old");
    let page = snap.redirects_after(Some("/a-old"), 5).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].from_path, "/section/old-world");
}

async fn an_export_snapshot_does_not_see_later_writes(store: &dyn PortableStore) {
    store
        .import(&publication(), WhenStored::Keep)
        .await
        .unwrap();
    let mut snap = store.export_snapshot().await.unwrap();
    assert_eq!(snap.counts().await.unwrap().articles, 1);
    // Written after the snapshot began, by another connection.
    let later = PortableArticle {
        tags: vec![],
        ..portable_article("later", 30)
    };
    store
        .import(&[ImportItem::Article(later)], WhenStored::Keep)
        .await
        .unwrap();
    assert_eq!(PortableStore::counts(store).await.unwrap().articles, 2);
    assert_eq!(snap.articles_after(None, 10).await.unwrap().len(), 1);
    assert_eq!(snap.counts().await.unwrap().articles, 1);
    drop(snap);
    let mut fresh = store.export_snapshot().await.unwrap();
    assert_eq!(fresh.articles_after(None, 10).await.unwrap().len(), 2);
}

async fn a_newer_copy_updates_what_the_newsroom_has_not_edited(store: &dyn PortableStore) {
    store
        .import(&publication(), WhenStored::Keep)
        .await
        .unwrap();
    let imported = PortableArticle {
        status: ArticleStatus::Draft,
        scheduled_at: None,
        revision: RevisionNumber(0),
        live_revision: None,
        corrections: vec![],
        ..portable_article("floods", 10)
    };
    let import = |article: &PortableArticle, when: WhenStored| {
        let items = [ImportItem::Article(article.clone())];
        async move { store.import(&items, when).await.unwrap() }
    };
    let stored = |slug: &'static str| async move {
        store
            .article_by_slug(&Slug::parse(slug).unwrap())
            .await
            .unwrap()
    };
    assert_eq!(
        import(&imported, WhenStored::UpdateIfNewer).await,
        [ImportOutcome::Added]
    );
    let id = stored("floods").await.unwrap().id;
    // Published on the old site since, with another headline and fewer tags.
    let newer = PortableArticle {
        headline: "Floods: the toll rises".into(),
        tags: vec![Slug::parse("iran").unwrap()],
        status: ArticleStatus::Published,
        published_at: Some(at(40)),
        updated_at: at(50),
        ..imported.clone()
    };
    assert_eq!(
        import(&newer, WhenStored::Keep).await,
        [ImportOutcome::AlreadyThere]
    );
    assert_eq!(
        stored("floods").await.unwrap().headline,
        "Headline of floods"
    );
    assert_eq!(
        import(&newer, WhenStored::UpdateIfNewer).await,
        [ImportOutcome::Updated]
    );
    let after = stored("floods").await.unwrap();
    assert_eq!(after.id, id);
    assert_eq!(after.headline, "Floods: the toll rises");
    assert_eq!(after.status, ArticleStatus::Published);
    assert_eq!(after.published_at, Some(at(40)));
    assert_eq!(after.updated_at, at(50));
    let tags: Vec<&str> = after.tags.iter().map(|t| t.slug.as_str()).collect();
    assert_eq!(tags, ["iran"]);
    // The same copy again, or an older one, changes nothing.
    assert_eq!(
        import(&newer, WhenStored::UpdateIfNewer).await,
        [ImportOutcome::AlreadyThere]
    );
    assert_eq!(
        import(&imported, WhenStored::UpdateIfNewer).await,
        [ImportOutcome::AlreadyThere]
    );
    assert_eq!(
        stored("floods").await.unwrap().headline,
        "Floods: the toll rises"
    );
    // Renamed on the old site: found by its previous slug, renamed here too.
    let renamed = PortableArticle {
        slug: Slug::parse("floods-toll").unwrap(),
        previous_slugs: vec![Slug::parse("floods").unwrap()],
        updated_at: at(60),
        ..newer.clone()
    };
    assert_eq!(
        import(&renamed, WhenStored::UpdateIfNewer).await,
        [ImportOutcome::Updated]
    );
    assert!(stored("floods").await.is_none());
    assert_eq!(stored("floods-toll").await.unwrap().id, id);
    // Another article's previous slug with another creation time is not this one.
    let stranger = PortableArticle {
        slug: Slug::parse("stranger").unwrap(),
        previous_slugs: vec![Slug::parse("floods-toll").unwrap()],
        ..portable_article("stranger", 70)
    };
    assert_eq!(
        import(&stranger, WhenStored::UpdateIfNewer).await,
        [ImportOutcome::Added]
    );
    assert_eq!(stored("floods-toll").await.unwrap().id, id);
    // Edited in the newsroom (it has revisions): a newer copy leaves it as it is.
    let budget = stored("budget").await.unwrap();
    let changed = PortableArticle {
        headline: "Changed on the old site".into(),
        updated_at: at(100),
        ..portable_article("budget", 0)
    };
    assert_eq!(
        import(&changed, WhenStored::UpdateIfNewer).await,
        [ImportOutcome::EditedHere]
    );
    assert_eq!(stored("budget").await.unwrap().headline, budget.headline);
}

async fn replacing_a_body_changes_nothing_else_and_is_announced(store: &dyn PortableStore) {
    store
        .import(&publication(), WhenStored::Keep)
        .await
        .unwrap();
    let id = store
        .article_ids(&[Slug::parse("budget").unwrap(), Slug::parse("none").unwrap()])
        .await
        .unwrap();
    assert_eq!(id.len(), 1);
    let id = id[0].1;
    let before = store.article_by_id(id).await.unwrap().unwrap();
    let heard = Arc::new(Heard::default());
    store.add_change_observer(heard.clone());
    assert!(
        store
            .replace_body(id, "New.\n", "<p>New.</p>\n")
            .await
            .unwrap()
    );
    let after = store.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(
        (after.body.as_str(), after.body_html.as_str()),
        ("New.\n", "<p>New.</p>\n")
    );
    assert_eq!(after.updated_at, before.updated_at);
    assert_eq!(after.headline, before.headline);
    let keys: BTreeSet<CacheKey> = heard.take().into_iter().flat_map(|c| c.keys).collect();
    assert!(keys.contains(&CacheKey::Article(id)), "{keys:?}");
    assert!(
        !store
            .replace_body(ArticleId(id.0 + 1000), "x", "x")
            .await
            .unwrap()
    );
}

async fn a_backup_copy_holds_what_was_committed(store: &SqlStore) {
    if store.backend() == Backend::Postgres && !tool_on_path("pg_dump") {
        dateline_store::testing::skipped(
            "a_backup_copy_holds_what_was_committed",
            "pg_dump is not on PATH",
        );
        return;
    }
    store
        .import(&publication(), WhenStored::Keep)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let copy = store.copy_database(dir.path()).await.unwrap();
    assert_eq!(copy.counts, PortableStore::counts(store).await.unwrap());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [copy.file], "only the finished copy is left");
    if store.backend() == Backend::Sqlite {
        let url = dateline_store::DatabaseUrl::parse(&format!(
            "sqlite:{}",
            dir.path().join(copy.file).display()
        ))
        .unwrap();
        let copied = SqlStore::connect(&url).await.unwrap();
        assert_eq!(PortableStore::counts(&copied).await.unwrap(), copy.counts);
        copied.close().await;
    }
}

fn tool_on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}
