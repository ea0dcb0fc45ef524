//! The whole sample export, read as a stream, against what WordPress's database says it holds
//! (`gvs-sample.expected.json`).

use std::collections::{BTreeMap, HashMap};

use dateline_wordpress::{
    CommentApproval, CommentKind, Item, PostStatus, PostType, Record, Taxonomy, decode_slug,
};
use serde_json::Value;

use crate::{expected, items, records, site, terms};

fn count(value: &Value) -> usize {
    value.as_u64().expect("a count") as usize
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {value}"))
}

#[test]
fn records_come_site_first_then_authors_terms_and_items() {
    let kinds: Vec<&str> = records()
        .iter()
        .map(|r| match r {
            Record::Site(_) => "site",
            Record::Author(_) => "author",
            Record::Term(_) => "term",
            Record::Item(_) => "item",
        })
        .collect();
    assert_eq!(kinds[0], "site");
    assert_eq!(kinds.iter().filter(|k| **k == "site").count(), 1);
    let first_term = kinds.iter().position(|k| *k == "term").unwrap();
    let first_item = kinds.iter().position(|k| *k == "item").unwrap();
    assert!(kinds[1..first_term].iter().all(|k| *k == "author"));
    assert!(kinds[first_term..first_item].iter().all(|k| *k == "term"));
    assert!(kinds[first_item..].iter().all(|k| *k == "item"));
}

#[test]
fn the_site_is_described() {
    let site = site();
    let expected = &expected()["site"];
    assert_eq!(site.title, str_of(expected, "title"));
    assert_eq!(
        format!("{}/", site.link),
        str_of(expected, "home"),
        "the channel link is the home URL without its slash"
    );
    assert_eq!(site.language, str_of(expected, "language"));
    assert_eq!(site.wxr_version, "1.2");
    assert_eq!(site.base_site_url, "https://gvs-sample.example.test");
    assert_eq!(site.base_blog_url, "https://gvs-sample.example.test");
    assert_eq!(site.description, "News, analysis and opinion");
}

#[test]
fn items_by_type_and_status_match() {
    let items = items();
    let expected = expected();
    assert_eq!(items.len(), count(&expected["items_total"]));
    let mut counted: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for item in &items {
        *counted
            .entry(item.post_type.as_str().to_owned())
            .or_default()
            .entry(item.status.as_str().to_owned())
            .or_default() += 1;
    }
    let wanted: BTreeMap<String, BTreeMap<String, usize>> =
        serde_json::from_value(expected["items_by_type_and_status"].clone()).unwrap();
    assert_eq!(counted, wanted);
}

fn of_type(items: &[Item], post_type: PostType) -> Vec<&Item> {
    items.iter().filter(|i| i.post_type == post_type).collect()
}

fn by_status(items: &[&Item], status: &str) -> usize {
    items.iter().filter(|i| i.status.as_str() == status).count()
}

#[test]
fn posts_by_status_protection_stickiness_and_featured_images_match() {
    let items = items();
    let posts = of_type(&items, PostType::Post);
    let expected = &expected()["posts"];
    for status in ["publish", "draft", "pending", "private", "future", "trash"] {
        assert_eq!(
            by_status(&posts, status),
            count(&expected[status]),
            "{status}"
        );
    }
    assert_eq!(posts.len(), count(&expected["total"]));
    let protected: Vec<u64> = posts
        .iter()
        .filter(|p| p.is_password_protected())
        .map(|p| p.post_id)
        .collect();
    assert_eq!(protected.len(), count(&expected["password_protected"]));
    let sticky: Vec<u64> = posts
        .iter()
        .filter(|p| p.sticky)
        .map(|p| p.post_id)
        .collect();
    assert_eq!(sticky.len(), count(&expected["sticky"]));
    let featured = posts.iter().filter(|p| p.thumbnail_id().is_some()).count();
    assert_eq!(featured, count(&expected["with_featured_image"]));

    let all = crate::expected();
    let ids = |key: &str| -> Vec<u64> {
        all[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect()
    };
    assert_eq!(sticky, ids("sticky_post_ids"));
    assert_eq!(protected, ids("password_protected_ids"));
    assert_eq!(crate::item(37).password, "fair-2023");
}

#[test]
fn pages_attachments_and_menu_items_match() {
    let items = items();
    let expected = expected();
    let pages = of_type(&items, PostType::Page);
    for status in ["publish", "draft", "pending", "private", "future", "trash"] {
        assert_eq!(
            by_status(&pages, status),
            count(&expected["pages"][status]),
            "{status}"
        );
    }
    assert_eq!(pages.len(), count(&expected["pages"]["total"]));
    assert_eq!(
        of_type(&items, PostType::Attachment).len(),
        count(&expected["attachments"])
    );
    assert_eq!(
        of_type(&items, PostType::NavMenuItem).len(),
        count(&expected["nav_menu_items"])
    );
    let menu = &expected["nav_menus"][0];
    let in_menu = items
        .iter()
        .filter_map(Item::menu_item)
        .filter(|m| m.menu.as_deref() == Some(str_of(menu, "slug")))
        .count();
    assert_eq!(in_menu, count(&menu["items"]));
    let menu_term = terms()
        .into_iter()
        .find(|t| t.taxonomy == Taxonomy::NavMenu)
        .unwrap();
    assert_eq!(menu_term.term_id, menu["term_id"].as_u64().unwrap());
    assert_eq!(menu_term.name, str_of(menu, "name"));
}

/// Categories or tags against the expected list: ids, decoded names and slugs, parents,
/// descriptions, and how many exported items name each.
fn check_terms(taxonomy: Taxonomy, expected: &Value) {
    let terms: Vec<_> = terms()
        .into_iter()
        .filter(|t| t.taxonomy == taxonomy)
        .collect();
    let items = items();
    assert_eq!(terms.len(), count(&expected["count"]));
    for wanted in expected["items"].as_array().unwrap() {
        let raw_slug = str_of(wanted, "slug");
        let term = terms
            .iter()
            .find(|t| t.raw_slug == raw_slug)
            .unwrap_or_else(|| panic!("no term {raw_slug}"));
        assert_eq!(term.term_id, wanted["term_id"].as_u64().unwrap());
        let name = wanted["name_decoded"]
            .as_str()
            .unwrap_or_else(|| str_of(wanted, "name"));
        assert_eq!(term.name, name);
        let slug = wanted["slug_decoded"].as_str().unwrap_or(raw_slug);
        assert_eq!(term.slug, slug);
        assert_eq!(term.parent.as_deref(), wanted["parent"].as_str());
        assert_eq!(
            term.description,
            wanted["description"].as_str().unwrap_or("")
        );
        let naming = items
            .iter()
            .filter(|i| {
                i.terms
                    .iter()
                    .any(|t| t.taxonomy == taxonomy && t.raw_slug == raw_slug)
            })
            .count();
        assert_eq!(naming, count(&wanted["items_in_export"]), "{raw_slug}");
        let named_as = items
            .iter()
            .flat_map(|i| &i.terms)
            .find(|t| t.taxonomy == taxonomy && t.raw_slug == raw_slug)
            .unwrap();
        assert_eq!(
            named_as.name, name,
            "items name {raw_slug} as the header does"
        );
        assert_eq!(named_as.slug, slug);
    }
}

#[test]
fn categories_match_with_decoded_names_slugs_and_parents() {
    check_terms(Taxonomy::Category, &expected()["categories"]);
}

#[test]
fn tags_match_with_decoded_names_and_slugs() {
    check_terms(Taxonomy::Tag, &expected()["tags"]);
}

#[test]
fn post_formats_match() {
    let items = items();
    let expected: HashMap<String, usize> =
        serde_json::from_value(expected()["post_formats"].clone()).unwrap();
    let mut counted: HashMap<String, usize> = HashMap::new();
    for item in &items {
        for term in item.terms_of(&Taxonomy::PostFormat) {
            *counted.entry(term.slug.clone()).or_default() += 1;
        }
    }
    assert_eq!(counted, expected);
    assert_eq!(crate::item(14).post_format(), Some("video"));
}

#[test]
fn authors_match() {
    let authors: Vec<_> = records()
        .into_iter()
        .filter_map(|r| match r {
            Record::Author(a) => Some(a),
            _ => None,
        })
        .collect();
    let expected = &expected()["authors"];
    assert_eq!(authors.len(), count(&expected["count"]));
    let items = items();
    for wanted in expected["items"].as_array().unwrap() {
        let author = authors
            .iter()
            .find(|a| a.id == wanted["id"].as_u64().unwrap())
            .unwrap();
        assert_eq!(author.login, str_of(wanted, "login"));
        assert_eq!(author.display_name, str_of(wanted, "display_name"));
        assert_eq!(author.email, str_of(wanted, "email"));
        assert_eq!(author.first_name, str_of(wanted, "first_name"));
        assert_eq!(author.last_name, str_of(wanted, "last_name"));
        let written = items.iter().filter(|i| i.author == author.login).count();
        assert_eq!(written, count(&wanted["items"]), "{}", author.login);
    }
}

#[test]
fn comments_match_by_status_type_and_replies() {
    let comments: Vec<_> = items().into_iter().flat_map(|i| i.comments).collect();
    let expected = &expected()["comments"]["in_export"];
    assert_eq!(comments.len(), count(&expected["total"]));
    let approval = |a: CommentApproval| comments.iter().filter(|c| c.approved == a).count();
    assert_eq!(
        approval(CommentApproval::Approved),
        count(&expected["approved"])
    );
    assert_eq!(
        approval(CommentApproval::Pending),
        count(&expected["pending"])
    );
    assert_eq!(approval(CommentApproval::Trash), count(&expected["trash"]));
    let kind = |k: CommentKind| comments.iter().filter(|c| c.kind == k).count();
    assert_eq!(
        kind(CommentKind::Comment),
        count(&expected["by_type"]["comment"])
    );
    assert_eq!(
        kind(CommentKind::Pingback),
        count(&expected["by_type"]["pingback"])
    );
    let replies = comments.iter().filter(|c| c.parent_id.is_some()).count();
    assert_eq!(replies, count(&expected["replies"]));
}

/// `/{slug}/`, or for a page the path of its ancestors' slugs: what `get_permalink()` gives
/// under `/%postname%/`.
fn permalink_path(item: &Item, items: &[Item], decoded: bool) -> String {
    let mut slugs = Vec::new();
    let mut current = Some(item);
    while let Some(page) = current {
        slugs.push(if decoded {
            page.slug.clone()
        } else {
            page.raw_slug.clone()
        });
        current = match (&page.post_type, page.parent_id) {
            (PostType::Page, Some(parent)) => items.iter().find(|i| i.post_id == parent),
            _ => None,
        };
        assert!(slugs.len() < 20, "a page loop");
    }
    slugs.reverse();
    format!("/{}/", slugs.join("/"))
}

#[test]
fn every_permalink_is_derived_from_slugs() {
    let items = items();
    let expected = &expected()["permalinks"];
    let wanted = expected["items"].as_array().unwrap();
    assert_eq!(wanted.len(), count(&expected["count"]));
    let published: Vec<&Item> = items
        .iter()
        .filter(|i| {
            matches!(i.post_type, PostType::Post | PostType::Page)
                && i.status == PostStatus::Publish
        })
        .collect();
    assert_eq!(published.len(), wanted.len());
    let base = crate::site().link;
    for entry in wanted {
        let id = entry["id"].as_u64().unwrap();
        let item = published
            .iter()
            .find(|i| i.post_id == id)
            .unwrap_or_else(|| panic!("item {id} is not a published post or page"));
        assert_eq!(item.post_type.as_str(), str_of(entry, "type"));
        let path = str_of(entry, "path");
        let decoded = entry["path_decoded"].as_str().unwrap_or(path);
        assert_eq!(permalink_path(item, &items, false), path, "item {id}");
        assert_eq!(permalink_path(item, &items, true), decoded, "item {id}");
        assert_eq!(decode_slug(path), decoded);
        // The link the exporter wrote agrees.
        assert_eq!(item.link, format!("{base}{path}"), "item {id}");
        assert_eq!(
            item.is_password_protected(),
            entry["password_protected"].as_bool().unwrap_or(false)
        );
    }
}

#[test]
fn old_slug_redirects_are_derived_from_old_slugs() {
    let items = items();
    let mut derived = Vec::new();
    for item in &items {
        for old in item.old_slugs() {
            derived.push((
                item.post_id,
                item.status.as_str().to_owned(),
                format!("/{old}/"),
                permalink_path(item, &items, true),
            ));
        }
    }
    let wanted: Vec<(u64, String, String, String)> = expected()["old_slug_redirects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_u64().unwrap(),
                str_of(r, "status").to_owned(),
                str_of(r, "from").to_owned(),
                str_of(r, "to").to_owned(),
            )
        })
        .collect();
    assert_eq!(derived, wanted);
}
