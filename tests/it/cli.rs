//! The binary itself: start-up on a fresh machine, and configuration mistakes that must end in
//! one clear line and a non-zero exit.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{dateline_bin, texts};

/// Runs the binary to completion (it must stop by itself within 30 s).
fn run(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(dateline_bin())
        .args(args)
        .current_dir(dir)
        .env_remove("DATELINE_DATABASE")
        .env_remove("DATELINE_ADDR")
        .env_remove("DATELINE_DATA_DIR")
        .env_remove("DATELINE_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dateline");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("dateline {args:?} did not stop by itself");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// Asserts a failed run said exactly one line, starting `error: ` and containing `want`.
fn assert_one_line_error(output: &Output, want: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "should fail: {stderr}");
    let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line, got: {stderr}");
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    assert!(
        lines[0].contains(want),
        "{} should mention {want}",
        lines[0]
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn bad_database_url_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let output = run(
        dir.path(),
        &[
            "serve",
            "--addr",
            &addr,
            "--database",
            "mysql://root:hunter2@localhost/news",
        ],
    );
    assert_one_line_error(&output, "unsupported database URL");
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("hunter2"),
        "the password is not echoed"
    );
}

#[test]
fn unreachable_postgres_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let url = format!("postgres://root@127.0.0.1:{}/test", free_port());
    let output = run(dir.path(), &["serve", "--addr", &addr, "--database", &url]);
    assert_one_line_error(&output, "cannot open database postgres://root@127.0.0.1");
}

#[test]
fn unwritable_data_dir_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a-file"), "not a directory").unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let output = run(
        dir.path(),
        &["serve", "--addr", &addr, "--data-dir", "a-file/data"],
    );
    assert_one_line_error(&output, "cannot create data directory a-file/data");
}

#[test]
fn port_in_use_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = run(dir.path(), &["serve", "--addr", &addr]);
    assert_one_line_error(&output, &format!("cannot listen on {addr}"));
    assert!(
        !dir.path().join("dateline-data").exists(),
        "nothing was created before the port check"
    );
}

#[test]
fn bad_listen_address_and_config_file_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    assert_one_line_error(
        &run(dir.path(), &["serve", "--addr", "nowhere"]),
        "invalid listen address 'nowhere'",
    );
    std::fs::write(dir.path().join("bad.toml"), "adr = \"127.0.0.1:1\"\n").unwrap();
    assert_one_line_error(
        &run(dir.path(), &["--config", "bad.toml", "migrate"]),
        "config file bad.toml: unknown field `adr`",
    );
    assert_one_line_error(
        &run(dir.path(), &["--config", "missing.toml", "migrate"]),
        "cannot read config file missing.toml",
    );
}

#[test]
fn migrate_applies_once_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let first = run(dir.path(), &["migrate"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let report = String::from_utf8_lossy(&first.stdout);
    assert!(
        report.contains("migration(s) applied") && !report.contains(" 0 migration(s)"),
        "{report}"
    );
    assert!(dir.path().join("dateline-data/dateline.db").exists());
    let again = run(dir.path(), &["migrate"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 migration(s) applied"));
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(dir: &Path, addr: &str, extra: &[&str]) -> Server {
    let child = Command::new(dateline_bin())
        .args(["serve", "--addr", addr])
        .args(extra)
        .current_dir(dir)
        .env_remove("DATELINE_DATABASE")
        .env_remove("DATELINE_DATA_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dateline serve");
    Server(child)
}

async fn wait_healthy(client: &reqwest::Client, addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("http://{addr}/healthz")).send().await
            && r.status() == 200
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "server at {addr} never became healthy"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_fresh_start_creates_the_database_and_serves_the_demo_once() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let client = reqwest::Client::new();
    {
        let _server = start_server(dir.path(), &addr, &[]);
        wait_healthy(&client, &addr).await;
        let page = client
            .get(format!("http://{addr}/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let page = scraper::Html::parse_document(&page);
        assert_eq!(
            texts(&page, ".welcome"),
            ["Welcome to Global Village Space"]
        );
        assert_eq!(texts(&page, ".teaser-headline").len(), 12);
    }
    assert!(dir.path().join("dateline-data/dateline.db").exists());
    // A second start finds the publication and adds nothing.
    let _server = start_server(dir.path(), &addr, &[]);
    wait_healthy(&client, &addr).await;
    let page = client
        .get(format!("http://{addr}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&scraper::Html::parse_document(&page), ".teaser-headline").len(),
        12
    );
}

#[tokio::test]
async fn no_demo_starts_an_empty_publication() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let client = reqwest::Client::new();
    let _server = start_server(dir.path(), &addr, &["--no-demo"]);
    wait_healthy(&client, &addr).await;
    let page = client
        .get(format!("http://{addr}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let page = scraper::Html::parse_document(&page);
    assert_eq!(texts(&page, ".welcome"), ["Welcome to Dateline"]);
    assert_eq!(texts(&page, ".empty"), ["No stories here yet."]);
}
