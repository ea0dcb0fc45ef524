//! The wire desk in the newsroom: who may see what, the desk's rows and filters, an item's
//! versions and their word-level comparison, a draft started from a version (with the version it
//! used recorded), providers added and changed by editors, uploads read or kept with a reason.

use dateline_domain::wire::{IncomingVersion, ItemStatus, ProviderId, VersionSignal};
use dateline_domain::{
    ArticleId, ArticleStore, AttributionMode, LabelStore, RevisionNumber, Role, Source, Store,
    WireStore, WorkflowStore,
};
use dateline_services::newsroom;
use dateline_services::wire::{self, ProviderForm};
use reqwest::StatusCode;

use crate::harness::{TestApp, attrs, on_both_backends, reference_day, texts};
use crate::newsroom_media::upload_to;

on_both_backends!(
    the_desk_is_for_the_newsroom_and_providers_for_editors,
    the_desk_lists_items_with_their_state_and_one_row_per_text,
    an_items_versions_are_compared_word_by_word,
    a_draft_from_a_version_keeps_its_text_and_remembers_the_version,
    editors_add_change_pause_and_upload_to_providers,
    a_kill_takes_every_article_built_on_the_item_down_at_once,
    under_the_alert_policy_a_kill_waits_for_one_click,
    an_article_on_an_embargoed_item_waits_for_the_embargo,
    a_second_agency_added_as_source_reaches_the_article_too,
    uploads_past_two_at_once_are_told_to_come_back,
);

pub(crate) async fn provider(store: &dyn Store, code: &str) -> ProviderId {
    wire::add_provider(
        store,
        &ProviderForm {
            code: code.to_owned(),
            name: format!("{code} agency"),
            ..ProviderForm::default()
        },
        reference_day(),
    )
    .await
    .unwrap()
    .id
}

pub(crate) fn version(item: &str, label: &str, minute: i64, body: &str) -> IncomingVersion {
    IncomingVersion {
        item_id: item.to_owned(),
        version: Some(label.to_owned()),
        version_created: Some(reference_day() - chrono::Duration::minutes(60 - minute)),
        first_created: None,
        status: ItemStatus::Usable,
        signal: VersionSignal::New,
        embargoed_until: None,
        expires: None,
        language: None,
        headline: format!("Floods in Sindh, version {label}"),
        standfirst: "Rescue work goes on.".to_owned(),
        body_html: format!("<p>{body}</p><p>Officials said more rain was expected.</p>"),
        dateline: Some("KARACHI, Apr 16 (APP)".to_owned()),
        byline: None,
        link: None,
        keywords: vec![],
        urgency: None,
    }
}

/// The revision an editor looking at article `id` sees.
pub(crate) async fn seen(app: &TestApp, id: ArticleId) -> Option<RevisionNumber> {
    Some(app.store.workflow(id).await.unwrap().unwrap().revision)
}

pub(crate) async fn ingest(app: &TestApp, provider: ProviderId, versions: &[IncomingVersion]) {
    app.store
        .ingest(provider, None, versions, "en", reference_day())
        .await
        .unwrap();
}

async fn item_id(app: &TestApp, provider: ProviderId, agency_id: &str) -> i64 {
    app.store
        .wire_item_by_agency_id(provider, agency_id)
        .await
        .unwrap()
        .unwrap()
        .row
        .id
        .0
}

async fn the_desk_is_for_the_newsroom_and_providers_for_editors(app: TestApp) {
    let app_id = provider(app.store.as_ref(), "APP").await;
    ingest(&app, app_id, &[version("a", "1", 1, "Ten people died.")]).await;
    let item = item_id(&app, app_id, "a").await;
    // Anonymous: the sign-in page, for every page of the desk.
    for path in [
        "/admin/wire".to_owned(),
        format!("/admin/wire/items/{item}"),
        "/admin/wire/providers".to_owned(),
        format!("/admin/wire/providers/{}", app_id.0),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        let location = response.headers()["location"].to_str().unwrap();
        assert!(location.starts_with("/admin/login"), "{path}: {location}");
    }
    let contributor = app.account("Kiran Contributor", Role::Contributor).await;
    let desk = app.sign_in(&contributor).await;
    let (status, page) = desk.page("/admin/wire").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        texts(&page, "table.wire td a"),
        ["Floods in Sindh, version 1"]
    );
    assert!(
        texts(&page, "a[href='/admin/wire/providers']").is_empty(),
        "no providers link"
    );
    let (status, _) = desk.page(&format!("/admin/wire/items/{item}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = desk.page("/admin/wire/providers").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let refused = desk
        .post("/admin/wire/providers", &[("code", "AFP"), ("name", "AFP")])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = desk
        .post(&format!("/admin/wire/providers/{}/pause", app_id.0), &[])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.providers().await.unwrap().len(), 1);
    assert!(!app.store.provider(app_id).await.unwrap().unwrap().paused);
    // Ids that name nothing, or are not ids: our 404.
    for path in [
        "/admin/wire/items/999999",
        "/admin/wire/items/abc",
        "/admin/wire/items/1?version=x",
    ] {
        let (status, _) = desk.page(path).await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST,
            "{path}: {status}"
        );
    }
    // Malformed filters: a clear 400, never a 500.
    for query in [
        "hours=-1",
        "hours=abc",
        "status=dead",
        "provider=NOPE",
        "after=1",
        "language=%00",
    ] {
        let (status, _) = desk.page(&format!("/admin/wire?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
    }
}

async fn the_desk_lists_items_with_their_state_and_one_row_per_text(app: TestApp) {
    let app_id = provider(app.store.as_ref(), "APP").await;
    let afp = provider(app.store.as_ref(), "AFP").await;
    let mut killed = version("k", "1", 5, "A story that was wrong.");
    killed.status = ItemStatus::Canceled;
    killed.headline = "Killed story".to_owned();
    let mut urdu = version("u", "1", 6, "کراچی میں بارش");
    urdu.language = Some("ur".to_owned());
    urdu.headline = "سندھ میں سیلاب".to_owned();
    ingest(
        &app,
        app_id,
        &[
            version("a", "1", 1, "Ten people died."),
            version("a", "2", 2, "Twelve people died."),
            killed,
            urdu,
        ],
    )
    .await;
    // AFP sent the same text as APP's second version: one row, "also from".
    let mut copy = version("afp-1", "1", 3, "Twelve people died.");
    copy.headline = "AFP: Floods in Sindh".to_owned();
    copy.dateline = None;
    ingest(&app, afp, &[copy]).await;
    let editor = app.account("Eda Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let (_, page) = desk.page("/admin/wire").await;
    let rows = texts(&page, "table.wire tbody tr");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows[0].contains("سندھ میں سیلاب"), "{rows:?}");
    assert_eq!(attrs(&page, "table.wire a[lang=ur]", "dir"), ["rtl"]);
    assert!(
        rows[1].contains("Killed story") && rows[1].contains("Killed"),
        "{rows:?}"
    );
    let copy_row = rows.iter().find(|r| r.contains("Sindh")).unwrap();
    assert!(copy_row.contains("also from: "), "{rows:?}");
    assert!(
        copy_row.contains("Updated (2 versions)") || copy_row.contains("AFP"),
        "{rows:?}"
    );
    // Filters.
    let (_, page) = desk.page("/admin/wire?status=canceled").await;
    assert_eq!(texts(&page, "table.wire td a"), ["Killed story"]);
    let (_, page) = desk.page("/admin/wire?provider=afp").await;
    assert_eq!(texts(&page, "table.wire td a"), ["AFP: Floods in Sindh"]);
    let (_, page) = desk.page("/admin/wire?language=ur").await;
    assert_eq!(texts(&page, "table.wire td a"), ["سندھ میں سیلاب"]);
    let (_, page) = desk.page("/admin/wire?q=KILLED").await;
    assert_eq!(texts(&page, "table.wire td a"), ["Killed story"]);
    // A query string on the page, junk included, changes nothing it does not name.
    let (status, page) = desk.page("/admin/wire?utm_source=x&q=").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(texts(&page, "table.wire tbody tr").len(), 3);
}

async fn an_items_versions_are_compared_word_by_word(app: TestApp) {
    let app_id = provider(app.store.as_ref(), "APP").await;
    ingest(
        &app,
        app_id,
        &[
            version("a", "1", 1, "Ten people died in Hyderabad."),
            version("a", "2", 2, "Twelve people died in Hyderabad."),
        ],
    )
    .await;
    let item = app
        .store
        .wire_item_by_agency_id(app_id, "a")
        .await
        .unwrap()
        .unwrap();
    let (new, old) = (item.versions[0].id.0, item.versions[1].id.0);
    let author = app.account("Ali Author", Role::Author).await;
    let desk = app.sign_in(&author).await;
    let (status, page) = desk
        .page(&format!(
            "/admin/wire/items/{}?from={old}&to={new}",
            item.row.id.0
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let removed = texts(&page, ".diff-text del").join(" ");
    let added = texts(&page, ".diff-text ins").join(" ");
    assert!(
        removed.contains("Ten") && !removed.contains("Hyderabad"),
        "{removed}"
    );
    assert!(
        added.contains("Twelve") && !added.contains("Hyderabad"),
        "{added}"
    );
    assert_eq!(texts(&page, "table.versions tbody tr").len(), 2);
    // A version of another item is no version of this one.
    ingest(&app, app_id, &[version("b", "1", 3, "Other.")]).await;
    let other = app
        .store
        .wire_item_by_agency_id(app_id, "b")
        .await
        .unwrap()
        .unwrap();
    let (status, _) = desk
        .page(&format!(
            "/admin/wire/items/{}?from={}&to={new}",
            item.row.id.0, other.versions[0].id.0
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_draft_from_a_version_keeps_its_text_and_remembers_the_version(app: TestApp) {
    let app_id = provider(app.store.as_ref(), "APP").await;
    ingest(&app, app_id, &[version("a", "1", 1, "Ten people *died*.")]).await;
    let item = app
        .store
        .wire_item_by_agency_id(app_id, "a")
        .await
        .unwrap()
        .unwrap();
    let used = item.versions[0].id;
    let contributor = app.account("Kiran Contributor", Role::Contributor).await;
    let desk = app.sign_in(&contributor).await;
    let section = app.store.sections().await.unwrap().remove(0).name;
    let response = desk
        .post(
            &format!("/admin/wire/items/{}/article", item.row.id.0),
            &[("version", &used.0.to_string()), ("section", &section)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let article = ArticleId(
        location
            .trim_start_matches("/admin/articles/")
            .parse()
            .unwrap(),
    );
    let stored = app.store.article_by_id(article).await.unwrap().unwrap();
    assert_eq!(stored.headline, "Floods in Sindh, version 1");
    assert_eq!(stored.standfirst, "Rescue work goes on.");
    assert!(
        stored.body.contains("Ten people \\*died\\*."),
        "{}",
        stored.body
    );
    assert!(
        !stored.body.contains("KARACHI"),
        "the dateline stays off the body"
    );
    assert_eq!(
        stored.source,
        Some(Source::single("APP", AttributionMode::AsReceived)),
        "copy run as received from the item's agency"
    );
    let sources = app.store.article_sources(article).await.unwrap();
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].version.id, used);
    assert_eq!(
        app.store.articles_built_on(item.row.id).await.unwrap(),
        [article]
    );
    // Of many items, the one in use is found in one question (past one chunk of 500 too).
    let mut many: Vec<_> = (1..=1_200)
        .map(|n| dateline_domain::wire::WireItemId(item.row.id.0 + n))
        .collect();
    many.insert(700, item.row.id);
    assert_eq!(app.store.items_in_use(&many).await.unwrap(), [item.row.id]);
    assert!(app.store.items_in_use(&[]).await.unwrap().is_empty());
    // The item page links the draft.
    let (_, page) = desk
        .page(&format!("/admin/wire/items/{}", item.row.id.0))
        .await;
    assert!(
        attrs(&page, "a", "href").contains(&location),
        "draft linked"
    );
    // A killed item is not used.
    let mut killed = version("a", "2", 2, "Withdrawn.");
    killed.status = ItemStatus::Canceled;
    ingest(&app, app_id, &[killed]).await;
    let item = app
        .store
        .wire_item_by_agency_id(app_id, "a")
        .await
        .unwrap()
        .unwrap();
    let refused = desk
        .post(
            &format!("/admin/wire/items/{}/article", item.row.id.0),
            &[
                ("version", &item.versions[0].id.0.to_string()),
                ("section", &section),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    // Without the CSRF token: refused, nothing made.
    let before = app
        .store
        .articles_built_on(item.row.id)
        .await
        .unwrap()
        .len();
    let forged = desk
        .post_raw(
            &format!("/admin/wire/items/{}/article", item.row.id.0),
            &[("version", &used.0.to_string()), ("section", &section)],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.store
            .articles_built_on(item.row.id)
            .await
            .unwrap()
            .len(),
        before
    );
}

async fn editors_add_change_pause_and_upload_to_providers(app: TestApp) {
    let editor = app.account("Eda Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let response = desk
        .post(
            "/admin/wire/providers",
            &[
                ("code", "app"),
                ("name", "Associated Press of Pakistan"),
                ("kind", "rss"),
                ("url", "https://www.app.com.pk/feed/"),
                ("credentials", "gvs:s3cret-password"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let (status, page) = desk.page(&location).await;
    assert_eq!(status, StatusCode::OK);
    let html = page.html();
    assert!(!html.contains("s3cret"), "credentials are never shown back");
    assert!(html.contains("Credentials are stored"));
    // Bad forms: 422 with every problem, typed values kept (credentials not), nothing stored.
    let refused = desk
        .post(
            "/admin/wire/providers",
            &[
                ("code", "A P"),
                ("name", ""),
                ("kind", "ninjs"),
                ("credentials", "hunter2"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.text().await.unwrap();
    assert!(body.contains("code") && body.contains("feed"), "{body}");
    assert!(!body.contains("hunter2"));
    assert_eq!(app.store.providers().await.unwrap().len(), 1);
    let id = app.store.providers().await.unwrap()[0].id;
    // Change, keeping the credentials.
    let saved = desk
        .post(
            &location,
            &[
                ("code", "APP"),
                ("name", "APP"),
                ("kind", "rss"),
                ("url", "https://www.app.com.pk/feed/"),
                ("poll_interval_secs", "600"),
                ("credentials", ""),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let p = app.store.provider(id).await.unwrap().unwrap();
    assert_eq!(p.poll_interval_secs, 600);
    assert_eq!(
        app.store.provider_credentials(id).await.unwrap().as_deref(),
        Some("gvs:s3cret-password")
    );
    // Pause and resume.
    let paused = desk.post(&format!("{location}/pause"), &[]).await;
    assert_eq!(paused.status(), StatusCode::SEE_OTHER);
    assert!(app.store.provider(id).await.unwrap().unwrap().paused);
    desk.post(&format!("{location}/resume"), &[]).await;
    assert!(!app.store.provider(id).await.unwrap().unwrap().paused);
    // Uploads: one that reads, one that does not (kept, with its reason).
    let fixture = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/standards/ninjs/examples/3.0_dpa_text.json"),
    )
    .unwrap();
    let target = format!("{location}/upload");
    let read = upload_to(&desk, &target, &fixture, "dpa.json", &[], None).await;
    assert_eq!(read.status(), StatusCode::OK);
    let body = read.text().await.unwrap();
    assert!(body.contains("Read dpa.json as ninjs"), "{body}");
    let bad = upload_to(
        &desk,
        &target,
        b"<html><body>Sign in</body></html>",
        "login.html",
        &[],
        None,
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = bad.text().await.unwrap();
    assert!(body.contains("login.html could not be read"), "{body}");
    let payloads = app.store.payloads(id, 10).await.unwrap();
    assert_eq!(payloads.len(), 2);
    assert!(
        payloads
            .iter()
            .any(|p| p.error.as_deref().is_some_and(|e| e.contains("HTML")))
    );
}

/// A provider with `policy`, an item from it, and a published article built on the item's
/// first version; the article's public address.
pub(crate) async fn published_from_wire(
    app: &TestApp,
    policy: &str,
) -> (dateline_domain::wire::Provider, ArticleId, String) {
    let provider = wire::add_provider(
        app.store.as_ref(),
        &ProviderForm {
            code: "APP".to_owned(),
            name: "Associated Press of Pakistan".to_owned(),
            kill_policy: policy.to_owned(),
            ..ProviderForm::default()
        },
        reference_day(),
    )
    .await
    .unwrap();
    ingest(
        app,
        provider.id,
        &[version("a", "1", 1, "Ten people died.")],
    )
    .await;
    let item = app
        .store
        .wire_item_by_agency_id(provider.id, "a")
        .await
        .unwrap()
        .unwrap();
    let editor = app.account("Eda Editor", Role::Editor).await;
    let section = app.store.sections().await.unwrap().remove(0).name;
    let now = app.clock_now();
    let article = wire::draft_from_version(
        app.store.as_ref(),
        &editor,
        item.versions[0].id,
        &section,
        now,
    )
    .await
    .unwrap();
    newsroom::publish(
        app.store.as_ref(),
        &editor,
        article,
        seen(app, article).await,
        now,
    )
    .await
    .unwrap();
    let slug = app
        .store
        .article_by_id(article)
        .await
        .unwrap()
        .unwrap()
        .slug;
    let path = format!("/{}", slug.as_str());
    assert_eq!(app.get(&path).await.status(), StatusCode::OK);
    (provider, article, path)
}

/// Sends a new version of item "a" as a payload through the services, as ingest does.
pub(crate) async fn send(
    app: &TestApp,
    provider: &dateline_domain::wire::Provider,
    v: IncomingVersion,
) {
    let json = serde_json::json!({
        "uri": v.item_id,
        "version": v.version,
        "versioncreated": v.version_created.map(|t| t.to_rfc3339()),
        "pubstatus": v.status.as_str(),
        "headline": v.headline,
        "body_html": v.body_html,
        "ednote": if v.signal == VersionSignal::Correction { "Correction: the death toll" } else { "" },
    });
    let report = wire::ingest_payload(
        app.store.as_ref(),
        provider,
        "test",
        json.to_string().as_bytes(),
        app.clock_now(),
    )
    .await
    .expect("ingest");
    assert_eq!(report.read, 1, "{json}: {report:?}");
}

async fn a_kill_takes_every_article_built_on_the_item_down_at_once(app: TestApp) {
    let (provider, article, path) = published_from_wire(&app, "take-down").await;
    let feed_before = app.get("/feed.xml").await.text().await.unwrap();
    assert!(feed_before.contains("Floods in Sindh"));
    let mut kill = version("a", "2", 2, "Withdrawn.");
    kill.status = ItemStatus::Canceled;
    send(&app, &provider, kill.clone()).await;
    assert_eq!(app.get(&path).await.status(), StatusCode::GONE);
    let feed = app.get("/feed.xml").await.text().await.unwrap();
    assert!(!feed.contains("Floods in Sindh"), "out of the feed");
    let alerts = app.store.article_alerts(article).await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].kind, dateline_domain::wire::AlertKind::TakenDown);
    // The audit log says the wire desk did it.
    let editor = app.account("Amna Admin", Role::Admin).await;
    let desk = app.sign_in(&editor).await;
    let (_, page) = desk.page("/admin/audit").await;
    let rows = texts(&page, "table.audit tbody tr");
    assert!(
        rows.iter()
            .any(|r| r.contains("Wire desk") && r.contains("taken down: source killed")),
        "{rows:?}"
    );
    // The same kill again: nothing more.
    send(&app, &provider, kill).await;
    assert_eq!(app.store.article_alerts(article).await.unwrap().len(), 1);
}

async fn under_the_alert_policy_a_kill_waits_for_one_click(app: TestApp) {
    let (provider, article, path) = published_from_wire(&app, "alert").await;
    // An update and a correction: alerts, the page stays.
    send(&app, &provider, version("a", "2", 2, "Twelve people died.")).await;
    let mut correction = version("a", "3", 3, "Eleven people died.");
    correction.signal = VersionSignal::Correction;
    send(&app, &provider, correction).await;
    let kinds: Vec<_> = app
        .store
        .article_alerts(article)
        .await
        .unwrap()
        .iter()
        .map(|a| a.kind.as_str())
        .collect();
    assert!(
        kinds.contains(&"updated") && kinds.contains(&"corrected"),
        "{kinds:?}"
    );
    let mut kill = version("a", "4", 4, "Withdrawn.");
    kill.status = ItemStatus::Canceled;
    send(&app, &provider, kill).await;
    assert_eq!(
        app.get(&path).await.status(),
        StatusCode::OK,
        "not taken down by itself"
    );
    let editor = app.account("Eda Editor 2", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let (_, page) = desk.page("/admin/wire").await;
    assert!(
        texts(&page, ".alerts li.urgent")
            .iter()
            .any(|t| t.contains("killed its source"))
    );
    // Each alert shows what changed: the version used against the one that raised it.
    let links = attrs(&page, ".alerts a[href^='/admin/wire/items/']", "href");
    assert!(
        links
            .iter()
            .all(|l| l.contains("from=") && l.contains("to=")),
        "{links:?}"
    );
    let (status, compared) = desk.page(&links[0]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !texts(&compared, ".diff-text").is_empty(),
        "a comparison is shown"
    );
    let take_down = attrs(&page, ".alerts form[action$='/take-down']", "action");
    assert_eq!(take_down.len(), 1, "one click");
    // A contributor sees the alert but cannot take the article down.
    let contributor = app.account("Kiran Contributor", Role::Contributor).await;
    let other = app.sign_in(&contributor).await;
    let refused = other.post(&take_down[0], &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get(&path).await.status(), StatusCode::OK);
    let done = desk.post(&take_down[0], &[]).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&path).await.status(), StatusCode::GONE);
    let open: Vec<_> = app
        .store
        .open_alerts(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.kind == dateline_domain::wire::AlertKind::Killed)
        .collect();
    assert!(open.is_empty());
}

async fn an_article_on_an_embargoed_item_waits_for_the_embargo(app: TestApp) {
    let provider = provider(app.store.as_ref(), "APP").await;
    let now = app.clock_now();
    let mut embargoed = version("e", "1", 1, "Budget figures.");
    embargoed.embargoed_until = Some(now + chrono::Duration::hours(2));
    ingest(&app, provider, &[embargoed]).await;
    let item = app
        .store
        .wire_item_by_agency_id(provider, "e")
        .await
        .unwrap()
        .unwrap();
    let editor = app.account("Eda Editor", Role::Editor).await;
    let section = app.store.sections().await.unwrap().remove(0).name;
    let article = wire::draft_from_version(
        app.store.as_ref(),
        &editor,
        item.versions[0].id,
        &section,
        now,
    )
    .await
    .unwrap();
    let refused = newsroom::publish(
        app.store.as_ref(),
        &editor,
        article,
        seen(&app, article).await,
        now,
    )
    .await;
    assert!(
        matches!(&refused, Err(dateline_services::ServiceError::WrongState(m)) if m.contains("embargo")),
        "{refused:?}"
    );
    let too_early = newsroom::schedule(
        app.store.as_ref(),
        &editor,
        article,
        seen(&app, article).await,
        now + chrono::Duration::hours(1),
        now,
    )
    .await;
    assert!(too_early.is_err(), "{too_early:?}");
    newsroom::schedule(
        app.store.as_ref(),
        &editor,
        article,
        seen(&app, article).await,
        now + chrono::Duration::hours(2),
        now,
    )
    .await
    .expect("at the embargo's end");
    // The agency lifts the embargo: publishing at once is allowed.
    let mut lifted = version("e", "2", 2, "Budget figures.");
    lifted.embargoed_until = None;
    ingest(&app, provider, &[lifted]).await;
    newsroom::publish(
        app.store.as_ref(),
        &editor,
        article,
        seen(&app, article).await,
        now,
    )
    .await
    .expect("lifted");
}

async fn a_second_agency_added_as_source_reaches_the_article_too(app: TestApp) {
    let (app_provider, article, path) = published_from_wire(&app, "take-down").await;
    let reuters = provider(app.store.as_ref(), "REUTERS").await;
    ingest(
        &app,
        reuters,
        &[version("r-1", "1", 1, "Reuters on the floods.")],
    )
    .await;
    let item = app
        .store
        .wire_item_by_agency_id(reuters, "r-1")
        .await
        .unwrap()
        .unwrap();
    let form_path = format!("/admin/wire/items/{}/source", item.row.id.0);
    let version = item.versions[0].id.0.to_string();
    // A contributor may not touch an editor's article: the same 404 as for no article.
    let contributor = app.account("Kiran Contributor", Role::Contributor).await;
    let other = app.sign_in(&contributor).await;
    let refused = other
        .post(
            &form_path,
            &[("version", &version), ("article", &article.0.to_string())],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let bad = other
        .post(&form_path, &[("version", &version), ("article", "twelve")])
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.store.article_sources(article).await.unwrap().len(), 1);
    // The editor adds it; twice changes nothing.
    let editor = app.account("Eda Editor 2", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    for _ in 0..2 {
        let added = desk
            .post(
                &form_path,
                &[
                    ("version", &version),
                    ("article", &format!("#{}", article.0)),
                ],
            )
            .await;
        assert_eq!(added.status(), StatusCode::SEE_OTHER);
    }
    let sources = app.store.article_sources(article).await.unwrap();
    let codes: Vec<_> = sources
        .iter()
        .map(|s| s.provider_code.to_string())
        .collect();
    assert_eq!(codes, ["APP", "REUTERS"]);
    // Reuters kills its item: the article comes down.
    let reuters_provider = app.store.provider(reuters).await.unwrap().unwrap();
    let mut kill = version_for("r-1", "2");
    kill.status = ItemStatus::Canceled;
    send(&app, &reuters_provider, kill).await;
    assert_eq!(app.get(&path).await.status(), StatusCode::GONE);
    let _ = app_provider;
}

fn version_for(item: &str, label: &str) -> IncomingVersion {
    version(item, label, 2, "Withdrawn.")
}

/// Starts an upload to `path` that sends its head and the first bytes of its body, then stalls;
/// the connection, kept open.
async fn stalled_upload(app: &TestApp, session: &str, path: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let boundary = "----stalledBoundary";
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nCookie: dateline_session={session}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 4000000\r\n\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.json\"\r\n\r\n[",
        app.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    stream
}

async fn uploads_past_two_at_once_are_told_to_come_back(app: TestApp) {
    let p = provider(app.store.as_ref(), "APP").await;
    let editor = app.account("Eda Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let path = format!("/admin/wire/providers/{}/upload", p.0);
    // Two uploads hold both places, their files still arriving.
    let first = stalled_upload(&app, &desk.session, &path).await;
    let second = stalled_upload(&app, &desk.session, &path).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // A third waits its few seconds for a place, then is told to come back.
    let json = serde_json::json!({"uri": "app-1", "headline": "Floods"}).to_string();
    let busy = upload_to(&desk, &path, json.as_bytes(), "one.json", &[], None).await;
    assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(busy.headers().contains_key("retry-after"));
    assert!(
        app.store.payloads(p, 10).await.unwrap().is_empty(),
        "nothing stored"
    );
    // The stalled ones go away: the next upload is taken.
    drop((first, second));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let taken = upload_to(&desk, &path, json.as_bytes(), "one.json", &[], None).await;
    assert_eq!(taken.status(), StatusCode::OK, "{:?}", taken.text().await);
    assert_eq!(app.store.payloads(p, 10).await.unwrap().len(), 1);
}
