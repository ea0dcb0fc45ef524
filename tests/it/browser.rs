//! Pages in a real browser: Debian's Chromium driven through chromedriver (WebDriver).
//!
//! Skipped, with a message, on a machine without `chromium` and `chromedriver`; under CI
//! (`CI` set) their absence is a failure. Screenshots land in `target/screenshots/`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

use crate::harness::TestApp;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A headless Chromium session, or `None` (with a message) where there is no Chromium.
    pub async fn start(test: &str) -> Option<Self> {
        if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install chromium and chromium-driver"
            );
            dateline_store::testing::skipped(test, &format!("no {CHROMIUM} or {CHROMEDRIVER}"));
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }
        });
        let capabilities = capabilities.as_object().unwrap().clone();
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let connected = ClientBuilder::rustls()
                .expect("TLS set-up")
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await;
            match connected {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => panic!("chromedriver did not start: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Some(Self {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Sizes the window so that the page's viewport is `width` × `height` CSS pixels.
    pub async fn viewport(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.unwrap();
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight]", vec![])
            .await
            .unwrap();
        let (w, h) = (
            inner[0].as_u64().unwrap() as u32,
            inner[1].as_u64().unwrap() as u32,
        );
        self.client
            .set_window_size(2 * width - w, 2 * height - h)
            .await
            .unwrap();
    }

    /// Saves a screenshot of the viewport under `target/screenshots/`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, self.client.screenshot().await.unwrap()).unwrap();
        path
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[tokio::test]
async fn seed_page_reads_well_on_a_phone_and_a_desktop() {
    let Some(browser) =
        Browser::start("browser::seed_page_reads_well_on_a_phone_and_a_desktop").await
    else {
        return;
    };
    let app = TestApp::sqlite().await;
    let url = app.url("/imran-khan-extends-invitation-to-putin-discuss-ties-on-call");
    for (name, width, height) in [("phone", 390, 844), ("desktop", 1366, 900)] {
        browser.viewport(width, height).await;
        browser.client.goto(&url).await.unwrap();
        let facts = browser
            .client
            .execute(
                "const body = document.querySelector('.story-body p');
                 const readMore = [...document.querySelectorAll('.read-more')];
                 return {
                   scrollWidth: document.documentElement.scrollWidth,
                   innerWidth: window.innerWidth,
                   bodyFont: parseFloat(getComputedStyle(body).fontSize),
                   bodyWidth: body.getBoundingClientRect().width,
                   readMoreShown: readMore.filter(e => e.getBoundingClientRect().height > 0).length,
                   headline: document.querySelector('h1').textContent,
                   today: document.querySelector('.today').textContent,
                 };",
                vec![],
            )
            .await
            .unwrap();
        let number = |key: &str| facts[key].as_f64().unwrap();
        assert_eq!(number("innerWidth") as u32, width, "{name}: viewport");
        assert!(
            number("scrollWidth") <= number("innerWidth"),
            "{name}: the page scrolls sideways: {facts}"
        );
        assert!(
            number("bodyFont") >= 16.0,
            "{name}: body text is too small to read: {facts}"
        );
        assert!(
            number("bodyWidth") <= 720.0,
            "{name}: lines are too long to read: {facts}"
        );
        assert_eq!(number("readMoreShown") as u32, 4, "{name}: {facts}");
        assert_eq!(
            facts["headline"],
            "Imran Khan extends invitation to Putin, discuss ties on call"
        );
        assert_eq!(facts["today"], "Tuesday, April 16, 2024");
        browser.screenshot(&format!("seed-article-{name}")).await;
    }
    browser.close().await;
}
