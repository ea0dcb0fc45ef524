//! Comments: a WordPress site's come across with their threads and accounts (approved and
//! pending; trash stays behind), an article page shows the approved ones, threaded, only when
//! the site says so, and never a pending one; the newsroom approves, unapproves and deletes them
//! (editors and above, CSRF-checked, one state however many times the same click arrives), and
//! the page follows at once; and they move with an export and an import, once.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use dateline_domain::{
    AccountStore, Article, ArticleStore, Comment, CommentFilter, CommentKind, CommentStatus,
    CommentStore, ImportItem, PortableComment, PortableStore, Role, SiteStore, Slug,
};
use dateline_services::settings::{SettingsInput, save_settings};
use reqwest::StatusCode;

use crate::harness::{TestApp, attrs, on_both_backends, texts};

on_both_backends!(
    wordpress_comments_come_across_threaded_and_show_only_when_the_site_says,
    the_newsroom_approves_unapproves_and_deletes_comments,
    comments_move_with_an_export_and_an_import_adds_them_once,
    an_article_page_shows_at_most_its_bound_of_comments,
);

const SEED: &str = "imran-khan-extends-invitation-to-putin-discuss-ties-on-call";

/// Every comment stored, newest first.
async fn all_comments(app: &TestApp) -> Vec<dateline_domain::CommentRow> {
    let (rows, more) = app
        .store
        .comments(&CommentFilter {
            status: None,
            offset: 0,
            limit: 500,
        })
        .await
        .unwrap();
    assert!(!more);
    rows
}

/// Turns "show comments" on or off, as the settings page does.
async fn show_comments(app: &TestApp, on: bool) {
    let stored = app.store.site_settings().await.unwrap().unwrap();
    let mut input = SettingsInput::from(&stored);
    input.show_comments = on;
    save_settings(app.store.as_ref(), &input).await.unwrap();
    // The next request reads the settings again.
    app.get("/healthz").await;
    assert_eq!(app.state.site().show_comments, on);
}

/// The authors of the comments a page shows, in order, with the depth of each.
fn shown(page: &scraper::Html) -> Vec<(String, String)> {
    let authors = texts(page, ".comments li.comment .comment-author");
    let classes = attrs(page, ".comments li.comment", "class");
    assert_eq!(authors.len(), classes.len());
    authors
        .into_iter()
        .zip(classes)
        .map(|(author, class)| {
            let depth = class
                .split_whitespace()
                .find(|c| c.starts_with("depth-"))
                .unwrap()
                .to_owned();
            (author, depth)
        })
        .collect()
}

async fn wordpress_comments_come_across_threaded_and_show_only_when_the_site_says(app: TestApp) {
    use crate::wordpress_import::{fixture, import, stdout};
    let out = stdout(&import(&app, &fixture("gvs-sample.wxr.xml"), &[]).await);
    for line in [
        "comments (approved): 6",
        "comments (pending): 2",
        "left out: 1 trashed comment",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
    assert!(!out.contains("comment(s)"), "{out}");
    // The demo publication already holds the seed article (created at another time), so the
    // file's is left out, and its two comments with it.
    assert!(
        out.contains("comment: 6 added, 0 already there, 2 left out"),
        "{out}"
    );
    let rows = all_comments(&app).await;
    let count = |f: &dyn Fn(&Comment) -> bool| rows.iter().filter(|r| f(&r.comment)).count();
    assert_eq!(rows.len(), 6);
    assert_eq!(count(&|c| c.status == CommentStatus::Approved), 5);
    assert_eq!(count(&|c| c.status == CommentStatus::Pending), 1);
    assert_eq!(
        count(&|c| c.kind == CommentKind::Pingback && c.status == CommentStatus::Approved),
        1
    );
    assert!(
        rows.iter()
            .all(|r| r.comment.author_name != "Duplicate poster")
    );
    // The converted file holds all eight, the seed article's two among them: Sadia's,
    // approved, and a pending question.
    let file = std::fs::read(fixture("gvs-sample.wxr.xml")).unwrap();
    let survey = dateline_services::wordpress::survey(&file[..]).unwrap();
    let mut converted = Vec::new();
    dateline_services::wordpress::convert_file(&file[..], survey, None, &mut converted, Utc::now())
        .unwrap();
    let on_seed: Vec<(String, String)> = String::from_utf8(converted)
        .unwrap()
        .lines()
        .filter_map(
            |line| match dateline_services::portable::Record::parse(line).unwrap() {
                dateline_services::portable::Record::Comment(c) if c.article == SEED => {
                    Some((c.author, c.status))
                }
                _ => None,
            },
        )
        .collect();
    assert_eq!(
        on_seed,
        [
            ("Sadia".to_owned(), "approved".to_owned()),
            ("Reader in Quetta".to_owned(), "pending".to_owned())
        ]
    );
    // The thread: Kamran answers Mariam, who answers Farah; Mariam wrote as the newsroom's
    // Mariam Farooq (an exported author), Bilal as a subscriber who is not exported.
    let by: HashMap<&str, &Comment> = rows
        .iter()
        .map(|r| (r.comment.author_name.as_str(), &r.comment))
        .collect();
    let (farah, mariam, kamran) = (by["Farah N."], by["Mariam Farooq"], by["Kamran"]);
    assert_eq!(farah.parent, None);
    assert_eq!(mariam.parent, Some(farah.id));
    assert_eq!(kamran.parent, Some(mariam.id));
    let mariam_account = app
        .store
        .user_credentials(&dateline_domain::Email::parse("mariam.farooq@example.test").unwrap())
        .await
        .unwrap()
        .expect("Mariam's account")
        .0;
    assert_eq!(mariam.user, Some(mariam_account.id));
    assert_eq!(by["Bilal R."].user, None);
    assert_eq!(kamran.author_url, "https://kamran.example.test/");
    assert_eq!(
        kamran.body,
        "Please also ask about weekend services & fares for students."
    );

    // Off by default: no comments on the page.
    let tram = rows
        .iter()
        .find(|r| r.comment.id == farah.id)
        .map(|r| format!("/{}", r.article.slug.as_str()))
        .unwrap();
    let seed_path = format!("/{SEED}");
    for path in [&seed_path, &tram] {
        let (status, page) = app.page(path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(texts(&page, ".comments").is_empty(), "{path}");
    }

    // On: approved comments, threaded, oldest first; pending and trashed never.
    show_comments(&app, true).await;
    let (_, page) = app.page(&seed_path).await;
    assert_eq!(texts(&page, ".comments-heading"), ["No comments"]);
    let (_, page) = app.page(&tram).await;
    assert_eq!(texts(&page, ".comments-heading"), ["5 comments"]);
    let text = texts(&page, "main").join(" ");
    assert!(
        !text.contains("Anonymous reader") && !text.contains("compensation for the shopkeepers")
    );
    let thread = shown(&page);
    let names: Vec<(&str, &str)> = thread
        .iter()
        .map(|(a, d)| (a.as_str(), d.as_str()))
        .collect();
    assert_eq!(
        &names[..3],
        [
            ("Farah N.", "depth-0"),
            ("Mariam Farooq", "depth-1"),
            ("Kamran", "depth-2")
        ]
    );
    assert!(names.contains(&("Bilal R.", "depth-0")), "{names:?}");
    assert!(
        !names
            .iter()
            .any(|(a, _)| *a == "Anonymous reader" || *a == "Duplicate poster"),
        "{names:?}"
    );
    // Text is shown as text: WordPress's markup is gone, the ampersand escaped once.
    let kamran_text = texts(&page, &format!("#comment-{} .comment-text", kamran.id));
    assert_eq!(
        kamran_text,
        ["Please also ask about weekend services & fares for students."]
    );
    assert_eq!(
        attrs(
            &page,
            &format!("#comment-{} .comment-author a", kamran.id),
            "href"
        ),
        ["https://kamran.example.test/"]
    );
    // Off again: gone again.
    show_comments(&app, false).await;
    let (_, page) = app.page(&tram).await;
    assert!(texts(&page, ".comments").is_empty());
}

/// Two comments on `article`: Farah's, approved, and a pending reply to it (by an account when
/// `user` is given).
async fn two_comments(app: &TestApp, article: &Article, user: Option<&str>) -> (Comment, Comment) {
    let at = DateTime::parse_from_rfc3339("2024-04-16T07:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let comment = |author: &str, minutes: i64, status, parent: Option<(DateTime<Utc>, String)>| {
        PortableComment {
            article: article.slug.clone(),
            article_created_at: article.created_at,
            parent,
            author_name: author.to_owned(),
            author_email: format!("{}@example.test", author.to_lowercase()),
            author_url: String::new(),
            body: format!("Comment by {author}.\n\nA second paragraph <b>as text</b>."),
            status,
            kind: CommentKind::Comment,
            created_at: at + Duration::minutes(minutes),
            user: None,
        }
    };
    let first = comment("Farah", 0, CommentStatus::Approved, None);
    let mut reply = comment(
        "Omar",
        5,
        CommentStatus::Pending,
        Some((first.created_at, first.author_name.clone())),
    );
    reply.user = user.map(|e| dateline_domain::Email::parse(e).unwrap());
    let outcomes = app
        .store
        .import(
            &[ImportItem::Comment(first), ImportItem::Comment(reply)],
            dateline_domain::WhenStored::Keep,
        )
        .await
        .unwrap();
    assert!(
        outcomes
            .iter()
            .all(|o| *o == dateline_domain::ImportOutcome::Added)
    );
    let rows = all_comments(app).await;
    let find = |name: &str| {
        rows.iter()
            .find(|r| r.comment.author_name == name)
            .unwrap()
            .comment
            .clone()
    };
    (find("Farah"), find("Omar"))
}

async fn seed_article(app: &TestApp) -> Article {
    app.store
        .article_by_slug(&Slug::parse(SEED).unwrap())
        .await
        .unwrap()
        .unwrap()
}

async fn status_of(app: &TestApp, comment: &Comment) -> Option<CommentStatus> {
    app.store
        .comment(comment.id)
        .await
        .unwrap()
        .map(|c| c.status)
}

async fn the_newsroom_approves_unapproves_and_deletes_comments(app: TestApp) {
    let seed = seed_article(&app).await;
    let (first, reply) = two_comments(&app, &seed, None).await;
    show_comments(&app, true).await;
    let seed_path = format!("/{SEED}");
    // The page is rendered and kept by the cache with Farah's comment only.
    for _ in 0..2 {
        let (_, page) = app.page(&seed_path).await;
        assert_eq!(shown(&page), [("Farah".to_owned(), "depth-0".to_owned())]);
        assert_eq!(
            texts(&page, ".comment-text p"),
            ["Comment by Farah.", "A second paragraph <b>as text</b>."]
        );
    }

    let editor = app.account("Eddie Editor", Role::Editor).await;
    let desk = app.sign_in(&editor).await;
    let (status, page) = desk.page("/admin/comments").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        texts(&page, ".comment-item .comment-meta strong"),
        ["Omar", "Farah"],
        "newest first"
    );
    let (_, page) = desk.page("/admin/comments?status=pending").await;
    assert_eq!(texts(&page, ".comment-item .comment-meta strong"), ["Omar"]);
    let (_, page) = desk.page("/admin/comments?status=approved&page=x").await;
    assert_eq!(
        texts(&page, ".comment-item .comment-meta strong"),
        ["Farah"]
    );
    let (_, page) = desk.page("/admin/comments?page=2").await;
    assert!(texts(&page, ".comment-item").is_empty());

    // Reporters may not moderate, nor see the list.
    for (name, role) in [
        ("Rita Reporter", Role::Contributor),
        ("Ali Author", Role::Author),
    ] {
        let user = app.account(name, role).await;
        let reporter = app.sign_in(&user).await;
        assert_eq!(
            reporter.get("/admin/comments").await.status(),
            StatusCode::FORBIDDEN
        );
        let refused = reporter
            .post(&format!("/admin/comments/{}/approve", reply.id), &[])
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{name}");
        let refused = reporter
            .post(&format!("/admin/comments/{}/delete", first.id), &[])
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{name}");
    }
    assert_eq!(status_of(&app, &reply).await, Some(CommentStatus::Pending));
    // A form without this session's token changes nothing.
    let forged = desk
        .post_raw(
            &format!("/admin/comments/{}/approve", reply.id),
            &[("csrf", "not-the-token")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let bare = desk
        .post_raw(&format!("/admin/comments/{}/approve", reply.id), &[])
        .await;
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(&app, &reply).await, Some(CommentStatus::Pending));
    // Addresses that name nothing.
    for path in [
        "/admin/comments/999999/approve",
        "/admin/comments/999999/delete",
        "/admin/comments/abc/approve",
        &format!("/admin/comments/{}/publish", reply.id),
    ] {
        assert_eq!(
            desk.post(path, &[]).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }

    // The same approval fifty times at once: one state, the page follows.
    let path = format!("/admin/comments/{}/approve", reply.id);
    let answers = futures_util::future::join_all(
        (0..50).map(|_| desk.post(&path, &[("status", "pending"), ("page", "1")])),
    )
    .await;
    for answer in &answers {
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            answer.headers()["location"],
            "/admin/comments?status=pending&done=approved"
        );
    }
    assert_eq!(status_of(&app, &reply).await, Some(CommentStatus::Approved));
    assert_eq!(all_comments(&app).await.len(), 2);
    let (_, page) = app.page(&seed_path).await;
    assert_eq!(
        shown(&page),
        [
            ("Farah".to_owned(), "depth-0".to_owned()),
            ("Omar".to_owned(), "depth-1".to_owned())
        ],
        "the cached page was dropped when the comment was approved"
    );
    let (_, list) = desk.page("/admin/comments?done=approved").await;
    assert_eq!(texts(&list, "[role=status]").len(), 1);

    // Unapproved: gone from the page again.
    let answer = desk
        .post(&format!("/admin/comments/{}/unapprove", reply.id), &[])
        .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.page(&seed_path).await;
    assert_eq!(shown(&page), [("Farah".to_owned(), "depth-0".to_owned())]);

    // Farah's deleted: Omar's reply takes its place, at the top once approved.
    let answer = desk
        .post(&format!("/admin/comments/{}/delete", first.id), &[])
        .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, &first).await, None);
    assert_eq!(
        app.store.comment(reply.id).await.unwrap().unwrap().parent,
        None
    );
    let (_, page) = app.page(&seed_path).await;
    assert!(shown(&page).is_empty());
    assert_eq!(texts(&page, ".comments-heading"), ["No comments"]);
    let admin = app.account("Ada Admin", Role::Admin).await;
    let admin_desk = app.sign_in(&admin).await;
    let answer = admin_desk
        .post(&format!("/admin/comments/{}/approve", reply.id), &[])
        .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.page(&seed_path).await;
    assert_eq!(shown(&page), [("Omar".to_owned(), "depth-0".to_owned())]);
    // Deleting what is gone: 404, nothing else changes.
    assert_eq!(
        desk.post(&format!("/admin/comments/{}/delete", first.id), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(all_comments(&app).await.len(), 1);
}

async fn comments_move_with_an_export_and_an_import_adds_them_once(app: TestApp) {
    use crate::portable::{another_database, export_to, import_into, open};
    let seed = seed_article(&app).await;
    let reader = app.account("Omar Reader", Role::Contributor).await;
    let (_, reply) = two_comments(&app, &seed, Some(reader.email.as_str())).await;
    assert_eq!(reply.user, Some(reader.id));
    show_comments(&app, true).await;

    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let media = work.path().join("media");
    std::fs::create_dir_all(&media).unwrap();
    let file = work.path().join("export.jsonl");
    let export = export_to(app.store.url(), &data, &file).await;
    let comment_lines: Vec<&str> = export
        .lines()
        .filter(|l| l.starts_with(r#"{"type":"comment""#))
        .collect();
    assert_eq!(comment_lines.len(), 2, "{export}");
    assert!(
        comment_lines[1]
            .contains(r#""parent":{"created_at":"2024-04-16T07:00:00.000Z","author":"Farah"}"#),
        "{}",
        comment_lines[1]
    );
    assert!(
        comment_lines[1].contains(r#""user":"omar.reader@newsroom.test""#),
        "{}",
        comment_lines[1]
    );
    assert!(export.contains(r#""show_comments":true"#));

    // Into another database: the same comments, thread and account; the same export again.
    let other = another_database(&app, "comments::export_into_another").await;
    let report = import_into(other.url(), &data, &file, &media).await;
    assert!(
        report.contains("comment: 2 added, 0 already there, 0 left out"),
        "{report}"
    );
    let second = open(other.url()).await;
    let (rows, _) = second
        .comments(&CommentFilter {
            status: None,
            offset: 0,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let omar = rows
        .iter()
        .find(|r| r.comment.author_name == "Omar")
        .unwrap();
    let farah = rows
        .iter()
        .find(|r| r.comment.author_name == "Farah")
        .unwrap();
    assert_eq!(omar.comment.parent, Some(farah.comment.id));
    assert_eq!(omar.comment.status, CommentStatus::Pending);
    assert!(omar.comment.user.is_some());
    assert!(second.site_settings().await.unwrap().unwrap().show_comments);
    let again = export_to(other.url(), &data, &work.path().join("again.jsonl")).await;
    let again_lines: Vec<&str> = again
        .lines()
        .filter(|l| l.starts_with(r#"{"type":"comment""#))
        .collect();
    assert_eq!(again_lines, comment_lines);

    // A second import adds nothing, into either database.
    for url in [other.url(), app.store.url()] {
        let report = import_into(url, &data, &file, &media).await;
        assert!(
            report.contains("comment: 0 added, 2 already there, 0 left out"),
            "{report}"
        );
    }
    assert_eq!(all_comments(&app).await.len(), 2);
}

async fn an_article_page_shows_at_most_its_bound_of_comments(app: TestApp) {
    let shown = dateline_web::MAX_SHOWN_COMMENTS as i64;
    let article = app
        .create(crate::harness::story(
            "Talked about",
            "pakistan",
            crate::harness::reference_day(),
        ))
        .await;
    // One more approved comment than a page shows, written straight into the table.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) \
         INSERT INTO comments (article_id, author_name, body, status, kind, created_at) \
         SELECT {}, 'Reader ' || i, 'Comment.', 'approved', 'comment', i FROM n",
        shown + 1,
        article.id
    )))
    .execute(app.store.pool())
    .await
    .unwrap();
    show_comments(&app, true).await;
    let (status, page) = app.page(&format!("/{}", article.slug.as_str())).await;
    assert_eq!(status, StatusCode::OK);
    let authors = texts(&page, ".comment .comment-author");
    assert_eq!(authors.len() as i64, shown, "{:?}", authors.last());
    assert_eq!(authors[0], "Reader 1", "the oldest first");
    assert_eq!(
        texts(&page, ".comments-more"),
        [format!("The first {shown} comments are shown.")]
    );
}
