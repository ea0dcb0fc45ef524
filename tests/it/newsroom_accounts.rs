//! Accounts, roles, sessions, CSRF and sign-in limits, on both backends.

use chrono::Duration;
use dateline_domain::{Action, Role, WorkflowStore};
use reqwest::StatusCode;

use crate::harness::{
    Desk, PASSWORD, TestApp, attrs, form_body, on_both_backends, set_cookie_header, texts,
};

on_both_backends!(
    every_admin_route_answers_each_role_as_the_matrix_says,
    anonymous_visitors_are_sent_to_sign_in_and_back,
    session_cookie_is_hardened_and_rotated_at_sign_in,
    wrong_password_is_refused_and_the_account_locks_after_five_failures,
    sign_in_is_limited_per_address,
    forged_csrf_token_is_refused_and_changes_nothing,
    expired_session_is_sent_to_sign_in_and_changes_nothing,
    sign_out_ends_the_session,
    changing_password_needs_the_current_one_and_ends_other_sessions,
    admin_adds_accounts_and_bad_input_adds_none,
);

/// A newsroom route and what a role must be allowed to do to use it.
struct Route {
    method: &'static str,
    path: &'static str,
    action: Action,
    /// For a POST: a form that would change something if it were allowed.
    form: &'static [(&'static str, &'static str)],
}

const ROUTES: &[Route] = &[
    Route {
        method: "GET",
        path: "/admin",
        action: Action::UseNewsroom,
        form: &[],
    },
    Route {
        method: "GET",
        path: "/admin/password",
        action: Action::ChangeOwnPassword,
        form: &[],
    },
    Route {
        method: "GET",
        path: "/admin/articles/new",
        action: Action::WriteOwnDrafts,
        form: &[],
    },
    Route {
        method: "GET",
        path: "/admin/read-more?q=putin",
        action: Action::WriteOwnDrafts,
        form: &[],
    },
    Route {
        method: "GET",
        path: "/admin/media",
        action: Action::WriteOwnDrafts,
        form: &[],
    },
    Route {
        method: "GET",
        path: "/admin/sections",
        action: Action::ManageSectionsAndTags,
        form: &[],
    },
    Route {
        method: "POST",
        path: "/admin/sections/1",
        action: Action::ManageSectionsAndTags,
        form: &[("name", "Renamed by an intruder")],
    },
    Route {
        method: "GET",
        path: "/admin/audit",
        action: Action::ViewAuditLog,
        form: &[],
    },
    Route {
        method: "GET",
        path: "/admin/users",
        action: Action::ManageUsers,
        form: &[],
    },
    Route {
        method: "POST",
        path: "/admin/users",
        action: Action::ManageUsers,
        form: &[
            ("email", "intruder@newsroom.test"),
            ("name", "Intruder"),
            ("role", "admin"),
            ("password", "a long enough password"),
        ],
    },
    Route {
        method: "GET",
        path: "/admin/settings",
        action: Action::ManageSiteSettings,
        form: &[],
    },
    Route {
        method: "POST",
        path: "/admin/settings",
        action: Action::ManageSiteSettings,
        form: &[("name", "Renamed by an intruder")],
    },
];

async fn call(desk: &Desk<'_>, route: &Route) -> reqwest::Response {
    match route.method {
        "GET" => desk.get(route.path).await,
        _ => desk.post(route.path, route.form).await,
    }
}

async fn every_admin_route_answers_each_role_as_the_matrix_says(app: TestApp) {
    let mut desks = Vec::new();
    for role in Role::ALL {
        let user = app.account(&format!("The {role}"), role).await;
        desks.push((role, app.sign_in(&user).await));
    }
    let users_before = app.count_users().await;
    for route in ROUTES {
        // Anonymous: to the sign-in page, nothing done.
        let anonymous = match route.method {
            "GET" => app.get(route.path).await,
            _ => app
                .client
                .post(app.url(route.path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_body(route.form))
                .send()
                .await
                .unwrap(),
        };
        assert_eq!(
            anonymous.status(),
            StatusCode::SEE_OTHER,
            "{} {}",
            route.method,
            route.path
        );
        let location = anonymous.headers()["location"].to_str().unwrap();
        assert!(location.starts_with("/admin/login"), "{location}");
        for (role, desk) in &desks {
            let response = call(desk, route).await;
            let status = response.status();
            let to_login = response
                .headers()
                .get("location")
                .is_some_and(|l| l.to_str().unwrap_or_default().starts_with("/admin/login"));
            if role.may(route.action) {
                assert!(
                    status != StatusCode::FORBIDDEN && !to_login,
                    "{role} should be able to {} {}: {status}",
                    route.method,
                    route.path
                );
                if route.method == "GET" {
                    assert_eq!(status, StatusCode::OK, "{role} {}", route.path);
                }
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role} must not {} {}",
                    route.method,
                    route.path
                );
                let html = scraper::Html::parse_document(&response.text().await.unwrap());
                assert!(texts(&html, "[role=alert]")[0].contains("Nothing was changed"));
            }
        }
    }
    // Only the admin's POST went through, and it added exactly one account; the section was
    // renamed only by those allowed to (editors and admins), never by the others.
    assert_eq!(app.count_users().await, users_before + 1);
    let renames = app.store.audit_log(None, 0, 100).await.unwrap();
    let renames: Vec<_> = renames
        .iter()
        .filter(|r| r.action.as_str() == "renamed section")
        .map(|r| r.user_name.clone().unwrap_or_default())
        .collect();
    assert_eq!(renames, ["The admin", "The editor"]);
    let (_, html) = desks[0].1.page("/admin").await;
    assert!(
        texts(&html, ".bar-nav a").iter().all(|t| t != "Accounts"),
        "a contributor is not shown a link to a page it may not open"
    );
}

async fn anonymous_visitors_are_sent_to_sign_in_and_back(app: TestApp) {
    let response = app.get("/admin/users?x=1").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        "/admin/login?next=/admin/users%3Fx%3D1"
    );
    let (status, html) = app.page("/admin/login?next=/admin/users%3Fx%3D1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        attrs(&html, "input[name=next]", "value"),
        ["/admin/users?x=1"]
    );
    // Never off to another site or the public pages.
    for bad in [
        "//evil.example/admin",
        "https://evil.example",
        "/",
        "/admin/logout",
    ] {
        let (_, html) = app
            .page(&format!(
                "/admin/login?next={}",
                bad.replace('/', "%2F").replace(':', "%3A")
            ))
            .await;
        assert_eq!(
            attrs(&html, "input[name=next]", "value"),
            ["/admin"],
            "{bad}"
        );
    }
}

async fn session_cookie_is_hardened_and_rotated_at_sign_in(app: TestApp) {
    let user = app.account("Sana", Role::Author).await;
    let first = app.sign_in(&user).await;
    let second = app.sign_in(&user).await;
    assert_ne!(
        first.session, second.session,
        "every sign-in makes a new token"
    );
    assert_eq!(first.session.len(), 64);

    // The cookie as sent: HttpOnly, SameSite=Lax, expiring, and no Secure over plain HTTP.
    let form = app.get("/admin/login").await;
    let login_cookie = crate::harness::set_cookie_value(&form, "dateline_login").unwrap();
    let html = scraper::Html::parse_document(&form.text().await.unwrap());
    let csrf = attrs(&html, "input[name=csrf]", "value").remove(0);
    let sign_in = |proto: &'static str, old: Option<String>| {
        let mut cookies = format!("dateline_login={login_cookie}");
        if let Some(old) = old {
            cookies.push_str(&format!("; dateline_session={old}"));
        }
        app.client
            .post(app.url("/admin/login"))
            .header("cookie", cookies)
            .header("x-forwarded-proto", proto)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[
                ("email", user.email.as_str()),
                ("password", PASSWORD),
                ("csrf", &csrf),
            ]))
            .send()
    };
    let response = sign_in("http", Some(first.session.clone())).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie_header(&response, "dateline_session").unwrap();
    for part in ["HttpOnly", "SameSite=Lax", "Path=/admin", "Max-Age=43200"] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    // The session the browser had before signing in is over.
    assert_eq!(first.get("/admin").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.get("/admin").await.status(), StatusCode::OK);
    let over_https = sign_in("https", None).await.unwrap();
    let cookie = set_cookie_header(&over_https, "dateline_session").unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

async fn wrong_password_is_refused_and_the_account_locks_after_five_failures(app: TestApp) {
    let user = app.account("Sana", Role::Editor).await;
    for _ in 0..5 {
        let (status, message) = app
            .try_sign_in(user.email.as_str(), "not the password")
            .await
            .err()
            .unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(message, "The e-mail address or password is not right.");
    }
    let (status, message) = app
        .try_sign_in(user.email.as_str(), PASSWORD)
        .await
        .err()
        .expect("locked, even with the right password");
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        message.contains("Too many failed sign-ins for this account. Try again in 15 minutes"),
        "{message}"
    );
    // Another account from the same address is not locked out.
    let other = app.account("Ali", Role::Contributor).await;
    app.sign_in(&other).await;
    // When the window has passed, the right password works again.
    app.clock.set(app.clock_now() + Duration::minutes(16));
    app.sign_in(&user).await;
}

async fn sign_in_is_limited_per_address(app: TestApp) {
    let user = app.account("Sana", Role::Editor).await;
    for i in 0..20 {
        let (status, _) = app
            .try_sign_in(&format!("nobody{i}@newsroom.test"), "guess guess guess")
            .await
            .err()
            .unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, message) = app
        .try_sign_in(user.email.as_str(), PASSWORD)
        .await
        .err()
        .expect("this address is refused");
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(message.contains("from your network"), "{message}");
}

async fn forged_csrf_token_is_refused_and_changes_nothing(app: TestApp) {
    let admin = app.account("Admin", Role::Admin).await;
    let desk = app.sign_in(&admin).await;
    let before = app.count_users().await;
    let form = [
        ("email", "new@newsroom.test"),
        ("name", "New"),
        ("role", "editor"),
        ("password", "a long enough password"),
    ];
    for forged in ["", "0000", &"f".repeat(64)] {
        let mut fields = form.to_vec();
        fields.push(("csrf", forged));
        let response = desk.post_raw("/admin/users", &fields).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let html = scraper::Html::parse_document(&response.text().await.unwrap());
        assert!(texts(&html, "[role=alert]")[0].contains("nothing was changed"));
    }
    // Another session's token is not this one's either.
    let other = app.sign_in(&admin).await;
    let mut fields = form.to_vec();
    fields.push(("csrf", &other.csrf));
    assert_eq!(
        desk.post_raw("/admin/users", &fields).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.count_users().await, before);
    // Sign-out and password forms are guarded too.
    let response = desk
        .post_raw(
            "/admin/password",
            &[
                ("current", PASSWORD),
                ("new", "another long one"),
                ("repeat", "another long one"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        desk.post_raw("/admin/logout", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        desk.get("/admin").await.status(),
        StatusCode::OK,
        "still signed in"
    );
    app.sign_in(&admin).await; // the password did not change
    // The sign-in form without its cookie's token.
    let response = app
        .client
        .post(app.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("email", admin.email.as_str()),
            ("password", PASSWORD),
            ("csrf", "x"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn expired_session_is_sent_to_sign_in_and_changes_nothing(app: TestApp) {
    let admin = app.account("Admin", Role::Admin).await;
    let desk = app.sign_in(&admin).await;
    app.clock.set(app.clock_now() + Duration::hours(11));
    assert_eq!(desk.get("/admin").await.status(), StatusCode::OK);
    app.clock.set(app.clock_now() + Duration::hours(2));
    let response = desk.get("/admin/users").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        "/admin/login?next=/admin/users"
    );
    let before = app.count_users().await;
    let response = desk
        .post(
            "/admin/users",
            &[
                ("email", "late@newsroom.test"),
                ("name", "Late"),
                ("role", "admin"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count_users().await, before);
}

async fn sign_out_ends_the_session(app: TestApp) {
    let user = app.account("Sana", Role::Contributor).await;
    let desk = app.sign_in(&user).await;
    let response = desk.post("/admin/logout", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie_header(&response, "dateline_session").unwrap();
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
    assert_eq!(desk.get("/admin").await.status(), StatusCode::SEE_OTHER);
}

async fn changing_password_needs_the_current_one_and_ends_other_sessions(app: TestApp) {
    let user = app.account("Sana", Role::Author).await;
    let desk = app.sign_in(&user).await;
    let elsewhere = app.sign_in(&user).await;
    let new = "a brand new passphrase";
    for (current, repeat, want) in [
        ("wrong password!", new, "current password: is not right"),
        (
            PASSWORD,
            "something else entirely",
            "the two entries differ",
        ),
    ] {
        let response = desk
            .post(
                "/admin/password",
                &[("current", current), ("new", new), ("repeat", repeat)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = scraper::Html::parse_document(&response.text().await.unwrap());
        assert!(texts(&html, "[role=alert]")[0].contains(want));
    }
    let response = desk
        .post(
            "/admin/password",
            &[("current", PASSWORD), ("new", "short"), ("repeat", "short")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        elsewhere.get("/admin").await.status(),
        StatusCode::OK,
        "nothing changed yet"
    );
    let response = desk
        .post(
            "/admin/password",
            &[("current", PASSWORD), ("new", new), ("repeat", new)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        desk.get("/admin").await.status(),
        StatusCode::OK,
        "this browser stays in"
    );
    assert_eq!(
        elsewhere.get("/admin").await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(
        app.try_sign_in(user.email.as_str(), PASSWORD)
            .await
            .is_err()
    );
    assert!(app.try_sign_in(user.email.as_str(), new).await.is_ok());
}

async fn admin_adds_accounts_and_bad_input_adds_none(app: TestApp) {
    let admin = app.account("Admin", Role::Admin).await;
    let desk = app.sign_in(&admin).await;
    let before = app.count_users().await;
    for (fields, want) in [
        (
            [
                ("email", "not an address"),
                ("name", "X"),
                ("role", "editor"),
                ("password", "long enough pass"),
            ],
            "email: must look like name@example.com",
        ),
        (
            [
                ("email", "x@newsroom.test"),
                ("name", " "),
                ("role", "editor"),
                ("password", "long enough pass"),
            ],
            "name: must be one line",
        ),
        (
            [
                ("email", "x@newsroom.test"),
                ("name", "X"),
                ("role", "owner"),
                ("password", "long enough pass"),
            ],
            "role: 'owner' is not one of",
        ),
        (
            [
                ("email", "x@newsroom.test"),
                ("name", "X"),
                ("role", "editor"),
                ("password", "short"),
            ],
            "password: must be at least 10 characters",
        ),
        (
            [
                ("email", "ADMIN@newsroom.test"),
                ("name", "X"),
                ("role", "editor"),
                ("password", "long enough pass"),
            ],
            "admin@newsroom.test already has an account",
        ),
    ] {
        let response = desk.post("/admin/users", &fields).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{want}"
        );
        let html = scraper::Html::parse_document(&response.text().await.unwrap());
        let alert = texts(&html, "[role=alert]").join(" ");
        assert!(alert.contains(want), "{alert} should say {want}");
        assert!(alert.contains("No account was added"), "{alert}");
    }
    assert_eq!(app.count_users().await, before);
    let response = desk
        .post(
            "/admin/users",
            &[
                ("email", "Reporter@Newsroom.test"),
                ("name", "Reporter"),
                ("role", "contributor"),
                ("password", "long enough pass"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = scraper::Html::parse_document(&response.text().await.unwrap());
    assert!(texts(&html, "table.list td").contains(&"reporter@newsroom.test".to_owned()));
    assert!(
        app.try_sign_in("reporter@newsroom.test", "long enough pass")
            .await
            .is_ok()
    );
}
