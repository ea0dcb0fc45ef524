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
    // "sqlite:PATH: N migration(s) applied; ..."
    let applied = |out: &std::process::Output| -> u32 {
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let before = stdout
            .split(" migration(s) applied")
            .next()
            .unwrap_or_default();
        before
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no migration count in {stdout:?}"))
    };
    assert!(applied(&first) >= 1, "a new database gets every migration");
    assert!(dir.path().join("dateline-data/dateline.db").exists());
    let again = run(dir.path(), &["migrate"]);
    assert_eq!(applied(&again), 0, "a second run applies nothing");
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

async fn home(client: &reqwest::Client, addr: &str) -> scraper::Html {
    let response = client.get(format!("http://{addr}/")).send().await.unwrap();
    scraper::Html::parse_document(&response.text().await.unwrap())
}

#[tokio::test]
async fn a_fresh_start_creates_the_database_and_serves_the_demo_once() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let client = reqwest::Client::new();
    {
        let _server = start_server(dir.path(), &addr, &[]);
        wait_healthy(&client, &addr).await;
        let page = home(&client, &addr).await;
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
    assert_eq!(
        texts(&home(&client, &addr).await, ".teaser-headline").len(),
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
    let page = home(&client, &addr).await;
    assert_eq!(texts(&page, ".welcome"), ["Welcome to Dateline"]);
    assert_eq!(texts(&page, ".empty"), ["No stories here yet."]);
}

/// Starts the binary with exactly `args` (no `serve` added) and `envs`.
fn start_with(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Server {
    let child = Command::new(dateline_bin())
        .args(args)
        .current_dir(dir)
        .env_remove("DATELINE_DATABASE")
        .env_remove("DATELINE_DATA_DIR")
        .env_remove("DATELINE_BASE_URL")
        .envs(envs.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dateline");
    Server(child)
}

async fn canonical_of_first_story(client: &reqwest::Client, addr: &str) -> String {
    let page = home(client, addr).await;
    let href = crate::harness::attrs(&page, ".teaser-headline a", "href")
        .into_iter()
        .next()
        .expect("a story on the front page");
    let url = format!("http://{addr}{href}");
    let story =
        scraper::Html::parse_document(&client.get(url).send().await.unwrap().text().await.unwrap());
    crate::harness::attrs(&story, "link[rel=canonical]", "href")
        .into_iter()
        .next()
        .expect("a canonical link")
}

#[tokio::test]
async fn without_a_subcommand_dateline_serves_with_serve_options_and_links_to_its_address() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let client = reqwest::Client::new();
    {
        // `--addr` without `serve`.
        let _server = start_with(dir.path(), &["--addr", &addr], &[]);
        wait_healthy(&client, &addr).await;
        let canonical = canonical_of_first_story(&client, &addr).await;
        assert!(
            canonical.starts_with(&format!("http://{addr}/")),
            "{canonical} should point at the server's own address"
        );
    }
    // `DATELINE_ADDR` without `serve`, on another port: the links follow the address.
    let other = format!("127.0.0.1:{}", free_port());
    let _server = start_with(dir.path(), &[], &[("DATELINE_ADDR", &other)]);
    wait_healthy(&client, &other).await;
    let canonical = canonical_of_first_story(&client, &other).await;
    assert!(
        canonical.starts_with(&format!("http://{other}/")),
        "{canonical}"
    );
    let robots = client
        .get(format!("http://{other}/robots.txt"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        robots.contains(&format!("Sitemap: http://{other}/sitemap.xml")),
        "{robots}"
    );
}

#[tokio::test]
async fn base_url_from_the_command_line_or_environment_is_every_absolute_link() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let client = reqwest::Client::new();
    {
        let _server = start_with(
            dir.path(),
            &[
                "serve",
                "--addr",
                &addr,
                "--base-url",
                "https://gvs.example/",
            ],
            &[],
        );
        wait_healthy(&client, &addr).await;
        let canonical = canonical_of_first_story(&client, &addr).await;
        assert!(canonical.starts_with("https://gvs.example/"), "{canonical}");
        let feed = client
            .get(format!("http://{addr}/feed.xml"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(feed.contains("<link>https://gvs.example/"), "{feed}");
        assert!(!feed.contains("127.0.0.1"), "no link to the listen address");
    }
    let _server = start_with(
        dir.path(),
        &["--addr", &addr],
        &[("DATELINE_BASE_URL", "https://www.gvs.example")],
    );
    wait_healthy(&client, &addr).await;
    let canonical = canonical_of_first_story(&client, &addr).await;
    assert!(
        canonical.starts_with("https://www.gvs.example/"),
        "{canonical}"
    );
}

#[test]
fn a_bad_base_url_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    for bad in [
        "gvs.example",
        "https://gvs.example/news",
        "ftp://gvs.example",
    ] {
        assert_one_line_error(
            &run(dir.path(), &["--addr", &addr, "--base-url", bad]),
            "invalid base URL",
        );
    }
}

#[test]
fn serve_settings_in_the_environment_do_not_stop_other_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(dateline_bin())
        .arg("migrate")
        .current_dir(dir.path())
        .env_remove("DATELINE_DATABASE")
        .env_remove("DATELINE_DATA_DIR")
        .env("DATELINE_ADDR", "127.0.0.1:1")
        .env("DATELINE_BASE_URL", "https://gvs.example")
        .output()
        .expect("run dateline migrate");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A serve option on the command line before another subcommand is a mistake, said so.
    let output = run(dir.path(), &["--addr", "127.0.0.1:1", "migrate"]);
    assert!(!output.status.success());
}

#[tokio::test]
async fn sigterm_stops_accepting_finishes_the_request_in_flight_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let client = reqwest::Client::new();
    let mut server = start_with(dir.path(), &["--addr", &addr], &[]);
    wait_healthy(&client, &addr).await;
    crate::nodes::a_request_in_flight_outlives_sigterm(&mut server.0, &addr).await;
    // The database was closed cleanly: the next start finds it as it was.
    let _server = start_with(dir.path(), &["--addr", &addr], &[]);
    wait_healthy(&client, &addr).await;
    assert_eq!(
        texts(&home(&client, &addr).await, ".teaser-headline").len(),
        12
    );
}
