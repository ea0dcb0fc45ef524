//! Wire ingest: the IPTC examples and test suite read into item versions, replayed twice and in
//! reverse on both databases with the same state; bad payloads kept with their reason and nothing
//! stored lost; `dateline wire …` on the command line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dateline_domain::Store;
use dateline_domain::store::WireFilter;
use dateline_domain::wire::{ItemStatus, Provider};
use dateline_services::wire::{self, IngestError, ProviderForm};

use crate::harness::{TestApp, dateline_bin, on_both_backends, reference_day};

on_both_backends!(
    every_fixture_replayed_twice_and_in_reverse_gives_the_same_desk,
    a_bad_payload_is_kept_with_its_reason_and_loses_nothing,
    the_same_payload_sent_a_hundred_times_at_once_is_stored_once,
);

fn standards() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/standards")
}

/// Every item fixture: the ninjs examples and test suite's passing documents, and the
/// NewsML-G2 examples.
fn fixtures() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut add_dir = |dir: PathBuf| {
        let mut found: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "xml"))
            .collect();
        found.sort();
        files.extend(found);
    };
    add_dir(standards().join("ninjs/examples"));
    for version in ["2.0", "2.1", "2.2", "3.0", "3.1"] {
        add_dir(standards().join(format!("ninjs/test_suite/{version}/should_pass")));
    }
    add_dir(standards().join("newsml-g2/examples"));
    files
}

async fn provider(store: &dyn Store, code: &str) -> Provider {
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
    .expect("provider")
}

/// What the desk holds, in a form two runs can be compared by: every item with its current
/// headline, status and version count, and every version key.
async fn desk_state(store: &dyn Store) -> Vec<String> {
    let rows = store
        .wire_rows(&WireFilter {
            limit: 10_000,
            ..WireFilter::default()
        })
        .await
        .unwrap();
    let mut state = Vec::new();
    for row in rows {
        let item = store.wire_item(row.id).await.unwrap().unwrap();
        let keys: Vec<_> = item.versions.iter().map(|v| v.key.clone()).collect();
        state.push(format!(
            "{}|{}|{}|{:?}|{}|{}",
            row.item_id,
            row.headline,
            row.status.as_str(),
            keys,
            row.text_hash,
            row.language
        ));
    }
    state.sort();
    state
}

async fn ingest_all(store: &dyn Store, provider: &Provider, files: &[PathBuf]) -> (u32, u32) {
    let (mut read, mut unreadable) = (0, 0);
    for file in files {
        let bytes = std::fs::read(file).unwrap();
        match wire::ingest_payload(
            store,
            provider,
            &file.display().to_string(),
            &bytes,
            reference_day(),
        )
        .await
        {
            Ok(report) => read += u32::try_from(report.read).unwrap(),
            Err(IngestError::Unreadable { reason, .. }) => {
                unreadable += 1;
                eprintln!("{}: {reason}", file.display());
            }
            Err(e) => panic!("{}: {e}", file.display()),
        }
    }
    (read, unreadable)
}

async fn every_fixture_replayed_twice_and_in_reverse_gives_the_same_desk(app: TestApp) {
    let store = app.state.store.as_ref();
    let files = fixtures();
    assert!(files.len() >= 30, "fixtures found: {}", files.len());
    let forward = provider(store, "FWD").await;
    let (read, unreadable) = ingest_all(store, &forward, &files).await;
    assert_eq!(unreadable, 0, "every fixture reads");
    // The test suite's documents are often bare (an id and one field under test) and are skipped
    // as such; the examples are whole items, each of which must come through (but the package
    // and the hop-history and AP metadata listings, which hold no content).
    assert!(read >= 25, "{read} versions from {} files", files.len());
    let examples = files
        .iter()
        .filter(|f| f.to_string_lossy().contains("examples"))
        .filter(|f| {
            let name = f.to_string_lossy();
            !["Package", "Hop_History", "ap_metadata"]
                .iter()
                .any(|listing| name.contains(listing))
        });
    for example in examples {
        let bytes = std::fs::read(example).unwrap();
        let read = dateline_wire::read(&bytes).unwrap();
        assert!(
            !read.versions.is_empty(),
            "{}: {:?}",
            example.display(),
            read.skipped
        );
    }
    let once = desk_state(store).await;
    // Again: nothing changes.
    ingest_all(store, &forward, &files).await;
    assert_eq!(desk_state(store).await, once);
    // The same files in reverse order, as another provider: the same items, versions and
    // current versions.
    let backward = provider(store, "BWD").await;
    let mut reversed = files.clone();
    reversed.reverse();
    ingest_all(store, &backward, &reversed).await;
    let rows = store
        .wire_rows(&WireFilter {
            provider: Some(backward.id),
            limit: 10_000,
            ..WireFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), once.len());
    let forward_rows = store
        .wire_rows(&WireFilter {
            provider: Some(forward.id),
            limit: 10_000,
            ..WireFilter::default()
        })
        .await
        .unwrap();
    for row in &forward_rows {
        let twin = store
            .wire_item_by_agency_id(backward.id, &row.item_id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{} missing in the reverse run", row.item_id));
        let this = store.wire_item(row.id).await.unwrap().unwrap();
        assert_eq!(twin.row.headline, row.headline, "{}", row.item_id);
        assert_eq!(twin.row.status, row.status, "{}", row.item_id);
        let keys = |item: &dateline_domain::store::WireItem| {
            item.versions
                .iter()
                .map(|v| v.key.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&twin), keys(&this), "{}", row.item_id);
    }
    // Facts of the fixtures that a reader must get right.
    let all = store
        .wire_rows(&WireFilter {
            provider: Some(forward.id),
            limit: 10_000,
            ..WireFilter::default()
        })
        .await
        .unwrap();
    assert!(all.iter().all(|r| !r.headline.trim().is_empty()));
    assert!(all.iter().any(|r| r.status == ItemStatus::Usable));
}

async fn a_bad_payload_is_kept_with_its_reason_and_loses_nothing(app: TestApp) {
    let store = app.state.store.as_ref();
    let p = provider(store, "APP").await;
    let good = std::fs::read(standards().join("ninjs/examples/3.0_dpa_text.json")).unwrap();
    wire::ingest_payload(store, &p, "good.json", &good, reference_day())
        .await
        .expect("the good file");
    let before = desk_state(store).await;
    assert!(!before.is_empty());
    let billion_laughs = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<newsItem guid="x" version="1"><contentMeta><headline>&lol3;</headline></contentMeta></newsItem>"#;
    let external = br#"<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&xxe;</title></item></channel></rss>"#;
    let bad: [(&str, &[u8], &str); 7] = [
        ("broken.json", b"{\"uri\": \"x\", \"headline\": ", "JSON"),
        (
            "html.xml",
            b"<!DOCTYPE html><html><body>Log in</body></html>",
            "HTML",
        ),
        ("laughs.xml", billion_laughs, "DOCTYPE"),
        ("xxe.xml", external, "DOCTYPE"),
        ("empty.json", b"", "empty"),
        ("not-ninjs.json", b"{\"hello\": \"world\"}", "uri"),
        (
            "cut.xml",
            b"<newsItem guid=\"x\"><contentMeta><headline>Cut",
            "",
        ),
    ];
    for (name, bytes, says) in bad {
        match wire::ingest_payload(store, &p, name, bytes, reference_day()).await {
            Err(IngestError::Unreadable { reason, .. }) => {
                assert!(
                    reason.to_lowercase().contains(&says.to_lowercase()),
                    "{name}: {reason}"
                );
                assert!(
                    !reason.contains("root:"),
                    "{name}: no file content leaks: {reason}"
                );
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    assert_eq!(desk_state(store).await, before, "nothing stored changed");
    // Each bad payload is kept, with its reason, for the provider's page.
    let payloads = store.payloads(p.id, 100).await.unwrap();
    let failed: Vec<_> = payloads.iter().filter(|r| r.error.is_some()).collect();
    assert_eq!(failed.len(), 7, "{payloads:#?}");
    // Too large: refused before anything is stored.
    let huge = vec![b' '; wire::MAX_PAYLOAD_BYTES + 1];
    let refused = wire::ingest_payload(store, &p, "huge.json", &huge, reference_day()).await;
    assert!(
        matches!(refused, Err(IngestError::TooLarge { .. })),
        "{refused:?}"
    );
    assert_eq!(
        store.payloads(p.id, 100).await.unwrap().len(),
        payloads.len()
    );
}

async fn the_same_payload_sent_a_hundred_times_at_once_is_stored_once(app: TestApp) {
    let store = app.state.store.clone();
    let p = provider(store.as_ref(), "APP").await;
    let bytes =
        std::fs::read(standards().join("newsml-g2/examples/LISTING_2_NewsML-G2_Text_Document.xml"))
            .unwrap();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let store = store.clone();
        let p = p.clone();
        let bytes = bytes.clone();
        tasks.push(tokio::spawn(async move {
            wire::ingest_payload(
                store.as_ref(),
                &p,
                &format!("copy-{i}.xml"),
                &bytes,
                reference_day(),
            )
            .await
        }));
    }
    let mut new_payloads = 0;
    let mut stored = 0;
    for task in tasks {
        let report = task.await.unwrap().expect("ingest");
        new_payloads += u32::from(report.new_payload);
        stored += report.outcome.current + report.outcome.history;
    }
    assert_eq!(new_payloads, 1);
    assert_eq!(stored, 1, "one version, stored once");
    assert_eq!(store.payloads(p.id, 10).await.unwrap().len(), 1);
}

// The command line (SQLite in a temporary directory).

fn wire_cli(dir: &Path, args: &[&str], credentials: Option<&str>) -> Output {
    let mut command = Command::new(dateline_bin());
    command
        .arg("wire")
        .args(args)
        .args(["--data-dir", "data"])
        .current_dir(dir)
        .env_remove("DATELINE_DATABASE")
        .env_remove("DATELINE_DATA_DIR")
        .env_remove("DATELINE_CONFIG")
        .env_remove("DATELINE_WIRE_CREDENTIALS");
    if let Some(credentials) = credentials {
        command.env("DATELINE_WIRE_CREDENTIALS", credentials);
    }
    command.output().expect("run dateline")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn one_line_error(output: &Output) -> String {
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    lines[0].to_owned()
}

#[test]
fn wire_provider_add_and_providers_never_show_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let added = wire_cli(
        dir.path(),
        &[
            "provider",
            "add",
            "--code",
            "app",
            "--name",
            "Associated Press of Pakistan",
            "--kind",
            "rss",
            "--url",
            "https://www.app.com.pk/feed/",
        ],
        Some("gvs:very-secret-password"),
    );
    assert_eq!(
        stdout(&added),
        "added provider APP (Associated Press of Pakistan), RSS / Atom feed at https://www.app.com.pk/feed/\n"
    );
    stdout(&wire_cli(
        dir.path(),
        &[
            "provider",
            "add",
            "--code",
            "AFP",
            "--name",
            "Agence France-Presse",
            "--language",
            "fr",
        ],
        None,
    ));
    let listed = stdout(&wire_cli(dir.path(), &["providers"], None));
    assert!(!listed.contains("very-secret"), "{listed}");
    let lines: Vec<_> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "{listed}");
    assert!(
        lines[1].starts_with("AFP\tfiles\tfr\t300s\ttake-down\tfiles\tAgence France-Presse"),
        "{listed}"
    );
    assert!(
        lines[2].starts_with("APP\trss\ten\t300s\ttake-down\tpolling\t"),
        "{listed}"
    );
    // Mistakes: one line each, nothing written.
    let taken = one_line_error(&wire_cli(
        dir.path(),
        &["provider", "add", "--code", "APP", "--name", "Again"],
        None,
    ));
    assert!(
        taken.contains("another provider has the code APP"),
        "{taken}"
    );
    let no_url = one_line_error(&wire_cli(
        dir.path(),
        &[
            "provider", "add", "--code", "AP", "--name", "AP", "--kind", "ninjs",
        ],
        None,
    ));
    assert!(no_url.contains("needs the address of its feed"), "{no_url}");
    let bad = one_line_error(&wire_cli(
        dir.path(),
        &[
            "provider",
            "add",
            "--code",
            "A P",
            "--name",
            "x\u{7}",
            "--kind",
            "ftp",
            "--url",
            "javascript:alert(1)",
            "--poll-interval",
            "5",
        ],
        None,
    ));
    for says in ["code", "name", "kind", "poll interval"] {
        assert!(bad.contains(says), "{says}: {bad}");
    }
    let listed_again = stdout(&wire_cli(dir.path(), &["providers"], None));
    assert_eq!(listed_again, listed);
}

#[test]
fn wire_ingest_reads_files_says_what_it_stored_and_names_each_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    stdout(&wire_cli(
        dir.path(),
        &[
            "provider",
            "add",
            "--code",
            "NTB",
            "--name",
            "Norsk Telegrambyrå",
        ],
        None,
    ));
    let good = standards().join("ninjs/examples/3.0_ntb_text.json");
    let g2 = standards().join("newsml-g2/examples/LISTING_1_A_NewsML-G2_News_Item.xml");
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "[{\"uri\": ").unwrap();
    let missing = dir.path().join("missing.xml");
    let output = wire_cli(
        dir.path(),
        &[
            "ingest",
            "--provider",
            "ntb",
            good.to_str().unwrap(),
            broken.to_str().unwrap(),
            g2.to_str().unwrap(),
            missing.to_str().unwrap(),
        ],
        None,
    );
    assert!(!output.status.success());
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        out.contains("3.0_ntb_text.json: ninjs (stored), 1 versions: 1 new or newer"),
        "{out}"
    );
    assert!(
        out.contains("LISTING_1_A_NewsML-G2_News_Item.xml: newsml-g2 (stored)"),
        "{out}"
    );
    assert!(
        err.contains("error: ") && err.contains("broken.json: "),
        "{err}"
    );
    assert!(err.contains("missing.xml: cannot open"), "{err}");
    assert!(err.contains("2 of 4 files could not be read"), "{err}");
    // Again: read before, nothing new.
    let again = wire_cli(
        dir.path(),
        &["ingest", "--provider", "NTB", good.to_str().unwrap()],
        None,
    );
    assert!(stdout(&again).contains(
        "ninjs (read before), 1 versions: 0 new or newer, 0 older kept as history, 1 already stored"
    ));
    let unknown = one_line_error(&wire_cli(
        dir.path(),
        &["ingest", "--provider", "XYZ", good.to_str().unwrap()],
        None,
    ));
    assert!(unknown.contains("there is no provider XYZ"), "{unknown}");
}
