//! Polling the wire providers' feeds: conditional GET, a cursor that survives a restart, bounded
//! time and size, back-off and pause after repeated failures, credentials that reach the feed and
//! nowhere else, and one poll per provider however many nodes poll — against a local feed server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dateline_domain::WireStore;
use dateline_domain::wire::{Provider, ProviderId};
use dateline_services::wire::{self, ProviderForm};
use dateline_services::wire_poll::{PollOutcome, PollSettings, Poller};

use crate::harness::{TestApp, on_both_backends, texts};

on_both_backends!(
    a_feed_is_read_then_asked_conditionally_and_only_changes_are_stored,
    a_restarted_poller_neither_loses_nor_reads_again,
    failures_are_recorded_backed_off_and_pause_polling,
    credentials_reach_the_feed_and_nothing_else,
    two_nodes_polling_at_once_fetch_a_feed_once,
    poll_now_asked_a_hundred_times_at_once_reads_the_feed_once,
);

/// What the test feed answers, and what it was asked.
#[derive(Default)]
struct Feed {
    body: String,
    content_type: &'static str,
    etag: Option<String>,
    status: u16,
    delay: Duration,
    requests: u32,
    last_headers: Option<HeaderMap>,
}

type Shared = Arc<Mutex<Feed>>;

async fn answer(State(feed): State<Shared>, headers: HeaderMap) -> Response {
    let (status, body, etag, delay, content_type) = {
        let mut f = feed.lock().unwrap();
        f.requests += 1;
        f.last_headers = Some(headers.clone());
        (
            f.status,
            f.body.clone(),
            f.etag.clone(),
            f.delay,
            f.content_type,
        )
    };
    tokio::time::sleep(delay).await;
    if let (Some(etag), Some(asked)) = (&etag, headers.get(header::IF_NONE_MATCH))
        && asked.to_str().ok() == Some(etag.as_str())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = (
        StatusCode::from_u16(status).unwrap(),
        [(header::CONTENT_TYPE, content_type)],
        body,
    )
        .into_response();
    if let Some(etag) = etag {
        response
            .headers_mut()
            .insert(header::ETAG, etag.parse().unwrap());
    }
    response
}

/// A feed server on a free port; its shared state and address.
async fn feed_server() -> (Shared, String) {
    let feed: Shared = Arc::new(Mutex::new(Feed {
        status: 200,
        content_type: "application/rss+xml",
        ..Feed::default()
    }));
    let app = axum::Router::new()
        .route("/feed", axum::routing::get(answer))
        .with_state(feed.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (feed, format!("http://{addr}/feed"))
}

fn rss(items: &[(&str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(guid, title)| {
            format!(
                "<item><guid>{guid}</guid><title>{title}</title><description>About {title}.</description>\
                 <pubDate>Tue, 16 Apr 2024 10:00:00 +0500</pubDate></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>APP</title>{items}</channel></rss>"
    )
}

async fn provider(app: &TestApp, url: &str, credentials: &str) -> Provider {
    wire::add_provider(
        app.store.as_ref(),
        &ProviderForm {
            code: "APP".to_owned(),
            name: "Associated Press of Pakistan".to_owned(),
            kind: "rss".to_owned(),
            url: url.to_owned(),
            poll_interval_secs: "60".to_owned(),
            credentials: credentials.to_owned(),
            ..ProviderForm::default()
        },
        app.clock_now(),
    )
    .await
    .expect("provider")
}

fn settings() -> PollSettings {
    PollSettings {
        connect_timeout: Duration::from_secs(2),
        answer_timeout: Duration::from_millis(500),
        concurrent: 4,
        pause_after: 3,
        max_backoff: Duration::from_secs(600),
        tick: Duration::from_millis(50),
    }
}

fn poller(app: &TestApp) -> Poller {
    Poller::new(app.store.clone(), settings()).expect("poller")
}

async fn items(app: &TestApp, id: ProviderId) -> usize {
    app.store
        .wire_rows(&dateline_domain::store::WireFilter {
            provider: Some(id),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

async fn health(app: &TestApp, id: ProviderId) -> Provider {
    app.store.provider(id).await.unwrap().unwrap()
}

async fn a_feed_is_read_then_asked_conditionally_and_only_changes_are_stored(app: TestApp) {
    let (feed, url) = feed_server().await;
    {
        let mut f = feed.lock().unwrap();
        f.body = rss(&[("app-1", "Floods in Sindh")]);
        f.etag = Some("\"v1\"".to_owned());
    }
    let p = provider(&app, &url, "").await;
    let poller = poller(&app);
    let now = app.clock_now();
    let outcomes = poller.poll_due(now).await.unwrap();
    assert!(
        matches!(outcomes.as_slice(), [(_, PollOutcome::Read(_))]),
        "{outcomes:?}"
    );
    assert_eq!(items(&app, p.id).await, 1);
    let after = health(&app, p.id).await;
    assert_eq!(after.health.etag.as_deref(), Some("\"v1\""));
    assert_eq!(after.health.last_success_at, Some(now));
    assert_eq!(
        after.health.next_poll_at,
        Some(now + chrono::Duration::seconds(60))
    );
    // Not due yet: nothing asked.
    assert!(poller.poll_due(now).await.unwrap().is_empty());
    assert_eq!(feed.lock().unwrap().requests, 1);
    // Due: asked with If-None-Match, answered 304, nothing changes.
    let later = now + chrono::Duration::seconds(61);
    let outcomes = poller.poll_due(later).await.unwrap();
    assert!(
        matches!(outcomes.as_slice(), [(_, PollOutcome::NotModified)]),
        "{outcomes:?}"
    );
    let asked = feed.lock().unwrap().last_headers.clone().unwrap();
    assert_eq!(asked[header::IF_NONE_MATCH], "\"v1\"");
    // A changed feed: the new item only.
    {
        let mut f = feed.lock().unwrap();
        f.body = rss(&[("app-1", "Floods in Sindh"), ("app-2", "Budget approved")]);
        f.etag = Some("\"v2\"".to_owned());
    }
    let outcomes = poller
        .poll_due(later + chrono::Duration::seconds(61))
        .await
        .unwrap();
    let [(_, PollOutcome::Read(report))] = outcomes.as_slice() else {
        panic!("{outcomes:?}");
    };
    assert_eq!((report.outcome.current, report.outcome.unchanged), (1, 1));
    assert_eq!(items(&app, p.id).await, 2);
}

async fn a_restarted_poller_neither_loses_nor_reads_again(app: TestApp) {
    let (feed, url) = feed_server().await;
    {
        let mut f = feed.lock().unwrap();
        f.body = rss(&[("app-1", "Floods in Sindh")]);
        f.etag = Some("\"v1\"".to_owned());
    }
    let p = provider(&app, &url, "").await;
    let now = app.clock_now();
    poller(&app).poll_due(now).await.unwrap();
    // A new process: the cursor (validators and schedule) is in the database.
    let restarted = poller(&app);
    assert!(
        restarted.poll_due(now).await.unwrap().is_empty(),
        "not due again"
    );
    let outcomes = restarted
        .poll_due(now + chrono::Duration::seconds(61))
        .await
        .unwrap();
    assert!(
        matches!(outcomes.as_slice(), [(_, PollOutcome::NotModified)]),
        "{outcomes:?}"
    );
    // Without validators the same feed is read again, and stores nothing new.
    feed.lock().unwrap().etag = None;
    let outcomes = restarted
        .poll_due(now + chrono::Duration::seconds(200))
        .await
        .unwrap();
    let [(_, PollOutcome::Read(report))] = outcomes.as_slice() else {
        panic!("{outcomes:?}");
    };
    assert!(
        !report.new_payload,
        "the same bytes: the payload kept before"
    );
    assert_eq!(report.outcome.current, 0);
    assert_eq!(items(&app, p.id).await, 1);
}

async fn failures_are_recorded_backed_off_and_pause_polling(app: TestApp) {
    let (feed, url) = feed_server().await;
    let p = provider(&app, &url, "").await;
    let poller = poller(&app);
    let mut now = app.clock_now();
    let expect = |what: &str, reason: &str| (what.to_owned(), reason.to_owned());
    let cases = [
        expect("an error status", "HTTP 500"),
        expect("a slow answer", "no answer within"),
        expect("an HTML page", "HTML"),
    ];
    for (i, (what, reason)) in cases.iter().enumerate() {
        {
            let mut f = feed.lock().unwrap();
            f.status = 200;
            f.delay = Duration::ZERO;
            f.content_type = "application/rss+xml";
            f.body = rss(&[("x", "x")]);
            match i {
                0 => f.status = 500,
                1 => f.delay = Duration::from_secs(2),
                _ => {
                    f.content_type = "text/html";
                    f.body = "<!DOCTYPE html><html><body>Sign in</body></html>".to_owned();
                }
            }
        }
        let outcomes = poller.poll_due(now).await.unwrap();
        let [
            (
                _,
                PollOutcome::Failed {
                    reason: got,
                    paused,
                },
            ),
        ] = outcomes.as_slice()
        else {
            panic!("{what}: {outcomes:?}");
        };
        assert!(got.contains(reason.as_str()), "{what}: {got}");
        let h = health(&app, p.id).await;
        let failures = u32::try_from(i).unwrap() + 1;
        assert_eq!(h.health.failures, failures, "{what}");
        assert_eq!(h.health.last_error.as_deref(), Some(got.as_str()));
        // Backed off: the interval doubled per failure.
        let wait = 60 * (1i64 << failures);
        assert_eq!(
            h.health.next_poll_at,
            Some(now + chrono::Duration::seconds(wait)),
            "{what}"
        );
        assert_eq!(*paused, failures == 3, "{what}");
        assert_eq!(h.paused, failures == 3);
        now += chrono::Duration::seconds(wait);
    }
    // Paused: never polled, however late.
    let asked = feed.lock().unwrap().requests;
    assert!(
        poller
            .poll_due(now + chrono::Duration::days(1))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(feed.lock().unwrap().requests, asked);
    // Resumed: polled at once, and a good answer clears the failures.
    app.store.set_provider_paused(p.id, false).await.unwrap();
    {
        let mut f = feed.lock().unwrap();
        f.status = 200;
        f.content_type = "application/rss+xml";
        f.body = rss(&[("app-1", "Floods")]);
    }
    let outcomes = poller.poll_due(now).await.unwrap();
    assert!(
        matches!(outcomes.as_slice(), [(_, PollOutcome::Read(_))]),
        "{outcomes:?}"
    );
    assert_eq!(health(&app, p.id).await.health.failures, 0);
    // An answer too large, and a server that is not there.
    feed.lock().unwrap().body = "x".repeat(wire::MAX_PAYLOAD_BYTES + 1);
    let outcome = poller.poll_now(p.id, now).await.unwrap();
    assert!(
        matches!(&outcome, PollOutcome::Failed { reason, .. } if reason.contains("larger than")),
        "{outcome:?}"
    );
    let gone = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        format!("http://{addr}/feed")
    };
    let q = wire::add_provider(
        app.store.as_ref(),
        &ProviderForm {
            code: "GONE".to_owned(),
            name: "Gone".to_owned(),
            kind: "rss".to_owned(),
            url: gone,
            ..ProviderForm::default()
        },
        now,
    )
    .await
    .unwrap();
    let outcome = poller.poll_now(q.id, now).await.unwrap();
    assert!(
        matches!(&outcome, PollOutcome::Failed { reason, .. } if reason.contains("cannot connect")),
        "{outcome:?}"
    );
    // What was stored before the failures is all there.
    assert_eq!(items(&app, p.id).await, 1);
}

async fn credentials_reach_the_feed_and_nothing_else(app: TestApp) {
    let (feed, url) = feed_server().await;
    feed.lock().unwrap().body = rss(&[("app-1", "Floods")]);
    let basic = provider(&app, &url, "gvs:s3cret").await;
    let poller = poller(&app);
    poller.poll_now(basic.id, app.clock_now()).await.unwrap();
    let asked = feed.lock().unwrap().last_headers.clone().unwrap();
    // "gvs:s3cret" in base64.
    assert_eq!(asked[header::AUTHORIZATION], "Basic Z3ZzOnMzY3JldA==");
    let token = wire::add_provider(
        app.store.as_ref(),
        &ProviderForm {
            code: "TOKEN".to_owned(),
            name: "Token agency".to_owned(),
            kind: "rss".to_owned(),
            url: url.clone(),
            credentials: "abc.def.ghi".to_owned(),
            ..ProviderForm::default()
        },
        app.clock_now(),
    )
    .await
    .unwrap();
    feed.lock().unwrap().status = 401;
    let outcome = poller.poll_now(token.id, app.clock_now()).await.unwrap();
    let asked = feed.lock().unwrap().last_headers.clone().unwrap();
    assert_eq!(asked[header::AUTHORIZATION], "Bearer abc.def.ghi");
    let PollOutcome::Failed { reason, .. } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(
        !reason.contains("abc.def") && !reason.contains("s3cret"),
        "{reason}"
    );
    let h = health(&app, token.id).await;
    assert!(!h.health.last_error.unwrap_or_default().contains("abc.def"));
}

async fn two_nodes_polling_at_once_fetch_a_feed_once(app: TestApp) {
    let (feed, url) = feed_server().await;
    {
        let mut f = feed.lock().unwrap();
        f.body = rss(&[("app-1", "Floods")]);
        f.delay = Duration::from_millis(100);
    }
    provider(&app, &url, "").await;
    let now = app.clock_now();
    let (a, b) = (poller(&app), poller(&app));
    let (one, two) = tokio::join!(a.poll_due(now), b.poll_due(now));
    assert_eq!(
        one.unwrap().len() + two.unwrap().len(),
        1,
        "one node polled"
    );
    assert_eq!(feed.lock().unwrap().requests, 1);
}

async fn poll_now_asked_a_hundred_times_at_once_reads_the_feed_once(app: TestApp) {
    let (feed, url) = feed_server().await;
    feed.lock().unwrap().body = rss(&[("app-1", "Floods in Sindh")]);
    let p = provider(&app, &url, "").await;
    let poller = poller(&app);
    let now = app.clock_now();
    poller.poll_due(now).await.unwrap();
    assert_eq!(feed.lock().unwrap().requests, 1);
    // Not due for a minute; an editor asks for the feed now, a hundred times at once.
    feed.lock().unwrap().body = rss(&[("app-1", "Floods in Sindh"), ("app-2", "Budget")]);
    let editor = app
        .account("Eda Editor", dateline_domain::Role::Editor)
        .await;
    let desk = app.sign_in(&editor).await;
    let path = format!("/admin/wire/providers/{}/poll", p.id.0);
    let answers = futures_util::future::join_all((0..100).map(|_| desk.post(&path, &[]))).await;
    assert!(
        answers
            .iter()
            .all(|a| a.status() == reqwest::StatusCode::SEE_OTHER),
        "{:?}",
        answers.iter().map(|a| a.status()).collect::<Vec<_>>()
    );
    let (_, page) = desk
        .page(&format!("/admin/wire/providers/{}?done=polled", p.id.0))
        .await;
    assert!(
        texts(&page, ".notice.ok")[0].contains("within a few seconds"),
        "the editor is told"
    );
    // The next round polls it once, on however many nodes.
    let second = self::poller(&app);
    let (a, b) = tokio::join!(poller.poll_due(now), second.poll_due(now));
    let polled = a.unwrap().len() + b.unwrap().len();
    assert_eq!(polled, 1);
    assert_eq!(feed.lock().unwrap().requests, 2);
    assert_eq!(items(&app, p.id).await, 2);
    assert!(
        poller.poll_due(now).await.unwrap().is_empty(),
        "not due again"
    );
    // A contributor may not; a files-only provider has nothing to poll; a paused one must be
    // resumed first; an unknown one is not found.
    let contributor = app
        .account("Kiran Contributor", dateline_domain::Role::Contributor)
        .await;
    let other = app.sign_in(&contributor).await;
    assert_eq!(
        other.post(&path, &[]).await.status(),
        reqwest::StatusCode::FORBIDDEN
    );
    let files = wire::add_provider(
        app.store.as_ref(),
        &ProviderForm {
            code: "FILES".to_owned(),
            name: "Files only".to_owned(),
            ..ProviderForm::default()
        },
        now,
    )
    .await
    .unwrap();
    let refused = desk
        .post(&format!("/admin/wire/providers/{}/poll", files.id.0), &[])
        .await;
    assert_eq!(refused.status(), reqwest::StatusCode::CONFLICT);
    app.store.set_provider_paused(p.id, true).await.unwrap();
    assert_eq!(
        desk.post(&path, &[]).await.status(),
        reqwest::StatusCode::CONFLICT
    );
    assert_eq!(
        desk.post("/admin/wire/providers/999999/poll", &[])
            .await
            .status(),
        reqwest::StatusCode::NOT_FOUND
    );
    assert_eq!(feed.lock().unwrap().requests, 2, "nothing more was fetched");
}
