//! Durability: kill -9 in the middle of a burst of writes, then check that every write the process
//! had acknowledged is there, whole, and that no article is half-written.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use dateline_domain::{ArticleStore, ArticleSummary, Listing, PageRequest};
use dateline_services::generate;
use dateline_store::SqlStore;
use dateline_store::testing::TestDatabase;

use crate::harness::dateline_bin;

const SEED: u64 = 77;

#[tokio::test]
async fn sqlite_killed_writer_loses_no_acknowledged_article() {
    killed_writer_loses_no_acknowledged_article(TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn postgres_killed_writer_loses_no_acknowledged_article() {
    if let Some(db) =
        TestDatabase::postgres("crash::postgres_killed_writer_loses_no_acknowledged_article").await
    {
        killed_writer_loses_no_acknowledged_article(db).await;
    }
}

async fn killed_writer_loses_no_acknowledged_article(db: TestDatabase) {
    let url = db
        .url()
        .as_sqlx_url()
        .replace("sqlite://", "sqlite:")
        .replace("?mode=rwc", "");
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(dateline_bin())
        .args([
            "generate",
            "--articles",
            "1000000",
            "--batch",
            "50",
            "--log-commits",
            "--seed",
            &SEED.to_string(),
        ])
        .args([
            "--database",
            &url,
            "--data-dir",
            data.path().to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the generator");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acknowledged = 0;
    // Let a few batches land, then kill it without warning in the middle of the next ones.
    while acknowledged < 400 {
        let line = lines.next().expect("the generator stopped early").unwrap();
        acknowledged = line
            .strip_prefix("committed ")
            .expect("a commit line")
            .parse()
            .unwrap();
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Anything it printed before dying was acknowledged too.
    for line in lines.map_while(Result::ok) {
        if let Some(n) = line.strip_prefix("committed ") {
            acknowledged = n.parse().unwrap();
        }
    }

    let store = SqlStore::connect(db.url()).await.unwrap();
    let stored = store.count_articles().await.unwrap();
    assert!(
        stored >= acknowledged,
        "{stored} stored, {acknowledged} acknowledged"
    );
    assert_eq!(stored % 50, 0, "whole batches only: {stored}");

    let all: Vec<ArticleSummary> = store
        .list_published(Listing::Latest, PageRequest::first(u32::MAX >> 1))
        .await
        .unwrap();
    assert_eq!(all.len() as u64, stored);
    let mut numbers: Vec<u64> = all
        .iter()
        .map(|s| generate::number_from_slug(&s.slug).unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (0..stored).collect::<Vec<_>>(),
        "articles 0..{stored}, none missing"
    );
    for summary in all.iter().step_by(7) {
        let n = generate::number_from_slug(&summary.slug).unwrap();
        let article = store.article_by_id(summary.id).await.unwrap().unwrap();
        let expected = generate::text(SEED, n);
        assert_eq!(article.headline, expected.headline);
        assert_eq!(article.standfirst, expected.standfirst);
        assert_eq!(
            article.section.name,
            generate::section_name(expected.section)
        );
        let tags: Vec<_> = article.tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            tags,
            expected
                .tags
                .iter()
                .map(|&t| generate::tag_name(t))
                .collect::<Vec<_>>(),
            "article {n}"
        );
        let byline: Vec<_> = article.authors.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            byline,
            expected
                .authors
                .iter()
                .map(|&a| generate::author_name(a))
                .collect::<Vec<_>>()
        );
        let paragraphs: Vec<_> = article
            .body
            .split("\n\n")
            .filter(|p| !p.trim().is_empty() && !p.starts_with("::: read-more"))
            .collect();
        assert_eq!(paragraphs, expected.paragraphs, "article {n} body is whole");
        assert_eq!(
            article.body_html.matches("<p>").count(),
            expected.paragraphs.len()
        );
    }
    store.close().await;
}
