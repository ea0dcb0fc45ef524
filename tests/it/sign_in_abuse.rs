//! Sign-in under attack, on both backends: simultaneous attempts cannot outrun the limits,
//! password hashing is bounded, an attacker's failures do not lock the owner out, the client's
//! address comes from `X-Forwarded-For` only behind a configured proxy, and a hostile `next`
//! never breaks the redirect.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use dateline_domain::{AccountStore, Role, User};
use dateline_services::accounts::{HashGate, KNOWN_DEVICE_LIFETIME};
use dateline_web::AppState;
use reqwest::StatusCode;
use scraper::Html;

use crate::harness::{
    PASSWORD, TestApp, attrs, form_body, on_both_backends, set_cookie_header, texts,
};

on_both_backends!(
    simultaneous_wrong_passwords_run_no_more_checks_than_the_limit,
    a_flood_of_sign_ins_runs_no_more_hashes_than_the_bound_and_never_answers_500,
    busy_password_hashing_answers_503_with_retry_after_and_counts_no_attempt,
    an_account_locked_against_one_address_still_lets_its_owner_in_from_another,
    attackers_on_many_addresses_do_not_stop_the_owner_on_a_known_device,
    a_shared_address_with_many_failures_does_not_lock_an_account_that_signed_in_from_it,
    forwarded_for_decides_the_address_only_behind_a_configured_proxy,
    hostile_next_after_sign_in_redirects_to_the_newsroom_and_never_answers_500,
);

/// The address the test's requests come from, which the second server trusts as a proxy.
const LOOPBACK: &str = "127.0.0.1";

/// A second server on the test app's database and state, with `state` changed: a trusted
/// proxy, a hashing gate of the test's own.
struct Server {
    addr: SocketAddr,
    handle: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

async fn serve(state: AppState) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let handle = tokio::spawn(async move {
        dateline_web::serve(listener, state, std::future::pending())
            .await
            .expect("serve");
    });
    Server { addr, handle }
}

/// The app behind a trusted proxy at 127.0.0.1, hashing through `gate`.
async fn behind_proxy(app: &TestApp, gate: Arc<HashGate>) -> Server {
    serve(
        app.state
            .clone()
            .with_trusted_proxies(vec![LOOPBACK.parse().unwrap()])
            .with_password_hashing(gate),
    )
    .await
}

/// A gate that never answers busy in these tests: the limits, not the gate, decide.
fn roomy_gate() -> Arc<HashGate> {
    Arc::new(HashGate::new(4, Duration::from_secs(120), 1000))
}

/// One browser's sign-in form: its login cookie and CSRF token.
#[derive(Clone)]
struct Form {
    login_cookie: String,
    csrf: String,
}

/// What a sign-in answered.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    retry_after: Option<String>,
    session: Option<String>,
    device_cookie: Option<String>,
    body: String,
}

impl Answer {
    fn alert(&self) -> String {
        texts(&Html::parse_document(&self.body), "[role=alert]").join(" ")
    }

    /// The sign-in form again, with the e-mail address as typed.
    fn is_login_page_with(&self, email: &str) -> bool {
        let html = Html::parse_document(&self.body);
        attrs(&html, "input[name=email]", "value") == [email]
    }

    /// The device cookie's token, when the answer set one.
    fn device(&self) -> String {
        let header = self.device_cookie.clone().expect("a device cookie");
        header
            .split(';')
            .next()
            .and_then(|p| p.split_once('='))
            .map(|(_, v)| v.to_owned())
            .expect("a device token")
    }
}

/// One sign-in attempt against the server at `addr`.
struct Attempt<'a> {
    email: &'a str,
    password: &'a str,
    forwarded_for: Option<&'a str>,
    device: Option<&'a str>,
    next: Option<&'a str>,
}

impl<'a> Attempt<'a> {
    fn new(email: &'a str, password: &'a str) -> Self {
        Self {
            email,
            password,
            forwarded_for: None,
            device: None,
            next: None,
        }
    }

    fn from(mut self, forwarded_for: &'a str) -> Self {
        self.forwarded_for = Some(forwarded_for);
        self
    }

    fn on_device(mut self, device: &'a str) -> Self {
        self.device = Some(device);
        self
    }

    fn next(mut self, next: &'a str) -> Self {
        self.next = Some(next);
        self
    }
}

async fn form(client: &reqwest::Client, addr: SocketAddr) -> Form {
    let response = client
        .get(format!("http://{addr}/admin/login"))
        .send()
        .await
        .expect("sign-in form");
    assert_eq!(response.status(), StatusCode::OK);
    let login_cookie =
        crate::harness::set_cookie_value(&response, "dateline_login").expect("login cookie");
    let html = Html::parse_document(&response.text().await.unwrap());
    let csrf = attrs(&html, "input[name=csrf]", "value").remove(0);
    Form { login_cookie, csrf }
}

async fn attempt(
    client: &reqwest::Client,
    addr: SocketAddr,
    form: &Form,
    attempt: &Attempt<'_>,
) -> Answer {
    let mut cookies = format!("dateline_login={}", form.login_cookie);
    if let Some(device) = attempt.device {
        cookies.push_str(&format!("; dateline_device={device}"));
    }
    let mut fields = vec![
        ("email", attempt.email),
        ("password", attempt.password),
        ("csrf", form.csrf.as_str()),
    ];
    if let Some(next) = attempt.next {
        fields.push(("next", next));
    }
    let mut request = client
        .post(format!("http://{addr}/admin/login"))
        .header("cookie", cookies)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&fields));
    if let Some(forwarded_for) = attempt.forwarded_for {
        request = request.header("x-forwarded-for", forwarded_for);
    }
    let response = request.send().await.expect("sign-in answered");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (location, retry_after) = (header("location"), header("retry-after"));
    let session =
        crate::harness::set_cookie_value(&response, "dateline_session").filter(|v| !v.is_empty());
    let device_cookie = set_cookie_header(&response, "dateline_device");
    Answer {
        status: response.status(),
        location,
        retry_after,
        session,
        device_cookie,
        body: response.text().await.unwrap_or_default(),
    }
}

/// `n` copies of one attempt, all sent at once; their answers.
async fn burst(
    client: &reqwest::Client,
    addr: SocketAddr,
    form: &Form,
    attempts: Vec<(String, String, Option<String>)>,
) -> Vec<Answer> {
    let mut tasks = tokio::task::JoinSet::new();
    for (email, password, forwarded_for) in attempts {
        let (client, form) = (client.clone(), form.clone());
        tasks.spawn(async move {
            let mut one = Attempt::new(&email, &password);
            one.forwarded_for = forwarded_for.as_deref();
            attempt(&client, addr, &form, &one).await
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        answers.push(answer.expect("attempt task"));
    }
    answers
}

fn count(answers: &[Answer], status: StatusCode) -> usize {
    answers.iter().filter(|a| a.status == status).count()
}

async fn owner(app: &TestApp, name: &str) -> User {
    app.account(name, Role::Editor).await
}

async fn simultaneous_wrong_passwords_run_no_more_checks_than_the_limit(app: TestApp) {
    let sana = owner(&app, "Sana").await;
    let gate = roomy_gate();
    let server = serve(app.state.clone().with_password_hashing(gate.clone())).await;
    let form = form(&app.client, server.addr).await;
    let attempts = (0..100)
        .map(|_| (sana.email.to_string(), "not the password".to_owned(), None))
        .collect();
    let answers = burst(&app.client, server.addr, &form, attempts).await;
    assert_eq!(answers.len(), 100);
    let (wrong, limited) = (
        count(&answers, StatusCode::UNAUTHORIZED),
        count(&answers, StatusCode::TOO_MANY_REQUESTS),
    );
    assert_eq!(
        wrong + limited,
        100,
        "every answer is 401 or 429: {:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(
        wrong, 5,
        "only the limit's worth were answered 'wrong password'"
    );
    assert_eq!(
        gate.runs(),
        5,
        "only the limit's worth of passwords were checked"
    );
    assert!(
        answers
            .iter()
            .all(|a| a.is_login_page_with(sana.email.as_str()))
    );
    let failures = app
        .store
        .sign_in_failures(
            &format!("pair:127.0.0.1 {}", sana.email),
            app.clock_now() - chrono::Duration::minutes(15),
        )
        .await
        .unwrap();
    assert_eq!(failures, 5);
}

async fn a_flood_of_sign_ins_runs_no_more_hashes_than_the_bound_and_never_answers_500(
    app: TestApp,
) {
    let mut accounts = Vec::new();
    for name in ["Sana", "Ali", "Eddie", "Zara"] {
        accounts.push(owner(&app, name).await);
    }
    // Two at once, a short queue: most of a burst of 100 cannot get a turn.
    let gate = Arc::new(HashGate::new(2, Duration::from_millis(200), 8));
    let server = behind_proxy(&app, gate.clone()).await;
    let form = form(&app.client, server.addr).await;
    // Each from an address of its own, 25 to each account: no limit is reached, so every
    // attempt asks for a password check.
    let attempts = (0..100)
        .map(|i| {
            (
                accounts[i % 4].email.to_string(),
                "not the password".to_owned(),
                Some(format!("198.51.100.{}", i + 1)),
            )
        })
        .collect();
    let answers = burst(&app.client, server.addr, &form, attempts).await;
    assert_eq!(answers.len(), 100);
    for answer in &answers {
        assert!(
            [StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE].contains(&answer.status),
            "{} {}",
            answer.status,
            answer.body
        );
        assert!(answer.session.is_none());
        let html = Html::parse_document(&answer.body);
        assert_eq!(
            attrs(&html, "input[name=password]", "type"),
            ["password"],
            "the sign-in form again, not a bare error"
        );
        if answer.status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(answer.retry_after.as_deref(), Some("1"));
            assert!(answer.alert().contains("busy"), "{}", answer.alert());
        }
    }
    assert!(gate.peak() >= 1);
    assert!(
        gate.peak() <= 2,
        "at most the bound ran at once: {}",
        gate.peak()
    );
    assert_eq!(
        gate.runs() as usize,
        count(&answers, StatusCode::UNAUTHORIZED),
        "a check ran for each 'wrong password', none for a 'busy'"
    );
    // Only the checked attempts count as failures; the busy ones were taken back.
    let since = app.clock_now() - chrono::Duration::minutes(15);
    let mut noted = 0;
    for account in &accounts {
        noted += app
            .store
            .sign_in_failures(&format!("account:{}", account.email), since)
            .await
            .unwrap();
    }
    assert_eq!(noted as usize, count(&answers, StatusCode::UNAUTHORIZED));
}

async fn busy_password_hashing_answers_503_with_retry_after_and_counts_no_attempt(app: TestApp) {
    let sana = owner(&app, "Sana").await;
    let gate = Arc::new(HashGate::new(1, Duration::from_millis(100), 8));
    let server = serve(app.state.clone().with_password_hashing(gate.clone())).await;
    let form = form(&app.client, server.addr).await;
    // Something else holds the only permit until told to stop.
    let (release, hold) = std::sync::mpsc::channel::<()>();
    let holder = {
        let gate = gate.clone();
        tokio::spawn(async move {
            gate.run(move || {
                let _ = hold.recv();
            })
            .await
        })
    };
    for _ in 0..200 {
        if gate.runs() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(gate.runs(), 1, "the permit is held");
    // More than the per-account limit, all answered "busy": none of them counts.
    for _ in 0..7 {
        let answer = attempt(
            &app.client,
            server.addr,
            &form,
            &Attempt::new(sana.email.as_str(), "not the password"),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            answer.body
        );
        assert_eq!(answer.retry_after.as_deref(), Some("1"));
        assert!(answer.is_login_page_with(sana.email.as_str()));
        assert!(
            answer.alert().contains("busy signing people in"),
            "{}",
            answer.alert()
        );
        assert!(answer.session.is_none());
    }
    release.send(()).unwrap();
    holder.await.unwrap().unwrap();
    let answer = attempt(
        &app.client,
        server.addr,
        &form,
        &Attempt::new(sana.email.as_str(), PASSWORD),
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.alert());
    assert!(answer.session.is_some());
}

async fn an_account_locked_against_one_address_still_lets_its_owner_in_from_another(app: TestApp) {
    let sana = owner(&app, "Sana").await;
    let server = behind_proxy(&app, roomy_gate()).await;
    let form = form(&app.client, server.addr).await;
    let email = sana.email.as_str();
    let attacker = "203.0.113.66";
    for _ in 0..5 {
        let answer = attempt(
            &app.client,
            server.addr,
            &form,
            &Attempt::new(email, "guess guess guess").from(attacker),
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let locked = attempt(
        &app.client,
        server.addr,
        &form,
        &Attempt::new(email, PASSWORD).from(attacker),
    )
    .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        locked
            .alert()
            .contains("Too many failed sign-ins for this account. Try again in 15 minutes"),
        "{}",
        locked.alert()
    );
    // The owner, from the office, on a browser that has never signed in: let in.
    let owner = attempt(
        &app.client,
        server.addr,
        &form,
        &Attempt::new(email, PASSWORD).from("192.0.2.7"),
    )
    .await;
    assert_eq!(owner.status, StatusCode::SEE_OTHER, "{}", owner.alert());
    assert!(owner.session.is_some());
}

async fn attackers_on_many_addresses_do_not_stop_the_owner_on_a_known_device(app: TestApp) {
    let sana = owner(&app, "Sana").await;
    let server = behind_proxy(&app, roomy_gate()).await;
    let form = form(&app.client, server.addr).await;
    let email = sana.email.as_str();
    // The owner signed in once at home; the browser keeps a device cookie.
    let first = attempt(
        &app.client,
        server.addr,
        &form,
        &Attempt::new(email, PASSWORD).from("192.0.2.7"),
    )
    .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.alert());
    let cookie = first.device_cookie.clone().expect("a device cookie");
    for part in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/admin",
        &format!("Max-Age={}", KNOWN_DEVICE_LIFETIME.num_seconds()),
    ] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    let device = first.device();
    assert_eq!(device.len(), 64);
    // Attackers: five guesses from each of twelve addresses (60 in all), and twenty-five
    // failures on other accounts from the shared office proxy address.
    let shared = "203.0.113.10";
    let mut attacks: Vec<(String, String, Option<String>)> = (0..60)
        .map(|i| {
            (
                email.to_owned(),
                "guess guess guess".to_owned(),
                Some(format!("198.51.100.{}", i / 5 + 1)),
            )
        })
        .collect();
    attacks.extend((0..25).map(|i| {
        (
            format!("nobody{i}@newsroom.test"),
            "guess guess guess".to_owned(),
            Some(shared.to_owned()),
        )
    }));
    let answers = burst(&app.client, server.addr, &form, attacks).await;
    assert!(
        answers
            .iter()
            .all(|a| [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&a.status))
    );
    // A browser the account does not know is now refused, even with the right password.
    let stranger = attempt(
        &app.client,
        server.addr,
        &form,
        &Attempt::new(email, PASSWORD).from("192.0.2.99"),
    )
    .await;
    assert_eq!(stranger.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        stranger
            .alert()
            .contains("Sign in from a browser you have used before"),
        "{}",
        stranger.alert()
    );
    // The owner's own browser still signs in, from the shared address too, and keeps its cookie.
    let known = attempt(
        &app.client,
        server.addr,
        &form,
        &Attempt::new(email, PASSWORD)
            .from(shared)
            .on_device(&device),
    )
    .await;
    assert_eq!(known.status, StatusCode::SEE_OTHER, "{}", known.alert());
    assert!(known.session.is_some());
    assert_eq!(known.device(), device);
    // A device cookie only counts for the account it signed in to.
    let ali = owner(&app, "Ali").await;
    for _ in 0..5 {
        attempt(
            &app.client,
            server.addr,
            &form,
            &Attempt::new(ali.email.as_str(), "guess guess guess").from(shared),
        )
        .await;
    }
    let borrowed = attempt(
        &app.client,
        server.addr,
        &form,
        &Attempt::new(ali.email.as_str(), PASSWORD)
            .from(shared)
            .on_device(&device),
    )
    .await;
    assert_eq!(borrowed.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn a_shared_address_with_many_failures_does_not_lock_an_account_that_signed_in_from_it(
    app: TestApp,
) {
    let sana = owner(&app, "Sana").await;
    let ali = owner(&app, "Ali").await;
    let server = behind_proxy(&app, roomy_gate()).await;
    let form = form(&app.client, server.addr).await;
    let office = "203.0.113.10";
    let before = attempt(
        &app.client,
        server.addr,
        &form,
        &Attempt::new(sana.email.as_str(), PASSWORD).from(office),
    )
    .await;
    assert_eq!(before.status, StatusCode::SEE_OTHER);
    for i in 0..20 {
        let answer = attempt(
            &app.client,
            server.addr,
            &form,
            &Attempt::new(&format!("nobody{i}@newsroom.test"), "guess guess guess").from(office),
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    // Sana signed in from the office before: let in, even from a browser without the cookie.
    let sana_again = attempt(
        &app.client,
        server.addr,
        &form,
        &Attempt::new(sana.email.as_str(), PASSWORD).from(office),
    )
    .await;
    assert_eq!(
        sana_again.status,
        StatusCode::SEE_OTHER,
        "{}",
        sana_again.alert()
    );
    // Ali never has: the office address is refused for him until the window passes.
    let ali_new = attempt(
        &app.client,
        server.addr,
        &form,
        &Attempt::new(ali.email.as_str(), PASSWORD).from(office),
    )
    .await;
    assert_eq!(ali_new.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        ali_new.alert().contains("from your network"),
        "{}",
        ali_new.alert()
    );
    app.clock
        .set(app.clock_now() + chrono::Duration::minutes(16));
    let later = attempt(
        &app.client,
        server.addr,
        &form,
        &Attempt::new(ali.email.as_str(), PASSWORD).from(office),
    )
    .await;
    assert_eq!(later.status, StatusCode::SEE_OTHER, "{}", later.alert());
}

async fn forwarded_for_decides_the_address_only_behind_a_configured_proxy(app: TestApp) {
    // Without the option the header is ignored: forging it does not reset the count.
    let sana = owner(&app, "Sana").await;
    let direct = form(&app.client, app.addr).await;
    for i in 0..5 {
        let answer = attempt(
            &app.client,
            app.addr,
            &direct,
            &Attempt::new(sana.email.as_str(), "guess guess guess").from(&format!("10.9.9.{i}")),
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let forged = attempt(
        &app.client,
        app.addr,
        &direct,
        &Attempt::new(sana.email.as_str(), PASSWORD).from("10.9.9.200"),
    )
    .await;
    assert_eq!(forged.status, StatusCode::TOO_MANY_REQUESTS);

    // Behind the configured proxy, the right-most address it added is the client's.
    let ali = owner(&app, "Ali").await;
    let server = behind_proxy(&app, roomy_gate()).await;
    let proxied = form(&app.client, server.addr).await;
    for _ in 0..5 {
        let answer = attempt(
            &app.client,
            server.addr,
            &proxied,
            // What the client wrote itself (the left part) does not count.
            &Attempt::new(ali.email.as_str(), "guess guess guess").from("10.1.1.1, 198.51.100.5"),
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let same = attempt(
        &app.client,
        server.addr,
        &proxied,
        &Attempt::new(ali.email.as_str(), PASSWORD).from("10.2.2.2, 198.51.100.5"),
    )
    .await;
    assert_eq!(same.status, StatusCode::TOO_MANY_REQUESTS);
    let other = attempt(
        &app.client,
        server.addr,
        &proxied,
        &Attempt::new(ali.email.as_str(), PASSWORD).from("198.51.100.6"),
    )
    .await;
    assert_eq!(other.status, StatusCode::SEE_OTHER, "{}", other.alert());

    // A malformed header counts as the proxy's own address.
    let zara = owner(&app, "Zara").await;
    for junk in [
        "not an address",
        "198.51.100.7:443",
        "",
        "1.2.3.4,,",
        "unknown",
    ] {
        let answer = attempt(
            &app.client,
            server.addr,
            &proxied,
            &Attempt::new(zara.email.as_str(), "guess guess guess").from(junk),
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{junk:?}");
    }
    let malformed = attempt(
        &app.client,
        server.addr,
        &proxied,
        &Attempt::new(zara.email.as_str(), PASSWORD).from("still, junk"),
    )
    .await;
    assert_eq!(malformed.status, StatusCode::TOO_MANY_REQUESTS);
    let failures = app
        .store
        .sign_in_failures(
            &format!("pair:{LOOPBACK} {}", zara.email),
            app.clock_now() - chrono::Duration::minutes(15),
        )
        .await
        .unwrap();
    assert_eq!(failures, 5);
}

async fn hostile_next_after_sign_in_redirects_to_the_newsroom_and_never_answers_500(app: TestApp) {
    let sana = owner(&app, "Sana").await;
    let long = format!("/admin/{}", "a".repeat(10_000));
    let hostile = [
        "/admin\r\nSet-Cookie: planted=1",
        "/admin/users\r\n",
        "/admin\0",
        "/admin/\u{7}",
        "//evil.example",
        "//evil.example/admin",
        "https://evil.example",
        "/admin\\..\\..\\evil",
        "/admin/../../evil",
        long.as_str(),
    ];
    let direct = form(&app.client, app.addr).await;
    for next in hostile {
        let answer = attempt(
            &app.client,
            app.addr,
            &direct,
            &Attempt::new(sana.email.as_str(), PASSWORD).next(next),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "{next:?}: {}",
            answer.body
        );
        assert_eq!(answer.location.as_deref(), Some("/admin"), "{next:?}");
        assert!(answer.session.is_some(), "{next:?}");
    }
    // A plain newsroom path is kept.
    let kept = attempt(
        &app.client,
        app.addr,
        &direct,
        &Attempt::new(sana.email.as_str(), PASSWORD).next("/admin/users?x=1"),
    )
    .await;
    assert_eq!(kept.location.as_deref(), Some("/admin/users?x=1"));
    // The sign-in form itself, asked for with the same values, offers `/admin`.
    for query in [
        "%0d%0a",
        "%2Fadmin%0d%0aX",
        "%2Fadmin%00",
        "%2F%2Fevil.example",
    ] {
        let (status, html) = app.page(&format!("/admin/login?next={query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(
            attrs(&html, "input[name=next]", "value"),
            ["/admin"],
            "{query}"
        );
    }
}
