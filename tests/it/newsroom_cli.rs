//! `dateline user add` and `dateline user reset-password`: passwords from standard input, clear
//! one-line errors, nothing written on bad input.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use dateline_domain::{AccountStore, Email};
use dateline_services::accounts;
use dateline_store::{DatabaseUrl, SqlStore};

use crate::harness::dateline_bin;

fn user(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(dateline_bin())
        .arg("user")
        .args(args)
        .args(["--data-dir", "data"])
        .current_dir(dir)
        .env_remove("DATELINE_DATABASE")
        .env_remove("DATELINE_DATA_DIR")
        .env_remove("DATELINE_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dateline");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().expect("output")
}

fn one_line_error(output: &Output) -> String {
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    lines[0].to_owned()
}

async fn open(dir: &Path) -> SqlStore {
    let url = DatabaseUrl::parse(&format!(
        "sqlite:{}",
        dir.join("data/dateline.db").display()
    ))
    .unwrap();
    SqlStore::connect(&url).await.unwrap()
}

async fn signs_in(store: &SqlStore, email: &str, password: &str) -> bool {
    accounts::sign_in(store, email, password, "127.0.0.1", chrono::Utc::now())
        .await
        .is_ok()
}

#[tokio::test]
async fn user_add_reads_the_password_from_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let add = [
        "add",
        "--email",
        "Sana@GVS.pk",
        "--name",
        "Sana Jamal",
        "--role",
        "editor",
    ];
    let output = user(dir.path(), &add, "a long enough password\n");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "added Sana Jamal <sana@gvs.pk> as editor\n"
    );
    let store = open(dir.path()).await;
    let (account, hash) = store
        .user_credentials(&Email::parse("sana@gvs.pk").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.role.as_str(), "editor");
    assert!(hash.starts_with("$argon2id$"));
    assert!(signs_in(&store, "sana@gvs.pk", "a long enough password").await);

    // The same address again, a bad role, a short or missing password: one line, nothing added.
    for (args, stdin, want) in [
        (
            add.to_vec(),
            "another long password\n",
            "sana@gvs.pk already has an account",
        ),
        (
            vec![
                "add", "--email", "b@gvs.pk", "--name", "B", "--role", "owner",
            ],
            "a long enough password\n",
            "'owner' is not one of contributor, author, editor, admin",
        ),
        (
            vec![
                "add", "--email", "b@gvs.pk", "--name", "B", "--role", "author",
            ],
            "short\n",
            "password: must be at least 10 characters",
        ),
        (
            vec![
                "add", "--email", "b@gvs.pk", "--name", "B", "--role", "author",
            ],
            "",
            "no password on standard input",
        ),
    ] {
        let line = one_line_error(&user(dir.path(), &args, stdin));
        assert!(line.starts_with("error: ") && line.contains(want), "{line}");
    }
    assert_eq!(store.users().await.unwrap().len(), 1);
    assert!(signs_in(&store, "sana@gvs.pk", "a long enough password").await);
}

#[tokio::test]
async fn reset_password_replaces_it_and_ends_every_session() {
    let dir = tempfile::tempdir().unwrap();
    let add = [
        "add",
        "--email",
        "ali@gvs.pk",
        "--name",
        "Ali",
        "--role",
        "author",
    ];
    assert!(
        user(dir.path(), &add, "the first password\r\n")
            .status
            .success()
    );
    let store = open(dir.path()).await;
    let signed = accounts::sign_in(
        &store,
        "ali@gvs.pk",
        "the first password",
        "::1",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let output = user(
        dir.path(),
        &["reset-password", "--email", "ALI@gvs.pk"],
        "the second password\n",
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        accounts::session(&store, &signed.token, chrono::Utc::now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(!signs_in(&store, "ali@gvs.pk", "the first password").await);
    assert!(signs_in(&store, "ali@gvs.pk", "the second password").await);

    let line = one_line_error(&user(
        dir.path(),
        &["reset-password", "--email", "nobody@gvs.pk"],
        "the third password\n",
    ));
    assert!(
        line.contains("no account has the address nobody@gvs.pk"),
        "{line}"
    );
    let line = one_line_error(&user(
        dir.path(),
        &["reset-password", "--email", "ali@gvs.pk"],
        "short\n",
    ));
    assert!(line.contains("at least 10 characters"), "{line}");
    assert!(signs_in(&store, "ali@gvs.pk", "the second password").await);
}
