//! Backup, restore, export and import, mostly through the binary, on both databases: an export
//! read into a new database and exported again gives the same file (across databases too); a
//! malformed file is refused line by line with nothing written; a backup taken while articles
//! are being saved holds every save acknowledged before it began; a restore refuses a database
//! in use unless told to replace it.

use std::collections::BTreeSet;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};

use chrono::Duration;
use dateline_domain::{
    ArticleStatus, ArticleStore, AttributionMode, Counts, Draft, LabelKind, LabelStore, MediaStore,
    PortableStore, RevisionKind, RevisionNumber, Role, SaveOutcome, Slug, Source, User, WhenStored,
    WorkflowStore,
};
use dateline_services::articles::create_article;
use dateline_services::import::{ImportError, ImportOptions, import_file};
use dateline_services::media::{self, Upload};
use dateline_services::{accounts, newsroom};
use dateline_store::testing::TestDatabase;
use dateline_store::{Backend, DatabaseUrl, SqlStore};

use crate::harness::{TestApp, dateline_bin, on_both_backends, story};

on_both_backends!(
    an_export_read_into_a_new_database_exports_the_same,
    importing_again_or_after_an_interruption_adds_nothing_new,
    malformed_files_are_refused_line_by_line_and_nothing_is_written,
    a_backup_taken_under_writes_holds_every_acknowledged_save,
    a_restore_refuses_a_database_in_use_unless_forced,
    a_backup_goes_only_into_an_empty_directory_or_an_earlier_backup,
    an_old_address_keeps_the_first_home_it_was_given,
    pages_and_menus_move_by_path_and_name_and_come_once,
);

/// The URL of a database as the command line takes it.
fn url_arg(url: &DatabaseUrl) -> String {
    match url.sqlite_path() {
        Some(path) => format!("sqlite:{path}"),
        None => url.as_sqlx_url().to_owned(),
    }
}

/// Runs the binary on `database` with `data_dir`; it must stop by itself.
async fn run(database: &DatabaseUrl, data_dir: &Path, args: &[&str]) -> Output {
    run_with_path(database, data_dir, args, None).await
}

/// The binary with `args` on `database` and `data_dir`, its output captured, killed if dropped.
pub(crate) fn command(
    database: &DatabaseUrl,
    data_dir: &Path,
    args: &[&str],
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(dateline_bin());
    command
        .args(args)
        .arg("--database")
        .arg(url_arg(database))
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("DATELINE_DATABASE")
        .env_remove("DATELINE_DATA_DIR")
        .env_remove("DATELINE_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

async fn run_with_path(
    database: &DatabaseUrl,
    data_dir: &Path,
    args: &[&str],
    path: Option<&Path>,
) -> Output {
    let mut command = command(database, data_dir, args);
    if let Some(path) = path {
        command.env("PATH", path);
    }
    tokio::time::timeout(std::time::Duration::from_secs(300), command.output())
        .await
        .expect("dateline stops within five minutes")
        .expect("run dateline")
}

fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The one `error:` line of a failed run.
fn error_line(output: &Output) -> String {
    assert!(!output.status.success(), "should have failed");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "one error line: {stderr}");
    errors[0].to_owned()
}

/// A second database of the same kind as the app's.
pub(crate) async fn another_database(app: &TestApp, test: &str) -> TestDatabase {
    match app.store.backend() {
        Backend::Sqlite => TestDatabase::sqlite(),
        Backend::Postgres => TestDatabase::postgres(test)
            .await
            .expect("PostgreSQL answered for the first database"),
    }
}

/// The app's data directory (its media are in `media/` under it).
fn data_dir(app: &TestApp) -> PathBuf {
    app.media_dir
        .parent()
        .expect("media in a directory")
        .to_owned()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 90])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn draft(headline: &str, body: &str) -> Draft {
    Draft {
        headline: headline.to_owned(),
        standfirst: format!("Standfirst of {headline}."),
        body: body.to_owned(),
        section: "Business".to_owned(),
        tags: vec!["Economy".to_owned(), "IMF".to_owned()],
        authors: vec!["Sana Jamal".to_owned()],
        source: Some(Source::single("APP", AttributionMode::AdditionalInputs)),
        language: "en".to_owned(),
    }
}

fn saved(outcome: SaveOutcome) -> RevisionNumber {
    match outcome {
        SaveOutcome::Saved(n) => n,
        other => panic!("not saved: {other:?}"),
    }
}

/// Newsroom work on top of the demo publication: accounts, an image, revisions of every kind, a
/// conflict, corrections, a featured image, an embargo, an Urdu article in review, a
/// withdrawn article, a merged section (a redirect), and two articles whose Read More blocks
/// name each other (one of them a target further down an export).
async fn fill(app: &TestApp) -> (User, String) {
    let store = app.store.as_ref();
    let now = app.clock_now();
    let minutes = |n: i64| now + Duration::minutes(n);
    let editor = app.account("Sana Jamal", Role::Editor).await;
    let writer = app.account("Ali Raza", Role::Author).await;
    let image = media::upload(
        store,
        &app.media_dir,
        &editor,
        Upload {
            bytes: png(700, 400),
            alt: "Traders at the Karachi exchange".into(),
            caption: "The index fell on Monday".into(),
            credit: "GVS".into(),
        },
        now,
    )
    .await
    .unwrap();

    let budget = newsroom::create_draft(
        store,
        &editor,
        &draft(
            "Budget talks resume",
            "Talks resumed.\n\n::: read-more /saudi-arabia-signs-military-pact-with-russia\n",
        ),
        now,
    )
    .await
    .unwrap();
    let mut text = draft("Budget talks resume", "Talks resumed, with the IMF.\n");
    saved(
        newsroom::save(
            store,
            &editor,
            budget,
            RevisionNumber(1),
            &text,
            RevisionKind::Autosave,
            minutes(1),
        )
        .await
        .unwrap(),
    );
    text.body.push_str("\nMore to come.\n");
    let third = saved(
        newsroom::save(
            store,
            &editor,
            budget,
            RevisionNumber(2),
            &text,
            RevisionKind::Save,
            minutes(2),
        )
        .await
        .unwrap(),
    );
    let conflict = newsroom::save(
        store,
        &editor,
        budget,
        RevisionNumber(1),
        &draft("Budget talks stall", "An older page saved.\n"),
        RevisionKind::Save,
        minutes(3),
    )
    .await
    .unwrap();
    assert!(matches!(conflict, SaveOutcome::Conflict { .. }));
    newsroom::publish(store, &editor, budget, Some(third), minutes(4))
        .await
        .unwrap();
    newsroom::correct(
        store,
        &editor,
        budget,
        "correction",
        "An earlier version gave the wrong date.",
        minutes(5),
    )
    .await
    .unwrap();
    media::set_featured(store, &editor, budget, Some(image.id), minutes(6))
        .await
        .unwrap();

    // The follow-up links back; then the first story is updated to link forward to it.
    let budget_slug = store.article_by_id(budget).await.unwrap().unwrap().slug;
    let follow_up = newsroom::create_draft(
        store,
        &editor,
        &draft(
            "Budget deal reached",
            &format!("A deal.\n\n::: read-more /{budget_slug}\n"),
        ),
        minutes(7),
    )
    .await
    .unwrap();
    newsroom::publish(
        store,
        &editor,
        follow_up,
        Some(RevisionNumber(1)),
        minutes(8),
    )
    .await
    .unwrap();
    let follow_slug = store.article_by_id(follow_up).await.unwrap().unwrap().slug;
    text.body
        .push_str(&format!("\n::: read-more /{follow_slug}\n"));
    let wf = store.workflow(budget).await.unwrap().unwrap();
    let update = saved(
        newsroom::save(
            store,
            &editor,
            budget,
            wf.revision,
            &text,
            RevisionKind::Save,
            minutes(9),
        )
        .await
        .unwrap(),
    );
    newsroom::publish(store, &editor, budget, Some(update), minutes(10))
        .await
        .unwrap();

    // An embargoed story.
    let embargoed = newsroom::create_draft(
        store,
        &editor,
        &draft("Monsoon outlook", "Rain is due.\n"),
        minutes(11),
    )
    .await
    .unwrap();
    newsroom::schedule(
        store,
        &editor,
        embargoed,
        Some(RevisionNumber(1)),
        now + Duration::days(2),
        minutes(12),
    )
    .await
    .unwrap();

    // An Urdu story in review, by the author.
    let urdu = newsroom::create_draft(
        store,
        &writer,
        &Draft {
            section: "Pakistan".into(),
            tags: vec!["کراچی".into()],
            authors: vec!["Ali Raza".into()],
            source: None,
            language: "ur".into(),
            ..draft("کراچی میں بارش", "شہر میں بارش ہوئی۔\n")
        },
        minutes(13),
    )
    .await
    .unwrap();
    newsroom::submit(store, &writer, urdu, minutes(14))
        .await
        .unwrap();

    // A withdrawn story, and a section merged into another.
    let withdrawn = app
        .create(story("Story withdrawn later", "World", minutes(15)))
        .await;
    newsroom::unpublish(store, &editor, withdrawn.id, minutes(16))
        .await
        .unwrap();
    newsroom::add_section(store, &editor, "Money Matters", minutes(17))
        .await
        .unwrap();
    let money = store
        .section_by_slug(&Slug::parse("money-matters").unwrap())
        .await
        .unwrap()
        .unwrap();
    newsroom::merge_label(
        store,
        &editor,
        LabelKind::Section,
        money.id.0,
        "Business",
        minutes(18),
    )
    .await
    .unwrap();
    fill_pages(app, &editor).await;
    (editor, image.key)
}

/// Pages (one under another, one a draft) and both menus, with a target of every kind.
async fn fill_pages(app: &TestApp, editor: &User) {
    use dateline_services::pages::{self, MenuRow, PageInput};
    let store = app.store.as_ref();
    let now = app.clock_now();
    let english = dateline_domain::Language::english();
    let page = |title: &str, parent: String, status| PageInput {
        title: title.to_owned(),
        slug: String::new(),
        body: format!("About *{title}*.\n"),
        description: format!("{title}, described"),
        language: String::new(),
        parent,
        position: "2".to_owned(),
        status,
    };
    let about = pages::create_page(
        store,
        editor,
        &page(
            "About us",
            String::new(),
            dateline_domain::PageStatus::Published,
        ),
        &english,
        now,
    )
    .await
    .unwrap();
    for (title, status) in [
        ("Our team", dateline_domain::PageStatus::Published),
        ("Careers", dateline_domain::PageStatus::Draft),
    ] {
        pages::create_page(
            store,
            editor,
            &page(title, about.to_string(), status),
            &english,
            now,
        )
        .await
        .unwrap();
    }
    let row = |label: &str, target: &str, nested: bool| MenuRow {
        label: label.to_owned(),
        target: target.to_owned(),
        nested,
    };
    pages::save_menu(
        store,
        editor,
        dateline_domain::MenuName::Header,
        &[
            row("Home", "/", false),
            row("World", "/section/world", false),
            row("About", "/about-us", false),
            row("Team", "/about-us/our-team", true),
            row("Elsewhere", "https://example.org/", false),
        ],
    )
    .await
    .unwrap();
    pages::save_menu(
        store,
        editor,
        dateline_domain::MenuName::Footer,
        &[row("Careers", "/about-us/careers", false)],
    )
    .await
    .unwrap();
}

pub(crate) async fn export_to(database: &DatabaseUrl, data: &Path, file: &Path) -> String {
    let out = run(database, data, &["export", "--out", file.to_str().unwrap()]).await;
    succeeded(&out);
    std::fs::read_to_string(file).unwrap()
}

/// Every line but the header (which says when the export was written).
fn body_lines(export: &str) -> Vec<&str> {
    let mut lines = export.lines();
    let header = lines.next().expect("a header line");
    assert!(header.starts_with(r#"{"type":"header","format":"dateline-export","version":1,"#));
    lines.collect()
}

pub(crate) async fn import_into(
    database: &DatabaseUrl,
    data: &Path,
    file: &Path,
    media: &Path,
) -> String {
    let out = run(
        database,
        data,
        &[
            "import",
            file.to_str().unwrap(),
            "--media",
            media.to_str().unwrap(),
        ],
    )
    .await;
    succeeded(&out)
}

pub(crate) async fn open(url: &DatabaseUrl) -> SqlStore {
    SqlStore::connect(url).await.expect("connect")
}

async fn an_export_read_into_a_new_database_exports_the_same(app: TestApp) {
    let (_, image_key) = fill(&app).await;
    let work = tempfile::tempdir().unwrap();
    let first = export_to(
        app.store.url(),
        &data_dir(&app),
        &work.path().join("first.jsonl"),
    )
    .await;
    let lines = body_lines(&first);
    for kind in [
        "settings", "section", "tag", "author", "user", "image", "article", "revision", "redirect",
        "page", "menu",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!(r#"{{"type":"{kind}""#))),
            "the export has a {kind} line"
        );
    }
    assert!(!first.contains("password"), "no password hash is exported");
    assert!(
        !first.contains("read-more 1"),
        "Read More names paths, not ids"
    );

    // Into a new database of the same kind, with the images' files.
    let db = another_database(&app, "portable::round_trip_target").await;
    let data = tempfile::tempdir().unwrap();
    let said = import_into(
        db.url(),
        data.path(),
        &work.path().join("first.jsonl"),
        &app.media_dir,
    )
    .await;
    assert!(
        said.contains("article(s) linked to Read More targets further down"),
        "{said}"
    );
    let second = export_to(db.url(), data.path(), &work.path().join("second.jsonl")).await;
    assert_eq!(
        body_lines(&second),
        lines,
        "the same publication comes back out"
    );

    // The files came along, byte for byte.
    for entry in std::fs::read_dir(app.media_dir.join(&image_key)).unwrap() {
        let entry = entry.unwrap();
        let copy = data
            .path()
            .join("media")
            .join(&image_key)
            .join(entry.file_name());
        assert_eq!(
            std::fs::read(copy).unwrap(),
            std::fs::read(entry.path()).unwrap()
        );
    }

    // The forward link points at the new database's own article.
    let store = open(db.url()).await;
    let budget = store
        .article_by_slug(&Slug::parse("budget-talks-resume").unwrap())
        .await
        .unwrap()
        .unwrap();
    let follow = store
        .article_by_slug(&Slug::parse("budget-deal-reached").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        budget
            .body_html
            .contains(&format!("dateline:read-more:{}-->", follow.id)),
        "{}",
        budget.body_html
    );
    assert!(
        budget
            .body
            .contains(&format!("::: read-more {}\n", follow.id))
    );
    // Imported accounts have no usable password until one is set.
    let signed_in = |password: &'static str| {
        let store = store.clone();
        async move {
            accounts::sign_in(
                &store,
                "sana.jamal@newsroom.test",
                password,
                "10.0.0.9",
                chrono::Utc::now(),
            )
            .await
            .is_ok()
        }
    };
    assert!(!signed_in(crate::harness::PASSWORD).await);
    accounts::reset_password(&store, "sana.jamal@newsroom.test", "a new long password")
        .await
        .unwrap();
    assert!(signed_in("a new long password").await);
    store.close().await;

    // Read back into its own database, it adds nothing.
    let again = import_into(
        app.store.url(),
        &data_dir(&app),
        &work.path().join("first.jsonl"),
        &app.media_dir,
    )
    .await;
    assert!(
        !again.contains(" 1 added") && again.contains(" 0 added"),
        "{again}"
    );
    let third = export_to(
        app.store.url(),
        &data_dir(&app),
        &work.path().join("third.jsonl"),
    )
    .await;
    assert_eq!(body_lines(&third), lines);

    // And into the other kind of database, the same again.
    let other = match app.store.backend() {
        Backend::Sqlite => TestDatabase::postgres("portable::round_trip_other_kind").await,
        Backend::Postgres => Some(TestDatabase::sqlite()),
    };
    if let Some(other) = other {
        let data = tempfile::tempdir().unwrap();
        import_into(
            other.url(),
            data.path(),
            &work.path().join("first.jsonl"),
            &app.media_dir,
        )
        .await;
        let moved = export_to(other.url(), data.path(), &work.path().join("moved.jsonl")).await;
        assert_eq!(
            body_lines(&moved),
            lines,
            "the same from the other database"
        );
    }
}

async fn importing_again_or_after_an_interruption_adds_nothing_new(app: TestApp) {
    fill(&app).await;
    let work = tempfile::tempdir().unwrap();
    let full = export_to(
        app.store.url(),
        &data_dir(&app),
        &work.path().join("full.jsonl"),
    )
    .await;
    // An import stopped right after an article's line: its revision, the articles after it and
    // the redirects are not in yet.
    let lines: Vec<&str> = full.lines().collect();
    let stop = lines
        .iter()
        .position(|l| l.starts_with(r#"{"type":"article","slug":"budget-deal-reached""#))
        .unwrap();
    assert!(
        lines[stop + 1].starts_with(r#"{"type":"revision""#),
        "it has a revision"
    );
    let part = lines[..=stop].join("\n") + "\n";
    std::fs::write(work.path().join("part.jsonl"), part).unwrap();
    let db = another_database(&app, "portable::interrupted").await;
    let data = tempfile::tempdir().unwrap();
    import_into(
        db.url(),
        data.path(),
        &work.path().join("part.jsonl"),
        &app.media_dir,
    )
    .await;
    let partial = open(db.url()).await;
    let counts = partial.counts().await.unwrap();
    partial.close().await;
    assert_eq!(counts.redirects, 0);

    let said = import_into(
        db.url(),
        data.path(),
        &work.path().join("full.jsonl"),
        &app.media_dir,
    )
    .await;
    assert!(said.contains("  revision: "), "{said}");
    let after = export_to(db.url(), data.path(), &work.path().join("after.jsonl")).await;
    assert_eq!(body_lines(&after), body_lines(&full));

    // An import stopped before its last step left an article's forward link unmade: the next
    // run makes it.
    let store = open(db.url()).await;
    let slug = |s: &str| Slug::parse(s).unwrap();
    let budget = store
        .article_by_slug(&slug("budget-talks-resume"))
        .await
        .unwrap()
        .unwrap();
    let follow = store
        .article_by_slug(&slug("budget-deal-reached"))
        .await
        .unwrap()
        .unwrap();
    let linked = format!("::: read-more {}\n", follow.id);
    assert!(budget.body.contains(&linked));
    let waiting = budget
        .body
        .replace(&linked, "::: read-more /budget-deal-reached\n");
    let marker = format!("<!--dateline:read-more:{}-->\n", follow.id);
    let shown = budget.body_html.replace(&marker, "");
    assert!(
        store
            .replace_body(budget.id, &waiting, &shown)
            .await
            .unwrap()
    );
    let said = import_into(
        db.url(),
        data.path(),
        &work.path().join("full.jsonl"),
        &app.media_dir,
    )
    .await;
    assert!(said.contains("1 article(s) linked"), "{said}");
    let relinked = store.article_by_id(budget.id).await.unwrap().unwrap();
    assert_eq!(
        (relinked.body, relinked.body_html),
        (budget.body, budget.body_html)
    );

    let before = store.counts().await.unwrap();
    let said = import_into(
        db.url(),
        data.path(),
        &work.path().join("full.jsonl"),
        &app.media_dir,
    )
    .await;
    for line in said
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(" added"))
    {
        assert!(
            line.contains(": 0 added"),
            "nothing is added the third time: {line}"
        );
    }
    assert_eq!(store.counts().await.unwrap(), before);
    store.close().await;
}

/// An import of `text` into `store` that must fail its check; the problems it reports.
async fn refused(store: &SqlStore, dir: &Path, text: &str) -> Vec<String> {
    let path = dir.join("bad.jsonl");
    std::fs::write(&path, text).unwrap();
    let options = ImportOptions {
        media_dir: &dir.join("media"),
        media_from: None,
        dry_run: false,
        progress: None,
        when_stored: WhenStored::Keep,
    };
    match import_file(store, &path, options).await {
        Err(ImportError::Invalid(problems)) => problems.iter().map(ToString::to_string).collect(),
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(report) => panic!("imported: {report:?}"),
    }
}

async fn malformed_files_are_refused_line_by_line_and_nothing_is_written(app: TestApp) {
    let work = tempfile::tempdir().unwrap();
    let good = export_to(
        app.store.url(),
        &data_dir(&app),
        &work.path().join("good.jsonl"),
    )
    .await;
    let lines: Vec<String> = good.lines().map(str::to_owned).collect();
    // A database that holds data already: the publication itself, imported.
    let db = another_database(&app, "portable::malformed_target").await;
    let data = tempfile::tempdir().unwrap();
    import_into(
        db.url(),
        data.path(),
        &work.path().join("good.jsonl"),
        &app.media_dir,
    )
    .await;
    let store = open(db.url()).await;
    let counts_before: Counts = store.counts().await.unwrap();

    let article_at = lines
        .iter()
        .position(|l| l.starts_with(r#"{"type":"article""#))
        .unwrap();
    let tag_at = lines
        .iter()
        .position(|l| l.starts_with(r#"{"type":"tag""#))
        .unwrap();
    let edit = |at: usize, f: &dyn Fn(&mut serde_json::Value)| -> String {
        let mut out = lines.clone();
        let mut value: serde_json::Value = serde_json::from_str(&out[at]).unwrap();
        f(&mut value);
        out[at] = value.to_string();
        out.join("\n") + "\n"
    };
    let replace = |at: usize, with: &str| -> String {
        let mut out = lines.clone();
        out[at] = with.to_owned();
        out.join("\n") + "\n"
    };
    let insert = |at: usize, with: &str| -> String {
        let mut out = lines.clone();
        out.insert(at, with.to_owned());
        out.join("\n") + "\n"
    };
    let article_line = article_at + 1;
    let cases: Vec<(String, Vec<String>)> = vec![
        (
            replace(tag_at, r#"{"type":"tag","slug":"x""#),
            vec![format!("line {}: not valid JSON", tag_at + 1)],
        ),
        (
            insert(2, r#"{"type":"poll","question":"?"}"#),
            vec!["line 3: unknown type \"poll\"".to_owned()],
        ),
        (
            edit(article_at, &|v| {
                v.as_object_mut().unwrap().remove("headline");
            }),
            vec![format!("line {article_line}: article: missing field `headline`")],
        ),
        (
            edit(article_at, &|v| v["headline"] = "h".repeat(301).into()),
            vec![format!("line {article_line}: article '"), "headline: is longer than 300 characters".to_owned()],
        ),
        (
            edit(tag_at, &|v| v["name"] = "Bell\u{7}".into()),
            vec![format!("line {}: tag '", tag_at + 1), "without invisible control characters".to_owned()],
        ),
        (
            edit(article_at, &|v| v["body"] = "Nul\u{0} byte.\n".into()),
            vec![format!("line {article_line}: "), "body: contains an invisible control character (U+0000)".to_owned()],
        ),
        (
            edit(article_at, &|v| v["section"] = "nowhere".into()),
            vec![format!("line {article_line}: "), "section 'nowhere' is neither above this line in the file nor in the database".to_owned()],
        ),
        (
            edit(article_at, &|v| v["body"] = "See:\n\n::: read-more 42\n".into()),
            vec![format!("line {article_line}: "), "Read More names article 42 by its id".to_owned()],
        ),
        (
            edit(article_at, &|v| v["body"] = "See:\n\n::: read-more /no-such-story\n".into()),
            vec![format!("line {article_line}: "), "Read More refers to /no-such-story, which is neither in the file nor in the database".to_owned()],
        ),
        (
            replace(0, r#"{"type":"header","format":"dateline-export","version":2,"exported_at":"2030-01-01T00:00:00Z"}"#),
            vec!["line 1: the file is in version 2 of the export format".to_owned()],
        ),
        (
            lines[1..].join("\n"),
            vec!["line 1: the first line must be an export's header".to_owned()],
        ),
        (
            insert(2, &format!(r#"{{"type":"tag","slug":"long","name":"{}"}}"#, "x".repeat(4 * 1024 * 1024))),
            vec!["line 3: longer than 4 MiB".to_owned()],
        ),
        (
            insert(
                2,
                r#"{"type":"revision","article":"anything","number":1,"kind":"save","saved_at":"2024-01-01T00:00:00Z"}"#,
            ),
            vec!["line 3: revision 1 of article 'anything': a revision must come right after its article's line".to_owned()],
        ),
    ];
    for (text, wants) in cases {
        let problems = refused(&store, work.path(), &text).await;
        let all = problems.join("\n");
        for want in &wants {
            assert!(all.contains(want.as_str()), "{all}\nshould say {want}");
        }
        assert_eq!(
            store.counts().await.unwrap(),
            counts_before,
            "nothing written: {all}"
        );
    }
    // Bytes that are not UTF-8, and every problem of a file in one report.
    let mut bytes = good.clone().into_bytes();
    bytes.extend(b"\xff\xfe\n");
    bytes.extend(br#"{"type":"tag","slug":"Not A Slug","name":"x"}"#);
    bytes.push(b'\n');
    std::fs::write(work.path().join("bytes.jsonl"), &bytes).unwrap();
    let n = lines.len();
    let out = run(
        db.url(),
        data.path(),
        &["import", work.path().join("bytes.jsonl").to_str().unwrap()],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("bytes.jsonl: line {}: not UTF-8 text", n + 1)),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "bytes.jsonl: line {}: tag 'Not A Slug': slug:",
            n + 2
        )),
        "{stderr}"
    );
    assert!(
        error_line(&out).contains("2 problem(s) in")
            && error_line(&out).contains("nothing was imported"),
        "{stderr}"
    );
    // A check alone writes nothing either, even of a good file.
    let fresh = another_database(&app, "portable::dry_run").await;
    let out = run(
        fresh.url(),
        data.path(),
        &[
            "import",
            work.path().join("good.jsonl").to_str().unwrap(),
            "--dry-run",
        ],
    )
    .await;
    assert!(succeeded(&out).contains("it can be imported"));
    let fresh_store = open(fresh.url()).await;
    assert!(!fresh_store.counts().await.unwrap().holds_data());
    fresh_store.close().await;
    assert_eq!(store.counts().await.unwrap(), counts_before);
    store.close().await;
}

/// A save the writer was told had succeeded: the article's slug, and the key of the image
/// uploaded with it.
type Saved = (String, Option<String>);

async fn a_backup_taken_under_writes_holds_every_acknowledged_save(app: TestApp) {
    let writer = app.account("Night Desk", Role::Editor).await;
    let acknowledged: Arc<Mutex<Vec<Saved>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let task = {
        let (store, media_dir, acknowledged, stop) = (
            app.store.clone(),
            app.media_dir.clone(),
            acknowledged.clone(),
            stop.clone(),
        );
        let now = app.clock_now();
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let headline = format!("Saved under writes number {n}");
                let article = create_article(
                    store.as_ref(),
                    story(&headline, "World", now + Duration::seconds(n)),
                    now,
                )
                .await
                .expect("save");
                // Every fifth save also uploads an image.
                let image = if n % 5 == 0 {
                    let upload = Upload {
                        bytes: png(330, 20 + n as u32 % 50),
                        alt: format!("Picture {n}"),
                        caption: "Caption".into(),
                        credit: "GVS".into(),
                    };
                    Some(
                        media::upload(store.as_ref(), &media_dir, &writer, upload, now)
                            .await
                            .expect("upload")
                            .key,
                    )
                } else {
                    None
                };
                acknowledged
                    .lock()
                    .unwrap()
                    .push((article.slug.to_string(), image));
                n += 1;
                tokio::task::yield_now().await;
            }
        })
    };
    // Let some saves land, then take the backup while they go on.
    while acknowledged.lock().unwrap().len() < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("backup");
    let before_backup = acknowledged.lock().unwrap().clone();
    let out = run(
        app.store.url(),
        &data_dir(&app),
        &["backup", dir.to_str().unwrap()],
    )
    .await;
    let said = succeeded(&out);
    let during = acknowledged.lock().unwrap().len() - before_backup.len();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    task.await.unwrap();
    assert!(said.starts_with("backed up "), "{said}");
    eprintln!(
        "{} saves acknowledged before the backup, {during} while it ran",
        before_backup.len()
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], "dateline-backup");
    assert_eq!(manifest["version"], 1);
    let kind = match app.store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(manifest["database"]["kind"], kind);
    assert!(manifest["counts"]["articles"].as_u64().unwrap() >= before_backup.len() as u64);

    // Restored somewhere new: every save acknowledged before the backup began is there, whole,
    // with its image's files.
    let db = another_database(&app, "portable::restored").await;
    let data = tempfile::tempdir().unwrap();
    let out = run(db.url(), data.path(), &["restore", dir.to_str().unwrap()]).await;
    assert!(succeeded(&out).starts_with("restored the backup of "));
    let restored = open(db.url()).await;
    let counts = restored.counts().await.unwrap();
    assert_eq!(
        Some(counts.articles),
        manifest["counts"]["articles"].as_u64()
    );
    for (slug, image) in &before_backup {
        let article = restored
            .article_by_slug(&Slug::parse(slug).unwrap())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{slug} was acknowledged before the backup"));
        assert_eq!(article.status, ArticleStatus::Published);
        assert!(
            article
                .body
                .starts_with("First paragraph of Saved under writes")
        );
        if let Some(key) = image {
            let (from, to) = (app.media_dir.join(key), data.path().join("media").join(key));
            let mut files = 0;
            for entry in std::fs::read_dir(&from).unwrap() {
                let entry = entry.unwrap();
                assert_eq!(
                    std::fs::read(to.join(entry.file_name())).unwrap(),
                    std::fs::read(entry.path()).unwrap()
                );
                files += 1;
            }
            assert!(files > 0);
        }
    }
    // Every image the copy records has its files.
    let images = restored.images(0, 10_000).await.unwrap();
    assert_eq!(images.len() as u64, counts.images);
    for image in images {
        for width in &image.renditions {
            let file = data
                .path()
                .join("media")
                .join(media::rendition_path(&image, *width));
            assert!(file.is_file(), "{} is in the backup", file.display());
        }
    }
    restored.close().await;
}

async fn a_restore_refuses_a_database_in_use_unless_forced(app: TestApp) {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("backup");
    let data = data_dir(&app);
    fill(&app).await;
    succeeded(&run(app.store.url(), &data, &["backup", dir.to_str().unwrap()]).await);
    let backed_up = app.store.counts().await.unwrap();
    // Written after the backup.
    app.create(story("Written after the backup", "World", app.clock_now()))
        .await;
    let in_use = app.store.counts().await.unwrap();

    let out = run(app.store.url(), &data, &["restore", dir.to_str().unwrap()]).await;
    let error = error_line(&out);
    assert!(error.contains("holds a publication"), "{error}");
    assert!(error.contains("--force"), "{error}");
    assert_eq!(
        app.store.counts().await.unwrap(),
        in_use,
        "nothing replaced"
    );

    // An empty database beside a media directory with images is in use too.
    let empty = another_database(&app, "portable::empty_beside_media").await;
    let error = error_line(&run(empty.url(), &data, &["restore", dir.to_str().unwrap()]).await);
    assert!(error.contains("holds images"), "{error}");

    // A backup of the other kind of database is refused with the way to move between them.
    let other = match app.store.backend() {
        Backend::Sqlite => DatabaseUrl::parse("postgres://root@127.0.0.1:1/none").unwrap(),
        Backend::Postgres => {
            DatabaseUrl::parse(&format!("sqlite:{}", work.path().join("x.db").display())).unwrap()
        }
    };
    let error = error_line(&run(&other, work.path(), &["restore", dir.to_str().unwrap()]).await);
    assert!(error.contains("export and import"), "{error}");

    // Forced (with the server's connections closed), the backup replaces it.
    app.store.close().await;
    let out = run(
        app.store.url(),
        &data,
        &["restore", dir.to_str().unwrap(), "--force"],
    )
    .await;
    succeeded(&out);
    let store = open(app.store.url()).await;
    assert_eq!(store.counts().await.unwrap(), backed_up);
    assert!(
        store
            .article_by_slug(&Slug::parse("written-after-the-backup").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    store.close().await;
}

async fn a_backup_goes_only_into_an_empty_directory_or_an_earlier_backup(app: TestApp) {
    let work = tempfile::tempdir().unwrap();
    let data = data_dir(&app);
    let mine = work.path().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep").unwrap();
    let error = error_line(&run(app.store.url(), &data, &["backup", mine.to_str().unwrap()]).await);
    assert!(error.contains("notes.txt"), "{error}");
    assert_eq!(
        std::fs::read_dir(&mine).unwrap().count(),
        1,
        "nothing written"
    );

    // Backed up twice into one directory: the second brings it up to date.
    let dir = work.path().join("backup");
    succeeded(&run(app.store.url(), &data, &["backup", dir.to_str().unwrap()]).await);
    app.create(story("Between two backups", "World", app.clock_now()))
        .await;
    succeeded(&run(app.store.url(), &data, &["backup", dir.to_str().unwrap()]).await);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["counts"]["articles"].as_u64(),
        Some(app.store.count_articles().await.unwrap())
    );
    let names: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".partial")), "{names:?}");

    // Without pg_dump, a PostgreSQL backup says what it needs and leaves no manifest.
    if app.store.backend() == Backend::Postgres {
        let empty_path = work.path().join("no-tools");
        std::fs::create_dir_all(&empty_path).unwrap();
        let dir = work.path().join("no-pg-dump");
        let out = run_with_path(
            app.store.url(),
            &data,
            &["backup", dir.to_str().unwrap()],
            Some(&empty_path),
        )
        .await;
        let error = error_line(&out);
        assert!(error.contains("pg_dump is not on PATH"), "{error}");
        assert!(!dir.join("manifest.json").exists());
    }
}

async fn an_old_address_keeps_the_first_home_it_was_given(app: TestApp) {
    use dateline_domain::SiteStore;
    let dir = tempfile::tempdir().unwrap();
    let header = r#"{"type":"header","format":"dateline-export","version":1,"exported_at":"2024-04-16T05:00:00.000Z"}"#;
    let redirect = |from: &str, to: &str| {
        format!(
            r#"{{"type":"redirect","from":"{from}","to":"{to}","created_at":"2024-04-16T05:00:00.000Z"}}"#
        )
    };
    // Many redirects in one run (more than one statement's worth), the same old path twice in it.
    let mut lines = vec![header.to_owned()];
    for n in 0..150 {
        lines.push(redirect(&format!("/old-{n}"), &format!("/new-{n}")));
    }
    lines.push(redirect("/old-3", "/elsewhere"));
    lines.push(redirect("/old-4", "/new-4"));
    let path = dir.path().join("redirects.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let options = ImportOptions {
        media_dir: &dir.path().join("media"),
        media_from: None,
        dry_run: false,
        progress: None,
        when_stored: WhenStored::Keep,
    };
    let report = import_file(app.store.as_ref(), &path, options)
        .await
        .unwrap();
    let tally = &report.tallies["redirect"];
    assert_eq!((tally.added, tally.already_there, tally.taken), (150, 1, 1));
    assert_eq!(
        app.store.redirect("/old-3").await.unwrap().as_deref(),
        Some("/new-3"),
        "the first home stays"
    );
    assert_eq!(
        app.store.redirect("/old-149").await.unwrap().as_deref(),
        Some("/new-149")
    );
    // Again: all there, one taken.
    let report = import_file(app.store.as_ref(), &path, options)
        .await
        .unwrap();
    let tally = &report.tallies["redirect"];
    assert_eq!((tally.added, tally.already_there, tally.taken), (0, 151, 1));
}

async fn pages_and_menus_move_by_path_and_name_and_come_once(app: TestApp) {
    use dateline_domain::{MenuName, MenuTarget, PageStore};
    let editor = app.account("Sana Jamal", Role::Editor).await;
    fill_pages(&app, &editor).await;
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("pages.jsonl");
    let export = export_to(app.store.url(), &data_dir(&app), &file).await;
    let page_lines: Vec<&str> = body_lines(&export)
        .into_iter()
        .filter(|l| l.starts_with(r#"{"type":"page""#))
        .collect();
    assert_eq!(page_lines.len(), 3);
    assert!(
        page_lines[0].contains(r#""path":"/about-us""#),
        "parents first: {page_lines:?}"
    );
    assert!(export.contains(
        r#"{"type":"menu","name":"header","items":[{"label":"Home","url":"/"},{"label":"World","section":"world"},{"label":"About","page":"/about-us"},{"label":"Team","page":"/about-us/our-team","nested":true},{"label":"Elsewhere","url":"https://example.org/"}]}"#
    ), "{export}");

    // Into a new database (which has sections of its own, so the menu's section is found by
    // slug), twice: the second run adds nothing.
    let db = another_database(&app, "portable::pages_target").await;
    let data = tempfile::tempdir().unwrap();
    let said = import_into(db.url(), data.path(), &file, &app.media_dir).await;
    assert!(said.contains("  page: 3 added, 0 already there"), "{said}");
    assert!(said.contains("  menu: 2 added, 0 already there"), "{said}");
    let said = import_into(db.url(), data.path(), &file, &app.media_dir).await;
    assert!(said.contains("  page: 0 added, 3 already there"), "{said}");
    assert!(said.contains("  menu: 0 added, 2 already there"), "{said}");
    let store = open(db.url()).await;
    let pages = store.pages().await.unwrap();
    assert_eq!(pages.len(), 3);
    let header = store.menu(MenuName::Header).await.unwrap();
    let team = pages
        .iter()
        .find(|p| p.slug.as_str() == "our-team")
        .unwrap();
    assert_eq!(header[3].target, MenuTarget::Page(team.id));
    assert!(header[3].nested);
    let about = store.page(team.parent.unwrap()).await.unwrap().unwrap();
    assert_eq!(about.summary.title, "About us");
    assert_eq!(about.body_html, "<p>About <em>About us</em>.</p>\n");
    assert_eq!(about.description, "About us, described");

    // A menu already made its own is kept; so is a page at a path that is taken.
    let mut changed = export.replace(
        r#""label":"Home","url":"/""#,
        r#""label":"Start","url":"/""#,
    );
    changed = changed.replace(r#""title":"Our team""#, r#""title":"The team""#);
    std::fs::write(work.path().join("changed.jsonl"), &changed).unwrap();
    let said = import_into(
        db.url(),
        data.path(),
        &work.path().join("changed.jsonl"),
        &app.media_dir,
    )
    .await;
    assert!(
        said.contains("  menu: 0 added, 1 already there, 1 left out"),
        "{said}"
    );
    assert_eq!(store.menu(MenuName::Header).await.unwrap(), header);
    assert!(
        store
            .pages()
            .await
            .unwrap()
            .iter()
            .any(|p| p.title == "Our team")
    );

    // Bad page and menu lines are refused, each with its line, and nothing is written.
    let header_line = export.lines().next().unwrap();
    let bad = [
        r#"{"type":"page","path":"/a/b","title":"Orphan","body":"x\n","status":"published","language":"en","created_at":"2024-04-16T05:00:00.000Z"}"#,
        r#"{"type":"page","path":"/search","title":"S","body":"x\n","status":"published","language":"en","created_at":"2024-04-16T05:00:00.000Z"}"#,
        r#"{"type":"page","path":"/x","title":"X","body":"<script>alert(1)</script>\n","status":"live","language":"en","created_at":"2024-04-16T05:00:00.000Z"}"#,
        r#"{"type":"menu","name":"header","items":[{"label":"Evil","url":"javascript:alert(1)"}]}"#,
        r#"{"type":"menu","name":"footer","items":[{"label":"Gone","section":"no-such-section"},{"label":"Gone too","page":"/no/such"}]}"#,
        r#"{"type":"menu","name":"sidebar","items":[{"label":"","url":"/"}]}"#,
    ];
    let problems = refused(
        &store,
        work.path(),
        &format!("{header_line}\n{}\n", bad.join("\n")),
    )
    .await;
    let all = problems.join("\n");
    for want in [
        "line 2: page '/a/b': its parent page '/a' is neither above",
        "line 3: page '/search': path: /search is one of the site's own addresses",
        "line 4: page '/x': body: line 1: scripts",
        "status: must be one of: draft, published",
        "line 5: menu 'header': items: item 1: target must be a path starting with /",
        "line 6: menu 'footer': section 'no-such-section' is neither above",
        "line 6: menu 'footer': page '/no/such' is neither above",
        "line 7: menu 'sidebar': menu: must be header or footer",
        "item 1: label must be one line",
    ] {
        assert!(all.contains(want), "{want}: {all}");
    }
    assert_eq!(store.pages().await.unwrap().len(), 3);
    store.close().await;
}
