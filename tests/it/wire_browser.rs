//! The wire desk in a real browser, the whole path: an editor opens the desk, compares two
//! versions of an item, creates an article from it, publishes it and sees the agency's line on
//! the public page; then the agency kills the item and the page answers 410.

use dateline_domain::wire::ItemStatus;
use dateline_domain::{Role, WireStore};
use dateline_services::wire::{self, ProviderForm};
use fantoccini::Locator;
use reqwest::StatusCode;

use crate::browser::Browser;
use crate::harness::{TestApp, reference_day};
use crate::newsroom_browser::{click, press, sign_in, text_of, until, wait_for};
use crate::wire_desk::{ingest, send, version};

#[tokio::test]
async fn an_editor_takes_an_item_from_the_desk_to_the_site_and_a_kill_takes_it_down() {
    let Some(browser) = Browser::start(
        "wire_browser::an_editor_takes_an_item_from_the_desk_to_the_site_and_a_kill_takes_it_down",
    )
    .await
    else {
        return;
    };
    let app = TestApp::sqlite().await;
    let provider = wire::add_provider(
        app.store.as_ref(),
        &ProviderForm {
            code: "APP".to_owned(),
            name: "Associated Press of Pakistan".to_owned(),
            kill_policy: "take-down".to_owned(),
            ..ProviderForm::default()
        },
        reference_day(),
    )
    .await
    .unwrap();
    ingest(
        &app,
        provider.id,
        &[
            version("sindh-floods", "1", 1, "Ten people died in the floods."),
            version("sindh-floods", "2", 2, "Twelve people died in the floods."),
        ],
    )
    .await;
    let editor = app.account("Eddie Editor", Role::Editor).await;
    let client = &browser.client;
    browser.viewport(1366, 900).await;
    sign_in(client, &app, editor.email.as_str()).await;

    // The desk: the item, newest version first.
    client.goto(&app.url("/admin/wire")).await.unwrap();
    wait_for(client, "table.wire", "the desk").await;
    browser.screenshot("wire-desk").await;
    click(
        client,
        Locator::XPath("//table[contains(@class,'wire')]//a[contains(., 'Floods in Sindh')]"),
    )
    .await;
    wait_for(client, "table.versions", "the item's page").await;
    // Compare the two versions word by word.
    press(client, "Compare").await;
    wait_for(client, ".word-diff .diff-text", "the comparison").await;
    let changes = client
        .execute(
            "return [[...document.querySelectorAll('.word-diff del')].map(e => e.textContent), \
             [...document.querySelectorAll('.word-diff ins')].map(e => e.textContent)]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        changes,
        serde_json::json!([["1", "Ten"], ["2", "Twelve"]]),
        "the headline's number and the death toll"
    );
    browser.screenshot("wire-item-compared").await;

    // Create an article from the current version, and publish it.
    press(client, "Create article from this version").await;
    wait_for(client, "#editor", "the new article's editor").await;
    until(
        client,
        "document.querySelector('input[name=headline]').value === 'Floods in Sindh, version 2'",
        "the item's headline in the editor",
    )
    .await;
    assert_eq!(
        client
            .execute(
                "return [document.querySelector('input[name=source_agencies]').value, \
                 document.querySelector('select[name=source_mode]').value]",
                vec![],
            )
            .await
            .unwrap(),
        serde_json::json!(["APP", "as-received"])
    );
    let sources = text_of(client, "#wire-sources .sources li").await;
    assert!(
        sources.starts_with("APP · sindh-floods · version 2"),
        "{sources}"
    );
    browser.screenshot("wire-article-editor").await;
    press(client, "Publish now").await;
    wait_for(client, ".notice.ok", "the editor after publishing").await;
    click(client, Locator::LinkText("View the public page")).await;
    wait_for(client, "article h1", "the public page").await;
    assert_eq!(
        text_of(client, "article h1").await,
        "Floods in Sindh, version 2"
    );
    assert_eq!(text_of(client, ".attribution").await, "Via APP");
    browser.screenshot("wire-article-public").await;
    let public = client.current_url().await.unwrap();
    let path = public.path().to_owned();
    assert_eq!(app.get(&path).await.status(), StatusCode::OK);

    // The agency kills the item: the page is gone, for the browser too.
    let mut kill = version("sindh-floods", "3", 3, "Withdrawn.");
    kill.status = ItemStatus::Canceled;
    send(&app, &provider, kill).await;
    assert_eq!(app.get(&path).await.status(), StatusCode::GONE);
    // (A new address: the browser may keep the page it was given for a minute.)
    client
        .goto(&format!("{public}?after-the-kill"))
        .await
        .unwrap();
    until(
        client,
        "document.querySelector('h1') && document.querySelector('h1').textContent.includes('withdrawn')",
        "the gone page",
    )
    .await;
    browser.screenshot("wire-article-killed").await;
    // The newsroom hears of it on the desk.
    client.goto(&app.url("/admin/wire")).await.unwrap();
    wait_for(client, ".alerts li", "the take-down on the desk").await;
    assert!(
        text_of(client, ".alerts li")
            .await
            .contains("the article was taken down")
    );
    // And in the article's editor: the source killed, the take-down said.
    click(
        client,
        Locator::XPath("//ul/li//a[contains(., 'Floods in Sindh')]"),
    )
    .await;
    wait_for(
        client,
        "#wire-sources .wire-alert",
        "the alert in the editor",
    )
    .await;
    assert!(
        text_of(client, "#wire-sources .sources li")
            .await
            .contains("killed by the agency")
    );
    client
        .execute(
            "document.querySelector('#wire-sources').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    browser.screenshot("wire-article-editor-killed").await;
    let item = app
        .store
        .wire_item_by_agency_id(provider.id, "sindh-floods")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.versions.len(), 3);
    browser.close().await;
}
