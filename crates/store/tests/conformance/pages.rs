//! Pages and menus ([`PageStore`]): addresses unique among siblings and apart from articles,
//! menus replaced whole, every write announced as [`CacheKey::Pages`].

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use dateline_domain::{
    CacheKey, ChangeObserver, ContentChange, Language, MenuItem, MenuName, MenuTarget, NewPage,
    PageId, PageStatus, Slug, Store, StoreError,
};

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap() + chrono::Duration::minutes(minutes)
}

fn page(slug: &str, parent: Option<PageId>) -> NewPage {
    NewPage {
        slug: Slug::parse(slug).unwrap(),
        parent,
        position: 0,
        title: format!("Title of {slug}"),
        body: "Body.\n".into(),
        body_html: "<p>Body.</p>\n".into(),
        description: String::new(),
        status: PageStatus::Published,
        language: Language::english(),
        at: at(0),
    }
}

#[derive(Default)]
struct Heard(std::sync::Mutex<Vec<ContentChange>>);

impl ChangeObserver for Heard {
    fn content_changed(&self, change: &ContentChange) {
        self.0.lock().unwrap().push(change.clone());
    }
}

pub async fn page_addresses_are_unique_among_siblings_and_apart_from_articles(store: &dyn Store) {
    let heard = Arc::new(Heard::default());
    store.add_change_observer(heard.clone());
    let about = store.insert_page(&page("about-us", None)).await.unwrap();
    assert_eq!(
        heard.0.lock().unwrap().pop().unwrap().keys,
        BTreeSet::from([CacheKey::Pages])
    );
    let team = store
        .insert_page(&page("our-team", Some(about)))
        .await
        .unwrap();
    // Articles pass over a top-level page's slug; pages refuse an article's.
    assert!(
        store
            .slug_exists(&Slug::parse("about-us").unwrap())
            .await
            .unwrap()
    );
    assert!(
        !store
            .slug_exists(&Slug::parse("our-team").unwrap())
            .await
            .unwrap()
    );
    let section = store
        .ensure_section(&Slug::parse("world").unwrap(), "World")
        .await
        .unwrap()
        .id;
    let article = dateline_domain::NewArticle {
        slug: Slug::parse("budget").unwrap(),
        headline: dateline_domain::Headline::parse("Budget").unwrap(),
        standfirst: String::new(),
        body: "Body.\n".into(),
        body_html: "<p>Body.</p>\n".into(),
        section,
        tags: vec![],
        authors: vec![],
        source: None,
        status: dateline_domain::ArticleStatus::Published,
        language: Language::english(),
        published_at: Some(at(0)),
        created_at: at(0),
        updated_at: at(0),
    };
    store.insert_article(&article).await.unwrap();
    for (new, why) in [
        (page("budget", None), "an article's slug"),
        (page("about-us", None), "a top-level page's"),
        (page("our-team", Some(about)), "a sibling's"),
    ] {
        assert!(
            matches!(store.insert_page(&new).await, Err(StoreError::Conflict(_))),
            "{why}"
        );
    }
    assert!(matches!(
        store
            .insert_page(&page("lost", Some(PageId(999_999))))
            .await,
        Err(StoreError::MissingReference(_))
    ));
    // Under a parent, an article's slug is free; an update may keep its own slug.
    store
        .insert_page(&page("budget", Some(about)))
        .await
        .unwrap();
    let mut renamed = page("our-team", Some(about));
    renamed.title = "The team".into();
    renamed.status = PageStatus::Draft;
    assert!(store.update_page(team, &renamed).await.unwrap());
    assert!(matches!(
        store.update_page(team, &page("budget", Some(about))).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        !store
            .update_page(PageId(999_999), &page("nobody", None))
            .await
            .unwrap()
    );
    assert!(
        store
            .set_page_status(team, PageStatus::Published, at(5))
            .await
            .unwrap()
    );
    let stored = store.page(team).await.unwrap().unwrap();
    assert_eq!(stored.summary.title, "The team");
    assert_eq!(stored.summary.status, PageStatus::Published);
    assert_eq!(stored.published_at, Some(at(0)), "first publication kept");
    assert_eq!(stored.updated_at, at(5));
    let pages = store.pages().await.unwrap();
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0].id, about, "top-level pages first");
    assert!(
        store
            .top_page_slug_exists(&Slug::parse("about-us").unwrap())
            .await
            .unwrap()
    );
    assert!(
        !store
            .top_page_slug_exists(&Slug::parse("budget").unwrap())
            .await
            .unwrap()
    );
}

pub async fn menus_are_replaced_whole_and_refuse_targets_that_are_not_there(store: &dyn Store) {
    let about = store.insert_page(&page("about-us", None)).await.unwrap();
    let section = store
        .ensure_section(&Slug::parse("world").unwrap(), "World")
        .await
        .unwrap()
        .id;
    let items = vec![
        MenuItem {
            label: "Home".into(),
            target: MenuTarget::Url("/".into()),
            nested: false,
        },
        MenuItem {
            label: "World".into(),
            target: MenuTarget::Section(section),
            nested: false,
        },
        MenuItem {
            label: "About".into(),
            target: MenuTarget::Page(about),
            nested: true,
        },
    ];
    store.replace_menu(MenuName::Header, &items).await.unwrap();
    assert_eq!(store.menu(MenuName::Header).await.unwrap(), items);
    assert!(store.menu(MenuName::Footer).await.unwrap().is_empty());
    for gone in [
        MenuTarget::Page(PageId(999_999)),
        MenuTarget::Section(dateline_domain::SectionId(999_999)),
    ] {
        let bad = vec![MenuItem {
            label: "Gone".into(),
            target: gone,
            nested: false,
        }];
        assert!(matches!(
            store.replace_menu(MenuName::Header, &bad).await,
            Err(StoreError::MissingReference(_))
        ));
        assert_eq!(
            store.menu(MenuName::Header).await.unwrap(),
            items,
            "unchanged"
        );
    }
    store
        .replace_menu(MenuName::Header, &items[..1])
        .await
        .unwrap();
    assert_eq!(store.menu(MenuName::Header).await.unwrap(), &items[..1]);
}
