//! The test corpus of `tests/fixtures/corpus/`: 60 articles in 10 topics (the file name's prefix),
//! written to check search ranking and related articles.

use dateline_domain::{Article, ArticleStatus, ArticleStore, Listing, PageRequest};
use dateline_services::demo::parse_article_file;

use crate::harness::TestApp;

/// One corpus article and its topic.
pub struct Story {
    pub topic: String,
    pub name: String,
    pub article: Article,
}

/// Takes the demo publication off the site, then publishes the corpus, in file-name order.
pub async fn load(app: &TestApp) -> Vec<Story> {
    let demo = app
        .store
        .list_published(
            Listing::Latest,
            PageRequest {
                cursor: None,
                limit: 100,
            },
        )
        .await
        .expect("demo articles");
    for summary in demo {
        let article = app.store.article_by_id(summary.id).await.unwrap().unwrap();
        app.set_status(&article, ArticleStatus::Draft).await;
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus directory")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut stories = Vec::new();
    for path in files {
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&path).expect("corpus file");
        let input = parse_article_file(&name, &text).expect("corpus article");
        let article = app.create(input).await;
        let topic = name.split('-').next().unwrap().to_owned();
        stories.push(Story {
            topic,
            name,
            article,
        });
    }
    assert!(
        stories.len() >= 60,
        "the corpus has {} articles",
        stories.len()
    );
    stories
}

/// The story with this file name.
pub fn story<'a>(stories: &'a [Story], name: &str) -> &'a Story {
    stories
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no corpus article {name}"))
}
