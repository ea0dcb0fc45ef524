//! Third-party checkers run against what the real server rendered: Python's `feedparser`, `xmllint`
//! with the sitemap schemas, the Nu HTML Checker (vnu) and axe-core.
//!
//! Each is looked for first. Where one is missing the test prints `SKIPPED (<reason>): <test>`
//! and passes — except under CI (`CI` set), where a missing checker is a failure. `.ci/run`
//! installs them all (`npm ci`, `pip install feedparser`, Debian's `libxml2-utils`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository root, where `package.json` and `node_modules/` live.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn node_modules() -> PathBuf {
    repo_root().join("node_modules")
}

/// `true` when the checker is there; otherwise says the test is skipped (or fails under CI).
pub fn available(ok: bool, reason: &str, test: &str) -> bool {
    if ok {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must provide this checker ({reason}) for {test}; .ci/run installs it"
    );
    dateline_store::testing::skipped(test, reason);
    false
}

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `program` with `input` on standard input; returns (success, stdout, stderr).
pub fn run_with_input(program: &str, args: &[&str], input: &[u8]) -> (bool, String, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {program}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write to checker");
    let out = child.wait_with_output().expect("checker output");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn has_feedparser(test: &str) -> bool {
    available(
        runs("python3", &["-c", "import feedparser"]),
        "python3 with feedparser not installed: pip install feedparser",
        test,
    )
}

pub fn has_xmllint(test: &str) -> bool {
    let schema = node_modules().join("sitemap/schema/sitemap.xsd");
    available(
        runs("xmllint", &["--version"]) && schema.exists(),
        "xmllint (libxml2-utils) or node_modules/sitemap/schema/sitemap.xsd missing: apt-get install libxml2-utils; npm ci",
        test,
    )
}

pub fn vnu_jar() -> PathBuf {
    node_modules().join("vnu-jar/build/dist/vnu.jar")
}

pub fn has_vnu(test: &str) -> bool {
    available(
        vnu_jar().exists() && runs("java", &["-version"]),
        "Java or node_modules/vnu-jar missing: npm ci",
        test,
    )
}

pub fn axe_script() -> PathBuf {
    node_modules().join("axe-core/axe.min.js")
}

pub fn has_axe(test: &str) -> bool {
    available(
        axe_script().exists(),
        "node_modules/axe-core missing: npm ci",
        test,
    )
}

/// What feedparser made of a feed: `{"bozo": bool, "error": str, "version": str, "entries": [...]}`.
pub fn feedparser(document: &[u8]) -> serde_json::Value {
    const SCRIPT: &str = r#"
import json, sys, feedparser
d = feedparser.parse(sys.stdin.buffer.read())
print(json.dumps({
    "bozo": bool(d.bozo),
    "error": str(d.get("bozo_exception", "")),
    "version": d.version,
    "title": d.feed.get("title"),
    "self": [l["href"] for l in d.feed.get("links", []) if l.get("rel") == "self"],
    "entries": [{
        "title": e.get("title"),
        "link": e.get("link"),
        "id": e.get("id"),
        "published": e.get("published"),
        "updated": e.get("updated"),
        "content": (e.get("content") or [{}])[0].get("value"),
        "summary": e.get("summary"),
        "tags": [t.get("term") for t in e.get("tags", [])],
    } for e in d.entries],
}))
"#;
    let (ok, out, err) = run_with_input("python3", &["-c", SCRIPT], document);
    assert!(ok, "feedparser failed: {err}");
    serde_json::from_str(&out).expect("feedparser's report")
}

/// Checks a JSON Feed 1.1 document against the spec's required fields and formats in Python
/// (independently of our own serialisation code). Returns the problems found.
pub fn json_feed_problems(document: &[u8]) -> Vec<String> {
    const SCRIPT: &str = r#"
import json, sys
from datetime import datetime
problems = []
try:
    feed = json.loads(sys.stdin.buffer.read().decode("utf-8"))
except Exception as e:
    print(json.dumps(["not JSON: %s" % e])); sys.exit(0)
def rfc3339(where, value):
    try:
        if datetime.fromisoformat(value).utcoffset() is None:
            problems.append("%s: %r has no time zone" % (where, value))
    except Exception:
        problems.append("%s: %r is not RFC 3339" % (where, value))
if feed.get("version") != "https://jsonfeed.org/version/1.1":
    problems.append("version is %r" % feed.get("version"))
if not isinstance(feed.get("title"), str) or not feed["title"]:
    problems.append("title missing")
for key in ("home_page_url", "feed_url"):
    if key in feed and not feed[key].startswith(("http://", "https://")):
        problems.append("%s is not absolute: %r" % (key, feed[key]))
items = feed.get("items")
if not isinstance(items, list):
    problems.append("items is not a list")
    items = []
ids = set()
for i, item in enumerate(items):
    where = "items[%d]" % i
    if not isinstance(item.get("id"), str) or not item["id"]:
        problems.append(where + ": id missing")
    if item.get("id") in ids:
        problems.append(where + ": id repeated")
    ids.add(item.get("id"))
    if not isinstance(item.get("content_html"), str) and not isinstance(item.get("content_text"), str):
        problems.append(where + ": neither content_html nor content_text")
    for key in ("url", "external_url", "image"):
        if key in item and not item[key].startswith(("http://", "https://")):
            problems.append("%s.%s is not absolute" % (where, key))
    for key in ("date_published", "date_modified"):
        if key in item:
            rfc3339(where + "." + key, item[key])
    for a, author in enumerate(item.get("authors", [])):
        if not any(k in author for k in ("name", "url", "avatar")):
            problems.append("%s.authors[%d] is empty" % (where, a))
    if "author" in item:
        problems.append(where + ": JSON Feed 1.1 uses authors, not author")
print(json.dumps(problems))
"#;
    let (ok, out, err) = run_with_input("python3", &["-c", SCRIPT], document);
    assert!(ok, "JSON Feed check failed to run: {err}");
    serde_json::from_str(&out).expect("JSON Feed check's report")
}

/// Validates an XML document with `xmllint --schema`; returns xmllint's complaint on failure.
pub fn xmllint(document: &[u8], schema: &Path) -> Result<(), String> {
    let schema = schema.to_str().expect("schema path");
    let (ok, _, err) = run_with_input("xmllint", &["--noout", "--schema", schema, "-"], document);
    if ok { Ok(()) } else { Err(err) }
}

/// Schemas for sitemaps: `(urlset, news urlset, sitemap index)`. The news one imports the
/// sitemaps.org `sitemap.xsd` from node_modules and our `sitemap-news.xsd`.
pub struct SitemapSchemas {
    _dir: tempfile::TempDir,
    pub urlset: PathBuf,
    pub news: PathBuf,
    pub index: PathBuf,
}

impl SitemapSchemas {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let urlset = node_modules().join("sitemap/schema/sitemap.xsd");
        let news_xsd = repo_root().join("tests/schemas/sitemap-news.xsd");
        let news = dir.path().join("news-urlset.xsd");
        std::fs::write(
            &news,
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <xsd:import namespace="http://www.sitemaps.org/schemas/sitemap/0.9" schemaLocation="{}"/>
  <xsd:import namespace="http://www.google.com/schemas/sitemap-news/0.9" schemaLocation="{}"/>
</xsd:schema>
"#,
                urlset.display(),
                news_xsd.display()
            ),
        )
        .expect("write schema");
        Self {
            urlset,
            news,
            index: repo_root().join("tests/schemas/siteindex.xsd"),
            _dir: dir,
        }
    }
}

/// The Nu HTML Checker's errors for each file (warnings and info left out), one line each.
pub fn vnu_errors(files: &[PathBuf]) -> Vec<String> {
    let jar = vnu_jar();
    let mut args = vec![
        "-jar".to_owned(),
        jar.display().to_string(),
        "--format".to_owned(),
        "json".to_owned(),
    ];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let out = Command::new("java")
        .args(&args)
        .output()
        .expect("run the Nu HTML Checker");
    // vnu writes its JSON report to standard error and exits non-zero when it found errors.
    let report: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap_or_else(|e| {
        panic!(
            "vnu report is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    report["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["type"] == "error" || m["subType"] == "fatal")
        .map(|m| {
            format!(
                "{}:{}: {} [{}]",
                m["url"].as_str().unwrap_or_default(),
                m["lastLine"],
                m["message"].as_str().unwrap_or_default(),
                m["extract"].as_str().unwrap_or_default().trim()
            )
        })
        .collect()
}
