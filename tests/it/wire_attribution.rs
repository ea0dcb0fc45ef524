//! Attribution as data: the line readers see is made from an article's agencies and the mode an
//! editor picked; adding an agency's item as a source credits the agency; the article is served
//! as IPTC ninjs 3.2 with its sources (validated against IPTC's schema); and what an agency
//! changes later reaches the article's editor, with the comparison, a correction ready to
//! publish, and one click to deal with it.

use dateline_domain::wire::{AlertKind, VersionSignal};
use dateline_domain::{
    ArticleId, ArticleStore, AttributionMode, Role, SiteStore, Source, WireStore,
};
use dateline_services::{newsroom, wire};
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::Value;

use crate::harness::{Desk, TestApp, attrs, on_both_backends, texts};
use crate::syndication::json_ld;
use crate::wire_desk::{ingest, published_from_wire, send, version};

on_both_backends!(
    the_line_follows_the_mode_and_names_every_agency,
    an_article_is_served_as_ninjs_with_its_sources,
    what_the_agency_changes_reaches_the_articles_editor,
);

/// Every field of the editor form as the page fills it.
fn editor_fields(page: &Html) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let inputs = Selector::parse("#editor input[name]:not([type=checkbox])").unwrap();
    for input in page.select(&inputs) {
        let name = input.attr("name").unwrap();
        if name != "csrf" {
            fields.push((
                name.to_owned(),
                input.attr("value").unwrap_or("").to_owned(),
            ));
        }
    }
    let areas = Selector::parse("#editor textarea[name]").unwrap();
    for area in page.select(&areas) {
        fields.push((
            area.attr("name").unwrap().to_owned(),
            area.text().collect::<String>(),
        ));
    }
    let selects = Selector::parse("#editor select[name]").unwrap();
    let selected = Selector::parse("option[selected]").unwrap();
    for select in page.select(&selects) {
        let value = select
            .select(&selected)
            .next()
            .and_then(|o| o.attr("value"))
            .unwrap_or("");
        fields.push((select.attr("name").unwrap().to_owned(), value.to_owned()));
    }
    fields
}

/// Saves the article through its editor form with `changes`, and publishes what was saved.
async fn save_and_publish(desk: &Desk<'_>, article: ArticleId, changes: &[(&str, &str)]) {
    let path = format!("/admin/articles/{article}");
    let (status, page) = desk.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    let mut fields = editor_fields(&page);
    for (name, value) in changes {
        fields.retain(|(n, _)| n != name);
        fields.push(((*name).to_owned(), (*value).to_owned()));
    }
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let saved = desk.post(&path, &pairs).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER, "saved");
    let (_, page) = desk.page(&path).await;
    let revision = attrs(&page, "#editor input[name=base]", "value").remove(0);
    let published = desk
        .post(
            &format!("{path}/publish"),
            &[("revision", revision.as_str())],
        )
        .await;
    assert_eq!(published.status(), StatusCode::SEE_OTHER, "published");
}

/// Adds the first version of a new Reuters item to `article` as a source, as an editor on the
/// desk does.
async fn add_reuters(app: &TestApp, desk: &Desk<'_>, article: ArticleId) {
    let reuters = wire::add_provider(
        app.store.as_ref(),
        &wire::ProviderForm {
            code: "RTRS".to_owned(),
            name: "Thomson Reuters".to_owned(),
            attribution: "Reuters".to_owned(),
            ..wire::ProviderForm::default()
        },
        app.clock_now(),
    )
    .await
    .unwrap();
    ingest(
        app,
        reuters.id,
        &[version("r-1", "1", 1, "Reuters on the floods.")],
    )
    .await;
    let item = app
        .store
        .wire_item_by_agency_id(reuters.id, "r-1")
        .await
        .unwrap()
        .unwrap();
    let added = desk
        .post(
            &format!("/admin/wire/items/{}/source", item.row.id.0),
            &[
                ("version", &item.versions[0].id.0.to_string()),
                ("article", &article.0.to_string()),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
}

async fn the_line_follows_the_mode_and_names_every_agency(app: TestApp) {
    let (_, article, path) = published_from_wire(&app, "take-down").await;
    let (_, page) = app.page(&path).await;
    assert_eq!(texts(&page, ".attribution"), ["Via APP"], "as received");
    let editor = app.account("Eda Editor 3", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    add_reuters(&app, &desk, article).await;
    // The agency is credited in the working copy; readers see it once the update goes out.
    let working = newsroom::open(app.store.as_ref(), &editor, article)
        .await
        .unwrap()
        .draft;
    assert_eq!(
        working.source,
        Some(Source {
            agencies: vec!["APP".into(), "Reuters".into()],
            mode: AttributionMode::AsReceived,
        })
    );
    let (_, page) = app.page(&path).await;
    assert_eq!(texts(&page, ".attribution"), ["Via APP"]);
    let (_, form) = desk.page(&format!("/admin/articles/{article}")).await;
    assert_eq!(
        attrs(&form, "#editor input[name=source_agencies]", "value"),
        ["APP, Reuters"]
    );
    assert_eq!(
        attrs(
            &form,
            "#editor select[name=source_mode] option[selected]",
            "value"
        ),
        ["as-received"]
    );
    // The editor says the copy was rewritten: the line and the JSON-LD follow.
    save_and_publish(&desk, article, &[("source_mode", "edited")]).await;
    let (_, page) = app.page(&path).await;
    assert_eq!(
        texts(&page, ".attribution"),
        ["With inputs from APP and Reuters"]
    );
    let ld = json_ld(&page);
    let news = ld
        .iter()
        .find(|v| v["@type"] == "NewsArticle")
        .expect("NewsArticle JSON-LD");
    assert_eq!(news["creditText"], "With inputs from APP and Reuters");
    let names: Vec<&str> = news["sourceOrganization"]
        .as_array()
        .expect("one organisation per agency")
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["APP", "Reuters"]);
    // With the newsroom's own reporting added.
    save_and_publish(&desk, article, &[("source_mode", "additional-inputs")]).await;
    let (_, page) = app.page(&path).await;
    assert_eq!(
        texts(&page, ".attribution"),
        ["Via APP and Reuters with additional inputs from GVS"]
    );
    // No agencies: the newsroom's own reporting, no line at all.
    save_and_publish(&desk, article, &[("source_agencies", "")]).await;
    let (_, page) = app.page(&path).await;
    assert!(texts(&page, ".attribution").is_empty());
}

/// IPTC's ninjs 3.2 schema, with the GeoJSON schema it refers to, from `../shared/standards`.
fn ninjs_validator() -> jsonschema::Validator {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/standards/ninjs");
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    let registry = jsonschema::Registry::new()
        .add(
            "https://geojson.org/schema/GeoJSON.json",
            read("GeoJSON-schema.json"),
        )
        .unwrap()
        .prepare()
        .unwrap();
    jsonschema::options()
        .with_registry(&registry)
        .should_validate_formats(true)
        .build(&read("ninjs-schema_3.2.json"))
        .expect("IPTC's schema compiles")
}

fn schema_errors(validator: &jsonschema::Validator, document: &Value) -> Vec<String> {
    validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

async fn an_article_is_served_as_ninjs_with_its_sources(app: TestApp) {
    let validator = ninjs_validator();
    let (provider, article, path) = published_from_wire(&app, "take-down").await;
    let site = app.store.site_settings().await.unwrap().unwrap();
    let editor = app.account("Eda Editor 3", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    add_reuters(&app, &desk, article).await;
    save_and_publish(&desk, article, &[("source_mode", "edited")]).await;
    let ninjs_path = format!("{path}.ninjs");
    for asked in [
        ninjs_path.clone(),
        format!("{ninjs_path}?utm_source=x&x=%00"),
    ] {
        let response = app.get(&asked).await;
        assert_eq!(response.status(), StatusCode::OK, "{asked}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json; charset=utf-8"
        );
        let document: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        let errors = schema_errors(&validator, &document);
        assert!(errors.is_empty(), "{errors:#?}\n{document:#}");
        assert!(document["uri"].as_str().unwrap().ends_with(&path));
        assert_eq!(document["standard"]["version"], "3.2");
        assert_eq!(
            document["headlines"][0]["value"],
            "Floods in Sindh, version 1"
        );
        assert!(
            document["bodies"][0]["value"]
                .as_str()
                .unwrap()
                .contains("Ten people died."),
            "{document:#}"
        );
        let sources: Vec<(&str, &str)> = document["infoSources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["name"].as_str().unwrap(), s["role"].as_str().unwrap()))
            .collect();
        assert_eq!(
            sources,
            [
                ("APP", "originator"),
                ("Reuters", "originator"),
                (site.name.as_str(), "publisher")
            ]
        );
        assert_eq!(
            document["infoSources"][0]["literal"], "APP:a version 1",
            "the exact version used"
        );
        let credit: Vec<&str> = document["descriptions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["role"] == "creditline")
            .map(|d| d["value"].as_str().unwrap())
            .collect();
        assert_eq!(credit, ["With inputs from APP and Reuters"]);
    }
    // The validator is no rubber stamp: a document IPTC's schema forbids is caught.
    let mut broken: Value =
        serde_json::from_str(&app.get(&ninjs_path).await.text().await.unwrap()).unwrap();
    broken["infoSources"][0]["website"] = Value::from("https://app.com.pk");
    broken["pubStatus"] = Value::from("published");
    assert_eq!(schema_errors(&validator, &broken).len(), 2, "{broken:#}");
    // Nothing there, or not an article: 404.
    for missing in [
        "/no-such-article.ninjs",
        "/.ninjs",
        &format!("{ninjs_path}.ninjs"),
    ] {
        assert_eq!(
            app.get(missing).await.status(),
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
    // A draft is not served.
    let draft = wire::draft_from_version(
        app.store.as_ref(),
        &editor,
        app.store
            .wire_item_by_agency_id(provider.id, "a")
            .await
            .unwrap()
            .unwrap()
            .versions[0]
            .id,
        "Pakistan",
        app.clock_now(),
    )
    .await
    .unwrap();
    let slug = app.store.article_by_id(draft).await.unwrap().unwrap().slug;
    assert_eq!(
        app.get(&format!("/{}.ninjs", slug.as_str())).await.status(),
        StatusCode::NOT_FOUND
    );
    // The agency kills the item: the article and its ninjs are gone.
    let mut kill = version("a", "2", 2, "Withdrawn.");
    kill.status = dateline_domain::wire::ItemStatus::Canceled;
    send(&app, &provider, kill).await;
    assert_eq!(app.get(&path).await.status(), StatusCode::GONE);
    assert_eq!(app.get(&ninjs_path).await.status(), StatusCode::GONE);
}

async fn what_the_agency_changes_reaches_the_articles_editor(app: TestApp) {
    let (provider, article, path) = published_from_wire(&app, "alert").await;
    let editor = app.account("Eda Editor 3", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let editor_path = format!("/admin/articles/{article}");
    let (_, page) = desk.page(&editor_path).await;
    assert_eq!(
        texts(&page, "#wire-sources .sources li a:first-child"),
        ["APP · a · version 1"]
    );
    assert!(texts(&page, "#wire-sources .wire-alert").is_empty());
    // A new version: "source updated", with the comparison from the version used.
    send(&app, &provider, version("a", "2", 2, "Twelve people died.")).await;
    let (_, list) = desk.page("/admin").await;
    assert_eq!(texts(&list, "table.desk .badge"), ["source updated"]);
    let (_, page) = desk.page(&editor_path).await;
    let alerts = texts(&page, "#wire-sources .wire-alert p");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].contains("sent a new version"), "{alerts:?}");
    let compare = attrs(&page, "#wire-sources .wire-alert a", "href").remove(0);
    assert!(
        compare.contains("from=") && compare.contains("to="),
        "{compare}"
    );
    let (status, compared) = desk.page(&compare).await;
    assert_eq!(status, StatusCode::OK);
    let diff = texts(&compared, ".diff-text").join(" ");
    assert!(diff.contains("Ten") && diff.contains("Twelve"), "{diff}");
    assert!(
        texts(&page, "#wire-sources .sources li")[0].contains("newer version"),
        "the source says it has moved on"
    );
    // Dealt with, from the editor: back to the editor, the alert gone.
    let resolve = attrs(&page, "#wire-sources form[action$='/resolve']", "action").remove(0);
    let done = desk.post(&resolve, &[("back", "article")]).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()["location"], editor_path.as_str());
    let (_, page) = desk.page(&editor_path).await;
    assert!(texts(&page, "#wire-sources .wire-alert").is_empty());
    // A correction: a public correction offered, ready to publish.
    let mut correction = version("a", "3", 3, "Eleven people died.");
    correction.signal = VersionSignal::Correction;
    send(&app, &provider, correction).await;
    let (_, list) = desk.page("/admin").await;
    assert_eq!(
        texts(&list, "table.desk .badge.urgent"),
        ["source corrected"]
    );
    let (_, page) = desk.page(&editor_path).await;
    let offered = texts(&page, "#wire-sources .wire-alert textarea[name=note]");
    assert_eq!(offered.len(), 1, "a correction is offered");
    assert!(offered[0].contains("APP"), "{offered:?}");
    let alert = attrs(&page, "#wire-sources input[name=alert]", "value").remove(0);
    let corrected = desk
        .post(
            &format!("{editor_path}/correct"),
            &[
                ("kind", "correction"),
                (
                    "note",
                    "The death toll was eleven, not ten, as APP first reported.",
                ),
                ("alert", &alert),
            ],
        )
        .await;
    assert_eq!(corrected.status(), StatusCode::SEE_OTHER);
    let (_, public) = app.page(&path).await;
    assert!(
        texts(&public, ".corrections li, .corrections p")
            .iter()
            .any(|t| t.contains("eleven, not ten")),
        "{:?}",
        texts(&public, "main")
    );
    let open: Vec<AlertKind> = app
        .store
        .article_alerts(article)
        .await
        .unwrap()
        .iter()
        .filter(|a| a.resolved_at.is_none())
        .map(|a| a.kind)
        .collect();
    assert!(open.is_empty(), "the correction dealt with it: {open:?}");
    let (_, list) = desk.page("/admin").await;
    assert!(texts(&list, "table.desk .badge").is_empty());
}
