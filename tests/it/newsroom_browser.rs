//! The newsroom in a real browser: a contributor writes an article with a Read More link and an
//! image and submits it; an editor publishes it; a reader reads it. Screenshots of the editor and the
//! published page are saved under `target/screenshots/`.

use std::time::Duration;

use dateline_domain::{ArticleStatus, Role, WorkflowStore};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

use crate::browser::Browser;
use crate::harness::{PASSWORD, TestApp};

pub(crate) async fn sign_in(client: &Client, app: &TestApp, email: &str) {
    client.goto(&app.url("/admin/login")).await.unwrap();
    client
        .find(Locator::Css("input[name=email]"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    client
        .find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    click(client, Locator::Css("form button[type=submit]")).await;
    wait_for(client, "table.desk", "the article list after signing in").await;
}

pub(crate) async fn click(client: &Client, target: Locator<'_>) {
    client.find(target).await.unwrap().click().await.unwrap();
}

/// Clicks the button labelled `label`.
pub(crate) async fn press(client: &Client, label: &str) {
    click(
        client,
        Locator::XPath(&format!("//button[text()='{label}']")),
    )
    .await;
}

/// Waits (at most 10 s) for an element matching the CSS `selector` to be on the page.
pub(crate) async fn wait_for(client: &Client, selector: &str, what: &str) -> Element {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("waiting for {what} ({selector}): {e}"))
}

pub(crate) async fn fill(client: &Client, selector: &str, text: &str) {
    let field = client.find(Locator::Css(selector)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

pub(crate) async fn text_of(client: &Client, selector: &str) -> String {
    client
        .find(Locator::Css(selector))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Waits until `script` (a JS expression) is true.
pub(crate) async fn until(client: &Client, script: &str, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let value = client
            .execute(&format!("return !!({script});"), vec![])
            .await
            .unwrap();
        if value.as_bool() == Some(true) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn contributor_writes_editor_publishes_reader_reads() {
    let Some(browser) =
        Browser::start("newsroom_browser::contributor_writes_editor_publishes_reader_reads").await
    else {
        return;
    };
    let app = TestApp::sqlite().await;
    let writer = app.account("Sana Jamal", Role::Contributor).await;
    let editor = app.account("Eddie Editor", Role::Editor).await;
    let client = &browser.client;
    browser.viewport(1366, 900).await;

    // The contributor writes.
    sign_in(client, &app, writer.email.as_str()).await;
    client.goto(&app.url("/admin/articles/new")).await.unwrap();
    fill(
        client,
        "input[name=headline]",
        "Karachi prepares for the monsoon",
    )
    .await;
    // Typing in a new article survives a reload before the first save.
    until(
        client,
        "document.querySelector('.autosave-status').textContent.startsWith('Kept in this browser')",
        "the unsaved copy",
    )
    .await;
    client.refresh().await.unwrap();
    until(
        client,
        "document.querySelector('input[name=headline]').value === 'Karachi prepares for the monsoon'",
        "the unsaved copy to come back",
    )
    .await;
    fill(
        client,
        "textarea[name=standfirst]",
        "The city clears its drains before the first rains.",
    )
    .await;
    fill(
        client,
        "textarea[name=body]",
        "Work crews cleared the main drains on Monday.\n\n",
    )
    .await;
    fill(client, "input[name=section]", "Pakistan").await;
    fill(client, "input[name=tags]", "Karachi, Weather").await;
    // The Read More picker: search by headline, insert at the cursor.
    fill(client, "form[data-picker] input[name=q]", "Putin").await;
    click(client, Locator::Css("form[data-picker] button")).await;
    let pick = wait_for(client, "button.pick", "the picker finds the article").await;
    pick.click().await.unwrap();
    client
        .find(Locator::Css("textarea[name=body]"))
        .await
        .unwrap()
        .send_keys("The city expects heavy rain by Friday.")
        .await
        .unwrap();
    let body = client
        .execute("return document.querySelector('#body').value", vec![])
        .await
        .unwrap();
    let body = body.as_str().unwrap().to_owned();
    assert!(
        body.contains("\n\n::: read-more ")
            && body.ends_with("\n\nThe city expects heavy rain by Friday."),
        "{body:?}"
    );
    // The live preview shows the Read More link as readers will see it.
    until(
        client,
        "document.querySelector('.preview .read-more')",
        "the preview",
    )
    .await;
    assert_eq!(
        text_of(client, ".preview .read-more").await,
        "Read More: Imran Khan extends invitation to Putin, discuss ties on call"
    );
    click(client, Locator::Css("#editor button.primary")).await;
    wait_for(client, ".notice.ok", "the next page").await;
    assert_eq!(text_of(client, ".notice.ok").await, "Saved as revision 1.");
    // Autosave while typing.
    client
        .find(Locator::Css("textarea[name=standfirst]"))
        .await
        .unwrap()
        .send_keys(" Officials are confident.")
        .await
        .unwrap();
    until(
        client,
        "document.querySelector('.autosave-status').textContent.startsWith('Autosaved as revision 2')",
        "the autosave",
    )
    .await;
    // An image, uploaded with its words, becomes the featured image.
    let editor_url = client.current_url().await.unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("drains.jpg");
    let picture = image::RgbImage::from_fn(1600, 900, |x, y| {
        image::Rgb([(x / 7 % 256) as u8, (y / 4 % 256) as u8, 140])
    });
    image::DynamicImage::ImageRgb8(picture)
        .save(&photo)
        .unwrap();
    client.goto(&app.url("/admin/media")).await.unwrap();
    client
        .find(Locator::Css("input[type=file]"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    fill(client, "input[name=alt]", "Workers clearing a storm drain").await;
    fill(
        client,
        "input[name=caption]",
        "Clearing the Nehr-e-Khayyam drain",
    )
    .await;
    fill(client, "input[name=credit]", "GVS").await;
    click(client, Locator::Css("form[enctype] button[type=submit]")).await;
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".notice.ok"))
        .await
        .expect("the upload succeeds");
    client.goto(&editor_url).await.unwrap();
    click(client, Locator::Css("select[name=image] option[value='1']")).await;
    press(client, "Set featured image").await;
    wait_for(client, ".featured-admin img", "the next page").await;
    browser.screenshot("newsroom-editor-desktop").await;
    browser.viewport(390, 844).await;
    let wide = client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(wide.as_bool(), Some(true), "the editor fits a phone");
    browser.screenshot("newsroom-editor-phone").await;
    browser.viewport(1366, 900).await;
    press(client, "Submit for review").await;
    wait_for(client, ".status.in_review", "the next page").await;
    press(client, "Sign out").await;
    wait_for(client, "input[name=email]", "the next page").await;

    // The editor publishes.
    sign_in(client, &app, editor.email.as_str()).await;
    browser.screenshot("newsroom-articles-desktop").await;
    browser.viewport(390, 844).await;
    browser.screenshot("newsroom-articles-phone").await;
    browser.viewport(1366, 900).await;
    click(
        client,
        Locator::LinkText("Karachi prepares for the monsoon"),
    )
    .await;
    let article_url = client.current_url().await.unwrap().to_string();
    client
        .goto(&format!(
            "{}/history",
            article_url.split('?').next().unwrap()
        ))
        .await
        .unwrap();
    browser.screenshot("newsroom-history").await;
    client.goto(&article_url).await.unwrap();
    press(client, "Publish now").await;
    wait_for(client, ".status.published", "the next page").await;

    // A reader reads it.
    click(client, Locator::LinkText("View the public page")).await;
    wait_for(client, "article.story", "the next page").await;
    assert_eq!(
        text_of(client, "h1").await,
        "Karachi prepares for the monsoon"
    );
    assert_eq!(
        text_of(client, ".standfirst").await,
        "The city clears its drains before the first rains. Officials are confident."
    );
    assert_eq!(
        text_of(client, ".read-more").await,
        "Read More: Imran Khan extends invitation to Putin, discuss ties on call"
    );
    let alt = client
        .find(Locator::Css(".featured img"))
        .await
        .unwrap()
        .attr("alt")
        .await
        .unwrap();
    assert_eq!(alt.as_deref(), Some("Workers clearing a storm drain"));
    browser.screenshot("newsroom-published-article").await;
    let (found, _) = app.store.desk(&Default::default(), 0, 1).await.unwrap();
    assert_eq!(found[0].status, ArticleStatus::Published);
    browser.close().await;
}
